//! What staff decide and publish, in SQLite: four tables beside the
//! registrations, created when the store is opened (a file written before
//! them gets them, empty). Each form's published list, its "results
//! mailed" mark and its "list outdated" mark are one row under the form's
//! id, so the primary key keeps them once; an appointment is one row per application, replaced by the
//! next decision.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};

use agora_core::panel::{Appointment, Decision, ListPublished, StaffRecords, StoredList};
use agora_core::store::StoreError;

use super::{parse_time, time, unavailable, SqliteStore};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS panel_appointments (
    form_id TEXT NOT NULL,
    reference TEXT NOT NULL,
    decision TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (form_id, reference)
);
-- One list per form: the primary key makes a second one impossible (a
-- list replaced before the draw is deleted in the same transaction).
CREATE TABLE IF NOT EXISTS panel_lists (
    form_id TEXT NOT NULL PRIMARY KEY,
    text TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL
);
-- Apart from the list: a draw made with the command line has results to
-- mail without a list published in the panel.
CREATE TABLE IF NOT EXISTS panel_results_mailed (
    form_id TEXT NOT NULL PRIMARY KEY,
    mailed_at TEXT NOT NULL
);
-- A form whose public list may be out of date, since when.
CREATE TABLE IF NOT EXISTS panel_list_outdated (
    form_id TEXT NOT NULL PRIMARY KEY,
    since TEXT NOT NULL
);
";

/// Deletes, in the registrations' purge, the decisions on the
/// registrations it is about to erase, so that no decision outlives the
/// application it was about (see the `StaffRecords` impl).
pub(super) fn forget_decisions_on_expired(
    tx: &Transaction<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM panel_appointments WHERE EXISTS (
             SELECT 1 FROM registrations r
             WHERE r.form_id = panel_appointments.form_id
               AND r.reference = panel_appointments.reference
               AND r.expires_at <= ?1)",
        params![time(now)],
    )
    .map(drop)
    .map_err(unavailable)
}

fn read_appointment(row: &Row<'_>) -> rusqlite::Result<Result<Appointment, StoreError>> {
    let (form_id, reference): (String, String) = (row.get(0)?, row.get(1)?);
    let (decision, decided_by, decided_at): (String, String, String) =
        (row.get(2)?, row.get(3)?, row.get(4)?);
    Ok((|| {
        Ok(Appointment {
            form_id,
            reference,
            decision: Decision::parse(&decision)
                .ok_or_else(|| StoreError::Corrupt(format!("decision `{decision}`")))?,
            decided_by,
            decided_at: parse_time(&decided_at)?,
        })
    })())
}

fn read_list(row: &Row<'_>) -> rusqlite::Result<Result<StoredList, StoreError>> {
    let (form_id, text, sha256, published_by) =
        (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
    let published_at: String = row.get(4)?;
    Ok(parse_time(&published_at).map(|published_at| StoredList {
        form_id,
        text,
        sha256,
        published_by,
        published_at,
    }))
}

fn select_list(tx: &Transaction<'_>, form_id: &str) -> Result<Option<StoredList>, StoreError> {
    tx.query_row(
        "SELECT form_id, text, sha256, published_by, published_at FROM panel_lists
         WHERE form_id = ?1",
        params![form_id],
        read_list,
    )
    .optional()
    .map_err(unavailable)?
    .transpose()
}

/// Inserts the form's list where it has none.
fn write_list(tx: &Transaction<'_>, list: &StoredList) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO panel_lists (form_id, text, sha256, published_by, published_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            list.form_id,
            list.text,
            list.sha256,
            list.published_by,
            time(list.published_at)
        ],
    )
    .map(drop)
    .map_err(unavailable)
}

/// The moment `sql` selects for the form `form_id`, if it selects one.
fn select_time(
    tx: &Transaction<'_>,
    sql: &str,
    form_id: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let at: Option<String> = tx
        .query_row(sql, params![form_id], |row| row.get(0))
        .optional()
        .map_err(unavailable)?;
    at.as_deref().map(parse_time).transpose()
}

