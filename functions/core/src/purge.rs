//! The nightly purge as the scheduled Lambda function (`src/bin/purge.rs`)
//! runs it: registrations past their retention are erased, with the places
//! they held handed on to the first people waiting
//! ([`Store::purge_expired`]), and so are the staff workspace's sign-in
//! links, sessions and audit lines whose time ended
//! ([`PanelStore::purge_panel`]). It runs in the stack's region with a role
//! that reaches the table alone, so no personal data passes through a CI
//! runner or leaves the EU. `agora serve` purges on its own (hourly).

use std::fmt;

use chrono::{DateTime, Utc};

use crate::panel::PanelStore;
use crate::store::{Store, StoreError};

/// What a purge did: counts, no personal data (it is logged and returned
/// to Lambda).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    /// Registrations.
    pub erased: u64,
    /// The workspace's links, sessions and audit lines.
    pub panel_erased: u64,
}

impl fmt::Display for Purged {
    /// As the logs say it: `erased 3 expired registrations and 2 ended …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "erased {} expired registrations and {} ended sign-in links, sessions and audit lines",
            self.erased, self.panel_erased
        )
    }
}

/// Erases what expired by `now`. A failure is returned, so that Lambda
/// counts an error and the alarm tells staff; the next run catches up,
/// and DynamoDB's TTL erases expired items meanwhile.
pub async fn purge<S: Store + PanelStore>(
    store: &S,
    now: DateTime<Utc>,
) -> Result<Purged, StoreError> {
    let erased = store.purge_expired(now).await?;
    let panel_erased = store.purge_panel(now).await?;
    Ok(Purged {
        erased,
        panel_erased,
    })
}
