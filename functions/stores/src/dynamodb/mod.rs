//! The store on AWS: one DynamoDB table for every form (single-table
//! design). DynamoDB has no multi-item locks, so every change that must be
//! exact is one `TransactWriteItems` whose conditions fail when another
//! writer got there first; the loser reads the new state and tries again.
//!
//! Items of a form share the partition `form#<id>`:
//!
//! | sort key | what | why |
//! |---|---|---|
//! | `reg#<reference>` | the registration | |
//! | `key#<sha256 of the unique key>` | points at the registration | one per person: a conditional put, no scan; hashed so that a key holds no e-mail |
//! | `confirm#<token hash>`, `withdraw#<token hash>` | point at the registration | strongly consistent token look-ups (a GSI is only eventually consistent) |
//! | `counter` | `taken`, `next_position` | the capacity and the waiting list, decided in the same transaction as the registration |
//! | `wait#<position>`, `reserve#<position>` | point at a registration on a list | the first in line is one `Query` with `Limit 1` (zero-padded, so they sort) |
//! | `draw` | the form's draw: seed, list SHA-256, places, winners, reserve, time | put only where none is, so a form is drawn once |
//! | `appointment#<reference>` | the office's latest decision on an ambassador application | replaced by the next; carries the registration's `ttl` and is purged with it |
//! | `idea#<reference>` | the record of the idea sent as that registration: `version` and `body` (the record as JSON) | saved only over the version before it; carries the registration's `ttl`, deleted by the withdrawal and the purge in their transactions |
//! | `list` | the list of applications published before the draw: its text, SHA-256, who and when | put only where none is, so a form publishes one list |
//! | `results-mailed` | when the draw's results were e-mailed | put only where none is, so they are mailed once |
//! | `list-outdated` | since when the form's public list of ambassadors may be out of date | put before a publishing, deleted after it succeeded |
//!
//! Request counts live in `rate#<key>` / `window#<start>`. The staff
//! workspace's records (`panel`) have partitions of their own:
//!
//! | `pk` | `sk` | what | why |
//! |---|---|---|---|
//! | `link#<token hash>` | `link` | a sign-in link | taken by one conditional `DeleteItem` returning it, so a link signs in once |
//! | `session#<id hash>` | `session` | a session | touched by an `UpdateItem` only where it still is, so an ended session stays ended |
//! | `sessions-of#<sha256 of the address>` | `<id hash>` | points at one of the account's sessions | signing out everywhere is one `Query`, no scan; hashed so that a key holds no e-mail |
//! | `accounts` | `<address>` | an account added from the panel | every account is one `Query`, by address; kept until removed, no `ttl` |
//! | `audit` | `<time>#<random suffix>` | a line of the audit log | newest first is a `Query` read backwards; lines of one moment are all kept |
//!
//! Every item with personal data or a pointer to it, but the accounts,
//! carries `ttl` (epoch seconds), so DynamoDB erases it even if
//! `purge_expired` or `purge_panel` never runs; TTL deletion is lazy (up
//! to days late), so every read filters on `expires_at`: an expired link,
//! session or log line is never found, and an expired registration is
//! never found, counted, listed, matched as a duplicate (its unique key
//! item is taken over) or promoted (the line is walked past it). Its
//! place stays counted in `taken` until the purge erases it and hands the
//! place on, in the same transaction.
//!
//! | module | what |
//! |---|---|
//! | `items` | keys, the item codec, the counter and the lines' keys |
//! | `transactions` | a write and its conditions, one transaction and its outcome, waits, the admission gate |
//! | `reads` | items by key, a pointer's registration, a prefix of a partition, a whole partition |
//! | `lines` | the rules of places: deciding an admission, the first in line, handing a place on |
//! | `store` | the `Store` trait over the above |
//! | `panel` | the `PanelStore` trait: the staff workspace's records |
//! | `records` | the `StaffRecords` trait: what staff decide and publish |
//! | `ideas` | the `IdeaRecords` trait: the records of ideas |
//! | `table` | creating the table (tests, local setups) |

mod ideas;
mod items;
mod lines;
mod panel;
pub mod published;
mod reads;
mod records;
mod store;
mod table;
mod transactions;

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::Arc;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::Client;

use agora_core::store::StoreError;

use items::Counter;

/// The region when the environment names none: Kraków's nearest.
const DEFAULT_REGION: &str = "eu-central-1";

/// Per form, the turn of this process's admissions, holding the counter as
/// the last admission left it.
type Gates = Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Counter>>>>>>;

/// Registrations in one DynamoDB table. The client is created once (per
/// Lambda instance) and lent to the store.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    gates: Gates,
}

impl std::fmt::Debug for DynamoStore {
    // The client's configuration holds credentials: only the table is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl DynamoStore {
    pub fn new(client: Client, table: String) -> Self {
        Self {
            client,
            table,
            gates: Gates::default(),
        }
    }

    /// A store with the SDK's usual configuration from the environment
    /// (credentials, `AWS_REGION`, else eu-central-1); `endpoint` points it
    /// elsewhere, e.g. at DynamoDB Local. Fails on an empty table name, a
    /// deployment mistake better reported at start than on each request.
    pub async fn from_env(table: String, endpoint: Option<String>) -> Result<Self, StoreError> {
        Self::from_env_in(table, endpoint, None).await
    }

    /// The table a Lambda function without routes (the purge, the mail
    /// events) is given: `AGORA_TABLE`, and `AGORA_DYNAMODB_ENDPOINT` when
    /// set. A missing table name fails at start.
    pub async fn from_function_env() -> Result<Self, StoreError> {
        let table = std::env::var("AGORA_TABLE").unwrap_or_default();
        Self::from_env(table, std::env::var("AGORA_DYNAMODB_ENDPOINT").ok()).await
    }

    /// As [`Self::from_env`], in `region` when one is given (a staff
    /// command's `--dynamodb-region`) rather than the environment's.
    pub async fn from_env_in(
        table: String,
        endpoint: Option<String>,
        region: Option<String>,
    ) -> Result<Self, StoreError> {
        if table.trim().is_empty() {
            return Err(StoreError::Unavailable(
                "no DynamoDB table is named".to_owned(),
            ));
        }
        let region = crate::aws::region(region, DEFAULT_REGION);
        let mut loader = crate::aws::config_loader().region(region);
        if let Some(endpoint) = endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        Ok(Self::new(Client::new(&loader.load().await), table))
    }
}

/// A request this module failed to build: a bug, reported as unavailable
/// since nothing was written.
pub(super) fn bug(error: impl Display) -> StoreError {
    StoreError::Unavailable(format!("a DynamoDB request could not be built: {error}"))
}

/// An SDK error as a store error. The message is for logs and staff: the
/// operation and DynamoDB's error code and message (never item contents),
/// or, when DynamoDB was not reached, the chain of causes.
pub(super) fn failure<E, R>(operation: &str, error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error.code() {
        Some(code) => StoreError::Refused {
            operation: format!("DynamoDB {operation}"),
            code: code.to_owned(),
            message: error.message().unwrap_or("no message").to_owned(),
        },
        None => StoreError::Unavailable(format!(
            "DynamoDB {operation} failed: {}",
            DisplayErrorContext(&error)
        )),
    }
}
