//! The mark that a form's public list may be out of date
//! (`StaffRecords::set_list_outdated`), on every store: set before the
//! list is published and cleared after, so a publishing that failed
//! leaves it; it keeps the moment it was first set, and each form's mark
//! is its own. SQLite (in memory) and DynamoDB Local, never a fake.

use agora_core::panel::StaffRecords;
use chrono::{DateTime, TimeZone, Utc};

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0)
        .single()
        .expect("a valid time")
}

pub async fn the_mark_keeps_its_first_moment_until_cleared<S: StaffRecords>(store: S) {
    assert_eq!(
        store.list_outdated("ambasadorzy").await.expect("read"),
        None
    );
    store
        .set_list_outdated("ambasadorzy", None)
        .await
        .expect("clearing no mark is fine");
    store
        .set_list_outdated("ambasadorzy", Some(at(9)))
        .await
        .expect("marked");
    store
        .set_list_outdated("ambasadorzy", Some(at(11)))
        .await
        .expect("marked again");
    assert_eq!(
        store.list_outdated("ambasadorzy").await.expect("read"),
        Some(at(9)),
        "out of date since the first failure"
    );
    assert_eq!(store.list_outdated("warsztaty").await.expect("read"), None);

    store
        .set_list_outdated("ambasadorzy", None)
        .await
        .expect("cleared");
    assert_eq!(
        store.list_outdated("ambasadorzy").await.expect("read"),
        None
    );
    store
        .set_list_outdated("ambasadorzy", Some(at(12)))
        .await
        .expect("marked anew");
    assert_eq!(
        store.list_outdated("ambasadorzy").await.expect("read"),
        Some(at(12))
    );
}

agora_test_support::on_every_store!(the_mark_keeps_its_first_moment_until_cleared);
