//! The submit endpoint over HTTP: the real router (`agora_functions::http`)
//! on 127.0.0.1, driven by concurrent HTTP/1.1 keep-alive clients posting
//! urlencoded submissions with distinct e-mails, on SQLite or DynamoDB
//! (Local). The same server answers a static route too, the baseline: what
//! the HTTP stack and the client cost without the service and the store.
//! Reports throughput and latency percentiles of each; fails unless every
//! submission was answered 201/303 and the store holds exactly one
//! registration per submission. See bench/README.md.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_core::fill_time::Stamps;
use agora_core::forms::FormDefinition;
use agora_core::registration::Status;
use agora_core::service::{Service, Settings};
use agora_core::store::Store;
use agora_functions::http::{router_with, system_clock, HttpSettings};
use agora_stores::any::AnyStore;
use axum::body::Bytes;
use axum::http::{header, Request, StatusCode};
use axum::routing::post;
use axum::Router;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

mod bench_store;
use bench_store::{Backend, NoMail};

/// A first-come form with room for everyone: every submission is one
/// registration, none waits.
const FORM: &str = "title: HTTP bench
opens: 2020-01-01 00:00
closes: 2099-01-01 00:00
allocation: first_come
capacity: 4000000000
unique_field: email
retention_days: 30
purpose: Benchmark.
legal_basis: consent
recipients: [cloud]
fields:
  - name: email
    type: email
    label: E-mail
consents:
  - name: processing
    required: true
    version: v1
    text: Zgoda.
";
const FORM_ID: &str = "bench";
/// The baseline: the same server, a handler that reads the body and
/// answers a fixed 201 JSON.
const STATIC_PATH: &str = "/bench/static";

#[derive(Parser)]
#[command(
    about = "Throughput and latency of POST /api/forms/{id} over HTTP, beside a static route"
)]
struct Args {
    /// Submissions in all (and as many requests to the static route).
    #[arg(long, default_value_t = 20000)]
    requests: usize,
    /// Concurrent keep-alive connections, each sending one request at a time.
    #[arg(long, default_value_t = 100)]
    clients: usize,
    #[arg(long, value_enum, default_value = "sqlite")]
    store: Backend,
    /// A DynamoDB endpoint (DynamoDB Local); a fresh table is created.
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    dynamodb_endpoint: String,
    /// Give up when a run takes longer than this many seconds.
    #[arg(long, default_value_t = 600)]
    timeout_seconds: u64,
}

/// One answer as a client saw it.
struct Answer {
    status: StatusCode,
    latency: Duration,
    location: Option<String>,
}

struct Run {
    answers: Vec<Answer>,
    elapsed: Duration,
}

type BenchService = Service<AnyStore, NoMail>;

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    if args.requests == 0 || args.clients == 0 {
        return Err("--requests and --clients must be at least 1".to_owned());
    }
    let form = FormDefinition::parse(FORM_ID, FORM, Path::new("bench.yaml"), &|_| None)
        .map_err(|e| format!("the bench form is invalid: {e:?}"))?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = args
        .store
        .open(dir.path(), "agora-http-bench", &args.dynamodb_endpoint)
        .await?;
    let settings = Settings {
        public_url: "http://127.0.0.1".to_owned(),
        // Each submission comes from its own address (X-Forwarded-For
        // below); the limit is there, and high.
        rate_limit: 1_000_000,
        min_fill_seconds: 0,
        address_salt: "bench".to_owned(),
        contact_email: "bench@example.org".to_owned(),
    };
    // Every resident opened the form a minute ago (the status endpoint's
    // stamp), so none is taken for a bot.
    let stamp = Stamps::new(&settings.address_salt)
        .issue(&form.id, chrono::Utc::now() - chrono::Duration::minutes(1));
    let service = Arc::new(Service::new(vec![form], store, NoMail, settings));
    let address = serve(Arc::clone(&service)).await?;

    let limit = Duration::from_secs(args.timeout_seconds);
    let load = |path: &str| Load {
        address,
        clients: args.clients,
        requests: args.requests,
        path: path.to_owned(),
        stamp: stamp.clone(),
        next: AtomicUsize::new(0),
    };
    let baseline = load(STATIC_PATH)
        .drive_within(limit, "the baseline run")
        .await?;
    let submit = load(&format!("/api/forms/{FORM_ID}"))
        .drive_within(limit, "the submit run")
        .await?;

    let mut problems = Vec::new();
    report("static", "-", &args, &baseline);
    problems.extend(static_problem(&baseline));
    report("submit", args.store.name(), &args, &submit);
    problems.extend(submit_problem(&submit));
    problems.extend(store_problems(service.store(), &submit, args.requests).await?);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// The router on 127.0.0.1, beside the baseline's static route; its address.
async fn serve(service: Arc<BenchService>) -> Result<SocketAddr, String> {
    // As behind the operator's reverse proxy: the resident's address is
    // the one in X-Forwarded-For, so residents are told apart.
    let http = HttpSettings {
        trusted_proxy: true,
        ..HttpSettings::default()
    };
    let app = Router::new()
        .route(STATIC_PATH, post(static_answer))
        .merge(router_with(service, system_clock(), http));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    Ok(address)
}

