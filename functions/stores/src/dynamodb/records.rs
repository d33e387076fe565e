//! What staff decide and publish, in the form's partition beside its
//! registrations (the items are listed in `mod.rs`): a decision per
//! application, replaced by the next one, and the published list and the
//! "results mailed" mark, each put only where none is, so that of two
//! office workers pressing the button at once one stores it (the list is
//! replaced only in a transaction that checks the form has no draw, the
//! mark deleted only when sending failed before any message went); the mark
//! that the form's public list may be out of date (`list-outdated`, put
//! only where none is, deleted once the list is published).

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use agora_core::panel::{Appointment, Decision, ListPublished, StaffRecords, StoredList};
use agora_core::store::StoreError;

use super::items::*;
use super::transactions::{Backoff, Outcome, Role, Write};
use super::{failure, DynamoStore};

/// The sort key of a form's published list. The list is one item: its
/// text is 10 bytes a reference (9 characters and a line end), so
/// DynamoDB's 400 KB item holds a list of about 40,000 applications. The
/// form's draw record, one item too, holds every reference of the list
/// (winners and reserve) and reaches the limit about as soon, so the list
/// bounds nothing the draw does not; a longer one is refused by DynamoDB
/// (`ValidationException`) and nothing is stored.
const LIST: &str = "list";
/// The sort key of the mark that a form's draw results were e-mailed.
const RESULTS_MAILED: &str = "results-mailed";
/// The sort key of the mark that a form's public list may be out of
/// date: put only where none is (the earliest moment stays), deleted
/// once the list is published.
const LIST_OUTDATED: &str = "list-outdated";

/// Appointments end with their registration: each carries the
/// registration's `ttl`, so DynamoDB erases both even if the purge never
/// runs, and the purge deletes it in the registration's transaction. See
/// the SQLite store's impl for why.
impl StaffRecords for DynamoStore {
    async fn put_appointment(&self, appointment: &Appointment) -> Result<(), StoreError> {
        let pk = form_pk(&appointment.form_id);
        let ends = self.registration_end(&pk, &appointment.reference).await?;
        self.put(appointment_item(appointment, ends), false)
            .await
            .map(drop)
    }

    async fn appointments(&self, form_id: &str) -> Result<Vec<Appointment>, StoreError> {
        // The sort key ends with the reference: the query reads in its order.
        self.query(&form_pk(form_id), APPOINTMENT, None)
            .await?
            .iter()
            .map(|item| read_appointment(item, form_id))
            .collect()
    }

    async fn publish_list(&self, list: &StoredList) -> Result<ListPublished, StoreError> {
        if self.put(list_item(list), true).await? {
            return Ok(ListPublished::Done(list.clone()));
        }
        // Lists are never deleted: the one that was there is there still.
        let earlier = self.published_list(&list.form_id).await?;
        earlier.map(ListPublished::Already).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "the list of {} was refused, then not found",
                list.form_id
            ))
        })
    }

    async fn replace_list(&self, list: &StoredList) -> Result<bool, StoreError> {
        // The list and the draw are two items: only a transaction checks
        // one while it writes the other, so no draw is recorded between.
        let pk = form_pk(&list.form_id);
        let mut backoff = Backoff::default();
        loop {
            let undrawn =
                Write::check(Role::Other, key(&pk, DRAW)).when("attribute_not_exists(#pk)");
            let put = Write::put(Role::Other, list_item(list));
            match self.transact(vec![undrawn, put]).await? {
                Outcome::Committed => return Ok(true),
                Outcome::Failed(..) => return Ok(false),
                Outcome::Contended => backoff.conflict("replace_list").await?,
            }
        }
    }

    async fn published_list(&self, form_id: &str) -> Result<Option<StoredList>, StoreError> {
        self.get(&form_pk(form_id), LIST)
            .await?
            .map(|item| read_list(&item, form_id))
            .transpose()
    }

    async fn note_results_mailed(
        &self,
        form_id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut item = key(&form_pk(form_id), RESULTS_MAILED);
        item.insert("mailed_at".to_owned(), s(&time(at)));
        self.put(item, true).await
    }

    async fn clear_results_mailed(&self, form_id: &str) -> Result<(), StoreError> {
        self.delete(key(&form_pk(form_id), RESULTS_MAILED)).await
    }

    async fn results_mailed(&self, form_id: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.time_of(form_id, RESULTS_MAILED, "mailed_at").await
    }

    async fn set_list_outdated(
        &self,
        form_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut item = key(&form_pk(form_id), LIST_OUTDATED);
        let Some(since) = since else {
            return self.delete(item).await;
        };
        item.insert("since".to_owned(), s(&time(since)));
        self.put(item, true).await.map(drop)
    }

    async fn list_outdated(&self, form_id: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.time_of(form_id, LIST_OUTDATED, "since").await
    }
}

/// When a registration ends: its `expires_at` as stored, and its `ttl`.
struct Ends {
    expires_at: String,
    ttl: AttributeValue,
}

