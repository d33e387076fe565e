//! The embedded store: one SQLite file, for `agora serve` on one machine.
//! Every change is one `IMMEDIATE` transaction, so SQLite's single writer
//! keeps uniqueness and capacity exact. Expired rows stay until purged,
//! so every read asks for `expires_at > now`.
//!
//! Erasure holds for the files, not only for reads. SQLite keeps old
//! versions of a page in two places: the free space of the database file
//! and the write-ahead log (`-wal`), which keeps every page ever written
//! until a checkpoint truncates it. So every connection overwrites what it
//! deletes with zeros (`secure_delete`), and after a withdrawal or a purge
//! erased something the log is checkpointed and truncated to zero bytes.
//! A checkpoint that readers of an older snapshot keep from finishing
//! stays owed and is tried again after later transactions (at most once a
//! second), when the store is closed, and when it is opened next.

mod ideas;
mod panel;
mod records;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};

use agora_core::registration::{Admission, MailProblem, NewRegistration, Registration, Status};
use agora_core::store::{decode_time as parse_time, encode_time as time};
use agora_core::store::{Counts, DrawRecord, DrawRecorded, Inserted, Store, StoreError, Withdrawn};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS registrations (
    form_id TEXT NOT NULL,
    reference TEXT NOT NULL,
    unique_key TEXT NOT NULL,
    status TEXT NOT NULL,
    position INTEGER,
    field_values TEXT NOT NULL,
    consents TEXT NOT NULL,
    spam TEXT,
    confirm_token_hash TEXT,
    withdraw_token_hash TEXT,
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    expires_at TEXT NOT NULL,
    mail_problem TEXT,
    PRIMARY KEY (form_id, reference)
);
CREATE UNIQUE INDEX IF NOT EXISTS registrations_unique_key ON registrations (form_id, unique_key);
CREATE INDEX IF NOT EXISTS registrations_confirm ON registrations (form_id, confirm_token_hash);
CREATE INDEX IF NOT EXISTS registrations_withdraw ON registrations (form_id, withdraw_token_hash);
CREATE INDEX IF NOT EXISTS registrations_expiry ON registrations (expires_at);
-- Places taken, the first and last in line: read on every admission, so
-- an index range, not a scan of the form's registrations.
CREATE INDEX IF NOT EXISTS registrations_status ON registrations (form_id, status, position);
CREATE TABLE IF NOT EXISTS request_counts (
    key TEXT NOT NULL,
    window_start TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);
-- One draw per form: the primary key makes a second one impossible.
CREATE TABLE IF NOT EXISTS draws (
    form_id TEXT NOT NULL PRIMARY KEY,
    seed TEXT NOT NULL,
    list_sha256 TEXT NOT NULL,
    places INTEGER NOT NULL,
    winners TEXT NOT NULL,
    reserve TEXT NOT NULL,
    drawn_at TEXT NOT NULL
);
";

const COLUMNS: &str =
    "form_id, reference, status, position, field_values, consents, spam, created_at, confirmed_at, expires_at, mail_problem";

/// How long a transaction waits for another connection's lock (another
/// process on the same file) before the store reports itself unavailable.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a checkpoint after a transaction waits for readers of an older
/// snapshot: the connection is held meanwhile, and every request with it.
const CHECKPOINT_PATIENCE: Duration = Duration::from_millis(50);
/// An owed checkpoint is tried again after transactions, but no more often
/// than this: under a burst of writes beside a long reader, every failed
/// try would cost a partial checkpoint and the patience above.
const CHECKPOINT_RETRY: Duration = Duration::from_secs(1);
/// On closing, nothing else waits for the connection.
const CLOSING_PATIENCE: Duration = Duration::from_secs(5);
/// `user_version` of a file whose free space holds no data erased before
/// `secure_delete` was on (stores written by older versions of Agora are
/// rewritten once, with `VACUUM`, when opened).
const SCRUBBED_VERSION: i64 = 1;

