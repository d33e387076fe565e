//! What staff decide and publish, on every store: the office's decisions
//! on ambassador applications, each lottery form's published list (once,
//! however many press the button) and its "results mailed" mark (once),
//! each form's records apart from another's, and decisions ending with
//! their registration in the purge, through
//! `agora_core::panel::StaffRecords` over SQLite (in memory) and DynamoDB
//! Local, never a fake. `on_every_store!` runs each story on both.

use std::collections::BTreeMap;
use std::sync::Arc;

use agora_core::panel::{Appointment, Decision, ListPublished, StaffRecords, StoredList};
use agora_core::registration::{Admission, NewRegistration};
use agora_core::store::{DrawRecord, Store, StoreError};
use chrono::{DateTime, Duration, TimeZone, Utc};

const OFFICE: &str = "biuro@example.pl";

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, minute, 0)
        .single()
        .expect("a valid time")
}

fn decision(form_id: &str, reference: &str, decision: Decision, minute: u32) -> Appointment {
    Appointment {
        form_id: form_id.to_owned(),
        reference: reference.to_owned(),
        decision,
        decided_by: OFFICE.to_owned(),
        decided_at: at(10, minute),
    }
}

/// The form's list of `count` made-up references, published by `by`.
fn list(form_id: &str, count: usize, by: &str) -> StoredList {
    let references = (0..count).map(|n| format!("{:04}-{:04}", n / 10_000, n % 10_000));
    let text: String = format!("agora-lottery-list v1\nform: {form_id}\n")
        + &references.map(|r| r + "\n").collect::<String>();
    StoredList {
        form_id: form_id.to_owned(),
        sha256: format!("{:064x}", text.len()),
        text,
        published_by: by.to_owned(),
        published_at: at(11, 0),
    }
}

pub async fn a_decision_replaces_the_one_before<S: StaffRecords>(store: S) {
    assert_eq!(store.appointments("ambasadorzy").await.expect("read"), []);
    let appointed = decision("ambasadorzy", "K7QX-M3PA", Decision::Appointed, 1);
    store.put_appointment(&appointed).await.expect("kept");
    assert_eq!(
        store.appointments("ambasadorzy").await.expect("read"),
        [appointed]
    );
    let dismissed = decision("ambasadorzy", "K7QX-M3PA", Decision::Dismissed, 2);
    store.put_appointment(&dismissed).await.expect("kept");
    assert_eq!(
        store.appointments("ambasadorzy").await.expect("read"),
        [dismissed],
        "one decision an application, the latest"
    );
}

pub async fn decisions_list_by_reference_and_read_back_by_name<S: StaffRecords>(store: S) {
    let decided = [
        decision("ambasadorzy", "ZZZZ-2222", Decision::Declined, 1),
        decision("ambasadorzy", "AAAA-3333", Decision::Appointed, 2),
        decision("ambasadorzy", "MMMM-4444", Decision::Dismissed, 3),
    ];
    for appointment in &decided {
        store.put_appointment(appointment).await.expect("kept");
    }
    let read = store.appointments("ambasadorzy").await.expect("read");
    let references: Vec<&str> = read.iter().map(|a| a.reference.as_str()).collect();
    assert_eq!(references, ["AAAA-3333", "MMMM-4444", "ZZZZ-2222"]);
    for appointment in &decided {
        assert!(read.contains(appointment), "{appointment:?} in {read:?}");
    }
}

pub async fn a_list_is_published_once<S: StaffRecords>(store: S) {
    assert_eq!(store.published_list("warsztaty").await.expect("read"), None);
    let first = list("warsztaty", 3, OFFICE);
    let published = store.publish_list(&first).await.expect("kept");
    assert_eq!(published, ListPublished::Done(first.clone()));
    let second = list("warsztaty", 4, "kasia@example.pl");
    let again = store.publish_list(&second).await.expect("read");
    assert_eq!(again, ListPublished::Already(first.clone()), "it stays");
    assert_eq!(
        store.published_list("warsztaty").await.expect("read"),
        Some(first)
    );
}

