//! Transactions: a write and its conditions, one `TransactWriteItems`
//! and what its cancellation reasons say, the waits between attempts, and
//! the per-form gate that lets a process's admissions take turns.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use tokio::sync::OwnedMutexGuard;

use agora_core::registration::Admission;
use agora_core::store::StoreError;

use super::items::*;
use super::{bug, failure, DynamoStore};

/// Transactions cancelled by conflicts or throttling are tried this many
/// times, with growing jittered waits, before the store reports itself
/// unavailable.
pub(super) const CONFLICT_ATTEMPTS: u32 = 10;
/// Attempts lost because another writer changed the state first. Each
/// loss means another write succeeded, so a burst always makes progress;
/// the bound only stops a runaway loop. Admissions to a form take turns
/// within a process (see `DynamoStore::gate`), so they lose only to other
/// processes, and to withdrawals and the purge.
pub(super) const RACE_ATTEMPTS: u32 = 200;

impl DynamoStore {
    /// The gate of a form's admissions with a capacity in this process.
    /// Without it the writers of a burst all race for the one counter and
    /// only one wins each round, so the last of n loses about n times (and
    /// the losers' retries load the table n² times). Through the gate they
    /// take turns, and each starts from the counter as the one before left
    /// it, so a turn is usually one transaction. Other processes (other
    /// Lambda instances) still race; the conditions keep that exact.
    pub(super) fn gate(
        &self,
        pk: &str,
    ) -> Result<Arc<tokio::sync::Mutex<Option<Counter>>>, StoreError> {
        let mut gates = self
            .gates
            .lock()
            .map_err(|_| StoreError::Unavailable("the admission gates are poisoned".to_owned()))?;
        Ok(Arc::clone(gates.entry(pk.to_owned()).or_default()))
    }

    /// Waits for the admission's turn at the form's gate, if it decides on
    /// the counter; the turn lasts until the `Turn` is dropped.
    pub(super) async fn turn(
        &self,
        pk: &str,
        admission: Option<Admission>,
    ) -> Result<Turn, StoreError> {
        Ok(Turn(match admission {
            Some(Admission::FirstCome { capacity: Some(_) }) => {
                Some(self.gate(pk)?.lock_owned().await)
            }
            _ => None,
        }))
    }

    /// Runs one transaction and says how it ended.
    pub(super) async fn transact(&self, writes: Vec<Write>) -> Result<Outcome, StoreError> {
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
}

/// An admission's turn at its form's gate (none when it does not decide
/// on the counter), holding the counter as the last turn left it.
pub(super) struct Turn(Option<OwnedMutexGuard<Option<Counter>>>);

impl Turn {
    /// The counter as the last turn left it. A stale counter only costs a
    /// failed condition, which returns the counter as it is.
    pub(super) fn counter(&mut self) -> Option<Counter> {
        self.0.as_mut().and_then(|last| last.take())
    }

    /// After a commit: the counter as this turn leaves it to the next.
    pub(super) fn leave(&mut self, after: Option<Counter>) {
        if let Some(last) = self.0.as_mut() {
            **last = after;
        }
    }
}

/// What each write of a transaction is, to read its cancellation reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Registration,
    UniqueKey,
    Counter,
    Line,
    Other,
}

pub(super) enum Outcome {
    Committed,
    /// Conditions held but the items were busy (or throttled): wait, retry.
    Contended,
    /// These writes' conditions failed: the state changed. When the
    /// counter's did, DynamoDB also returned the counter as it is now.
    Failed(Vec<Role>, Option<Counter>),
}

/// Error codes that only say "not now": the same request may succeed later.
pub(super) fn is_contention(code: &str) -> bool {
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

pub(super) enum Kind {
    Put,
    Update(String),
    Delete,
    Check,
}

/// One write of a transaction. In its expressions `#name` stands for the
/// attribute `name` and `:name` for a value given with [`Write::value`].
pub(super) struct Write {
    pub(super) role: Role,
    pub(super) kind: Kind,
    /// The whole item for a put, else its key.
    pub(super) item: Item,
    pub(super) conditions: Vec<String>,
    pub(super) values: Vec<(String, AttributeValue)>,
    pub(super) returning_old: bool,
}

impl Write {
    pub(super) fn new(role: Role, kind: Kind, item: Item) -> Self {
        Self {
            role,
            kind,
            item,
            conditions: Vec::new(),
            values: Vec::new(),
            returning_old: false,
        }
    }

    pub(super) fn put(role: Role, item: Item) -> Self {
        Self::new(role, Kind::Put, item)
    }

    pub(super) fn update(role: Role, key: Item, expression: &str) -> Self {
        Self::new(role, Kind::Update(expression.to_owned()), key)
    }

    pub(super) fn delete(role: Role, key: Item) -> Self {
        Self::new(role, Kind::Delete, key)
    }

    /// A condition on an item that is not written; give it with `when`.
    pub(super) fn check(role: Role, key: Item) -> Self {
        Self::new(role, Kind::Check, key)
    }

    /// Adds a condition; all must hold.
    pub(super) fn when(mut self, condition: &str) -> Self {
        self.conditions.push(condition.to_owned());
        self
    }

    pub(super) fn value(mut self, name: &str, value: AttributeValue) -> Self {
        self.values.push((name.to_owned(), value));
        self
    }

    /// When a condition fails, DynamoDB returns the item as it is.
    pub(super) fn returning_old(mut self) -> Self {
        self.returning_old = true;
        self
    }

    pub(super) fn build(self, table: &str) -> Result<TransactWriteItem, StoreError> {
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
pub(super) struct Backoff {
    pub(super) conflicts: u32,
    pub(super) races: u32,
}

impl Backoff {
    /// After a conflict: waits a random time up to 20 ms * 2^n (at most
    /// 1 s), "full jitter", so that the writers of a burst spread out.
    pub(super) async fn conflict(&mut self, operation: &str) -> Result<(), StoreError> {
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
    pub(super) async fn race(&mut self, operation: &str) -> Result<(), StoreError> {
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
pub(super) fn unchanged_line(write: Write, counter: &Counter) -> Write {
    match counter.next_position {
        Some(next) => write
            .when("#next_position = :next_position")
            .value(":next_position", number_value(next)),
        None => write.when("attribute_not_exists(#next_position)"),
    }
}

pub(super) fn jitter(ceiling_ms: u64) -> Duration {
    // Without randomness, half the ceiling still backs off.
    let random = getrandom::u64().unwrap_or(ceiling_ms / 2);
    Duration::from_millis(random % (ceiling_ms + 1))
}
