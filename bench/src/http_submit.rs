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
    let store_name = args.store.name();
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
    // As behind the operator's reverse proxy: the resident's address is
    // the one in X-Forwarded-For, so residents are told apart.
    let http = HttpSettings {
        trusted_proxy: true,
        client_address_header: None,
        body_read_timeout: None,
    };
    let app = Router::new()
        .route(STATIC_PATH, post(static_answer))
        .merge(router_with(Arc::clone(&service), system_clock(), http));
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

    let limit = Duration::from_secs(args.timeout_seconds);
    let baseline = tokio::time::timeout(
        limit,
        drive(
            address,
            args.clients,
            args.requests,
            STATIC_PATH.to_owned(),
            stamp.clone(),
        ),
    )
    .await
    .map_err(|_| "the baseline run timed out".to_owned())??;
    let submit_path = format!("/api/forms/{FORM_ID}");
    let submit = tokio::time::timeout(
        limit,
        drive(address, args.clients, args.requests, submit_path, stamp),
    )
    .await
    .map_err(|_| "the submit run timed out".to_owned())??;

    let mut problems = Vec::new();
    report("static", "-", &args, &baseline);
    let wrong = baseline
        .answers
        .iter()
        .filter(|a| a.status != StatusCode::CREATED)
        .count();
    if wrong > 0 {
        problems.push(format!("{wrong} static answers were not 201"));
    }

    report("submit", store_name, &args, &submit);
    let wrong: Vec<StatusCode> = submit
        .answers
        .iter()
        .map(|a| a.status)
        .filter(|s| *s != StatusCode::CREATED && *s != StatusCode::SEE_OTHER)
        .collect();
    if let Some(first) = wrong.first() {
        problems.push(format!(
            "{} submissions were not answered 201/303 (the first: {first})",
            wrong.len()
        ));
    }
    // The page a 303 leads to names the registration's reference.
    let prefix = format!("/api/forms/{FORM_ID}/zgloszenie/");
    let answered: HashSet<&str> = submit
        .answers
        .iter()
        .filter_map(|a| a.location.as_deref())
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .map(|l| l.split('?').next().unwrap_or(l))
        .collect();
    let stored = service
        .store()
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
    let n = args.requests;
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
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
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

/// Sends `requests` urlencoded POSTs to `path` over `clients`
/// keep-alive connections, each sending its next request when the last is
/// answered; submission `i` is person `i` (own e-mail, own address).
async fn drive(
    address: SocketAddr,
    clients: usize,
    requests: usize,
    path: String,
    stamp: String,
) -> Result<Run, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let path: Arc<str> = path.into();
    let stamp: Arc<str> = stamp.into();
    let mut connections = Vec::with_capacity(clients);
    for _ in 0..clients {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|e| format!("connecting to {address}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        connections.push(sender);
    }
    let started = Instant::now();
    let tasks: Vec<_> = connections
        .into_iter()
        .map(|mut sender| {
            let next = Arc::clone(&next);
            let path = Arc::clone(&path);
            let stamp = Arc::clone(&stamp);
            tokio::spawn(async move {
                let mut answers = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= requests {
                        break;
                    }
                    // A stamp is digits, a dot and URL-safe base64.
                    let body =
                        format!("email=osoba{i}%40example.pl&processing=on&started_at={stamp}");
                    let request = Request::post(&*path)
                        .header(header::HOST, address.to_string())
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
                    answers.push(Answer {
                        status,
                        latency: sent.elapsed(),
                        location,
                    });
                }
                Ok::<_, String>(answers)
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(requests);
    for task in tasks {
        answers.extend(task.await.map_err(|e| e.to_string())??);
    }
    Ok(Run {
        answers,
        elapsed: started.elapsed(),
    })
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
