//! The office's view of the ideas' pipeline (`/panel/pomysly/przebieg`)
//! through the one router of Lambda and `agora serve`, on SQLite: the
//! numbers by district and outcome and the waits match ideas set up in
//! the store; a verifier and an ambassador are refused; the page shows
//! counts and days only (no address, no title, no reference) and, like
//! the dashboard, writes nothing to the audit log.

mod common;

use common::{workspace_reading, Workspace, OFFICE};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use agora_core::forms;
use agora_core::ideas::{Answer, IdeaRecord, IdeaRecords, Outcome};
use agora_core::panel::Role;
use agora_core::registration::{new_reference, token_hash, Admission, NewRegistration};
use agora_core::store::Store;
use agora_stores::sqlite::SqliteStore;
use agora_test_support::fixture::sqlite_store;
use agora_test_support::krakow;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, TimeZone, Utc};

const FORM: &str = "pomysly";
const PAGE: &str = "/panel/pomysly/przebieg";
const TITLE: &str = "Ławki na skwerze";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 30, 9, 0, 0)
        .single()
        .expect("a valid time")
}

fn days_ago(days: i64) -> DateTime<Utc> {
    now() - Duration::days(days)
}

/// The idea stories' site: the Kraków forms and a form of ideas.
fn site() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/ideas-site")
}

fn workspace() -> Workspace<SqliteStore> {
    let loaded = forms::load_site(&site(), Path::new("content")).expect("a valid site");
    let mut forms = krakow::forms();
    forms.extend(loaded.into_iter().filter(|f| f.id == FORM));
    workspace_reading(sqlite_store(), forms, now(), Some(site()))
}

/// An idea of `district` sent by `email` `days` ago, confirmed then (or,
/// not `confirmed`, not yet): its reference.
async fn sent(
    panel: &Workspace<SqliteStore>,
    (email, district): (&str, &str),
    days: i64,
    confirmed: bool,
) -> String {
    let reference = new_reference().expect("randomness");
    let values = [("title", TITLE), ("district", district), ("email", email)]
        .map(|(name, value)| (name.to_owned(), value.to_owned()));
    let new = NewRegistration {
        form_id: FORM.to_owned(),
        reference: reference.clone(),
        unique_key: email.to_owned(),
        values: BTreeMap::from(values),
        consents: Vec::new(),
        confirm_token_hash: Some(token_hash(&format!("confirm-{reference}"))),
        withdraw_token_hash: token_hash(&format!("withdraw-{reference}")),
        spam: None,
        created_at: days_ago(days),
        expires_at: now() + Duration::days(365),
    };
    let admission = confirmed.then_some(Admission::FirstCome { capacity: None });
    panel.store().insert(new, admission).await.expect("stored");
    reference
}

/// The idea given to a unit a day after it was sent and, if `answered`,
/// answered `outcome` after `days` days: each step saved as the
/// workspace saves it.
async fn handled(
    panel: &Workspace<SqliteStore>,
    (reference, sent_days_ago): (&str, i64),
    answered: Option<(Outcome, i64)>,
) {
    let assigned = IdeaRecord::new(FORM, reference)
        .assign("zzm", OFFICE, days_ago(sent_days_ago - 1))
        .expect("assigned");
    let mut steps = vec![assigned.clone()];
    if let Some((outcome, days)) = answered {
        let answer = Answer {
            unit: "zzm".to_owned(),
            outcome,
            comment: "Proszę wskazać miejsce.".to_owned(),
            duplicate_of: None,
            cost_estimate: None,
            by: "ekspert@zzm.example".to_owned(),
            at: days_ago(sent_days_ago - days),
        };
        steps.push(assigned.answer(answer).expect("answered"));
    }
    for step in steps {
        assert!(panel.store().save_idea(&step).await.expect("saved"));
    }
}