/// The baseline's handler: the body read, a fixed answer.
async fn static_answer(
    body: Bytes,
) -> (StatusCode, [(header::HeaderName, &'static str); 1], String) {
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{{\"received\":{}}}", body.len()),
    )
}

/// A run: `requests` urlencoded POSTs to `path` over `clients`
/// keep-alive connections; submission `i` is person `i` (own e-mail, own
/// address).
struct Load {
    address: SocketAddr,
    clients: usize,
    requests: usize,
    path: String,
    stamp: String,
    /// The next submission to send, whichever client sends it.
    next: AtomicUsize,
}

impl Load {
    /// The run, failing (as `name`) when it takes longer than `limit`.
    async fn drive_within(self, limit: Duration, name: &str) -> Result<Run, String> {
        tokio::time::timeout(limit, Arc::new(self).drive())
            .await
            .map_err(|_| format!("{name} timed out"))?
    }

    /// Sends the run, each client sending its next request when the last
    /// is answered.
    async fn drive(self: Arc<Self>) -> Result<Run, String> {
        let mut connections = Vec::with_capacity(self.clients);
        for _ in 0..self.clients {
            connections.push(connect(self.address).await?);
        }
        let started = Instant::now();
        let tasks: Vec<_> = connections
            .into_iter()
            .map(|sender| tokio::spawn(Arc::clone(&self).client(sender)))
            .collect();
        let mut answers = Vec::with_capacity(self.requests);
        for task in tasks {
            answers.extend(task.await.map_err(|e| e.to_string())??);
        }
        Ok(Run {
            answers,
            elapsed: started.elapsed(),
        })
    }

    /// One client's requests, one at a time, until the run's are all sent.
    async fn client(self: Arc<Self>, mut sender: Sender) -> Result<Vec<Answer>, String> {
        let mut answers = Vec::new();
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.requests {
                return Ok(answers);
            }
            answers.push(self.send(&mut sender, i).await?);
        }
    }

    /// Submission `i`, timed from sending it to its answer read.
    async fn send(&self, sender: &mut Sender, i: usize) -> Result<Answer, String> {
        // A stamp is digits, a dot and URL-safe base64.
        let body = format!(
            "email=osoba{i}%40example.pl&processing=on&started_at={}",
            self.stamp
        );
        let request = Request::post(self.path.as_str())
            .header(header::HOST, self.address.to_string())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(
                "x-forwarded-for",
                format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        sender.ready().await.map_err(|e| e.to_string())?;
        let sent = Instant::now();
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("request {i}: {e}"))?;
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("request {i}: {e}"))?;
        Ok(Answer {
            status,
            latency: sent.elapsed(),
            location,
        })
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// A keep-alive HTTP/1.1 connection to `address`.
async fn connect(address: SocketAddr) -> Result<Sender, String> {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| format!("connecting to {address}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    Ok(sender)
}

/// Every static answer must be a 201.
fn static_problem(baseline: &Run) -> Option<String> {
    let wrong = baseline
        .answers
        .iter()
        .filter(|a| a.status != StatusCode::CREATED)
        .count();
    (wrong > 0).then(|| format!("{wrong} static answers were not 201"))
}

/// Every submission must be answered 201 or 303.
fn submit_problem(submit: &Run) -> Option<String> {
    let wrong: Vec<StatusCode> = submit
        .answers
        .iter()
        .map(|a| a.status)
        .filter(|s| *s != StatusCode::CREATED && *s != StatusCode::SEE_OTHER)
        .collect();
    let first = wrong.first()?;
    Some(format!(
        "{} submissions were not answered 201/303 (the first: {first})",
        wrong.len()
    ))
}

/// The store must hold exactly `n` registrations, distinct and registered,
/// and they must be the ones answered. Prints what it holds.
async fn store_problems(store: &impl Store, submit: &Run, n: usize) -> Result<Vec<String>, String> {
    // The page a 303 leads to names the registration's reference.
    let prefix = format!("/api/forms/{FORM_ID}/zgloszenie/");
    let answered: HashSet<&str> = submit
        .answers
        .iter()
        .filter_map(|a| a.location.as_deref())
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .map(|l| l.split('?').next().unwrap_or(l))
        .collect();
    let stored = store
        .list(FORM_ID, chrono::Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    let references: HashSet<&str> = stored.iter().map(|r| r.reference.as_str()).collect();
    let emails: HashSet<&str> = stored
        .iter()
        .filter_map(|r| r.values.get("email").map(String::as_str))
        .collect();
    let registered = stored
        .iter()
        .filter(|r| r.status == Status::Registered)
        .count();
    println!(
        "check: stored={} distinct_references={} distinct_emails={} registered={} references_answered={}",
        stored.len(),
        references.len(),
        emails.len(),
        registered,
        answered.len()
    );
    let mut problems = Vec::new();
    if stored.len() != n || references.len() != n || emails.len() != n || registered != n {
        problems.push(format!(
            "the store holds {} registrations ({} distinct references, {} distinct e-mails, {} registered), not {n}",
            stored.len(),
            references.len(),
            emails.len(),
            registered
        ));
    }
    if answered != references {
        problems.push(format!(
            "the references answered ({}) are not the ones stored",
            answered.len()
        ));
    }
    Ok(problems)
}

fn report(route: &str, store: &str, args: &Args, run: &Run) {
    let mut latencies: Vec<Duration> = run.answers.iter().map(|a| a.latency).collect();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1)
            .copied()
            .unwrap_or_default()
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "route={route} store={store} clients={} requests={} answered={} elapsed={:.2}s throughput={:.0}/s p50={:.2}ms p99={:.2}ms",
        args.clients,
        args.requests,
        run.answers.len(),
        run.elapsed.as_secs_f64(),
        run.answers.len() as f64 / run.elapsed.as_secs_f64(),
        ms(percentile(0.50)),
        ms(percentile(0.99)),
    );
}
