//! An idea's private page over HTTP, on every store: it opens with its
//! link's key only (everything else gets one and the same 404), shows the
//! units' answers by the units' names, takes the resident's one reply
//! from its own form and refuses the rest.

use agora_test_support::fixture::{self, TempOutbox};
use agora_test_support::on_every_store;

use std::path::PathBuf;
use std::sync::Arc;

use agora_core::fill_time::Stamps;
use agora_core::forms::FormDefinition;
use agora_core::ideas::{Answer, IdeaRecord, IdeaRecords, Outcome, Stage};
use agora_core::panel::PanelStore;
use agora_core::registration::{new_token, token_hash};
use agora_core::routes;
use agora_core::service::Service;
use agora_core::store::Store;
use agora_functions::http::lambda::load_forms;
use agora_functions::http::{fixed_clock, router_with_ideas, HttpSettings};
use agora_stores::outbox::Outbox;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use tower::ServiceExt;

const FORM: &str = "pomysly";

/// What every store these stories run on can do.
pub trait Stored: Store + IdeaRecords + PanelStore + 'static {}
impl<S: Store + IdeaRecords + PanelStore + 'static> Stored for S {}

fn march(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, day, 10, 0, 0)
        .single()
        .expect("a valid time")
}

/// The tests' content folder: the form of ideas, its districts and units.
fn content() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/common/ideas-site")
}

struct Site<S> {
    router: Router,
    service: Arc<Service<S, Outbox>>,
    _outbox: TempOutbox,
    form: FormDefinition,
}

/// An idea of the site: its reference and the key of its page's link.
struct Idea {
    reference: String,
    key: String,
}

impl Idea {
    fn page(&self) -> String {
        format!("{}?klucz={}", routes::idea(FORM, &self.reference), self.key)
    }
}

/// An answer as the page receives it.
struct Page {
    status: StatusCode,
    location: String,
    cache: String,
    referrer: String,
    body: String,
}

fn site<S: Stored>(store: S) -> Site<S> {
    let forms = load_forms(&content()).expect("the tests' form");
    let form = forms[0].clone();
    let (service, outbox) = fixture::service(forms, store, 100);
    let service = Arc::new(service);
    let http = HttpSettings {
        content_dir: Some(content()),
        ..HttpSettings::default()
    };
    Site {
        router: router_with_ideas(Arc::clone(&service), fixed_clock(march(5)), http),
        service,
        _outbox: outbox,
        form,
    }
}