/// Four confirmed ideas and one unconfirmed: in district I, one answered
/// "go ahead" after 3 days and one "needs changes" after 15; in district
/// XIII, one with the unit for 16 days and one sent 2 days ago.
async fn ideas(panel: &Workspace<SqliteStore>) -> Vec<String> {
    let quick = sent(panel, ("anna@example.pl", "I"), 20, true).await;
    handled(panel, (&quick, 20), Some((Outcome::GoAhead, 3))).await;
    let slow = sent(panel, ("jan@example.pl", "I"), 20, true).await;
    handled(panel, (&slow, 20), Some((Outcome::NeedsChanges, 15))).await;
    let waiting = sent(panel, ("ola@example.pl", "XIII"), 16, true).await;
    handled(panel, (&waiting, 16), None).await;
    let new = sent(panel, ("piotr@example.pl", "XIII"), 2, true).await;
    let unconfirmed = sent(panel, ("ewa@example.pl", "I"), 1, false).await;
    vec![quick, slow, waiting, new, unconfirmed]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_office_sees_the_numbers_of_the_ideas_it_has() {
    let panel = workspace();
    let references = ideas(&panel).await;
    let office = panel.sign_in(OFFICE).await;
    let logged = panel.audit().await.len();
    let page = panel.get(PAGE, Some(&office)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for part in [
        "<h1>Przebieg wstępnej weryfikacji</h1>",
        "Potwierdzone: 4 pomysły. Czeka na potwierdzenie autora: 1 pomysł.",
        // District I: 2 ideas; go ahead 1, needs changes 1, none without an answer.
        "<tr><th scope=\"row\">Dzielnica I Stare Miasto</th><td>2</td>\
         <td>1</td><td>1</td><td>0</td><td>0</td><td>0</td></tr>",
        // District XIII by stage: 1 new, 1 with the unit.
        "<tr><th scope=\"row\">Dzielnica XIII Podgórze</th><td>2</td>\
         <td>1</td><td>1</td><td>0</td><td>0</td><td>0</td></tr>",
        "<tr><th scope=\"row\">Razem</th><td>4</td>\
         <td>1</td><td>1</td><td>0</td><td>0</td><td>2</td></tr>",
        "Z odpowiedzią jednostki: 2 pomysły. Od potwierdzenia do pierwszej odpowiedzi: \
         mediana 9 dni, najdłużej 15 dni; dłużej niż 14 dni: 1 pomysł.",
        "Bez odpowiedzi: 2 pomysły. Czas oczekiwania do dziś: mediana 9 dni, \
         najdłużej 16 dni; dłużej niż 14 dni: 1 pomysł.",
        "Pomysły z odpowiedzią „pomysł może być zgłoszony” według dzielnic: \
         1 dzielnica z 18, najwięcej 1 (Dzielnica I Stare Miasto).",
        "Pomysły bez odpowiedzi według dzielnic: 1 dzielnica z 18, najwięcej 2 \
         (Dzielnica XIII Podgórze).",
        "Bez wykresu, bo żaden pomysł nie ma takiej ostatniej odpowiedzi: „pomysł wykracza \
         poza zadania gminy”, „pomysł powtarza inny pomysł”.",
        "<td>9 dni</td><td>15 dni</td><td>1</td>",
    ] {
        assert!(page.has(part), "{part} in {}", page.body);
    }
    for personal in ["@example.pl", TITLE, "Proszę wskazać"]
        .into_iter()
        .chain(references.iter().map(String::as_str))
    {
        assert!(!page.has(personal), "{personal} on the page");
    }
    assert_eq!(panel.audit().await.len(), logged, "counts are not logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_office_alone_sees_the_pipeline() {
    let panel = workspace();
    panel
        .put_account("ekspert@zzm.example", Role::Verifier, Some("zzm"))
        .await;
    panel
        .put_account("zofia@example.pl", Role::Ambassador, Some("XIII"))
        .await;
    for email in ["ekspert@zzm.example", "zofia@example.pl"] {
        let cookie = panel.sign_in(email).await;
        let refused = panel.get(PAGE, Some(&cookie)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{email}");
    }
    assert!(panel.get(PAGE, None).await.leads_to_sign_in());
    let office = panel.sign_in(OFFICE).await;
    let empty = panel.get(PAGE, Some(&office)).await;
    assert!(
        empty.has("Potwierdzone: 0 pomysłów. Czeka na potwierdzenie autora: 0 pomysłów."),
        "{}",
        empty.body
    );
    assert!(!empty.has("<h3>"), "no charts of no ideas");
}