/// Two office workers at once, then twenty: each publishes a list of its
/// own, one is stored and every other is told of it.
pub async fn lists_published_at_once_store_one<S: StaffRecords + 'static>(store: S) {
    let (one, other) = (list("warsztaty", 3, OFFICE), list("warsztaty", 4, OFFICE));
    let outcomes = tokio::join!(store.publish_list(&one), store.publish_list(&other));
    let outcomes = [outcomes.0.expect("kept"), outcomes.1.expect("kept")];
    assert_one_stored(&store, "warsztaty", &outcomes).await;

    let store = Arc::new(store);
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let store = Arc::clone(&store);
            let list = list("spacery", n + 1, OFFICE);
            tokio::spawn(async move { store.publish_list(&list).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("joined").expect("kept"));
    }
    assert_one_stored(store.as_ref(), "spacery", &outcomes).await;
}

/// Exactly one of `outcomes` stored its list, the others were given that
/// one, and it is the form's list.
async fn assert_one_stored<S: StaffRecords>(store: &S, form_id: &str, outcomes: &[ListPublished]) {
    let done: Vec<&StoredList> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            ListPublished::Done(list) => Some(list),
            ListPublished::Already(_) => None,
        })
        .collect();
    let [stored] = done[..] else {
        panic!("one list is stored: {outcomes:?}");
    };
    for outcome in outcomes {
        if let ListPublished::Already(earlier) = outcome {
            assert_eq!(earlier, stored);
        }
    }
    let kept = store.published_list(form_id).await.expect("read");
    assert_eq!(kept.as_ref(), Some(stored));
}

/// 5,000 applications: the text comes back byte for byte (on DynamoDB one
/// item of about 50 KB, well within its 400 KB).
pub async fn a_long_list_reads_back_byte_for_byte<S: StaffRecords>(store: S) {
    let long = list("warsztaty", 5_000, OFFICE);
    assert!(long.text.len() > 50_000, "{}", long.text.len());
    store.publish_list(&long).await.expect("kept");
    let read = store
        .published_list("warsztaty")
        .await
        .expect("read")
        .expect("there");
    assert_eq!(read.text.as_bytes(), long.text.as_bytes());
    assert_eq!(read, long);
}

pub async fn results_are_noted_as_mailed_once<S: StaffRecords + 'static>(store: S) {
    assert_eq!(store.results_mailed("warsztaty").await.expect("read"), None);
    let noted = store.note_results_mailed("warsztaty", at(12, 0)).await;
    assert!(noted.expect("noted"), "the first time");
    let again = store.note_results_mailed("warsztaty", at(12, 5)).await;
    assert!(!again.expect("read"), "noted before");
    assert_eq!(
        store.results_mailed("warsztaty").await.expect("read"),
        Some(at(12, 0)),
        "the first moment stays"
    );

    let store = Arc::new(store);
    let tasks: Vec<_> = (0..20)
        .map(|minute| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.note_results_mailed("spacery", at(13, minute)).await })
        })
        .collect();
    let mut firsts = 0;
    for task in tasks {
        if task.await.expect("joined").expect("noted") {
            firsts += 1;
        }
    }
    assert_eq!(firsts, 1, "twenty presses at once mail once");
    assert!(store
        .results_mailed("spacery")
        .await
        .expect("read")
        .is_some());
}

/// A stale list is replaced before the draw, never after it: the draw
/// keeps the list it was made from.
pub async fn a_list_is_replaced_only_before_the_draw<S: Store + StaffRecords>(store: S) {
    store
        .publish_list(&list("warsztaty", 3, OFFICE))
        .await
        .expect("kept");
    let corrected = list("warsztaty", 2, "kasia@example.pl");
    assert!(store.replace_list(&corrected).await.expect("kept"));
    assert_eq!(
        store.published_list("warsztaty").await.expect("read"),
        Some(corrected.clone()),
        "the new list, byte for byte"
    );
    let unlisted = list("spacery", 1, OFFICE);
    assert!(
        store.replace_list(&unlisted).await.expect("kept"),
        "none before"
    );
    assert_eq!(
        store.published_list("spacery").await.expect("read"),
        Some(unlisted)
    );

    let draw = DrawRecord {
        seed: "Lotto".to_owned(),
        list_sha256: corrected.sha256.clone(),
        places: 2,
        winners: Vec::new(),
        reserve: Vec::new(),
        drawn_at: at(12, 0),
    };
    store.record_draw("warsztaty", &draw).await.expect("drawn");
    let late = list("warsztaty", 4, OFFICE);
    assert!(!store.replace_list(&late).await.expect("read"), "drawn");
    assert_eq!(
        store.published_list("warsztaty").await.expect("read"),
        Some(corrected),
        "the list drawn from stays"
    );
}

