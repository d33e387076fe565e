//! The same stories against every store: registering, a duplicate,
//! confirming, withdrawing with promotion, capacity under a concurrent
//! burst, a draw (once only, resumable), expiry (reads ignore it before
//! the purge; the purge hands places on). Each store is a real one (SQLite in memory;
//! DynamoDB Local), never a fake.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use agora_core::forms::Submission;
use agora_core::registration::{
    new_reference, new_token, token_hash, Admission, ConsentRecord, MailProblem, NewRegistration,
    Status,
};
use agora_core::service::{Client, Submitted};
use agora_core::store::{DrawRecord, DrawRecorded, Inserted, Store};
use agora_test_support::fixture;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 5, 12, 0, 0)
        .single()
        .expect("a valid time")
}

/// A registration of `email` to `form`, with its two tokens.
fn person(form: &str, email: &str, confirm: bool) -> (NewRegistration, String, String) {
    let confirm_token = new_token().expect("randomness");
    let withdraw_token = new_token().expect("randomness");
    let new = NewRegistration {
        form_id: form.to_owned(),
        reference: new_reference().expect("randomness"),
        unique_key: email.to_owned(),
        values: BTreeMap::from([
            ("email".to_owned(), email.to_owned()),
            ("full_name".to_owned(), "Anna Nowak".to_owned()),
        ]),
        consents: vec![ConsentRecord {
            name: "processing".to_owned(),
            version: "2020-02-19".to_owned(),
            given_at: now(),
        }],
        confirm_token_hash: confirm.then(|| token_hash(&confirm_token)),
        withdraw_token_hash: token_hash(&withdraw_token),
        spam: None,
        created_at: now(),
        expires_at: now() + Duration::days(365),
    };
    (new, confirm_token, withdraw_token)
}

/// A registration of `email` made `days_ago` days before `now()`, whose
/// retention ends `expires_in` days after `now()` (before it if negative).
fn aged(form: &str, email: &str, days_ago: i64, expires_in: i64) -> (NewRegistration, String) {
    let (mut new, _, withdraw) = person(form, email, false);
    new.created_at = now() - Duration::days(days_ago);
    new.expires_at = now() + Duration::days(expires_in);
    (new, withdraw)
}

fn inserted(result: Inserted) -> agora_core::registration::Registration {
    match result {
        Inserted::New(registration) => registration,
        Inserted::Existing(registration) => {
            panic!("expected a new registration, got {registration:?}")
        }
    }
}

const FIRST_COME_3: Admission = Admission::FirstCome { capacity: Some(3) };

pub async fn a_registration_is_stored_and_found<S: Store>(store: S) {
    let (new, _, _) = person("ambasadorzy", "anna@example.pl", false);
    let registration = inserted(
        store
            .insert(new.clone(), Some(FIRST_COME_3))
            .await
            .expect("stored"),
    );
    assert_eq!(registration.status, Status::Registered);
    assert_eq!(registration.values["email"], "anna@example.pl");
    assert_eq!(registration.consents[0].version, "2020-02-19");
    let found = store
        .find("ambasadorzy", &new.reference, now())
        .await
        .expect("read")
        .expect("found");
    assert_eq!(found, registration);
    assert_eq!(
        store
            .counts("ambasadorzy", now())
            .await
            .expect("counts")
            .taken,
        1
    );
}

pub async fn the_same_person_twice_creates_no_duplicate<S: Store>(store: S) {
    let (first, _, _) = person("ambasadorzy", "anna@example.pl", false);
    let (second, _, _) = person("ambasadorzy", "anna@example.pl", false);
    let stored = inserted(
        store
            .insert(first, Some(FIRST_COME_3))
            .await
            .expect("stored"),
    );
    match store
        .insert(second, Some(FIRST_COME_3))
        .await
        .expect("answered")
    {
        Inserted::Existing(existing) => assert_eq!(existing.reference, stored.reference),
        Inserted::New(new) => panic!("duplicate stored: {new:?}"),
    }
    assert_eq!(
        store
            .counts("ambasadorzy", now())
            .await
            .expect("counts")
            .taken,
        1
    );
    // Another form is another matter.
    let (other, _, _) = person("dolacz-do-procesu", "anna@example.pl", false);
    inserted(
        store
            .insert(other, Some(FIRST_COME_3))
            .await
            .expect("stored"),
    );
}

