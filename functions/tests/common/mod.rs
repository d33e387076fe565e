//! What the workspace's HTTP stories share: the workspace over a store as
//! a test deploys it (the Kraków forms, one office account, a clock the
//! test moves on, the outbox, what it publishes), and a browser of our own
//! pages: requests with the session cookie, signing in through the
//! e-mailed link, the CSRF token of a page.
//!
//! Each story file compiles this module and uses a part of it.
#![allow(dead_code)]

use agora_test_support::fixture::{self, TempOutbox};
use agora_test_support::publishing::Recorded;
use agora_test_support::workspace::access_settings;

use std::collections::HashSet;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use agora_core::forms::FormDefinition;
use agora_core::ideas::IdeaRecords;
use agora_core::panel::{Account, AuditEntry, PanelStore, Publisher, Role, StaffRecords};
use agora_core::service::Service;
use agora_core::store::Store;
use agora_functions::http::{panel, Clock, HttpSettings};
use agora_stores::outbox::Outbox;
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use tower::ServiceExt;

/// The test deployment's one office account.
pub(crate) const OFFICE: &str = "biuro@example.pl";

const LINK: &str = "/panel/logowanie/link?token=";

/// What every store these stories run on can do.
pub(crate) trait Stored:
    Store + PanelStore + StaffRecords + IdeaRecords + Clone + 'static
{
}
impl<S: Store + PanelStore + StaffRecords + IdeaRecords + Clone + 'static> Stored for S {}

/// The workspace on the one router of Lambda and `agora serve`.
pub(crate) struct Workspace<S> {
    router: Router,
    pub(crate) service: Arc<Service<S, Outbox>>,
    pub(crate) outbox: TempOutbox,
    /// What the workspace published to the site.
    pub(crate) published: Arc<Recorded>,
    start: DateTime<Utc>,
    /// How far the clock has moved on from `start`.
    minutes: Arc<AtomicI64>,
    /// The sign-in links used so far.
    used_links: Mutex<HashSet<String>>,
}

/// The workspace over `forms` and `store`, its clock at `start`;
/// [`OFFICE`] is its office account.
pub(crate) fn workspace<S: Stored>(
    store: S,
    forms: Vec<FormDefinition>,
    start: DateTime<Utc>,
) -> Workspace<S> {
    workspace_reading(store, forms, start, None)
}

/// As [`workspace`], reading the site's data files (the verifying units)
/// from `content_dir`.
pub(crate) fn workspace_reading<S: Stored>(
    store: S,
    forms: Vec<FormDefinition>,
    start: DateTime<Utc>,
    content_dir: Option<PathBuf>,
) -> Workspace<S> {
    let (service, outbox) = fixture::service(forms, store, 100);
    let service = Arc::new(service);
    let minutes = Arc::new(AtomicI64::new(0));
    let clock: Clock = {
        let minutes = Arc::clone(&minutes);
        Arc::new(move || start + Duration::minutes(minutes.load(Ordering::SeqCst)))
    };
    let http = HttpSettings {
        sign_in_answer_floor: StdDuration::ZERO,
        content_dir,
        ..HttpSettings::default()
    };
    let published = Arc::new(Recorded::default());
    let publisher = Arc::clone(&published) as Arc<dyn Publisher>;
    let access = access_settings(&[OFFICE]);
    let router = panel::with_forms(Arc::clone(&service), access, clock, http, publisher);
    Workspace {
        router,
        service,
        outbox,
        published,
        start,
        minutes,
        used_links: Mutex::default(),
    }
}

/// The workspace and the form a story is about, as the story changed it.
pub(crate) struct Desk<S> {
    pub(crate) panel: Workspace<S>,
    pub(crate) form: FormDefinition,
}

impl<S> Deref for Desk<S> {
    type Target = Workspace<S>;

    fn deref(&self) -> &Workspace<S> {
        &self.panel
    }
}

/// An answer of the workspace, its body as text.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub(crate) fn location(&self) -> &str {
        self.header(header::LOCATION)
    }

    /// The session cookie this answer sets: `name=value`.
    pub(crate) fn session_cookie(&self) -> String {
        let set = self.header(header::SET_COOKIE);
        assert!(!set.is_empty(), "no cookie set: {:?}", self.headers);
        set.split(';').next().unwrap_or_default().to_owned()
    }

    /// The CSRF token of the page's forms.
    pub(crate) fn csrf(&self) -> String {
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

    pub(crate) fn has(&self, part: &str) -> bool {
        self.body.contains(part)
    }

    /// Whether it sends the browser to the sign-in page.
    pub(crate) fn leads_to_sign_in(&self) -> bool {
        self.status == StatusCode::SEE_OTHER && self.location() == "/panel/logowanie"
    }
}

