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
//!
//! Request counts live in `rate#<key>` / `window#<start>`. Every item with
//! personal data or a pointer to it carries `ttl` (epoch seconds), so
//! DynamoDB erases it even if `purge_expired` never runs; TTL deletion is
//! lazy (up to days late), so every read filters on `expires_at`: an
//! expired registration is never found, counted, listed, matched as a
//! duplicate (its unique key item is taken over) or promoted (the line is
//! walked past it). Its place stays counted in `taken` until the purge
//! erases it and hands the place on, in the same transaction.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::client::Waiters as _;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, KeySchemaElement,
    KeyType, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
    TimeToLiveSpecification, TimeToLiveStatus, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};

use super::{Counts, DrawRecord, DrawRecorded, Inserted, Store, StoreError, Withdrawn};
use crate::registration::{
    token_hash, Admission, ConsentRecord, MailProblem, NewRegistration, Registration, Status,
};

/// The region when the environment names none: Kraków's nearest.
const DEFAULT_REGION: &str = "eu-central-1";
/// The TTL attribute, in epoch seconds.
const TTL: &str = "ttl";
const COUNTER: &str = "counter";
/// The sort key of a form's draw record, which exists once.
const DRAW: &str = "draw";
/// Transactions cancelled by conflicts or throttling are tried this many
/// times, with growing jittered waits, before the store reports itself
/// unavailable.
const CONFLICT_ATTEMPTS: u32 = 10;
/// Attempts lost because another writer changed the state first. Each
/// loss means another write succeeded, so a burst always makes progress;
/// the bound only stops a runaway loop. Admissions to a form take turns
/// within a process (see `DynamoStore::gate`), so they lose only to other
/// processes, and to withdrawals and the purge.
const RACE_ATTEMPTS: u32 = 200;
/// How long a request-count window is kept (as the SQLite store does).
const RATE_WINDOW_KEPT: chrono::Duration = chrono::Duration::days(super::REQUEST_COUNTS_KEPT_DAYS);

