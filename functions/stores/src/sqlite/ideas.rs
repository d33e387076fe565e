//! The records of ideas, in SQLite: one row per idea, its record as JSON
//! beside its version, so that a save is one `UPDATE ... WHERE version`
//! in an immediate transaction. A record ends with its registration: the
//! withdrawal and the purge delete it in their transactions.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use agora_core::ideas::{IdeaRecord, IdeaRecords};
use agora_core::store::StoreError;

use super::{time, unavailable, SqliteStore};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ideas (
    form_id TEXT NOT NULL,
    reference TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (form_id, reference)
);
";

/// Deletes, in a withdrawal's transaction, the record of the idea sent as
/// the registration being withdrawn.
pub(super) fn forget_idea(
    tx: &Transaction<'_>,
    form_id: &str,
    reference: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM ideas WHERE form_id = ?1 AND reference = ?2",
        params![form_id, reference],
    )
    .map(drop)
    .map_err(unavailable)
}

/// Deletes, in the registrations' purge, the records of the ideas whose
/// registrations it is about to erase.
pub(super) fn forget_ideas_of_expired(
    tx: &Transaction<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sql = "DELETE FROM ideas WHERE (form_id, reference) IN
                   (SELECT form_id, reference FROM registrations WHERE expires_at <= ?1)";
    tx.execute(sql, params![time(now)])
        .map(drop)
        .map_err(unavailable)
}

fn read_body(body: &str) -> Result<IdeaRecord, StoreError> {
    IdeaRecord::from_json(body).map_err(|e| StoreError::Corrupt(format!("an idea's record: {e}")))
}

/// The version as SQLite keeps it (records never reach `i64::MAX`).
fn sql_version(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}

/// Inserts a first record, only where there is none and its registration
/// is there and neither withdrawn nor spam: a record saved after the
/// withdrawal would outlive it, out of reach of any erasure.
fn insert_first(tx: &Transaction<'_>, record: &IdeaRecord) -> Result<bool, StoreError> {
    let inserted = tx
        .execute(
            "INSERT INTO ideas (form_id, reference, version, body)
             SELECT ?1, ?2, 1, ?3 WHERE EXISTS (
                 SELECT 1 FROM registrations
                 WHERE form_id = ?1 AND reference = ?2 AND status NOT IN ('withdrawn', 'spam'))
             ON CONFLICT (form_id, reference) DO NOTHING",
            params![record.form_id, record.reference, record.to_json()],
        )
        .map_err(unavailable)?;
    Ok(inserted > 0)
}

/// Replaces the record at the version before `record`'s.
fn update(tx: &Transaction<'_>, record: &IdeaRecord, previous: u64) -> Result<bool, StoreError> {
    let updated = tx
        .execute(
            "UPDATE ideas SET version = ?3, body = ?4
             WHERE form_id = ?1 AND reference = ?2 AND version = ?5",
            params![
                record.form_id,
                record.reference,
                sql_version(record.version),
                record.to_json(),
                sql_version(previous)
            ],
        )
        .map_err(unavailable)?;
    Ok(updated > 0)
}

impl IdeaRecords for SqliteStore {
    async fn idea(&self, form_id: &str, reference: &str) -> Result<Option<IdeaRecord>, StoreError> {
        let (form_id, reference) = (form_id.to_owned(), reference.to_owned());
        self.transaction(move |tx| {
            let body: Option<String> = tx
                .query_row(
                    "SELECT body FROM ideas WHERE form_id = ?1 AND reference = ?2",
                    params![form_id, reference],
                    |row| row.get(0),
                )
                .optional()
                .map_err(unavailable)?;
            body.as_deref().map(read_body).transpose()
        })
        .await
    }

    async fn save_idea(&self, record: &IdeaRecord) -> Result<bool, StoreError> {
        let record = record.clone();
        // The look at the version and the write are one statement in an
        // immediate transaction: of two saves of one version, one wins.
        self.transaction(move |tx| match record.version {
            0 => Ok(false),
            1 => insert_first(tx, &record),
            version => update(tx, &record, version - 1),
        })
        .await
    }

    async fn ideas(&self, form_id: &str) -> Result<Vec<IdeaRecord>, StoreError> {
        let form_id = form_id.to_owned();
        self.transaction(move |tx| {
            let mut statement = tx
                .prepare("SELECT body FROM ideas WHERE form_id = ?1 ORDER BY reference")
                .map_err(unavailable)?;
            let bodies = statement
                .query_map(params![form_id], |row| row.get::<_, String>(0))
                .map_err(unavailable)?;
            bodies
                .map(|body| read_body(&body.map_err(unavailable)?))
                .collect()
        })
        .await
    }
}