pub async fn a_pending_registration_counts_once_confirmed<S: Store>(store: S) {
    let (new, confirm, _) = person("ambasadorzy", "anna@example.pl", true);
    let pending = inserted(store.insert(new, None).await.expect("stored"));
    assert_eq!(pending.status, Status::Pending);
    assert_eq!(
        store
            .counts("ambasadorzy", now())
            .await
            .expect("counts")
            .pending,
        1
    );
    assert!(store
        .confirm(
            "ambasadorzy",
            &token_hash("not-a-token"),
            FIRST_COME_3,
            now()
        )
        .await
        .expect("answered")
        .is_none());
    assert!(
        store
            .confirm("inny-formularz", &token_hash(&confirm), FIRST_COME_3, now())
            .await
            .expect("answered")
            .is_none(),
        "a token works only for its own form"
    );
    let confirmed = store
        .confirm("ambasadorzy", &token_hash(&confirm), FIRST_COME_3, now())
        .await
        .expect("answered")
        .expect("confirmed");
    assert_eq!(confirmed.status, Status::Registered);
    assert!(confirmed.confirmed_at.is_some());
    let again = store
        .confirm("ambasadorzy", &token_hash(&confirm), FIRST_COME_3, now())
        .await
        .expect("answered")
        .expect("still known");
    assert_eq!(again, confirmed, "confirming twice changes nothing");
    let counts = store.counts("ambasadorzy", now()).await.expect("counts");
    assert_eq!((counts.pending, counts.taken), (0, 1));
}

pub async fn renewed_links_replace_the_old_ones<S: Store>(store: S) {
    let (new, old_confirm, old_withdraw) = person("ambasadorzy", "anna@example.pl", true);
    let reference = new.reference.clone();
    inserted(store.insert(new, None).await.expect("stored"));
    let (confirm, withdraw) = (
        new_token().expect("randomness"),
        new_token().expect("randomness"),
    );
    let renewed = store
        .renew_tokens(
            "ambasadorzy",
            &reference,
            &token_hash(&confirm),
            &token_hash(&withdraw),
        )
        .await
        .expect("answered")
        .expect("renewed");
    assert_eq!(renewed.status, Status::Pending);
    for (token, what) in [(&old_confirm, "confirm"), (&old_withdraw, "withdraw")] {
        let worked = match what {
            "confirm" => store
                .confirm("ambasadorzy", &token_hash(token), FIRST_COME_3, now())
                .await
                .expect("answered")
                .is_some(),
            _ => store
                .withdraw("ambasadorzy", &token_hash(token), now())
                .await
                .expect("answered")
                .is_some(),
        };
        assert!(!worked, "the replaced {what} link stopped working");
    }
    let confirmed = store
        .confirm("ambasadorzy", &token_hash(&confirm), FIRST_COME_3, now())
        .await
        .expect("answered")
        .expect("the new link confirms");
    assert_eq!(confirmed.status, Status::Registered);

    // Confirmed: the confirmation link stays (a second click answers
    // "confirmed"), the withdrawal link is replaced again.
    let later_withdraw = new_token().expect("randomness");
    let unused_confirm = new_token().expect("randomness");
    store
        .renew_tokens(
            "ambasadorzy",
            &reference,
            &token_hash(&unused_confirm),
            &token_hash(&later_withdraw),
        )
        .await
        .expect("answered")
        .expect("renewed");
    assert!(store
        .confirm("ambasadorzy", &token_hash(&confirm), FIRST_COME_3, now())
        .await
        .expect("answered")
        .is_some_and(|r| r.status == Status::Registered));
    assert!(store
        .confirm(
            "ambasadorzy",
            &token_hash(&unused_confirm),
            FIRST_COME_3,
            now()
        )
        .await
        .expect("answered")
        .is_none());
    assert!(store
        .withdraw("ambasadorzy", &token_hash(&withdraw), now())
        .await
        .expect("answered")
        .is_none());
    assert!(store
        .withdraw("ambasadorzy", &token_hash(&later_withdraw), now())
        .await
        .expect("answered")
        .is_some());
    assert_eq!(
        store
            .counts("ambasadorzy", now())
            .await
            .expect("counts")
            .taken,
        0
    );

    // Withdrawn: nothing to renew.
    assert!(store
        .renew_tokens(
            "ambasadorzy",
            &reference,
            &token_hash(&confirm),
            &token_hash(&withdraw),
        )
        .await
        .expect("answered")
        .is_none());
}

