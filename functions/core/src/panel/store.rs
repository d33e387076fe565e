//! What the stores keep for the workspace, next to the registrations and
//! in the same database (SQLite or the one DynamoDB table): sign-in links,
//! sessions, the accounts added from the panel and the audit log. Each
//! record carries when it may be erased; reads treat a record past that
//! moment as gone, as they do expired registrations.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::accounts::Account;
use super::audit::AuditEntry;
use super::sessions::{Session, SignInLink};
use crate::store::StoreError;

pub trait PanelStore: Send + Sync {
    /// Keeps a sign-in link until its `expires_at`.
    fn put_sign_in_link(
        &self,
        link: &SignInLink,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Takes the link whose token hashes to `token_hash`, once: returns it
    /// and deletes it in one atomic step, so two requests with the same
    /// link cannot both sign in. An unknown, used or expired link gives
    /// `None`.
    fn take_sign_in_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<SignInLink>, StoreError>> + Send;

    /// Keeps a new session until `expires_at` (its absolute timeout).
    fn put_session(
        &self,
        session: &Session,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The session whose cookie hashes to `id_hash`, unless it ended or
    /// expired at `now`.
    fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// Records a request of the session at `now` (the idle timeout counts
    /// from it). A session that ended meanwhile stays ended.
    fn touch_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Ends one session (signing out); false if there was none.
    fn end_session(&self, id_hash: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Ends every session of the account (signing out everywhere, or an
    /// account removed); returns how many there were.
    fn end_sessions_of(&self, email: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Adds the account, or replaces the one with its address.
    fn put_account(&self, account: &Account)
        -> impl Future<Output = Result<(), StoreError>> + Send;

    fn account(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;

    /// Every stored account, by address.
    fn accounts(&self) -> impl Future<Output = Result<Vec<Account>, StoreError>> + Send;

    /// Removes the account; false if there was none. Its sessions are not
    /// ended here: [`Self::end_sessions_of`] does that.
    fn remove_account(&self, email: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Appends a line to the audit log, kept until `expires_at`.
    fn append_audit(
        &self,
        entry: &AuditEntry,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The log's lines not expired at `now`, newest first, at most `limit`.
    fn audit_log(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, StoreError>> + Send;

    /// Erases links, sessions and log lines whose time ended (DynamoDB's
    /// TTL does it too, late); returns how many.
    fn purge_panel(
        &self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}