impl<S: Stored> Workspace<S> {
    pub(crate) fn store(&self) -> &S {
        self.service.store()
    }

    /// The workspace's clock.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.start + Duration::minutes(self.minutes.load(Ordering::SeqCst))
    }

    /// Moves the clock on by `time`.
    pub(crate) fn later(&self, time: Duration) {
        self.minutes.fetch_add(time.num_minutes(), Ordering::SeqCst);
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> Answer {
        answer_of(&self.router, request).await
    }

    /// A page, in the session `cookie` if any.
    pub(crate) async fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).expect("a request"))
            .await
    }

    /// A form posted from our own page (`Sec-Fetch-Site: same-origin`).
    pub(crate) async fn post(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> Answer {
        self.post_from("same-origin", path, cookie, fields).await
    }

    /// A form posted from `site` (the browser's `Sec-Fetch-Site`).
    pub(crate) async fn post_from(
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

    /// The CSRF token of the session's pages.
    pub(crate) async fn csrf(&self, cookie: &str) -> String {
        self.get("/panel/", Some(cookie)).await.csrf()
    }

    /// A press of a page's button: its form at `path` posted with
    /// `fields` and the session's token.
    pub(crate) async fn press(&self, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf(cookie).await;
        let mut fields = fields.to_vec();
        fields.push(("csrf", &csrf));
        self.post(path, Some(cookie), &fields).await
    }

    /// The messages to `email` so far.
    pub(crate) fn mails_to(&self, email: &str) -> Vec<String> {
        let to = format!("To: {email}");
        let mails = self.outbox.mails().into_iter().map(|(_, text)| text);
        mails.filter(|text| text.contains(&to)).collect()
    }

    /// The token of the one sign-in link to `email` not used before (the
    /// outbox names its files by hash, not in the order of sending).
    pub(crate) fn link_token(&self, email: &str) -> String {
        let mut used = self.used_links.lock().expect("not poisoned");
        let fresh: Vec<String> = self
            .mails_to(email)
            .iter()
            .filter_map(|mail| {
                let start = mail.find(LINK)? + LINK.len();
                let token = mail[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
                Some(token.collect::<String>())
            })
            .filter(|token| !used.contains(token))
            .collect();
        assert_eq!(fresh.len(), 1, "one new sign-in link to {email}");
        used.insert(fresh[0].clone());
        fresh[0].clone()
    }

    /// Signs `email` in through the e-mailed link; the session cookie.
    pub(crate) async fn sign_in(&self, email: &str) -> String {
        let asked = self
            .post("/panel/logowanie", None, &[("email", email)])
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        let token = self.link_token(email);
        let page = self.get(&format!("{LINK}{token}"), None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.has(&token), "the button carries the token");
        let signed = self
            .post("/panel/logowanie/link", None, &[("token", &token)])
            .await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
        assert_eq!(signed.location(), "/panel/");
        signed.session_cookie()
    }

    /// The office (signed in with `office`) adds an account; the answer.
    pub(crate) async fn add_account(
        &self,
        office: &str,
        email: &str,
        role: &str,
        area: &str,
    ) -> Answer {
        let fields = [("email", email), ("role", role), ("area", area)];
        self.press("/panel/konta", office, &fields).await
    }

    /// An account of `role` put straight into the store, added by the office.
    pub(crate) async fn put_account(&self, email: &str, role: Role, area: Option<&str>) {
        let account = Account {
            email: email.to_owned(),
            role,
            area: area.map(str::to_owned),
            added_by: Some(OFFICE.to_owned()),
            added_at: Some(self.now()),
        };
        self.store()
            .put_account(&account)
            .await
            .expect("an account");
    }

    /// The audit log, newest first.
    pub(crate) async fn audit(&self) -> Vec<AuditEntry> {
        let log = self.store().audit_log(self.now(), 1000).await;
        log.expect("the log")
    }
}

/// The morning of the stories about the Kraków forms' ambassadors:
/// 2 March 2026, 9:00 UTC.
pub(crate) fn march_2026() -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .expect("a valid time")
}

/// The answer of `router` (any of ours, not only the workspace's) to
/// `request`, its body as text.
pub(crate) async fn answer_of(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.expect("an answer");
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 24).await.expect("a body");
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8(bytes.to_vec()).expect("UTF-8"),
    }
}