#[derive(Clone)]
pub struct SqliteStore {
    db: Arc<Mutex<Db>>,
}

/// The store's one connection, and what its write-ahead log owes.
struct Db {
    connection: Connection,
    /// The file is in WAL mode (a store in memory has no log).
    wal: bool,
    /// Erased data may still be in the log: a checkpoint is owed, to be
    /// tried after the first transaction from this moment on.
    checkpoint_owed: Option<Instant>,
}

impl Db {
    /// After a committed transaction: empties the log when `erased`, or
    /// when an earlier checkpoint is owed and due again.
    fn settle(&mut self, erased: bool) {
        if !self.wal {
            return;
        }
        let now = Instant::now();
        if erased {
            self.checkpoint_owed = Some(now);
        }
        if self.checkpoint_owed.is_some_and(|due| due <= now) {
            self.checkpoint_owed = (!checkpoint(&self.connection, CHECKPOINT_PATIENCE))
                .then(|| now + CHECKPOINT_RETRY);
        }
    }
}

impl Drop for Db {
    /// SQLite's own close checkpoints only when no other process has the
    /// file open; this one also does, unless that process is reading.
    fn drop(&mut self) {
        if self.wal {
            checkpoint(&self.connection, CLOSING_PATIENCE);
        }
    }
}

/// Copies the write-ahead log into the database file and truncates it to
/// zero bytes, waiting up to `patience` for readers of older snapshots;
/// true when it finished (false: some of the log is still there).
fn checkpoint(connection: &Connection, patience: Duration) -> bool {
    if connection.busy_timeout(patience).is_err() {
        return false;
    }
    // The first column says whether readers or a writer kept the
    // checkpoint from finishing.
    let done = connection
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
            row.get::<_, i64>(0)
        })
        .is_ok_and(|busy| busy == 0);
    // Setting a timeout cannot fail (SQLite's function always succeeds);
    // were it to, the connection would only give up sooner.
    let _ = connection.busy_timeout(BUSY_TIMEOUT);
    done
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

fn unavailable(error: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

fn lock(db: &Mutex<Db>) -> Result<std::sync::MutexGuard<'_, Db>, StoreError> {
    db.lock()
        .map_err(|_| StoreError::Unavailable("the store's lock is poisoned".to_owned()))
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(unavailable)?;
        }
        let connection = Connection::open(path).map_err(unavailable)?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(unavailable)?;
        let store = Self::with(connection, true)?;
        {
            let mut db = lock(&store.db)?;
            scrub_once(&db.connection)?;
            // A log a crashed or still-running process left is emptied
            // now, or owed.
            db.settle(true);
        }
        Ok(store)
    }

    /// A store that lives in memory, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::with(Connection::open_in_memory().map_err(unavailable)?, false)
    }

    fn with(connection: Connection, wal: bool) -> Result<Self, StoreError> {
        connection.busy_timeout(BUSY_TIMEOUT).map_err(unavailable)?;
        // Deleted rows, index entries and freed pages are overwritten with
        // zeros rather than left in free space: an erasure erases the bytes.
        let secure: i64 = connection
            .pragma_update_and_check(None, "secure_delete", "ON", |row| row.get(0))
            .map_err(unavailable)?;
        if secure != 1 {
            return Err(StoreError::Unavailable(
                "SQLite refused to overwrite deleted data (secure_delete)".to_owned(),
            ));
        }
        // Sorts and VACUUM's copy stay in memory, not in files of the
        // system's temporary folder, which nothing would scrub.
        connection
            .pragma_update(None, "temp_store", "MEMORY")
            .map_err(unavailable)?;
        connection.execute_batch(SCHEMA).map_err(unavailable)?;
        // The staff workspace's tables: a file written before them gets
        // them here, empty.
        connection
            .execute_batch(panel::SCHEMA)
            .map_err(unavailable)?;
        connection
            .execute_batch(records::SCHEMA)
            .map_err(unavailable)?;
        connection
            .execute_batch(ideas::SCHEMA)
            .map_err(unavailable)?;
        add_missing_columns(&connection)?;
        Ok(Self {
            db: Arc::new(Mutex::new(Db {
                connection,
                wal,
                checkpoint_owed: None,
            })),
        })
    }

    /// Empties the write-ahead log into the database file, waiting up to
    /// 5 s for other readers: for a program about to stop, so that no
    /// copy of erased data waits in the log. False when a reader kept it
    /// from finishing (it stays owed; the next open tries again).
    pub async fn checkpoint(&self) -> Result<bool, StoreError> {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || {
            let mut db = lock(&db)?;
            if !db.wal {
                return Ok(true);
            }
            let done = checkpoint(&db.connection, CLOSING_PATIENCE);
            db.checkpoint_owed = (!done).then(Instant::now);
            Ok(done)
        })
        .await
        .map_err(unavailable)?
    }

    /// Runs `work` in one immediate transaction on a blocking thread.
    async fn transaction<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || {
            let mut db = lock(&db)?;
            let transaction = db
                .connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let value = work(&transaction)?;
            transaction.commit().map_err(unavailable)?;
            db.settle(false);
            Ok(value)
        })
        .await
        .map_err(unavailable)?
    }

    /// After a transaction that erased personal data: empties the
    /// write-ahead log at once, or owes it. Never fails: what is owed is
    /// tried again later.
    async fn erased(&self) {
        let db = Arc::clone(&self.db);
        let _ = tokio::task::spawn_blocking(move || {
            if let Ok(mut db) = db.lock() {
                db.settle(true);
            }
        })
        .await;
    }
}

