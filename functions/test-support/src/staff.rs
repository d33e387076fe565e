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
    let values: BTreeMap<String, String> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let reference = new_reference().expect("randomness");
    let new = NewRegistration {
        form_id: form.id.clone(),
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
        confirm_token_hash: None,
        withdraw_token_hash: token_hash(&new_token().expect("randomness")),
        spam: None,
        created_at,
        expires_at: created_at + Duration::days(365),
    };
    store.insert(new, Some(admission)).await.expect("stored");
    reference
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