pub async fn a_full_form_keeps_a_waiting_list_and_promotes_on_withdrawal<S: Store>(store: S) {
    let mut people = Vec::new();
    for i in 0..5 {
        let (new, _, withdraw) = person("warsztat", &format!("osoba{i}@example.pl"), false);
        let registration = inserted(store.insert(new, Some(FIRST_COME_3)).await.expect("stored"));
        people.push((registration, withdraw));
    }
    let statuses: Vec<(Status, Option<u64>)> =
        people.iter().map(|(r, _)| (r.status, r.position)).collect();
    assert_eq!(
        statuses,
        [
            (Status::Registered, None),
            (Status::Registered, None),
            (Status::Registered, None),
            (Status::Waiting, Some(1)),
            (Status::Waiting, Some(2)),
        ]
    );
    let withdrawn = store
        .withdraw("warsztat", &token_hash(&people[1].1), now())
        .await
        .expect("answered")
        .expect("withdrawn");
    let promoted = withdrawn
        .promoted
        .expect("the first waiting person moves up");
    assert_eq!(promoted.reference, people[3].0.reference);
    assert_eq!(promoted.status, Status::Registered);
    let gone = store
        .find("warsztat", &people[1].0.reference, now())
        .await
        .expect("read")
        .expect("kept as a tombstone");
    assert_eq!(gone.status, Status::Withdrawn);
    assert!(
        gone.values.is_empty() && gone.consents.is_empty(),
        "personal data is erased: {gone:?}"
    );
    assert!(store
        .withdraw("warsztat", &token_hash(&people[1].1), now())
        .await
        .expect("answered")
        .is_none());
    let counts = store.counts("warsztat", now()).await.expect("counts");
    assert_eq!((counts.taken, counts.waiting), (3, 1));
    // The withdrawn person may register again, as a new registration.
    let (again, _, _) = person("warsztat", "osoba1@example.pl", false);
    let again = inserted(
        store
            .insert(again, Some(FIRST_COME_3))
            .await
            .expect("stored"),
    );
    assert_eq!((again.status, again.position), (Status::Waiting, Some(3)));
}

pub async fn a_burst_never_oversells<S: Store + 'static>(store: S) {
    let store = Arc::new(store);
    let capacity = Admission::FirstCome { capacity: Some(60) };
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let (new, _, _) = person("burst", &format!("p{}@example.pl", i % 150), false);
                store.insert(new, Some(capacity)).await
            })
        })
        .collect();
    let mut references = HashSet::new();
    for task in tasks {
        let registration = match task.await.expect("the task ran").expect("stored") {
            Inserted::New(r) | Inserted::Existing(r) => r,
        };
        references.insert(registration.reference);
    }
    assert_eq!(references.len(), 150, "one registration per person");
    let all = store.list("burst", now()).await.expect("listed");
    assert_eq!(all.len(), 150);
    let registered = all
        .iter()
        .filter(|r| r.status == Status::Registered)
        .count();
    assert_eq!(registered, 60, "exactly the capacity");
    let mut positions: Vec<u64> = all.iter().filter_map(|r| r.position).collect();
    positions.sort_unstable();
    assert_eq!(
        positions,
        (1..=90).collect::<Vec<u64>>(),
        "an unbroken waiting list"
    );
}

