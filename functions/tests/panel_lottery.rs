//! The verifiable draw in the staff workspace, through the one router of
//! Lambda and `agora serve`, on SQLite and DynamoDB Local: the page walks
//! the office through docs/lottery.md (wait for the form to close, publish
//! the list once, check the seed, draw once, download, e-mail once); the
//! downloads are the exact bytes of the library's list and result; every
//! step is in the audit log once; two tabs draw once; a stale list, an
//! empty seed or a form without closing date are refused in Polish; a
//! stale list is replaced before the draw, never after; and
//! only office may see or do any of it.

mod common;

use common::{workspace, Desk, Stored, OFFICE};

use agora_core::forms::FormDefinition;
use agora_core::lottery::{self, PublishedList};
use agora_core::panel::{AuditAction, Role, StaffRecords};
use agora_core::registration::{new_reference, Admission};
use agora_core::staff;
use agora_test_support::krakow;
use agora_test_support::staff::register_at;
use axum::http::{header, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};

const WORKSHOPS: &str = "warsztaty-wspolne-projekty-miejskie-2020";
const PAGE: &str = "/panel/formularze/warsztaty-wspolne-projekty-miejskie-2020/losowanie";
const SEED: &str = "Lotto 2020-03-21: 3 11 19 27 35 44";

/// Inside the workshops' window (it closes on 20 March 2020, 23:59).
fn during() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 10, 11, 0, 0)
        .single()
        .expect("a valid time")
}

/// The day after the window closed.
const DAYS_TO_CLOSED: i64 = 11;

fn desk<S: Stored>(store: S, change: impl FnOnce(&mut FormDefinition)) -> Desk<S> {
    let mut forms = krakow::forms();
    let form = forms
        .iter_mut()
        .find(|f| f.id == WORKSHOPS)
        .expect("the workshops");
    change(form);
    let form = form.clone();
    Desk {
        panel: workspace(store, forms, during()),
        form,
    }
}

impl<S: Stored> Desk<S> {
    fn after_closing(&self) {
        self.later(Duration::days(DAYS_TO_CLOSED));
    }

    /// The e-mails telling a draw's result, so far.
    fn result_mails(&self) -> usize {
        let mails = self.outbox.mails().into_iter();
        mails
            .filter(|(_, text)| text.contains("Subject: Wynik losowania"))
            .count()
    }

    /// `count` confirmed applications to the workshops, made on 5 March.
    async fn applications(&self, count: usize) -> Vec<String> {
        let made = Utc
            .with_ymd_and_hms(2020, 3, 5, 10, 0, 0)
            .single()
            .expect("a time");
        let mut references = Vec::new();
        for _ in 0..count {
            // Each a new person: one address applies once.
            let email = format!("{}@example.pl", new_reference().expect("randomness"));
            let values = [("full_name", "Osoba Próbna"), ("email", email.as_str())];
            let reference = register_at(
                self.store(),
                &self.form,
                &values,
                &["processing"],
                Admission::Lottery,
                made,
            )
            .await;
            references.push(reference);
        }
        references
    }

    /// The audit log's lines of `action`, newest first.
    async fn audited(&self, action: AuditAction) -> Vec<String> {
        let log = self.audit().await;
        log.into_iter()
            .filter(|line| line.action == action)
            .map(|line| line.detail.unwrap_or_default())
            .collect()
    }
}

fn path(step: &str) -> String {
    format!("{PAGE}/{step}")
}

/// The list of `references` as the library (and `agora lottery
/// publish-list`) writes it.
fn list_of(references: &[String]) -> PublishedList {
    PublishedList::new(WORKSHOPS, references.iter().cloned()).expect("a list")
}