/// A sending that failed before any message went takes its mark back,
/// and the next press notes it again.
pub async fn a_mark_taken_back_is_noted_again<S: StaffRecords>(store: S) {
    assert!(store
        .note_results_mailed("warsztaty", at(12, 0))
        .await
        .expect("noted"));
    store
        .clear_results_mailed("warsztaty")
        .await
        .expect("taken back");
    assert_eq!(store.results_mailed("warsztaty").await.expect("read"), None);
    store
        .clear_results_mailed("spacery")
        .await
        .expect("none to take back is fine");
    let again = store.note_results_mailed("warsztaty", at(12, 5)).await;
    assert!(again.expect("noted"), "sendable again");
    assert_eq!(
        store.results_mailed("warsztaty").await.expect("read"),
        Some(at(12, 5))
    );
}

pub async fn one_forms_records_stay_out_of_anothers<S: StaffRecords>(store: S) {
    let warsztaty = decision("warsztaty", "K7QX-M3PA", Decision::Appointed, 1);
    store.put_appointment(&warsztaty).await.expect("kept");
    // A form whose id starts as the other's does.
    let longer = decision("warsztaty-2", "K7QX-M3PA", Decision::Declined, 2);
    store.put_appointment(&longer).await.expect("kept");
    assert_eq!(
        store.appointments("warsztaty").await.expect("read"),
        [warsztaty]
    );
    assert_eq!(
        store.appointments("warsztaty-2").await.expect("read"),
        [longer]
    );
    assert_eq!(store.appointments("spacery").await.expect("read"), []);

    let published = list("warsztaty", 2, OFFICE);
    store.publish_list(&published).await.expect("kept");
    assert_eq!(
        store.published_list("warsztaty-2").await.expect("read"),
        None
    );
    let other = list("warsztaty-2", 3, OFFICE);
    let outcome = store.publish_list(&other).await.expect("kept");
    assert_eq!(outcome, ListPublished::Done(other), "its own, not refused");

    assert!(store
        .note_results_mailed("warsztaty", at(12, 0))
        .await
        .expect("noted"));
    assert_eq!(
        store.results_mailed("warsztaty-2").await.expect("read"),
        None
    );
    let own = store.note_results_mailed("warsztaty-2", at(12, 1)).await;
    assert!(own.expect("noted"), "its own mark, not the other's");
}

/// A registration to `form_id` made at 9:00 and erased at `expires_at`.
async fn register<S: Store>(store: &S, form_id: &str, reference: &str, expires_at: DateTime<Utc>) {
    let new = NewRegistration {
        form_id: form_id.to_owned(),
        reference: reference.to_owned(),
        unique_key: format!("{reference}@example.pl"),
        values: BTreeMap::from([("email".to_owned(), format!("{reference}@example.pl"))]),
        consents: Vec::new(),
        confirm_token_hash: None,
        withdraw_token_hash: format!("withdraw-{reference}"),
        spam: None,
        created_at: at(9, 0),
        expires_at,
    };
    let admission = Admission::FirstCome { capacity: None };
    store.insert(new, Some(admission)).await.expect("stored");
}

/// The purge erases a registration and the office's decision on it with
/// it; the decisions on registrations still kept, lists and marks stay.
pub async fn a_decision_ends_with_its_registration<S: Store + StaffRecords>(store: S) {
    let (soon, later) = (at(12, 0), at(12, 0) + Duration::days(30));
    register(&store, "ambasadorzy", "ERAS-EDAA", soon).await;
    register(&store, "ambasadorzy", "KEPT-BBBB", later).await;
    let erased = decision("ambasadorzy", "ERAS-EDAA", Decision::Declined, 1);
    let kept = decision("ambasadorzy", "KEPT-BBBB", Decision::Appointed, 2);
    store.put_appointment(&erased).await.expect("kept");
    store.put_appointment(&kept).await.expect("kept");
    store
        .publish_list(&list("ambasadorzy", 2, OFFICE))
        .await
        .expect("kept");
    store
        .note_results_mailed("ambasadorzy", at(11, 0))
        .await
        .expect("noted");

    assert_eq!(store.purge_expired(at(11, 59)).await.expect("purged"), 0);
    assert_eq!(
        store.appointments("ambasadorzy").await.expect("read").len(),
        2
    );
    assert_eq!(store.purge_expired(at(12, 0)).await.expect("purged"), 1);
    assert_eq!(
        store.appointments("ambasadorzy").await.expect("read"),
        [kept]
    );
    assert!(store
        .published_list("ambasadorzy")
        .await
        .expect("read")
        .is_some());
    assert!(store
        .results_mailed("ambasadorzy")
        .await
        .expect("read")
        .is_some());
}

