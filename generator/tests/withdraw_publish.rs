//! An appointed ambassador who withdraws through their e-mailed link
//! leaves the public list at once, end to end under `agora serve` on a
//! copy of the Kraków site: a resident applies and confirms, the office's
//! appointment is recorded and the list published (`agora ambassadors
//! publish`), the public page lists her; she uses her withdrawal link, and
//! the same server's page no longer does, with nobody publishing by hand.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod serving;

use std::path::Path;
use std::time::{Duration, Instant};

use agora_core::panel::{Appointment, Decision, StaffRecords};
use agora_stores::sqlite::SqliteStore;
use agora_test_support::fixture::decode_quoted_printable;

const PAGE: &str = "/wspolne-projekty/ambasadorzy/";
const EMAIL: &str = "ewa.wycofana@example.pl";
const NAME: &str = "Ewa Wycofana";

/// POSTs `body` as JSON to `path`; the answer's status and body.
fn post_json(address: &str, path: &str, body: &serde_json::Value) -> (u16, String) {
    let text = body.to_string();
    serving::request(address, "POST", path, Some(("application/json", &text)))
}

/// The token of the `/{action}?token=` link e-mailed to [`EMAIL`].
fn token(outbox: &Path, action: &str) -> String {
    let marker = format!("/{action}?token=");
    let mails = std::fs::read_dir(outbox).expect("the outbox");
    let token = mails
        .map(|entry| std::fs::read(entry.expect("an entry").path()).expect("an e-mail"))
        .map(|raw| decode_quoted_printable(&String::from_utf8_lossy(&raw)))
        .filter(|mail| mail.contains(&format!("To: {EMAIL}")))
        .find_map(|mail| {
            let start = mail.find(&marker)? + marker.len();
            let token = mail[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
            Some(token.collect::<String>())
        });
    token.unwrap_or_else(|| panic!("no {action} link to {EMAIL}"))
}

/// She applies, consenting to the public list, and confirms; her reference.
fn apply_and_confirm(address: &str, outbox: &Path) -> String {
    let stamp = serving::form_status(address, "ambasadorzy")["started_at"].clone();
    serving::fill_in_like_a_person();
    let application = serde_json::json!({
        "full_name": NAME, "email": EMAIL, "district": "XIII", "area": "Osiedle Kabel",
        "processing": true, "publication": true, "started_at": stamp,
    });
    let (status, body) = post_json(address, "/api/forms/ambasadorzy", &application);
    assert_eq!(status, 201, "{body}");
    let confirm = serde_json::json!({ "token": token(outbox, "potwierdz") });
    let (status, body) = post_json(address, "/api/forms/ambasadorzy/potwierdz", &confirm);
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    answer["reference"]
        .as_str()
        .expect("a reference")
        .to_owned()
}

/// The office's appointment of `reference`, kept in the server's store.
fn appoint(root: &Path, reference: &str) {
    let store = SqliteStore::open(&root.join(".agora/agora.sqlite3")).expect("the store");
    let appointment = Appointment {
        form_id: "ambasadorzy".to_owned(),
        reference: reference.to_owned(),
        decision: Decision::Appointed,
        decided_by: "biuro@example.pl".to_owned(),
        decided_at: chrono::Utc::now(),
    };
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime
        .block_on(store.put_appointment(&appointment))
        .expect("appointed");
}

/// The public page once `listed` says whether it names her, within 30 s.
fn page_once(server: &serving::Server, listed: bool) -> String {
    let started = Instant::now();
    loop {
        let (status, page) = server.get(PAGE);
        if status == 200 && page.contains(NAME) == listed {
            return page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the page still does not show the change: {page}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_appointed_ambassador_who_withdraws_leaves_the_site_at_once() {
    let site = common::TempSite::real();
    let root = site.root();
    let mut command = serving::agora_serve(&root);
    command.args(["--now", "2020-03-05 12:00"]);
    let server = serving::start(command);
    let outbox = root.join(".agora").join("outbox");

    let reference = apply_and_confirm(&server.address, &outbox);
    appoint(&root, &reference);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
        .args([
            "ambassadors",
            "publish",
            "--now",
            "2020-03-05 12:10",
            "--root",
        ])
        .arg(&root)
        .output()
        .expect("agora runs");
    assert!(output.status.success(), "{}", common::text(&output.stderr));
    page_once(&server, true);

    let withdraw = serde_json::json!({ "token": token(&outbox, "wycofaj") });
    let path = "/api/forms/ambasadorzy/wycofaj";
    let (status, body) = post_json(&server.address, path, &withdraw);
    assert_eq!(status, 200, "{body}");
    let page = page_once(&server, false);
    assert!(!page.contains(&reference), "{page}");
    let list = std::fs::read_to_string(root.join("content/data/ambasadorzy.yaml"));
    assert!(!list.expect("the list").contains(NAME));
    server.interrupt();
}