async fn the_draw_goes_step_by_step_and_each_step_happens_once<S: Stored>(store: S) {
    let desk = desk(store, |_| {});
    let references = desk.applications(3).await;
    let office = desk.sign_in(OFFICE).await;

    let open = desk.get(PAGE, Some(&office)).await;
    assert_eq!(open.status, StatusCode::OK);
    assert!(
        open.body.contains("Nabór trwa do 20 marca 2020, 23:59"),
        "{}",
        open.body
    );
    assert!(!open.body.contains("Opublikuj listę"));
    let early = desk.press(&path("lista"), &office, &[]).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.body.contains("Nabór jeszcze trwa"), "{}", early.body);

    desk.after_closing();
    let office = desk.sign_in(OFFICE).await;
    let closed = desk.get(PAGE, Some(&office)).await;
    assert!(
        closed.body.contains("Liczba zgłoszeń na liście: 3."),
        "{}",
        closed.body
    );
    assert!(
        closed.body.contains("Do rozlosowania: 60 miejsc."),
        "{}",
        closed.body
    );
    assert!(closed
        .body
        .contains("aria-current=\"step\">Publikacja listy"));
    for step in ["lista", "wynik"] {
        let none = desk.get(&path(step), Some(&office)).await;
        assert_eq!(none.status, StatusCode::NOT_FOUND, "{step} before the list");
    }

    let published = desk.press(&path("lista"), &office, &[]).await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    assert_eq!(published.header(header::LOCATION), PAGE);
    let list = list_of(&references);
    let listed = desk.get(PAGE, Some(&office)).await;
    assert!(listed.body.contains(&list.sha256_hex()), "{}", listed.body);
    assert!(listed.body.contains("Losowanie odbywa się tylko raz."));
    let download = desk.get(&path("lista"), Some(&office)).await;
    assert_eq!(download.body, list.to_text(), "the exact bytes of the list");
    assert_eq!(
        download.header(header::CONTENT_TYPE),
        "text/plain; charset=utf-8"
    );
    assert_eq!(
        download.header(header::CONTENT_DISPOSITION),
        "attachment; filename=\"lista.txt\""
    );
    assert_eq!(download.header(header::CACHE_CONTROL), "no-store");
    let again = desk.press(&path("lista"), &office, &[]).await;
    assert_eq!(again.header(header::LOCATION), format!("{PAGE}?juz=lista"));
    let listed_before = desk.get(&format!("{PAGE}?juz=lista"), Some(&office)).await;
    assert!(listed_before.body.contains("Lista była już opublikowana"));
    let published = desk.audited(AuditAction::ListPublished).await;
    let detail = format!("SHA-256 listy: {}; zgłoszeń: 3", list.sha256_hex());
    assert_eq!(published, [detail], "published once");

    let checked = desk.press(&path("losuj"), &office, &[("seed", SEED)]).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    assert!(checked.body.contains("Sprawdź ziarno przed losowaniem"));
    assert!(
        checked.body.contains(&format!("&quot;{SEED}&quot;")),
        "{}",
        checked.body
    );
    assert!(
        desk.store()
            .draw_record(WORKSHOPS)
            .await
            .expect("read")
            .is_none(),
        "not drawn yet"
    );

    let drawn = desk
        .press(
            &path("losuj"),
            &office,
            &[("seed", SEED), ("confirm", "tak")],
        )
        .await;
    assert_eq!(drawn.status, StatusCode::SEE_OTHER, "{}", drawn.body);
    assert_eq!(drawn.header(header::LOCATION), PAGE);
    let expected = lottery::draw(&list, SEED, 60).expect("a draw");
    let result = desk.get(&path("wynik"), Some(&office)).await;
    assert_eq!(
        result.body,
        expected.to_text(),
        "the exact bytes of the result"
    );
    assert_eq!(
        result.header(header::CONTENT_DISPOSITION),
        "attachment; filename=\"wynik.txt\""
    );
    let page = desk.get(PAGE, Some(&office)).await;
    assert!(page.body.contains("Wynik losowania"), "{}", page.body);
    for reference in &references {
        assert!(page.body.contains(reference.as_str()), "{reference}");
    }
    let site_page = staff::draw_page(&desk.form, &expected, "21 marca 2020");
    let file = format!("wyniki-losowania-{WORKSHOPS}.md");
    assert_eq!(
        desk.published.latest(&file),
        Some(site_page),
        "the page on the site"
    );

    mail_once(&desk, &office).await;
    let audited = desk.audited(AuditAction::Drawn).await;
    let detail = format!(
        "ziarno: \"{SEED}\"; SHA-256 listy: {}; miejsc: 60",
        list.sha256_hex()
    );
    assert_eq!(audited, [detail], "drawn once");
}

