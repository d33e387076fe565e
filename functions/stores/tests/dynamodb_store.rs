//! What the stories leave to chance on DynamoDB: requests that race each
//! other on the same items (the same token twice, confirmations at the
//! capacity, withdrawals during registrations), a place freed with nobody
//! waiting, the purge freeing places. On DynamoDB Local, like the stories.

use agora_test_support::dynamodb_local;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use agora_core::registration::{
    new_reference, new_token, token_hash, Admission, NewRegistration, Registration, Status,
};
use agora_core::store::{Inserted, Store, StoreError};
use agora_stores::dynamodb::DynamoStore;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 5, 12, 0, 0)
        .single()
        .expect("a valid time")
}

struct Person {
    new: NewRegistration,
    confirm: String,
    withdraw: String,
}

fn person(form: &str, email: &str, needs_confirmation: bool) -> Person {
    let confirm = new_token().expect("randomness");
    let withdraw = new_token().expect("randomness");
    Person {
        new: NewRegistration {
            form_id: form.to_owned(),
            reference: new_reference().expect("randomness"),
            unique_key: email.to_owned(),
            values: BTreeMap::from([("email".to_owned(), email.to_owned())]),
            consents: Vec::new(),
            confirm_token_hash: needs_confirmation.then(|| token_hash(&confirm)),
            withdraw_token_hash: token_hash(&withdraw),
            spam: None,
            created_at: now(),
            expires_at: now() + Duration::days(30),
        },
        confirm,
        withdraw,
    }
}

fn capacity(places: u32) -> Admission {
    Admission::FirstCome {
        capacity: Some(places),
    }
}

async fn register(store: &DynamoStore, person: &Person, places: u32) -> Registration {
    match store
        .insert(person.new.clone(), Some(capacity(places)))
        .await
        .expect("stored")
    {
        Inserted::New(registration) => registration,
        Inserted::Existing(registration) => panic!("not new: {registration:?}"),
    }
}

