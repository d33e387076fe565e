//! The nightly purge as the scheduled Lambda function (`src/bin/purge.rs`)
//! runs it: registrations past their retention are erased, with the places
//! they held handed on to the first people waiting
//! ([`Store::purge_expired`]). It runs in the stack's region with a role
//! that reaches the table alone, so no personal data passes through a CI
//! runner or leaves the EU. `agora serve` purges on its own (hourly).

use chrono::{DateTime, Utc};

use crate::store::{Store, StoreError};

/// What a purge did: a count, no personal data (it is logged and returned
/// to Lambda).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    pub erased: u64,
}

/// Erases what expired by `now`. A failure is returned, so that Lambda
/// counts an error and the alarm tells staff; the next run catches up,
/// and DynamoDB's TTL erases expired items meanwhile.
pub async fn purge<S: Store>(store: &S, now: DateTime<Utc>) -> Result<Purged, StoreError> {
    let erased = store.purge_expired(now).await?;
    Ok(Purged { erased })
}
