//! The staff's commands on real registrations, against every store the
//! `agora` command opens: the embedded SQLite store (in memory) and
//! DynamoDB (Amazon's DynamoDB Local), never a fake. Each story is a
//! generic function; `staff_stories!` runs it on both. The 2020 story is
//! also rehearsed whole through the `agora` command on both: registered
//! under `agora serve --now`, then listed, drawn and verified with the
//! staff commands' `--now`.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;
use agora_test_support::{dynamodb_local, krakow};

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use agora_core::forms::FormDefinition;
use agora_core::lottery::{self, PublishedList};
use agora_core::mail::{Email, MailError, Mailer};
use agora_core::registration::{
    new_reference, new_token, token_hash, Admission, ConsentRecord, MailProblem, NewRegistration,
    Status,
};
use agora_core::staff::{self, ExportFormat};
use agora_core::store::Store;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn krakow_forms() -> Vec<FormDefinition> {
    krakow::forms()
}

fn form(id: &str) -> FormDefinition {
    krakow_forms()
        .into_iter()
        .find(|f| f.id == id)
        .expect("the form")
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
        .single()
        .expect("a valid time")
}

async fn register<S: Store>(
    store: &S,
    form: &FormDefinition,
    values: &[(&str, &str)],
    consents: &[&str],
    admission: Admission,
) -> String {
    register_at(store, form, values, consents, admission, at(2020, 3, 5)).await
}

/// As [`register`], made at `created_at` and kept for a year from then.
async fn register_at<S: Store>(
    store: &S,
    form: &FormDefinition,
    values: &[(&str, &str)],
    consents: &[&str],
    admission: Admission,
    created_at: DateTime<Utc>,
) -> String {
    let values: BTreeMap<String, String> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let reference = new_reference().expect("randomness");
    let new = NewRegistration {
        form_id: form.id.clone(),
        reference: reference.clone(),
        unique_key: values.get("email").cloned().unwrap_or_default(),
        values,
        consents: consents
            .iter()
            .map(|name| ConsentRecord {
                name: (*name).to_owned(),
                version: "2020-02-19".to_owned(),
                given_at: created_at,
            })
            .collect(),
        confirm_token_hash: None,
        withdraw_token_hash: token_hash(&new_token().expect("randomness")),
        spam: None,
        created_at,
        expires_at: created_at + Duration::days(365),
    };
    store.insert(new, Some(admission)).await.expect("stored");
    reference
}