pub async fn a_lottery_records_its_draw_and_promotes_from_the_reserve<S: Store>(store: S) {
    let mut people = Vec::new();
    for i in 0..4 {
        let (new, _, withdraw) = person("losowanie", &format!("l{i}@example.pl"), false);
        let registration = inserted(
            store
                .insert(new, Some(Admission::Lottery))
                .await
                .expect("stored"),
        );
        assert_eq!(registration.status, Status::Applied);
        people.push((registration.reference, withdraw));
    }
    assert_eq!(
        store
            .counts("losowanie", now())
            .await
            .expect("counts")
            .applied,
        4
    );
    let selected = vec![people[2].0.clone(), people[0].0.clone()];
    let reserve = vec![people[3].0.clone(), people[1].0.clone()];
    let recorded = store
        .record_draw("losowanie", &draw_of("seed", 2, selected, reserve, now()))
        .await
        .expect("recorded");
    assert!(matches!(recorded, DrawRecorded::Done(_)), "{recorded:?}");
    let status = |reference: &str| {
        let reference = reference.to_owned();
        let store = &store;
        async move {
            store
                .find("losowanie", &reference, now())
                .await
                .expect("read")
                .expect("found")
        }
    };
    assert_eq!(status(&people[2].0).await.status, Status::Selected);
    assert_eq!(
        (
            status(&people[3].0).await.status,
            status(&people[3].0).await.position
        ),
        (Status::Reserve, Some(1))
    );
    let withdrawn = store
        .withdraw("losowanie", &token_hash(&people[0].1), now())
        .await
        .expect("answered")
        .expect("withdrawn");
    assert_eq!(
        withdrawn.promoted.map(|p| p.reference),
        Some(people[3].0.clone()),
        "the first reserve moves up"
    );
}

/// A draw of `places` with `seed` over one list; stores keep what they are
/// given and need not know how it was drawn.
fn draw_of(
    seed: &str,
    places: u64,
    winners: Vec<String>,
    reserve: Vec<String>,
    at: DateTime<Utc>,
) -> DrawRecord {
    DrawRecord {
        seed: seed.to_owned(),
        list_sha256: "a".repeat(64),
        places,
        winners,
        reserve,
        drawn_at: at,
    }
}

async fn applicants<S: Store>(store: &S, form: &str, count: usize) -> Vec<(String, String)> {
    let mut people = Vec::new();
    for i in 0..count {
        let (new, _, withdraw) = person(form, &format!("a{i}@example.pl"), false);
        let registration = inserted(
            store
                .insert(new, Some(Admission::Lottery))
                .await
                .expect("stored"),
        );
        people.push((registration.reference, withdraw));
    }
    people
}

async fn state<S: Store>(store: &S, form: &str, reference: &str) -> (Status, Option<u64>) {
    let found = store
        .find(form, reference, now())
        .await
        .expect("read")
        .expect("found");
    (found.status, found.position)
}

pub async fn a_second_draw_is_refused_and_places_never_exceed_capacity<S: Store>(store: S) {
    let people = applicants(&store, "losowanie", 5).await;
    let r: Vec<String> = people.iter().map(|(r, _)| r.clone()).collect();
    let first = draw_of(
        "first",
        2,
        vec![r[0].clone(), r[1].clone()],
        vec![r[2].clone(), r[3].clone(), r[4].clone()],
        now(),
    );
    assert_eq!(
        store
            .record_draw("losowanie", &first)
            .await
            .expect("recorded"),
        DrawRecorded::Done(first.clone())
    );
    // Another seed (or another list, or another number of places) is
    // another draw: refused, naming the first, and nobody changes.
    let later = now() + Duration::hours(1);
    let mut others = vec![draw_of(
        "second",
        2,
        vec![r[3].clone(), r[4].clone()],
        vec![r[0].clone(), r[1].clone(), r[2].clone()],
        later,
    )];
    let mut other_list = first.clone();
    other_list.list_sha256 = "f".repeat(64);
    others.push(other_list);
    others.push(draw_of(
        "first",
        4,
        r[..4].to_vec(),
        vec![r[4].clone()],
        later,
    ));
    for other in others {
        assert_eq!(
            store
                .record_draw("losowanie", &other)
                .await
                .expect("answered"),
            DrawRecorded::Refused(first.clone()),
            "{other:?}"
        );
    }
    let counts = store.counts("losowanie", now()).await.expect("counts");
    assert_eq!((counts.taken, counts.waiting, counts.applied), (2, 3, 0));
    assert_eq!(
        state(&store, "losowanie", &r[3]).await,
        (Status::Reserve, Some(2))
    );
    assert_eq!(
        store.draw_record("losowanie").await.expect("read"),
        Some(first)
    );
    assert_eq!(store.draw_record("inny").await.expect("read"), None);
}