type Item = HashMap<String, AttributeValue>;

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

    /// Creates the table (on-demand billing, TTL on `ttl`), for tests and
    /// local setups; the deployment creates its own. An existing table is
    /// kept, and its TTL enabled if it was not.
    pub async fn create_table(&self) -> Result<(), StoreError> {
        self.create_table_with_ttl(true).await
    }

    /// As [`Self::create_table`]; without `ttl`, nothing is erased by the
    /// table itself. For stories told at a fixed moment in the past: TTL
    /// erases by the real clock (DynamoDB Local's too, in the background),
    /// so their registrations would vanish while the story runs.
    pub async fn create_table_with_ttl(&self, ttl: bool) -> Result<(), StoreError> {
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(bug)
        };
        let key = |name: &str, kind| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(bug)
        };
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute("pk")?)
            .attribute_definitions(attribute("sk")?)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(error) if error.code() == Some("ResourceInUseException") => {}
            Err(error) => return Err(failure("CreateTable", error)),
        }
        self.client
            .wait_until_table_exists()
            .table_name(&self.table)
            .wait(Duration::from_secs(60))
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!(
                    "DynamoDB table {} did not become active: {e}",
                    self.table
                ))
            })?;
        if !ttl {
            return Ok(());
        }
        let ttl = self
            .client
            .describe_time_to_live()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| failure("DescribeTimeToLive", e))?;
        let status = ttl
            .time_to_live_description()
            .and_then(|d| d.time_to_live_status());
        if !matches!(
            status,
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        ) {
            let specification = TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL)
                .build()
                .map_err(bug)?;
            self.client
                .update_time_to_live()
                .table_name(&self.table)
                .time_to_live_specification(specification)
                .send()
                .await
                .map_err(|e| failure("UpdateTimeToLive", e))?;
        }
        Ok(())
    }

    /// The gate of a form's admissions with a capacity in this process.
    /// Without it the writers of a burst all race for the one counter and
    /// only one wins each round, so the last of n loses about n times (and
    /// the losers' retries load the table n² times). Through the gate they
    /// take turns, and each starts from the counter as the one before left
    /// it, so a turn is usually one transaction. Other processes (other
    /// Lambda instances) still race; the conditions keep that exact.
    fn gate(&self, pk: &str) -> Result<Arc<tokio::sync::Mutex<Option<Counter>>>, StoreError> {
        let mut gates = self
            .gates
            .lock()
            .map_err(|_| StoreError::Unavailable("the admission gates are poisoned".to_owned()))?;
        Ok(Arc::clone(gates.entry(pk.to_owned()).or_default()))
    }

    /// The gate the admission must pass, if it decides on the counter.
    fn gate_of(
        &self,
        pk: &str,
        admission: Option<Admission>,
    ) -> Result<Option<Arc<tokio::sync::Mutex<Option<Counter>>>>, StoreError> {
        match admission {
            Some(Admission::FirstCome { capacity: Some(_) }) => self.gate(pk).map(Some),
            _ => Ok(None),
        }
    }

    /// Runs one transaction and says how it ended.
    async fn transact(&self, writes: Vec<Write>) -> Result<Outcome, StoreError> {
        let roles: Vec<Role> = writes.iter().map(|w| w.role).collect();
        let items = writes
            .into_iter()
            .map(|w| w.build(&self.table))
            .collect::<Result<Vec<_>, _>>()?;
        let sent = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let error = match sent {
            Ok(_) => return Ok(Outcome::Committed),
            Err(error) => error,
        };
        if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
            error.as_service_error()
        {
            let mut failed = Vec::new();
            let mut counter = None;
            for (role, reason) in roles.iter().zip(cancelled.cancellation_reasons()) {
                match reason.code() {
                    None | Some("None") => {}
                    Some("ConditionalCheckFailed") => {
                        failed.push(*role);
                        if let (Role::Counter, Some(item)) = (role, reason.item()) {
                            counter = Some(read_counter(item)?);
                        }
                    }
                    Some(code) if is_contention(code) => {}
                    Some(code) => {
                        return Err(StoreError::Refused {
                            operation: "DynamoDB TransactWriteItems".to_owned(),
                            code: code.to_owned(),
                            message: format!("cancelled on the {role:?} item"),
                        })
                    }
                }
            }
            // A failed condition says what changed; conflicts alone only
            // say that the same items were busy.
            return Ok(if failed.is_empty() {
                Outcome::Contended
            } else {
                Outcome::Failed(failed, counter)
            });
        }
        if error.code().is_some_and(is_contention) {
            return Ok(Outcome::Contended);
        }
        Err(failure("TransactWriteItems", error))
    }

    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            // Decisions are taken on what was just written.
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| failure("GetItem", e))?;
        Ok(output.item)
    }

    /// The reference a lookup item (unique key, token, list place) points at.
    async fn pointer(&self, pk: &str, sk: &str) -> Result<Option<String>, StoreError> {
        self.get(pk, sk)
            .await?
            .map(|item| text(&item, "reference").map(str::to_owned))
            .transpose()
    }

    async fn stored(&self, pk: &str, reference: &str) -> Result<Option<Stored>, StoreError> {
        self.get(pk, &registration_sk(reference))
            .await?
            .map(|item| read_stored(&item))
            .transpose()
    }

    async fn counter(&self, pk: &str) -> Result<Counter, StoreError> {
        match self.get(pk, COUNTER).await? {
            Some(item) => read_counter(&item),
            None => Ok(Counter::default()),
        }
    }

    /// Items of the partition whose sort key starts with `prefix`, in sort
    /// key order.
    async fn query(
        &self,
        pk: &str,
        prefix: &str,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        const CONDITION: &str = "#pk = :pk AND begins_with(#sk, :prefix)";
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(CONDITION)
            .set_projection_expression(projection.map(str::to_owned))
            .set_expression_attribute_names(names(&[CONDITION, projection.unwrap_or_default()]))
            .set_expression_attribute_values(values(vec![
                (":pk".to_owned(), s(pk)),
                (":prefix".to_owned(), s(prefix)),
            ]))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut items = Vec::new();
        while let Some(item) = pages.next().await {
            items.push(item.map_err(|e| failure("Query", e))?);
        }
        Ok(items)
    }

    /// Decides a registration that now counts, and the writes that make
    /// the decision hold: the counter's conditions fail if another writer
    /// changed it since it was read. `known` is the counter as a failed
    /// attempt returned it, which saves reading it again.
    async fn decide(
        &self,
        pk: &str,
        reference: &str,
        admission: Admission,
        ttl: i64,
        known: Option<Counter>,
        now: DateTime<Utc>,
    ) -> Result<Decision, StoreError> {
        let capacity = match admission {
            Admission::Lottery => {
                return Ok(Decision {
                    status: Status::Applied,
                    position: None,
                    writes: Vec::new(),
                    after: None,
                })
            }
            Admission::FirstCome { capacity } => capacity,
        };
        let counter = match (capacity, known) {
            (None, _) => Counter::default(),
            (Some(_), Some(known)) => known,
            (Some(_), None) => self.counter(pk).await?,
        };
        let counter_key = key(pk, COUNTER);
        let Some(capacity) = capacity else {
            // Unlimited forms count their places too, so that a capacity
            // added later starts from the truth.
            let write = Write::update(Role::Counter, counter_key, "ADD #taken :one")
                .value(":one", number_value(1));
            return Ok(Decision {
                status: Status::Registered,
                position: None,
                writes: vec![write],
                after: None,
            });
        };
        // A free place goes to a newcomer only when nobody waits for it:
        // the first in line still waiting (not expired) holds the list.
        let mut ahead = None;
        if counter.taken < u64::from(capacity) {
            match self.first_in_line(pk, List::Waiting, now).await? {
                Some((place, _)) => ahead = Some(place),
                None => {
                    // Nobody joined the list since it was read.
                    let write = Write::update(Role::Counter, counter_key, "ADD #taken :one")
                        .when("(attribute_not_exists(#taken) OR #taken < :cap)")
                        .value(":one", number_value(1))
                        .value(":cap", number_value(capacity))
                        .returning_old();
                    return Ok(Decision {
                        status: Status::Registered,
                        position: None,
                        writes: vec![unchanged_line(write, &counter)],
                        after: Some(Counter {
                            taken: counter.taken + 1,
                            ..counter
                        }),
                    });
                }
            }
        }
        // Full, or others wait: the next place on the waiting list, if
        // nobody took that place meanwhile.
        let position = counter.next_position.unwrap_or(1);
        let mut write = Write::update(Role::Counter, counter_key, "SET #next_position = :next")
            .value(":next", number_value(position + 1))
            .returning_old();
        write = unchanged_line(write, &counter);
        // Still full (a capacity of 0 is, even without `taken`).
        if ahead.is_none() && capacity > 0 {
            write = write
                .when("#taken >= :cap")
                .value(":cap", number_value(capacity));
        }
        let mut writes = vec![write];
        // The one ahead must still be waiting when this one joins.
        if let Some(ahead) = ahead {
            writes.push(Write::check(Role::Other, key(pk, &ahead)).when("attribute_exists(#pk)"));
        }
        let place = pointer_item(pk, &List::Waiting.sort_key(position), reference, ttl);
        writes.push(Write::put(Role::Line, place).when("attribute_not_exists(#pk)"));
        Ok(Decision {
            status: Status::Waiting,
            position: Some(position),
            writes,
            after: Some(Counter {
                next_position: Some(position + 1),
                ..counter
            }),
        })
    }

    /// The first place on `list` whose registration is still there at that
    /// place and has not expired, with that registration. Places left
    /// behind by erased or withdrawn registrations are dropped on the way;
    /// expired ones are passed over (the purge erases them).
    async fn first_in_line(
        &self,
        pk: &str,
        list: List,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, Registration)>, StoreError> {
        const CONDITION: &str = "#pk = :pk AND begins_with(#sk, :prefix)";
        // Usually the first place is the one: pages stay small.
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(CONDITION)
            .set_expression_attribute_names(names(&[CONDITION]))
            .set_expression_attribute_values(values(vec![
                (":pk".to_owned(), s(pk)),
                (":prefix".to_owned(), s(list.prefix())),
            ]))
            .consistent_read(true)
            .limit(8)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| failure("Query", e))?;
            let place = text(&item, "sk")?;
            let reference = text(&item, "reference")?;
            match self.stored(pk, reference).await? {
                Some(Stored { registration, .. })
                    if List::of(registration.status) == Some(list)
                        && registration.position.map(|p| list.sort_key(p)).as_deref()
                            == Some(place) =>
                {
                    if registration.expires_at > now {
                        return Ok(Some((place.to_owned(), registration)));
                    }
                }
                // The place outlived its registration (TTL erased it
                // first, or it moved on since the query read the place).
                _ => self.drop_stale(pk, place, reference).await?,
            }
        }
        Ok(None)
    }

    /// The registration the unique key item points at, if it is a live one.
    /// A key item left behind (its registration erased by TTL first) is
    /// removed, so the person can register; `None` then asks for a retry.
    /// A key item of an expired registration is released the same way.
    async fn existing(
        &self,
        pk: &str,
        key_sk: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Registration>, StoreError> {
        let Some(reference) = self.pointer(pk, key_sk).await? else {
            return Ok(None);
        };
        match self.stored(pk, &reference).await? {
            Some(stored) if stored.registration.status == Status::Withdrawn => {
                self.drop_stale(pk, key_sk, &reference).await?;
                Ok(None)
            }
            Some(stored) if stored.registration.expires_at > now => Ok(Some(stored.registration)),
            Some(_) => {
                self.release_expired(pk, key_sk, &reference, now).await?;
                Ok(None)
            }
            None => {
                self.drop_stale(pk, key_sk, &reference).await?;
                Ok(None)
            }
        }
    }

    /// Frees the unique key of an expired registration for the same
    /// person's new one. The registration forgets the key item, so that
    /// its purge cannot delete the new owner's; it keeps its place until
    /// then. The conditions make it a no-op if anything changed meanwhile.
    async fn release_expired(
        &self,
        pk: &str,
        key_sk: &str,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let writes = vec![
            Write::update(
                Role::Other,
                key(pk, &registration_sk(reference)),
                "REMOVE #unique_sk",
            )
            .when("#expires_at <= :now AND #unique_sk = :key")
            .value(":now", s(&time(now)))
            .value(":key", s(key_sk)),
            Write::delete(Role::Other, key(pk, key_sk))
                .when("#reference = :reference")
                .value(":reference", s(reference)),
        ];
        // Whatever the outcome, the caller reads the state again.
        self.transact(writes).await.map(|_| ())
    }

    /// Deletes a lookup item whose registration is gone or withdrawn. The
    /// conditions make it a no-op if that changed meanwhile.
    async fn drop_stale(&self, pk: &str, sk: &str, reference: &str) -> Result<(), StoreError> {
        let writes = vec![
            Write::check(Role::Other, key(pk, &registration_sk(reference)))
                .when("(attribute_not_exists(#pk) OR #status = :withdrawn)")
                .value(":withdrawn", s(Status::Withdrawn.as_str())),
            Write::delete(Role::Other, key(pk, sk))
                .when("#reference = :reference")
                .value(":reference", s(reference)),
        ];
        // Whatever the outcome, the caller reads the state again.
        self.transact(writes).await.map(|_| ())
    }

    /// Erases one expired registration with its lookup items, and hands its
    /// place on to the first person waiting; false when it was gone already.
    async fn purge_one(&self, pk: &str, sk: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let now_text = time(now);
        let mut backoff = Backoff::default();
        loop {
            let Some(item) = self.get(pk, sk).await? else {
                return Ok(false);
            };
            // Only what the erasure needs is read, so that a damaged
            // registration is erased all the same.
            let status = text(&item, "status")?.to_owned();
            if optional_text(&item, "expires_at")?
                .is_some_and(|expires| expires > now_text.as_str())
            {
                return Ok(false);
            }
            let mut writes = vec![Write::delete(Role::Registration, key(pk, sk))
                .when("#status = :status")
                .value(":status", s(&status))];
            // The unique key item may be another registration's by now
            // (TTL erased this one's first and the person registered again).
            if let Some(unique) = optional_text(&item, "unique_sk")? {
                let reference = text(&item, "reference")?;
                if self.pointer(pk, unique).await?.as_deref() == Some(reference) {
                    writes.push(
                        Write::delete(Role::Other, key(pk, unique))
                            .when("#reference = :reference")
                            .value(":reference", s(reference)),
                    );
                }
            }
            // Token hashes are one registration's alone.
            for lookup in ["confirm_sk", "withdraw_sk"] {
                if let Some(lookup) = optional_text(&item, lookup)? {
                    writes.push(Write::delete(Role::Other, key(pk, lookup)));
                }
            }
            let parsed = Status::parse(&status);
            if let (Some(list), Some(position)) =
                (parsed.and_then(List::of), number(&item, "position")?)
            {
                writes.push(Write::delete(Role::Line, key(pk, &list.sort_key(position))));
            }
            if parsed == Some(Status::Registered) {
                // As a withdrawal does: the place goes to the first person
                // waiting, else is free again.
                let (more, _) = self
                    .hand_on(pk, List::Waiting, Status::Registered, now)
                    .await?;
                writes.extend(more);
            }
            match self.transact(writes).await? {
                Outcome::Committed => return Ok(true),
                Outcome::Contended => backoff.conflict("purge").await?,
                // Changed meanwhile (the registration, the list or the
                // counter): read again.
                Outcome::Failed(..) => backoff.race("purge").await?,
            }
        }
    }

    /// Moves one `Applied` registration to `status` (with a place on the
    /// reserve list at `position`); anything else is left as it is.
    async fn draw_one(
        &self,
        pk: &str,
        reference: &str,
        status: Status,
        position: Option<u64>,
    ) -> Result<(), StoreError> {
        let mut backoff = Backoff::default();
        loop {
            let Some(stored) = self.stored(pk, reference).await? else {
                return Ok(());
            };
            if stored.registration.status != Status::Applied {
                return Ok(());
            }
            let registration_key = key(pk, &registration_sk(reference));
            let writes = match position.zip(List::of(status)) {
                Some((position, list)) => {
                    let ttl = stored.registration.expires_at.timestamp();
                    let place = pointer_item(pk, &list.sort_key(position), reference, ttl);
                    vec![
                        Write::update(
                            Role::Registration,
                            registration_key,
                            "SET #status = :status, #position = :position",
                        )
                        .value(":position", number_value(position)),
                        Write::put(Role::Line, place),
                    ]
                }
                None => vec![Write::update(
                    Role::Registration,
                    registration_key,
                    "SET #status = :status REMOVE #position",
                )],
            };
            let writes = writes
                .into_iter()
                .map(|write| match write.role {
                    Role::Registration => write
                        .when("#status = :applied")
                        .value(":status", s(status.as_str()))
                        .value(":applied", s(Status::Applied.as_str())),
                    _ => write,
                })
                .collect();
            match self.transact(writes).await? {
                Outcome::Committed => return Ok(()),
                Outcome::Contended => backoff.conflict("record_draw").await?,
                // Changed meanwhile: read again; no longer applied, it is left.
                Outcome::Failed(..) => backoff.race("record_draw").await?,
            }
        }
    }

    /// The writes that give the place a withdrawal or the purge frees to
    /// the first person in `list` who has not expired, or free it when
    /// nobody waits; with that person.
    async fn hand_on(
        &self,
        pk: &str,
        list: List,
        given: Status,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Write>, Option<Registration>), StoreError> {
        // Read before the list: whoever joins the waiting list after the
        // query moves `next_position`, and the condition below fails.
        let counter = match list {
            List::Waiting => Some(self.counter(pk).await?),
            List::Reserve => None,
        };
        let Some((place, next)) = self.first_in_line(pk, list, now).await? else {
            let Some(counter) = counter else {
                // An empty reserve list: the place stays empty.
                return Ok((Vec::new(), None));
            };
            // Nobody waits: the place is free again.
            let write = match counter.taken {
                0 => Write::check(Role::Counter, key(pk, COUNTER)),
                _ => Write::update(Role::Counter, key(pk, COUNTER), "ADD #taken :minus_one")
                    .when("#taken > :zero")
                    .value(":minus_one", number_value(-1))
                    .value(":zero", number_value(0)),
            };
            return Ok((vec![unchanged_line(write, &counter)], None));
        };
        let writes = vec![
            Write::update(
                Role::Other,
                key(pk, &registration_sk(&next.reference)),
                "SET #status = :given REMOVE #position",
            )
            .when("#status = :listed AND #position = :position")
            .value(":given", s(given.as_str()))
            .value(":listed", s(next.status.as_str()))
            .value(":position", number_value(next.position.unwrap_or_default())),
            Write::delete(Role::Line, key(pk, &place)).when("attribute_exists(#pk)"),
        ];
        let promoted = Registration {
            status: given,
            position: None,
            ..next
        };
        Ok((writes, Some(promoted)))
    }
}

