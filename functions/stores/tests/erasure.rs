//! Erasure reaches the files. After a withdrawal or a purge, no byte of
//! any file in the embedded store's folder (the database, its write-ahead
//! log, the shared-memory index, whatever else SQLite keeps there) holds
//! the erased person's address, as typed or as the unique key keeps it;
//! the address of a person who stays is still found, so the search works.
//! SQLite only: DynamoDB keeps no files of ours.

use std::collections::BTreeMap;
use std::path::Path;

use agora_core::registration::{
    new_reference, new_token, token_hash, Admission, ConsentRecord, NewRegistration,
};
use agora_core::store::Store;
use agora_stores::sqlite::SqliteStore;
use chrono::{DateTime, Duration, TimeZone, Utc};

const FORM: &str = "ambasadorzy";
/// The person who is erased, as typed (the unique key is in lower case).
const ERASED: &str = "Zofia.Wymazana@Example.PL";
const ERASED_NAME: &str = "Zofia Wymazana";
/// A person who stays.
const STAYING: &str = "Jan.Zostaje@Example.PL";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 5, 12, 0, 0)
        .single()
        .expect("a valid time")
}

/// A registration of `email` kept until `expires_at`, and its withdrawal
/// token.
fn person(email: &str, name: &str, expires_at: DateTime<Utc>) -> (NewRegistration, String) {
    let withdraw = new_token().expect("randomness");
    let new = NewRegistration {
        form_id: FORM.to_owned(),
        reference: new_reference().expect("randomness"),
        unique_key: email.to_lowercase(),
        values: BTreeMap::from([
            ("email".to_owned(), email.to_owned()),
            ("full_name".to_owned(), name.to_owned()),
            ("area".to_owned(), "Osiedle Kabel".to_owned()),
        ]),
        consents: vec![ConsentRecord {
            name: "processing".to_owned(),
            version: "2020-02-19".to_owned(),
            given_at: now(),
        }],
        confirm_token_hash: None,
        withdraw_token_hash: token_hash(&withdraw),
        spam: None,
        created_at: now(),
        expires_at,
    };
    (new, withdraw)
}

async fn register(store: &SqliteStore, new: NewRegistration) {
    store
        .insert(new, Some(Admission::FirstCome { capacity: Some(20) }))
        .await
        .expect("stored");
}

/// The erased person among many others (so that the write-ahead log
/// holds many versions of their page), with their links renewed a few
/// times (more copies); returns their withdrawal token.
async fn crowd_with(store: &SqliteStore, erased: NewRegistration) -> String {
    let (reference, mut withdraw) = (erased.reference.clone(), String::new());
    register(store, erased).await;
    let (staying, _) = person(STAYING, "Jan Zostaje", now() + Duration::days(365));
    register(store, staying).await;
    for i in 0..40 {
        let (other, _) = person(
            &format!("osoba{i}@example.pl"),
            "Osoba",
            now() + Duration::days(365),
        );
        register(store, other).await;
        if i % 10 == 0 {
            withdraw = new_token().expect("randomness");
            store
                .renew_tokens(FORM, &reference, "unused", &token_hash(&withdraw))
                .await
                .expect("renewed")
                .expect("still there");
        }
    }
    withdraw
}

/// The names of the files under `dir` (at any depth) whose bytes hold
/// `text`.
fn files_holding(dir: &Path, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the store's folder is readable") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            found.extend(files_holding(&path, text));
            continue;
        }
        let bytes = std::fs::read(&path).expect("a file of the store is readable");
        if bytes
            .windows(text.len())
            .any(|window| window == text.as_bytes())
        {
            found.push(path.display().to_string());
        }
    }
    found
}

/// Nothing of the erased person in any file; the staying person is there.
fn assert_erased(dir: &Path, when: &str) {
    for gone in [ERASED, &ERASED.to_lowercase(), ERASED_NAME] {
        let holding = files_holding(dir, gone);
        assert!(
            holding.is_empty(),
            "{when}: `{gone}` is still in {holding:?}"
        );
    }
    for kept in [STAYING, &STAYING.to_lowercase()] {
        assert!(
            !files_holding(dir, kept).is_empty(),
            "{when}: `{kept}` should still be stored"
        );
    }
}