/// The result e-mails go out on the first press only.
async fn mail_once<S: Stored>(desk: &Desk<S>, office: &str) {
    let mailed = desk.press(&path("powiadom"), office, &[]).await;
    assert_eq!(mailed.status, StatusCode::SEE_OTHER, "{}", mailed.body);
    let location = mailed.header(header::LOCATION).to_owned();
    assert_eq!(location, format!("{PAGE}?wyslano=3&osob=3&niewyslane="));
    let told = desk.get(&location, Some(office)).await;
    assert!(
        told.body.contains("Wysłano 3 z 3 e-maili z wynikami."),
        "{}",
        told.body
    );
    assert!(
        told.body
            .contains("E-maile z wynikami wysłano 21 marca 2020"),
        "{}",
        told.body
    );
    assert!(!told.body.contains("Wyślij e-maile z wynikami</button>"));
    assert_eq!(desk.result_mails(), 3);

    let again = desk.press(&path("powiadom"), office, &[]).await;
    assert_eq!(
        again.header(header::LOCATION),
        format!("{PAGE}?juz=wyslano")
    );
    let told = desk.get(&format!("{PAGE}?juz=wyslano"), Some(office)).await;
    assert!(
        told.body.contains("Nie wysłano ich ponownie."),
        "{}",
        told.body
    );
    assert_eq!(desk.result_mails(), 3, "nothing sent twice");
    let audited = desk.audited(AuditAction::ResultsMailed).await;
    assert_eq!(audited, ["wysłano: 3 z 3; nie udało się: 0"]);
}

