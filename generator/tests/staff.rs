//! The staff's commands on real registrations, against every store the
//! `agora` command opens: the embedded SQLite store and DynamoDB
//! (Amazon's DynamoDB Local), never a fake. The 2020 story is rehearsed
//! whole through the `agora` command on both: registered under
//! `agora serve --now`, then listed, drawn and verified with the staff
//! commands' `--now`. The staff's work itself, over each store, is
//! `functions/stores/tests/staff.rs`.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod serving;
use common::{on_dynamodb_local, without_machine_aws, LOCAL_AWS};

use agora_test_support::dynamodb_local;
use agora_test_support::fixture::decode_quoted_printable;
use agora_test_support::krakow::{self, form};
use agora_test_support::staff::{listed_counts, register_at};

use std::path::Path;

use agora_core::registration::Admission;
use chrono::Utc;

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
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_agora"));
        on_dynamodb_local(&mut command)
            .args(["forms", "export", "ambasadorzy", "--root"])
            .arg(&root)
            .args(["--dynamodb-table", &table, "--dynamodb-endpoint", &endpoint])
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
            env: LOCAL_AWS.to_vec(),
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
            .args(&self.store_args)
            .envs(self.env.iter().copied());
        without_machine_aws(&mut command);
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

/// POSTs `body` as JSON to `agora serve`; the status and the answer.
fn post_json(address: &str, path: &str, body: &serde_json::Value) -> (u16, String) {
    let body = body.to_string();
    serving::request(address, "POST", path, Some(("application/json", &body)))
}

/// The fill-time stamp the form's status gives out, as the page's script
/// takes it.
fn fill_stamp(address: &str, form: &str) -> String {
    serving::form_status(address, form)["started_at"]
        .as_str()
        .expect("a fill-time stamp")
        .to_owned()
}

/// The e-mails of `outbox` to `address`, their quoted-printable decoded.
fn mails_to(outbox: &Path, address: &str) -> Vec<String> {
    let header = format!("To: {address}");
    std::fs::read_dir(outbox)
        .unwrap_or_else(|e| panic!("{}: {e}", outbox.display()))
        .map(|entry| entry.expect("an outbox entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "eml"))
        .map(|path| {
            decode_quoted_printable(&String::from_utf8_lossy(
                &std::fs::read(&path).expect("an e-mail"),
            ))
        })
        .filter(|mail| mail.lines().any(|line| line.trim_end() == header))
        .collect()
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

/// The 2020 story on one machine, as the README tells it: residents
/// register and confirm under `agora serve --now`, the window closes, staff
/// list the applications, publish the list, draw, and anyone verifies, each
/// staff command `--now` at its moment of 2020.
fn rehearse(rehearsal: &Rehearsal) {
    let site = common::TempSite::real();
    rehearse_workshops_as_planned(&site);
    let root = site.root();
    let server = serving::start(rehearsal.command(
        &root,
        &[
            "serve",
            "--port",
            "0",
            "--no-watch",
            "--now",
            "2020-03-05 12:00",
        ],
    ));
    let address = server.address.clone();

    let applicants = ["ala@example.pl", "bartek@example.pl", "celina@example.pl"];
    let ambassador = "anna.proba@example.pl";
    // The forms are opened, then filled in for longer than the least fill
    // time (3 s).
    let workshops_stamp = fill_stamp(&address, WORKSHOPS);
    let ambassadors_stamp = fill_stamp(&address, "ambasadorzy");
    serving::fill_in_like_a_person();
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
    // Confirmed, but not appointed by the office (the workspace does
    // that, generator/tests/panel_publish.rs): not on the public list.
    let published = rehearsal.staff(&root, &["ambassadors", "publish", "--now", day_after]);
    assert!(published.starts_with("wrote 0 ambassadors"), "{published}");
    let yaml = std::fs::read_to_string(root.join("content/data/ambasadorzy.yaml"))
        .expect("the ambassadors' file");
    assert!(
        !yaml.contains("Anna Próbna") && !yaml.contains(ambassador),
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
