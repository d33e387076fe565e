//! A burst of concurrent submissions to a 60-place first-come form: it
//! must end with exactly 60 registered and everyone else waiting in an
//! unbroken order, none lost or duplicated. Reports throughput and
//! latency percentiles. See bench/README.md.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_functions::forms::{FormDefinition, Submission};
use agora_functions::mail::{Email, MailError, Mailer};
use agora_functions::registration::Status;
use agora_functions::service::{Client, Service, Settings, Submitted};
use agora_functions::store::any::AnyStore;
use agora_functions::store::dynamodb::DynamoStore;
use agora_functions::store::sqlite::SqliteStore;
use agora_functions::store::Store;
use chrono::{TimeZone, Utc};
use clap::{Parser, ValueEnum};

const FORM: &str = "title: Burst
opens: 2020-01-01 00:00
closes: 2030-01-01 00:00
allocation: first_come
capacity: 60
unique_field: email
retention_days: 30
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

#[derive(Clone, Copy, ValueEnum)]
enum Backend {
    Sqlite,
    Dynamodb,
}

#[derive(Parser)]
#[command(about = "A burst of concurrent submissions to a 60-place first-come form")]
struct Args {
    /// How many people submit at once.
    #[arg(long, default_value_t = 5000)]
    submissions: usize,
    #[arg(long, value_enum, default_value = "sqlite")]
    store: Backend,
    /// A DynamoDB endpoint (DynamoDB Local); a fresh table is created.
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    dynamodb_endpoint: String,
}

/// E-mail is not what is measured: messages are dropped.
struct NoMail;

impl Mailer for NoMail {
    async fn send(&self, _: Email) -> Result<(), MailError> {
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let form = FormDefinition::parse("burst", FORM, Path::new("burst.yaml"), &|_| None)
        .map_err(|e| format!("the bench form is invalid: {e:?}"))?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = match args.store {
        Backend::Sqlite => AnyStore::Sqlite(
            SqliteStore::open(&dir.path().join("bench.sqlite3")).map_err(|e| e.to_string())?,
        ),
        Backend::Dynamodb => {
            let table = format!("agora-bench-{}", std::process::id());
            let store = DynamoStore::from_env(table, Some(args.dynamodb_endpoint.clone()))
                .await
                .map_err(|e| e.to_string())?;
            store.create_table().await.map_err(|e| e.to_string())?;
            AnyStore::Dynamo(store)
        }
    };
    let settings = Settings {
        public_url: "http://127.0.0.1".to_owned(),
        rate_limit: 1000,
        min_fill_seconds: 0,
        address_salt: "bench".to_owned(),
        contact_email: "bench@example.org".to_owned(),
    };
    let service = Arc::new(Service::new(vec![form.clone()], store, NoMail, settings));
    let now = Utc
        .with_ymd_and_hms(2025, 1, 1, 12, 0, 0)
        .single()
        .ok_or("a valid time")?;

    let started = Instant::now();
    let tasks: Vec<_> = (0..args.submissions)
        .map(|i| {
            let service = Arc::clone(&service);
            let form = form.clone();
            tokio::spawn(async move {
                let submission = Submission::from_pairs([
                    ("email", format!("osoba{i}@example.pl")),
                    ("processing", "on".to_owned()),
                ]);
                let client = Client {
                    address: format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256),
                };
                let sent = Instant::now();
                let outcome = service.submit(&form, &submission, &client, now).await;
                (sent.elapsed(), outcome)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(args.submissions);
    let mut failures = 0;
    for task in tasks {
        let (latency, outcome) = task.await.map_err(|e| e.to_string())?;
        latencies.push(latency);
        if !matches!(outcome, Ok(Submitted::Accepted { .. })) {
            failures += 1;
        }
    }
    let elapsed = started.elapsed();

    let all = service
        .store()
        .list("burst", now)
        .await
        .map_err(|e| e.to_string())?;
    let registered = all
        .iter()
        .filter(|r| r.status == Status::Registered)
        .count();
    let mut positions: Vec<u64> = all
        .iter()
        .filter(|r| r.status == Status::Waiting)
        .filter_map(|r| r.position)
        .collect();
    positions.sort_unstable();
    let unbroken = positions.iter().copied().eq(1..=positions.len() as u64);
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1]
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "store={} submissions={} stored={} registered={} waiting={} failures={} elapsed={:.2}s throughput={:.0}/s p50={:.1}ms p99={:.1}ms",
        match args.store {
            Backend::Sqlite => "sqlite",
            Backend::Dynamodb => "dynamodb",
        },
        args.submissions,
        all.len(),
        registered,
        positions.len(),
        failures,
        elapsed.as_secs_f64(),
        args.submissions as f64 / elapsed.as_secs_f64(),
        ms(percentile(0.50)),
        ms(percentile(0.99)),
    );
    let expected_registered = args.submissions.min(60);
    if failures > 0
        || all.len() != args.submissions
        || registered != expected_registered
        || !unbroken
        || positions.len() != args.submissions - expected_registered
    {
        return Err("the burst broke an invariant: see the line above".to_owned());
    }
    Ok(())
}