impl Store for DynamoStore {
    async fn insert(
        &self,
        new: NewRegistration,
        admission: Option<Admission>,
    ) -> Result<Inserted, StoreError> {
        let pk = form_pk(&new.form_id);
        let ttl = new.expires_at.timestamp();
        let registration = |status, position, confirmed_at| Registration {
            form_id: new.form_id.clone(),
            reference: new.reference.clone(),
            status,
            position,
            values: new.values.clone(),
            consents: new.consents.clone(),
            spam: new.spam.clone(),
            created_at: new.created_at,
            confirmed_at,
            expires_at: new.expires_at,
            mail_problem: None,
        };
        let mut backoff = Backoff::default();
        if new.spam.is_some() {
            // Spam gets no unique key item (it must not block the real
            // person) and no token items (its links must do nothing).
            let item =
                registration_item(&registration(Status::Spam, None, None), &Lookups::default());
            // Returned as it reads back (times to the microsecond).
            let stored = read_stored(&item)?.registration;
            loop {
                let write =
                    Write::put(Role::Registration, item.clone()).when("attribute_not_exists(#pk)");
                match self.transact(vec![write]).await? {
                    Outcome::Committed => return Ok(Inserted::New(stored)),
                    Outcome::Contended => backoff.conflict("insert").await?,
                    Outcome::Failed(..) => return Err(StoreError::ReferenceTaken),
                }
            }
        }
        let unique_sk = format!("key#{}", token_hash(&new.unique_key));
        let lookups = Lookups {
            unique: Some(unique_sk.clone()),
            confirm: new.confirm_token_hash.as_deref().map(confirm_sk),
            withdraw: Some(withdraw_sk(&new.withdraw_token_hash)),
        };
        let gate = self.gate_of(&pk, admission)?;
        let mut turn = match &gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        };
        // A stale counter only costs a failed condition, which returns
        // the counter as it is.
        let mut counter = turn.as_mut().and_then(|last| last.take());
        loop {
            let decision = match admission {
                Some(admission) => Some(
                    self.decide(
                        &pk,
                        &new.reference,
                        admission,
                        ttl,
                        counter.take(),
                        new.created_at,
                    )
                    .await?,
                ),
                None => None,
            };
            let (status, position) = decision
                .as_ref()
                .map_or((Status::Pending, None), |d| (d.status, d.position));
            let confirmed_at = admission.map(|_| new.created_at);
            let item = registration_item(&registration(status, position, confirmed_at), &lookups);
            let stored = read_stored(&item)?.registration;
            let mut writes = vec![
                Write::put(Role::Registration, item).when("attribute_not_exists(#pk)"),
                Write::put(
                    Role::UniqueKey,
                    pointer_item(&pk, &unique_sk, &new.reference, ttl),
                )
                .when("attribute_not_exists(#pk)"),
            ];
            // Token hashes are 256-bit: a collision is not a case to handle.
            for token in [&lookups.confirm, &lookups.withdraw].into_iter().flatten() {
                let pointer = pointer_item(&pk, token, &new.reference, ttl);
                writes.push(Write::put(Role::Other, pointer));
            }
            let after = decision.as_ref().and_then(|d| d.after);
            writes.extend(decision.map(|d| d.writes).unwrap_or_default());
            match self.transact(writes).await? {
                Outcome::Committed => {
                    if let Some(last) = turn.as_mut() {
                        **last = after;
                    }
                    return Ok(Inserted::New(stored));
                }
                Outcome::Contended => backoff.conflict("insert").await?,
                Outcome::Failed(failed, _) if failed.contains(&Role::UniqueKey) => {
                    match self.existing(&pk, &unique_sk, new.created_at).await? {
                        Some(existing) => return Ok(Inserted::Existing(existing)),
                        None => backoff.race("insert").await?,
                    }
                }
                Outcome::Failed(failed, _) if failed.contains(&Role::Registration) => {
                    return Err(StoreError::ReferenceTaken)
                }
                // The counter moved: decide again on its new state.
                Outcome::Failed(_, now) => {
                    counter = now;
                    backoff.race("insert").await?;
                }
            }
        }
    }

    async fn confirm(
        &self,
        form_id: &str,
        token_hash: &str,
        admission: Admission,
        now: DateTime<Utc>,
    ) -> Result<Option<Registration>, StoreError> {
        let pk = form_pk(form_id);
        // The time as it reads back, so the answer equals a later `find`.
        let now = parse_time(&time(now))?;
        let mut backoff = Backoff::default();
        let gate = self.gate_of(&pk, Some(admission))?;
        let mut turn = match &gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        };
        let mut counter = turn.as_mut().and_then(|last| last.take());
        loop {
            let Some(reference) = self.pointer(&pk, &confirm_sk(token_hash)).await? else {
                return Ok(None);
            };
            let Some(Stored { registration, .. }) = self.stored(&pk, &reference).await? else {
                return Ok(None);
            };
            if registration.expires_at <= now {
                return Ok(None);
            }
            match registration.status {
                Status::Pending => {}
                // Withdrawn meanwhile (a withdrawal deletes the token too).
                Status::Withdrawn | Status::Spam => return Ok(None),
                _ => return Ok(Some(registration)),
            }
            let ttl = registration.expires_at.timestamp();
            let decision = self
                .decide(&pk, &reference, admission, ttl, counter.take(), now)
                .await?;
            let expression = match decision.position {
                Some(_) => "SET #status = :status, #confirmed_at = :now, #position = :position",
                None => "SET #status = :status, #confirmed_at = :now",
            };
            let mut confirmed = Write::update(
                Role::Registration,
                key(&pk, &registration_sk(&reference)),
                expression,
            )
            .when("#status = :pending")
            .value(":status", s(decision.status.as_str()))
            .value(":now", s(&time(now)))
            .value(":pending", s(Status::Pending.as_str()));
            if let Some(position) = decision.position {
                confirmed = confirmed.value(":position", number_value(position));
            }
            let mut writes = vec![confirmed];
            writes.extend(decision.writes);
            match self.transact(writes).await? {
                Outcome::Committed => {
                    if let Some(last) = turn.as_mut() {
                        **last = decision.after;
                    }
                    return Ok(Some(Registration {
                        status: decision.status,
                        position: decision.position,
                        confirmed_at: Some(now),
                        ..registration
                    }));
                }
                Outcome::Contended => backoff.conflict("confirm").await?,
                // Confirmed by a parallel request, or the counter moved.
                Outcome::Failed(_, now) => {
                    counter = now;
                    backoff.race("confirm").await?;
                }
            }
        }
    }

    async fn withdraw(
        &self,
        form_id: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Withdrawn>, StoreError> {
        let pk = form_pk(form_id);
        let mut backoff = Backoff::default();
        loop {
            let Some(reference) = self.pointer(&pk, &withdraw_sk(token_hash)).await? else {
                return Ok(None);
            };
            let Some(Stored {
                registration,
                lookups,
            }) = self.stored(&pk, &reference).await?
            else {
                return Ok(None);
            };
            if matches!(registration.status, Status::Withdrawn | Status::Spam)
                || registration.expires_at <= now
            {
                return Ok(None);
            }
            let mut writes = vec![Write::update(
                Role::Registration,
                key(&pk, &registration_sk(&reference)),
                "SET #status = :withdrawn, #values = :no_values, #consents = :no_consents, \
                 #confirmed_at = if_not_exists(#confirmed_at, :now) \
                 REMOVE #position, #unique_sk, #confirm_sk, #withdraw_sk",
            )
            .when("#status = :seen")
            .value(":withdrawn", s(Status::Withdrawn.as_str()))
            .value(":no_values", AttributeValue::M(HashMap::new()))
            .value(":no_consents", AttributeValue::L(Vec::new()))
            .value(":now", s(&time(now)))
            .value(":seen", s(registration.status.as_str()))];
            for lookup in [&lookups.unique, &lookups.confirm, &lookups.withdraw]
                .into_iter()
                .flatten()
            {
                writes.push(Write::delete(Role::Other, key(&pk, lookup)));
            }
            if let (Some(list), Some(position)) =
                (List::of(registration.status), registration.position)
            {
                writes.push(Write::delete(
                    Role::Line,
                    key(&pk, &list.sort_key(position)),
                ));
            }
            let freed = match registration.status {
                Status::Registered => Some((List::Waiting, Status::Registered)),
                Status::Selected => Some((List::Reserve, Status::Selected)),
                _ => None,
            };
            let mut promoted = None;
            if let Some((list, given)) = freed {
                let (more, next) = self.hand_on(&pk, list, given, now).await?;
                writes.extend(more);
                promoted = next;
            }
            match self.transact(writes).await? {
                Outcome::Committed => {
                    return Ok(Some(Withdrawn {
                        reference,
                        promoted,
                    }))
                }
                Outcome::Contended => backoff.conflict("withdraw").await?,
                // Withdrawn by a parallel request, or the list changed.
                Outcome::Failed(..) => backoff.race("withdraw").await?,
            }
        }
    }

    async fn renew_tokens(
        &self,
        form_id: &str,
        reference: &str,
        confirm_token_hash: &str,
        withdraw_token_hash: &str,
    ) -> Result<Option<Registration>, StoreError> {
        let pk = form_pk(form_id);
        let mut backoff = Backoff::default();
        loop {
            let Some(Stored {
                registration,
                lookups,
            }) = self.stored(&pk, reference).await?
            else {
                return Ok(None);
            };
            if matches!(registration.status, Status::Withdrawn | Status::Spam) {
                return Ok(None);
            }
            let ttl = registration.expires_at.timestamp();
            let withdraw = withdraw_sk(withdraw_token_hash);
            // A confirmed registration keeps its confirmation token: a
            // second click on the old link still answers "confirmed".
            let confirm =
                (registration.status == Status::Pending).then(|| confirm_sk(confirm_token_hash));
            let expression = match confirm {
                Some(_) => "SET #withdraw_sk = :withdraw, #confirm_sk = :confirm",
                None => "SET #withdraw_sk = :withdraw",
            };
            // Unchanged since read: two renewals at once cannot both
            // delete the same old pointer and leave theirs dangling.
            let mut update = Write::update(
                Role::Registration,
                key(&pk, &registration_sk(reference)),
                expression,
            )
            .when("#status = :seen")
            .value(":seen", s(registration.status.as_str()))
            .value(":withdraw", s(&withdraw));
            update = match &lookups.withdraw {
                Some(old) => update
                    .when("#withdraw_sk = :old_withdraw")
                    .value(":old_withdraw", s(old)),
                None => update.when("attribute_not_exists(#withdraw_sk)"),
            };
            let mut writes = Vec::new();
            let mut replaced = vec![(lookups.withdraw.clone(), withdraw)];
            if let Some(confirm) = confirm {
                update = update.value(":confirm", s(&confirm));
                replaced.push((lookups.confirm.clone(), confirm));
            }
            writes.push(update);
            for (old, new) in replaced {
                if let Some(old) = old.filter(|old| *old != new) {
                    writes.push(Write::delete(Role::Other, key(&pk, &old)));
                }
                writes.push(Write::put(
                    Role::Other,
                    pointer_item(&pk, &new, reference, ttl),
                ));
            }
            match self.transact(writes).await? {
                Outcome::Committed => return Ok(Some(registration)),
                Outcome::Contended => backoff.conflict("renew tokens").await?,
                Outcome::Failed(..) => backoff.race("renew tokens").await?,
            }
        }
    }

    async fn find(
        &self,
        form_id: &str,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Registration>, StoreError> {
        Ok(self
            .stored(&form_pk(form_id), reference)
            .await?
            .map(|s| s.registration)
            .filter(|registration| registration.expires_at > now))
    }

    async fn counts(&self, form_id: &str, now: DateTime<Utc>) -> Result<Counts, StoreError> {
        let now = time(now);
        let mut counts = Counts::default();
        let items = self
            .query(&form_pk(form_id), "reg#", Some("#status, #expires_at"))
            .await?;
        for item in items {
            // Times are stored as text that sorts as time.
            if text(&item, "expires_at")? <= now.as_str() {
                continue;
            }
            match Status::parse(text(&item, "status")?) {
                Some(Status::Pending) => counts.pending += 1,
                Some(Status::Registered | Status::Selected) => counts.taken += 1,
                Some(Status::Waiting | Status::Reserve) => counts.waiting += 1,
                Some(Status::Applied) => counts.applied += 1,
                _ => {}
            }
        }
        Ok(counts)
    }

    async fn mark_mail_problem(
        &self,
        form_id: &str,
        reference: &str,
        problem: MailProblem,
    ) -> Result<bool, StoreError> {
        // One item, one condition: no transaction is needed. A complaint
        // is never replaced by a bounce.
        const UPDATE: &str = "SET #mail_problem = :problem";
        const CONDITION: &str = "attribute_exists(#pk) AND NOT #status IN (:withdrawn, :spam) \
                                 AND (attribute_not_exists(#mail_problem) OR #mail_problem <> :complained)";
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&form_pk(form_id), &registration_sk(reference))))
            .update_expression(UPDATE)
            .condition_expression(CONDITION)
            .set_expression_attribute_names(names(&[UPDATE, CONDITION]))
            .set_expression_attribute_values(values(vec![
                (":problem".to_owned(), s(problem.as_str())),
                (":withdrawn".to_owned(), s(Status::Withdrawn.as_str())),
                (":spam".to_owned(), s(Status::Spam.as_str())),
                (
                    ":complained".to_owned(),
                    s(MailProblem::Complained.as_str()),
                ),
            ]))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if error.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(error) => Err(failure("UpdateItem", error)),
        }
    }

    async fn places_taken(&self, form_id: &str) -> Result<u64, StoreError> {
        // The counter the admissions decide on, read eventually
        // consistently: half a read unit, and a second at most behind.
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(&form_pk(form_id), COUNTER)))
            .projection_expression("#taken")
            .expression_attribute_names("#taken", "taken")
            .send()
            .await
            .map_err(|e| failure("GetItem", e))?;
        Ok(match output.item {
            Some(item) => number(&item, "taken")?.unwrap_or(0),
            None => 0,
        })
    }

    async fn list(
        &self,
        form_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Registration>, StoreError> {
        let mut registrations = Vec::new();
        for item in self.query(&form_pk(form_id), "reg#", None).await? {
            let registration = read_stored(&item)?.registration;
            // TTL erases late: expired data is never shown.
            if registration.expires_at > now {
                registrations.push(registration);
            }
        }
        registrations
            .sort_by(|a, b| (a.created_at, &a.reference).cmp(&(b.created_at, &b.reference)));
        Ok(registrations)
    }

    async fn draw_record(&self, form_id: &str) -> Result<Option<DrawRecord>, StoreError> {
        self.get(&form_pk(form_id), DRAW)
            .await?
            .map(|item| read_draw(&item))
            .transpose()
    }

    async fn record_draw(
        &self,
        form_id: &str,
        draw: &DrawRecord,
    ) -> Result<DrawRecorded, StoreError> {
        let pk = form_pk(form_id);
        // The record is put first, only where none is: of two draws at
        // once, one wins, and the other is refused before it changes
        // anyone.
        let mut backoff = Backoff::default();
        let recorded = loop {
            if let Some(earlier) = self.draw_record(form_id).await? {
                if !earlier.is_same_draw(draw) {
                    return Ok(DrawRecorded::Refused(earlier));
                }
                break earlier;
            }
            let put =
                Write::put(Role::Other, draw_item(&pk, draw)).when("attribute_not_exists(#pk)");
            match self.transact(vec![put]).await? {
                Outcome::Committed => break draw.clone(),
                Outcome::Contended => backoff.conflict("record_draw").await?,
                // Another draw was recorded meanwhile: read it.
                Outcome::Failed(..) => backoff.race("record_draw").await?,
            }
        };
        // A transaction holds at most 100 items, fewer than a draw may
        // need, so each person is one step. If this stops half-way, the
        // same draw run again comes here and finishes the work, as only
        // `Applied` registrations change.
        for reference in &recorded.winners {
            self.draw_one(&pk, reference, Status::Selected, None)
                .await?;
        }
        for (position, reference) in (1u64..).zip(&recorded.reserve) {
            self.draw_one(&pk, reference, Status::Reserve, Some(position))
                .await?;
        }
        Ok(DrawRecorded::Done(recorded))
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        // A scan, as registrations of every form are due: the table is
        // small, the job runs daily, and TTL does most of the erasing.
        const FILTER: &str = "(begins_with(#sk, :registration) AND #expires_at <= :now) \
                              OR (begins_with(#pk, :rate) AND #ttl < :now_seconds)";
        const PROJECTION: &str = "#pk, #sk";
        let now_text = time(now);
        let mut pages = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression(FILTER)
            .projection_expression(PROJECTION)
            .set_expression_attribute_names(names(&[FILTER, PROJECTION]))
            .set_expression_attribute_values(values(vec![
                (":registration".to_owned(), s("reg#")),
                (":now".to_owned(), s(&now_text)),
                (":rate".to_owned(), s("rate#")),
                (":now_seconds".to_owned(), number_value(now.timestamp())),
            ]))
            // Registrations stored a moment ago are due too.
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut due = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| failure("Scan", e))?;
            due.push((text(&item, "pk")?.to_owned(), text(&item, "sk")?.to_owned()));
        }
        let mut removed = 0;
        for (pk, sk) in due {
            if sk.starts_with("reg#") {
                if self.purge_one(&pk, &sk, now).await? {
                    removed += 1;
                }
            } else {
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(key(&pk, &sk)))
                    .send()
                    .await
                    .map_err(|e| failure("DeleteItem", e))?;
            }
        }
        Ok(removed)
    }

    async fn allow_request(
        &self,
        client_key: &str,
        window_start: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, StoreError> {
        const UPDATE: &str = "ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)";
        let kept_until = (window_start + RATE_WINDOW_KEPT).timestamp();
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                &format!("rate#{client_key}"),
                &format!("window#{}", time(window_start)),
            )))
            .update_expression(UPDATE)
            .set_expression_attribute_names(names(&[UPDATE]))
            .set_expression_attribute_values(values(vec![
                (":one".to_owned(), number_value(1)),
                (":ttl".to_owned(), number_value(kept_until)),
            ]))
            // The count with this request, atomically.
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| failure("UpdateItem", e))?;
        let count = output
            .attributes()
            .map(|item| number(item, "count"))
            .transpose()?
            .flatten()
            .ok_or_else(|| StoreError::Corrupt("the request count was not returned".to_owned()))?;
        Ok(count <= u64::from(limit))
    }
}

