//! The records of ideas on every store: a record saved only over the
//! version before it (of concurrent saves of one version, one wins), read
//! back byte for byte, listed per form by reference, erased with its
//! registration by a withdrawal and by the purge, and the largest record
//! the rules allow saved whole, through `agora_core::ideas::IdeaRecords`
//! over SQLite (in memory) and DynamoDB Local, never a fake.
//! `on_every_store!` runs each story on both.

use std::collections::BTreeMap;
use std::sync::Arc;

use agora_core::ideas::record::{COMMENT_MAX_CHARS, EVENTS_MAX};
use agora_core::ideas::{Answer, Event, IdeaRecord, IdeaRecords, Outcome};
use agora_core::registration::{new_reference, new_token, token_hash, NewRegistration};
use agora_core::store::Store;
use chrono::{DateTime, Duration, TimeZone, Utc};

const FORM: &str = "wstepna-weryfikacja";
const OFFICE: &str = "biuro@example.pl";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 5, 12, 0, 0)
        .single()
        .expect("a valid time")
}

/// An idea sent to `form` by `email`, kept until `days` days from
/// `now()` (before it if negative); its reference and withdrawal token.
async fn sent<S: Store>(store: &S, form: &str, email: &str, days: i64) -> (String, String) {
    let withdraw = new_token().expect("randomness");
    let reference = new_reference().expect("randomness");
    let values = [("email", email), ("title", "Ławki przy skwerze")];
    let new = NewRegistration {
        form_id: form.to_owned(),
        reference: reference.clone(),
        unique_key: email.to_owned(),
        values: values.map(|(k, v)| (k.to_owned(), v.to_owned())).into(),
        consents: Vec::new(),
        confirm_token_hash: None,
        withdraw_token_hash: token_hash(&withdraw),
        spam: None,
        created_at: now() - Duration::days(1),
        expires_at: now() + Duration::days(days),
    };
    store.insert(new, None).await.expect("stored");
    (reference, withdraw)
}

/// The idea's first record: the office gave it to `unit`.
fn assigned(form: &str, reference: &str, unit: &str) -> IdeaRecord {
    IdeaRecord::new(form, reference)
        .assign(unit, OFFICE, now())
        .expect("a new idea can be assigned")
}

fn answer(unit: &str, comment: String) -> Answer {
    Answer {
        unit: unit.to_owned(),
        outcome: Outcome::NeedsChanges,
        comment,
        duplicate_of: None,
        cost_estimate: Some(120_000),
        by: format!("ekspert@{unit}.example"),
        at: now() + Duration::hours(1),
    }
}

async fn saved<S: IdeaRecords>(store: &S, record: &IdeaRecord) -> bool {
    store.save_idea(record).await.expect("answered")
}

async fn stored<S: IdeaRecords>(store: &S, reference: &str) -> Option<IdeaRecord> {
    store.idea(FORM, reference).await.expect("read")
}

pub async fn a_record_reads_back_as_saved<S: Store + IdeaRecords>(store: S) {
    let (reference, _) = sent(&store, FORM, "anna@example.pl", 365).await;
    assert_eq!(
        stored(&store, &reference).await,
        None,
        "nothing happened yet"
    );
    let unsaved = IdeaRecord::new(FORM, &reference);
    assert!(!saved(&store, &unsaved).await, "version 0 is never saved");
    let first = assigned(FORM, &reference, "zzm");
    assert!(saved(&store, &first).await);
    let read = stored(&store, &reference).await.expect("saved");
    assert_eq!(read.to_json(), first.to_json(), "byte for byte");
    assert_eq!(read, first);
    let second = first.with_page_key("ab".repeat(32));
    assert!(saved(&store, &second).await);
    assert_eq!(stored(&store, &reference).await, Some(second));
    assert_eq!(store.idea(FORM, "AAAA-AAAA").await.expect("read"), None);
    // No registration, no record: it would outlive any erasure.
    assert!(!saved(&store, &assigned(FORM, "AAAA-AAAA", "zzm")).await);
    assert_eq!(store.idea(FORM, "AAAA-AAAA").await.expect("read"), None);
}