/// Appointments are deleted with their registration by the purge
/// (`purge_expired`, in its transaction): a decision names an application
/// by reference, and once the application is erased the decision is about
/// no one the office can still reach, yet it would still tell who decided
/// what about a person; kept, it would also attach to a new registration
/// that drew the same reference. A withdrawal keeps it: the registration's
/// row stays too, and the public list leaves out the withdrawn. Lists and
/// "results mailed" marks hold references only and stay as the draw does.
impl StaffRecords for SqliteStore {
    async fn put_appointment(&self, appointment: &Appointment) -> Result<(), StoreError> {
        let appointment = appointment.clone();
        self.transaction(move |tx| {
            tx.execute(
                "INSERT OR REPLACE INTO panel_appointments
                     (form_id, reference, decision, decided_by, decided_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    appointment.form_id,
                    appointment.reference,
                    appointment.decision.as_str(),
                    appointment.decided_by,
                    time(appointment.decided_at)
                ],
            )
            .map(drop)
            .map_err(unavailable)
        })
        .await
    }

    async fn appointments(&self, form_id: &str) -> Result<Vec<Appointment>, StoreError> {
        let form_id = form_id.to_owned();
        self.transaction(move |tx| {
            let mut statement = tx
                .prepare(
                    "SELECT form_id, reference, decision, decided_by, decided_at
                     FROM panel_appointments WHERE form_id = ?1 ORDER BY reference",
                )
                .map_err(unavailable)?;
            let rows = statement
                .query_map(params![form_id], read_appointment)
                .map_err(unavailable)?;
            rows.map(|row| row.map_err(unavailable)?).collect()
        })
        .await
    }

    async fn publish_list(&self, list: &StoredList) -> Result<ListPublished, StoreError> {
        let list = list.clone();
        // The look and the insert are one immediate transaction: of two
        // publishers, the second sees the first one's list.
        self.transaction(move |tx| {
            if let Some(earlier) = select_list(tx, &list.form_id)? {
                return Ok(ListPublished::Already(earlier));
            }
            write_list(tx, &list)?;
            Ok(ListPublished::Done(list))
        })
        .await
    }