pub async fn a_csv_export_opens_in_excel_with_polish_letters_and_no_formulas<S: Store>(store: S) {
    let ambassadors = form("ambasadorzy");
    let admission = Admission::FirstCome { capacity: None };
    let reference = register(
        &store,
        &ambassadors,
        &[
            ("full_name", "Łucja Żółć"),
            ("email", "l@example.pl"),
            ("district", "XIII"),
            ("area", "=HYPERLINK(\"http://zle.example\")"),
        ],
        &["processing"],
        admission,
    )
    .await;
    // SES reported that mail to her bounced: staff see it.
    assert!(store
        .mark_mail_problem("ambasadorzy", &reference, MailProblem::Bounced)
        .await
        .expect("marked"));
    let bytes = staff::export(&ambassadors, &store, ExportFormat::Csv, at(2020, 3, 6))
        .await
        .expect("exported");
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(text.starts_with('\u{feff}'), "a byte order mark for Excel");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with("numer;stan;pozycja;zgłoszono;potwierdzono;poczta;Imię i nazwisko;"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("Łucja Żółć"), "{}", lines[1]);
    assert!(
        lines[1].contains(";adres nie istnieje (zwrot);"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("\"'=HYPERLINK(\"\"http://zle.example\"\")\""),
        "the formula is defused: {}",
        lines[1]
    );
    assert!(
        lines[1].contains("wersja 2020-02-19"),
        "consents with their version: {}",
        lines[1]
    );

    let json = staff::export(&ambassadors, &store, ExportFormat::Json, at(2020, 3, 6))
        .await
        .expect("exported");
    let parsed: serde_json::Value = serde_json::from_slice(&json).expect("JSON");
    assert_eq!(parsed[0]["values"]["full_name"], "Łucja Żółć");
}

pub async fn a_draw_gives_60_places_and_anyone_can_verify_it<S: Store>(store: S) {
    let workshops = form("warsztaty-wspolne-projekty-miejskie-2020");
    for i in 0..75 {
        register(
            &store,
            &workshops,
            &[
                ("full_name", "Osoba"),
                ("email", &format!("o{i}@example.pl")),
                ("attends_all", "tak"),
            ],
            &["processing"],
            Admission::Lottery,
        )
        .await;
    }
    let after_closing = at(2020, 3, 21);
    let list = staff::lottery_list(&workshops, &store, after_closing)
        .await
        .expect("a list");
    assert_eq!(list.references().len(), 75);
    let early = staff::draw(&workshops, &store, &list, "seed", at(2020, 3, 10)).await;
    assert!(early.is_err(), "no draw while applications are open");

    let seed = "Lotto 2020-03-21: 3 11 19 27 35 44";
    let drawn = staff::draw(&workshops, &store, &list, seed, after_closing)
        .await
        .expect("drawn");
    assert!(!drawn.resumed);
    assert_eq!(drawn.drawn_at, after_closing);
    let result = drawn.result;
    assert_eq!((result.winners.len(), result.reserve.len()), (60, 15));
    let counts = store
        .counts(&workshops.id, after_closing)
        .await
        .expect("counts");
    assert_eq!((counts.taken, counts.waiting, counts.applied), (60, 15, 0));
    let first_reserve = store
        .find(&workshops.id, &result.reserve[0], after_closing)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(
        (first_reserve.status, first_reserve.position),
        (Status::Reserve, Some(1))
    );

    let page = staff::draw_page(&workshops, &result, "21 marca 2020");
    assert!(
        page.starts_with("---\ntitle: 'Wyniki losowania: Zgłoszenie na warsztaty"),
        "{page}"
    );
    assert!(page.contains("Wzięło w nim udział 75 zgłoszeń"), "{page}");
    assert!(
        page.contains(&format!("1. {}", result.winners[0]))
            && page.contains(&format!("15. {}", result.reserve[14])),
        "{page}"
    );
    assert!(page.contains(&list.sha256_hex()) && page.contains(&format!("\n{seed}\n")));
    assert!(
        !page.contains("@example.pl") && !page.contains("Osoba"),
        "references only"
    );

    let verified = lottery::verify(
        &list.to_text(),
        Some(&list.sha256_hex()),
        seed,
        60,
        &result.to_text(),
    )
    .expect("it verifies");
    assert_eq!(verified.winners, result.winners);
    assert!(lottery::verify(&list.to_text(), None, "another seed", 60, &result.to_text()).is_err());
}

pub async fn a_stale_list_is_refused<S: Store>(store: S) {
    let workshops = form("warsztaty-wspolne-projekty-miejskie-2020");
    register(
        &store,
        &workshops,
        &[("email", "a@example.pl")],
        &["processing"],
        Admission::Lottery,
    )
    .await;
    let list = staff::lottery_list(&workshops, &store, at(2020, 3, 21))
        .await
        .expect("a list");
    register(
        &store,
        &workshops,
        &[("email", "b@example.pl")],
        &["processing"],
        Admission::Lottery,
    )
    .await;
    let refused = staff::draw(&workshops, &store, &list, "seed", at(2020, 3, 21))
        .await
        .expect_err("stale");
    assert!(
        refused.to_string().contains("publish the list again"),
        "{refused}"
    );
}

pub async fn only_consenting_ambassadors_are_published_with_their_public_fields<S: Store>(
    store: S,
) {
    let ambassadors = form("ambasadorzy");
    let admission = Admission::FirstCome { capacity: None };
    let public = register(
        &store,
        &ambassadors,
        &[
            ("full_name", "Anna Nowak"),
            ("email", "anna@example.pl"),
            ("phone", "600 100 200"),
            ("district", "XIII"),
            ("area", "Osiedle Kabel"),
        ],
        &["processing", "publication"],
        admission,
    )
    .await;
    register(
        &store,
        &ambassadors,
        &[
            ("full_name", "Jan Prywatny"),
            ("email", "jan@example.pl"),
            ("district", "I"),
            ("area", "Kazimierz"),
        ],
        &["processing"],
        admission,
    )
    .await;
    let (yaml, count) = staff::ambassadors_yaml(&ambassadors, &store, at(2020, 3, 6))
        .await
        .expect("published");
    assert_eq!(count, 1);
    assert!(
        yaml.contains(&public)
            && yaml.contains("Anna Nowak")
            && yaml.contains("Dzielnica XIII Podgórze"),
        "{yaml}"
    );
    for private in ["Jan Prywatny", "anna@example.pl", "600 100 200"] {
        assert!(
            !yaml.contains(private),
            "{private} must not be published: {yaml}"
        );
    }
    let parsed: serde_json::Value = serde_yaml::from_str(&yaml).expect("valid YAML");
    assert_eq!(parsed["ambassadors"][0]["area"], "Osiedle Kabel");
}

pub async fn the_forms_list_counts_each_forms_registrations<S: Store>(store: S) {
    let forms = krakow_forms();
    let ambassadors = form("ambasadorzy");
    let workshops = form("warsztaty-wspolne-projekty-miejskie-2020");
    for email in ["a@example.pl", "b@example.pl"] {
        register(
            &store,
            &ambassadors,
            &[("email", email)],
            &["processing"],
            Admission::FirstCome { capacity: None },
        )
        .await;
    }
    for email in ["c@example.pl", "d@example.pl", "e@example.pl"] {
        register(
            &store,
            &workshops,
            &[("email", email)],
            &["processing"],
            Admission::Lottery,
        )
        .await;
    }
    let listed = staff::list_forms(&forms, &store, at(2020, 3, 6))
        .await
        .expect("listed");
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), forms.len() + 1, "{listed}");
    assert!(
        lines[0].starts_with("form ") && lines[0].ends_with("pending  taken waiting applied"),
        "{listed}"
    );
    let counts = |id: &str| listed_counts(&listed, id);
    // pending, taken, waiting, applied
    assert_eq!(counts(&ambassadors.id), ["0", "2", "0", "0"], "{listed}");
    assert_eq!(counts(&workshops.id), ["0", "0", "0", "3"], "{listed}");
    for other in forms
        .iter()
        .filter(|f| f.id != ambassadors.id && f.id != workshops.id)
    {
        assert_eq!(counts(&other.id), ["0", "0", "0", "0"], "{listed}");
    }
}

