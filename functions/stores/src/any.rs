//! One of the real stores, chosen at run time (by `agora` options or a
//! Lambda's environment): every call, of the registrations and of the
//! staff workspace (its accounts and log, and what staff decide and
//! publish) and of ideas, goes to the chosen one.

use chrono::{DateTime, Utc};

use crate::dynamodb::DynamoStore;
use crate::sqlite::SqliteStore;
use agora_core::ideas::{IdeaRecord, IdeaRecords};
use agora_core::panel::{Account, AuditEntry, PanelStore, Session, SignInLink};
use agora_core::panel::{Appointment, ListPublished, StaffRecords, StoredList};
use agora_core::registration::{Admission, MailProblem, NewRegistration, Registration};
use agora_core::store::{Counts, DrawRecord, DrawRecorded, Inserted, Store, StoreError, Withdrawn};

#[derive(Debug, Clone)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Dynamo(DynamoStore),
}

impl AnyStore {
    /// For a program about to stop: the embedded store empties its
    /// write-ahead log, which can hold copies of erased registrations,
    /// into its database file (DynamoDB has nothing to do). False when
    /// another program reading the file kept it from finishing; the next
    /// opening of the store does it.
    pub async fn close(&self) -> Result<bool, StoreError> {
        match self {
            Self::Sqlite(store) => store.checkpoint().await,
            Self::Dynamo(_) => Ok(true),
        }
    }
}

/// Calls `$call` on whichever store this is.
macro_rules! each {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call.await,
            AnyStore::Dynamo($store) => $call.await,
        }
    };
}

impl Store for AnyStore {
    async fn insert(
        &self,
        new: NewRegistration,
        admit: Option<Admission>,
    ) -> Result<Inserted, StoreError> {
        each!(self, store => store.insert(new, admit))
    }

    async fn confirm(
        &self,
        form_id: &str,
        token_hash: &str,
        admit: Admission,
        now: DateTime<Utc>,
    ) -> Result<Option<Registration>, StoreError> {
        each!(self, store => store.confirm(form_id, token_hash, admit, now))
    }

    async fn withdraw(
        &self,
        form_id: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Withdrawn>, StoreError> {
        each!(self, store => store.withdraw(form_id, token_hash, now))
    }

    async fn renew_tokens(
        &self,
        form_id: &str,
        reference: &str,
        confirm_token_hash: &str,
        withdraw_token_hash: &str,
    ) -> Result<Option<Registration>, StoreError> {
        each!(self, store => store.renew_tokens(form_id, reference, confirm_token_hash, withdraw_token_hash))
    }

    async fn find(
        &self,
        form_id: &str,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Registration>, StoreError> {
        each!(self, store => store.find(form_id, reference, now))
    }

    async fn counts(&self, form_id: &str, now: DateTime<Utc>) -> Result<Counts, StoreError> {
        each!(self, store => store.counts(form_id, now))
    }

    async fn mark_mail_problem(
        &self,
        form_id: &str,
        reference: &str,
        problem: MailProblem,
    ) -> Result<bool, StoreError> {
        each!(self, store => store.mark_mail_problem(form_id, reference, problem))
    }

    async fn places_taken(&self, form_id: &str) -> Result<u64, StoreError> {
        each!(self, store => store.places_taken(form_id))
    }

    async fn list(
        &self,
        form_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Registration>, StoreError> {
        each!(self, store => store.list(form_id, now))
    }

    async fn draw_record(&self, form_id: &str) -> Result<Option<DrawRecord>, StoreError> {
        each!(self, store => store.draw_record(form_id))
    }

    async fn record_draw(
        &self,
        form_id: &str,
        draw: &DrawRecord,
    ) -> Result<DrawRecorded, StoreError> {
        each!(self, store => store.record_draw(form_id, draw))
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        each!(self, store => store.purge_expired(now))
    }

    async fn allow_request(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, StoreError> {
        each!(self, store => store.allow_request(key, window_start, limit))
    }
}

impl PanelStore for AnyStore {
    async fn put_sign_in_link(&self, link: &SignInLink) -> Result<(), StoreError> {
        each!(self, store => store.put_sign_in_link(link))
    }

    async fn take_sign_in_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SignInLink>, StoreError> {
        each!(self, store => store.take_sign_in_link(token_hash, now))
    }

    async fn put_session(
        &self,
        session: &Session,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        each!(self, store => store.put_session(session, expires_at))
    }

    async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        each!(self, store => store.session(id_hash, now))
    }

    async fn touch_session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        each!(self, store => store.touch_session(id_hash, now))
    }

    async fn end_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        each!(self, store => store.end_session(id_hash))
    }

    async fn end_sessions_of(&self, email: &str) -> Result<u64, StoreError> {
        each!(self, store => store.end_sessions_of(email))
    }

    async fn put_account(&self, account: &Account) -> Result<(), StoreError> {
        each!(self, store => store.put_account(account))
    }

    async fn account(&self, email: &str) -> Result<Option<Account>, StoreError> {
        each!(self, store => store.account(email))
    }

    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        each!(self, store => store.accounts())
    }

    async fn remove_account(&self, email: &str) -> Result<bool, StoreError> {
        each!(self, store => store.remove_account(email))
    }

    async fn append_audit(
        &self,
        entry: &AuditEntry,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        each!(self, store => store.append_audit(entry, expires_at))
    }

    async fn audit_log(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        each!(self, store => store.audit_log(now, limit))
    }

    async fn purge_panel(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        each!(self, store => store.purge_panel(now))
    }
}

impl StaffRecords for AnyStore {
    async fn put_appointment(&self, appointment: &Appointment) -> Result<(), StoreError> {
        each!(self, store => store.put_appointment(appointment))
    }

    async fn appointments(&self, form_id: &str) -> Result<Vec<Appointment>, StoreError> {
        each!(self, store => store.appointments(form_id))
    }

    async fn publish_list(&self, list: &StoredList) -> Result<ListPublished, StoreError> {
        each!(self, store => store.publish_list(list))
    }

    async fn replace_list(&self, list: &StoredList) -> Result<bool, StoreError> {
        each!(self, store => store.replace_list(list))
    }

    async fn published_list(&self, form_id: &str) -> Result<Option<StoredList>, StoreError> {
        each!(self, store => store.published_list(form_id))
    }

    async fn note_results_mailed(
        &self,
        form_id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        each!(self, store => store.note_results_mailed(form_id, at))
    }

    async fn clear_results_mailed(&self, form_id: &str) -> Result<(), StoreError> {
        each!(self, store => store.clear_results_mailed(form_id))
    }

    async fn results_mailed(&self, form_id: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        each!(self, store => store.results_mailed(form_id))
    }

    async fn set_list_outdated(
        &self,
        form_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        each!(self, store => store.set_list_outdated(form_id, since))
    }

    async fn list_outdated(&self, form_id: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        each!(self, store => store.list_outdated(form_id))
    }
}

impl IdeaRecords for AnyStore {
    async fn idea(&self, form_id: &str, reference: &str) -> Result<Option<IdeaRecord>, StoreError> {
        each!(self, store => store.idea(form_id, reference))
    }

    async fn save_idea(&self, record: &IdeaRecord) -> Result<bool, StoreError> {
        each!(self, store => store.save_idea(record))
    }

    async fn ideas(&self, form_id: &str) -> Result<Vec<IdeaRecord>, StoreError> {
        each!(self, store => store.ideas(form_id))
    }
}
