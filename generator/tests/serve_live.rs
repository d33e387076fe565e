//! `agora serve` with live reload, end to end: the real command on a copy
//! of the valid fixture, on a free port. An edit is served without a
//! restart and announced to open pages; a broken edit keeps the last good
//! page and is reported over the events; the fix recovers; an edited form
//! definition reaches the form functions.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod serving;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{TempSite, NOW};
use serving::Server;

const POST: &str = "content/aktualnosci/2020-02-05-ankieta.md";
const PAGE: &str = "/aktualnosci/ankieta/";

fn start(site: &TempSite) -> Server {
    let mut command = serving::agora_serve(&site.root());
    command.args(["--now", NOW]);
    serving::start(command)
}

/// Waits up to 20 s for `check` to hold of the page at `path`.
fn wait_for_page(server: &Server, path: &str, check: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let (_, page) = server.get(path);
        if check(&page) {
            return page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the page never changed: {page}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An open events stream, as a page's script holds it.
struct Events {
    stream: TcpStream,
    seen: String,
}

impl Events {
    fn open(server: &Server) -> Self {
        let mut stream = TcpStream::connect(&server.address).expect("connect for events");
        write!(
            stream,
            "GET /__agora/events HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
            server.address
        )
        .expect("ask for events");
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("a read timeout");
        Self {
            stream,
            seen: String::new(),
        }
    }

    /// Reads until `needle` arrives (up to 20 s); returns what came with it.
    fn wait_for(&mut self, needle: &str) -> String {
        let started = Instant::now();
        let mut buffer = [0u8; 4096];
        while !self.seen.contains(needle) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no `{needle}` in the events: {}",
                self.seen
            );
            if let Ok(read) = self.stream.read(&mut buffer) {
                self.seen
                    .push_str(&String::from_utf8_lossy(&buffer[..read]));
            }
        }
        let at = self.seen.find(needle).unwrap_or(0);
        let found = self.seen[at..].to_owned();
        self.seen = self.seen[at + needle.len()..].to_owned();
        found
    }
}

fn post(body: &str, date: &str) -> String {
    format!("---\ntitle: Ankieta dla mieszkańców\ndate: {date}\ntags: []\n---\n\n{body}\n")
}

#[test]
fn edits_are_served_live_and_errors_shown_until_fixed() {
    let site = TempSite::fixture("valid");
    let server = start(&site);

    let (status, page) = server.get(PAGE);
    assert_eq!(status, 200);
    assert!(page.contains("<script src=\"/__agora/live.js?g=1\" defer></script></head>"));
    let (status, script) = server.get("/__agora/live.js");
    assert_eq!(status, 200);
    assert!(script.contains("EventSource") && script.contains("alertdialog"));
    // The built site itself carries no trace of live reload.
    let (_, index) = server.get("/search-index/pages/0.json");
    assert!(!index.contains("__agora"));

    let mut events = Events::open(&server);
    events.wait_for("event: reload\ndata: 1\n");

    site.write(POST, &post("Pierwsza zmiana, bez restartu.", "2020-02-05"));
    wait_for_page(&server, PAGE, |p| {
        p.contains("Pierwsza zmiana, bez restartu.")
    });
    events.wait_for("event: reload\ndata: 2\n");

    site.write(POST, &post("Popsuty wpis.", "nie-data"));
    let error = events.wait_for("event: build-error");
    let error = error.split("\n\n").next().unwrap_or_default().to_owned();
    assert!(
        error.contains(POST) && error.contains(":3"),
        "the error names the file and line: {error}"
    );
    let (status, page) = server.get(PAGE);
    assert_eq!(status, 200, "the last good site is still served");
    assert!(page.contains("Pierwsza zmiana, bez restartu."));
    assert!(!page.contains("Popsuty wpis."));

    site.write(POST, &post("Naprawione.", "2020-02-05"));
    events.wait_for("event: reload\ndata: 3\n");
    let page = wait_for_page(&server, PAGE, |p| p.contains("Naprawione."));
    assert!(page.contains("live.js?g=3"));

    let (status, missing) = server.get("/nie-ma-takiej-strony/");
    assert_eq!(status, 404);
    assert!(missing.contains("live.js"), "the 404 page reloads too");
}

#[test]
fn an_edited_form_definition_reaches_the_functions_without_a_restart() {
    let site = TempSite::fixture("valid");
    let server = start(&site);
    let form = "content/forms/spacer.yaml";
    let (status, before) = server.get("/api/forms/spacer");
    assert_eq!(status, 200);
    assert!(before.contains("\"capacity\":20"), "{before}");

    let definition = std::fs::read_to_string(site.root().join(form)).expect("the form file");
    assert!(definition.contains("\ncapacity: 20\n"));
    site.write(
        form,
        &definition.replace("\ncapacity: 20\n", "\ncapacity: 5\n"),
    );
    let after = wait_for_page(&server, "/api/forms/spacer", |p| {
        p.contains("\"capacity\":5")
    });
    assert!(after.contains("\"places_left\":5"), "{after}");
}
