//! The `Store` trait on DynamoDB: each operation as reads, a decision and
//! one transaction, retried when another writer got there first.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};

use agora_core::registration::{
    token_hash, Admission, MailProblem, NewRegistration, Registration, Status,
};
use agora_core::store::{Counts, DrawRecord, DrawRecorded, Inserted, Store, StoreError, Withdrawn};

use super::items::*;
use super::lines::Decision;
use super::transactions::*;
use super::{failure, DynamoStore};

/// How long a request-count window is kept (as the SQLite store does).
pub(super) const RATE_WINDOW_KEPT: chrono::Duration =
    chrono::Duration::days(agora_core::store::REQUEST_COUNTS_KEPT_DAYS);

impl Store for DynamoStore {
    async fn insert(
        &self,
        new: NewRegistration,
        admission: Option<Admission>,
    ) -> Result<Inserted, StoreError> {
        if new.spam.is_some() {
            return self.insert_spam(&new).await;
        }
        let insertion = Insertion::of(&new);
        let pk = insertion.pk.as_str();
        let mut turn = self.turn(pk, admission).await?;
        let mut counter = turn.counter();
        let mut backoff = Backoff::default();
        loop {
            let decision = match admission {
                Some(admission) => {
                    self.decide(
                        pk,
                        &new.reference,
                        admission,
                        insertion.ttl,
                        counter.take(),
                        new.created_at,
                    )
                    .await?
                }
                None => Decision::unconfirmed(),
            };
            let item = insertion.item(&decision, admission.is_some());
            // Returned as it reads back (times to the microsecond).
            let stored = read_stored(&item)?.registration;
            let after = decision.after;
            match self.transact(insertion.writes(item, decision)).await? {
                Outcome::Committed => {
                    turn.leave(after);
                    return Ok(Inserted::New(stored));
                }
                Outcome::Contended => backoff.conflict("insert").await?,
                Outcome::Failed(failed, _) if failed.contains(&Role::UniqueKey) => {
                    match self
                        .existing(pk, &insertion.unique_sk, new.created_at)
                        .await?
                    {
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
        let mut turn = self.turn(&pk, Some(admission)).await?;
        let mut counter = turn.counter();
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
                    turn.leave(decision.after);
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
            // The idea's record goes in the same transaction: no record
            // outlives the withdrawal, and none is saved after it.
            writes.push(Write::delete(Role::Other, key(&pk, &idea_sk(&reference))));
            if let (Some(list), Some(position)) =
                (List::of(registration.status), registration.position)
            {
                writes.push(Write::delete(
                    Role::Line,
                    key(&pk, &list.sort_key(position)),
                ));
            }
            let freed = agora_core::store::next_in_line(registration.status)
                .and_then(|(listed, given)| Some((List::of(listed)?, given)));
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
            if let Some(status) = Status::parse(text(&item, "status")?) {
                counts.add(status, 1);
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
        // Registrations stored a moment ago are due too: the scan is
        // strongly consistent.
        let due = self
            .scan_keys(
                FILTER,
                vec![
                    (":registration".to_owned(), s("reg#")),
                    (":now".to_owned(), s(&time(now))),
                    (":rate".to_owned(), s("rate#")),
                    (":now_seconds".to_owned(), number_value(now.timestamp())),
                ],
            )
            .await?;
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

impl DynamoStore {
    /// Stores a submission taken for spam: without a unique key item (it
    /// must not block the real person) or token items (its links must do
    /// nothing).
    async fn insert_spam(&self, new: &NewRegistration) -> Result<Inserted, StoreError> {
        let spam = registration_of(new, Status::Spam, None, None);
        let item = registration_item(&spam, &Lookups::default());
        // Returned as it reads back (times to the microsecond).
        let stored = read_stored(&item)?.registration;
        let mut backoff = Backoff::default();
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
}

/// What an insert writes whatever its admission decides: the registration
/// and the lookup items pointing at it.
struct Insertion<'a> {
    new: &'a NewRegistration,
    pk: String,
    ttl: i64,
    unique_sk: String,
    lookups: Lookups,
}

impl<'a> Insertion<'a> {
    fn of(new: &'a NewRegistration) -> Self {
        let unique_sk = format!("key#{}", token_hash(&new.unique_key));
        Self {
            pk: form_pk(&new.form_id),
            ttl: new.expires_at.timestamp(),
            lookups: Lookups {
                unique: Some(unique_sk.clone()),
                confirm: new.confirm_token_hash.as_deref().map(confirm_sk),
                withdraw: Some(withdraw_sk(&new.withdraw_token_hash)),
            },
            unique_sk,
            new,
        }
    }

    /// The registration's item as `decision` has it; an admission without
    /// a confirmation confirms it at once.
    fn item(&self, decision: &Decision, admitted: bool) -> Item {
        let confirmed_at = admitted.then_some(self.new.created_at);
        let registration =
            registration_of(self.new, decision.status, decision.position, confirmed_at);
        registration_item(&registration, &self.lookups)
    }

    /// The registration and its unique key, each only where none is, the
    /// token items, then the writes that make `decision` hold.
    fn writes(&self, item: Item, decision: Decision) -> Vec<Write> {
        let pointer = |sk: &str| pointer_item(&self.pk, sk, &self.new.reference, self.ttl);
        let mut writes = vec![
            Write::put(Role::Registration, item).when("attribute_not_exists(#pk)"),
            Write::put(Role::UniqueKey, pointer(&self.unique_sk)).when("attribute_not_exists(#pk)"),
        ];
        // Token hashes are 256-bit: a collision is not a case to handle.
        let tokens = [&self.lookups.confirm, &self.lookups.withdraw];
        for token in tokens.into_iter().flatten() {
            writes.push(Write::put(Role::Other, pointer(token)));
        }
        writes.extend(decision.writes);
        writes
    }
}

/// The registration `new` becomes, as decided.
fn registration_of(
    new: &NewRegistration,
    status: Status,
    position: Option<u64>,
    confirmed_at: Option<DateTime<Utc>>,
) -> Registration {
    Registration {
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
    }
}