/// Rewrites, once, a store whose free space may hold data erased before
/// `secure_delete` was on. Another process reading the file makes it fail:
/// then it is left for the next open, as the version is not yet set.
fn scrub_once(connection: &Connection) -> Result<(), StoreError> {
    let version: i64 = connection
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(unavailable)?;
    if version >= SCRUBBED_VERSION || connection.execute_batch("VACUUM").is_err() {
        return Ok(());
    }
    connection
        .pragma_update(None, "user_version", SCRUBBED_VERSION)
        .map_err(unavailable)
}

/// Columns added since the first version: a store written before gets
/// them, empty, when opened.
fn add_missing_columns(connection: &Connection) -> Result<(), StoreError> {
    let has_mail_problem: bool = connection
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM pragma_table_info('registrations') WHERE name = 'mail_problem')",
            [],
            |row| row.get(0),
        )
        .map_err(unavailable)?;
    if !has_mail_problem {
        connection
            .execute_batch("ALTER TABLE registrations ADD COLUMN mail_problem TEXT")
            .map_err(unavailable)?;
    }
    Ok(())
}

fn read_row(row: &Row<'_>) -> rusqlite::Result<Result<Registration, StoreError>> {
    let status: String = row.get(2)?;
    let values: String = row.get(4)?;
    let consents: String = row.get(5)?;
    let created_at: String = row.get(7)?;
    let confirmed_at: Option<String> = row.get(8)?;
    let expires_at: String = row.get(9)?;
    let position: Option<i64> = row.get(3)?;
    let form_id: String = row.get(0)?;
    let reference: String = row.get(1)?;
    let spam: Option<String> = row.get(6)?;
    let mail_problem: Option<String> = row.get(10)?;
    Ok((|| {
        Ok(Registration {
            form_id,
            reference,
            status: Status::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("status `{status}`")))?,
            position: position.and_then(|p| u64::try_from(p).ok()),
            values: serde_json::from_str(&values)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            consents: serde_json::from_str(&consents)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            spam,
            created_at: parse_time(&created_at)?,
            confirmed_at: confirmed_at.as_deref().map(parse_time).transpose()?,
            expires_at: parse_time(&expires_at)?,
            mail_problem: mail_problem
                .map(|text| {
                    MailProblem::parse(&text)
                        .ok_or_else(|| StoreError::Corrupt(format!("mail problem `{text}`")))
                })
                .transpose()?,
        })
    })())
}

