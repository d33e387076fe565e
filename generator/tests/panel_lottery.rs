//! The workspace's draw gives the same bytes as `agora lottery`: on two
//! copies of one SQLite store, the `agora` command publishes the list and
//! draws on one, the workspace (the router `agora serve` runs) on the
//! other, with the same seed at the same moment; the list, the result and
//! the site's page the workspace offers are byte for byte the command's
//! `lista.txt`, `wynik.txt` and `--page` file.

#[allow(dead_code)]
mod common;
use agora_test_support::fixture;
use agora_test_support::krakow;
use agora_test_support::publishing::Recorded;
use agora_test_support::staff::register_at;
use agora_test_support::workspace::access_settings;

use std::path::Path;
use std::sync::Arc;

use agora_core::panel::sessions::{csrf_token, COOKIE};
use agora_core::panel::{PanelStore, Session};
use agora_core::registration::{new_reference, new_token, token_hash, Admission};
use agora_functions::http::{clock_from, panel, HttpSettings};
use agora_stores::sqlite::SqliteStore;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use tower::ServiceExt;

const WORKSHOPS: &str = "warsztaty-wspolne-projekty-miejskie-2020";
const OFFICE: &str = "biuro@example.pl";
const SEED: &str = "Lotto 2020-03-21: 3 11 19 27 35 44";
/// The day after the workshops' window closed, as `--now` and in UTC.
const AFTER_CLOSING: &str = "2020-03-21 12:00";

fn after_closing() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 21, 11, 0, 0)
        .single()
        .expect("a valid time")
}

/// The real site with the workshops in the window the tests rehearse
/// (the 2020 recruitment was called off and had no closing date).
fn rehearsed_site() -> common::TempSite {
    let site = common::TempSite::real();
    let path = site
        .root()
        .join("content/forms")
        .join(format!("{WORKSHOPS}.yaml"));
    let text = std::fs::read_to_string(&path).expect("the workshops' form");
    let (month, day) = krakow::WORKSHOPS_CLOSE;
    let mut planned = String::new();
    let mut cancelled = false;
    for line in text.lines() {
        cancelled = line.starts_with("cancelled:") || (cancelled && line.starts_with(' '));
        if !cancelled {
            planned.push_str(line);
            planned.push('\n');
        }
        if line.starts_with("opens:") {
            planned.push_str(&format!("closes: 2020-{month:02}-{day:02} 23:59\n"));
        }
    }
    std::fs::write(&path, planned).expect("the planned form written");
    site
}

/// `agora <args> --root <root> --store <store> --now <after closing>`,
/// which must succeed.
fn agora(root: &Path, store: &Path, args: &[&str]) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(args)
        .arg("--root")
        .arg(root)
        .arg("--store")
        .arg(store)
        .args(["--now", AFTER_CLOSING])
        .output()
        .expect("agora runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "agora {args:?}: {stderr}");
}

/// The workspace over `store` at the day after closing, and an office
/// session in it: its cookie and CSRF token.
async fn workspace(root: &Path, store: SqliteStore) -> (Router, Arc<Recorded>, String, String) {
    let forms = agora_core::forms::load_site(&root.join("content"), Path::new("content"))
        .expect("the site's forms");
    let secret = new_token().expect("randomness");
    let session = Session {
        id_hash: token_hash(&secret),
        email: OFFICE.to_owned(),
        created_at: after_closing(),
        last_seen: after_closing(),
    };
    let expires_at = after_closing() + chrono::Duration::hours(1);
    store
        .put_session(&session, expires_at)
        .await
        .expect("a session");
    let (service, _outbox) = fixture::service(forms, store, 100);
    let site = Arc::new(Recorded::default());
    let publisher = Arc::clone(&site) as Arc<dyn agora_core::panel::Publisher>;
    let router = panel::with_forms(
        Arc::new(service),
        access_settings(&[OFFICE]),
        clock_from(after_closing()),
        HttpSettings::default(),
        publisher,
    );
    let csrf = csrf_token(fixture::SALT, &secret);
    (router, site, format!("{COOKIE}={secret}"), csrf)
}

