//! What the staff's tests share, through the library and through the
//! `agora` command: registrations put straight into a store, and the
//! counts the forms' list shows.

use std::collections::BTreeMap;

use agora_core::forms::FormDefinition;
use agora_core::registration::{
    new_reference, new_token, token_hash, Admission, ConsentRecord, NewRegistration,
};
use agora_core::store::Store;
use chrono::{DateTime, Duration, Utc};

/// Whether a registration put into a store is confirmed, and so admitted
/// as [`Admission`] says, or waits for its person's confirmation.
#[derive(Debug, Clone, Copy)]
pub enum Confirmation {
    Confirmed(Admission),
    Pending,
}

impl Confirmation {
    /// Confirmed with a place on a form without a limit, or pending.
    pub fn first_come(confirmed: bool) -> Self {
        if confirmed {
            Self::Confirmed(Admission::FirstCome { capacity: None })
        } else {
            Self::Pending
        }
    }
}

/// A registration put into a store: its reference and the token of its
/// withdrawal link.
#[derive(Debug, Clone)]
pub struct Registered {
    pub reference: String,
    pub withdraw: String,
}

/// A confirmed registration to `form` with `values` and `consents` (at
/// the Kraków forms' version), made at `created_at` and kept for a year
/// from then; its reference.
pub async fn register_at<S: Store>(
    store: &S,
    form: &FormDefinition,
    values: &[(&str, &str)],
    consents: &[&str],
    admission: Admission,
    created_at: DateTime<Utc>,
) -> String {
    let confirmed = Confirmation::Confirmed(admission);
    let registered = put_registration(store, &form.id, values, consents, confirmed, created_at);
    registered.await.reference
}

/// As [`register_at`], to the form `form_id`, confirmed or not.
pub async fn put_registration<S: Store>(
    store: &S,
    form_id: &str,
    values: &[(&str, &str)],
    consents: &[&str],
    confirmation: Confirmation,
    created_at: DateTime<Utc>,
) -> Registered {
    let values: BTreeMap<String, String> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let reference = new_reference().expect("randomness");
    let withdraw = new_token().expect("randomness");
    let (confirm_token_hash, admission) = match confirmation {
        Confirmation::Confirmed(admission) => (None, Some(admission)),
        Confirmation::Pending => {
            let confirm = new_token().expect("randomness");
            (Some(token_hash(&confirm)), None)
        }
    };
    let new = NewRegistration {
        form_id: form_id.to_owned(),
        reference: reference.clone(),
        unique_key: values.get("email").cloned().unwrap_or_default(),
        values,
        consents: consents
            .iter()
            .map(|name| ConsentRecord {
                name: (*name).to_owned(),
                version: "2020-02-19".to_owned(),
                given_at: created_at,
            })
            .collect(),
        confirm_token_hash,
        withdraw_token_hash: token_hash(&withdraw),
        spam: None,
        created_at,
        expires_at: created_at + Duration::days(365),
    };
    store.insert(new, admission).await.expect("stored");
    Registered {
        reference,
        withdraw,
    }
}

/// The counts `agora forms list` (`staff::list_forms`) shows for `form`:
/// pending, taken, waiting, applied.
pub fn listed_counts(listed: &str, form: &str) -> Vec<String> {
    let line = listed
        .lines()
        .find(|line| line.split_whitespace().next() == Some(form))
        .unwrap_or_else(|| panic!("{form} is listed: {listed}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    words[words.len() - 4..]
        .iter()
        .map(|w| (*w).to_owned())
        .collect()
}