pub async fn the_same_draw_run_again_finishes_it<S: Store>(store: S) {
    let people = applicants(&store, "losowanie", 4).await;
    let mut r: Vec<String> = people.iter().map(|(r, _)| r.clone()).collect();
    // One winner is not yet `Applied` when the draw is first recorded:
    // the state a draw stopped half-way leaves (some people changed,
    // some not), which running it again must finish.
    let (late, confirm, late_withdraw) = person("losowanie", "late@example.pl", true);
    inserted(store.insert(late.clone(), None).await.expect("stored"));
    r.push(late.reference.clone());
    let draw = draw_of(
        "seed",
        2,
        vec![r[2].clone(), r[4].clone()],
        vec![r[0].clone(), r[3].clone(), r[1].clone()],
        now(),
    );
    store
        .record_draw("losowanie", &draw)
        .await
        .expect("recorded");
    assert_eq!(
        state(&store, "losowanie", &r[4]).await,
        (Status::Pending, None)
    );
    store
        .confirm(
            "losowanie",
            &token_hash(&confirm),
            Admission::Lottery,
            now(),
        )
        .await
        .expect("answered")
        .expect("confirmed");

    let mut again = draw.clone();
    again.drawn_at = now() + Duration::hours(2);
    for _ in 0..2 {
        assert_eq!(
            store
                .record_draw("losowanie", &again)
                .await
                .expect("recorded"),
            DrawRecorded::Done(draw.clone()),
            "the first run's record, with its time"
        );
    }
    assert_eq!(
        state(&store, "losowanie", &r[4]).await,
        (Status::Selected, None)
    );
    let counts = store.counts("losowanie", now()).await.expect("counts");
    assert_eq!((counts.taken, counts.waiting, counts.applied), (2, 3, 0));
    for (position, reference) in (1u64..).zip(&draw.reserve) {
        assert_eq!(
            state(&store, "losowanie", reference).await,
            (Status::Reserve, Some(position))
        );
    }
    // The reserve list was not laid twice: withdrawals promote its
    // people once each, in order.
    let withdraw = |token: String| {
        let store = &store;
        async move {
            store
                .withdraw("losowanie", &token_hash(&token), now())
                .await
                .expect("answered")
                .expect("withdrawn")
                .promoted
                .map(|p| p.reference)
        }
    };
    assert_eq!(withdraw(late_withdraw).await, Some(r[0].clone()));
    assert_eq!(withdraw(people[2].1.clone()).await, Some(r[3].clone()));
    let counts = store.counts("losowanie", now()).await.expect("counts");
    assert_eq!((counts.taken, counts.waiting), (2, 1));
}

pub async fn expired_data_is_not_listed_and_is_purged<S: Store>(store: S) {
    let (mut old, _, _) = person("stary", "old@example.pl", false);
    old.expires_at = now() - Duration::days(1);
    let (fresh, _, _) = person("stary", "fresh@example.pl", false);
    store
        .insert(old.clone(), Some(FIRST_COME_3))
        .await
        .expect("stored");
    store
        .insert(fresh, Some(FIRST_COME_3))
        .await
        .expect("stored");
    let listed = store.list("stary", now()).await.expect("listed");
    assert_eq!(
        listed.len(),
        1,
        "an expired record is not shown even before purging"
    );
    assert!(store
        .find("stary", &old.reference, now())
        .await
        .expect("read")
        .is_none());
    assert_eq!(
        store.counts("stary", now()).await.expect("counts").taken,
        1,
        "nor counted"
    );
    // The public status shows the places the admissions count: the
    // expired one is held until the purge hands it on.
    assert_eq!(store.places_taken("stary").await.expect("read"), 2);
    assert_eq!(store.purge_expired(now()).await.expect("purged"), 1);
    assert_eq!(store.places_taken("stary").await.expect("read"), 1);
    assert_eq!(store.places_taken("nothing-here").await.expect("read"), 0);
    assert!(store
        .find("stary", &old.reference, now())
        .await
        .expect("read")
        .is_none());
}

