//! `agora serve` as an HTTP server facing the public: the real command on
//! a copy of the valid fixture, on a free port, with raw sockets. Slow or
//! idle connections are closed within their timeouts (and a long answer,
//! the live-reload events, is not); more of them than the open-file limit
//! allows do not keep residents waiting; every answer carries the security
//! headers CloudFront sends in the cloud.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod serving;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_functions::security_headers::{API, SITE};
use common::{TempSite, NOW};
use serving::Server;

/// `agora serve --now NOW` with `args`, under `bash -c` with `shell`
/// before it (a lower open-file limit) when given.
fn start(site: &TempSite, args: &[&str], shell: Option<&str>) -> Server {
    let mut command = match shell {
        Some(before) => {
            let agora = env!("CARGO_BIN_EXE_agora");
            let mut bash = Command::new("bash");
            bash.args(["-c", &format!("{before} && exec \"$0\" \"$@\""), agora]);
            bash.args(["serve", "--port", "0", "--root"])
                .arg(site.root());
            bash
        }
        None => serving::agora_serve(&site.root()),
    };
    command.args(["--now", NOW]).args(args);
    serving::start(command)
}

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(&server.address).expect("connect to agora serve");
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("a read timeout");
    stream
}

/// An answer: status, headers (names in lower case), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn parse(raw: &[u8]) -> Option<Self> {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text.split_once("\r\n\r\n")?;
        let mut lines = head.lines();
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        Some(Self {
            status,
            headers,
            body: body.to_owned(),
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whole once the body has its `Content-Length`.
    fn is_whole(&self) -> bool {
        self.header("content-length")
            .and_then(|length| length.parse::<usize>().ok())
            .is_some_and(|length| self.body.len() >= length)
    }
}

/// Reads one answer (by its `Content-Length`) within `limit`.
fn read_answer(stream: &mut TcpStream, limit: Duration) -> Answer {
    let started = Instant::now();
    let mut raw = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        if let Some(answer) = Answer::parse(&raw).filter(Answer::is_whole) {
            return answer;
        }
        assert!(
            started.elapsed() < limit,
            "no whole answer within {limit:?}: {}",
            String::from_utf8_lossy(&raw)
        );
        match stream.read(&mut buffer) {
            Ok(0) => panic!(
                "closed before a whole answer: {}",
                String::from_utf8_lossy(&raw)
            ),
            Ok(read) => raw.extend_from_slice(&buffer[..read]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("reading the answer: {e}"),
        }
    }
}

/// A whole request on a new connection, its answer within `limit`.
fn request(server: &Server, raw: &str, limit: Duration) -> Answer {
    let mut stream = connect(server);
    stream.write_all(raw.as_bytes()).expect("send the request");
    read_answer(&mut stream, limit)
}

fn get(server: &Server, path: &str) -> Answer {
    request(
        server,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: agora\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
        ),
        Duration::from_secs(10),
    )
}

/// Whether the server has closed `stream`; what it sent is added to `seen`.
fn is_closed(stream: &mut TcpStream, seen: &mut Vec<u8>) -> bool {
    let mut buffer = [0u8; 4096];
    match stream.read(&mut buffer) {
        Ok(0) => true,
        Ok(read) => {
            seen.extend_from_slice(&buffer[..read]);
            false
        }
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        // Reset: closed with bytes of ours unread.
        Err(_) => true,
    }
}

/// Waits (up to `limit`) for the server to close `stream`, calling `tick`
/// between reads; how long that took, and what came before.
fn time_to_close(
    stream: &mut TcpStream,
    limit: Duration,
    mut tick: impl FnMut(&mut TcpStream),
) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let mut seen = Vec::new();
    while !is_closed(stream, &mut seen) {
        assert!(
            started.elapsed() < limit,
            "still open after {limit:?}; received: {}",
            String::from_utf8_lossy(&seen)
        );
        tick(stream);
    }
    (started.elapsed(), seen)
}

const HEADER_TIMEOUT: Duration = Duration::from_secs(3);
const IDLE_TIMEOUT: Duration = Duration::from_secs(1);
const BODY_TIMEOUT: Duration = Duration::from_secs(2);
/// A busy machine's scheduling, and the timers' granularity.
const MARGIN: Duration = Duration::from_millis(1500);

fn within(what: &str, took: Duration, timeout: Duration) {
    assert!(
        took + Duration::from_millis(200) >= timeout && took <= timeout + MARGIN,
        "{what}: closed after {took:?}, the timeout is {timeout:?}"
    );
}