/// Keeps every message; refuses those to `failing`.
#[derive(Default)]
struct Recording {
    sent: Mutex<Vec<Email>>,
    failing: Option<String>,
}

impl Mailer for Recording {
    async fn send(&self, email: Email) -> Result<(), MailError> {
        if self.failing.as_deref() == Some(email.to.as_str()) {
            return Err(MailError::Send("the server said no".to_owned()));
        }
        self.sent.lock().expect("not poisoned").push(email);
        Ok(())
    }
}

/// The workshops form with `count` confirmed applications, and its list
/// after closing.
async fn applications<S: Store>(store: S, count: usize) -> (S, FormDefinition, PublishedList) {
    let workshops = form("warsztaty-wspolne-projekty-miejskie-2020");
    for i in 0..count {
        register(
            &store,
            &workshops,
            &[
                ("full_name", "Osoba"),
                ("email", &format!("o{i}@example.pl")),
            ],
            &["processing"],
            Admission::Lottery,
        )
        .await;
    }
    let list = staff::lottery_list(&workshops, &store, at(2020, 3, 21))
        .await
        .expect("a list");
    (store, workshops, list)
}

pub async fn a_form_is_drawn_once_and_the_same_draw_can_be_finished<S: Store>(store: S) {
    let (store, workshops, list) = applications(store, 70).await;
    let seed = "Lotto 2020-03-21: 3 11 19 27 35 44";
    let first = staff::draw(&workshops, &store, &list, seed, at(2020, 3, 21))
        .await
        .expect("drawn");

    // Another seed a day later would give other winners and, with places
    // counted again, more than the capacity: refused, naming the draw.
    let refused = staff::draw(&workshops, &store, &list, "another seed", at(2020, 3, 22))
        .await
        .expect_err("drawn already");
    let message = refused.to_string();
    assert!(
        message.contains("drawn already")
            && message.contains("2020-03-21 13:00")
            && message.contains(&format!("{seed:?}")),
        "{message}"
    );
    let counts = store
        .counts(&workshops.id, at(2020, 3, 22))
        .await
        .expect("counts");
    assert_eq!((counts.taken, counts.waiting, counts.applied), (60, 10, 0));

    // The same draw again (after a run that stopped half-way) is taken
    // as finishing it: nothing changes, the first time is kept.
    let again = staff::draw(&workshops, &store, &list, seed, at(2020, 3, 22))
        .await
        .expect("resumed");
    assert!(again.resumed);
    assert_eq!(again.drawn_at, at(2020, 3, 21));
    assert_eq!(again.result, first.result);
    let counts = store
        .counts(&workshops.id, at(2020, 3, 22))
        .await
        .expect("counts");
    assert_eq!((counts.taken, counts.waiting, counts.applied), (60, 10, 0));
}

