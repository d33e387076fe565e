//! The rules of places and lines: deciding an admission against the
//! counter, the first in line, handing a freed place on, and dropping
//! lookup items left behind by TTL.

use chrono::{DateTime, Utc};

use agora_core::registration::{Admission, Registration, Status};
use agora_core::store::StoreError;

use super::items::*;
use super::transactions::*;
use super::{failure, DynamoStore};

impl DynamoStore {
    /// Decides a registration that now counts, and the writes that make
    /// the decision hold: the counter's conditions fail if another writer
    /// changed it since it was read. `known` is the counter as a failed
    /// attempt returned it, which saves reading it again.
    pub(super) async fn decide(
        &self,
        pk: &str,
        reference: &str,
        admission: Admission,
        ttl: i64,
        known: Option<Counter>,
        now: DateTime<Utc>,
    ) -> Result<Decision, StoreError> {
        let capacity = match admission {
            Admission::Lottery => return Ok(Decision::applied()),
            Admission::FirstCome { capacity: None } => return Ok(Decision::unlimited(pk)),
            Admission::FirstCome {
                capacity: Some(capacity),
            } => capacity,
        };
        let counter = match known {
            Some(known) => known,
            None => self.counter(pk).await?,
        };
        // A free place goes to a newcomer only when nobody waits for it:
        // the first in line still waiting (not expired) holds the list.
        let mut ahead = None;
        if counter.taken < u64::from(capacity) {
            match self.first_in_line(pk, List::Waiting, now).await? {
                Some((place, _)) => ahead = Some(place),
                None => return Ok(Decision::free_place(pk, capacity, counter)),
            }
        }
        Ok(Decision::waiting(
            pk, reference, ttl, capacity, counter, ahead,
        ))
    }

    /// The first place on `list` whose registration is still there at that
    /// place and has not expired, with that registration. Places left
    /// behind by erased or withdrawn registrations are dropped on the way;
    /// expired ones are passed over (the purge erases them).
    pub(super) async fn first_in_line(
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
    pub(super) async fn existing(
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
    pub(super) async fn release_expired(
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
    pub(super) async fn drop_stale(
        &self,
        pk: &str,
        sk: &str,
        reference: &str,
    ) -> Result<(), StoreError> {
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
    pub(super) async fn purge_one(
        &self,
        pk: &str,
        sk: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
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
            // The office's decision on it (see `records`) and the record of
            // the idea it sent (see `ideas`) end with it; its reference
            // read from the key, which a damaged item has too.
            if let Some(reference) = sk.strip_prefix(&registration_sk("")) {
                for sk in [appointment_sk(reference), idea_sk(reference)] {
                    writes.push(Write::delete(Role::Other, key(pk, &sk)));
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
    pub(super) async fn draw_one(
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
    pub(super) async fn hand_on(
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

pub(super) struct Decision {
    pub(super) status: Status,
    pub(super) position: Option<u64>,
    pub(super) writes: Vec<Write>,
    /// The counter once the writes commit, when they are conditioned on it.
    pub(super) after: Option<Counter>,
}

impl Decision {
    fn without_writes(status: Status) -> Self {
        Self {
            status,
            position: None,
            writes: Vec::new(),
            after: None,
        }
    }

    /// A registration that counts only once confirmed: decided then.
    pub(super) fn unconfirmed() -> Self {
        Self::without_writes(Status::Pending)
    }

    /// A lottery application: the draw decides.
    fn applied() -> Self {
        Self::without_writes(Status::Applied)
    }

    /// A place on a form without a capacity. Unlimited forms count their
    /// places too, so that a capacity added later starts from the truth.
    fn unlimited(pk: &str) -> Self {
        let write = Write::update(Role::Counter, key(pk, COUNTER), "ADD #taken :one")
            .value(":one", number_value(1));
        Self {
            writes: vec![write],
            ..Self::without_writes(Status::Registered)
        }
    }

    /// A free place, if it is still free and nobody joined the list since
    /// `counter` was read.
    fn free_place(pk: &str, capacity: u32, counter: Counter) -> Self {
        let write = Write::update(Role::Counter, key(pk, COUNTER), "ADD #taken :one")
            .when("(attribute_not_exists(#taken) OR #taken < :cap)")
            .value(":one", number_value(1))
            .value(":cap", number_value(capacity))
            .returning_old();
        Self {
            writes: vec![unchanged_line(write, &counter)],
            after: Some(Counter {
                taken: counter.taken + 1,
                ..counter
            }),
            ..Self::without_writes(Status::Registered)
        }
    }
    /// Full, or others wait: the next place on the waiting list, if nobody
    /// took that place meanwhile. `ahead` is the first place in line when
    /// places are free.
    fn waiting(
        pk: &str,
        reference: &str,
        ttl: i64,
        capacity: u32,
        counter: Counter,
        ahead: Option<String>,
    ) -> Self {
        let position = counter.next_position.unwrap_or(1);
        let mut write = Write::update(
            Role::Counter,
            key(pk, COUNTER),
            "SET #next_position = :next",
        )
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
        Self {
            status: Status::Waiting,
            position: Some(position),
            writes,
            after: Some(Counter {
                next_position: Some(position + 1),
                ..counter
            }),
        }
    }
}
