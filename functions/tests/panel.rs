//! The staff workspace as an attacker and its users meet it, through the
//! one router of Lambda and `agora serve`, on SQLite and DynamoDB Local:
//! no session leads to the sign-in page; sign-in answers the same for any
//! address; a link works once, briefly, and only as sent; every action
//! needs the session's CSRF token and a request from our own pages; roles
//! see only their part; signing out (here or everywhere) and removing an
//! account end sessions at once; the audit log records each step.

use agora_test_support::fixture::{self, TempOutbox};
use agora_test_support::krakow;

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use agora_core::panel::access::{LINKS_PER_ADDRESS, LINKS_PER_CLIENT};
use agora_core::panel::{AccessSettings, PanelStore, Timeouts};
use agora_core::store::Store;
use agora_functions::http::{panel, Clock, HttpSettings};
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Duration, TimeZone, Utc};
use tower::ServiceExt;

const OFFICE: &str = "biuro@example.pl";
const ELSEWHERE: &str = "https://zly.example";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .expect("a valid time")
}

/// The router of a test deployment whose only office account is
/// [`OFFICE`], with a clock the test moves on.
struct Panel {
    router: Router,
    outbox: TempOutbox,
    minutes: Arc<AtomicI64>,
    /// The sign-in links' tokens read from the outbox so far.
    seen: Mutex<HashSet<String>>,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The session cookie this answer sets: `name=value`.
    fn session_cookie(&self) -> String {
        let set = self
            .headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no cookie set: {:?}", self.headers));
        set.split(';').next().unwrap_or_default().to_owned()
    }

    /// The CSRF token of the page's forms.
    fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no CSRF field in: {}", self.body))
            + marker.len();
        self.body[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect()
    }
}

fn panel<S: Store + PanelStore + Clone + 'static>(store: S) -> Panel {
    let (service, outbox) = fixture::service(krakow::forms(), store.clone(), 100);
    let service = Arc::new(service);
    let minutes = Arc::new(AtomicI64::new(0));
    let clock: Clock = {
        let minutes = Arc::clone(&minutes);
        Arc::new(move || start() + Duration::minutes(minutes.load(Ordering::SeqCst)))
    };
    let access = AccessSettings {
        office: vec![OFFICE.to_owned()],
        public_url: fixture::SITE.to_owned(),
        site_title: "Wspólne Projekty".to_owned(),
        timezone: chrono_tz::Europe::Warsaw,
        key: fixture::SALT.to_owned(),
        timeouts: Timeouts::default(),
        audit_days: 365,
        links_per_address: LINKS_PER_ADDRESS,
        links_per_client: LINKS_PER_CLIENT,
    };
    let http = HttpSettings {
        sign_in_answer_floor: StdDuration::ZERO,
        ..HttpSettings::default()
    };
    Panel {
        router: panel::with_forms(service, access, clock, http),
        outbox,
        minutes,
        seen: Mutex::default(),
    }
}

impl Panel {
    fn later(&self, minutes: i64) {
        self.minutes.fetch_add(minutes, Ordering::SeqCst);
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("an answer");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("a body");
        Answer {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).expect("UTF-8"),
        }
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).expect("a request"))
            .await
    }

    /// A form posted from our own page (`Sec-Fetch-Site: same-origin`).
    async fn post(&self, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Answer {
        self.post_from("same-origin", path, cookie, fields).await
    }

    async fn post_from(
        &self,
        site: &str,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> Answer {
        let body = serde_urlencoded::to_string(fields).expect("a form body");
        let mut request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", site);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body)).expect("a request"))
            .await
    }

    /// The token of the sign-in link mailed to `email` last: the one not
    /// taken from the outbox before.
    fn link_token(&self, email: &str) -> String {
        let marker = "/panel/logowanie/link?token=";
        let mails = self.outbox.mails();
        let mut seen = self.seen.lock().expect("not poisoned");
        let fresh: Vec<String> = mails
            .iter()
            .filter(|(_, text)| text.contains(&format!("To: {email}")))
            .filter_map(|(_, text)| {
                let start = text.find(marker)? + marker.len();
                let token: String = text[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                    .collect();
                (!seen.contains(&token)).then_some(token)
            })
            .collect();
        assert_eq!(fresh.len(), 1, "one new sign-in link to {email}: {mails:?}");
        seen.insert(fresh[0].clone());
        fresh[0].clone()
    }

    fn links_sent(&self) -> usize {
        self.outbox
            .mails()
            .iter()
            .filter(|(_, text)| text.contains("/panel/logowanie/link?token="))
            .count()
    }

    /// Signs `email` in through the e-mailed link; the session cookie.
    async fn sign_in(&self, email: &str) -> String {
        let asked = self
            .post("/panel/logowanie", None, &[("email", email)])
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        let token = self.link_token(email);
        let page = self
            .get(&format!("/panel/logowanie/link?token={token}"), None)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&token), "the button carries the token");
        let signed = self
            .post("/panel/logowanie/link", None, &[("token", &token)])
            .await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
        assert_eq!(signed.location(), "/panel/");
        signed.session_cookie()
    }

    /// The CSRF token of the session's pages.
    async fn csrf(&self, cookie: &str) -> String {
        self.get("/panel/", Some(cookie)).await.csrf()
    }

    /// Office adds an account; the answer.
    async fn add(&self, office: &str, email: &str, role: &str, area: &str) -> Answer {
        let csrf = self.csrf(office).await;
        let fields = [
            ("csrf", csrf.as_str()),
            ("email", email),
            ("role", role),
            ("area", area),
        ];
        self.post("/panel/konta", Some(office), &fields).await
    }
}