pub async fn nothing_is_listed_or_drawn_while_the_form_is_open_nor_confirmed_late<S: Store>(
    store: S,
) {
    let (store, workshops, list) = applications(store, 3).await;
    let open = at(2020, 3, 10);
    let refused = staff::lottery_list(&workshops, &store, open)
        .await
        .expect_err("still open");
    assert!(
        refused
            .to_string()
            .contains("still open until 2020-03-20 23:59"),
        "{refused}"
    );
    assert!(staff::draw(&workshops, &store, &list, "seed", open)
        .await
        .is_err());

    // Confirmed after closing: not in the list, which therefore cannot
    // grow once published.
    let confirm = new_token().expect("randomness");
    let late = NewRegistration {
        form_id: workshops.id.clone(),
        reference: new_reference().expect("randomness"),
        unique_key: "late@example.pl".to_owned(),
        values: BTreeMap::from([("email".to_owned(), "late@example.pl".to_owned())]),
        consents: Vec::new(),
        confirm_token_hash: Some(token_hash(&confirm)),
        withdraw_token_hash: token_hash(&new_token().expect("randomness")),
        spam: None,
        created_at: at(2020, 3, 20),
        expires_at: at(2021, 3, 20),
    };
    store.insert(late.clone(), None).await.expect("stored");
    let confirmed = store
        .confirm(
            &workshops.id,
            &token_hash(&confirm),
            Admission::Lottery,
            at(2020, 3, 21),
        )
        .await
        .expect("answered")
        .expect("confirmed");
    assert_eq!(confirmed.status, Status::Applied);
    let after = staff::lottery_list(&workshops, &store, at(2020, 3, 22))
        .await
        .expect("a list");
    assert_eq!(after, list);
    assert!(!after.references().contains(&late.reference));
}

pub async fn everyone_drawn_is_emailed_the_result_and_a_failure_keeps_the_draw<S: Store>(store: S) {
    let (store, workshops, list) = applications(store, 62).await;
    let drawn = staff::draw(&workshops, &store, &list, "seed", at(2020, 3, 21))
        .await
        .expect("drawn");
    let winner = store
        .find(&workshops.id, &drawn.result.winners[0], at(2020, 3, 22))
        .await
        .expect("read")
        .expect("found");
    let second_reserve = store
        .find(&workshops.id, &drawn.result.reserve[1], at(2020, 3, 22))
        .await
        .expect("read")
        .expect("found");
    let mailer = Recording {
        failing: Some(winner.values["email"].clone()),
        ..Recording::default()
    };
    let mailed = staff::mail_draw_results(
        &workshops,
        &store,
        &mailer,
        &drawn.result,
        "budzet@example.pl",
        at(2020, 3, 21),
    )
    .await
    .expect("mailed");
    assert_eq!((mailed.people, mailed.sent), (62, 61));
    assert_eq!(mailed.failed.len(), 1);
    assert_eq!(mailed.failed[0].0, winner.reference);
    let counts = store
        .counts(&workshops.id, at(2020, 3, 22))
        .await
        .expect("counts");
    assert_eq!((counts.taken, counts.waiting), (60, 2), "the draw stands");

    let sent = mailer.sent.into_inner().expect("not poisoned");
    let to = |registration: &agora_core::registration::Registration| {
        sent.iter()
            .find(|e| e.to == registration.values["email"])
            .cloned()
            .expect("e-mailed")
    };
    let reserve = to(&second_reserve);
    assert!(
        reserve.subject.contains(&second_reserve.reference),
        "{reserve:?}"
    );
    assert!(
        reserve
            .body
            .contains(&format!("Numer zgłoszenia: {}", second_reserve.reference))
            && reserve.body.contains("liście rezerwowej, na pozycji 2.")
            && reserve.body.contains("wycofaj zgłoszenie")
            && reserve.body.contains("budzet@example.pl"),
        "{}",
        reserve.body
    );
    let other_winner = store
        .find(&workshops.id, &drawn.result.winners[1], at(2020, 3, 22))
        .await
        .expect("read")
        .expect("found");
    let place = to(&other_winner);
    assert!(
        place.body.contains("Masz miejsce przyznane w losowaniu.")
            && place.body.contains("wycofaj zgłoszenie")
            && !place.body.contains("rezerwowej, na pozycji"),
        "{}",
        place.body
    );
}

#[test]
fn the_draw_page_shows_the_seed_exactly() {
    let workshops = form("warsztaty-wspolne-projekty-miejskie-2020");
    let list = PublishedList::new(&workshops.id, ["ABCD-EFGH", "JKLM-NPQR"]).expect("a list");
    let seed = "  ``Lotto`` `3` ";
    let result = lottery::draw(&list, seed, 1).expect("drawn");
    let page = staff::draw_page(&workshops, &result, "21 marca 2020");
    assert!(
        page.contains(&format!("\n```text\n{seed}\n```\n")),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forms_export_through_the_command_reads_a_dynamodb_table() {
    let (store, endpoint, table) = dynamodb_local::fresh_table().await;
    let ambassadors = form("ambasadorzy");
    // The command reads at the real time: registrations made now, so that
    // none has expired.
    let now = Utc::now();
    let mut references = Vec::new();
    for (name, email) in [
        ("Łucja Żółć", "lucja@example.pl"),
        ("Jan Kowalski", "jan@example.pl"),
    ] {
        let reference = register_at(
            &store,
            &ambassadors,
            &[("full_name", name), ("email", email), ("district", "XIII")],
            &["processing"],
            Admission::FirstCome { capacity: None },
            now,
        )
        .await;
        references.push(reference);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
            .args(["forms", "export", "ambasadorzy", "--root"])
            .arg(&root)
            .args(["--dynamodb-table", &table, "--dynamodb-endpoint", &endpoint])
            // DynamoDB Local checks that requests are signed, not by whom.
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_REGION", "eu-central-1")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
            .output()
            .expect("agora runs")
    })
    .await
    .expect("the command finished");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stdout.starts_with('\u{feff}'),
        "a byte order mark for Excel"
    );
    let lines: Vec<&str> = stdout.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "a header and both people: {stdout}");
    assert!(
        lines[0].starts_with("numer;stan;pozycja;zgłoszono;potwierdzono;poczta;Imię i nazwisko;"),
        "{}",
        lines[0]
    );
    for (reference, (name, email)) in references.iter().zip([
        ("Łucja Żółć", "lucja@example.pl"),
        ("Jan Kowalski", "jan@example.pl"),
    ]) {
        assert!(
            lines[1..]
                .iter()
                .any(|line| line.starts_with(&format!("{reference};"))
                    && line.contains(name)
                    && line.contains(email)),
            "{reference} ({name}) is exported: {stdout}"
        );
    }
}

