//! A submission whose body stops arriving is answered `408` once
//! [`HttpSettings::body_read_timeout`] has passed (as `agora serve` sets
//! it), in the request's format, and nothing is stored. Without a timeout
//! (Lambda) the router waits for the body as before.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_core::service::Service;
use agora_core::store::Store as _;
use agora_functions::http::{fixed_clock, router_with, HttpSettings};
use agora_stores::outbox::Outbox;
use agora_stores::sqlite::SqliteStore;
use agora_test_support::fixture::{self, TempOutbox};
use agora_test_support::krakow;
use axum::body::{Body, Bytes};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{TimeZone, Utc};
use http_body_util::channel::{Channel, Sender};
use tower::ServiceExt;

const TIMEOUT: Duration = Duration::from_millis(300);

struct App {
    router: Router,
    service: Arc<Service<SqliteStore, Outbox>>,
    _outbox: TempOutbox,
}

fn app(timeout: Option<Duration>) -> App {
    let store = SqliteStore::in_memory().expect("a store");
    let (service, outbox) = fixture::service(krakow::as_written(), store, 100);
    let service = Arc::new(service);
    let now = Utc
        .with_ymd_and_hms(2020, 3, 5, 12, 0, 0)
        .single()
        .expect("a valid time");
    App {
        router: router_with(
            Arc::clone(&service),
            fixed_clock(now),
            HttpSettings {
                body_read_timeout: timeout,
                ..HttpSettings::default()
            },
        ),
        service,
        _outbox: outbox,
    }
}

/// A request whose body declares 1,000 bytes and sends 5; the sender is
/// kept, so the rest may still come.
async fn stalled(content_type: &str) -> (Request<Body>, Sender<Bytes, Infallible>) {
    let (mut sender, body) = Channel::<Bytes, Infallible>::new(1);
    sender
        .send_data(Bytes::from_static(b"email"))
        .await
        .expect("the body takes its first bytes");
    let request = Request::post("/api/forms/ambasadorzy")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, "1000")
        .body(Body::new(body))
        .expect("a request");
    (request, sender)
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_a_timeout_not_a_bad_request() {
    let app = app(Some(TIMEOUT));
    for (content_type, page) in [
        ("application/json", false),
        ("application/x-www-form-urlencoded", true),
    ] {
        let (request, _sender) = stalled(content_type).await;
        let started = Instant::now();
        let response = app
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails");
        let waited = started.elapsed();
        assert!(
            waited >= TIMEOUT && waited < TIMEOUT + Duration::from_secs(2),
            "answered after {waited:?}"
        );
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(
            response
                .headers()
                .get(header::CONNECTION)
                .map(|v| v.as_bytes()),
            Some(&b"close"[..]),
            "the rest of the body may still come: the connection is closed"
        );
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a readable body");
        let body = String::from_utf8_lossy(&body);
        if page {
            assert_eq!(content_type, "text/html; charset=utf-8");
            assert!(
                body.contains("<h1>Zgłoszenie nie dotarło w całości</h1>"),
                "{body}"
            );
        } else {
            assert_eq!(content_type, "application/json; charset=utf-8");
            let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
            let error = json["error"].as_str().expect("an error message");
            assert!(error.contains("Nic nie zostało zapisane"), "{error}");
        }
    }
    let now = Utc::now();
    assert!(
        app.service
            .store()
            .list("ambasadorzy", now)
            .await
            .expect("listed")
            .is_empty(),
        "nothing is stored"
    );
}

#[tokio::test]
async fn without_a_timeout_the_body_is_awaited() {
    let app = app(None);
    let (request, _sender) = stalled("application/json").await;
    let answered = tokio::time::timeout(TIMEOUT * 3, app.router.clone().oneshot(request)).await;
    assert!(answered.is_err(), "no answer before the body is complete");
}