pub async fn an_expired_registration_does_not_block_the_same_person<S: Store>(store: S) {
    let (old, _) = aged("stary", "anna@example.pl", 400, -1);
    let old = inserted(store.insert(old, Some(FIRST_COME_3)).await.expect("stored"));
    let (again, _) = aged("stary", "anna@example.pl", 0, 365);
    let again = inserted(
        store
            .insert(again, Some(FIRST_COME_3))
            .await
            .expect("the expired registration does not block a new one"),
    );
    assert_eq!(again.status, Status::Registered);
    assert_ne!(again.reference, old.reference);
    let counts = store.counts("stary", now()).await.expect("counts");
    assert_eq!(
        (counts.taken, counts.waiting),
        (1, 0),
        "only the new one counts"
    );
    assert_eq!(store.purge_expired(now()).await.expect("purged"), 1);
    // The purge of the old one left the new one's uniqueness alone.
    let (third, _) = aged("stary", "anna@example.pl", 0, 365);
    match store
        .insert(third, Some(FIRST_COME_3))
        .await
        .expect("answered")
    {
        Inserted::Existing(existing) => assert_eq!(existing.reference, again.reference),
        Inserted::New(new) => panic!("duplicate stored: {new:?}"),
    }
}

pub async fn an_expired_waiting_person_is_never_promoted<S: Store>(store: S) {
    let one_place = Admission::FirstCome { capacity: Some(1) };
    let (holder, withdraw) = aged("kolejka", "holder@example.pl", 10, 365);
    let (expired, _) = aged("kolejka", "expired@example.pl", 10, -1);
    let (next, _) = aged("kolejka", "next@example.pl", 10, 365);
    let mut stored = Vec::new();
    for new in [holder, expired, next] {
        stored.push(inserted(
            store.insert(new, Some(one_place)).await.expect("stored"),
        ));
    }
    assert_eq!(
        (stored[1].status, stored[1].position),
        (Status::Waiting, Some(1))
    );
    let counts = store.counts("kolejka", now()).await.expect("counts");
    assert_eq!(
        (counts.taken, counts.waiting),
        (1, 1),
        "the expired one is not counted"
    );
    let withdrawn = store
        .withdraw("kolejka", &token_hash(&withdraw), now())
        .await
        .expect("answered")
        .expect("withdrawn");
    assert_eq!(
        withdrawn.promoted.map(|p| p.reference),
        Some(stored[2].reference.clone()),
        "the expired first in line is passed over"
    );
    assert!(store
        .find("kolejka", &stored[1].reference, now())
        .await
        .expect("read")
        .is_none());
    let counts = store.counts("kolejka", now()).await.expect("counts");
    assert_eq!((counts.taken, counts.waiting), (1, 0));
}

pub async fn the_purge_hands_freed_places_to_the_waiting_list_in_order<S: Store>(store: S) {
    let two_places = Admission::FirstCome { capacity: Some(2) };
    // Two places whose retention ended, and a line where the second
    // person's ended too.
    let people = [
        aged("kolejka", "r1@example.pl", 10, -1),
        aged("kolejka", "r2@example.pl", 10, -1),
        aged("kolejka", "w1@example.pl", 10, 365),
        aged("kolejka", "w2@example.pl", 10, -1),
        aged("kolejka", "w3@example.pl", 10, 365),
        aged("kolejka", "w4@example.pl", 10, 365),
    ];
    let mut stored = Vec::new();
    for (new, _) in &people {
        stored.push(inserted(
            store
                .insert(new.clone(), Some(two_places))
                .await
                .expect("stored"),
        ));
    }
    let positions: Vec<Option<u64>> = stored.iter().map(|r| r.position).collect();
    assert_eq!(positions, [None, None, Some(1), Some(2), Some(3), Some(4)]);
    // Before the purge the expired still hold their places: a newcomer
    // must not take one ahead of those waiting.
    let (newcomer, _) = aged("kolejka", "new@example.pl", 0, 365);
    let newcomer = inserted(
        store
            .insert(newcomer, Some(two_places))
            .await
            .expect("stored"),
    );
    assert_eq!(
        (newcomer.status, newcomer.position),
        (Status::Waiting, Some(5))
    );
    assert_eq!(store.purge_expired(now()).await.expect("purged"), 3);
    let status = |i: usize| {
        let reference = stored[i].reference.clone();
        let store = &store;
        async move {
            store
                .find("kolejka", &reference, now())
                .await
                .expect("read")
                .map(|r| (r.status, r.position))
        }
    };
    assert_eq!(status(2).await, Some((Status::Registered, None)));
    assert_eq!(
        status(3).await,
        None,
        "the expired in line is erased, not promoted"
    );
    assert_eq!(status(4).await, Some((Status::Registered, None)));
    assert_eq!(status(5).await, Some((Status::Waiting, Some(4))));
    let counts = store.counts("kolejka", now()).await.expect("counts");
    assert_eq!((counts.taken, counts.waiting), (2, 2));
    // The places are exact afterwards: the next freed one goes on in order.
    let withdrawn = store
        .withdraw("kolejka", &token_hash(&people[2].1), now())
        .await
        .expect("answered")
        .expect("withdrawn");
    assert_eq!(
        withdrawn.promoted.map(|p| p.reference),
        Some(stored[5].reference.clone())
    );
}