const WORKSHOPS: &str = "warsztaty-wspolne-projekty-miejskie-2020";

/// Runs `agora` on the real site with `args`; its success, standard
/// output and standard error.
fn agora_command(args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(args)
        .output()
        .expect("agora runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_staff_command_refuses_a_moment_after_the_real_clock() {
    // A list published or a draw run "after closing" before the form has
    // really closed could not be undone.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = dir.path().join("agora.sqlite3");
    let store = store.to_str().expect("a UTF-8 path");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = root.to_str().expect("a UTF-8 path");
    for command in [
        &["lottery", "draw", WORKSHOPS, "--seed", "seed"][..],
        &["lottery", "publish-list", WORKSHOPS],
        &["forms", "list"],
    ] {
        let mut args = command.to_vec();
        args.extend([
            "--root",
            root,
            "--store",
            store,
            "--now",
            "2999-01-01 12:00",
        ]);
        let (success, _, stderr) = agora_command(&args);
        assert!(!success, "{command:?}");
        assert!(
            stderr.contains("--now 2999-01-01 12:00 is later than the real clock"),
            "{command:?}: {stderr}"
        );
    }
}

#[test]
fn the_purge_runs_on_the_real_clock_only() {
    // A purge erases for good: a preview's clock must not decide what.
    let (success, _, stderr) = agora_command(&["forms", "purge", "--now", "2020-03-21 12:00"]);
    assert!(!success);
    assert!(stderr.contains("unexpected argument '--now'"), "{stderr}");
}

/// The workshops' form as the rehearsal needs it: the 2020 recruitment
/// was called off and the sources give no closing date, so the copy gets
/// the window of `krakow::WORKSHOPS_CLOSE` (a test fixture, not a fact).
fn rehearse_workshops_as_planned(site: &common::TempSite) {
    let path = site
        .root()
        .join("content/forms")
        .join(format!("{WORKSHOPS}.yaml"));
    let text = std::fs::read_to_string(&path).expect("the workshops' form");
    let mut planned = String::new();
    let mut in_cancelled = false;
    for line in text.lines() {
        if line.starts_with("cancelled:") {
            in_cancelled = true;
            continue;
        }
        if in_cancelled && line.starts_with(' ') {
            continue;
        }
        in_cancelled = false;
        planned.push_str(line);
        planned.push('\n');
        if line.starts_with("opens:") {
            let (month, day) = krakow::WORKSHOPS_CLOSE;
            planned.push_str(&format!("closes: 2020-{month:02}-{day:02} 23:59\n"));
        }
    }
    std::fs::write(&path, planned).expect("the planned form written");
}

/// Where a rehearsal keeps its registrations: the `agora` options that
/// name the store, the environment they need, and the SQLite file if it
/// is one.
struct Rehearsal {
    store_args: Vec<String>,
    env: Vec<(&'static str, &'static str)>,
    sqlite: Option<std::path::PathBuf>,
}

impl Rehearsal {
    fn sqlite(path: std::path::PathBuf) -> Self {
        Self {
            store_args: vec!["--store".to_owned(), path.display().to_string()],
            env: Vec::new(),
            sqlite: Some(path),
        }
    }

    fn dynamodb(table: &str, endpoint: &str) -> Self {
        Self {
            store_args: vec![
                "--dynamodb-table".to_owned(),
                table.to_owned(),
                "--dynamodb-endpoint".to_owned(),
                endpoint.to_owned(),
            ],
            // DynamoDB Local checks that requests are signed, not by whom.
            env: vec![
                ("AWS_ACCESS_KEY_ID", "local"),
                ("AWS_SECRET_ACCESS_KEY", "local"),
                ("AWS_REGION", "eu-central-1"),
            ],
            sqlite: None,
        }
    }

    /// `agora <args> --root <root>` on this store.
    fn command(&self, root: &Path, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_agora"));
        command
            .args(args)
            .arg("--root")
            .arg(root)
            .args(&self.store_args);
        for (name, value) in &self.env {
            command.env(name, value);
        }
        for name in [
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_DYNAMODB",
        ] {
            command.env_remove(name);
        }
        command
    }

    /// A staff command that must succeed; its standard output.
    fn staff(&self, root: &Path, args: &[&str]) -> String {
        let output = self.command(root, args).output().expect("agora runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "agora {args:?}: {stderr}");
        String::from_utf8(output.stdout).expect("UTF-8")
    }
}

/// `agora serve`, stopped when the test ends, passed or not.
struct Server(std::process::Child);

impl Server {
    /// Stops it as Ctrl-C does and waits until it has.
    fn interrupt(mut self) {
        let pid = self.0.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        for _ in 0..600 {
            if let Some(status) = self.0.try_wait().expect("the server's state") {
                assert!(status.success(), "agora serve stopped with {status}");
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("agora serve did not stop within a minute of Ctrl-C");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// POSTs `body` as JSON to `agora serve`; the status and the answer.
fn post_json(address: &str, path: &str, body: &serde_json::Value) -> (u16, String) {
    let body = body.to_string();
    exchange(
        address,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// The fill-time stamp the form's status gives out, as the page's script
/// takes it.
fn fill_stamp(address: &str, form: &str) -> String {
    let (status, answer) = exchange(
        address,
        &format!(
            "GET /api/forms/{form} HTTP/1.1\r\nHost: {address}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 200, "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(body).expect("the status as JSON");
    json["started_at"]
        .as_str()
        .expect("a fill-time stamp")
        .to_owned()
}

/// Sends one whole HTTP/1.1 request; the status code and the raw answer.
fn exchange(address: &str, request: &str) -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(address).expect("connect to agora serve");
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in: {answer}"));
    (status, answer)
}

/// The e-mails of `outbox` to `address`, their quoted-printable decoded.
fn mails_to(outbox: &Path, address: &str) -> Vec<String> {
    let header = format!("To: {address}");
    std::fs::read_dir(outbox)
        .unwrap_or_else(|e| panic!("{}: {e}", outbox.display()))
        .map(|entry| entry.expect("an outbox entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "eml"))
        .map(|path| decoded(&std::fs::read(&path).expect("an e-mail")))
        .filter(|mail| mail.lines().any(|line| line.trim_end() == header))
        .collect()
}

fn decoded(raw: &[u8]) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let rest = &raw[i..];
        if rest.starts_with(b"=\r\n") {
            i += 3;
        } else if rest.starts_with(b"=\n") {
            i += 2;
        } else if let Some(byte) = (rest.len() >= 3 && rest[0] == b'=')
            .then(|| std::str::from_utf8(&rest[1..3]).ok())
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(rest[0]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The token of the `action` link (`potwierdz`, `wycofaj`) in `mail`.
fn token_in(mail: &str, action: &str) -> String {
    let marker = format!("/{action}?token=");
    let start = mail
        .find(&marker)
        .unwrap_or_else(|| panic!("no {action} link in: {mail}"))
        + marker.len();
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect()
}

/// The counts `agora forms list` shows for `form`: pending, taken,
/// waiting, applied.
fn listed_counts(listed: &str, form: &str) -> Vec<String> {
    let line = listed
        .lines()
        .find(|line| line.split_whitespace().next() == Some(form))
        .unwrap_or_else(|| panic!("{form} is listed: {listed}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    words[words.len() - 4..]
        .iter()
        .map(|w| (*w).to_owned())
        .collect()
}

/// The 2020 story on one machine, as the README tells it: residents
/// register and confirm under `agora serve --now`, the window closes, staff
/// list the applications, publish the list, draw, and anyone verifies, each
/// staff command `--now` at its moment of 2020.
fn rehearse(rehearsal: &Rehearsal) {
    let site = common::TempSite::real();
    rehearse_workshops_as_planned(&site);
    let root = site.root();
    let mut child = rehearsal
        .command(
            &root,
            &[
                "serve",
                "--port",
                "0",
                "--no-watch",
                "--now",
                "2020-03-05 12:00",
            ],
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start agora serve");
    let stdout = child.stdout.take().expect("the server's output");
    let server = Server(child);
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    // Keep reading, so that the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let address = first
        .split("serving http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in: {first}"))
        .to_owned();

    let applicants = ["ala@example.pl", "bartek@example.pl", "celina@example.pl"];
    let ambassador = "anna.proba@example.pl";
    // The forms are opened, then filled in for longer than the least fill
    // time (3 s).
    let workshops_stamp = fill_stamp(&address, WORKSHOPS);
    let ambassadors_stamp = fill_stamp(&address, "ambasadorzy");
    std::thread::sleep(std::time::Duration::from_millis(3100));
    for email in applicants {
        let (status, answer) = post_json(
            &address,
            &format!("/api/forms/{WORKSHOPS}"),
            &serde_json::json!({
                "full_name": "Osoba Próbna",
                "email": email,
                "attends_all": true,
                "processing": true,
                "started_at": workshops_stamp,
            }),
        );
        assert_eq!(status, 201, "{answer}");
    }
    let (status, answer) = post_json(
        &address,
        "/api/forms/ambasadorzy",
        &serde_json::json!({
            "full_name": "Anna Próbna",
            "email": ambassador,
            "district": "XIII",
            "area": "Osiedle Kabel",
            "processing": true,
            "publication": true,
            "started_at": ambassadors_stamp,
        }),
    );
    assert_eq!(status, 201, "{answer}");
    let outbox = root.join(".agora").join("outbox");
    let people = applicants
        .iter()
        .map(|email| (WORKSHOPS, *email, "applied"))
        .chain([("ambasadorzy", ambassador, "registered")]);
    for (form, email, status) in people {
        let mails = mails_to(&outbox, email);
        let mail = mails
            .iter()
            .find(|mail| mail.contains("/potwierdz?token="))
            .unwrap_or_else(|| panic!("no confirmation e-mail to {email}: {mails:?}"));
        let (code, answer) = post_json(
            &address,
            &format!("/api/forms/{form}/potwierdz"),
            &serde_json::json!({ "token": token_in(mail, "potwierdz") }),
        );
        assert_eq!(code, 200, "{answer}");
        assert!(
            answer.contains(&format!("\"status\":\"{status}\"")),
            "{answer}"
        );
    }
    server.interrupt();
    if let Some(path) = &rehearsal.sqlite {
        // Stopped with Ctrl-C, the server left no write-ahead log behind.
        let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
        let left = std::fs::metadata(&wal).map_or(0, |m| m.len());
        assert_eq!(left, 0, "{} holds {left} bytes", wal.display());
    }

    // By the real clock these registrations expired long ago.
    let listed = rehearsal.staff(&root, &["forms", "list"]);
    assert_eq!(listed_counts(&listed, WORKSHOPS), ["0", "0", "0", "0"]);
    let day_after = "2020-03-06 12:00";
    let listed = rehearsal.staff(&root, &["forms", "list", "--now", day_after]);
    assert_eq!(
        listed_counts(&listed, WORKSHOPS),
        ["0", "0", "0", "3"],
        "{listed}"
    );
    assert_eq!(
        listed_counts(&listed, "ambasadorzy"),
        ["0", "1", "0", "0"],
        "{listed}"
    );
    let exported = rehearsal.staff(&root, &["forms", "export", WORKSHOPS, "--now", day_after]);
    for email in applicants {
        assert!(exported.contains(email), "{email}: {exported}");
    }
    let published = rehearsal.staff(&root, &["ambassadors", "publish", "--now", day_after]);
    assert!(published.starts_with("wrote 1 ambassadors"), "{published}");
    let yaml = std::fs::read_to_string(root.join("content/data/ambasadorzy.yaml"))
        .expect("the ambassadors' file");
    assert!(
        yaml.contains("Anna Próbna") && !yaml.contains(ambassador),
        "{yaml}"
    );

    // The window closes on 20 March at 23:59.
    let list = site.out("lista.txt");
    let list = list.to_str().expect("a UTF-8 path");
    let early = rehearsal
        .command(
            &root,
            &[
                "lottery",
                "publish-list",
                WORKSHOPS,
                "--out",
                list,
                "--now",
                "2020-03-10 12:00",
            ],
        )
        .output()
        .expect("agora runs");
    let stderr = String::from_utf8_lossy(&early.stderr);
    assert!(!early.status.success());
    assert!(
        stderr.contains("still open until 2020-03-20 23:59"),
        "{stderr}"
    );

    let after_closing = "2020-03-21 12:00";
    let written = rehearsal.staff(
        &root,
        &[
            "lottery",
            "publish-list",
            WORKSHOPS,
            "--out",
            list,
            "--now",
            after_closing,
        ],
    );
    assert!(written.contains("(3 applications)"), "{written}");
    let sha256 = written
        .lines()
        .find_map(|line| line.strip_prefix("SHA-256: "))
        .unwrap_or_else(|| panic!("no SHA-256 in: {written}"))
        .to_owned();

    let seed = "Lotto 2020-03-21: 3 11 19 27 35 44";
    let (result, page, results_outbox) = (
        site.out("wynik.txt"),
        site.out("wyniki.md"),
        site.out("wyniki-outbox"),
    );
    let (result, page, results_outbox) = (
        result.to_str().expect("a UTF-8 path"),
        page.to_str().expect("a UTF-8 path"),
        results_outbox.to_str().expect("a UTF-8 path"),
    );
    let drawn = rehearsal.staff(
        &root,
        &[
            "lottery",
            "draw",
            WORKSHOPS,
            "--seed",
            seed,
            "--list",
            list,
            "--out",
            result,
            "--page",
            page,
            "--outbox",
            results_outbox,
            "--now",
            after_closing,
        ],
    );
    assert!(
        drawn.contains("3 places given, 0 on the reserve list")
            && drawn.contains("e-mailed the result to 3/3 people"),
        "{drawn}"
    );
    let page = std::fs::read_to_string(page).expect("the results page");
    assert!(
        page.contains("Losowanie odbyło się 21 marca 2020."),
        "{page}"
    );
    for email in applicants {
        let mails = mails_to(Path::new(results_outbox), email);
        assert!(
            mails
                .iter()
                .any(|mail| mail.contains("Masz miejsce przyznane w losowaniu.")),
            "{email}: {mails:?}"
        );
    }

    let (success, verified, stderr) = agora_command(&[
        "lottery",
        "verify",
        "--list",
        list,
        "--seed",
        seed,
        "--places",
        "60",
        "--result",
        result,
        "--list-sha256",
        &sha256,
    ]);
    assert!(success, "{stderr}");
    assert!(
        verified.starts_with("the draw verifies: 3 places"),
        "{verified}"
    );
}

#[test]
fn the_2020_story_can_be_rehearsed_with_now_on_the_sqlite_store() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    rehearse(&Rehearsal::sqlite(dir.path().join("proba.sqlite3")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_2020_story_can_be_rehearsed_with_now_on_dynamodb() {
    let (_store, endpoint, table) = dynamodb_local::fresh_table().await;
    tokio::task::spawn_blocking(move || rehearse(&Rehearsal::dynamodb(&table, &endpoint)))
        .await
        .expect("the rehearsal passes");
}

/// Every story on a store made by `$make`, in a module named `$backend`.
macro_rules! staff_stories {
    ($backend:ident, $make:expr) => {
        mod $backend {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_csv_export_opens_in_excel_with_polish_letters_and_no_formulas() {
                super::a_csv_export_opens_in_excel_with_polish_letters_and_no_formulas($make.await)
                    .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_draw_gives_60_places_and_anyone_can_verify_it() {
                super::a_draw_gives_60_places_and_anyone_can_verify_it($make.await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_stale_list_is_refused() {
                super::a_stale_list_is_refused($make.await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn only_consenting_ambassadors_are_published_with_their_public_fields() {
                super::only_consenting_ambassadors_are_published_with_their_public_fields(
                    $make.await,
                )
                .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn the_forms_list_counts_each_forms_registrations() {
                super::the_forms_list_counts_each_forms_registrations($make.await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_form_is_drawn_once_and_the_same_draw_can_be_finished() {
                super::a_form_is_drawn_once_and_the_same_draw_can_be_finished($make.await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn nothing_is_listed_or_drawn_while_the_form_is_open_nor_confirmed_late() {
                super::nothing_is_listed_or_drawn_while_the_form_is_open_nor_confirmed_late(
                    $make.await,
                )
                .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn everyone_drawn_is_emailed_the_result_and_a_failure_keeps_the_draw() {
                super::everyone_drawn_is_emailed_the_result_and_a_failure_keeps_the_draw(
                    $make.await,
                )
                .await;
            }
        }
    };
}

staff_stories!(sqlite, async {
    agora_stores::sqlite::SqliteStore::in_memory().expect("an in-memory store")
});
staff_stories!(dynamodb, crate::dynamodb_local::fresh_store());

/// `agora mail check` with SES out of reach: every question is named as
/// unanswered with what to do, and the command fails (exit 1), so that an
/// operator cannot take silence for readiness. The answers themselves are
/// `functions/stores/tests/mail_preflight.rs`'s.
#[test]
fn mail_check_fails_when_ses_cannot_be_asked() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let endpoint = format!("http://{}", closed.local_addr().expect("an address"));
    drop(closed);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(["mail", "check", "--from", "budzet@example.org"])
        .args([
            "--configuration-set",
            "agora-mail",
            "--region",
            "eu-central-1",
        ])
        .args(["--ses-endpoint", &endpoint])
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("the command ran");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Amazon SES in eu-central-1, sending as budzet@example.org"),
        "{stderr}"
    );
    assert!(
        stderr.contains("NOT YET SES could not be asked about the account"),
        "{stderr}"
    );
    assert!(stderr.contains("SES is not ready"), "{stderr}");
}
