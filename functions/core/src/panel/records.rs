//! What staff decide and publish in the workspace, kept by the stores
//! next to the registrations: the office's decision on each ambassador
//! application, and each lottery form's published list of applications
//! (the list the draw is made from) with whether its results were
//! e-mailed. References only: no personal data.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::store::StoreError;

/// What the office decided about an application to be an ambassador.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Appointed: appears on the public list if they consented to it.
    Appointed,
    /// Not appointed.
    Declined,
    /// Appointed once, now dismissed: off the public list.
    Dismissed,
}

impl Decision {
    const ALL: [Self; 3] = [Self::Appointed, Self::Declined, Self::Dismissed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Appointed => "appointed",
            Self::Declined => "declined",
            Self::Dismissed => "dismissed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

/// The latest decision on one application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub form_id: String,
    pub reference: String,
    pub decision: Decision,
    /// The office account that decided (its work address).
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

/// A lottery form's list of applications as published before its draw:
/// the exact text ([`crate::lottery::PublishedList::to_text`]) that anyone
/// can download and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredList {
    pub form_id: String,
    pub text: String,
    /// The text's SHA-256, lowercase hex.
    pub sha256: String,
    pub published_by: String,
    pub published_at: DateTime<Utc>,
}

/// What publishing a list came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListPublished {
    /// Stored now.
    Done(StoredList),
    /// A list of the form was published before: it stays, unchanged.
    Already(StoredList),
}

pub trait StaffRecords: Send + Sync {
    /// Records the decision on an application, replacing an earlier one.
    /// It ends with the application: the purge that erases the
    /// registration erases the decision too (a withdrawal does not).
    fn put_appointment(
        &self,
        appointment: &Appointment,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The decisions on the form's applications, sorted by reference. A
    /// decision on a registration withdrawn, or past its expiry and not yet
    /// purged, is among them: read the registration before showing it.
    fn appointments(
        &self,
        form_id: &str,
    ) -> impl Future<Output = Result<Vec<Appointment>, StoreError>> + Send;

    /// Stores the form's published list, once: a form that has one keeps
    /// it (two office workers pressing the button at once publish one),
    /// and the caller is given it. The text comes back byte for byte.
    fn publish_list(
        &self,
        list: &StoredList,
    ) -> impl Future<Output = Result<ListPublished, StoreError>> + Send;

    /// Stores the form's list in place of the one published before, only
    /// while the form has no draw recorded: true if stored, false if a draw
    /// was recorded (its list stays, as the draw used it). The look at the
    /// draw and the write are one atomic step, so a draw recorded at the
    /// same moment either sees the new list or keeps the old one.
    fn replace_list(
        &self,
        list: &StoredList,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The form's published list, if there is one.
    fn published_list(
        &self,
        form_id: &str,
    ) -> impl Future<Output = Result<Option<StoredList>, StoreError>> + Send;

    /// Notes that the form's draw results were e-mailed, once: true the
    /// first time, false if they were noted before, so that a second press
    /// (or a second office worker) sends nothing twice.
    fn note_results_mailed(
        &self,
        form_id: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Takes back the note of [`Self::note_results_mailed`], for a
    /// sending that failed before any message went, so that it can be
    /// tried again. Never after a message went: that would send it twice.
    fn clear_results_mailed(
        &self,
        form_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// When the form's draw results were e-mailed, if they were.
    fn results_mailed(
        &self,
        form_id: &str,
    ) -> impl Future<Output = Result<Option<DateTime<Utc>>, StoreError>> + Send;

    /// Notes that what the form publishes on the site (its public list)
    /// may be out of date since `since`, keeping an earlier note; `None`
    /// clears the note once it is published. It is set before publishing
    /// and cleared after, so a publishing that failed, or never finished,
    /// leaves it for the office to see.
    fn set_list_outdated(
        &self,
        form_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Since when the form's public list may be out of date, if it may.
    fn list_outdated(
        &self,
        form_id: &str,
    ) -> impl Future<Output = Result<Option<DateTime<Utc>>, StoreError>> + Send;
}