/// What each write of a transaction is, to read its cancellation reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Registration,
    UniqueKey,
    Counter,
    Line,
    Other,
}

enum Outcome {
    Committed,
    /// Conditions held but the items were busy (or throttled): wait, retry.
    Contended,
    /// These writes' conditions failed: the state changed. When the
    /// counter's did, DynamoDB also returned the counter as it is now.
    Failed(Vec<Role>, Option<Counter>),
}

/// Error codes that only say "not now": the same request may succeed later.
fn is_contention(code: &str) -> bool {
    matches!(
        code,
        "TransactionConflict"
            | "TransactionConflictException"
            | "TransactionInProgressException"
            | "ThrottlingError"
            | "ThrottlingException"
            | "ProvisionedThroughputExceeded"
            | "ProvisionedThroughputExceededException"
            | "RequestLimitExceeded"
            | "InternalServerError"
    )
}

enum Kind {
    Put,
    Update(String),
    Delete,
    Check,
}

/// One write of a transaction. In its expressions `#name` stands for the
/// attribute `name` and `:name` for a value given with [`Write::value`].
struct Write {
    role: Role,
    kind: Kind,
    /// The whole item for a put, else its key.
    item: Item,
    conditions: Vec<String>,
    values: Vec<(String, AttributeValue)>,
    returning_old: bool,
}

