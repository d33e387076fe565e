//! The HTTP contract of the form functions, through the one router that
//! serves Lambda and `agora serve`: every status code, the pages a person
//! sees, the confirmation and withdrawal links, and the same answers to
//! real API Gateway v2 events. Against the real SQLite store (in memory)
//! and the outbox (in a temporary folder), with the Kraków forms.

use agora_test_support::fixture::{self, TempOutbox, CONTACT, SALT, SITE};
use agora_test_support::krakow;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use agora_core::fill_time::Stamps;
use agora_core::forms::FormDefinition;
use agora_core::registration::{Admission, MailProblem, NewRegistration, Registration, Status};
use agora_core::service::Service;
use agora_core::store::{Counts, DrawRecord, DrawRecorded, Inserted, Store, StoreError, Withdrawn};
use agora_functions::http::{fixed_clock, router, router_with, HttpSettings};
use agora_stores::outbox::Outbox;
use agora_stores::sqlite::SqliteStore;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use tower::ServiceExt;

fn at(year: i32, month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, 0, 0)
        .single()
        .expect("a valid time")
}

/// Inside the 2020 windows of the ambassadors' and workshops' forms.
fn march_5() -> DateTime<Utc> {
    at(2020, 3, 5, 12)
}

/// A first-come form with two places and no confirmation step.
fn two_places_form() -> FormDefinition {
    let yaml = r#"
title: Spacer badawczy po Podgórzu
opens: 2020-03-01 09:00
closes: 2020-03-31 23:59
allocation: first_come
capacity: 2
unique_field: email
retention_days: 30
purpose: Zapisy na spacer badawczy i kontakt z jego uczestnikami.
legal_basis: consent
recipients: [cloud, email]
next_steps: Spotykamy się 28 marca o 10:00 przy Rynku Podgórskim.
fields:
  - name: full_name
    type: text
    label: Imię i nazwisko
    autocomplete: name
  - name: email
    type: email
    label: Adres e-mail
consents:
  - name: processing
    required: true
    version: "1"
    text: Zgadzam się na przetwarzanie moich danych w celu organizacji spaceru.
"#;
    FormDefinition::parse(
        "spacer",
        yaml,
        Path::new("content/forms/spacer.yaml"),
        &|_| None,
    )
    .expect("a valid form")
}

struct App<S> {
    router: Router,
    service: Arc<Service<S, Outbox>>,
    outbox: TempOutbox,
}

fn app_with<S: Store + 'static>(store: S, now: DateTime<Utc>, rate_limit: u32) -> App<S> {
    let mut forms = krakow::forms();
    forms.push(two_places_form());
    let (service, outbox) = fixture::service(forms, store, rate_limit);
    let service = Arc::new(service);
    App {
        router: router(Arc::clone(&service), fixed_clock(now)),
        service,
        outbox,
    }
}

fn app_at(now: DateTime<Utc>) -> App<SqliteStore> {
    app_with(SqliteStore::in_memory().expect("a store"), now, 100)
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .map(|v| v.to_str().expect("a text header"))
            .unwrap_or("")
    }

    fn json(&self) -> serde_json::Value {
        assert_eq!(
            self.header(header::CONTENT_TYPE),
            "application/json; charset=utf-8",
            "{}",
            self.body
        );
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    fn page(&self) -> &str {
        assert_eq!(
            self.header(header::CONTENT_TYPE),
            "text/html; charset=utf-8",
            "{}",
            self.body
        );
        assert!(self.body.contains("<html lang=\"pl\">"), "{}", self.body);
        assert_eq!(self.body.matches("<h1").count(), 1, "one h1: {}", self.body);
        assert!(!self.body.contains("<script"), "no script: {}", self.body);
        // One request besides the page: the site's stylesheet, from the
        // page's own origin (a path, never another host).
        assert_eq!(self.body.matches("<link").count(), 1, "{}", self.body);
        assert!(
            self.body
                .contains("<link rel=\"stylesheet\" href=\"/style.css\">"),
            "{}",
            self.body
        );
        &self.body
    }
}

impl<S: Store + 'static> App<S> {
    async fn send(&self, request: Request<Body>) -> Answer {
        send(&self.router, request).await
    }

    fn form(&self, id: &str) -> FormDefinition {
        FormDefinition::clone(&self.service.form(id).expect("the form"))
    }

    /// The outbox's messages: (file name, decoded text), by name.
    fn mails(&self) -> Vec<(String, String)> {
        self.outbox.mails()
    }

    /// The reference stored for `email`: a double opt-in form's answer
    /// does not show it.
    async fn reference_of(&self, form_id: &str, email: &str) -> String {
        self.service
            .store()
            .list(form_id, march_5())
            .await
            .expect("listed")
            .into_iter()
            .find(|r| r.values.get("email").map(String::as_str) == Some(email))
            .map(|r| r.reference)
            .expect("a stored registration")
    }

    /// The link to `action` (`potwierdz`, `wycofaj`) in the message
    /// `file`, as a path on this router.
    fn link(&self, file: &str, action: &str) -> String {
        let (_, text) = self
            .mails()
            .into_iter()
            .find(|(name, _)| name == file)
            .unwrap_or_else(|| panic!("no message {file} in {:?}", self.mails()));
        let needle = format!("/{action}?token=");
        let link = text
            .split_whitespace()
            .find(|word| word.starts_with(SITE) && word.contains(&needle))
            .unwrap_or_else(|| panic!("no {action} link in {text}"));
        link.trim_start_matches(SITE).to_owned()
    }
}

async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router never fails");
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("a readable body");
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8(bytes.to_vec()).expect("UTF-8"),
    }
}

fn urlencode(pairs: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A fill-time stamp signed with the test settings' secret long before
/// any test's clock: a person who took their time.
fn stamp(form_id: &str) -> String {
    Stamps::new(SALT).issue(form_id, at(2000, 1, 1, 0))
}

/// The form a path under `/api/forms/` names.
fn form_in(path: &str) -> &str {
    path.trim_start_matches("/api/forms/")
        .split(['/', '?'])
        .next()
        .unwrap_or_default()
}

/// A browser's submission; without a `started_at` pair, with the stamp
/// the page's script would have put there.
fn post_form(path: &str, pairs: &[(&str, &str)]) -> Request<Body> {
    let mut pairs = pairs.to_vec();
    let stamp = stamp(form_in(path));
    if !pairs.iter().any(|(name, _)| *name == "started_at") {
        pairs.push(("started_at", &stamp));
    }
    post_raw(path, "application/x-www-form-urlencoded", urlencode(&pairs))
}

/// A script's submission; without `started_at`, with the stamp the
/// status endpoint gives out.
fn post_json(path: &str, value: &serde_json::Value) -> Request<Body> {
    let mut value = value.clone();
    if let Some(object) = value.as_object_mut() {
        object
            .entry("started_at")
            .or_insert_with(|| stamp(form_in(path)).into());
    }
    post_raw(path, "application/json", value.to_string())
}

fn post_raw(path: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .expect("a request")
}

fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .expect("a request")
}

fn from(mut request: Request<Body>, address: &str) -> Request<Body> {
    request.extensions_mut().insert(ConnectInfo(
        address.parse::<SocketAddr>().expect("an address"),
    ));
    request
}

