//! The dashboard's charts through the one router of Lambda and `agora
//! serve`, on SQLite and DynamoDB Local: for the forms that are open or
//! closed lately, registrations per day and by district as SVG with a
//! text alternative and the same numbers as tables; counts only (no
//! person's data on the page, so no line in the audit log); each form
//! linked to its list (and a lottery to its draw), each window told as it
//! is; nothing of it for an ambassador.

mod common;

use common::{workspace, Stored, Workspace, OFFICE};

use agora_core::panel::{AuditAction, Role};
use agora_core::registration::{token_hash, Admission, NewRegistration};
use agora_core::store::Inserted;
use agora_test_support::krakow;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, TimeZone, Utc};

const AMBASSADOR: &str = "ambasadorka@example.pl";
/// The form with a district field; open in these tests.
const FORM: &str = "ambasadorzy";

/// When the tests begin: 10 March 2026, noon in Warsaw.
fn start() -> DateTime<Utc> {
    warsaw(10, 12, 0)
}

/// A moment of March 2026 in Warsaw (UTC+1).
fn warsaw(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Warsaw
        .with_ymd_and_hms(2026, 3, day, hour, minute, 0)
        .single()
        .expect("a valid time")
        .with_timezone(&Utc)
}

/// The workspace over `store`, the form `FORM` open, an ambassador's
/// account added.
async fn office<S: Stored>(store: S) -> Workspace<S> {
    let mut forms = krakow::forms();
    for form in forms.iter_mut().filter(|f| f.id == FORM) {
        form.closes = None;
        form.closed_by = None;
    }
    let office = workspace(store, forms, start());
    office
        .put_account(AMBASSADOR, Role::Ambassador, Some("XIII"))
        .await;
    office
}