impl Write {
    fn new(role: Role, kind: Kind, item: Item) -> Self {
        Self {
            role,
            kind,
            item,
            conditions: Vec::new(),
            values: Vec::new(),
            returning_old: false,
        }
    }

    fn put(role: Role, item: Item) -> Self {
        Self::new(role, Kind::Put, item)
    }

    fn update(role: Role, key: Item, expression: &str) -> Self {
        Self::new(role, Kind::Update(expression.to_owned()), key)
    }

    fn delete(role: Role, key: Item) -> Self {
        Self::new(role, Kind::Delete, key)
    }

    /// A condition on an item that is not written; give it with `when`.
    fn check(role: Role, key: Item) -> Self {
        Self::new(role, Kind::Check, key)
    }

    /// Adds a condition; all must hold.
    fn when(mut self, condition: &str) -> Self {
        self.conditions.push(condition.to_owned());
        self
    }

    fn value(mut self, name: &str, value: AttributeValue) -> Self {
        self.values.push((name.to_owned(), value));
        self
    }

    /// When a condition fails, DynamoDB returns the item as it is.
    fn returning_old(mut self) -> Self {
        self.returning_old = true;
        self
    }

    fn build(self, table: &str) -> Result<TransactWriteItem, StoreError> {
        let condition = (!self.conditions.is_empty()).then(|| self.conditions.join(" AND "));
        let expression = match &self.kind {
            Kind::Update(expression) => expression.as_str(),
            _ => "",
        };
        let names = names(&[expression, condition.as_deref().unwrap_or_default()]);
        let values = values(self.values);
        let returning = self
            .returning_old
            .then_some(ReturnValuesOnConditionCheckFailure::AllOld);
        let write = TransactWriteItem::builder();
        let write = match self.kind {
            Kind::Put => write.put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(self.item))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values_on_condition_check_failure(returning)
                    .build()
                    .map_err(bug)?,
            ),
            Kind::Update(expression) => write.update(
                Update::builder()
                    .table_name(table)
                    .set_key(Some(self.item))
                    .update_expression(expression)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values_on_condition_check_failure(returning)
                    .build()
                    .map_err(bug)?,
            ),
            Kind::Delete => write.delete(
                Delete::builder()
                    .table_name(table)
                    .set_key(Some(self.item))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values_on_condition_check_failure(returning)
                    .build()
                    .map_err(bug)?,
            ),
            Kind::Check => write.condition_check(
                ConditionCheck::builder()
                    .table_name(table)
                    .set_key(Some(self.item))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values_on_condition_check_failure(returning)
                    .build()
                    .map_err(bug)?,
            ),
        };
        Ok(write.build())
    }
}