pub async fn a_stale_save_changes_nothing<S: Store + IdeaRecords>(store: S) {
    let (reference, _) = sent(&store, FORM, "anna@example.pl", 365).await;
    let first = assigned(FORM, &reference, "zzm");
    assert!(saved(&store, &first).await);
    assert!(!saved(&store, &assigned(FORM, &reference, "zieleń")).await);
    let answered = first
        .answer(answer("zzm", "Proszę wskazać miejsce.".to_owned()))
        .expect("the unit has it");
    assert!(saved(&store, &answered).await);
    // Read at version 1 before the answer was saved: refused.
    let redirected = first.assign("zieleń", OFFICE, now()).expect("assignable");
    assert_eq!(redirected.version, answered.version);
    assert!(!saved(&store, &redirected).await);
    assert!(!saved(&store, &first).await, "an older version");
    let skipping = answered
        .with_page_key("cd".repeat(32))
        .with_page_key("ef".repeat(32));
    assert!(!saved(&store, &skipping).await, "a version skipped");
    assert_eq!(stored(&store, &reference).await, Some(answered));
}

pub async fn of_concurrent_saves_of_a_version_one_wins<S: Store + IdeaRecords + 'static>(store: S) {
    let store = Arc::new(store);
    let (reference, _) = sent(&*store, FORM, "anna@example.pl", 365).await;
    let saves = |records: Vec<IdeaRecord>| {
        let tasks: Vec<_> = records
            .into_iter()
            .map(|record| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { (store.save_idea(&record).await, record) })
            })
            .collect();
        async move {
            let mut won = Vec::new();
            for task in tasks {
                let (result, record) = task.await.expect("the task ran");
                if result.expect("answered") {
                    won.push(record);
                }
            }
            won
        }
    };
    let units: Vec<String> = (0..20).map(|n| format!("unit-{n}")).collect();
    let firsts = units
        .iter()
        .map(|u| assigned(FORM, &reference, u))
        .collect();
    let won = saves(firsts).await;
    assert_eq!(won.len(), 1, "one first record: {won:?}");
    assert_eq!(stored(&*store, &reference).await.as_ref(), won.first());
    let first = won[0].clone();
    let seconds = units
        .iter()
        .map(|u| first.assign(u, OFFICE, now()).expect("assignable"))
        .collect();
    let won = saves(seconds).await;
    assert_eq!(won.len(), 1, "one second version: {won:?}");
    assert_eq!(stored(&*store, &reference).await.as_ref(), won.first());
}

pub async fn a_forms_records_are_listed_by_reference<S: Store + IdeaRecords>(store: S) {
    assert_eq!(store.ideas(FORM).await.expect("listed"), []);
    let mut references = Vec::new();
    for email in ["anna@example.pl", "bartek@example.pl", "celina@example.pl"] {
        references.push(sent(&store, FORM, email, 365).await.0);
    }
    let (elsewhere, _) = sent(&store, "inny-formularz", "anna@example.pl", 365).await;
    assert!(saved(&store, &assigned("inny-formularz", &elsewhere, "zzm")).await);
    // Saved in reverse: the list is in the order of references.
    for reference in references.iter().rev() {
        assert!(saved(&store, &assigned(FORM, reference, "zzm")).await);
    }
    references.sort();
    let listed = store.ideas(FORM).await.expect("listed");
    let listed: Vec<&str> = listed.iter().map(|r| r.reference.as_str()).collect();
    assert_eq!(listed, references);
    let other = store.ideas("inny-formularz").await.expect("listed");
    assert_eq!(other, [assigned("inny-formularz", &elsewhere, "zzm")]);
}