fn select_one(
    tx: &Transaction<'_>,
    condition: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<Option<Registration>, StoreError> {
    tx.query_row(
        &format!("SELECT {COLUMNS} FROM registrations WHERE {condition}"),
        params,
        read_row,
    )
    .optional()
    .map_err(unavailable)?
    .transpose()
}

fn select_draw(tx: &Transaction<'_>, form_id: &str) -> Result<Option<DrawRecord>, StoreError> {
    let row = tx
        .query_row(
            "SELECT seed, list_sha256, places, winners, reserve, drawn_at FROM draws WHERE form_id = ?1",
            params![form_id],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                ))
            },
        )
        .optional()
        .map_err(unavailable)?;
    let Some((seed, list_sha256, places, winners, reserve, drawn_at)) = row else {
        return Ok(None);
    };
    let list = |text: &str| {
        serde_json::from_str::<Vec<String>>(text)
            .map_err(|e| StoreError::Corrupt(format!("the draw of {form_id}: {e}")))
    };
    Ok(Some(DrawRecord {
        seed,
        list_sha256,
        places: u64::try_from(places)
            .map_err(|_| StoreError::Corrupt(format!("the draw of {form_id}: {places} places")))?,
        winners: list(&winners)?,
        reserve: list(&reserve)?,
        drawn_at: parse_time(&drawn_at)?,
    }))
}

/// Decides a registration that now counts: a place, the waiting list or an
/// application. Runs inside the caller's transaction.
fn admit(
    tx: &Transaction<'_>,
    form_id: &str,
    reference: &str,
    admission: Admission,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (status, position) = match admission {
        Admission::Lottery => (Status::Applied, None),
        Admission::FirstCome { capacity: None } => (Status::Registered, None),
        Admission::FirstCome {
            capacity: Some(capacity),
        } => {
            let taken = places_taken(tx, form_id)?;
            // Only asked while places are free: a full form queues anyway.
            let someone_waits = || -> Result<bool, StoreError> {
                tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM registrations WHERE form_id = ?1 AND status = 'waiting' AND expires_at > ?2)",
                    params![form_id, time(now)],
                    |row| row.get(0),
                )
                .map_err(unavailable)
            };
            if taken < u64::from(capacity) && !someone_waits()? {
                (Status::Registered, None)
            } else {
                let last: Option<i64> = tx
                    .query_row(
                        "SELECT MAX(position) FROM registrations WHERE form_id = ?1 AND status = 'waiting'",
                        params![form_id],
                        |row| row.get(0),
                    )
                    .map_err(unavailable)?;
                (Status::Waiting, Some(last.unwrap_or(0) + 1))
            }
        }
    };
    tx.execute(
        "UPDATE registrations SET status = ?1, position = ?2 WHERE form_id = ?3 AND reference = ?4",
        params![status.as_str(), position, form_id, reference],
    )
    .map_err(unavailable)?;
    Ok(())
}

/// Gives a freed place to the first person listed as `listed` who has not
/// expired; `None` when nobody waits.
fn promote_first(
    tx: &Transaction<'_>,
    form_id: &str,
    listed: Status,
    given: Status,
    now: DateTime<Utc>,
) -> Result<Option<Registration>, StoreError> {
    let first: Option<String> = tx
        .query_row(
            "SELECT reference FROM registrations WHERE form_id = ?1 AND status = ?2 AND expires_at > ?3
             ORDER BY position LIMIT 1",
            params![form_id, listed.as_str(), time(now)],
            |row| row.get(0),
        )
        .optional()
        .map_err(unavailable)?;
    let Some(reference) = first else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE registrations SET status = ?1, position = NULL WHERE form_id = ?2 AND reference = ?3",
        params![given.as_str(), form_id, reference],
    )
    .map_err(unavailable)?;
    select_one(
        tx,
        "form_id = ?1 AND reference = ?2",
        &[&form_id, &reference],
    )
}

