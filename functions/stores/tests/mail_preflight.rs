//! `agora mail check` against a stand-in for the SES v2 API (its REST
//! JSON answers, as AWS documents them): the sandbox, an unverified
//! sender, DKIM still pending, a missing configuration set and refused
//! credentials are each named with what to do; a ready account passes.

use std::sync::Arc;

use agora_stores::mail_preflight::{check, report};
use aws_sdk_sesv2::config::{BehaviorVersion, Credentials, Region};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;

/// What the stand-in answers.
#[derive(Clone)]
struct Ses {
    production: bool,
    verified: bool,
    dkim: &'static str,
    configuration_set: bool,
    deny: bool,
}

fn error(status: StatusCode, code: &str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-amzn-ErrorType",
        HeaderValue::from_str(code).expect("a header"),
    );
    (status, headers, json!({ "message": code }).to_string()).into_response()
}

async fn account(State(ses): State<Arc<Ses>>) -> Response {
    if ses.deny {
        return error(StatusCode::FORBIDDEN, "AccessDeniedException");
    }
    axum::Json(json!({
        "ProductionAccessEnabled": ses.production,
        "SendingEnabled": true,
        "EnforcementStatus": "HEALTHY",
        "SendQuota": { "Max24HourSend": 50000.0, "MaxSendRate": 14.0, "SentLast24Hours": 0.0 }
    }))
    .into_response()
}

async fn identity(State(ses): State<Arc<Ses>>, Path(id): Path<String>) -> Response {
    if ses.deny {
        return error(StatusCode::FORBIDDEN, "AccessDeniedException");
    }
    if id != "example.org" {
        return error(StatusCode::NOT_FOUND, "NotFoundException");
    }
    axum::Json(json!({
        "IdentityType": "DOMAIN",
        "VerifiedForSendingStatus": ses.verified,
        "DkimAttributes": { "SigningEnabled": true, "Status": ses.dkim }
    }))
    .into_response()
}

async fn configuration_set(State(ses): State<Arc<Ses>>, Path(name): Path<String>) -> Response {
    if ses.configuration_set {
        axum::Json(json!({ "ConfigurationSetName": name })).into_response()
    } else {
        error(StatusCode::NOT_FOUND, "NotFoundException")
    }
}

/// A client of a stand-in answering as `ses` says.
async fn stand_in(ses: Ses) -> aws_sdk_sesv2::Client {
    let app = Router::new()
        .route("/v2/email/account", get(account))
        .route("/v2/email/identities/{id}", get(identity))
        .route(
            "/v2/email/configuration-sets/{name}",
            get(configuration_set),
        )
        .with_state(Arc::new(ses));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = aws_sdk_sesv2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-central-1"))
        .http_client(agora_stores::aws::https_client())
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(format!("http://{address}"))
        .build();
    aws_sdk_sesv2::Client::from_conf(config)
}

const READY: Ses = Ses {
    production: true,
    verified: true,
    dkim: "SUCCESS",
    configuration_set: true,
    deny: false,
};

#[tokio::test]
async fn a_ready_account_passes() {
    let client = stand_in(READY).await;
    let findings = check(&client, "budzet@example.org", Some("agora-mail")).await;
    let (text, ready) = report("eu-central-1", "budzet@example.org", &findings);
    assert!(ready, "{text}");
    assert!(text.contains("production access"), "{text}");
    assert!(
        text.contains("example.org is verified for sending"),
        "{text}"
    );
    assert!(text.contains("50000 e-mails a day"), "{text}");
    assert!(!text.contains("NOT YET"), "{text}");
}

#[tokio::test]
async fn the_sandbox_an_unverified_sender_and_pending_dkim_are_named() {
    let client = stand_in(Ses {
        production: false,
        verified: false,
        dkim: "PENDING",
        configuration_set: false,
        ..READY
    })
    .await;
    let findings = check(&client, "budzet@example.org", Some("agora-mail")).await;
    let (text, ready) = report("eu-central-1", "budzet@example.org", &findings);
    assert!(!ready, "{text}");
    for expected in [
        "NOT YET the account is in the SES sandbox",
        "Request production access",
        "NOT YET example.org is not verified for sending yet",
        "NOT YET DKIM is PENDING",
        "NOT YET there is no configuration set agora-mail",
        "SES is not ready",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[tokio::test]
async fn an_unknown_sender_and_refused_credentials_say_what_to_do() {
    let client = stand_in(READY).await;
    let findings = check(&client, "budzet@elsewhere.pl", None).await;
    let (text, ready) = report("eu-central-1", "budzet@elsewhere.pl", &findings);
    assert!(!ready);
    assert!(
        text.contains("SES knows neither elsewhere.pl nor budzet@elsewhere.pl"),
        "{text}"
    );

    let client = stand_in(Ses {
        deny: true,
        ..READY
    })
    .await;
    let findings = check(&client, "budzet@example.org", None).await;
    let (text, ready) = report("eu-central-1", "budzet@example.org", &findings);
    assert!(!ready);
    assert!(text.contains("(AccessDeniedException)"), "{text}");
    assert!(text.contains("ses:GetAccount"), "{text}");
}