agora_test_support::on_every_store!(
    a_decision_replaces_the_one_before,
    decisions_list_by_reference_and_read_back_by_name,
    a_list_is_published_once,
    lists_published_at_once_store_one,
    a_long_list_reads_back_byte_for_byte,
    results_are_noted_as_mailed_once,
    a_list_is_replaced_only_before_the_draw,
    a_mark_taken_back_is_noted_again,
    one_forms_records_stay_out_of_anothers,
    a_decision_ends_with_its_registration,
);

/// What only DynamoDB shows: its items as stored.
mod dynamodb_items {
    use super::*;

    use agora_test_support::dynamodb_local::{client_config, fresh_table};
    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_sdk_dynamodb::Client;

    fn key(pk: &str, sk: &str) -> std::collections::HashMap<String, AttributeValue> {
        [("pk", pk), ("sk", sk)]
            .into_iter()
            .map(|(name, value)| (name.to_owned(), AttributeValue::S(value.to_owned())))
            .collect()
    }

    /// A decision carries its registration's `ttl`, so that DynamoDB erases
    /// it with the registration even if the purge never runs.
    #[tokio::test]
    async fn a_decision_carries_its_registrations_ttl() {
        let (store, _, table) = fresh_table().await;
        let client = Client::from_conf(client_config().0.build());
        register(&store, "ambasadorzy", "K7QX-M3PA", at(12, 0)).await;
        let appointed = decision("ambasadorzy", "K7QX-M3PA", Decision::Appointed, 1);
        store.put_appointment(&appointed).await.expect("kept");
        let ttl = |sk: &str| {
            let request = client
                .get_item()
                .table_name(&table)
                .set_key(Some(key("form#ambasadorzy", sk)))
                .consistent_read(true);
            async move {
                let item = request.send().await.expect("read").item.expect("there");
                item.get("ttl").cloned()
            }
        };
        let registration = ttl("reg#K7QX-M3PA").await;
        assert!(registration.is_some());
        assert_eq!(ttl("appointment#K7QX-M3PA").await, registration);
    }

    #[tokio::test]
    async fn an_unknown_decision_is_corrupt() {
        let (store, _, table) = fresh_table().await;
        let client = Client::from_conf(client_config().0.build());
        let appointed = decision("ambasadorzy", "K7QX-M3PA", Decision::Appointed, 1);
        store.put_appointment(&appointed).await.expect("kept");
        client
            .update_item()
            .table_name(&table)
            .set_key(Some(key("form#ambasadorzy", "appointment#K7QX-M3PA")))
            .update_expression("SET #decision = :promoted")
            .expression_attribute_names("#decision", "decision")
            .expression_attribute_values(":promoted", AttributeValue::S("promoted".to_owned()))
            .send()
            .await
            .expect("a decision no version wrote");
        let read = store.appointments("ambasadorzy").await;
        assert!(
            matches!(&read, Err(StoreError::Corrupt(why)) if why.contains("promoted")),
            "{read:?}"
        );
    }

    /// The bound of a list on DynamoDB (see `dynamodb::records`): one item
    /// of at most 400 KB, about 40,000 applications. A longer list is
    /// refused whole.
    #[tokio::test]
    async fn a_list_beyond_an_item_is_refused_whole() {
        let (store, _, _) = fresh_table().await;
        let too_long = list("warsztaty", 45_000, OFFICE);
        let refused = store.publish_list(&too_long).await;
        assert!(
            matches!(&refused, Err(StoreError::Refused { .. })),
            "{refused:?}"
        );
        assert_eq!(store.published_list("warsztaty").await.expect("read"), None);
    }
}