pub async fn spam_is_kept_for_review_but_never_counted<S: Store>(store: S) {
    let (mut spam, _, _) = person("ambasadorzy", "anna@example.pl", false);
    spam.spam = Some("honeypot".to_owned());
    let stored = inserted(
        store
            .insert(spam, Some(FIRST_COME_3))
            .await
            .expect("stored"),
    );
    assert_eq!(stored.status, Status::Spam);
    assert_eq!(
        store
            .counts("ambasadorzy", now())
            .await
            .expect("counts")
            .taken,
        0
    );
    let (real, _, _) = person("ambasadorzy", "anna@example.pl", false);
    let real = inserted(
        store
            .insert(real, Some(FIRST_COME_3))
            .await
            .expect("the real person is not blocked"),
    );
    assert_eq!(real.status, Status::Registered);
}

pub async fn requests_over_the_limit_are_refused<S: Store>(store: S) {
    let window = now();
    for _ in 0..3 {
        assert!(store
            .allow_request("client-a", window, 3)
            .await
            .expect("counted"));
    }
    assert!(!store
        .allow_request("client-a", window, 3)
        .await
        .expect("counted"));
    assert!(
        store
            .allow_request("client-b", window, 3)
            .await
            .expect("counted"),
        "limits are per client"
    );
    assert!(
        store
            .allow_request("client-a", window + Duration::minutes(1), 3)
            .await
            .expect("counted"),
        "a new window"
    );
}

/// One mailbox written in several ways is one registration; what is not
/// one bare address is refused, never stored.
pub async fn one_mailbox_is_one_registration_however_it_is_written<S: Store>(store: S) {
    let forms = agora_test_support::krakow::as_written();
    let (service, _outbox) = fixture::service(forms, store, 1000);
    let form = service.form("ambasadorzy").expect("the ambassadors' form");
    let long_ago = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid time");
    let stamp = service.fill_stamp(&form, long_ago);
    let mut client = 0;
    let mut submit = |email: &str| {
        client += 1;
        let submission = Submission::from_pairs([
            ("full_name", "Jan Kowalski"),
            ("email", email),
            ("district", "XIII"),
            ("area", "Osiedle Kabel"),
            ("processing", "on"),
            ("website", ""),
            ("started_at", &stamp),
        ]);
        let client = Client {
            address: format!("client-{client}"),
        };
        let (service, form) = (&service, &form);
        async move {
            service
                .submit(form, &submission, &client, now())
                .await
                .expect("answered")
        }
    };
    for typed in [
        "jan.kowalski@example.pl",
        "Jan.Kowalski@Example.PL",
        " JAN.KOWALSKI@EXAMPLE.PL ",
        "ola@kraków.pl",
        "OLA@xn--krakw-3ta.pl",
    ] {
        let outcome = submit(typed).await;
        assert!(
            matches!(outcome, Submitted::Accepted { .. }),
            "{typed}: {outcome:?}"
        );
    }
    for typed in [
        "Ktokolwiek <jan.kowalski@example.pl>",
        "Jan <jan.kowalski@example.pl>",
        "\"jan.kowalski\"@example.pl",
        "\"a@b\"@example.pl",
        "a, evil@example.com <x@example.pl>",
        "Ktoś <script> <x@example.pl>",
        "jan.kowalski@example.pl\r\nBcc: x@example.com",
    ] {
        match submit(typed).await {
            Submitted::Invalid(errors) => assert!(
                errors.iter().any(|e| e.field == "email"),
                "{typed}: {errors:?}"
            ),
            other => panic!("{typed} was not refused: {other:?}"),
        }
    }
    let mut stored: Vec<String> = service
        .store()
        .list("ambasadorzy", now())
        .await
        .expect("listed")
        .into_iter()
        .map(|r| r.values.get("email").cloned().unwrap_or_default())
        .collect();
    stored.sort();
    assert_eq!(
        stored,
        ["jan.kowalski@example.pl", "ola@xn--krakw-3ta.pl"],
        "one registration per mailbox, each in canonical form"
    );
}

