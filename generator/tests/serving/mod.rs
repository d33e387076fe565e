//! `agora serve` as the serve tests start it: on port 0, so that the
//! server picks a free port itself and no other process can take it
//! between finding and binding (the machine is shared); the address is
//! read from the line the server prints on starting.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The server process, stopped when the test ends, passed or not.
pub(crate) struct Server {
    pub(crate) child: Child,
    /// `127.0.0.1:<port>`.
    pub(crate) address: String,
    /// The line it printed on starting.
    pub(crate) started: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `agora serve --port 0 --root <root>`, to which a test adds its options.
pub(crate) fn agora_serve(root: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agora"));
    command.args(["serve", "--port", "0", "--root"]).arg(root);
    command
}

/// Starts `command` (an `agora serve` on port 0) and waits for the line
/// that says where it serves. Its output is read on, so that the server
/// never blocks on a full pipe.
pub(crate) fn start(mut command: Command) -> Server {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start agora serve");
    let stdout = child.stdout.take().expect("the server's output");
    let mut lines = BufReader::new(stdout).lines();
    let started = lines
        .next()
        .and_then(Result::ok)
        .expect("agora serve says where it serves");
    let address = started
        .split("serving http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in: {started}"))
        .to_owned();
    std::thread::spawn(move || lines.for_each(drop));
    Server {
        child,
        address,
        started,
    }
}

impl Server {
    /// Stops it as Ctrl-C does and waits until it has: it must end well.
    pub(crate) fn interrupt(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().expect("the server's state") {
                assert!(status.success(), "agora serve stopped with {status}");
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("agora serve did not stop within a minute of Ctrl-C");
    }

    /// `GET path`: the status and the body.
    pub(crate) fn get(&self, path: &str) -> (u16, String) {
        request(&self.address, "GET", path, None)
    }
}

/// One request on a new connection, closed after the answer; `body` is
/// its content type and text. Returns the status and the body.
pub(crate) fn request(
    address: &str,
    method: &str,
    path: &str,
    body: Option<(&str, &str)>,
) -> (u16, String) {
    let mut stream = TcpStream::connect(address).expect("connect to agora serve");
    let (headers, body) = match body {
        Some((content_type, body)) => (
            format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                body.len()
            ),
            body,
        ),
        None => (String::new(), ""),
    };
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n{headers}\r\n{body}"
    )
    .expect("send the request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in: {answer}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    (status, body)
}

/// The status of form `form` as a page's script reads it (answered 200).
pub(crate) fn form_status(address: &str, form: &str) -> serde_json::Value {
    let (status, body) = request(address, "GET", &format!("/api/forms/{form}"), None);
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("the status as JSON: {e}: {body}"))
}

/// Waits as long as a person takes to fill in a form at the least (the
/// least fill time is 3 s), so that a submission is not taken for spam.
pub(crate) fn fill_in_like_a_person() {
    std::thread::sleep(Duration::from_millis(3100));
}