async fn two_tabs_draw_once_and_the_seed_is_refused_as_typed<S: Stored>(store: S) {
    let desk = desk(store, |_| {});
    desk.applications(2).await;
    desk.after_closing();
    let office = desk.sign_in(OFFICE).await;
    desk.press(&path("lista"), &office, &[]).await;

    for (seed, why) in [
        ("", "Wpisz ziarno"),
        ("   ", "Wpisz ziarno"),
        ("a\0b", "znak NUL"),
    ] {
        let refused = desk
            .press(
                &path("losuj"),
                &office,
                &[("seed", seed), ("confirm", "tak")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{seed:?}");
        assert!(refused.body.contains(why), "{seed:?}: {}", refused.body);
        assert!(
            refused.body.contains("href=\"#seed\""),
            "the summary leads to the field"
        );
    }
    let spaced = desk
        .press(&path("losuj"), &office, &[("seed", " Lotto ")])
        .await;
    assert!(
        spaced.body.contains("value=\" Lotto \""),
        "kept as typed: {}",
        spaced.body
    );
    assert!(spaced.body.contains("zaczyna się albo kończy spacją"));

    let confirmed = |seed| [("seed", seed), ("confirm", "tak")];
    let draw = path("losuj");
    let (ours, other) = (confirmed(SEED), confirmed("inne ziarno"));
    let (first, second) = tokio::join!(
        desk.press(&draw, &office, &ours),
        desk.press(&draw, &office, &other),
    );
    let statuses = [first.status, second.status];
    assert!(statuses.contains(&StatusCode::SEE_OTHER), "{statuses:?}");
    assert!(
        statuses.contains(&StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
    let refused = if first.status == StatusCode::SEE_OTHER {
        second
    } else {
        first
    };
    assert!(
        refused.body.contains("został już rozlosowany"),
        "{}",
        refused.body
    );
    let record = desk
        .store()
        .draw_record(WORKSHOPS)
        .await
        .expect("read")
        .expect("drawn");
    let same = desk
        .press(&path("losuj"), &office, &confirmed(&record.seed))
        .await;
    assert_eq!(
        same.status,
        StatusCode::SEE_OTHER,
        "the same draw again changes nothing"
    );
    assert_eq!(desk.audited(AuditAction::Drawn).await.len(), 1);
    assert_eq!(
        desk.published.files().len(),
        2,
        "the page published by each draw that stood"
    );
}

async fn a_list_that_no_longer_matches_the_applications_draws_nothing<S: Stored>(store: S) {
    let desk = desk(store, |_| {});
    desk.applications(2).await;
    desk.after_closing();
    let office = desk.sign_in(OFFICE).await;
    desk.press(&path("lista"), &office, &[]).await;
    // One more application confirmed before closing reaches the store late.
    desk.applications(1).await;
    let stale = desk
        .press(
            &path("losuj"),
            &office,
            &[("seed", SEED), ("confirm", "tak")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        stale.body.contains("Opublikowana lista różni się"),
        "{}",
        stale.body
    );
    assert!(
        stale.body.contains(&format!("value=\"{SEED}\"")),
        "the seed kept"
    );
    assert!(desk
        .store()
        .draw_record(WORKSHOPS)
        .await
        .expect("read")
        .is_none());
    assert!(desk.audited(AuditAction::Drawn).await.is_empty());
}

/// After the stale list's refusal, the office replaces it, once and only
/// before the draw, and is told to announce it again.
async fn a_stale_list_is_replaced_before_the_draw_only<S: Stored>(store: S) {
    let desk = desk(store, |_| {});
    let mut references = desk.applications(2).await;
    desk.after_closing();
    let office = desk.sign_in(OFFICE).await;
    desk.press(&path("lista"), &office, &[]).await;
    let stale = list_of(&references);
    references.extend(desk.applications(1).await);
    let confirmed = [("seed", SEED), ("confirm", "tak")];
    let refused = desk.press(&path("losuj"), &office, &confirmed).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("name=\"zastap\" value=\"tak\"")
            && refused.body.contains("trzeba ogłosić ponownie"),
        "{}",
        refused.body
    );

    let replace = [("zastap", "tak")];
    // A moment later, so that the log orders the two lines: on DynamoDB,
    // lines of one moment follow a random suffix.
    desk.later(Duration::minutes(1));
    let replaced = desk.press(&path("lista"), &office, &replace).await;
    assert_eq!(replaced.status, StatusCode::SEE_OTHER, "{}", replaced.body);
    let location = replaced.header(header::LOCATION).to_owned();
    assert_eq!(location, format!("{PAGE}?juz=zastapiono"));
    let told = desk.get(&location, Some(&office)).await;
    assert!(told.body.contains("ogłoś nową listę"), "{}", told.body);
    let current = list_of(&references);
    let download = desk.get(&path("lista"), Some(&office)).await;
    assert_eq!(download.body, current.to_text(), "the corrected list");
    assert!(told.body.contains(&current.sha256_hex()));
    let audited = desk.audited(AuditAction::ListPublished).await;
    let replacing = format!(
        "zastąpiono listę o SHA-256 {}; SHA-256 listy: {}; zgłoszeń: 3",
        stale.sha256_hex(),
        current.sha256_hex()
    );
    let first = format!("SHA-256 listy: {}; zgłoszeń: 2", stale.sha256_hex());
    assert_eq!(audited, [replacing, first]);

    let unchanged = desk.press(&path("lista"), &office, &replace).await;
    assert_eq!(
        unchanged.header(header::LOCATION),
        format!("{PAGE}?juz=lista")
    );
    let drawn = desk.press(&path("losuj"), &office, &confirmed).await;
    assert_eq!(drawn.status, StatusCode::SEE_OTHER, "{}", drawn.body);
    desk.applications(1).await;
    let late = desk.press(&path("lista"), &office, &replace).await;
    assert_eq!(
        late.header(header::LOCATION),
        PAGE,
        "drawn: nothing replaced"
    );
    let kept = desk.get(&path("lista"), Some(&office)).await;
    assert_eq!(kept.body, current.to_text(), "the list drawn from stays");
    assert_eq!(desk.audited(AuditAction::ListPublished).await.len(), 2);
}

async fn what_cannot_be_drawn_says_what_to_do<S: Stored>(store: S) {
    let undated = desk(store.clone(), |form| form.closes = None);
    undated.after_closing();
    let office = undated.sign_in(OFFICE).await;
    let page = undated.get(PAGE, Some(&office)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("nie ma daty zamknięcia naboru"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains(&format!("content/forms/{WORKSHOPS}.yaml")));
    let refused = undated.press(&path("lista"), &office, &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    let nobody = desk(store, |form| form.capacity = None);
    nobody.after_closing();
    let office = nobody.sign_in(OFFICE).await;
    let empty = nobody.get(PAGE, Some(&office)).await;
    assert!(
        empty.body.contains("Nie ma potwierdzonych zgłoszeń"),
        "{}",
        empty.body
    );
    assert!(!empty.body.contains("Opublikuj listę</button>"));
    nobody.applications(1).await;
    nobody.press(&path("lista"), &office, &[]).await;
    let placeless = nobody
        .press(&path("losuj"), &office, &[("seed", SEED)])
        .await;
    assert_eq!(placeless.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        placeless.body.contains("nie podaje liczby miejsc"),
        "{}",
        placeless.body
    );

    for form in ["ambasadorzy", "nie-ma-takiego"] {
        let page = format!("/panel/formularze/{form}/losowanie");
        let missing = nobody.get(&page, Some(&office)).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{form}");
        assert!(missing.body.contains("Nie znaleziono"));
        let posted = nobody.press(&format!("{page}/lista"), &office, &[]).await;
        assert_eq!(posted.status, StatusCode::NOT_FOUND, "{form}");
    }
}

async fn only_office_sees_or_does_any_of_it<S: Stored>(store: S) {
    let desk = desk(store.clone(), |_| {});
    desk.applications(2).await;
    desk.after_closing();
    for (email, role, area) in [
        ("ambasador@example.pl", Role::Ambassador, Some("XIII")),
        ("weryfikator@example.pl", Role::Verifier, None),
    ] {
        desk.put_account(email, role, area).await;
        let cookie = desk.sign_in(email).await;
        for step in ["", "/lista", "/wynik"] {
            let refused = desk.get(&format!("{PAGE}{step}"), Some(&cookie)).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{email} GET {step}");
        }
        for step in ["lista", "losuj", "powiadom"] {
            let fields = [("seed", SEED), ("confirm", "tak")];
            let refused = desk.press(&path(step), &cookie, &fields).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{email} POST {step}");
        }
    }
    let office = desk.sign_in(OFFICE).await;
    for csrf in ["", "00ff"] {
        let forged = desk
            .post(&path("lista"), Some(&office), &[("csrf", csrf)])
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "CSRF {csrf:?}");
    }
    for step in ["", "/lista", "/wynik"] {
        let anonymous = desk.get(&format!("{PAGE}{step}"), None).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "{step}");
        assert_eq!(anonymous.header(header::LOCATION), "/panel/logowanie");
    }
    assert!(store
        .published_list(WORKSHOPS)
        .await
        .expect("read")
        .is_none());
    assert!(desk.audited(AuditAction::ListPublished).await.is_empty());
}

/// A sending that fails on the store before any message goes leaves no
/// mark, so the next press sends. Only on DynamoDB Local, where the test
/// reaches the table: a registration stored without its fields makes
/// reading the form's applications fail, as a store that is down would.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn results_that_failed_before_any_message_can_be_sent_again() {
    use agora_test_support::dynamodb_local::{client_config, fresh_table};
    use aws_sdk_dynamodb::types::AttributeValue;

    let (store, _, table) = fresh_table().await;
    let desk = desk(store, |_| {});
    desk.applications(3).await;
    desk.after_closing();
    let office = desk.sign_in(OFFICE).await;
    desk.press(&path("lista"), &office, &[]).await;
    let confirmed = [("seed", SEED), ("confirm", "tak")];
    let drawn = desk.press(&path("losuj"), &office, &confirmed).await;
    assert_eq!(drawn.status, StatusCode::SEE_OTHER, "{}", drawn.body);

    // Taken first: the dashboard that gives it reads the applications too.
    let csrf = desk.csrf(&office).await;
    let client = aws_sdk_dynamodb::Client::from_conf(client_config().0.build());
    let key = [
        ("pk", format!("form#{WORKSHOPS}")),
        ("sk", "reg#ZEPS-UTYM".to_owned()),
    ]
    .map(|(name, value)| (name.to_owned(), AttributeValue::S(value)));
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(key.clone().into()))
        .send()
        .await
        .expect("a registration without its fields");
    let fields = [("csrf", csrf.as_str())];
    let failed = desk.post(&path("powiadom"), Some(&office), &fields).await;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(desk.result_mails(), 0, "nothing sent");
    let store = desk.store();
    assert_eq!(store.results_mailed(WORKSHOPS).await.expect("read"), None);
    assert!(desk.audited(AuditAction::ResultsMailed).await.is_empty());

    client
        .delete_item()
        .table_name(&table)
        .set_key(Some(key.into()))
        .send()
        .await
        .expect("mended");
    mail_once(&desk, &office).await;
}

agora_test_support::on_every_store!(
    the_draw_goes_step_by_step_and_each_step_happens_once,
    two_tabs_draw_once_and_the_seed_is_refused_as_typed,
    a_list_that_no_longer_matches_the_applications_draws_nothing,
    a_stale_list_is_replaced_before_the_draw_only,
    what_cannot_be_drawn_says_what_to_do,
    only_office_sees_or_does_any_of_it,
);