    async fn replace_list(&self, list: &StoredList) -> Result<bool, StoreError> {
        let list = list.clone();
        // The look at the draw and the write are one immediate
        // transaction: no draw can be recorded in between.
        self.transaction(move |tx| {
            let drawn: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM draws WHERE form_id = ?1)",
                    params![list.form_id],
                    |row| row.get(0),
                )
                .map_err(unavailable)?;
            if drawn {
                return Ok(false);
            }
            tx.execute(
                "DELETE FROM panel_lists WHERE form_id = ?1",
                params![list.form_id],
            )
            .map_err(unavailable)?;
            write_list(tx, &list)?;
            Ok(true)
        })
        .await
    }

    async fn published_list(&self, form_id: &str) -> Result<Option<StoredList>, StoreError> {
        let form_id = form_id.to_owned();
        self.transaction(move |tx| select_list(tx, &form_id)).await
    }

    async fn note_results_mailed(
        &self,
        form_id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let form_id = form_id.to_owned();
        self.transaction(move |tx| {
            let noted = tx
                .execute(
                    "INSERT INTO panel_results_mailed (form_id, mailed_at) VALUES (?1, ?2)
                     ON CONFLICT (form_id) DO NOTHING",
                    params![form_id, time(at)],
                )
                .map_err(unavailable)?;
            Ok(noted > 0)
        })
        .await
    }

    async fn clear_results_mailed(&self, form_id: &str) -> Result<(), StoreError> {
        let form_id = form_id.to_owned();
        self.transaction(move |tx| {
            tx.execute(
                "DELETE FROM panel_results_mailed WHERE form_id = ?1",
                params![form_id],
            )
            .map(drop)
            .map_err(unavailable)
        })
        .await
    }

    async fn results_mailed(&self, form_id: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let form_id = form_id.to_owned();
        self.transaction(move |tx| {
            select_time(
                tx,
                "SELECT mailed_at FROM panel_results_mailed WHERE form_id = ?1",
                &form_id,
            )
        })
        .await
    }

    async fn set_list_outdated(
        &self,
        form_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let form_id = form_id.to_owned();
        self.transaction(move |tx| {
            match since {
                Some(since) => tx.execute(
                    "INSERT INTO panel_list_outdated (form_id, since) VALUES (?1, ?2)
                     ON CONFLICT (form_id) DO NOTHING",
                    params![form_id, time(since)],
                ),
                None => tx.execute(
                    "DELETE FROM panel_list_outdated WHERE form_id = ?1",
                    params![form_id],
                ),
            }
            .map(drop)
            .map_err(unavailable)
        })
        .await
    }

    async fn list_outdated(&self, form_id: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let form_id = form_id.to_owned();
        self.transaction(move |tx| {
            select_time(
                tx,
                "SELECT since FROM panel_list_outdated WHERE form_id = ?1",
                &form_id,
            )
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    /// 2 March 2026, `hour` o'clock.
    fn at(hour: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_409_600 + hour * 3600, 0).expect("a valid time")
    }

    fn appointed(reference: &str) -> Appointment {
        Appointment {
            form_id: "ambasadorzy".to_owned(),
            reference: reference.to_owned(),
            decision: Decision::Appointed,
            decided_by: "biuro@example.pl".to_owned(),
            decided_at: at(9),
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    }

    /// A file as the version before these records wrote it.
    fn older_file(path: &std::path::Path) -> Connection {
        let old = Connection::open(path).expect("opened");
        old.execute_batch(super::super::SCHEMA)
            .expect("the registrations");
        old.execute_batch(super::super::panel::SCHEMA)
            .expect("the workspace without its records");
        old
    }

    #[test]
    fn a_store_written_before_the_records_gets_their_tables() {
        let folder = tempfile::tempdir().expect("a folder");
        let path = folder.path().join("old.sqlite3");
        drop(older_file(&path));
        let list = StoredList {
            form_id: "warsztaty".to_owned(),
            text: "agora-lottery-list v1\nform: warsztaty\nK7QX-M3PA\n".to_owned(),
            sha256: "00".repeat(32),
            published_by: "biuro@example.pl".to_owned(),
            published_at: at(10),
        };
        runtime().block_on(async {
            let store = SqliteStore::open(&path).expect("opened again");
            store
                .put_appointment(&appointed("K7QX-M3PA"))
                .await
                .expect("kept");
            let published = store.publish_list(&list).await.expect("kept");
            assert_eq!(published, ListPublished::Done(list.clone()));
            assert!(store
                .note_results_mailed("warsztaty", at(11))
                .await
                .expect("kept"));
        });
        runtime().block_on(async {
            let store = SqliteStore::open(&path).expect("opened a third time");
            let kept = store.appointments("ambasadorzy").await.expect("read");
            assert_eq!(kept, [appointed("K7QX-M3PA")], "kept across openings");
            assert_eq!(
                store.published_list("warsztaty").await.expect("read"),
                Some(list)
            );
            let mailed = store.results_mailed("warsztaty").await.expect("read");
            assert_eq!(mailed, Some(at(11)));
        });
    }

    #[test]
    fn an_unknown_decision_is_corrupt() {
        let folder = tempfile::tempdir().expect("a folder");
        let path = folder.path().join("store.sqlite3");
        drop(SqliteStore::open(&path).expect("created"));
        Connection::open(&path)
            .expect("opened")
            .execute(
                "INSERT INTO panel_appointments (form_id, reference, decision, decided_by, decided_at)
                 VALUES ('ambasadorzy', 'K7QX-M3PA', 'promoted', 'biuro@example.pl', ?1)",
                params![time(at(9))],
            )
            .expect("a decision no version wrote");
        runtime().block_on(async {
            let store = SqliteStore::open(&path).expect("opened again");
            let read = store.appointments("ambasadorzy").await;
            assert!(
                matches!(&read, Err(StoreError::Corrupt(why)) if why.contains("promoted")),
                "{read:?}"
            );
        });
    }
}