fn ambassador_json(email: &str) -> serde_json::Value {
    serde_json::json!({
        "full_name": "Anna Nowak",
        "email": email,
        "district": "XIII",
        "area": "Osiedle Kabel",
        "processing": true,
        "publication": false,
        "website": "",
    })
}

fn ambassador_pairs(email: &str) -> Vec<(&'static str, String)> {
    vec![
        ("full_name", "Anna Nowak".to_owned()),
        ("email", email.to_owned()),
        ("phone", String::new()),
        ("district", "XIII".to_owned()),
        ("area", "Osiedle Kabel".to_owned()),
        ("processing", "tak".to_owned()),
        ("website", String::new()),
    ]
}

fn pairs<'a>(owned: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    owned.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn is_reference(text: &str) -> bool {
    text.len() == 9
        && text.chars().enumerate().all(|(i, c)| {
            if i == 4 {
                c == '-'
            } else {
                "ABCDEFGHJKMNPQRSTUVWXYZ23456789".contains(c)
            }
        })
}

// ---- submissions ----

#[tokio::test]
async fn a_json_submission_is_created_with_its_reference() {
    let app = app_at(march_5());
    let answer = app
        .send(post_json(
            "/api/forms/ambasadorzy",
            &ambassador_json("anna@example.pl"),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let body = answer.json();
    assert_eq!(
        body["reference"],
        serde_json::Value::Null,
        "with double opt-in the reference comes by e-mail"
    );
    assert_eq!(
        body["status"], "pending",
        "a double opt-in form waits for confirmation"
    );
    assert_eq!(
        body["page"], "/api/forms/ambasadorzy/wyslane",
        "the page the site's script opens"
    );
    assert_eq!(body.as_object().map(|o| o.len()), Some(3), "{body}");
    assert_eq!(answer.header(header::CACHE_CONTROL), "no-store");

    // Without double opt-in the answer names the new registration.
    let answer = app
        .send(post_json(
            "/api/forms/spacer",
            &serde_json::json!({
                "full_name": "Anna Nowak",
                "email": "anna@example.pl",
                "processing": true,
            }),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let body = answer.json();
    let reference = body["reference"].as_str().expect("a reference");
    assert!(is_reference(reference), "{reference}");
    assert_eq!(body["status"], "registered");
    assert_eq!(
        body["page"],
        format!("/api/forms/spacer/zgloszenie/{reference}")
    );
}

#[tokio::test]
async fn a_browser_submission_is_redirected_to_its_confirmation_page() {
    let app = app_at(march_5());
    let answer = app
        .send(post_form(
            "/api/forms/ambasadorzy",
            &pairs(&ambassador_pairs("anna@example.pl")),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let location = answer.header(header::LOCATION).to_owned();
    assert_eq!(location, "/api/forms/ambasadorzy/wyslane");
    let reference = app.reference_of("ambasadorzy", "anna@example.pl").await;

    let page = app.send(get(&location)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.page();
    assert!(
        !html.contains(&reference),
        "the page shows no reference before the address is proven"
    );
    assert!(
        html.contains("Jest w nim numer zgłoszenia i link"),
        "double opt-in: check your e-mail: {html}"
    );
    assert!(
        html.contains("wyślij formularz jeszcze raz z tym samym adresem"),
        "what to do when the e-mail does not come"
    );
    let form = app.form("ambasadorzy");
    let next = form.next_steps.as_deref().expect("next steps");
    assert!(html.contains(next), "what happens next: {html}");
    assert!(html.contains(&format!("mailto:{CONTACT}")));
    assert!(
        html.contains("href=\"https://example.org/\""),
        "a link home"
    );
    assert!(html.contains("<title>Dziękujemy za zgłoszenie</title>"));

    // Without double opt-in, the page after the 303 shows the reference.
    let answer = app
        .send(post_form(
            "/api/forms/spacer",
            &[
                ("full_name", "Anna Nowak"),
                ("email", "anna@example.pl"),
                ("processing", "tak"),
            ],
        ))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let location = answer.header(header::LOCATION).to_owned();
    let reference = location
        .strip_prefix("/api/forms/spacer/zgloszenie/")
        .expect("the confirmation page")
        .to_owned();
    assert!(is_reference(&reference), "{location}");
    let html = app.send(get(&location)).await.page().to_owned();
    assert!(
        html.contains(&format!("<p class=\"reference\">{reference}</p>")),
        "{html}"
    );

    // A form with double opt-in has no page naming a reference.
    assert_eq!(
        app.send(get(&format!(
            "/api/forms/ambasadorzy/zgloszenie/{reference}"
        )))
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // A made-up reference has no page.
    for made_up in ["%3Cscript%3E", "K7QX-M3P1", "k7qx-m3pa"] {
        let nothing = app
            .send(get(&format!("/api/forms/spacer/zgloszenie/{made_up}")))
            .await;
        assert_eq!(nothing.status, StatusCode::NOT_FOUND, "{made_up}");
        assert!(!nothing.page().contains("script"));
    }
}

#[tokio::test]
async fn an_invalid_json_submission_lists_its_field_errors() {
    let app = app_at(march_5());
    let answer = app
        .send(post_json(
            "/api/forms/ambasadorzy",
            &serde_json::json!({ "full_name": "Anna", "email": "anna@", "district": "XIII", "area": "Kabel" }),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = answer.json();
    let errors = body["errors"].as_array().expect("a list of errors");
    let fields: Vec<&str> = errors
        .iter()
        .map(|e| e["field"].as_str().expect("a field"))
        .collect();
    assert_eq!(fields, vec!["email", "processing"]);
    assert!(errors
        .iter()
        .all(|e| !e["message"].as_str().unwrap_or_default().is_empty()));
    assert!(app.mails().is_empty(), "nothing sent");
}

#[tokio::test]
async fn an_invalid_browser_submission_shows_the_form_again_with_every_value_kept() {
    let app = app_at(march_5());
    let kept = stamp("ambasadorzy");
    let answer = app
        .send(post_form(
            "/api/forms/ambasadorzy",
            &[
                ("full_name", "Anna \"Ania\" <Nowak>"),
                ("email", "anna@"),
                ("phone", "12 345 67 89"),
                ("district", "XIII"),
                ("area", "Osiedle Kabel\r\nul. Myśliwska & okolice"),
                ("publication", "tak"),
                ("website", ""),
                ("started_at", &kept),
            ],
        ))
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = answer.page();
    // The error summary, as GOV.UK shows it, linking each wrong field.
    assert!(html.contains("role=\"alert\" tabindex=\"-1\""), "{html}");
    assert!(html.contains("Wystąpił problem"));
    assert!(html.contains("<a href=\"#field-email\">"));
    assert!(html.contains("<a href=\"#field-processing\">"));
    assert!(html.contains("<title>Błąd: "));
    // Inline messages next to the fields they are about.
    assert!(html.contains("id=\"field-email-error\""));
    assert!(html.contains("id=\"field-processing-error\""));
    assert!(html.contains(
        "type=\"email\" id=\"field-email\" name=\"email\" autocomplete=\"email\" aria-describedby=\"field-email-hint field-email-error\" aria-invalid=\"true\" value=\"anna@\""
    ), "{html}");
    // Every value typed is there again.
    assert!(html.contains("value=\"Anna &quot;Ania&quot; &lt;Nowak&gt;\""));
    assert!(html.contains("value=\"12 345 67 89\""));
    assert!(html.contains("<option value=\"XIII\" selected>"));
    assert!(html.contains("Osiedle Kabel\r\nul. Myśliwska &amp; okolice</textarea>"));
    assert!(html.contains("id=\"field-publication\" name=\"publication\" value=\"tak\" checked>"));
    assert!(
        html.contains("id=\"field-processing\" name=\"processing\" value=\"tak\" aria-describedby")
    );
    assert!(!html.contains("name=\"processing\" value=\"tak\" checked"));
    assert!(
        html.contains(&format!("name=\"started_at\" value=\"{kept}\"")),
        "the stamp of the first opening is kept"
    );
    // The form posts to the same place.
    assert!(html.contains(
        "<form class=\"agora-form\" method=\"post\" action=\"/api/forms/ambasadorzy\" novalidate>"
    ));
}

#[tokio::test]
async fn the_workshop_form_says_why_the_declaration_is_needed() {
    let app = app_at(march_5());
    let answer = app
        .send(post_form(
            "/api/forms/warsztaty-wspolne-projekty-miejskie-2020",
            &[
                ("full_name", "Anna Nowak"),
                ("email", "anna@example.pl"),
                ("processing", "tak"),
            ],
        ))
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = answer.page();
    let form = app.form("warsztaty-wspolne-projekty-miejskie-2020");
    let message = form
        .field("attends_all")
        .and_then(|f| f.messages.required.clone())
        .expect("the form's own message");
    assert!(message.contains("jeden cykl"));
    assert!(
        html.contains(&format!(
            "<li><a href=\"#field-attends_all\">{message}</a></li>"
        )),
        "{html}"
    );
    assert!(html.contains(&format!(
        "<p class=\"error-message\" id=\"field-attends_all-error\"><span class=\"visually-hidden\">Błąd: </span>{message}</p>"
    )));
    assert!(html.contains("value=\"Anna Nowak\""));
}

#[tokio::test]
async fn an_unknown_form_is_not_found() {
    let app = app_at(march_5());
    let json = app
        .send(post_json(
            "/api/forms/nie-ma",
            &ambassador_json("a@example.pl"),
        ))
        .await;
    assert_eq!(json.status, StatusCode::NOT_FOUND);
    assert!(json.json()["error"].is_string());
    let html = app
        .send(post_form("/api/forms/nie-ma", &[("email", "a@example.pl")]))
        .await;
    assert_eq!(html.status, StatusCode::NOT_FOUND);
    assert!(html.page().contains("Nie ma takiego formularza"));
    let status = app
        .send(
            Request::get("/api/forms/nie-ma")
                .body(Body::empty())
                .expect("a request"),
        )
        .await;
    assert_eq!(status.status, StatusCode::NOT_FOUND);
    status.json();
    let undecodable = app
        .send(post_json(
            "/api/forms/%FF",
            &ambassador_json("a@example.pl"),
        ))
        .await;
    assert_eq!(undecodable.status, StatusCode::NOT_FOUND);
    undecodable.json();
    let elsewhere = app.send(get("/api/inne")).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    elsewhere.page();
}

#[tokio::test]
async fn before_opening_and_after_closing_is_forbidden_not_invalid() {
    let early = app_at(at(2020, 2, 1, 12));
    let answer = early
        .send(post_json("/api/forms/ambasadorzy", &serde_json::json!({})))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let body = answer.json();
    assert_eq!(body["opens"], "2020-02-19", "a day alone: no hour made up");
    assert!(body["error"]
        .as_str()
        .unwrap_or_default()
        .contains("od 19 lutego 2020."));
    let page = early
        .send(post_form(
            "/api/forms/ambasadorzy",
            &pairs(&ambassador_pairs("anna@example.pl")),
        ))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let html = page.page();
    assert!(html.contains("Nabór jeszcze się nie rozpoczął"));
    // Nothing typed is lost: the form comes back filled in.
    assert!(html.contains("value=\"anna@example.pl\""), "{html}");

    let late = app_at(at(2020, 4, 2, 12));
    let answer = late
        .send(post_json(
            "/api/forms/ambasadorzy",
            &ambassador_json("anna@example.pl"),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.json()["closes"], "2020-03-31T23:59:00+02:00");
    let page = late
        .send(post_form(
            "/api/forms/ambasadorzy",
            &pairs(&ambassador_pairs("anna@example.pl")),
        ))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let html = page.page();
    assert!(html.contains("Nabór jest zamknięty"));
    assert!(html.contains("31 marca 2020, 23:59"));
    assert!(!html.contains("losowaniu"), "a first-come form has no draw");
    assert!(late.mails().is_empty());

    let workshops = late
        .send(post_json(
            "/api/forms/warsztaty-wspolne-projekty-miejskie-2020",
            &serde_json::json!({}),
        ))
        .await;
    assert_eq!(workshops.status, StatusCode::FORBIDDEN);
    assert!(workshops.json()["error"]
        .as_str()
        .unwrap_or_default()
        .contains("Miejsca przydzielimy w losowaniu"));
    let status = late
        .send(get("/api/forms/warsztaty-wspolne-projekty-miejskie-2020"))
        .await
        .json();
    assert_eq!(status["state"], "closed");
    assert_eq!(status["open"], false);
}

#[tokio::test]
async fn a_cancelled_recruitment_is_gone_with_its_reason() {
    let yaml = r#"
title: Spacer po Nowej Hucie
opens: 2020-03-01 09:00
closes: 2020-03-31 23:59
unique_field: email
retention_days: 30
purpose: Zapisy na spacer po Nowej Hucie.
legal_basis: public_task
legal_basis_detail: art. 5a ustawy z dnia 8 marca 1990 r. o samorządzie gminnym
recipients: [cloud]
cancelled: Spacer odwołaliśmy z powodu epidemii.
fields:
  - name: email
    type: email
    label: Adres e-mail
"#;
    let form = FormDefinition::parse(
        "spacer-nh",
        yaml,
        Path::new("content/forms/spacer-nh.yaml"),
        &|_| None,
    )
    .expect("a valid form");
    let store = SqliteStore::in_memory().expect("a store");
    let (service, _outbox) = fixture::service(vec![form], store, 100);
    let service = Arc::new(service);
    let router = router(Arc::clone(&service), fixed_clock(march_5()));
    let answer = send(
        &router,
        post_json(
            "/api/forms/spacer-nh",
            &serde_json::json!({"email": "anna@example.pl"}),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::GONE);
    assert!(answer.json()["error"]
        .as_str()
        .unwrap_or_default()
        .contains("odwołaliśmy z powodu epidemii"));
    let page = send(
        &router,
        post_form("/api/forms/spacer-nh", &[("email", "anna@example.pl")]),
    )
    .await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.page().contains("Nabór odwołany"));
    let status = send(&router, get("/api/forms/spacer-nh")).await.json();
    assert_eq!(status["state"], "cancelled");
    let counts = service
        .store()
        .counts("spacer-nh", march_5())
        .await
        .expect("counts");
    assert_eq!(counts, Counts::default(), "nothing was stored");
}

#[tokio::test]
async fn a_body_over_64_kib_is_too_large() {
    let app = app_at(march_5());
    let mut big = ambassador_json("anna@example.pl");
    big["area"] = serde_json::Value::String("x".repeat(70 * 1024));
    let answer = app.send(post_json("/api/forms/ambasadorzy", &big)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    answer.json();

    let area = "y".repeat(70 * 1024);
    let answer = app
        .send(post_form(
            "/api/forms/ambasadorzy",
            &[("area", area.as_str())],
        ))
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    answer.page();

    // Refused from its declared length, before reading.
    let declared = Request::post("/api/forms/ambasadorzy")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "10000000")
        .body(Body::from("{}"))
        .expect("a request");
    assert_eq!(
        app.send(declared).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn other_content_types_are_unsupported() {
    let app = app_at(march_5());
    for content_type in [
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/xml",
    ] {
        let answer = app
            .send(post_raw(
                "/api/forms/ambasadorzy",
                content_type,
                "email=a@example.pl",
            ))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        answer.json();
    }
    let none = Request::post("/api/forms/ambasadorzy")
        .header(header::ACCEPT, "text/html")
        .body(Body::from("email=a@example.pl"))
        .expect("a request");
    let answer = app.send(none).await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    answer.page();
}

#[tokio::test]
async fn other_methods_are_not_allowed() {
    let app = app_at(march_5());
    for (method, path) in [
        ("PUT", "/api/forms/ambasadorzy"),
        ("DELETE", "/api/forms/ambasadorzy"),
        ("PATCH", "/api/forms/ambasadorzy/potwierdz"),
        ("POST", "/api/forms/ambasadorzy/zgloszenie/K7QX-M3PA"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .expect("a request");
        let answer = app.send(request).await;
        assert_eq!(
            answer.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert!(
            answer.header(header::ALLOW).contains("GET"),
            "{method} {path}"
        );
        answer.json();
    }
    let put = Request::put("/api/forms/ambasadorzy")
        .body(Body::empty())
        .expect("a request");
    assert!(app.send(put).await.header(header::ALLOW).contains("POST"));
}

#[tokio::test]
async fn a_malformed_body_is_a_bad_request() {
    let app = app_at(march_5());
    for body in [
        "{",
        "[\"a\"]",
        "\"text\"",
        r#"{"email": {"a": 1}}"#,
        r#"{"topics": [1, 2]}"#,
    ] {
        let answer = app
            .send(post_raw("/api/forms/ambasadorzy", "application/json", body))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        answer.json();
    }
    for body in ["email=%zz", "email=%E", "full_name=%FF%FE"] {
        let answer = app
            .send(post_raw(
                "/api/forms/ambasadorzy",
                "application/x-www-form-urlencoded",
                body,
            ))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        answer.page();
    }
    assert!(app.mails().is_empty());
}

#[tokio::test]
async fn too_many_submissions_from_one_address_are_limited() {
    let app = app_with(SqliteStore::in_memory().expect("a store"), march_5(), 2);
    for n in 0..2 {
        let answer = app
            .send(from(
                post_json(
                    "/api/forms/ambasadorzy",
                    &ambassador_json(&format!("osoba{n}@example.pl")),
                ),
                "203.0.113.5:50000",
            ))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    }
    let limited = app
        .send(from(
            post_json(
                "/api/forms/ambasadorzy",
                &ambassador_json("osoba3@example.pl"),
            ),
            "203.0.113.5:50001",
        ))
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let seconds: u64 = limited
        .header(header::RETRY_AFTER)
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=600).contains(&seconds), "{seconds}");
    assert!(limited.json()["error"].is_string());

    // A browser's page keeps what was typed.
    let page = app
        .send(from(
            post_form(
                "/api/forms/ambasadorzy",
                &pairs(&ambassador_pairs("osoba4@example.pl")),
            ),
            "203.0.113.5:50002",
        ))
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers.contains_key(header::RETRY_AFTER));
    let html = page.page();
    assert!(html.contains("value=\"osoba4@example.pl\""));
    assert!(html.contains("Tego zgłoszenia nie zapisaliśmy"));

    // Another address is not limited.
    let other = app
        .send(from(
            post_json(
                "/api/forms/ambasadorzy",
                &ambassador_json("osoba5@example.pl"),
            ),
            "198.51.100.8:40000",
        ))
        .await;
    assert_eq!(other.status, StatusCode::CREATED);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_limited() {
    let app = app_with(SqliteStore::in_memory().expect("a store"), march_5(), 1);
    let proxied = router_with(
        Arc::clone(&app.service),
        fixed_clock(march_5()),
        HttpSettings {
            trusted_proxy: true,
            ..HttpSettings::default()
        },
    );
    let request = |email: &str, forwarded: &str| {
        let mut request = from(
            post_json("/api/forms/ambasadorzy", &ambassador_json(email)),
            "127.0.0.1:9000",
        );
        request.headers_mut().insert(
            "x-forwarded-for",
            forwarded.parse().expect("a header value"),
        );
        request
    };
    assert_eq!(
        send(&proxied, request("a@example.pl", "203.0.113.1"))
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        send(&proxied, request("b@example.pl", "203.0.113.2"))
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        send(
            &proxied,
            request("c@example.pl", "198.51.100.1, 203.0.113.2")
        )
        .await
        .status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// A store that can be switched off (every call `Unavailable`) or made
/// to panic; otherwise the real SQLite store.
#[derive(Clone)]
struct Switchable {
    inner: SqliteStore,
    down: Arc<AtomicBool>,
    panics: bool,
}

impl Switchable {
    fn new(panics: bool) -> Self {
        Self {
            inner: SqliteStore::in_memory().expect("a store"),
            down: Arc::new(AtomicBool::new(false)),
            panics,
        }
    }

    fn check(&self) -> Result<(), StoreError> {
        assert!(!self.panics, "the secret detail of a bug");
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable(
                "connection refused by 10.0.0.7 for anna@example.pl".to_owned(),
            ))
        } else {
            Ok(())
        }
    }
}

impl Store for Switchable {
    async fn insert(
        &self,
        new: NewRegistration,
        admit: Option<Admission>,
    ) -> Result<Inserted, StoreError> {
        self.check()?;
        self.inner.insert(new, admit).await
    }

    async fn confirm(
        &self,
        form_id: &str,
        token_hash: &str,
        admit: Admission,
        now: DateTime<Utc>,
    ) -> Result<Option<Registration>, StoreError> {
        self.check()?;
        self.inner.confirm(form_id, token_hash, admit, now).await
    }

    async fn withdraw(
        &self,
        form_id: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Withdrawn>, StoreError> {
        self.check()?;
        self.inner.withdraw(form_id, token_hash, now).await
    }

    async fn renew_tokens(
        &self,
        form_id: &str,
        reference: &str,
        confirm_token_hash: &str,
        withdraw_token_hash: &str,
    ) -> Result<Option<Registration>, StoreError> {
        self.check()?;
        self.inner
            .renew_tokens(form_id, reference, confirm_token_hash, withdraw_token_hash)
            .await
    }

    async fn find(
        &self,
        form_id: &str,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Registration>, StoreError> {
        self.check()?;
        self.inner.find(form_id, reference, now).await
    }

    async fn counts(&self, form_id: &str, now: DateTime<Utc>) -> Result<Counts, StoreError> {
        self.check()?;
        self.inner.counts(form_id, now).await
    }

    async fn mark_mail_problem(
        &self,
        form_id: &str,
        reference: &str,
        problem: MailProblem,
    ) -> Result<bool, StoreError> {
        self.check()?;
        self.inner
            .mark_mail_problem(form_id, reference, problem)
            .await
    }

    async fn places_taken(&self, form_id: &str) -> Result<u64, StoreError> {
        self.check()?;
        self.inner.places_taken(form_id).await
    }

    async fn list(
        &self,
        form_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Registration>, StoreError> {
        self.check()?;
        self.inner.list(form_id, now).await
    }

    async fn draw_record(&self, form_id: &str) -> Result<Option<DrawRecord>, StoreError> {
        self.check()?;
        self.inner.draw_record(form_id).await
    }

    async fn record_draw(
        &self,
        form_id: &str,
        draw: &DrawRecord,
    ) -> Result<DrawRecorded, StoreError> {
        self.check()?;
        self.inner.record_draw(form_id, draw).await
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        self.check()?;
        self.inner.purge_expired(now).await
    }

    async fn allow_request(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.allow_request(key, window_start, limit).await
    }
}

#[tokio::test]
async fn an_unavailable_store_is_503_and_says_nothing_was_saved() {
    let store = Switchable::new(false);
    let down = Arc::clone(&store.down);
    let app = app_with(store, march_5(), 100);
    down.store(true, Ordering::SeqCst);

    let answer = app
        .send(post_json(
            "/api/forms/ambasadorzy",
            &ambassador_json("anna@example.pl"),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.header(header::RETRY_AFTER), "30");
    let body = answer.json();
    assert!(body["error"]
        .as_str()
        .unwrap_or_default()
        .contains("Nic nie zostało zapisane"));
    assert!(
        !answer.body.contains("10.0.0.7") && !answer.body.contains("refused"),
        "no internals"
    );

    let page = app
        .send(post_form(
            "/api/forms/ambasadorzy",
            &pairs(&ambassador_pairs("anna@example.pl")),
        ))
        .await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.header(header::RETRY_AFTER), "30");
    let html = page.page();
    assert!(html.contains("Nic nie zostało zapisane"));
    assert!(
        html.contains("value=\"anna@example.pl\""),
        "the form keeps what was typed"
    );
    assert!(!html.contains("10.0.0.7"));

    // A form with places reads its counter; one without reads nothing.
    let status = app
        .send(
            Request::get("/api/forms/spacer")
                .body(Body::empty())
                .expect("a request"),
        )
        .await;
    assert_eq!(status.status, StatusCode::SERVICE_UNAVAILABLE);
    let status = app
        .send(
            Request::get("/api/forms/ambasadorzy")
                .body(Body::empty())
                .expect("a request"),
        )
        .await;
    assert_eq!(status.status, StatusCode::OK);
    let confirm = app
        .send(post_form(
            "/api/forms/ambasadorzy/potwierdz",
            &[("token", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")],
        ))
        .await;
    assert_eq!(confirm.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(app.mails().is_empty());

    // Back up, the same submission is stored.
    down.store(false, Ordering::SeqCst);
    let answer = app
        .send(post_json(
            "/api/forms/ambasadorzy",
            &ambassador_json("anna@example.pl"),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_panic_answers_a_generic_500_without_details() {
    let app = app_with(Switchable::new(true), march_5(), 100);
    let answer = app
        .send(
            Request::get("/api/forms/spacer")
                .body(Body::empty())
                .expect("a request"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(answer.json()["error"].is_string());
    assert!(!answer.body.contains("secret"));

    let page = app
        .send(post_form(
            "/api/forms/ambasadorzy",
            &pairs(&ambassador_pairs("anna@example.pl")),
        ))
        .await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    let html = page.page();
    assert!(html.contains("Wystąpił błąd"));
    assert!(!html.contains("secret"));
}

#[tokio::test]
async fn the_same_person_again_gets_the_same_answer_and_no_duplicate() {
    let app = app_at(march_5());
    let first = app
        .send(post_json(
            "/api/forms/ambasadorzy",
            &ambassador_json("anna@example.pl"),
        ))
        .await;
    let second = app
        .send(post_json(
            "/api/forms/ambasadorzy",
            &ambassador_json("Anna@Example.PL"),
        ))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(first.json(), second.json());
    assert_eq!(second.json()["reference"], serde_json::Value::Null);
    let counts = app
        .service
        .store()
        .counts("ambasadorzy", march_5())
        .await
        .expect("counts");
    assert_eq!(counts.pending, 1);
    let reference = app.reference_of("ambasadorzy", "anna@example.pl").await;
    assert!(!second.body.contains(&reference));
    assert!(app
        .mails()
        .iter()
        .any(|(name, _)| name == &format!("{reference}-ponowne-zgloszenie.eml")));
}

// ---- confirmation and withdrawal ----

#[tokio::test]
async fn confirming_is_a_page_then_a_post() {
    let app = app_at(march_5());
    let answer = app
        .send(post_form(
            "/api/forms/ambasadorzy",
            &pairs(&ambassador_pairs("anna@example.pl")),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let reference = app.reference_of("ambasadorzy", "anna@example.pl").await;
    let link = app.link(&format!("{reference}-zgloszenie.eml"), "potwierdz");
    assert!(
        link.starts_with("/api/forms/ambasadorzy/potwierdz?token="),
        "{link}"
    );
    let token = link.split("token=").nth(1).expect("a token").to_owned();

    // Opening the link (or a mail scanner fetching it) changes nothing.
    for _ in 0..2 {
        let page = app.send(get(&link)).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.page();
        assert!(html.contains("<form method=\"post\" action=\"/api/forms/ambasadorzy/potwierdz\">"));
        assert!(html.contains(&format!(
            "<input type=\"hidden\" name=\"token\" value=\"{token}\">"
        )));
        assert!(html.contains(">Potwierdź zgłoszenie</button>"));
    }
    let counts = app
        .service
        .store()
        .counts("ambasadorzy", march_5())
        .await
        .expect("counts");
    assert_eq!((counts.pending, counts.taken), (1, 0));

    // The button confirms.
    let confirmed = app
        .send(post_form(
            "/api/forms/ambasadorzy/potwierdz",
            &[("token", &token)],
        ))
        .await;
    assert_eq!(confirmed.status, StatusCode::OK);
    let html = confirmed.page();
    assert!(html.contains("Zgłoszenie potwierdzone"));
    assert!(html.contains(&reference));
    let next = app.form("ambasadorzy").next_steps.expect("next steps");
    assert!(html.contains(&next), "what happens next: {html}");
    assert!(
        html.contains(&format!("mailto:{CONTACT}")),
        "contact details"
    );
    assert!(html.contains("Twoje zgłoszenie jest przyjęte."), "{html}");
    let counts = app
        .service
        .store()
        .counts("ambasadorzy", march_5())
        .await
        .expect("counts");
    assert_eq!((counts.pending, counts.taken), (0, 1));

    // Again: the same outcome, nothing changes.
    let again = app
        .send(post_form(
            "/api/forms/ambasadorzy/potwierdz",
            &[("token", &token)],
        ))
        .await;
    assert_eq!(again.status, StatusCode::OK);

    // An unknown token, a missing one, another form.
    let unknown = app
        .send(post_form(
            "/api/forms/ambasadorzy/potwierdz",
            &[("token", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")],
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.page().contains("Nie znaleźliśmy zgłoszenia"));
    assert_eq!(
        app.send(get("/api/forms/ambasadorzy/potwierdz"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let elsewhere = app
        .send(post_form(
            "/api/forms/dolacz-do-procesu/potwierdz",
            &[("token", &token)],
        ))
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_confirmed_workshop_application_awaits_the_draw() {
    let app = app_at(march_5());
    let answer = app
        .send(post_json(
            "/api/forms/warsztaty-wspolne-projekty-miejskie-2020",
            &serde_json::json!({
                "full_name": "Jan Kowalski",
                "email": "jan@example.pl",
                "attends_all": true,
                "processing": true,
            }),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let reference = app
        .reference_of("warsztaty-wspolne-projekty-miejskie-2020", "jan@example.pl")
        .await;
    let link = app.link(&format!("{reference}-zgloszenie.eml"), "potwierdz");
    let token = link.split("token=").nth(1).expect("a token").to_owned();
    let confirmed = app
        .send(post_form(
            "/api/forms/warsztaty-wspolne-projekty-miejskie-2020/potwierdz",
            &[("token", &token)],
        ))
        .await;
    assert_eq!(confirmed.status, StatusCode::OK);
    assert!(confirmed.page().contains("weźmie udział w losowaniu"));
}

#[tokio::test]
async fn withdrawing_erases_the_registration_and_promotes_the_first_waiting() {
    let app = app_at(march_5());
    let mut references = Vec::new();
    for (name, email) in [
        ("Anna Nowak", "anna@example.pl"),
        ("Jan Kowalski", "jan@example.pl"),
    ] {
        let answer = app
            .send(post_json(
                "/api/forms/spacer",
                &serde_json::json!({ "full_name": name, "email": email, "processing": true }),
            ))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED);
        assert_eq!(answer.json()["status"], "registered");
        references.push(
            answer.json()["reference"]
                .as_str()
                .expect("a reference")
                .to_owned(),
        );
    }
    // The third, from a browser, is told they are waiting.
    let third = app
        .send(post_form(
            "/api/forms/spacer",
            &[
                ("full_name", "Ewa Zielińska"),
                ("email", "ewa@example.pl"),
                ("processing", "tak"),
            ],
        ))
        .await;
    assert_eq!(third.status, StatusCode::SEE_OTHER);
    let location = third.header(header::LOCATION).to_owned();
    let waiting_reference = location.rsplit('/').next().expect("a reference").to_owned();
    let page = app.send(get(&location)).await;
    let html = page.page();
    assert!(html.contains("liście oczekujących"), "{html}");
    assert!(html.contains("Spotykamy się 28 marca"));
    assert!(
        !html.contains("Sprawdź skrzynkę"),
        "no confirmation step on this form"
    );

    let status = app
        .send(
            Request::get("/api/forms/spacer")
                .body(Body::empty())
                .expect("a request"),
        )
        .await
        .json();
    assert_eq!(status["places_left"], 0);

    // Anna withdraws through her link: a page first, then the button.
    let link = app.link(&format!("{}-zgloszenie.eml", references[0]), "wycofaj");
    let page = app.send(get(&link)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.page();
    assert!(html.contains("usuniemy dane osobowe"), "{html}");
    assert!(html.contains("pierwsza osoba z listy oczekujących"));
    assert!(html.contains("<form method=\"post\" action=\"/api/forms/spacer/wycofaj\">"));
    assert!(html.contains(">Wycofaj zgłoszenie</button>"));
    assert!(app
        .service
        .store()
        .find("spacer", &references[0], march_5())
        .await
        .expect("read")
        .is_some_and(|r| r.status == Status::Registered));

    let token = link.split("token=").nth(1).expect("a token").to_owned();
    let withdrawn = app
        .send(post_form("/api/forms/spacer/wycofaj", &[("token", &token)]))
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK);
    assert!(withdrawn.page().contains("Zgłoszenie wycofane"));

    let anna = app
        .service
        .store()
        .find("spacer", &references[0], march_5())
        .await
        .expect("read");
    assert!(
        anna.as_ref()
            .is_none_or(|r| r.status == Status::Withdrawn && r.values.is_empty()),
        "personal data erased: {anna:?}"
    );
    let ewa = app
        .service
        .store()
        .find("spacer", &waiting_reference, march_5())
        .await
        .expect("read")
        .expect("still there");
    assert_eq!(ewa.status, Status::Registered, "promoted");
    // The pages after each submission say so now.
    let withdrawn = app
        .send(get(&format!(
            "/api/forms/spacer/zgloszenie/{}",
            references[0]
        )))
        .await;
    assert_eq!(withdrawn.status, StatusCode::NOT_FOUND);
    let promoted = app
        .send(get(&format!(
            "/api/forms/spacer/zgloszenie/{waiting_reference}"
        )))
        .await;
    assert!(promoted.page().contains("Masz zapewnione miejsce."));
    assert!(app
        .mails()
        .iter()
        .any(|(name, _)| name == &format!("{waiting_reference}-registered.eml")));
    let counts = app
        .service
        .store()
        .counts("spacer", march_5())
        .await
        .expect("counts");
    assert_eq!((counts.taken, counts.waiting), (2, 0));

    // The link works once.
    let again = app
        .send(post_form("/api/forms/spacer/wycofaj", &[("token", &token)]))
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(again.page().contains("zostało już wycofane"));
}

#[tokio::test]
async fn the_status_shows_counts_and_no_personal_data() {
    let app = app_at(march_5());
    app.send(post_json(
        "/api/forms/ambasadorzy",
        &ambassador_json("anna@example.pl"),
    ))
    .await;
    let answer = app
        .send(
            Request::get("/api/forms/ambasadorzy")
                .body(Body::empty())
                .expect("a request"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    // The same for everyone, so CloudFront and browsers may reuse it a
    // few seconds (infra/template.yaml, `ApiCache`).
    assert_eq!(answer.header(header::CACHE_CONTROL), "public, max-age=5");
    let status = answer.json();
    assert_eq!(status["id"], "ambasadorzy");
    assert_eq!(status["open"], true);
    assert_eq!(status["state"], "open");
    assert_eq!(status["opens"], "2020-02-19");
    assert_eq!(status["closes"], "2020-03-31T23:59:00+02:00");
    assert_eq!(status["allocation"], "first_come");
    assert_eq!(status["capacity"], serde_json::Value::Null);
    // No counts of registrations: the page shows places left alone.
    assert_eq!(status["counts"], serde_json::Value::Null);
    assert_eq!(status["places_left"], serde_json::Value::Null);
    for personal in ["anna", "Nowak", "Kabel", "@"] {
        assert!(
            !answer.body.contains(personal),
            "{personal} in {}",
            answer.body
        );
    }

    let workshops = app
        .send(
            Request::get("/api/forms/warsztaty-wspolne-projekty-miejskie-2020")
                .body(Body::empty())
                .expect("a request"),
        )
        .await
        .json();
    assert_eq!(workshops["allocation"], "lottery");
    assert_eq!(workshops["capacity"], 60);
    assert_eq!(workshops["places_left"], serde_json::Value::Null);
}

// ---- the fill-time stamp ----

/// What the store holds for `email` on `form_id`: its status and why it
/// is suspected spam.
async fn stored_as<S: Store + 'static>(
    app: &App<S>,
    form_id: &str,
    email: &str,
) -> Option<(Status, Option<String>)> {
    app.service
        .store()
        .list(form_id, march_5())
        .await
        .expect("listed")
        .into_iter()
        .find(|r| r.values.get("email").map(String::as_str) == Some(email))
        .map(|r| (r.status, r.spam))
}

#[tokio::test]
async fn the_status_gives_out_a_stamp_that_times_the_form() {
    let app = app_at(march_5());
    let status = app
        .send(
            Request::get("/api/forms/ambasadorzy")
                .body(Body::empty())
                .expect("a request"),
        )
        .await
        .json();
    let given_out = status["started_at"].as_str().expect("a stamp").to_owned();
    assert!(
        given_out.starts_with(&format!("{}.", march_5().timestamp_millis())),
        "{given_out}"
    );
    // Sent at once: faster than a person can.
    let mut body = ambassador_json("hasty@example.pl");
    body["started_at"] = given_out.clone().into();
    let answer = app.send(post_json("/api/forms/ambasadorzy", &body)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "answered as anyone");
    let (status, reason) = stored_as(&app, "ambasadorzy", "hasty@example.pl")
        .await
        .expect("kept");
    assert_eq!(status, Status::Spam);
    assert!(reason.is_some_and(|r| r.contains("ms after")));

    // The same stamp, sent a minute later by a person.
    let later = app_with(
        SqliteStore::in_memory().expect("a store"),
        march_5() + chrono::Duration::minutes(1),
        100,
    );
    let mut body = ambassador_json("calm@example.pl");
    body["started_at"] = given_out.into();
    let answer = later.send(post_json("/api/forms/ambasadorzy", &body)).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(
        stored_as(&later, "ambasadorzy", "calm@example.pl").await,
        Some((Status::Pending, None))
    );
    assert_eq!(later.mails().len(), 1, "the confirmation e-mail");
}

#[tokio::test]
async fn a_forged_or_missing_stamp_is_kept_apart_as_spam() {
    let app = app_at(march_5());
    let browser_clock = (march_5() - chrono::Duration::minutes(5))
        .timestamp_millis()
        .to_string();
    let other_form = stamp("warsztaty-wspolne-projekty-miejskie-2020");
    let min = i64::MIN.to_string();
    let forged: Vec<(&str, Option<&str>)> = vec![
        ("abc@example.pl", Some("abc")),
        ("exp@example.pl", Some("1e30")),
        ("minus@example.pl", Some("-1")),
        ("min@example.pl", Some(&min)),
        ("clock@example.pl", Some(&browser_clock)),
        ("other@example.pl", Some(&other_form)),
        ("absent@example.pl", None),
    ];
    for (email, started_at) in &forged {
        let mut body = ambassador_json(email);
        let object = body.as_object_mut().expect("an object");
        match started_at {
            Some(value) => {
                object.insert("started_at".to_owned(), (*value).into());
            }
            None => {
                object.remove("started_at");
            }
        }
        // Not through post_json, which would add a good stamp.
        let answer = app
            .send(post_raw(
                "/api/forms/ambasadorzy",
                "application/json",
                body.to_string(),
            ))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{email}: {}",
            answer.body
        );
        assert_eq!(
            answer.json()["status"],
            "pending",
            "{email}: the bot learns nothing"
        );
        let (status, reason) = stored_as(&app, "ambasadorzy", email)
            .await
            .unwrap_or_else(|| panic!("{email} was dropped, not kept"));
        assert_eq!(status, Status::Spam, "{email}");
        assert!(
            reason.is_some_and(|r| r.contains("stamp")),
            "{email}: the reason names the stamp"
        );
    }
    assert!(app.mails().is_empty(), "no e-mail to a bot's address");
    let counts = app
        .service
        .store()
        .counts("ambasadorzy", march_5())
        .await
        .expect("counted");
    assert_eq!(counts, Counts::default(), "spam never counts");
}

#[tokio::test]
async fn a_form_sent_without_its_script_comes_back_once_with_a_stamp() {
    let app = app_at(march_5());
    // What the built page sends when its script did not run: the field,
    // empty.
    let mut pairs = ambassador_pairs("zofia@example.pl");
    pairs.push(("started_at", String::new()));
    let answer = app
        .send(post_form("/api/forms/ambasadorzy", &self::pairs(&pairs)))
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = answer.page();
    assert!(
        html.contains("<h1>Sprawdź odpowiedzi i wyślij ponownie</h1>"),
        "{html}"
    );
    assert!(html.contains("nie jest jeszcze zapisane"), "{html}");
    assert!(
        html.contains("value=\"zofia@example.pl\""),
        "values kept: {html}"
    );
    assert!(html.contains("Osiedle Kabel</textarea>"), "{html}");
    assert_eq!(
        stored_as(&app, "ambasadorzy", "zofia@example.pl").await,
        None,
        "nothing stored yet"
    );
    assert!(app.mails().is_empty());
    let marker = "name=\"started_at\" value=\"";
    let from = html.find(marker).expect("a stamp in the form") + marker.len();
    let given_out = &html[from..from + html[from..].find('"').expect("the value's end")];
    assert!(!given_out.is_empty());

    // The person sends it again, two seconds later: stored, mailed. The
    // time already spent filling the form in counts.
    let later = App {
        router: router(
            Arc::clone(&app.service),
            fixed_clock(march_5() + chrono::Duration::seconds(2)),
        ),
        service: Arc::clone(&app.service),
        outbox: app.outbox,
    };
    let mut again = ambassador_pairs("zofia@example.pl");
    again.push(("started_at", given_out.to_owned()));
    let answer = later
        .send(post_form("/api/forms/ambasadorzy", &self::pairs(&again)))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(
        stored_as(&later, "ambasadorzy", "zofia@example.pl").await,
        Some((Status::Pending, None))
    );
    assert_eq!(later.mails().len(), 1);

    // A script whose status request failed sends an empty stamp too: it
    // gets the message and a stamp to send with.
    let mut body = ambassador_json("piotr@example.pl");
    body["started_at"] = "".into();
    let answer = later.send(post_json("/api/forms/ambasadorzy", &body)).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let json = answer.json();
    assert_eq!(json["errors"][0]["field"], "started_at");
    assert!(json["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("wyślij formularz jeszcze raz")));
    assert!(json["started_at"].as_str().is_some_and(|s| !s.is_empty()));
}

// ---- the page after a submission ----

#[tokio::test]
async fn the_page_after_a_submission_states_what_the_store_holds() {
    let app = app_at(march_5());
    // A reference that was never given: no page, whatever the address says.
    for path in [
        "/api/forms/spacer/zgloszenie/AAAA-AAAA",
        "/api/forms/spacer/zgloszenie/AAAA-AAAA?stan=registered",
        "/api/forms/spacer/zgloszenie/AAAA-AAAA?stan=selected",
    ] {
        let answer = app.send(get(path)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!answer.page().contains("Masz"), "{path}");
        assert!(!answer.body.contains("AAAA-AAAA"), "{path}");
    }

    // Two places, three people: the third waits, whatever the address says.
    let mut references = Vec::new();
    for (i, name) in ["anna", "bartek", "celina"].into_iter().enumerate() {
        let answer = app
            .send(from(
                post_json(
                    "/api/forms/spacer",
                    &serde_json::json!({
                        "full_name": "Anna Nowak",
                        "email": format!("{name}@example.pl"),
                        "processing": true,
                    }),
                ),
                &format!("10.0.0.{i}:1000"),
            ))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        let reference = answer.json()["reference"]
            .as_str()
            .expect("a reference")
            .to_owned();
        references.push(reference);
    }
    let page = |reference: &str, query: &str| {
        app.send(get(&format!(
            "/api/forms/spacer/zgloszenie/{reference}{query}"
        )))
    };
    let first = page(&references[0], "").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.page().contains("Masz zapewnione miejsce."),
        "{}",
        first.body
    );
    let third = page(&references[2], "?stan=registered").await;
    assert_eq!(third.status, StatusCode::OK);
    let html = third.page();
    assert!(html.contains(&references[2]));
    assert!(html.contains("liście oczekujących, na pozycji 1"), "{html}");
    assert!(
        !html.contains("Masz zapewnione miejsce"),
        "the address is not believed: {html}"
    );
}

// ---- the same router under Lambda's event shapes ----

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .expect("a fixture")
}

async fn send_event(router: &Router, event: &str) -> Answer {
    let request = lambda_http::request::from_str(event).expect("an API Gateway v2 event");
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router never fails");
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("a readable body");
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8(bytes.to_vec()).expect("UTF-8"),
    }
}

#[tokio::test]
async fn lambda_events_get_the_same_answers() {
    let app = app_at(march_5());

    let browser = send_event(
        &app.router,
        &fixture("apigw_v2_post_urlencoded_base64.json"),
    )
    .await;
    assert_eq!(browser.status, StatusCode::SEE_OTHER, "{}", browser.body);
    assert_eq!(
        browser.header(header::LOCATION),
        "/api/forms/ambasadorzy/wyslane"
    );
    assert!(app
        .mails()
        .iter()
        .any(|(_, text)| text.contains("To: anna.lambda@example.pl")));

    let json = send_event(&app.router, &fixture("apigw_v2_post_json.json")).await;
    assert_eq!(json.status, StatusCode::CREATED, "{}", json.body);
    assert_eq!(json.json()["status"], "pending");

    let status = send_event(&app.router, &fixture("apigw_v2_get_status.json")).await;
    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(status.json()["id"], "ambasadorzy");
    let counts = app
        .service
        .store()
        .counts("ambasadorzy", march_5())
        .await
        .expect("counts");
    assert_eq!(counts.pending, 2);

    // The same submission again is the same person: no duplicate.
    let again = send_event(&app.router, &fixture("apigw_v2_post_json.json")).await;
    assert_eq!(again.json(), json.json());
}

#[tokio::test]
async fn under_lambda_the_rate_limit_counts_the_gateway_source_address() {
    let app = app_with(SqliteStore::in_memory().expect("a store"), march_5(), 1);
    let event = |email: &str, source: &str| {
        let mut event: serde_json::Value =
            serde_json::from_str(&fixture("apigw_v2_post_json.json")).expect("a JSON fixture");
        event["body"] = serde_json::Value::String(ambassador_json(email).to_string());
        event["headers"]
            .as_object_mut()
            .expect("headers")
            .remove("content-length");
        event["requestContext"]["http"]["sourceIp"] = serde_json::Value::String(source.to_owned());
        event.to_string()
    };
    let first = send_event(&app.router, &event("a@example.pl", "203.0.113.40")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let second = send_event(&app.router, &event("b@example.pl", "203.0.113.40")).await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(second.headers.contains_key(header::RETRY_AFTER));
    // The X-Forwarded-For header of the fixture is not what counts.
    let third = send_event(&app.router, &event("c@example.pl", "198.51.100.41")).await;
    assert_eq!(third.status, StatusCode::CREATED);
}

#[tokio::test]
async fn behind_cloudfront_the_viewer_address_is_limited_not_the_edge() {
    let app = app_with(SqliteStore::in_memory().expect("a store"), march_5(), 1);
    let behind_cdn = router_with(
        Arc::clone(&app.service),
        fixed_clock(march_5()),
        HttpSettings {
            client_address_header: Some("CloudFront-Viewer-Address".to_owned()),
            ..HttpSettings::default()
        },
    );
    // Every request reaches API Gateway from the same CloudFront edge.
    let event = |email: &str, viewer: &str| {
        let mut event: serde_json::Value =
            serde_json::from_str(&fixture("apigw_v2_post_json.json")).expect("a JSON fixture");
        event["body"] = serde_json::Value::String(ambassador_json(email).to_string());
        let headers = event["headers"].as_object_mut().expect("headers");
        headers.remove("content-length");
        headers.insert(
            "cloudfront-viewer-address".to_owned(),
            serde_json::Value::String(viewer.to_owned()),
        );
        event["requestContext"]["http"]["sourceIp"] =
            serde_json::Value::String("130.176.10.5".to_owned());
        event.to_string()
    };
    let first = send_event(&behind_cdn, &event("a@example.pl", "203.0.113.40:50123")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let other_person = send_event(&behind_cdn, &event("b@example.pl", "198.51.100.41:443")).await;
    assert_eq!(
        other_person.status,
        StatusCode::CREATED,
        "residents behind one edge are not one client"
    );
    let same_person = send_event(&behind_cdn, &event("c@example.pl", "203.0.113.40:50999")).await;
    assert_eq!(same_person.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn through_the_lambda_adapter_answers_are_api_gateway_responses() {
    use lambda_http::{Context, LambdaEvent, Service as _};

    let app = app_at(march_5());
    let mut adapter = lambda_http::Adapter::from(app.router.clone());
    let mut call = |name: &str| {
        let payload: lambda_http::request::LambdaRequest =
            serde_json::from_str(&fixture(name)).expect("an API Gateway v2 event");
        adapter.call(LambdaEvent::new(payload, Context::default()))
    };
    let browser = call("apigw_v2_post_urlencoded_base64.json")
        .await
        .expect("an answer");
    let browser = serde_json::to_value(&browser).expect("a Lambda response");
    assert_eq!(browser["statusCode"], 303);
    assert_eq!(
        browser["headers"]["location"],
        "/api/forms/ambasadorzy/wyslane"
    );

    let status = call("apigw_v2_get_status.json").await.expect("an answer");
    let status = serde_json::to_value(&status).expect("a Lambda response");
    assert_eq!(status["statusCode"], 200);
    assert_eq!(status["isBase64Encoded"], false);
    assert_eq!(
        status["headers"]["content-type"],
        "application/json; charset=utf-8"
    );
    let body: serde_json::Value =
        serde_json::from_str(status["body"].as_str().expect("a text body")).expect("JSON");
    assert_eq!(body["id"], "ambasadorzy");
    assert_eq!(body["open"], true);
}

#[tokio::test]
async fn no_more_mail_goes_to_an_address_that_bounced() {
    let app = app_at(march_5());
    let first = app
        .send(post_json(
            "/api/forms/ambasadorzy",
            &ambassador_json("anna@example.pl"),
        ))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let reference = app.reference_of("ambasadorzy", "anna@example.pl").await;
    let sent = app.mails().len();
    assert!(sent > 0, "the confirmation went out");
    // SES reported a permanent bounce (crate::mail_events).
    assert!(app
        .service
        .store()
        .mark_mail_problem("ambasadorzy", &reference, MailProblem::Bounced)
        .await
        .expect("marked"));
    // The same person again: answered as ever, but nothing is sent.
    let again = app
        .send(post_json(
            "/api/forms/ambasadorzy",
            &ambassador_json("anna@example.pl"),
        ))
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(app.mails().len(), sent, "no e-mail to a bounced address");
}