/// The dashboard, in the session `cookie`.
async fn dashboard<S: Stored>(office: &Workspace<S>, cookie: &str) -> String {
    let page = office.get("/panel/", Some(cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body
}

/// A registration of the form `FORM` submitted `at`, admitted unless it
/// is `spam`; its withdrawal token.
async fn register<S: Stored>(
    office: &Workspace<S>,
    n: u32,
    district: &str,
    at: DateTime<Utc>,
    spam: bool,
) -> String {
    let email = format!("osoba{n}@example.pl");
    let values = [
        ("full_name", format!("Mieszkanka Numer{n}")),
        ("email", email.clone()),
        ("district", district.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let withdraw = format!("w-{n}");
    let new = NewRegistration {
        form_id: FORM.to_owned(),
        reference: format!("TEST-{n:04}"),
        unique_key: email,
        values,
        consents: Vec::new(),
        confirm_token_hash: None,
        withdraw_token_hash: token_hash(&withdraw),
        spam: spam.then(|| "honeypot".to_owned()),
        created_at: at,
        expires_at: at + Duration::days(365),
    };
    let admit = (!spam).then_some(Admission::FirstCome { capacity: None });
    let inserted = office.store().insert(new, admit).await.expect("stored");
    assert!(matches!(inserted, Inserted::New(_)), "{inserted:?}");
    withdraw
}

fn has(page: &str, part: &str) {
    assert!(page.contains(part), "{part} not in:\n{page}");
}

async fn the_office_sees_registrations_per_day_and_by_district<S>(store: S)
where
    S: Stored,
{
    let office = office(store).await;
    register(&office, 1, "XIII", warsaw(3, 9, 0), false).await;
    register(&office, 2, "XIII", warsaw(3, 18, 0), false).await;
    // 23:30 in Warsaw is the next day in UTC: the form's zone decides.
    register(&office, 3, "I", warsaw(5, 23, 30), false).await;
    let withdrawn = register(&office, 4, "I", warsaw(6, 10, 0), false).await;
    office
        .store()
        .withdraw(FORM, &token_hash(&withdrawn), warsaw(7, 10, 0))
        .await
        .expect("withdrawn")
        .expect("a registration");
    register(&office, 5, "II", warsaw(8, 10, 0), true).await;

    let cookie = office.sign_in(OFFICE).await;
    let page = dashboard(&office, &cookie).await;
    for part in [
        "<h2>Zgłoszenia na wykresach</h2>",
        "<figure class=\"chart\">",
        "<svg role=\"img\" aria-labelledby=\"dni-ambasadorzy-tytul\" viewBox=\"0 0 360 200\"",
        // Open since 2020, the form's chart shows its last 30 days,
        // today included.
        "<title id=\"dni-ambasadorzy-tytul\">Zgłoszenia dziennie od 9 lutego 2026 \
         do 10 marca 2026: razem 3, najwięcej 2 (3 marca 2026).</title>",
        "<figcaption>Zgłoszenia dziennie od 9 lutego 2026",
        "Zgłoszenia, które się liczą: 3. Wycofane: 1. Podejrzane o spam: 1.",
        "<caption id=\"dni-ambasadorzy-tabela\">Zgłoszenia dziennie – Zgłoszenie na Ambasadora Lokalnej Partycypacji</caption>",
        "<tr><th scope=\"row\">3 marca 2026</th><td>2</td></tr>",
        "<tr><th scope=\"row\">4 marca 2026</th><td>0</td></tr>",
        "<tr><th scope=\"row\">5 marca 2026</th><td>1</td></tr>",
        "<tr><th scope=\"row\">6 marca 2026</th><td>0</td></tr>",
        "<title id=\"dzielnice-ambasadorzy-tytul\">Zgłoszenia według dzielnic: \
         2 dzielnice z 18, najwięcej 2 (Dzielnica XIII Podgórze).</title>",
        "<tr><th scope=\"row\">Dzielnica XIII Podgórze</th><td>2</td></tr>",
        "<tr><th scope=\"row\">Dzielnica I Stare Miasto</th><td>1</td></tr>",
        "<tr><th scope=\"row\">Dzielnica II Grzegórzki</th><td>0</td></tr>",
        // Open forms without registrations say so; no chart.
        "<h3 id=\"wykresy-dolacz-do-procesu\">",
        "Nikt się jeszcze nie zgłosił.",
    ] {
        has(&page, part);
    }
    assert_eq!(page.matches("<figure class=\"chart\">").count(), 2);
    for data in ["Mieszkanka", "osoba1@example.pl", "TEST-0001"] {
        assert!(!page.contains(data), "{data}: counts only");
    }
    let lines = office
        .store()
        .audit_log(start(), 100)
        .await
        .expect("the log");
    let actions: Vec<AuditAction> = lines.iter().map(|line| line.action).collect();
    assert_eq!(
        actions,
        [AuditAction::SignedIn],
        "counts are no view of data"
    );
}

async fn each_form_links_to_its_list_and_tells_its_window<S>(store: S)
where
    S: Stored,
{
    let office = office(store).await;
    let cookie = office.sign_in(OFFICE).await;
    let page = dashboard(&office, &cookie).await;
    for part in [
        "<a href=\"/panel/formularze/ambasadorzy\">Zgłoszenie na Ambasadora Lokalnej Partycypacji</a>",
        "<a href=\"/panel/formularze/warsztaty-wspolne-projekty-miejskie-2020/losowanie\">Losowanie\
         <span class=\"visually-hidden\">: Zgłoszenie na warsztaty Wspólnych Projektów Miejskich 2020</span></a>",
        "<td>od 19 lutego 2020 (zamknie się najpóźniej 6 grudnia 2026)</td>",
        "<td>1 marca 2020 – 20 marca 2020, 23:59</td>",
    ] {
        has(&page, part);
    }
    assert!(!page.contains("/panel/formularze/ambasadorzy/losowanie"));

    // After `closed_by` the form has closed, and says so; closed lately,
    // it keeps its chart for a month.
    office.later(Duration::days(272));
    let cookie = office.sign_in(OFFICE).await;
    let page = dashboard(&office, &cookie).await;
    has(
        &page,
        "<td>od 19 lutego 2020 (zamknięty najpóźniej 6 grudnia 2026)</td>",
    );
    has(&page, "<h3 id=\"wykresy-dolacz-do-procesu\">");
    office.later(Duration::days(31));
    let cookie = office.sign_in(OFFICE).await;
    let page = dashboard(&office, &cookie).await;
    assert!(
        !page.contains("id=\"wykresy-dolacz-do-procesu\""),
        "a month on"
    );
    has(&page, "<h3 id=\"wykresy-ambasadorzy\">");
}

async fn an_ambassador_sees_no_charts<S>(store: S)
where
    S: Stored,
{
    let office = office(store).await;
    register(&office, 1, "XIII", warsaw(3, 9, 0), false).await;
    let cookie = office.sign_in(AMBASSADOR).await;
    let page = dashboard(&office, &cookie).await;
    for office_only in [
        "<figure",
        "<svg",
        "Zgłoszenia na wykresach",
        "/panel/formularze/",
    ] {
        assert!(!page.contains(office_only), "{office_only} in:\n{page}");
    }
}

agora_test_support::on_every_store!(
    the_office_sees_registrations_per_day_and_by_district,
    each_form_links_to_its_list_and_tells_its_window,
    an_ambassador_sees_no_charts,
);
