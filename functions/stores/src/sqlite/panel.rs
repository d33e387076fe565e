//! The staff workspace's records in SQLite: four tables beside the
//! registrations, created when the store is opened, so that a file written
//! before the workspace existed gets them too. As everywhere in this
//! store, rows past `expires_at` stay until purged and reads skip them.

use chrono::{DateTime, Utc};
use rusqlite::types::FromSql;
use rusqlite::{params, OptionalExtension, Params, Row, Transaction};

use agora_core::panel::{Account, AuditAction, AuditEntry, PanelStore, Role, Session, SignInLink};
use agora_core::store::StoreError;

use super::{parse_time, time, unavailable, SqliteStore};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS panel_sign_in_links (
    token_hash TEXT NOT NULL PRIMARY KEY,
    email TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS panel_sessions (
    id_hash TEXT NOT NULL PRIMARY KEY,
    email TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
-- Signing out everywhere ends an account's sessions.
CREATE INDEX IF NOT EXISTS panel_sessions_email ON panel_sessions (email);
CREATE TABLE IF NOT EXISTS panel_accounts (
    email TEXT NOT NULL PRIMARY KEY,
    role TEXT NOT NULL,
    area TEXT,
    added_by TEXT,
    added_at TEXT
);
-- The row id orders the lines of one moment as they were appended.
CREATE TABLE IF NOT EXISTS panel_audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    form_id TEXT,
    reference TEXT,
    detail TEXT,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS panel_audit_at ON panel_audit (at);
CREATE INDEX IF NOT EXISTS panel_audit_expiry ON panel_audit (expires_at);
";

/// The tables whose rows end at their `expires_at` (accounts never do).
const EXPIRING: [&str; 3] = ["panel_sign_in_links", "panel_sessions", "panel_audit"];

const ACCOUNT_COLUMNS: &str = "email, role, area, added_by, added_at";

fn column<T: FromSql>(row: &Row<'_>, index: usize) -> Result<T, StoreError> {
    row.get(index).map_err(unavailable)
}

fn time_column(row: &Row<'_>, index: usize) -> Result<DateTime<Utc>, StoreError> {
    parse_time(&column::<String>(row, index)?)
}

fn read_link(row: &Row<'_>) -> Result<SignInLink, StoreError> {
    Ok(SignInLink {
        token_hash: column(row, 0)?,
        email: column(row, 1)?,
        created_at: time_column(row, 2)?,
        expires_at: time_column(row, 3)?,
    })
}

fn read_session(row: &Row<'_>) -> Result<Session, StoreError> {
    Ok(Session {
        id_hash: column(row, 0)?,
        email: column(row, 1)?,
        created_at: time_column(row, 2)?,
        last_seen: time_column(row, 3)?,
    })
}

fn read_account(row: &Row<'_>) -> Result<Account, StoreError> {
    let role: String = column(row, 1)?;
    let added_at: Option<String> = column(row, 4)?;
    Ok(Account {
        email: column(row, 0)?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role `{role}`")))?,
        area: column(row, 2)?,
        added_by: column(row, 3)?,
        added_at: added_at.as_deref().map(parse_time).transpose()?,
    })
}

fn read_audit(row: &Row<'_>) -> Result<AuditEntry, StoreError> {
    let action: String = column(row, 2)?;
    Ok(AuditEntry {
        at: time_column(row, 0)?,
        actor: column(row, 1)?,
        action: AuditAction::parse(&action)
            .ok_or_else(|| StoreError::Corrupt(format!("audit action `{action}`")))?,
        form_id: column(row, 3)?,
        reference: column(row, 4)?,
        detail: column(row, 5)?,
    })
}

/// The one row `sql` gives, if any, read by `read`.
fn query_one<T>(
    tx: &Transaction<'_>,
    sql: &str,
    params: impl Params,
    read: fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    tx.query_row(sql, params, |row| Ok(read(row)))
        .optional()
        .map_err(unavailable)?
        .transpose()
}

/// Every row `sql` gives, read by `read`.
fn query_all<T>(
    tx: &Transaction<'_>,
    sql: &str,
    params: impl Params,
    read: fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut statement = tx.prepare(sql).map_err(unavailable)?;
    let rows = statement
        .query_map(params, |row| Ok(read(row)))
        .map_err(unavailable)?;
    rows.map(|row| row.map_err(unavailable)?).collect()
}

/// Runs a statement that changes rows; how many it changed.
fn change(tx: &Transaction<'_>, sql: &str, params: impl Params) -> Result<u64, StoreError> {
    let changed = tx.execute(sql, params).map_err(unavailable)?;
    Ok(u64::try_from(changed).unwrap_or(u64::MAX))
}

impl PanelStore for SqliteStore {
    async fn put_sign_in_link(&self, link: &SignInLink) -> Result<(), StoreError> {
        let link = link.clone();
        self.transaction(move |tx| {
            change(
                tx,
                "INSERT INTO panel_sign_in_links (token_hash, email, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    link.token_hash,
                    link.email,
                    time(link.created_at),
                    time(link.expires_at)
                ],
            )
            .map(drop)
        })
        .await
    }

    async fn take_sign_in_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SignInLink>, StoreError> {
        let token_hash = token_hash.to_owned();
        // One statement finds and deletes the link: whoever runs it second
        // finds nothing.
        self.transaction(move |tx| {
            query_one(
                tx,
                "DELETE FROM panel_sign_in_links WHERE token_hash = ?1 AND expires_at > ?2
                 RETURNING token_hash, email, created_at, expires_at",
                params![token_hash, time(now)],
                read_link,
            )
        })
        .await
    }

    async fn put_session(
        &self,
        session: &Session,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let session = session.clone();
        self.transaction(move |tx| {
            change(
                tx,
                "INSERT INTO panel_sessions (id_hash, email, created_at, last_seen, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    session.id_hash,
                    session.email,
                    time(session.created_at),
                    time(session.last_seen),
                    time(expires_at)
                ],
            )
            .map(drop)
        })
        .await
    }

    async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let id_hash = id_hash.to_owned();
        self.transaction(move |tx| {
            query_one(
                tx,
                "SELECT id_hash, email, created_at, last_seen FROM panel_sessions
                 WHERE id_hash = ?1 AND expires_at > ?2",
                params![id_hash, time(now)],
                read_session,
            )
        })
        .await
    }

    async fn touch_session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let id_hash = id_hash.to_owned();
        // An update, never an insert: an ended session has no row left.
        self.transaction(move |tx| {
            change(
                tx,
                "UPDATE panel_sessions SET last_seen = ?2 WHERE id_hash = ?1",
                params![id_hash, time(now)],
            )
            .map(drop)
        })
        .await
    }

    async fn end_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        let id_hash = id_hash.to_owned();
        self.transaction(move |tx| {
            let sql = "DELETE FROM panel_sessions WHERE id_hash = ?1";
            Ok(change(tx, sql, params![id_hash])? > 0)
        })
        .await
    }

    async fn end_sessions_of(&self, email: &str) -> Result<u64, StoreError> {
        let email = email.to_owned();
        self.transaction(move |tx| {
            change(
                tx,
                "DELETE FROM panel_sessions WHERE email = ?1",
                params![email],
            )
        })
        .await
    }

    async fn put_account(&self, account: &Account) -> Result<(), StoreError> {
        let account = account.clone();
        self.transaction(move |tx| {
            change(
                tx,
                &format!(
                    "INSERT OR REPLACE INTO panel_accounts ({ACCOUNT_COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5)"
                ),
                params![
                    account.email,
                    account.role.as_str(),
                    account.area,
                    account.added_by,
                    account.added_at.map(time)
                ],
            )
            .map(drop)
        })
        .await
    }

    async fn account(&self, email: &str) -> Result<Option<Account>, StoreError> {
        let email = email.to_owned();
        self.transaction(move |tx| {
            query_one(
                tx,
                &format!("SELECT {ACCOUNT_COLUMNS} FROM panel_accounts WHERE email = ?1"),
                params![email],
                read_account,
            )
        })
        .await
    }

    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.transaction(move |tx| {
            query_all(
                tx,
                &format!("SELECT {ACCOUNT_COLUMNS} FROM panel_accounts ORDER BY email"),
                [],
                read_account,
            )
        })
        .await
    }

    async fn remove_account(&self, email: &str) -> Result<bool, StoreError> {
        let email = email.to_owned();
        self.transaction(move |tx| {
            let sql = "DELETE FROM panel_accounts WHERE email = ?1";
            Ok(change(tx, sql, params![email])? > 0)
        })
        .await
    }

    async fn append_audit(
        &self,
        entry: &AuditEntry,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.transaction(move |tx| {
            change(
                tx,
                "INSERT INTO panel_audit (at, actor, action, form_id, reference, detail, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    time(entry.at),
                    entry.actor,
                    entry.action.as_str(),
                    entry.form_id,
                    entry.reference,
                    entry.detail,
                    time(expires_at)
                ],
            )
            .map(drop)
        })
        .await
    }

    async fn audit_log(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.transaction(move |tx| {
            query_all(
                tx,
                "SELECT at, actor, action, form_id, reference, detail FROM panel_audit
                 WHERE expires_at > ?1 ORDER BY at DESC, id DESC LIMIT ?2",
                params![time(now), limit],
                read_audit,
            )
        })
        .await
    }

    async fn purge_panel(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let purging = self.transaction(move |tx| {
            let mut removed = 0;
            for table in EXPIRING {
                let sql = format!("DELETE FROM {table} WHERE expires_at <= ?1");
                removed += change(tx, &sql, params![time(now)])?;
            }
            Ok(removed)
        });
        let removed = purging.await?;
        // As the registrations' purge: no copy of what ended stays in the
        // write-ahead log.
        if removed > 0 {
            self.erased().await;
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rusqlite::Connection;

    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0)
            .single()
            .expect("a valid time")
    }

    #[test]
    fn a_store_written_before_the_workspace_gets_its_tables() {
        let folder = tempfile::tempdir().expect("a folder");
        let path = folder.path().join("old.sqlite3");
        Connection::open(&path)
            .expect("opened")
            .execute_batch(super::super::SCHEMA)
            .expect("the schema without the workspace");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let zofia = Account {
            email: "zofia@example.pl".to_owned(),
            role: Role::Ambassador,
            area: Some("XIII".to_owned()),
            added_by: Some("biuro@example.pl".to_owned()),
            added_at: Some(at(8)),
        };
        runtime.block_on(async {
            let store = SqliteStore::open(&path).expect("opened again");
            store.put_account(&zofia).await.expect("added");
            let link = SignInLink {
                token_hash: "h".to_owned(),
                email: zofia.email.clone(),
                created_at: at(9),
                expires_at: at(10),
            };
            store.put_sign_in_link(&link).await.expect("kept");
            let taken = store.take_sign_in_link("h", at(9)).await.expect("taken");
            assert_eq!(taken, Some(link));
        });
        runtime.block_on(async {
            let store = SqliteStore::open(&path).expect("opened a third time");
            let accounts = store.accounts().await.expect("listed");
            assert_eq!(accounts, [zofia], "kept across openings");
        });
    }
}