#[derive(Default)]
struct Backoff {
    conflicts: u32,
    races: u32,
}

impl Backoff {
    /// After a conflict: waits a random time up to 20 ms * 2^n (at most
    /// 1 s), "full jitter", so that the writers of a burst spread out.
    async fn conflict(&mut self, operation: &str) -> Result<(), StoreError> {
        self.conflicts += 1;
        if self.conflicts >= CONFLICT_ATTEMPTS {
            return Err(StoreError::Unavailable(format!(
                "DynamoDB {operation}: transactions still conflicting after {CONFLICT_ATTEMPTS} attempts"
            )));
        }
        tokio::time::sleep(jitter((20u64 << self.conflicts.min(6)).min(1000))).await;
        Ok(())
    }

    /// After losing a race: the state moved on, so try again soon; a
    /// random wait up to 2^n ms (at most 64) keeps the losers of a burst
    /// from colliding in step again.
    async fn race(&mut self, operation: &str) -> Result<(), StoreError> {
        self.races += 1;
        if self.races >= RACE_ATTEMPTS {
            return Err(StoreError::Unavailable(format!(
                "DynamoDB {operation}: the state kept changing for {RACE_ATTEMPTS} attempts"
            )));
        }
        tokio::time::sleep(jitter(1u64 << self.races.min(6))).await;
        Ok(())
    }
}