/// The workspace's answer to `request` in the office's session: the
/// status and the body's bytes.
async fn ask(
    router: &Router,
    cookie: &str,
    request: axum::http::request::Builder,
    body: String,
) -> (StatusCode, Vec<u8>) {
    let request = request
        .header(header::COOKIE, cookie)
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("a request");
    let response = router.clone().oneshot(request).await.expect("an answer");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("a body");
    (status, bytes.to_vec())
}

/// `fields` as a browser posts a form (every byte but letters and digits
/// percent-encoded).
fn form_body(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let pairs: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect();
    pairs.join("&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workspace_publishes_and_draws_the_same_bytes_as_the_command() {
    let site = rehearsed_site();
    let root = site.root();
    let (for_command, for_workspace) = (site.out("command.sqlite3"), site.out("panel.sqlite3"));
    {
        let store = SqliteStore::open(&for_command).expect("a store");
        let form = agora_core::forms::load_site(&root.join("content"), Path::new("content"))
            .expect("the site's forms")
            .into_iter()
            .find(|f| f.id == WORKSHOPS)
            .expect("the workshops");
        let made = Utc
            .with_ymd_and_hms(2020, 3, 5, 10, 0, 0)
            .single()
            .expect("a time");
        for _ in 0..70 {
            let email = format!("{}@example.pl", new_reference().expect("randomness"));
            let values = [("full_name", "Osoba Próbna"), ("email", email.as_str())];
            register_at(
                &store,
                &form,
                &values,
                &["processing"],
                Admission::Lottery,
                made,
            )
            .await;
        }
    }
    // Closed, the store left no log behind: the file is the whole store.
    std::fs::copy(&for_command, &for_workspace).expect("a copy of the store");

    let (list, result, page) = (
        site.out("lista.txt"),
        site.out("wynik.txt"),
        site.out("wyniki.md"),
    );
    let outbox = site.out("outbox");
    let path = |p: &Path| p.to_str().expect("a UTF-8 path").to_owned();
    agora(
        &root,
        &for_command,
        &["lottery", "publish-list", WORKSHOPS, "--out", &path(&list)],
    );
    agora(
        &root,
        &for_command,
        &[
            "lottery",
            "draw",
            WORKSHOPS,
            "--seed",
            SEED,
            "--list",
            &path(&list),
            "--out",
            &path(&result),
            "--page",
            &path(&page),
            "--outbox",
            &path(&outbox),
        ],
    );

    let store = SqliteStore::open(&for_workspace).expect("the copy");
    let (router, published, cookie, csrf) = workspace(&root, store).await;
    let lottery = format!("/panel/formularze/{WORKSHOPS}/losowanie");
    let post = |fields: &[(&str, &str)]| {
        let mut fields = fields.to_vec();
        fields.push(("csrf", &csrf));
        form_body(&fields)
    };
    let (status, _) = ask(
        &router,
        &cookie,
        Request::post(format!("{lottery}/lista")),
        post(&[]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let drawing = post(&[("seed", SEED), ("confirm", "tak")]);
    let (status, _) = ask(
        &router,
        &cookie,
        Request::post(format!("{lottery}/losuj")),
        drawing,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    for (download, written) in [("lista", &list), ("wynik", &result)] {
        let (status, bytes) = ask(
            &router,
            &cookie,
            Request::get(format!("{lottery}/{download}")),
            String::new(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{download}");
        assert_eq!(
            bytes,
            std::fs::read(written).expect("the command's file"),
            "{download}"
        );
    }
    let site_page = published.latest(&format!("wyniki-losowania-{WORKSHOPS}.md"));
    let command_page = std::fs::read_to_string(&page).expect("the command's page");
    assert_eq!(site_page, Some(command_page), "the site's page");
}