pub async fn a_withdrawal_erases_the_record<S: Store + IdeaRecords>(store: S) {
    let (reference, withdraw) = sent(&store, FORM, "anna@example.pl", 365).await;
    let (kept, _) = sent(&store, FORM, "bartek@example.pl", 365).await;
    let first = assigned(FORM, &reference, "zzm");
    assert!(saved(&store, &first).await);
    assert!(saved(&store, &assigned(FORM, &kept, "zzm")).await);
    store
        .withdraw(FORM, &token_hash(&withdraw), now())
        .await
        .expect("withdrawn")
        .expect("found");
    assert_eq!(stored(&store, &reference).await, None);
    // Nothing brings it back: neither a later version nor a first one.
    assert!(!saved(&store, &first.with_page_key("ab".repeat(32))).await);
    assert!(!saved(&store, &first).await);
    assert_eq!(stored(&store, &reference).await, None);
    let listed = store.ideas(FORM).await.expect("listed");
    assert_eq!(listed, [assigned(FORM, &kept, "zzm")], "the other stays");
}

pub async fn the_purge_erases_the_record<S: Store + IdeaRecords>(store: S) {
    let (expired, _) = sent(&store, FORM, "anna@example.pl", -1).await;
    let (kept, _) = sent(&store, FORM, "bartek@example.pl", 365).await;
    for reference in [&expired, &kept] {
        assert!(saved(&store, &assigned(FORM, reference, "zzm")).await);
    }
    assert_eq!(store.purge_expired(now()).await.expect("purged"), 1);
    assert_eq!(stored(&store, &expired).await, None);
    let listed = store.ideas(FORM).await.expect("listed");
    assert_eq!(listed, [assigned(FORM, &kept, "zzm")], "the other stays");
}

/// The most an idea's record holds: its events at the rules' bound, each
/// an answer with the longest comment, and the resident's reply with the
/// revisable fields of `wstepna-weryfikacja` at their `max_length`. Polish
/// letters take two bytes each in UTF-8.
fn largest(reference: &str) -> IdeaRecord {
    let polish = |chars: usize| "żółć".chars().cycle().take(chars).collect::<String>();
    let mut record = IdeaRecord::new(FORM, reference);
    record.version = 1;
    record.events = (1..EVENTS_MAX)
        .map(|_| {
            Event::Answered(answer(
                "zarzad-zieleni-miejskiej",
                polish(COMMENT_MAX_CHARS),
            ))
        })
        .collect();
    let revised = [("title", 150), ("place", 300), ("description", 3000)];
    let mut fields: BTreeMap<String, String> = revised
        .into_iter()
        .map(|(name, chars)| (name.to_owned(), polish(chars)))
        .collect();
    fields.insert("cost".to_owned(), "9".repeat(20));
    record.events.push(Event::Revised { fields, at: now() });
    record.page_keys = vec!["ab".repeat(32); 4];
    record
}

pub async fn the_largest_record_is_saved_whole<S: Store + IdeaRecords>(store: S) {
    let (reference, _) = sent(&store, FORM, "anna@example.pl", 365).await;
    let record = largest(&reference);
    assert!(
        record.to_json().len() > 300_000,
        "{}",
        record.to_json().len()
    );
    assert!(saved(&store, &record).await);
    let read = stored(&store, &reference).await.expect("saved");
    assert_eq!(read.to_json(), record.to_json(), "byte for byte");
    let next = record.with_page_key("cd".repeat(32));
    assert!(saved(&store, &next).await);
    assert_eq!(stored(&store, &reference).await, Some(next));
}

agora_test_support::on_every_store!(
    a_record_reads_back_as_saved,
    a_stale_save_changes_nothing,
    of_concurrent_saves_of_a_version_one_wins,
    a_forms_records_are_listed_by_reference,
    a_withdrawal_erases_the_record,
    the_purge_erases_the_record,
    the_largest_record_is_saved_whole,
);
