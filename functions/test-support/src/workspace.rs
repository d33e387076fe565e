//! The staff workspace as the tests deploy it: who may sign in, and how.

use agora_core::panel::access::{LINKS_PER_ADDRESS, LINKS_PER_CLIENT};
use agora_core::panel::{AccessSettings, Account, PanelStore, Role, Timeouts};
use chrono::{DateTime, Utc};

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

/// Stores the account of `email` as office adds it at `at` (an
/// ambassador's area or a verifier's unit in `area`).
pub async fn add_account<S: PanelStore>(
    store: &S,
    (email, role, area): (&str, Role, Option<&str>),
    added_by: &str,
    at: DateTime<Utc>,
) {
    let account = Account {
        email: email.to_owned(),
        role,
        area: area.map(str::to_owned),
        added_by: Some(added_by.to_owned()),
        added_at: Some(at),
    };
    store
        .put_account(&account)
        .await
        .expect("the account stored");
}

/// The key of the idea's private-page link in an e-mail `mail` about
/// idea `reference` of form `form`, sent from the test site.
pub fn idea_link_key(mail: &str, form: &str, reference: &str) -> String {
    let link = format!(
        "{}{}?{}=",
        fixture::SITE,
        agora_core::routes::idea(form, reference),
        agora_core::ideas::mail::KEY_PARAMETER
    );
    let start = mail.find(&link).expect("the link") + link.len();
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect()
}
