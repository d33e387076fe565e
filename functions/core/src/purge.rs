//! The nightly purge as the scheduled Lambda function (`src/bin/purge.rs`)
//! runs it: registrations past their retention are erased, with the places
//! they held handed on to the first people waiting
//! ([`Store::purge_expired`]), and so are the staff workspace's sign-in
//! links, sessions and audit lines whose time ended
//! ([`PanelStore::purge_panel`]); an appointed ambassador erased so leaves
//! the public list, published again ([`purge_and_republish`]). It runs in
//! the stack's region, so no personal data passes through a CI runner or
//! leaves the EU. `agora serve` purges on its own (hourly).

use std::borrow::Borrow;
use std::fmt;

use chrono::{DateTime, Utc};

use crate::forms::FormDefinition;
use crate::panel::ambassadors::{self, applications_form, ListKeeper};
use crate::panel::{PanelStore, StaffRecords};
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

/// As [`purge`]; then, if it erased the application of an appointed
/// ambassador (its decision goes with it), the public list of `forms`'
/// form of applications published again through `keeper`, whose failure
/// is its own to report: the purge is done.
pub async fn purge_and_republish<S, F>(
    store: &S,
    forms: &[F],
    keeper: &ListKeeper,
    now: DateTime<Utc>,
) -> Result<Purged, StoreError>
where
    S: Store + PanelStore + StaffRecords,
    F: Borrow<FormDefinition>,
{
    let Some(form) = applications_form(forms).map(Borrow::borrow) else {
        return purge(store, now).await;
    };
    let before = ambassadors::appointed(form, store).await?;
    // A purge that failed half way may have erased some: looked at too.
    let purged = purge(store, now).await;
    let after = match ambassadors::appointed(form, store).await {
        Ok(after) => after,
        Err(error) => return purged.and(Err(error)),
    };
    if !before.is_subset(&after) {
        keeper.republish(form, store, "the purge", now).await;
    }
    purged
}