/// The places a first-come form's admissions count as taken. Expired
/// places count until the purge hands them on to the waiting list: a
/// newcomer must not take them first.
fn places_taken(tx: &Transaction<'_>, form_id: &str) -> Result<u64, StoreError> {
    let taken: i64 = tx
        .query_row(
            "SELECT COUNT(*) FROM registrations WHERE form_id = ?1 AND status IN ('registered', 'selected')",
            params![form_id],
            |row| row.get(0),
        )
        .map_err(unavailable)?;
    Ok(u64::try_from(taken).unwrap_or(0))
}

/// The live registration that already holds `new`'s unique key. An
/// expired one no longer blocks the person, but keeps its place until the
/// purge erases it and hands the place on: it gives the key up.
fn live_duplicate(
    tx: &Transaction<'_>,
    new: &NewRegistration,
) -> Result<Option<Registration>, StoreError> {
    let Some(existing) = select_one(
        tx,
        "form_id = ?1 AND unique_key = ?2",
        &[&new.form_id, &new.unique_key],
    )?
    else {
        return Ok(None);
    };
    if existing.expires_at > new.created_at {
        return Ok(Some(existing));
    }
    tx.execute(
        "UPDATE registrations SET unique_key = 'expired:' || reference WHERE form_id = ?1 AND reference = ?2",
        params![existing.form_id, existing.reference],
    )
    .map_err(unavailable)?;
    Ok(None)
}

/// Stores `new`, pending (or as spam), unless its reference is taken.
fn insert_row(tx: &Transaction<'_>, new: &NewRegistration) -> Result<(), StoreError> {
    let taken: bool = tx
        .query_row(
            "SELECT COUNT(*) > 0 FROM registrations WHERE form_id = ?1 AND reference = ?2",
            params![new.form_id, new.reference],
            |row| row.get(0),
        )
        .map_err(unavailable)?;
    if taken {
        return Err(StoreError::ReferenceTaken);
    }
    // Spam must not block the real person's later registration.
    let unique_key = match &new.spam {
        Some(_) => format!("spam:{}", new.reference),
        None => new.unique_key.clone(),
    };
    let status = if new.spam.is_some() {
        Status::Spam
    } else {
        Status::Pending
    };
    let values =
        serde_json::to_string(&new.values).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let consents =
        serde_json::to_string(&new.consents).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.execute(
        "INSERT INTO registrations (form_id, reference, unique_key, status, position, field_values, consents, spam,
             confirm_token_hash, withdraw_token_hash, created_at, confirmed_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11)",
        params![
            new.form_id,
            new.reference,
            unique_key,
            status.as_str(),
            values,
            consents,
            new.spam,
            new.confirm_token_hash,
            new.withdraw_token_hash,
            time(new.created_at),
            time(new.expires_at),
        ],
    )
    .map_err(unavailable)?;
    Ok(())
}

impl Store for SqliteStore {
    async fn insert(
        &self,
        new: NewRegistration,
        admission: Option<Admission>,
    ) -> Result<Inserted, StoreError> {
        self.transaction(move |tx| {
            if new.spam.is_none() {
                if let Some(existing) = live_duplicate(tx, &new)? {
                    return Ok(Inserted::Existing(existing));
                }
            }
            insert_row(tx, &new)?;
            if let (Some(admission), None) = (admission, &new.spam) {
                admit(tx, &new.form_id, &new.reference, admission, new.created_at)?;
                tx.execute(
                    "UPDATE registrations SET confirmed_at = ?1 WHERE form_id = ?2 AND reference = ?3",
                    params![time(new.created_at), new.form_id, new.reference],
                )
                .map_err(unavailable)?;
            }
            let stored = select_one(tx, "form_id = ?1 AND reference = ?2", &[&new.form_id, &new.reference])?
                .ok_or_else(|| StoreError::Corrupt("the new registration vanished".to_owned()))?;
            Ok(Inserted::New(stored))
        })
        .await
    }