/// Adds to a counter write the condition that nobody joined the waiting
/// list since `counter` was read.
fn unchanged_line(write: Write, counter: &Counter) -> Write {
    match counter.next_position {
        Some(next) => write
            .when("#next_position = :next_position")
            .value(":next_position", number_value(next)),
        None => write.when("attribute_not_exists(#next_position)"),
    }
}

fn jitter(ceiling_ms: u64) -> Duration {
    // Without randomness, half the ceiling still backs off.
    let random = getrandom::u64().unwrap_or(ceiling_ms / 2);
    Duration::from_millis(random % (ceiling_ms + 1))
}

#[derive(Debug, Default, Clone, Copy)]
struct Counter {
    taken: u64,
    next_position: Option<u64>,
}

fn read_counter(item: &Item) -> Result<Counter, StoreError> {
    Ok(Counter {
        taken: number(item, "taken")?.unwrap_or(0),
        next_position: number(item, "next_position")?,
    })
}

struct Decision {
    status: Status,
    position: Option<u64>,
    writes: Vec<Write>,
    /// The counter once the writes commit, when they are conditioned on it.
    after: Option<Counter>,
}

/// The two ordered lists of a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    Waiting,
    Reserve,
}

impl List {
    fn of(status: Status) -> Option<Self> {
        match status {
            Status::Waiting => Some(Self::Waiting),
            Status::Reserve => Some(Self::Reserve),
            _ => None,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Self::Waiting => "wait#",
            Self::Reserve => "reserve#",
        }
    }

    /// Zero-padded to u64's 20 digits, so places sort by position.
    fn sort_key(self, position: u64) -> String {
        format!("{}{position:020}", self.prefix())
    }
}

/// The sort keys of the lookup items pointing at a registration, kept on it
/// so that a withdrawal or the purge can delete them.
#[derive(Debug, Default)]
struct Lookups {
    unique: Option<String>,
    confirm: Option<String>,
    withdraw: Option<String>,
}

struct Stored {
    registration: Registration,
    lookups: Lookups,
}

fn form_pk(form_id: &str) -> String {
    format!("form#{form_id}")
}

fn registration_sk(reference: &str) -> String {
    format!("reg#{reference}")
}

fn confirm_sk(token_hash: &str) -> String {
    format!("confirm#{token_hash}")
}

fn withdraw_sk(token_hash: &str) -> String {
    format!("withdraw#{token_hash}")
}

fn key(pk: &str, sk: &str) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn number_value(n: impl Display) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn pointer_item(pk: &str, sk: &str, reference: &str, ttl: i64) -> Item {
    let mut item = key(pk, sk);
    item.insert("reference".to_owned(), s(reference));
    item.insert(TTL.to_owned(), number_value(ttl));
    item
}

/// Times as text that sorts as time: UTC, fixed width, microseconds (as
/// the SQLite store keeps them).
fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("time `{text}`: {e}")))
}

fn registration_item(registration: &Registration, lookups: &Lookups) -> Item {
    let values = registration
        .values
        .iter()
        .map(|(name, value)| (name.clone(), s(value)))
        .collect();
    let consents = registration
        .consents
        .iter()
        .map(|c| {
            AttributeValue::M(HashMap::from([
                ("name".to_owned(), s(&c.name)),
                ("version".to_owned(), s(&c.version)),
                ("given_at".to_owned(), s(&time(c.given_at))),
            ]))
        })
        .collect();
    let attributes = [
        ("form_id", Some(s(&registration.form_id))),
        ("reference", Some(s(&registration.reference))),
        ("status", Some(s(registration.status.as_str()))),
        ("position", registration.position.map(number_value)),
        ("values", Some(AttributeValue::M(values))),
        ("consents", Some(AttributeValue::L(consents))),
        ("spam", registration.spam.as_deref().map(s)),
        ("created_at", Some(s(&time(registration.created_at)))),
        (
            "confirmed_at",
            registration.confirmed_at.map(|t| s(&time(t))),
        ),
        ("expires_at", Some(s(&time(registration.expires_at)))),
        (TTL, Some(number_value(registration.expires_at.timestamp()))),
        (
            "mail_problem",
            registration.mail_problem.map(|p| s(p.as_str())),
        ),
        ("unique_sk", lookups.unique.as_deref().map(s)),
        ("confirm_sk", lookups.confirm.as_deref().map(s)),
        ("withdraw_sk", lookups.withdraw.as_deref().map(s)),
    ];
    let mut item = key(
        &form_pk(&registration.form_id),
        &registration_sk(&registration.reference),
    );
    for (name, value) in attributes {
        if let Some(value) = value {
            item.insert(name.to_owned(), value);
        }
    }
    item
}

fn draw_item(pk: &str, draw: &DrawRecord) -> Item {
    let references = |list: &[String]| AttributeValue::L(list.iter().map(|r| s(r)).collect());
    let mut item = key(pk, DRAW);
    item.extend([
        ("seed".to_owned(), s(&draw.seed)),
        ("list_sha256".to_owned(), s(&draw.list_sha256)),
        ("places".to_owned(), number_value(draw.places)),
        ("winners".to_owned(), references(&draw.winners)),
        ("reserve".to_owned(), references(&draw.reserve)),
        ("drawn_at".to_owned(), s(&time(draw.drawn_at))),
    ]);
    item
}