pub async fn what_ses_reports_marks_the_registration<S: Store>(store: S) {
    let (new, _, _) = person("ambasadorzy", "anna@example.pl", false);
    let anna = inserted(store.insert(new, Some(FIRST_COME_3)).await.expect("stored"));
    assert_eq!(anna.mail_problem, None);
    let mark = |reference: String, problem| {
        let store = &store;
        async move {
            store
                .mark_mail_problem("ambasadorzy", &reference, problem)
                .await
                .expect("answered")
        }
    };
    assert!(mark(anna.reference.clone(), MailProblem::Bounced).await);
    let found = |reference: String| {
        let store = &store;
        async move {
            store
                .find("ambasadorzy", &reference, now())
                .await
                .expect("read")
                .expect("found")
        }
    };
    assert_eq!(
        found(anna.reference.clone()).await.mail_problem,
        Some(MailProblem::Bounced)
    );
    // A complaint outweighs a bounce, and stays.
    assert!(mark(anna.reference.clone(), MailProblem::Complained).await);
    assert!(!mark(anna.reference.clone(), MailProblem::Bounced).await);
    let marked = found(anna.reference.clone()).await;
    assert_eq!(marked.mail_problem, Some(MailProblem::Complained));
    assert_eq!(marked.status, Status::Registered, "nothing else changed");
    assert_eq!(
        store.list("ambasadorzy", now()).await.expect("listed")[0].mail_problem,
        Some(MailProblem::Complained)
    );
    // Nothing to mark: an unknown reference, spam, a withdrawal.
    assert!(!mark("AAAA-AAAA".to_owned(), MailProblem::Bounced).await);
    let (mut spam, _, _) = person("ambasadorzy", "bot@example.pl", false);
    spam.spam = Some("too fast".to_owned());
    let spam = inserted(store.insert(spam, None).await.expect("stored"));
    assert!(!mark(spam.reference, MailProblem::Bounced).await);
    let (bartek, _, bartek_withdraw) = person("ambasadorzy", "bartek@example.pl", false);
    let bartek = inserted(
        store
            .insert(bartek, Some(FIRST_COME_3))
            .await
            .expect("stored"),
    );
    store
        .withdraw("ambasadorzy", &token_hash(&bartek_withdraw), now())
        .await
        .expect("withdrawn")
        .expect("found");
    assert!(!mark(bartek.reference, MailProblem::Bounced).await);
}

agora_test_support::on_every_store!(
    a_registration_is_stored_and_found,
    the_same_person_twice_creates_no_duplicate,
    a_pending_registration_counts_once_confirmed,
    renewed_links_replace_the_old_ones,
    a_full_form_keeps_a_waiting_list_and_promotes_on_withdrawal,
    a_burst_never_oversells,
    a_lottery_records_its_draw_and_promotes_from_the_reserve,
    a_second_draw_is_refused_and_places_never_exceed_capacity,
    the_same_draw_run_again_finishes_it,
    expired_data_is_not_listed_and_is_purged,
    an_expired_registration_does_not_block_the_same_person,
    an_expired_waiting_person_is_never_promoted,
    the_purge_hands_freed_places_to_the_waiting_list_in_order,
    spam_is_kept_for_review_but_never_counted,
    one_mailbox_is_one_registration_however_it_is_written,
    what_ses_reports_marks_the_registration,
    requests_over_the_limit_are_refused,
);
