//! A burst of concurrent submissions to a 60-place first-come form: it
//! must end with exactly 60 registered and everyone else waiting in an
//! unbroken order that respects arrival, none lost or duplicated. Reports
//! throughput and latency percentiles. See bench/README.md.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_core::forms::{FormDefinition, Submission};
use agora_core::registration::{Registration, Status};
use agora_core::service::{Client, Service, Settings, Submitted};
use agora_core::store::Store;
use agora_stores::any::AnyStore;
use chrono::{DateTime, TimeZone, Utc};
use clap::Parser;

mod bench_store;
use bench_store::{Backend, NoMail};

const FORM: &str = "title: Burst
opens: 2020-01-01 00:00
closes: 2100-01-01 00:00
allocation: first_come
capacity: 60
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
    /// Submissions arrive evenly over this many milliseconds (0: all at
    /// once). Arrivals spread in time are what make the order check bite:
    /// only a submission answered before another was sent must be ahead.
    #[arg(long, default_value_t = 1000)]
    ramp_ms: u64,
}

/// One submission as the client saw it: when it was sent and answered
/// (since the burst started), and the reference it was given.
struct Sent {
    sent: Duration,
    answered: Duration,
    reference: Option<String>,
}

type BurstService = Service<AnyStore, NoMail>;

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let form = FormDefinition::parse("burst", FORM, Path::new("burst.yaml"), &|_| None)
        .map_err(|e| format!("the bench form is invalid: {e:?}"))?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = args
        .store
        .open(dir.path(), "agora-bench", &args.dynamodb_endpoint)
        .await?;
    let settings = Settings {
        public_url: "http://127.0.0.1".to_owned(),
        rate_limit: 1000,
        min_fill_seconds: 0,
        address_salt: "bench".to_owned(),
        contact_email: "bench@example.org".to_owned(),
    };
    let service = Arc::new(Service::new(vec![form.clone()], store, NoMail, settings));
    // Now (to the second), not a fixed day: the registrations' TTL (the
    // form's retention) must lie ahead, or DynamoDB Local's TTL sweeper
    // erases them while the burst is counted.
    let opened = Utc
        .timestamp_opt(Utc::now().timestamp(), 0)
        .single()
        .ok_or("a valid time")?;
    // Everyone opened the form a minute before it opened for sending
    // (the status endpoint's stamp), so none is taken for a bot.
    let stamp = service.fill_stamp(&form, opened - chrono::Duration::minutes(1));
    let burst = Arc::new(Burst {
        service: Arc::clone(&service),
        form,
        stamp,
        opened,
        submissions: args.submissions,
        ramp: Duration::from_millis(args.ramp_ms),
    });
    let (sent, elapsed) = burst.run().await?;
    let all = service
        .store()
        .list("burst", opened + chrono::Duration::days(1))
        .await
        .map_err(|e| e.to_string())?;
    let tally = Tally::of(&sent, &all);
    tally.print(&args, &sent, elapsed);
    if !tally.holds(args.submissions) {
        return Err("the burst broke an invariant: see the line above".to_owned());
    }
    Ok(())
}

/// The people of the burst, arriving evenly over `ramp`.
struct Burst {
    service: Arc<BurstService>,
    form: FormDefinition,
    stamp: String,
    opened: DateTime<Utc>,
    submissions: usize,
    ramp: Duration,
}

impl Burst {
    /// Every person at once, each in its own task; with the time it took.
    async fn run(self: Arc<Self>) -> Result<(Vec<Sent>, Duration), String> {
        let started = Instant::now();
        let tasks: Vec<_> = (0..self.submissions)
            .map(|i| {
                let arrival = self.ramp.mul_f64(i as f64 / self.submissions as f64);
                tokio::spawn(Arc::clone(&self).submit(i, started + arrival, started))
            })
            .collect();
        let mut sent = Vec::with_capacity(self.submissions);
        for task in tasks {
            sent.push(task.await.map_err(|e| e.to_string())?);
        }
        Ok((sent, started.elapsed()))
    }

    /// Person `i` submits at `arrival`, from their own address and at
    /// their own moment.
    async fn submit(self: Arc<Self>, i: usize, arrival: Instant, started: Instant) -> Sent {
        tokio::time::sleep_until(arrival.into()).await;
        let submission = Submission::from_pairs([
            ("email", format!("osoba{i}@example.pl")),
            ("processing", "on".to_owned()),
            ("started_at", self.stamp.clone()),
        ]);
        let client = Client {
            address: format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256),
        };
        let sent = started.elapsed();
        // Each person's own moment: the clock moves with the burst.
        let now = self.opened + chrono::Duration::from_std(sent).unwrap_or_default();
        let outcome = self
            .service
            .submit(&self.form, &submission, &client, now)
            .await;
        // A form without double opt-in names each new registration.
        let reference = match outcome {
            Ok(Submitted::Accepted { reference, .. }) => reference,
            _ => None,
        };
        Sent {
            sent,
            answered: started.elapsed(),
            reference,
        }
    }
}

