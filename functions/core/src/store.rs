//! Where registrations live. The trait speaks the domain (insert a
//! registration, confirm it, withdraw it); each backend keeps uniqueness
//! and capacity exact under any concurrency: SQLite in one transaction,
//! DynamoDB with conditional writes in transactions.
//!
//! Expiry: a registration whose `expires_at` is not after `now` is gone
//! for every read (found, counted, listed, matched as a duplicate,
//! promoted), though it may still be stored: DynamoDB's TTL erases late
//! and SQLite erases only when purged. Its place is held until the purge
//! erases it and hands the place on, so that freed places always go to
//! the waiting list first, in order.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::registration::{Admission, MailProblem, NewRegistration, Registration, Status};

/// How long a request count (a salted hash of a client's address and a
/// window's start, [`Store::allow_request`]) is kept before the purge, or
/// DynamoDB's TTL, deletes it. The privacy page says so.
pub const REQUEST_COUNTS_KEPT_DAYS: i64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached or answered with an error: worth a retry.
    /// The text is for the staff commands and tests; the functions never
    /// log it (a backend's message might quote what was being written).
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The store refused a request with an error code (DynamoDB's
    /// `AccessDeniedException`, `ResourceNotFoundException`, …): usually a
    /// deployment mistake, so the functions log the operation and the
    /// code, which hold no personal data; the message is for the staff
    /// commands only.
    #[error("the store refused {operation}: {code}: {message}")]
    Refused {
        operation: String,
        code: String,
        message: String,
    },
    /// The reference is taken by another registration: draw a new one.
    #[error("the reference is already used")]
    ReferenceTaken,
    /// Stored data that cannot be read back (a bug or a manual edit).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// The outcome of an insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// Stored (and, when admitted at once, decided).
    New(Registration),
    /// The same person (unique key) already registered: nothing changed.
    Existing(Registration),
}

/// The outcome of a withdrawal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawn {
    pub reference: String,
    /// The first person on the waiting list, given the freed place.
    pub promoted: Option<Registration>,
}

/// The public state of a form: no personal data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub pending: u64,
    /// Holding a place (first-come) or selected by the draw.
    pub taken: u64,
    pub waiting: u64,
    /// Confirmed lottery applications before the draw.
    pub applied: u64,
}

impl Counts {
    /// Counts `n` registrations of `status` where the public counts put
    /// them (withdrawn and spam count nowhere): one rule for every store.
    pub fn add(&mut self, status: Status, n: u64) {
        match status {
            Status::Pending => self.pending += n,
            Status::Registered | Status::Selected => self.taken += n,
            Status::Waiting | Status::Reserve => self.waiting += n,
            Status::Applied => self.applied += n,
            Status::Withdrawn | Status::Spam => {}
        }
    }
}

/// Who gets a place freed by a registration of `status`: the first not
/// expired of those listed with the returned status, given the second
/// (a first-come place to the waiting list, a drawn place to the reserve
/// list). `None`: the place is not handed on. One rule for every store.
pub fn next_in_line(status: Status) -> Option<(Status, Status)> {
    match status {
        Status::Registered => Some((Status::Waiting, Status::Registered)),
        Status::Selected => Some((Status::Reserve, Status::Selected)),
        _ => None,
    }
}

/// A moment as every store writes it: RFC 3339 in UTC to the microsecond,
/// so that text order is time order (stores compare and sort the text).
pub fn encode_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A stored moment read back; anything else is corrupt data.
pub fn decode_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("time `{text}`: {e}")))
}

/// A form's draw as the store keeps it: enough to tell it from another
/// draw, and what it gave. References only, no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawRecord {
    pub seed: String,
    /// The SHA-256 of the published list drawn from, in lowercase hex.
    pub list_sha256: String,
    pub places: u64,
    pub winners: Vec<String>,
    /// In reserve-list order.
    pub reserve: Vec<String>,
    pub drawn_at: DateTime<Utc>,
}

impl DrawRecord {
    /// The same seed, list and number of places give the same result, so
    /// such a draw may be run again to finish recording it.
    pub fn is_same_draw(&self, other: &Self) -> bool {
        self.seed == other.seed
            && self.list_sha256 == other.list_sha256
            && self.places == other.places
    }
}