fn is_sign_in_redirect(answer: &Answer) -> bool {
    answer.status == StatusCode::SEE_OTHER && answer.location() == "/panel/logowanie"
}

pub async fn without_a_session_every_page_leads_to_sign_in<S>(store: S)
where
    S: Store + PanelStore + Clone + 'static,
{
    let panel = panel(store);
    for path in ["/panel/", "/panel/konta", "/panel/dziennik"] {
        let answer = panel.get(path, None).await;
        assert!(is_sign_in_redirect(&answer), "{path}: {}", answer.status);
        let forged = panel.get(path, Some("__Host-agora-panel=made-up")).await;
        assert!(is_sign_in_redirect(&forged), "{path} with a made-up cookie");
    }
    let answer = panel.post("/panel/wyloguj", None, &[("csrf", "x")]).await;
    assert!(is_sign_in_redirect(&answer));
    let page = panel.get("/panel/logowanie", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("name=\"email\""), "{}", page.body);
    assert_eq!(
        page.headers
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().ok()),
        Some(Some("no-store"))
    );
}

pub async fn sign_in_answers_the_same_whether_or_not_the_address_has_an_account<S>(store: S)
where
    S: Store + PanelStore + Clone + 'static,
{
    let panel = panel(store);
    let office = panel
        .post("/panel/logowanie", None, &[("email", OFFICE)])
        .await;
    let nobody = panel
        .post("/panel/logowanie", None, &[("email", "nikt@example.pl")])
        .await;
    assert_eq!(office.status, StatusCode::OK);
    assert_eq!(nobody.status, office.status);
    assert_eq!(nobody.body, office.body);
    assert_eq!(panel.links_sent(), 1, "a link only to the account");
    let invalid = panel
        .post("/panel/logowanie", None, &[("email", "nie adres")])
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invalid.body.contains("aria-invalid=\"true\""));
}

pub async fn a_link_signs_in_once_and_only_in_time<S>(store: S)
where
    S: Store + PanelStore + Clone + 'static,
{
    let panel = panel(store);
    let cookie = panel.sign_in(OFFICE).await;
    let dashboard = panel.get("/panel/", Some(&cookie)).await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(
        dashboard.body.contains("Formularze i zgłoszenia"),
        "{}",
        dashboard.body
    );

    panel
        .post("/panel/logowanie", None, &[("email", OFFICE)])
        .await;
    let used = panel.link_token(OFFICE);
    let first = panel
        .post("/panel/logowanie/link", None, &[("token", &used)])
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let again = panel
        .post("/panel/logowanie/link", None, &[("token", &used)])
        .await;
    assert_eq!(again.status, StatusCode::GONE, "a link works once");
    assert!(again.headers.get(header::SET_COOKIE).is_none());

    let made_up = panel
        .post(
            "/panel/logowanie/link",
            None,
            &[("token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")],
        )
        .await;
    assert_eq!(made_up.status, StatusCode::GONE, "a link never sent");

    panel
        .post("/panel/logowanie", None, &[("email", OFFICE)])
        .await;
    let late = panel.link_token(OFFICE);
    panel.later(16);
    let expired = panel
        .post("/panel/logowanie/link", None, &[("token", &late)])
        .await;
    assert_eq!(
        expired.status,
        StatusCode::GONE,
        "a quarter of an hour later"
    );
}

