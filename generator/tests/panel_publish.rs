//! Publishing from the staff workspace to the site, end to end, under
//! `agora serve` on a copy of the Kraków site: a resident applies to be
//! an ambassador and confirms, the office signs in and appoints them at
//! `/panel/`, and the public ambassadors' page of the same server lists
//! them after the live rebuild; `agora ambassadors publish` then writes
//! the very bytes the workspace published.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod serving;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use agora_test_support::fixture::decode_quoted_printable;

const OFFICE: &str = "biuro@example.pl";
const PAGE: &str = "/wspolne-projekty/ambasadorzy/";

/// An answer: status, headers (lowercase names) and body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// One request on a new connection, with a session `cookie` and a body
/// (content type, text).
fn send(
    address: &str,
    method: &str,
    path: &str,
    cookie: &str,
    body: Option<(&str, &str)>,
) -> Answer {
    let mut stream = TcpStream::connect(address).expect("connect to agora serve");
    let (content_type, body) = body.unwrap_or(("text/plain", ""));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nCookie: {cookie}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send the request");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read the answer");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in: {raw}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// `fields` as an HTML form sends them.
fn urlencoded(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    char::from(b).to_string()
                }
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

fn post_form(address: &str, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Answer {
    let body = urlencoded(fields);
    let form = Some(("application/x-www-form-urlencoded", body.as_str()));
    send(address, "POST", path, cookie, form)
}

/// The token of the first link to `path` in the e-mails to `to`.
fn link_token(outbox: &Path, to: &str, path: &str) -> String {
    let marker = format!("{path}?token=");
    let header = format!("To: {to}");
    let mails = std::fs::read_dir(outbox).expect("the outbox");
    for entry in mails {
        let raw = std::fs::read(entry.expect("an entry").path()).expect("an e-mail");
        let mail = decode_quoted_printable(&String::from_utf8_lossy(&raw));
        if let (true, Some(start)) = (mail.contains(&header), mail.find(&marker)) {
            let rest = &mail[start + marker.len()..];
            let token = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
            return token.collect();
        }
    }
    panic!("no {path} link to {to}");
}

/// A resident applies to be an ambassador and confirms; the reference.
fn apply_and_confirm(address: &str, outbox: &Path) -> String {
    let stamp = serving::form_status(address, "ambasadorzy")["started_at"]
        .as_str()
        .expect("a fill-time stamp")
        .to_owned();
    serving::fill_in_like_a_person();
    let application = serde_json::json!({
        "full_name": "Anna Próbna",
        "email": "anna.proba@example.pl",
        "district": "XIII",
        "area": "Osiedle Kabel",
        "processing": true,
        "publication": true,
        "started_at": stamp,
    });
    let sent = send(
        address,
        "POST",
        "/api/forms/ambasadorzy",
        "",
        Some(("application/json", &application.to_string())),
    );
    assert_eq!(sent.status, 201, "{}", sent.body);
    let token = link_token(outbox, "anna.proba@example.pl", "/potwierdz");
    let confirm = serde_json::json!({ "token": token }).to_string();
    let confirmed = send(
        address,
        "POST",
        "/api/forms/ambasadorzy/potwierdz",
        "",
        Some(("application/json", &confirm)),
    );
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let answer: serde_json::Value = serde_json::from_str(&confirmed.body).expect("JSON");
    answer["reference"]
        .as_str()
        .expect("a reference")
        .to_owned()
}

/// The office signs in through the e-mailed link; the session cookie.
fn sign_in(address: &str, outbox: &Path) -> String {
    let asked = post_form(address, "/panel/logowanie", "", &[("email", OFFICE)]);
    assert_eq!(asked.status, 200, "{}", asked.body);
    let token = link_token(outbox, OFFICE, "/panel/logowanie/link");
    let signed = post_form(address, "/panel/logowanie/link", "", &[("token", &token)]);
    assert_eq!(signed.status, 303, "{}", signed.body);
    let cookie = signed.header("set-cookie");
    cookie.split(';').next().unwrap_or_default().to_owned()
}

fn csrf(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("a CSRF field") + marker.len();
    page[start..].chars().take_while(|c| *c != '"').collect()
}

#[test]
fn an_ambassador_appointed_in_the_workspace_appears_on_the_site_at_once() {
    let site = common::TempSite::real();
    let root = site.root();
    let config = std::fs::read_to_string(root.join("agora.yaml")).expect("agora.yaml");
    let config = config.replace("  office: []", &format!("  office: [{OFFICE}]"));
    site.write("agora.yaml", &config);
    let mut command = serving::agora_serve(&root);
    command.args(["--now", "2020-03-05 12:00"]);
    let server = serving::start(command);
    let address = server.address.clone();
    let outbox = root.join(".agora").join("outbox");

    let (_, before) = server.get(PAGE);
    assert!(before.contains("Lista jest jeszcze pusta"), "{before}");
    let reference = apply_and_confirm(&address, &outbox);
    let office = sign_in(&address, &outbox);
    let dashboard = send(&address, "GET", "/panel/", &office, None);
    let fields = [
        ("csrf", csrf(&dashboard.body)),
        ("decision", "appointed".to_owned()),
        ("message", "Zapraszamy na szkolenie.".to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let decided = post_form(
        &address,
        &format!("/panel/ambasadorzy/{reference}"),
        &office,
        &fields,
    );
    assert_eq!(decided.status, 303, "{}", decided.body);
    assert_eq!(
        decided.header("location"),
        "/panel/ambasadorzy?zapisano=appointed"
    );

    // The live rebuild follows the written file within moments.
    let started = Instant::now();
    let listed = loop {
        let (status, page) = server.get(PAGE);
        if status == 200 && page.contains("Anna Próbna") {
            break page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not on the site: {page}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        listed.contains("Dzielnica XIII Podgórze") && !listed.contains("anna.proba@example.pl")
    );
    server.interrupt();

    let list = root.join("content/data/ambasadorzy.yaml");
    let published = std::fs::read(&list).expect("the published list");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
        .args([
            "ambassadors",
            "publish",
            "--now",
            "2020-03-05 12:30",
            "--root",
        ])
        .arg(&root)
        .output()
        .expect("agora runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("wrote 1 ambassadors"));
    assert_eq!(
        std::fs::read(&list).expect("the list"),
        published,
        "the command writes what the workspace published"
    );
}