/// What recording a draw came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrawRecorded {
    /// The draw is recorded and every registration it decides is changed;
    /// the record is the stored one (the first run's time, when resumed).
    Done(DrawRecord),
    /// Another draw of the form was recorded before (this one): nothing
    /// changed.
    Refused(DrawRecord),
}

pub trait Store: Send + Sync {
    /// Stores `new` unless the form already has a registration with its
    /// unique key that has not expired at `new.created_at` (then returns
    /// that one, unchanged). With `admit`, the
    /// registration counts at once and is decided in the same atomic step
    /// (a place, the waiting list or an application); without, it waits
    /// as `Pending` for confirmation. Spam is stored as `Spam`, undecided.
    /// A first-come newcomer never takes a place while someone waits.
    fn insert(
        &self,
        new: NewRegistration,
        admit: Option<Admission>,
    ) -> impl Future<Output = Result<Inserted, StoreError>> + Send;

    /// Confirms the pending registration of `form_id` whose confirmation
    /// token hashes to `token_hash`, and decides it as `admit` says.
    /// Confirming again returns the registration as it is; an unknown
    /// token gives `None`.
    fn confirm(
        &self,
        form_id: &str,
        token_hash: &str,
        admit: Admission,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Registration>, StoreError>> + Send;

    /// Withdraws the registration whose withdrawal token hashes to
    /// `token_hash`: erases its personal data, frees its place and gives
    /// it to the first person waiting, in one atomic step. An unknown or
    /// already used token gives `None`.
    fn withdraw(
        &self,
        form_id: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Withdrawn>, StoreError>> + Send;

    /// Gives the registration `reference` new links, for a person who
    /// lost the first e-mail: the withdrawal token becomes
    /// `withdraw_token_hash` and, while the registration waits for
    /// confirmation, the confirmation token becomes `confirm_token_hash`;
    /// the replaced links stop working. A withdrawn, spam or unknown
    /// registration gives `None`.
    fn renew_tokens(
        &self,
        form_id: &str,
        reference: &str,
        confirm_token_hash: &str,
        withdraw_token_hash: &str,
    ) -> impl Future<Output = Result<Option<Registration>, StoreError>> + Send;

    /// The registration, unless it has expired at `now`.
    fn find(
        &self,
        form_id: &str,
        reference: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Registration>, StoreError>> + Send;

    /// The counts of the registrations that have not expired at `now`.
    fn counts(
        &self,
        form_id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Counts, StoreError>> + Send;

    /// Marks the registration's address as one that mail cannot reach (a
    /// permanent bounce) or whose owner reported our mail as spam (a
    /// complaint), as SES reported: staff see it and nothing more is sent
    /// there. A complaint stays a complaint. False when the registration
    /// is unknown, withdrawn or spam.
    fn mark_mail_problem(
        &self,
        form_id: &str,
        reference: &str,
        problem: MailProblem,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The places of a first-come form that its admissions count as
    /// taken, expired ones included until the purge hands them on: what
    /// the form's public status shows (places left). One small read, not
    /// a count over the registrations, since every page view of an open
    /// form asks for it; not strongly consistent, as it is only shown.
    fn places_taken(&self, form_id: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Every registration of the form that has not expired, oldest first.
    fn list(
        &self,
        form_id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Registration>, StoreError>> + Send;

    /// The draw recorded for the form, if one was.
    fn draw_record(
        &self,
        form_id: &str,
    ) -> impl Future<Output = Result<Option<DrawRecord>, StoreError>> + Send;

    /// Records the form's draw, once: the record is stored only if the
    /// form has none, then its winners get places and its reserve the
    /// reserve list in order (only `Applied` registrations change). When
    /// the same draw ([`DrawRecord::is_same_draw`]) is recorded already,
    /// this finishes its changes to registrations, as a draw interrupted
    /// half-way needs; another draw is refused and changes nothing.
    fn record_draw(
        &self,
        form_id: &str,
        draw: &DrawRecord,
    ) -> impl Future<Output = Result<DrawRecorded, StoreError>> + Send;

    /// Erases registrations whose retention period ended; returns how many.
    /// Each place an erased first-come registration held goes to the first
    /// person still waiting, in the same atomic step.
    fn purge_expired(
        &self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Counts one request of `key` (a hashed client address) in the
    /// window starting at `window_start`; false when over `limit`.
    fn allow_request(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        limit: u32,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