pub async fn a_post_from_another_site_is_refused<S>(store: S)
where
    S: Store + PanelStore + Clone + 'static,
{
    let panel = panel(store);
    let asked = panel
        .post_from("cross-site", "/panel/logowanie", None, &[("email", OFFICE)])
        .await;
    assert_eq!(asked.status, StatusCode::FORBIDDEN);
    assert_eq!(panel.links_sent(), 0);

    panel
        .post("/panel/logowanie", None, &[("email", OFFICE)])
        .await;
    let token = panel.link_token(OFFICE);
    let request = Request::post("/panel/logowanie/link")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, ELSEWHERE)
        .header(header::HOST, "example.org")
        .body(Body::from(format!("token={token}")))
        .expect("a request");
    let forced = panel.send(request).await;
    assert_eq!(forced.status, StatusCode::FORBIDDEN, "login CSRF");
    assert!(forced.headers.get(header::SET_COOKIE).is_none());
    // The link is still good for its owner.
    let owner = panel
        .post("/panel/logowanie/link", None, &[("token", &token)])
        .await;
    assert_eq!(owner.status, StatusCode::SEE_OTHER);
}

pub async fn every_action_needs_the_sessions_csrf_token<S>(store: S)
where
    S: Store + PanelStore + Clone + 'static,
{
    let panel = panel(store);
    let cookie = panel.sign_in(OFFICE).await;
    let other = panel.sign_in(OFFICE).await;
    let others_token = panel.csrf(&other).await;
    for fields in [
        vec![],
        vec![("csrf", "")],
        vec![("csrf", "00ff")],
        vec![("csrf", others_token.as_str())],
    ] {
        let refused = panel.post("/panel/wyloguj", Some(&cookie), &fields).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{fields:?}");
        let added = panel
            .post(
                "/panel/konta",
                Some(&cookie),
                &[
                    fields.clone(),
                    vec![("email", "z@example.pl"), ("role", "verifier")],
                ]
                .concat(),
            )
            .await;
        assert_eq!(added.status, StatusCode::FORBIDDEN, "{fields:?}");
    }
    assert!(panel.get("/panel/", Some(&cookie)).await.status == StatusCode::OK);
    let accounts = panel.get("/panel/konta", Some(&cookie)).await;
    assert!(!accounts.body.contains("z@example.pl"), "nothing was added");
    let csrf = panel.csrf(&cookie).await;
    let cross = panel
        .post_from(
            "cross-site",
            "/panel/wyloguj",
            Some(&cookie),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN, "even with the token");
}