#[test]
fn slow_and_idle_connections_are_closed_within_their_timeouts() {
    let site = TempSite::fixture("valid");
    let server = start(
        &site,
        &[
            "--header-timeout",
            "3",
            "--idle-timeout",
            "1",
            "--body-timeout",
            "2",
        ],
        None,
    );

    std::thread::scope(|scope| {
        // Connects and never sends a byte: idle.
        scope.spawn(|| {
            let mut stream = connect(&server);
            let (took, _) = time_to_close(&mut stream, Duration::from_secs(10), |_| {});
            within("a connection that sends nothing", took, IDLE_TIMEOUT);
        });

        // Headers one byte every 200 ms: never idle, never complete.
        scope.spawn(|| {
            let mut stream = connect(&server);
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: agora\r\nX-Slow: ")
                .expect("the first bytes");
            let (took, _) = time_to_close(&mut stream, Duration::from_secs(10), |stream| {
                std::thread::sleep(Duration::from_millis(100));
                let _ = stream.write_all(b"a");
            });
            within("headers one byte at a time", took, HEADER_TIMEOUT);
        });

        // Keep-alive: one answer, then nothing.
        scope.spawn(|| {
            let mut stream = connect(&server);
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: agora\r\n\r\n")
                .expect("the request");
            let answer = read_answer(&mut stream, Duration::from_secs(10));
            assert_eq!(answer.status, 200);
            let (took, _) = time_to_close(&mut stream, Duration::from_secs(10), |_| {});
            within("idle keep-alive after an answer", took, IDLE_TIMEOUT);
        });

        // A form submission that declares 1,000 bytes and sends 5.
        scope.spawn(|| {
            let mut stream = connect(&server);
            stream
                .write_all(
                    b"POST /api/forms/spacer HTTP/1.1\r\nHost: agora\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"ful",
                )
                .expect("the request's start");
            let (took, seen) = time_to_close(&mut stream, Duration::from_secs(10), |_| {});
            within("a body that stops arriving", took, BODY_TIMEOUT);
            let answer = Answer::parse(&seen).expect("an answer before closing");
            assert_eq!(answer.status, 408, "{}", answer.body);
            assert!(answer.body.contains("Nic nie zostało zapisane"), "{}", answer.body);
        });

        // The live-reload events: a long answer outlives every timeout.
        scope.spawn(|| {
            let mut stream = connect(&server);
            stream
                .write_all(b"GET /__agora/events HTTP/1.1\r\nHost: agora\r\nAccept: text/event-stream\r\n\r\n")
                .expect("ask for events");
            let mut seen = Vec::new();
            let started = Instant::now();
            while started.elapsed() < HEADER_TIMEOUT + IDLE_TIMEOUT + MARGIN {
                assert!(
                    !is_closed(&mut stream, &mut seen),
                    "the events stream was closed after {:?}",
                    started.elapsed()
                );
            }
            assert!(String::from_utf8_lossy(&seen).contains("event: reload\ndata: 1\n"));
            site.write(
                "content/aktualnosci/2020-02-05-ankieta.md",
                "---\ntitle: Ankieta dla mieszkańców\ndate: 2020-02-05\ntags: []\n---\n\nZmiana w czasie testu.\n",
            );
            let started = Instant::now();
            while !String::from_utf8_lossy(&seen).contains("event: reload\ndata: 2\n") {
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "no reload after the edit: {}",
                    String::from_utf8_lossy(&seen)
                );
                assert!(!is_closed(&mut stream, &mut seen), "the events stream was closed");
            }
        });
    });

    // The server still answers.
    assert_eq!(get(&server, "/").status, 200);
}

/// How many slow connections the attacker keeps open.
const SLOW: usize = 300;

/// One of the attacker's connections, and how it is slow.
struct Slow {
    stream: Option<TcpStream>,
    kind: usize,
}

impl Slow {
    fn open(address: &str, kind: usize) -> Option<TcpStream> {
        let mut stream = TcpStream::connect(address).ok()?;
        stream.set_nonblocking(true).ok()?;
        let start: &[u8] = match kind {
            // Sends nothing.
            0 => b"",
            // Headers that never finish.
            1 => b"GET / HTTP/1.1\r\nHost: agora\r\nX-Slow: ",
            // A whole request whose answer it never reads, then nothing:
            // idle keep-alive.
            _ => b"GET / HTTP/1.1\r\nHost: agora\r\n\r\n",
        };
        stream.write_all(start).ok()?;
        Some(stream)
    }
}