    async fn confirm(
        &self,
        form_id: &str,
        token_hash: &str,
        admission: Admission,
        now: DateTime<Utc>,
    ) -> Result<Option<Registration>, StoreError> {
        let (form_id, token_hash) = (form_id.to_owned(), token_hash.to_owned());
        self.transaction(move |tx| {
            let Some(found) = select_one(
                tx,
                "form_id = ?1 AND confirm_token_hash = ?2 AND status != 'spam' AND expires_at > ?3",
                &[&form_id, &token_hash, &time(now)],
            )?
            else {
                return Ok(None);
            };
            if found.status != Status::Pending {
                return Ok(Some(found));
            }
            admit(tx, &form_id, &found.reference, admission, now)?;
            tx.execute(
                "UPDATE registrations SET confirmed_at = ?1 WHERE form_id = ?2 AND reference = ?3",
                params![time(now), form_id, found.reference],
            )
            .map_err(unavailable)?;
            select_one(
                tx,
                "form_id = ?1 AND reference = ?2",
                &[&form_id, &found.reference],
            )
        })
        .await
    }

    async fn withdraw(
        &self,
        form_id: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Withdrawn>, StoreError> {
        let (form_id, token_hash) = (form_id.to_owned(), token_hash.to_owned());
        let withdrawing = self.transaction(move |tx| {
            let Some(found) = select_one(
                tx,
                "form_id = ?1 AND withdraw_token_hash = ?2 AND status NOT IN ('withdrawn', 'spam') AND expires_at > ?3",
                &[&form_id, &token_hash, &time(now)],
            )?
            else {
                return Ok(None);
            };
            tx.execute(
                "UPDATE registrations SET status = 'withdrawn', position = NULL, field_values = '{}', consents = '[]',
                     unique_key = 'withdrawn:' || reference, confirm_token_hash = NULL, withdraw_token_hash = NULL,
                     confirmed_at = COALESCE(confirmed_at, ?1)
                 WHERE form_id = ?2 AND reference = ?3",
                params![time(now), form_id, found.reference],
            )
            .map_err(unavailable)?;
            ideas::forget_idea(tx, &form_id, &found.reference)?;
            let promoted = match agora_core::store::next_in_line(found.status) {
                Some((list, given)) => promote_first(tx, &form_id, list, given, now)?,
                None => None,
            };
            Ok(Some(Withdrawn {
                reference: found.reference,
                promoted,
            }))
        });
        let withdrawn = withdrawing.await?;
        // An unknown token erased nothing: no checkpoint, so that made-up
        // links cannot make the store write.
        if withdrawn.is_some() {
            self.erased().await;
        }
        Ok(withdrawn)
    }

    async fn renew_tokens(
        &self,
        form_id: &str,
        reference: &str,
        confirm_token_hash: &str,
        withdraw_token_hash: &str,
    ) -> Result<Option<Registration>, StoreError> {
        let (form_id, reference) = (form_id.to_owned(), reference.to_owned());
        let (confirm, withdraw) = (
            confirm_token_hash.to_owned(),
            withdraw_token_hash.to_owned(),
        );
        self.transaction(move |tx| {
            // A confirmed registration keeps its confirmation token: a
            // second click on the old link still answers "confirmed".
            let renewed = tx
                .execute(
                    "UPDATE registrations SET withdraw_token_hash = ?3,
                         confirm_token_hash = CASE WHEN status = 'pending' THEN ?4 ELSE confirm_token_hash END
                     WHERE form_id = ?1 AND reference = ?2 AND status NOT IN ('withdrawn', 'spam')",
                    params![form_id, reference, withdraw, confirm],
                )
                .map_err(unavailable)?;
            if renewed == 0 {
                return Ok(None);
            }
            select_one(
                tx,
                "form_id = ?1 AND reference = ?2",
                &[&form_id, &reference],
            )
        })
        .await
    }

    async fn find(
        &self,
        form_id: &str,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Registration>, StoreError> {
        let (form_id, reference) = (form_id.to_owned(), reference.to_owned());
        self.transaction(move |tx| {
            select_one(
                tx,
                "form_id = ?1 AND reference = ?2 AND expires_at > ?3",
                &[&form_id, &reference, &time(now)],
            )
        })
        .await
    }

    async fn counts(&self, form_id: &str, now: DateTime<Utc>) -> Result<Counts, StoreError> {
        let form_id = form_id.to_owned();
        self.transaction(move |tx| {
            let mut statement = tx
                .prepare(
                    "SELECT status, COUNT(*) FROM registrations WHERE form_id = ?1 AND expires_at > ?2 GROUP BY status",
                )
                .map_err(unavailable)?;
            let rows = statement
                .query_map(params![form_id, time(now)], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
                })
                .map_err(unavailable)?;
            let mut counts = Counts::default();
            for row in rows {
                let (status, n) = row.map_err(unavailable)?;
                let n = u64::try_from(n).unwrap_or(0);
                if let Some(status) = Status::parse(&status) {
                    counts.add(status, n);
                }
            }
            Ok(counts)
        })
        .await
    }

    async fn mark_mail_problem(
        &self,
        form_id: &str,
        reference: &str,
        problem: MailProblem,
    ) -> Result<bool, StoreError> {
        let (form_id, reference) = (form_id.to_owned(), reference.to_owned());
        self.transaction(move |tx| {
            // A complaint is never replaced by a bounce.
            let changed = tx
                .execute(
                    "UPDATE registrations SET mail_problem = ?3 \
                     WHERE form_id = ?1 AND reference = ?2 AND status NOT IN ('withdrawn', 'spam') \
                     AND (mail_problem IS NULL OR mail_problem <> 'complained')",
                    params![form_id, reference, problem.as_str()],
                )
                .map_err(unavailable)?;
            Ok(changed > 0)
        })
        .await
    }

    async fn places_taken(&self, form_id: &str) -> Result<u64, StoreError> {
        let form_id = form_id.to_owned();
        self.transaction(move |tx| places_taken(tx, &form_id)).await
    }

    async fn list(
        &self,
        form_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Registration>, StoreError> {
        let form_id = form_id.to_owned();
        self.transaction(move |tx| {
            let mut statement = tx
                .prepare(&format!(
                    "SELECT {COLUMNS} FROM registrations WHERE form_id = ?1 AND expires_at > ?2 ORDER BY created_at, reference"
                ))
                .map_err(unavailable)?;
            let rows = statement
                .query_map(params![form_id, time(now)], read_row)
                .map_err(unavailable)?;
            rows.map(|row| row.map_err(unavailable)?).collect()
        })
        .await
    }

    async fn draw_record(&self, form_id: &str) -> Result<Option<DrawRecord>, StoreError> {
        let form_id = form_id.to_owned();
        self.transaction(move |tx| select_draw(tx, &form_id)).await
    }

    async fn record_draw(
        &self,
        form_id: &str,
        draw: &DrawRecord,
    ) -> Result<DrawRecorded, StoreError> {
        let form_id = form_id.to_owned();
        let draw = draw.clone();
        // The record and every status change are one transaction: a draw
        // is recorded whole or not at all.
        self.transaction(move |tx| {
            let recorded = match select_draw(tx, &form_id)? {
                Some(earlier) if !earlier.is_same_draw(&draw) => {
                    return Ok(DrawRecorded::Refused(earlier))
                }
                Some(earlier) => earlier,
                None => {
                    let list = |references: &[String]| {
                        serde_json::to_string(references)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))
                    };
                    tx.execute(
                        "INSERT INTO draws (form_id, seed, list_sha256, places, winners, reserve, drawn_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            form_id,
                            draw.seed,
                            draw.list_sha256,
                            i64::try_from(draw.places).unwrap_or(i64::MAX),
                            list(&draw.winners)?,
                            list(&draw.reserve)?,
                            time(draw.drawn_at),
                        ],
                    )
                    .map_err(unavailable)?;
                    draw
                }
            };
            for reference in &recorded.winners {
                tx.execute(
                    "UPDATE registrations SET status = 'selected', position = NULL
                     WHERE form_id = ?1 AND reference = ?2 AND status = 'applied'",
                    params![form_id, reference],
                )
                .map_err(unavailable)?;
            }
            for (index, reference) in recorded.reserve.iter().enumerate() {
                let position = i64::try_from(index + 1).unwrap_or(i64::MAX);
                tx.execute(
                    "UPDATE registrations SET status = 'reserve', position = ?1
                     WHERE form_id = ?2 AND reference = ?3 AND status = 'applied'",
                    params![position, form_id, reference],
                )
                .map_err(unavailable)?;
            }
            Ok(DrawRecorded::Done(recorded))
        })
        .await
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let purging = self.transaction(move |tx| {
            // The places the erased held, per form, go to those waiting.
            let mut statement = tx
                .prepare(
                    "SELECT form_id, COUNT(*) FROM registrations
                     WHERE expires_at <= ?1 AND status = 'registered' GROUP BY form_id",
                )
                .map_err(unavailable)?;
            let freed = statement
                .query_map(params![time(now)], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
                })
                .map_err(unavailable)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(unavailable)?;
            records::forget_decisions_on_expired(tx, now)?;
            ideas::forget_ideas_of_expired(tx, now)?;
            let removed = tx
                .execute(
                    "DELETE FROM registrations WHERE expires_at <= ?1",
                    params![time(now)],
                )
                .map_err(unavailable)?;
            for (form_id, places) in freed {
                for _ in 0..places {
                    if promote_first(tx, &form_id, Status::Waiting, Status::Registered, now)?
                        .is_none()
                    {
                        break;
                    }
                }
            }
            let kept_since =
                now - chrono::Duration::days(agora_core::store::REQUEST_COUNTS_KEPT_DAYS);
            tx.execute(
                "DELETE FROM request_counts WHERE window_start < ?1",
                params![time(kept_since)],
            )
            .map_err(unavailable)?;
            Ok(u64::try_from(removed).unwrap_or(0))
        });
        let removed = purging.await?;
        if removed > 0 {
            self.erased().await;
        }
        Ok(removed)
    }

    async fn allow_request(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let key = key.to_owned();
        self.transaction(move |tx| {
            tx.execute(
                "INSERT INTO request_counts (key, window_start, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1",
                params![key, time(window_start)],
            )
            .map_err(unavailable)?;
            let count: i64 = tx
                .query_row(
                    "SELECT count FROM request_counts WHERE key = ?1 AND window_start = ?2",
                    params![key, time(window_start)],
                    |row| row.get(0),
                )
                .map_err(unavailable)?;
            Ok(count <= i64::from(limit))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_written_before_mail_problems_gets_the_column() {
        let folder = tempfile::tempdir().expect("a folder");
        let path = folder.path().join("old.sqlite3");
        {
            let old = Connection::open(&path).expect("opened");
            let without = SCHEMA.replace("    mail_problem TEXT,\n", "");
            assert_ne!(without, SCHEMA);
            old.execute_batch(&without).expect("the old schema");
            old.execute(
                "INSERT INTO registrations (form_id, reference, unique_key, status, field_values, consents, created_at, expires_at) \
                 VALUES ('f', 'AAAA-BBBB', 'k', 'registered', '{}', '[]', '2020-03-05T12:00:00Z', '2030-01-01T00:00:00Z')",
                [],
            )
            .expect("an old registration");
        }
        let store = SqliteStore::open(&path).expect("opened again");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            assert!(store
                .mark_mail_problem("f", "AAAA-BBBB", MailProblem::Bounced)
                .await
                .expect("marked"));
            let now = DateTime::parse_from_rfc3339("2020-03-06T00:00:00Z")
                .expect("a time")
                .with_timezone(&Utc);
            let found = store.find("f", "AAAA-BBBB", now).await.expect("read");
            assert_eq!(
                found.expect("found").mail_problem,
                Some(MailProblem::Bounced)
            );
        });
    }
}
