//! The records of ideas, in the form's partition beside their
//! registrations (the item is listed in `mod.rs`): the record as JSON in
//! `body`, its version in `version`, written only by a transaction whose
//! condition is the version before, so that of two saves of one version
//! one wins. A record ends with its registration: it carries the
//! registration's `ttl`, and the withdrawal and the purge delete it in
//! their transactions.

use agora_core::ideas::{IdeaRecord, IdeaRecords};
use agora_core::registration::Status;
use agora_core::store::StoreError;

use super::items::*;
use super::transactions::{Backoff, Outcome, Role, Write};
use super::DynamoStore;

/// The record as JSON: one string attribute, whatever the record holds.
const BODY: &str = "body";
/// The record's version, beside it so that conditions can read it.
const VERSION: &str = "version";

impl IdeaRecords for DynamoStore {
    async fn idea(&self, form_id: &str, reference: &str) -> Result<Option<IdeaRecord>, StoreError> {
        self.get(&form_pk(form_id), &idea_sk(reference))
            .await?
            .map(|item| read_idea(&item))
            .transpose()
    }

    async fn save_idea(&self, record: &IdeaRecord) -> Result<bool, StoreError> {
        let mut backoff = Backoff::default();
        loop {
            let Some(writes) = self.idea_writes(record).await? else {
                return Ok(false);
            };
            match self.transact(writes).await? {
                Outcome::Committed => return Ok(true),
                // Another version was saved first, or the registration
                // was withdrawn meanwhile.
                Outcome::Failed(..) => return Ok(false),
                Outcome::Contended => backoff.conflict("save_idea").await?,
            }
        }
    }

    async fn ideas(&self, form_id: &str) -> Result<Vec<IdeaRecord>, StoreError> {
        // The sort key ends with the reference: the query reads in its order.
        self.query(&form_pk(form_id), IDEA, None)
            .await?
            .iter()
            .map(read_idea)
            .collect()
    }
}

impl DynamoStore {
    /// The writes that save `record` over the version before it; `None`
    /// when nothing can be saved (version 0, or a first record whose
    /// registration is gone, withdrawn or spam).
    async fn idea_writes(&self, record: &IdeaRecord) -> Result<Option<Vec<Write>>, StoreError> {
        match record.version {
            0 => Ok(None),
            1 => self.first_idea_writes(record).await,
            version => Ok(Some(vec![next_idea_write(record, version)])),
        }
    }

    /// A first record, put where none is, while its registration is as it
    /// was read: checked in the same transaction, as a record saved after
    /// the withdrawal would outlive it. It is given the registration's
    /// `ttl`, which no later version changes.
    async fn first_idea_writes(
        &self,
        record: &IdeaRecord,
    ) -> Result<Option<Vec<Write>>, StoreError> {
        let pk = form_pk(&record.form_id);
        let Some(stored) = self.stored(&pk, &record.reference).await? else {
            return Ok(None);
        };
        let registration = stored.registration;
        if matches!(registration.status, Status::Withdrawn | Status::Spam) {
            return Ok(None);
        }
        let live = Write::check(
            Role::Registration,
            key(&pk, &registration_sk(&record.reference)),
        )
        .when("#status = :seen")
        .value(":seen", s(registration.status.as_str()));
        let mut item = key(&pk, &idea_sk(&record.reference));
        item.extend([
            (VERSION.to_owned(), number_value(1)),
            (BODY.to_owned(), s(&record.to_json())),
            (
                TTL.to_owned(),
                number_value(registration.expires_at.timestamp()),
            ),
        ]);
        let first = Write::put(Role::Other, item).when("attribute_not_exists(#pk)");
        Ok(Some(vec![live, first]))
    }
}

/// A later version, over the one before it: an update, which keeps the
/// item's `ttl`, and fails where the item is gone with its registration.
fn next_idea_write(record: &IdeaRecord, version: u64) -> Write {
    let key = key(&form_pk(&record.form_id), &idea_sk(&record.reference));
    Write::update(Role::Other, key, "SET #version = :version, #body = :body")
        .when("#version = :previous")
        .value(":version", number_value(version))
        .value(":body", s(&record.to_json()))
        .value(":previous", number_value(version - 1))
}

fn read_idea(item: &Item) -> Result<IdeaRecord, StoreError> {
    IdeaRecord::from_json(text(item, BODY)?)
        .map_err(|e| StoreError::Corrupt(format!("an idea's record: {e}")))
}