#[test]
fn residents_are_answered_within_a_second_while_slow_connections_pile_up() {
    let site = TempSite::fixture("valid");
    // 256 descriptors: room for some 190 connections. Timeouts far longer
    // than the test: only the cap can make room.
    let server = start(
        &site,
        &[
            "--no-watch",
            "--header-timeout",
            "300",
            "--idle-timeout",
            "300",
        ],
        Some("ulimit -n 256"),
    );
    assert!(
        server.started.contains("up to 192 connections"),
        "the cap follows the open-file limit: {}",
        server.started
    );

    let stop = Arc::new(AtomicBool::new(false));
    let closed_by_server = Arc::new(AtomicUsize::new(0));
    let opened = Arc::new(AtomicUsize::new(0));
    let attacker = {
        let (stop, closed_by_server, opened) = (
            Arc::clone(&stop),
            Arc::clone(&closed_by_server),
            Arc::clone(&opened),
        );
        let address = server.address.clone();
        // Keeps SLOW connections open, each reopened once the server
        // closes it, headers dribbled a byte at a time.
        std::thread::spawn(move || {
            let mut slow: Vec<Slow> = (0..SLOW)
                .map(|i| Slow {
                    stream: None,
                    kind: i % 3,
                })
                .collect();
            while !stop.load(Ordering::SeqCst) {
                for connection in &mut slow {
                    if let Some(stream) = &mut connection.stream {
                        let mut buffer = [0u8; 4096];
                        let closed = loop {
                            match stream.read(&mut buffer) {
                                Ok(0) => break true,
                                Ok(_) => {}
                                Err(e) if e.kind() == ErrorKind::WouldBlock => break false,
                                Err(_) => break true,
                            }
                        };
                        let dribbled = connection.kind != 1 || stream.write_all(b"a").is_ok();
                        if closed || !dribbled {
                            closed_by_server.fetch_add(1, Ordering::SeqCst);
                            connection.stream = None;
                        }
                    }
                    if connection.stream.is_none() {
                        connection.stream = Slow::open(&address, connection.kind);
                        if connection.stream.is_some() {
                            opened.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    };

    // Until the attacker holds more connections than the server allows.
    let started = Instant::now();
    while opened.load(Ordering::SeqCst) < SLOW || closed_by_server.load(Ordering::SeqCst) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the attacker opened {} connections, {} closed by the server",
            opened.load(Ordering::SeqCst),
            closed_by_server.load(Ordering::SeqCst)
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let asked = Instant::now();
        let answer = request(
            &server,
            "GET / HTTP/1.1\r\nHost: agora\r\nConnection: close\r\n\r\n",
            Duration::from_secs(5),
        );
        let took = asked.elapsed();
        assert_eq!(answer.status, 200);
        assert!(answer.body.contains("</html>"));
        slowest = slowest.max(took);
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::SeqCst);
    let _ = attacker.join();
    println!(
        "slowest of 10 answers: {slowest:?}; {} slow connections closed by the server",
        closed_by_server.load(Ordering::SeqCst)
    );
    assert!(
        slowest < Duration::from_secs(1),
        "the slowest of 10 answers took {slowest:?} ({} slow connections open, {} closed by the server)",
        SLOW,
        closed_by_server.load(Ordering::SeqCst)
    );
}

fn assert_headers(
    answer: &Answer,
    what: &str,
    expected: &agora_functions::security_headers::SecurityHeaders,
) {
    let header = |name: &str| {
        answer
            .header(name)
            .unwrap_or_else(|| panic!("{what}: no {name}; headers: {:?}", answer.headers))
    };
    assert_eq!(
        header("content-security-policy"),
        expected.content_security_policy,
        "{what}"
    );
    assert_eq!(header("x-frame-options"), "DENY", "{what}");
    assert_eq!(
        header("referrer-policy"),
        expected.referrer_policy,
        "{what}"
    );
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(
        answer.header("permissions-policy"),
        expected.permissions_policy,
        "{what}"
    );
    assert_eq!(
        answer.header("strict-transport-security"),
        None,
        "{what}: no HSTS over plain HTTP"
    );
}

#[test]
fn every_answer_carries_the_security_headers() {
    let site = TempSite::fixture("valid");
    let server = start(&site, &[], None);

    let home = get(&server, "/");
    assert_eq!(home.status, 200);
    assert_headers(&home, "a static page", &SITE);

    let form_page = get(&server, "/program/dzielnicowe/");
    assert_eq!(form_page.status, 200);
    assert!(form_page.body.contains("action=\"/api/forms/spacer\""));
    assert_headers(&form_page, "a page with a form", &SITE);

    let missing = get(&server, "/nie-ma-takiej-strony/");
    assert_eq!(missing.status, 404);
    assert_headers(&missing, "the 404 page", &SITE);

    let script = get(&server, "/__agora/live.js");
    assert_eq!(script.status, 200);
    assert_headers(&script, "the live-reload script", &SITE);

    let status = request(
        &server,
        "GET /api/forms/spacer HTTP/1.1\r\nHost: agora\r\nConnection: close\r\n\r\n",
        Duration::from_secs(10),
    );
    assert_eq!(status.status, 200);
    assert!(status.body.contains("\"state\""), "{}", status.body);
    assert_headers(&status, "the form's status (JSON)", &API);

    // A page of the form functions: after a submission.
    let sent = get(&server, "/api/forms/spacer/wyslane");
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("<html lang=\"pl\">"));
    assert_headers(&sent, "a page of the form functions", &API);
}
