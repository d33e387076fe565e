//! Start-up time of the Lambda functions: from spawning the binary to its
//! first call of the Runtime API's `GET /2018-06-01/runtime/invocation/next`
//! (the runtime is then ready for an event). A tiny fake Runtime API
//! listens on 127.0.0.1; each binary is spawned `--runs` times with the
//! environment Lambda and the functions need, then stopped. Reports the
//! median and p90 of each binary. See bench/README.md.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

const NEXT: &str = "GET /2018-06-01/runtime/invocation/next ";

#[derive(Parser)]
#[command(about = "Time from spawning a Lambda binary to its first /runtime/invocation/next")]
struct Args {
    /// The Lambda binaries (e.g. target/release/register).
    #[arg(required = true)]
    binaries: Vec<PathBuf>,
    /// Measured starts of each binary.
    #[arg(long, default_value_t = 50)]
    runs: usize,
    /// Starts before the measured ones (the page cache warmed).
    #[arg(long, default_value_t = 2)]
    warmup: usize,
    /// The content folder the functions load their forms from.
    #[arg(long, default_value = "content")]
    forms_dir: PathBuf,
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    if args.runs == 0 {
        return Err("--runs must be at least 1".to_owned());
    }
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let api = listener.local_addr().map_err(|e| e.to_string())?;
    for binary in &args.binaries {
        let name = binary
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let size = std::fs::metadata(binary)
            .map_err(|e| format!("{}: {e}", binary.display()))?
            .len();
        let mut times = Vec::with_capacity(args.runs);
        for run in 0..args.warmup + args.runs {
            let time = start_once(binary, &name, &args.forms_dir, api, &listener)
                .await
                .map_err(|e| format!("{name}, start {}: {e}", run + 1))?;
            if run >= args.warmup {
                times.push(time);
            }
        }
        times.sort_unstable();
        let percentile =
            |p: f64| times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1];
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "binary={name} size={:.2}MB runs={} min={:.2}ms median={:.2}ms p90={:.2}ms max={:.2}ms",
            size as f64 / 1e6,
            times.len(),
            ms(times[0]),
            ms(percentile(0.5)),
            ms(percentile(0.9)),
            ms(times[times.len() - 1]),
        );
    }
    Ok(())
}

/// Spawns the binary once and waits for its first `/next`; stops it.
async fn start_once(
    binary: &Path,
    name: &str,
    forms_dir: &Path,
    api: std::net::SocketAddr,
    listener: &TcpListener,
) -> Result<Duration, String> {
    let mut command = Command::new(binary);
    // Only what Lambda (provided.al2023) and the function's settings give.
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_REGION", "eu-central-1")
        .env("AWS_DEFAULT_REGION", "eu-central-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_SESSION_TOKEN", "local")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("_HANDLER", "bootstrap")
        .env("LANG", "en_US.UTF-8")
        .env("TZ", ":UTC")
        .env("AGORA_TABLE", "agora-bench")
        .env("AGORA_PUBLIC_URL", "https://example.org")
        .env("AGORA_MAIL_FROM", "noreply@example.org")
        .env("AGORA_ADDRESS_SALT", "bench")
        .env("AGORA_FORMS_DIR", forms_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let ready = tokio::time::timeout(Duration::from_secs(10), first_request(listener)).await;
    let elapsed = started.elapsed();
    let _ = child.kill();
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    match ready {
        Ok(Ok(line)) if line.starts_with(NEXT) => Ok(elapsed),
        Ok(Ok(line)) => Err(format!(
            "the first call was `{}`, not /next; stderr: {stderr}",
            line.trim()
        )),
        Ok(Err(e)) => Err(format!("{e}; stderr: {stderr}")),
        Err(_) => Err(format!("no /next within 10 s; stderr: {stderr}")),
    }
}

/// The request line of the first request on the next connection.
async fn first_request(listener: &TcpListener) -> Result<String, String> {
    let (mut stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
    let mut read = Vec::new();
    let mut buffer = [0u8; 1024];
    while !read.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut buffer).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the connection closed before a request".to_owned());
        }
        read.extend_from_slice(&buffer[..n]);
    }
    let text = String::from_utf8_lossy(&read);
    Ok(text.lines().next().unwrap_or_default().to_owned())
}