fn assert_stored(dir: &Path, when: &str) {
    for text in [ERASED, &ERASED.to_lowercase()] {
        assert!(
            !files_holding(dir, text).is_empty(),
            "{when}: `{text}` should be stored"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_address_is_in_no_file_of_the_store() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = SqliteStore::open(&dir.path().join("agora.sqlite3")).expect("opened");
    let (erased, _) = person(ERASED, ERASED_NAME, now() + Duration::days(365));
    let withdraw = crowd_with(&store, erased).await;
    assert_stored(dir.path(), "before the withdrawal");

    store
        .withdraw(FORM, &token_hash(&withdraw), now())
        .await
        .expect("answered")
        .expect("withdrawn");
    assert_erased(dir.path(), "after the withdrawal, the store still open");
    drop(store);
    assert_erased(dir.path(), "after the store is closed");

    let reopened = SqliteStore::open(&dir.path().join("agora.sqlite3")).expect("reopened");
    let listed = reopened.list(FORM, now()).await.expect("listed");
    assert!(listed
        .iter()
        .any(|r| r.values.get("email").map(String::as_str) == Some(STAYING)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_erases_expired_registrations_from_every_file() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = SqliteStore::open(&dir.path().join("agora.sqlite3")).expect("opened");
    let (expired, _) = person(ERASED, ERASED_NAME, now() + Duration::days(1));
    crowd_with(&store, expired).await;
    assert_stored(dir.path(), "before the purge");

    let erased = store
        .purge_expired(now() + Duration::days(2))
        .await
        .expect("purged");
    assert_eq!(erased, 1);
    assert_erased(dir.path(), "after the purge, the store still open");
    drop(store);
    assert_erased(dir.path(), "after the store is closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_a_reader_held_up_is_done_after_a_later_write() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("agora.sqlite3");
    let store = SqliteStore::open(&path).expect("opened");
    let (erased, _) = person(ERASED, ERASED_NAME, now() + Duration::days(365));
    let withdraw = crowd_with(&store, erased).await;

    // Another program (a staff command, a backup) in the middle of a read
    // keeps the log's older pages in use.
    let reader = rusqlite::Connection::open(&path).expect("a second connection");
    reader.execute_batch("BEGIN").expect("a read transaction");
    let _: i64 = reader
        .query_row("SELECT COUNT(*) FROM registrations", [], |row| row.get(0))
        .expect("read");
    store
        .withdraw(FORM, &token_hash(&withdraw), now())
        .await
        .expect("answered")
        .expect("withdrawn");
    assert_stored(dir.path(), "while the reader holds the old pages");

    reader.execute_batch("COMMIT").expect("the read ends");
    // The owed checkpoint is tried again after the next transaction, no
    // sooner than a second after the last try.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (newcomer, _) = person("nowa@example.pl", "Nowa", now() + Duration::days(365));
    register(&store, newcomer).await;
    assert_erased(dir.path(), "after a later write, the store still open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_written_before_secure_delete_is_scrubbed_when_opened() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("agora.sqlite3");
    {
        // As older versions of Agora left it: deleted rows in free space.
        let old = rusqlite::Connection::open(&path).expect("an old store");
        old.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA secure_delete = OFF;
             CREATE TABLE old_rows (value TEXT);",
        )
        .expect("an old table");
        for text in [
            ERASED,
            &ERASED.to_lowercase(),
            STAYING,
            &STAYING.to_lowercase(),
        ] {
            old.execute("INSERT INTO old_rows (value) VALUES (?1)", [text])
                .expect("a row");
        }
        old.execute(
            "DELETE FROM old_rows WHERE lower(value) = lower(?1)",
            [ERASED],
        )
        .expect("deleted");
    }
    assert_stored(dir.path(), "in the old store's free space");

    let store = SqliteStore::open(&path).expect("opened");
    assert_erased(dir.path(), "once opened");
    drop(store);
    assert_erased(dir.path(), "after the store is closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_store_empties_its_log_while_another_program_has_it_open() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("agora.sqlite3");
    let wal = dir.path().join("agora.sqlite3-wal");
    let log_size = || std::fs::metadata(&wal).map_or(0, |m| m.len());
    // SQLite's own close empties the log only as the file's last
    // connection; a staff command may have it open too.
    let store = SqliteStore::open(&path).expect("opened");
    let other = rusqlite::Connection::open(&path).expect("another connection");
    let _: i64 = other
        .query_row("SELECT COUNT(*) FROM registrations", [], |row| row.get(0))
        .expect("read");
    let (new, _) = person(STAYING, "Jan Zostaje", now() + Duration::days(365));
    register(&store, new).await;
    assert!(log_size() > 0, "the write is in the log");

    assert!(store.checkpoint().await.expect("checkpointed"));
    assert_eq!(log_size(), 0, "an explicit close empties the log");
    let (new, _) = person("nowa@example.pl", "Nowa", now() + Duration::days(365));
    register(&store, new).await;
    assert!(log_size() > 0, "the write is in the log");
    drop(store);
    assert_eq!(log_size(), 0, "dropping the store empties the log");
    drop(other);
}