impl DynamoStore {
    /// Puts the item; with `once`, only where no item of its key is.
    /// False when `once` kept it out.
    async fn put(&self, item: Item, once: bool) -> Result<bool, StoreError> {
        const ABSENT: &str = "attribute_not_exists(#pk)";
        let condition = once.then_some(ABSENT);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_owned))
            .set_expression_attribute_names(condition.and_then(|c| names(&[c])))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if error.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(error) => Err(failure("PutItem", error)),
        }
    }

    /// Deletes the item of `key`, if it is there.
    async fn delete(&self, key: Item) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .send()
            .await
            .map_err(|e| failure("DeleteItem", e))?;
        Ok(())
    }

    /// The moment `attribute` of the form's item `sk` holds, if it is there.
    async fn time_of(
        &self,
        form_id: &str,
        sk: &str,
        attribute: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.get(&form_pk(form_id), sk)
            .await?
            .map(|item| parse_time(text(&item, attribute)?))
            .transpose()
    }

    /// When the registration `reference` ends, if it is there.
    async fn registration_end(
        &self,
        pk: &str,
        reference: &str,
    ) -> Result<Option<Ends>, StoreError> {
        let Some(item) = self.get(pk, &registration_sk(reference)).await? else {
            return Ok(None);
        };
        let ttl = item.get(TTL).cloned();
        Ok(optional_text(&item, "expires_at")?
            .zip(ttl)
            .map(|(expires_at, ttl)| Ends {
                expires_at: expires_at.to_owned(),
                ttl,
            }))
    }
}

fn appointment_item(appointment: &Appointment, ends: Option<Ends>) -> Item {
    let mut item = key(
        &form_pk(&appointment.form_id),
        &appointment_sk(&appointment.reference),
    );
    item.extend([
        ("reference".to_owned(), s(&appointment.reference)),
        ("decision".to_owned(), s(appointment.decision.as_str())),
        ("decided_by".to_owned(), s(&appointment.decided_by)),
        ("decided_at".to_owned(), s(&time(appointment.decided_at))),
    ]);
    if let Some(ends) = ends {
        item.insert("expires_at".to_owned(), s(&ends.expires_at));
        item.insert(TTL.to_owned(), ends.ttl);
    }
    item
}

fn read_appointment(item: &Item, form_id: &str) -> Result<Appointment, StoreError> {
    let decision = text(item, "decision")?;
    Ok(Appointment {
        form_id: form_id.to_owned(),
        reference: text(item, "reference")?.to_owned(),
        decision: Decision::parse(decision)
            .ok_or_else(|| StoreError::Corrupt(format!("decision `{decision}`")))?,
        decided_by: text(item, "decided_by")?.to_owned(),
        decided_at: parse_time(text(item, "decided_at")?)?,
    })
}

fn list_item(list: &StoredList) -> Item {
    let mut item = key(&form_pk(&list.form_id), LIST);
    item.extend([
        ("text".to_owned(), s(&list.text)),
        ("sha256".to_owned(), s(&list.sha256)),
        ("published_by".to_owned(), s(&list.published_by)),
        ("published_at".to_owned(), s(&time(list.published_at))),
    ]);
    item
}

fn read_list(item: &Item, form_id: &str) -> Result<StoredList, StoreError> {
    Ok(StoredList {
        form_id: form_id.to_owned(),
        text: text(item, "text")?.to_owned(),
        sha256: text(item, "sha256")?.to_owned(),
        published_by: text(item, "published_by")?.to_owned(),
        published_at: parse_time(text(item, "published_at")?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2 March 2026, `minute` past nine.
    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_442_000 + minute * 60, 0).expect("a valid moment")
    }

    fn dismissed() -> Appointment {
        Appointment {
            form_id: "ambasadorzy".to_owned(),
            reference: "K7QX-M3PA".to_owned(),
            decision: Decision::Dismissed,
            decided_by: "biuro@example.pl".to_owned(),
            decided_at: at(1),
        }
    }

    #[test]
    fn records_read_back_as_written() {
        let item = appointment_item(&dismissed(), None);
        assert!(!item.contains_key(TTL), "no registration, no end");
        assert_eq!(
            read_appointment(&item, "ambasadorzy").expect("a decision"),
            dismissed()
        );
        let list = StoredList {
            form_id: "warsztaty".to_owned(),
            text: "agora-lottery-list v1\nform: warsztaty\n".to_owned(),
            sha256: "ab".repeat(32),
            published_by: "biuro@example.pl".to_owned(),
            published_at: at(2),
        };
        assert_eq!(
            read_list(&list_item(&list), "warsztaty").expect("a list"),
            list
        );
    }

    #[test]
    fn an_appointment_ends_with_its_registration() {
        let ends = Ends {
            expires_at: time(at(30)),
            ttl: number_value(at(30).timestamp()),
        };
        let item = appointment_item(&dismissed(), Some(ends));
        assert_eq!(item[TTL], number_value(at(30).timestamp()));
        assert_eq!(text(&item, "expires_at").expect("a time"), time(at(30)));
    }

    #[test]
    fn an_unknown_decision_is_corrupt() {
        let mut item = appointment_item(&dismissed(), None);
        item.insert("decision".to_owned(), s("promoted"));
        let read = read_appointment(&item, "ambasadorzy");
        assert!(
            matches!(&read, Err(StoreError::Corrupt(why)) if why.contains("promoted")),
            "{read:?}"
        );
    }
}