/// What the burst left: in the store, and in the answers.
struct Tally {
    stored: usize,
    registered: usize,
    /// The places on the waiting list, in order.
    positions: Vec<u64>,
    /// Submissions answered without a reference.
    failures: usize,
    distinct_references: usize,
    order: Result<u64, String>,
}

impl Tally {
    fn of(sent: &[Sent], all: &[Registration]) -> Self {
        let mut positions: Vec<u64> = all
            .iter()
            .filter(|r| r.status == Status::Waiting)
            .filter_map(|r| r.position)
            .collect();
        positions.sort_unstable();
        let distinct: HashSet<&str> = sent.iter().filter_map(|s| s.reference.as_deref()).collect();
        Self {
            stored: all.len(),
            registered: all
                .iter()
                .filter(|r| r.status == Status::Registered)
                .count(),
            positions,
            failures: sent.iter().filter(|s| s.reference.is_none()).count(),
            distinct_references: distinct.len(),
            order: check_arrival_order(sent, all),
        }
    }

    /// The line the run is judged by, with throughput and latencies.
    fn print(&self, args: &Args, sent: &[Sent], elapsed: Duration) {
        let mut latencies: Vec<Duration> = sent.iter().map(|s| s.answered - s.sent).collect();
        latencies.sort_unstable();
        let percentile = |p: f64| {
            latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1]
        };
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "store={} submissions={} ramp={}ms stored={} registered={} waiting={} failures={} ordered_pairs={} elapsed={:.2}s throughput={:.0}/s p50={:.1}ms p99={:.1}ms",
            args.store.name(),
            args.submissions,
            args.ramp_ms,
            self.stored,
            self.registered,
            self.positions.len(),
            self.failures,
            self.order.as_ref().map_or_else(|e| e.clone(), u64::to_string),
            elapsed.as_secs_f64(),
            args.submissions as f64 / elapsed.as_secs_f64(),
            ms(percentile(0.50)),
            ms(percentile(0.99)),
        );
    }

    /// Everyone stored once, the first 60 registered, the others waiting
    /// in an unbroken order that respects arrival.
    fn holds(&self, submissions: usize) -> bool {
        let expected_registered = submissions.min(60);
        let unbroken = self
            .positions
            .iter()
            .copied()
            .eq(1..=self.positions.len() as u64);
        self.failures == 0
            && self.distinct_references == submissions
            && self.order.is_ok()
            && self.stored == submissions
            && self.registered == expected_registered
            && unbroken
            && self.positions.len() == submissions - expected_registered
    }
}

/// Checks that nobody is behind a person whose submission was sent after
/// theirs was answered: whoever was answered first was decided first, so
/// holds a place or an earlier place in line. (Submissions in flight at
/// the same time may be decided in either order.) Returns how many pairs
/// of people that rule ordered, so a run shows it was not vacuous.
fn check_arrival_order(sent: &[Sent], all: &[Registration]) -> Result<u64, String> {
    // A place is ahead of every place in line.
    let rank: HashMap<&str, u64> = all
        .iter()
        .filter_map(|r| match r.status {
            Status::Registered => Some((r.reference.as_str(), 0)),
            Status::Waiting => r.position.map(|p| (r.reference.as_str(), p)),
            _ => None,
        })
        .collect();
    let mut people: Vec<(u64, &Sent)> = sent
        .iter()
        .filter_map(|s| Some((*rank.get(s.reference.as_deref()?)?, s)))
        .collect();
    // From the back of the line: the earliest answer of anyone further back
    // must not come before a person ahead was sent.
    people.sort_by_key(|p| std::cmp::Reverse(p.0));
    let mut earliest_behind: Option<&Sent> = None;
    for group in people.chunk_by(|a, b| a.0 == b.0) {
        for (_, ahead) in group {
            if let Some(behind) = earliest_behind.filter(|b| b.answered < ahead.sent) {
                return Err(format!(
                    "out-of-order: {} was answered at {:?} yet is behind {}, sent at {:?}",
                    behind.reference.as_deref().unwrap_or("?"),
                    behind.answered,
                    ahead.reference.as_deref().unwrap_or("?"),
                    ahead.sent
                ));
            }
        }
        for (_, person) in group {
            if earliest_behind.is_none_or(|b| person.answered < b.answered) {
                earliest_behind = Some(person);
            }
        }
    }
    let mut answers: Vec<Duration> = sent.iter().map(|s| s.answered).collect();
    answers.sort_unstable();
    Ok(sent
        .iter()
        .map(|s| answers.partition_point(|a| *a < s.sent) as u64)
        .sum())
}