pub async fn a_signed_out_session_cannot_be_used_again<S>(store: S)
where
    S: Store + PanelStore + Clone + 'static,
{
    let panel = panel(store);
    let cookie = panel.sign_in(OFFICE).await;
    let csrf = panel.csrf(&cookie).await;
    let out = panel
        .post("/panel/wyloguj", Some(&cookie), &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/panel/logowanie?wylogowano");
    let cleared = out
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // A copy of the cookie kept by an attacker is worth nothing now.
    assert!(is_sign_in_redirect(
        &panel.get("/panel/", Some(&cookie)).await
    ));
    let replayed = panel
        .post("/panel/wyloguj", Some(&cookie), &[("csrf", &csrf)])
        .await;
    assert!(is_sign_in_redirect(&replayed));
}

pub async fn signing_out_everywhere_ends_every_session_of_the_account<S>(store: S)
where
    S: Store + PanelStore + Clone + 'static,
{
    let panel = panel(store);
    let phone = panel.sign_in(OFFICE).await;
    let laptop = panel.sign_in(OFFICE).await;
    let csrf = panel.csrf(&phone).await;
    let out = panel
        .post("/panel/wyloguj-wszedzie", Some(&phone), &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    for cookie in [&phone, &laptop] {
        assert!(is_sign_in_redirect(
            &panel.get("/panel/", Some(cookie)).await
        ));
    }
}

pub async fn a_session_ends_when_idle<S>(store: S)
where
    S: Store + PanelStore + Clone + 'static,
{
    let panel = panel(store);
    let cookie = panel.sign_in(OFFICE).await;
    panel.later(29);
    assert_eq!(
        panel.get("/panel/", Some(&cookie)).await.status,
        StatusCode::OK
    );
    panel.later(29);
    assert_eq!(
        panel.get("/panel/", Some(&cookie)).await.status,
        StatusCode::OK,
        "each request keeps it alive"
    );
    panel.later(31);
    assert!(is_sign_in_redirect(
        &panel.get("/panel/", Some(&cookie)).await
    ));
}

pub async fn roles_see_only_their_part_and_a_removed_account_is_out_at_once<S>(store: S)
where
    S: Store + PanelStore + Clone + 'static,
{
    let panel = panel(store);
    let office = panel.sign_in(OFFICE).await;
    let added = panel
        .add(&office, "Zofia@Example.pl", "ambassador", "XIII")
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let added = panel.add(&office, "adam@example.pl", "verifier", "").await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let refused = panel.add(&office, "ktos@example.pl", "office", "").await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "office accounts are the configuration's"
    );

    for (email, role_text) in [
        ("zofia@example.pl", "ambasador"),
        ("adam@example.pl", "weryfikator"),
    ] {
        let cookie = panel.sign_in(email).await;
        let dashboard = panel.get("/panel/", Some(&cookie)).await;
        assert_eq!(dashboard.status, StatusCode::OK);
        assert!(dashboard.body.contains(role_text), "{}", dashboard.body);
        assert!(
            !dashboard.body.contains("Formularze i zgłoszenia"),
            "no registrations"
        );
        assert!(!dashboard.body.contains("/panel/konta"), "no office menu");
        for path in ["/panel/konta", "/panel/dziennik"] {
            assert_eq!(
                panel.get(path, Some(&cookie)).await.status,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        let csrf = panel.csrf(&cookie).await;
        let fields = [
            ("csrf", csrf.as_str()),
            ("email", "x@example.pl"),
            ("role", "verifier"),
            ("area", ""),
        ];
        let added = panel.post("/panel/konta", Some(&cookie), &fields).await;
        assert_eq!(added.status, StatusCode::FORBIDDEN);
        let removed = panel
            .post(
                "/panel/konta/usun",
                Some(&cookie),
                &[("csrf", &csrf), ("email", OFFICE)],
            )
            .await;
        assert_eq!(removed.status, StatusCode::FORBIDDEN);
    }

    let zofia = panel.sign_in("zofia@example.pl").await;
    let csrf = panel.csrf(&office).await;
    let removed = panel
        .post(
            "/panel/konta/usun",
            Some(&office),
            &[("csrf", &csrf), ("email", "zofia@example.pl")],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(is_sign_in_redirect(
        &panel.get("/panel/", Some(&zofia)).await
    ));
    panel
        .post("/panel/logowanie", None, &[("email", "zofia@example.pl")])
        .await;
    let sent = panel.links_sent();
    panel
        .post("/panel/logowanie", None, &[("email", "zofia@example.pl")])
        .await;
    assert_eq!(
        panel.links_sent(),
        sent,
        "no more links to a removed account"
    );

    let log = panel.get("/panel/dziennik", Some(&office)).await;
    assert_eq!(log.status, StatusCode::OK);
    for line in [
        "logowanie",
        "dodanie konta",
        "usunięcie konta",
        "zofia@example.pl (ambassador)",
    ] {
        assert!(log.body.contains(line), "{line} in the log: {}", log.body);
    }
}

pub async fn sign_in_links_are_rate_limited_per_address<S>(store: S)
where
    S: Store + PanelStore + Clone + 'static,
{
    let panel = panel(store);
    for _ in 0..LINKS_PER_ADDRESS {
        let answer = panel
            .post("/panel/logowanie", None, &[("email", OFFICE)])
            .await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    let limited = panel
        .post("/panel/logowanie", None, &[("email", OFFICE)])
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let unknown = panel
        .post("/panel/logowanie", None, &[("email", "nikt@example.pl")])
        .await;
    assert_eq!(unknown.status, StatusCode::OK, "counted per address");
    assert_eq!(panel.links_sent(), LINKS_PER_ADDRESS as usize);
}

pub async fn a_refused_account_keeps_what_was_typed_and_names_the_field<S>(store: S)
where
    S: Store + PanelStore + Clone + 'static,
{
    let panel = panel(store);
    let office = panel.sign_in(OFFICE).await;
    let refused = panel
        .add(&office, "zofia@example.pl", "ambassador", " ")
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for part in [
        "href=\"#new-area\"",
        "value=\"zofia@example.pl\"",
        "<option value=\"ambassador\" selected>",
        "aria-invalid=\"true\" aria-describedby=\"new-area-hint new-area-error\"",
        "id=\"new-area-error\"",
    ] {
        assert!(refused.body.contains(part), "{part} in {}", refused.body);
    }
    let bad_address = panel
        .add(&office, "Zofia <z@example.pl>", "verifier", "")
        .await;
    assert_eq!(bad_address.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_address.body.contains("href=\"#new-email\""));
    assert!(bad_address
        .body
        .contains("value=\"Zofia &lt;z@example.pl&gt;\""));
    let accounts = panel.get("/panel/konta", Some(&office)).await;
    assert!(
        !accounts.body.contains("zofia@example.pl"),
        "nothing was added"
    );
}

agora_test_support::on_every_store!(
    a_refused_account_keeps_what_was_typed_and_names_the_field,
    without_a_session_every_page_leads_to_sign_in,
    sign_in_answers_the_same_whether_or_not_the_address_has_an_account,
    a_link_signs_in_once_and_only_in_time,
    a_post_from_another_site_is_refused,
    every_action_needs_the_sessions_csrf_token,
    a_signed_out_session_cannot_be_used_again,
    signing_out_everywhere_ends_every_session_of_the_account,
    a_session_ends_when_idle,
    roles_see_only_their_part_and_a_removed_account_is_out_at_once,
    sign_in_links_are_rate_limited_per_address,
);
