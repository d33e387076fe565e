//! The resident's side: their idea's private page and their one reply.
//!
//! The page opens with the key of a link e-mailed with a unit's answer
//! (`?klucz=`). Whatever is wrong (no such form, reference or record, a
//! withdrawn registration, a key of another idea or none) reads the same:
//! not found, so that neither a key nor a reference can be probed.
//!
//! The reply is the whole revised version of the form's `revisable`
//! fields, checked by the form's own rules; the record takes it once,
//! saved over the version it was read at, and the verifiers of the unit
//! that answered are told as at an assignment ([`tell_unit`]), by an
//! e-mail naming no one.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::work::{tell_unit, Desk};
use super::{IdeaRecord, IdeaRecords, Refusal, Stage};
use crate::forms::{self, FieldError, FormDefinition, Submission};
use crate::mail::Mailer;
use crate::panel::PanelStore;
use crate::registration::{token_hash, Registration, Status};
use crate::service::Service;
use crate::store::{Store, StoreError};

/// An idea as its private page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdeaPage {
    pub registration: Registration,
    pub record: IdeaRecord,
}

impl IdeaPage {
    /// The idea's values as they stand: the answers sent, with the
    /// resident's revision over them.
    pub fn latest_values(&self) -> BTreeMap<String, String> {
        let mut values = self.registration.values.clone();
        if let Some(revision) = self.record.revision() {
            values.extend(revision.clone());
        }
        values
    }

    /// Whether the resident may reply now.
    pub fn may_reply(&self) -> bool {
        self.record.stage() == Stage::Answered
    }
}

/// What became of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replied {
    /// Saved: the page as it is now.
    Saved(IdeaPage),
    /// Values the form does not take, by field; nothing saved. The page
    /// as it is, to show the reply's form again.
    Invalid {
        page: IdeaPage,
        errors: Vec<FieldError>,
    },
    /// Fields that are not the form's revisable ones were sent; nothing saved.
    NotRevisable(Vec<String>),
    /// No reply is possible now (one was sent already, or no answer yet).
    Refused(Refusal),
    /// Someone changed the idea meanwhile (an answer, a reply from
    /// another window): nothing saved, the resident tries again.
    Conflict,
    /// The same for every reason: see the module's documentation.
    NotFound,
}

/// The idea sent as `reference` of `form`, if `key` opens its page.
pub async fn open<S: Store + IdeaRecords>(
    store: &S,
    form: &FormDefinition,
    reference: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<IdeaPage>, StoreError> {
    if form.preverification.is_none() || key.is_empty() {
        return Ok(None);
    }
    // The record first: a wrong key and an unknown reference then cost
    // the same single read.
    let Some(record) = store.idea(&form.id, reference).await? else {
        return Ok(None);
    };
    if !record.opens_with(&token_hash(key)) {
        return Ok(None);
    }
    let registration = store.find(&form.id, reference, now).await?;
    Ok(registration
        .filter(|r| !matches!(r.status, Status::Withdrawn | Status::Spam))
        .map(|registration| IdeaPage {
            registration,
            record,
        }))
}

/// The resident's reply to the answer on the page `key` opens: `revised`
/// holds the revisable fields (any other is refused), each as typed; one
/// left out counts as emptied.
pub async fn reply<S, M>(
    service: &Service<S, M>,
    form: &FormDefinition,
    reference: &str,
    key: &str,
    revised: &Submission,
    now: DateTime<Utc>,
) -> Result<Replied, StoreError>
where
    S: Store + IdeaRecords + PanelStore,
    M: Mailer,
{
    let store = service.store();
    let Some(page) = open(store, form, reference, key, now).await? else {
        return Ok(Replied::NotFound);
    };
    let reply_form = reply_form(form);
    let foreign: Vec<String> = revised
        .values
        .keys()
        .filter(|name| !reply_form.fields.iter().any(|f| &f.name == *name))
        .cloned()
        .collect();
    if !foreign.is_empty() {
        return Ok(Replied::NotRevisable(foreign));
    }
    // The record's own rule decides first: a second reply is refused
    // whatever its values.
    if let Err(refusal) = page.record.revise(BTreeMap::new(), now) {
        return Ok(Replied::Refused(refusal));
    }
    let fields = match checked(&reply_form, revised) {
        Ok(fields) => fields,
        Err(errors) => return Ok(Replied::Invalid { page, errors }),
    };
    let next = match page.record.revise(fields, now) {
        Ok(next) => next,
        Err(refusal) => return Ok(Replied::Refused(refusal)),
    };
    if !store.save_idea(&next).await? {
        return raced(store, form, reference, now).await;
    }
    // The reply stands whatever the e-mails come to: they log their failures.
    let desk = Desk {
        store,
        mailer: service.mailer(),
        settings: service.settings(),
        now,
    };
    tell_unit(&desk, form, &next).await;
    Ok(Replied::Saved(IdeaPage {
        registration: page.registration,
        record: next,
    }))
}

/// The form of the reply: the form's revisable fields alone, in its
/// order, with their own checks and markup, and no consents (those were
/// given when the idea was sent).
pub fn reply_form(form: &FormDefinition) -> FormDefinition {
    let revisable = form
        .preverification
        .as_ref()
        .map(|p| p.revisable.as_slice())
        .unwrap_or_default();
    let mut reply = form.clone();
    reply.fields.retain(|f| revisable.contains(&f.name));
    reply.consents.clear();
    reply
}

/// The revision in the form's normal form, checked by the form's own
/// rules; every revisable field is in it, an emptied optional one as
/// empty, so that it replaces the value sent.
fn checked(
    reply_form: &FormDefinition,
    revised: &Submission,
) -> Result<BTreeMap<String, String>, Vec<FieldError>> {
    let mut accepted = forms::validate(reply_form, revised)?.values;
    Ok(reply_form
        .fields
        .iter()
        .map(|f| (f.name.clone(), accepted.remove(&f.name).unwrap_or_default()))
        .collect())
}

/// After a save lost to another: the reply is refused if the idea no
/// longer takes one, else the resident is asked to try again.
async fn raced<S: IdeaRecords>(
    store: &S,
    form: &FormDefinition,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<Replied, StoreError> {
    let Some(current) = store.idea(&form.id, reference).await? else {
        return Ok(Replied::NotFound);
    };
    Ok(match current.revise(BTreeMap::new(), now) {
        Err(refusal) => Replied::Refused(refusal),
        Ok(_) => Replied::Conflict,
    })
}