fn with_status(all: &[Registration], status: Status) -> usize {
    all.iter().filter(|r| r.status == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_place_freed_with_nobody_waiting_goes_to_the_next_person() {
    let store = dynamodb_local::fresh_store().await;
    let (a, b, c, d) = (
        person("f", "a@example.pl", false),
        person("f", "b@example.pl", false),
        person("f", "c@example.pl", false),
        person("f", "d@example.pl", false),
    );
    register(&store, &a, 2).await;
    register(&store, &b, 2).await;
    let withdrawn = store
        .withdraw("f", &token_hash(&a.withdraw), now())
        .await
        .expect("answered")
        .expect("withdrawn");
    assert_eq!(withdrawn.promoted, None);
    assert_eq!(register(&store, &c, 2).await.status, Status::Registered);
    let d = register(&store, &d, 2).await;
    assert_eq!((d.status, d.position), (Status::Waiting, Some(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_withdrawal_link_works_once_however_often_it_is_clicked() {
    let store = Arc::new(dynamodb_local::fresh_store().await);
    let people: Vec<Person> = (0..3)
        .map(|i| person("f", &format!("p{i}@example.pl"), false))
        .collect();
    for p in &people {
        register(&store, p, 2).await;
    }
    let token = token_hash(&people[0].withdraw);
    let clicks: Vec<_> = (0..8)
        .map(|_| {
            let (store, token) = (Arc::clone(&store), token.clone());
            tokio::spawn(async move { store.withdraw("f", &token, now()).await })
        })
        .collect();
    let mut done = 0;
    for click in clicks {
        if click.await.expect("ran").expect("answered").is_some() {
            done += 1;
        }
    }
    assert_eq!(done, 1, "exactly one click withdraws");
    let all = store.list("f", now()).await.expect("listed");
    assert_eq!(with_status(&all, Status::Registered), 2, "{all:?}");
    assert_eq!(with_status(&all, Status::Waiting), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn confirmations_at_once_hold_the_capacity() {
    let store = Arc::new(dynamodb_local::fresh_store().await);
    let mut tokens = Vec::new();
    for i in 0..30 {
        let p = person("f", &format!("p{i}@example.pl"), true);
        store.insert(p.new.clone(), None).await.expect("stored");
        tokens.push(token_hash(&p.confirm));
    }
    let confirmations: Vec<_> = tokens
        .into_iter()
        // Each link twice, as people do.
        .flat_map(|t| [t.clone(), t])
        .map(|token| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.confirm("f", &token, capacity(10), now()).await })
        })
        .collect();
    for confirmation in confirmations {
        confirmation
            .await
            .expect("ran")
            .expect("answered")
            .expect("known");
    }
    let all = store.list("f", now()).await.expect("listed");
    assert_eq!(with_status(&all, Status::Registered), 10);
    let mut positions: Vec<u64> = all.iter().filter_map(|r| r.position).collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=20).collect::<Vec<u64>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn withdrawals_during_registrations_keep_the_places_exact() {
    let store = Arc::new(dynamodb_local::fresh_store().await);
    let mut people = Vec::new();
    for i in 0..10 {
        let p = person("f", &format!("first{i}@example.pl"), false);
        register(&store, &p, 5).await;
        people.push(p);
    }
    // 3 of the 5 registered and 2 of the 5 waiting leave while 5 arrive.
    let leaving: Vec<String> = [0, 2, 4, 5, 8]
        .iter()
        .map(|&i| token_hash(&people[i].withdraw))
        .collect();
    let mut tasks = Vec::new();
    for token in leaving {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            store
                .withdraw("f", &token, now())
                .await
                .map(|w| w.is_some())
        }));
    }
    for i in 0..5 {
        let (store, p) = (
            Arc::clone(&store),
            person("f", &format!("late{i}@example.pl"), false),
        );
        tasks.push(tokio::spawn(async move {
            store
                .insert(p.new, Some(capacity(5)))
                .await
                .map(|inserted| matches!(inserted, Inserted::New(_)))
        }));
    }
    for task in tasks {
        assert!(task.await.expect("ran").expect("answered"));
    }
    let all = store.list("f", now()).await.expect("listed");
    assert_eq!(with_status(&all, Status::Registered), 5, "{all:?}");
    assert_eq!(with_status(&all, Status::Waiting), 5, "{all:?}");
    let positions: HashSet<u64> = all.iter().filter_map(|r| r.position).collect();
    assert_eq!(positions.len(), 5, "one person per place in line");
    // The counter agrees with the registrations: the next person waits.
    let next = register(&store, &person("f", "next@example.pl", false), 5).await;
    assert_eq!(next.status, Status::Waiting);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn purging_frees_the_places_of_the_erased() {
    let store = dynamodb_local::fresh_store().await;
    let mut old = person("f", "old@example.pl", false);
    old.new.expires_at = now() - Duration::days(1);
    register(&store, &old, 1).await;
    assert_eq!(store.purge_expired(now()).await.expect("purged"), 1);
    let fresh = register(&store, &person("f", "fresh@example.pl", false), 1).await;
    assert_eq!(fresh.status, Status::Registered);
    // The erased person's links are gone with the data.
    assert!(store
        .withdraw("f", &token_hash(&old.withdraw), now())
        .await
        .expect("answered")
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reference_is_never_given_twice() {
    let store = dynamodb_local::fresh_store().await;
    let first = person("f", "a@example.pl", false);
    let mut second = person("f", "b@example.pl", false);
    second.new.reference = first.new.reference.clone();
    register(&store, &first, 5).await;
    assert!(matches!(
        store.insert(second.new, Some(capacity(5))).await,
        Err(StoreError::ReferenceTaken)
    ));
    assert_eq!(store.counts("f", now()).await.expect("counts").taken, 1);
}

#[test]
fn the_debug_form_shows_no_credentials() {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("eu-central-1"))
        .http_client(agora_stores::aws::https_client())
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI-secret",
            Some("session-secret".to_owned()),
            None,
            "test",
        ))
        .build();
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        "registrations".to_owned(),
    );
    let shown = format!("{store:?}");
    assert!(shown.contains("registrations"), "{shown}");
    assert!(
        !shown.contains("secret") && !shown.contains("AKID"),
        "{shown}"
    );
}
