//! What the stores keep of each idea: its [`IdeaRecord`], saved only over
//! the version it was read at.

use std::future::Future;

use super::IdeaRecord;
use crate::store::StoreError;

pub trait IdeaRecords: Send + Sync {
    /// The record of the idea sent as registration `reference` of form
    /// `form_id`, if anything happened to it since it was sent.
    fn idea(
        &self,
        form_id: &str,
        reference: &str,
    ) -> impl Future<Output = Result<Option<IdeaRecord>, StoreError>> + Send;

    /// Saves `record` if the stored record is at `record.version - 1`
    /// (or, for version 1, if there is none): true if saved, false if
    /// someone saved another version first, so that the caller reads it
    /// again and tells its user. The look and the write are one atomic
    /// step. The record ends with its registration: withdrawn or purged,
    /// the registration takes the record with it.
    fn save_idea(
        &self,
        record: &IdeaRecord,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Every record of the form's ideas, sorted by reference.
    fn ideas(
        &self,
        form_id: &str,
    ) -> impl Future<Output = Result<Vec<IdeaRecord>, StoreError>> + Send;
}