impl<S: Stored> Site<S> {
    async fn send(&self, request: Request<Body>) -> Page {
        let router = self.router.clone();
        let response = router.oneshot(request).await.expect("an answer");
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let (location, cache) = (header(header::LOCATION), header(header::CACHE_CONTROL));
        let referrer = header(header::REFERRER_POLICY);
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body");
        Page {
            status,
            location,
            cache,
            referrer,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    async fn open(&self, path: &str) -> Page {
        let request = Request::get(path)
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .expect("a request");
        self.send(request).await
    }

    /// Posts the reply's form as the page's browser does, from `site`
    /// (`Sec-Fetch-Site`).
    async fn post(&self, idea: &Idea, site: &str, fields: &[(&str, &str)]) -> Page {
        let mut fields = fields.to_vec();
        fields.push(("klucz", &idea.key));
        let request = Request::post(routes::idea(FORM, &idea.reference))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", site)
            .body(Body::from(
                serde_urlencoded::to_string(&fields).expect("a body"),
            ))
            .expect("a request");
        self.send(request).await
    }

    async fn reply(&self, idea: &Idea, fields: &[(&str, &str)]) -> Page {
        self.post(idea, "same-origin", fields).await
    }

    /// `email` sends an idea through the form, as the site's script does.
    async fn sent(&self, email: &str) -> String {
        let body = serde_json::json!({
            "title": "Ławki przy skwerze",
            "district": "I",
            "place": "Skwer przy ul. Długiej",
            "description": "Cztery ławki i zieleń, żeby sąsiedzi mieli gdzie odpocząć.",
            "cost": "40000",
            "email": email,
            "processing": "on",
            "started_at": Stamps::new(fixture::SALT).issue(FORM, march(1)),
        });
        let request = Request::post(routes::form(FORM))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("a request");
        assert_eq!(self.send(request).await.status, StatusCode::CREATED);
        let listed = self.service.store().list(FORM, march(5)).await;
        listed
            .expect("the store")
            .into_iter()
            .find(|r| r.values["email"] == email)
            .expect("the idea")
            .reference
    }

    /// An idea of `email` given to the unit `zzm`, and answered if
    /// `answered`, as the workspace saves it step by step; with a key.
    async fn idea(&self, email: &str, answered: bool) -> Idea {
        let reference = self.sent(email).await;
        let key = new_token().expect("randomness");
        let mut record = IdeaRecord::new(FORM, &reference)
            .assign("zzm", "biuro@example.pl", march(2))
            .expect("assigned");
        self.save(&record).await;
        if answered {
            record = record.answer(answer()).expect("answered");
            self.save(&record).await;
        }
        self.save(&record.with_page_key(token_hash(&key))).await;
        Idea { reference, key }
    }

    async fn save(&self, record: &IdeaRecord) {
        let saved = self.service.store().save_idea(record).await;
        assert!(saved.expect("the store"), "{record:?}");
    }

    async fn record(&self, idea: &Idea) -> IdeaRecord {
        let found = self.service.store().idea(FORM, &idea.reference).await;
        found.expect("the store").expect("a record")
    }
}

fn answer() -> Answer {
    Answer {
        unit: "zzm".to_owned(),
        outcome: Outcome::NeedsChanges,
        comment: "Proszę wskazać stronę skweru.".to_owned(),
        duplicate_of: None,
        cost_estimate: Some(60_000),
        by: "ekspert@zzm.example".to_owned(),
        at: march(3),
    }
}

const REVISED: [(&str, &str); 4] = [
    ("title", "Ławki po północnej stronie"),
    ("place", "Skwer przy ul. Długiej, strona północna"),
    (
        "description",
        "Cztery ławki i zieleń po północnej stronie skweru.",
    ),
    ("cost", ""),
];

pub async fn the_right_key_opens_the_page_and_nothing_else_does<S: Stored>(store: S) {
    let site = site(store);
    let idea = site.idea("ania@example.pl", true).await;
    let other = site.idea("bartek@example.pl", true).await;

    let page = site.open(&idea.page()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for part in [
        "<h1>Twój pomysł: Ławki przy skwerze</h1>",
        "3 marca 2020: Zarząd Zieleni Miejskiej",
        "pomysł wymaga zmian",
        "Proszę wskazać stronę skweru.",
        "60\u{a0}000\u{a0}zł",
        "Skwer przy ul. Długiej",
        "Dzielnica I Stare Miasto",
        "name=\"klucz\"",
        "Wyślij poprawioną wersję",
    ] {
        assert!(page.body.contains(part), "{part} not in {}", page.body);
    }
    assert!(
        !page.body.contains("ania@example.pl"),
        "the e-mail is shown"
    );
    assert_eq!(page.cache, "no-store");
    assert_eq!(page.referrer, "no-referrer");

    let refused = site.open(&idea.page().replace(&idea.key, "")).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let withdrawn = site.idea("celina@example.pl", true).await;
    let form = &site.form;
    let done = site
        .service
        .withdraw_for(form, &withdrawn.reference, march(4))
        .await;
    done.expect("withdrawn");
    let unknown = Idea {
        reference: "ZZZZ-ZZZZ".to_owned(),
        key: idea.key.clone(),
    };
    let wrong = Idea {
        reference: idea.reference.clone(),
        key: other.key.clone(),
    };
    for path in [
        wrong.page(),
        unknown.page(),
        withdrawn.page(),
        routes::idea(FORM, &idea.reference),
        idea.page().replace(FORM, "spacer"),
    ] {
        let page = site.open(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(page.body, refused.body, "{path}");
    }
}

pub async fn one_reply_is_taken_and_shown<S: Stored>(store: S) {
    let site = site(store);
    let idea = site.idea("ania@example.pl", true).await;
    let sent = site.reply(&idea, &REVISED).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(sent.location, idea.page());
    let record = site.record(&idea).await;
    assert_eq!(record.revision().expect("revised")["cost"], "");
    assert_eq!(record.stage().as_str(), "revised");

    let page = site.open(&sent.location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("5 marca 2020: Twoja poprawiona wersja"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Ławki po północnej stronie"));
    assert!(page
        .body
        .contains("Jednostka oceni Twoją poprawioną wersję."));
    assert!(
        !page.body.contains("Wyślij poprawioną wersję"),
        "the form again"
    );

    let again = site.reply(&idea, &REVISED).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("tylko raz"), "{}", again.body);
    assert_eq!(site.record(&idea).await, record);
}

pub async fn replies_that_cannot_be_taken_change_nothing<S: Stored>(store: S) {
    let site = site(store);
    let waiting = site.idea("bartek@example.pl", false).await;
    let early = site.reply(&waiting, &REVISED).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);

    let idea = site.idea("ania@example.pl", true).await;
    let bad = [
        ("title", "Ławki <b>nowe</b>"),
        ("place", "Skwer"),
        ("description", "Cztery ławki."),
        ("cost", "dużo"),
    ];
    let invalid = site.reply(&idea, &bad).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    for part in [
        "Wpisz liczbę, np. 12.",
        "value=\"dużo\"",
        "value=\"Ławki &lt;b&gt;nowe&lt;/b&gt;\"",
        "href=\"#field-cost\"",
        "<title>Błąd: Twój pomysł</title>",
    ] {
        assert!(
            invalid.body.contains(part),
            "{part} not in {}",
            invalid.body
        );
    }

    // Refused, not ignored: a script that believed it changed the
    // address would be misled.
    let mut foreign = REVISED.to_vec();
    foreign.push(("email", "ktos@example.pl"));
    let refused = site.reply(&idea, &foreign).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);

    let elsewhere = site.post(&idea, "cross-site", &REVISED).await;
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
    assert_eq!(site.record(&idea).await.stage(), Stage::Answered);
}

on_every_store!(
    the_right_key_opens_the_page_and_nothing_else_does,
    one_reply_is_taken_and_shown,
    replies_that_cannot_be_taken_change_nothing,
);