fn read_draw(item: &Item) -> Result<DrawRecord, StoreError> {
    let references = |name: &str| match item.get(name) {
        Some(AttributeValue::L(list)) => list
            .iter()
            .map(|r| attribute_text(r, name).map(str::to_owned))
            .collect::<Result<Vec<_>, _>>(),
        _ => Err(corrupt_attribute(item, name)),
    };
    Ok(DrawRecord {
        seed: text(item, "seed")?.to_owned(),
        list_sha256: text(item, "list_sha256")?.to_owned(),
        places: number(item, "places")?.ok_or_else(|| corrupt_attribute(item, "places"))?,
        winners: references("winners")?,
        reserve: references("reserve")?,
        drawn_at: parse_time(text(item, "drawn_at")?)?,
    })
}

fn read_stored(item: &Item) -> Result<Stored, StoreError> {
    let status = text(item, "status")?;
    let values = match item.get("values") {
        Some(AttributeValue::M(map)) => map
            .iter()
            .map(|(k, v)| Ok((k.clone(), attribute_text(v, "values")?.to_owned())))
            .collect::<Result<BTreeMap<_, _>, StoreError>>()?,
        _ => return Err(corrupt_attribute(item, "values")),
    };
    let consents = match item.get("consents") {
        Some(AttributeValue::L(list)) => list
            .iter()
            .map(|consent| match consent {
                AttributeValue::M(consent) => Ok(ConsentRecord {
                    name: text(consent, "name")?.to_owned(),
                    version: text(consent, "version")?.to_owned(),
                    given_at: parse_time(text(consent, "given_at")?)?,
                }),
                _ => Err(corrupt_attribute(item, "consents")),
            })
            .collect::<Result<Vec<_>, StoreError>>()?,
        _ => return Err(corrupt_attribute(item, "consents")),
    };
    let registration = Registration {
        form_id: text(item, "form_id")?.to_owned(),
        reference: text(item, "reference")?.to_owned(),
        status: Status::parse(status)
            .ok_or_else(|| StoreError::Corrupt(format!("status `{status}`")))?,
        position: number(item, "position")?,
        values,
        consents,
        spam: optional_text(item, "spam")?.map(str::to_owned),
        created_at: parse_time(text(item, "created_at")?)?,
        confirmed_at: optional_text(item, "confirmed_at")?
            .map(parse_time)
            .transpose()?,
        expires_at: parse_time(text(item, "expires_at")?)?,
        mail_problem: optional_text(item, "mail_problem")?
            .map(|text| {
                MailProblem::parse(text)
                    .ok_or_else(|| StoreError::Corrupt(format!("mail problem `{text}`")))
            })
            .transpose()?,
    };
    let lookups = Lookups {
        unique: optional_text(item, "unique_sk")?.map(str::to_owned),
        confirm: optional_text(item, "confirm_sk")?.map(str::to_owned),
        withdraw: optional_text(item, "withdraw_sk")?.map(str::to_owned),
    };
    Ok(Stored {
        registration,
        lookups,
    })
}

/// Names the item (its keys hold no personal data) and the attribute.
fn corrupt_attribute(item: &Item, name: &str) -> StoreError {
    let part = |k: &str| {
        item.get(k)
            .and_then(|v| v.as_s().ok())
            .map_or("?", String::as_str)
    };
    StoreError::Corrupt(format!(
        "item {} / {}: attribute `{name}` is missing or of the wrong type",
        part("pk"),
        part("sk")
    ))
}

fn attribute_text<'a>(value: &'a AttributeValue, name: &str) -> Result<&'a str, StoreError> {
    value.as_s().map(String::as_str).map_err(|_| {
        StoreError::Corrupt(format!("attribute `{name}` holds something else than text"))
    })
}

fn text<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    optional_text(item, name)?.ok_or_else(|| corrupt_attribute(item, name))
}

fn optional_text<'a>(item: &'a Item, name: &str) -> Result<Option<&'a str>, StoreError> {
    item.get(name)
        .map(|value| attribute_text(value, name))
        .transpose()
}

fn number(item: &Item, name: &str) -> Result<Option<u64>, StoreError> {
    item.get(name)
        .map(|value| {
            value
                .as_n()
                .ok()
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| corrupt_attribute(item, name))
        })
        .transpose()
}

/// The attribute names expressions refer to: `#status` stands for
/// `status`. Every name is aliased, as many (`status`, `values`, `count`,
/// `ttl`) are reserved words in DynamoDB expressions.
fn names(expressions: &[&str]) -> Option<HashMap<String, String>> {
    let mut names = HashMap::new();
    for expression in expressions {
        let mut rest = *expression;
        while let Some(start) = rest.find('#') {
            let name: String = rest[start + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            rest = &rest[start + 1 + name.len()..];
            names.insert(format!("#{name}"), name);
        }
    }
    (!names.is_empty()).then_some(names)
}

/// DynamoDB refuses an empty value map: `None` then.
fn values(values: Vec<(String, AttributeValue)>) -> Option<HashMap<String, AttributeValue>> {
    (!values.is_empty()).then(|| values.into_iter().collect())
}

/// A request this module failed to build: a bug, reported as unavailable
/// since nothing was written.
fn bug(error: impl Display) -> StoreError {
    StoreError::Unavailable(format!("a DynamoDB request could not be built: {error}"))
}

/// An SDK error as a store error. The message is for logs and staff: the
/// operation and DynamoDB's error code and message (never item contents),
/// or, when DynamoDB was not reached, the chain of causes.
fn failure<E, R>(operation: &str, error: SdkError<E, R>) -> StoreError
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_name_their_attributes() {
        let names = names(&[
            "#status = :pending AND attribute_not_exists(#pk)",
            "SET #next_position = :n",
        ])
        .expect("names");
        assert_eq!(names.len(), 3);
        assert_eq!(names["#next_position"], "next_position");
        assert_eq!(names["#status"], "status");
        assert!(super::names(&["", ":a = :b"]).is_none());
    }

    #[test]
    fn list_places_sort_by_position() {
        assert!(List::Waiting.sort_key(9) < List::Waiting.sort_key(10));
        assert_eq!(List::Reserve.sort_key(1), "reserve#00000000000000000001");
    }

    #[test]
    fn a_registration_reads_back_as_written() {
        let at = DateTime::parse_from_rfc3339("2020-03-05T12:00:00.123456Z")
            .expect("a time")
            .with_timezone(&Utc);
        let registration = Registration {
            form_id: "warsztat".to_owned(),
            reference: "K7QX-M3PA".to_owned(),
            status: Status::Waiting,
            position: Some(4),
            values: BTreeMap::from([("email".to_owned(), "anna@example.pl".to_owned())]),
            consents: vec![ConsentRecord {
                name: "processing".to_owned(),
                version: "1".to_owned(),
                given_at: at,
            }],
            spam: None,
            created_at: at,
            confirmed_at: Some(at),
            expires_at: at,
            mail_problem: Some(MailProblem::Bounced),
        };
        let lookups = Lookups {
            unique: Some("key#x".to_owned()),
            confirm: None,
            withdraw: Some("withdraw#y".to_owned()),
        };
        let stored = read_stored(&registration_item(&registration, &lookups)).expect("readable");
        assert_eq!(stored.registration, registration);
        assert_eq!(stored.lookups.withdraw.as_deref(), Some("withdraw#y"));
    }
}
