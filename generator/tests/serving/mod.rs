//! `agora serve` as the serve tests start it: on port 0, so that the
//! server picks a free port itself and no other process can take it
//! between finding and binding (the machine is shared); the address is
//! read from the line the server prints on starting.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

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
