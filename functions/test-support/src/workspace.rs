//! The staff workspace as the tests deploy it: who may sign in, and how.

use agora_core::panel::access::{LINKS_PER_ADDRESS, LINKS_PER_CLIENT};
use agora_core::panel::{AccessSettings, Timeouts};

use crate::fixture;

/// The test deployment's access to the workspace: `office` are its
/// office accounts; times in Warsaw, the default timeouts and limits.
pub fn access_settings(office: &[&str]) -> AccessSettings {
    AccessSettings {
        office: office.iter().map(|email| (*email).to_owned()).collect(),
        public_url: fixture::SITE.to_owned(),
        site_title: "Wspólne Projekty".to_owned(),
        timezone: chrono_tz::Europe::Warsaw,
        key: fixture::SALT.to_owned(),
        timeouts: Timeouts::default(),
        audit_days: 365,
        links_per_address: LINKS_PER_ADDRESS,
        links_per_client: LINKS_PER_CLIENT,
    }
}
