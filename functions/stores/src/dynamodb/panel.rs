//! The staff workspace's records in the table (their items are listed in
//! `mod.rs`): sign-in links and sessions, each its own partition, a
//! pointer per session under its account so that signing out everywhere
//! is one `Query`, the accounts in one partition and the audit log in
//! another. Links, sessions and log lines carry `ttl`, and every read
//! skips them past `expires_at`, as TTL erases late.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};

use agora_core::panel::{Account, AuditAction, AuditEntry, PanelStore, Role, Session, SignInLink};
use agora_core::registration::token_hash;
use agora_core::store::StoreError;

use super::items::*;
use super::reads::query_items;
use super::{failure, DynamoStore};

/// `link#<token hash>`: a sign-in link.
const LINK: &str = "link#";
/// `session#<id hash>`: a session.
const SESSION: &str = "session#";
/// `sessions-of#<sha256 of the address>`: the account's sessions, one
/// pointer each (sort key: the session's id hash). Hashed so that a key
/// holds no e-mail.
const SESSIONS_OF: &str = "sessions-of#";
/// The partition of the accounts added from the panel (sort key: the
/// address).
const ACCOUNTS: &str = "accounts";
/// The partition of the audit log (sort key: time, then a random suffix).
const AUDIT: &str = "audit";
/// The sort key of the items alone in their partition.
const LINK_SK: &str = "link";
const SESSION_SK: &str = "session";

impl PanelStore for DynamoStore {
    async fn put_sign_in_link(&self, link: &SignInLink) -> Result<(), StoreError> {
        self.put_item(link_item(link)).await
    }

    async fn take_sign_in_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SignInLink>, StoreError> {
        // One conditional delete: of requests racing with the same link,
        // DynamoDB lets exactly one find it there.
        let unexpired = Condition {
            expression: "attribute_exists(#pk) AND #expires_at > :now",
            values: vec![(":now".to_owned(), s(&time(now)))],
        };
        let key = key(&format!("{LINK}{token_hash}"), LINK_SK);
        self.delete_returning(key, Some(unexpired))
            .await?
            .map(|item| read_link(&item, token_hash))
            .transpose()
    }

    async fn put_session(
        &self,
        session: &Session,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // The pointer first: a session is never stored where signing out
        // everywhere cannot find it (a pointer left alone is harmless).
        let pointer = session_pointer(&session.email, &session.id_hash, expires_at);
        self.put_item(pointer).await?;
        self.put_item(session_item(session, expires_at)).await
    }

    async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let Some(item) = self.get(&session_pk(id_hash), SESSION_SK).await? else {
            return Ok(None);
        };
        if has_expired(&item, now)? {
            return Ok(None);
        }
        read_session(&item, id_hash).map(Some)
    }

    async fn touch_session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        // Only where the session still is: an update would otherwise
        // create a session that was ended.
        const UPDATE: &str = "SET #last_seen = :now";
        const CONDITION: &str = "attribute_exists(#pk)";
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&session_pk(id_hash), SESSION_SK)))
            .update_expression(UPDATE)
            .condition_expression(CONDITION)
            .set_expression_attribute_names(names(&[UPDATE, CONDITION]))
            .expression_attribute_values(":now", s(&time(now)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if error.code() == Some(CONDITION_FAILED) => Ok(()),
            Err(error) => Err(failure("UpdateItem", error)),
        }
    }

    async fn end_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        let Some(email) = self.delete_session(id_hash).await? else {
            return Ok(false);
        };
        self.delete_item(pointer_key(&email, id_hash)).await?;
        Ok(true)
    }

    async fn end_sessions_of(&self, email: &str) -> Result<u64, StoreError> {
        let pointers = query_items(self.partition(&sessions_of_pk(email)), usize::MAX).await?;
        let mut ended = 0;
        for pointer in pointers {
            let id_hash = text(&pointer, "sk")?;
            if self.delete_session(id_hash).await?.is_some() {
                ended += 1;
            }
            self.delete_item(pointer_key(email, id_hash)).await?;
        }
        Ok(ended)
    }

    async fn put_account(&self, account: &Account) -> Result<(), StoreError> {
        self.put_item(account_item(account)).await
    }

    async fn account(&self, email: &str) -> Result<Option<Account>, StoreError> {
        self.get(ACCOUNTS, email)
            .await?
            .map(|item| read_account(&item))
            .transpose()
    }

    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        // The sort key is the address: the partition reads in its order.
        query_items(self.partition(ACCOUNTS), usize::MAX)
            .await?
            .iter()
            .map(read_account)
            .collect()
    }

    async fn remove_account(&self, email: &str) -> Result<bool, StoreError> {
        let removed = self.delete_returning(key(ACCOUNTS, email), None).await?;
        Ok(removed.is_some())
    }

    async fn append_audit(
        &self,
        entry: &AuditEntry,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // Lines of the same moment differ by the suffix, so none replaces
        // another.
        let suffix = getrandom::u64().map_err(|e| {
            StoreError::Unavailable(format!("no randomness for an audit line: {e}"))
        })?;
        self.put_item(audit_item(entry, expires_at, suffix)).await
    }

    async fn audit_log(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        // Newest first: the sort key starts with the time. The filter
        // applies after a page's `limit` items are read, so pages follow
        // until enough lines are found.
        let page_size = i32::try_from(limit).unwrap_or(i32::MAX);
        let query = self
            .partition(AUDIT)
            .scan_index_forward(false)
            .filter_expression("#expires_at > :now")
            .expression_attribute_names("#expires_at", "expires_at")
            .expression_attribute_values(":now", s(&time(now)))
            .limit(page_size);
        query_items(query, limit)
            .await?
            .iter()
            .map(read_audit)
            .collect()
    }

    async fn purge_panel(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut erased = 0;
        for (pk, sk) in self.ended_panel_items(now).await? {
            let existed = self.delete_returning(key(&pk, &sk), None).await?;
            // A session's pointer ends with it, and is counted with it.
            if existed.is_some() && !pk.starts_with(SESSIONS_OF) {
                erased += 1;
            }
        }
        Ok(erased)
    }
}

/// The error code of a condition that did not hold.
const CONDITION_FAILED: &str = "ConditionalCheckFailedException";

/// A condition on a single-item write: `#name` stands for the attribute
/// `name`, `:name` for a value given here.
struct Condition {
    expression: &'static str,
    values: Vec<(String, AttributeValue)>,
}

impl DynamoStore {
    async fn put_item(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| failure("PutItem", e))?;
        Ok(())
    }

    async fn delete_item(&self, key: Item) -> Result<(), StoreError> {
        self.delete_returning(key, None).await.map(drop)
    }

    /// Deletes the item if it is there and `condition` holds, in one step,
    /// and returns it as it was; `None` when it was not there or the
    /// condition failed.
    async fn delete_returning(
        &self,
        key: Item,
        condition: Option<Condition>,
    ) -> Result<Option<Item>, StoreError> {
        let (expression, values_given) = match condition {
            Some(condition) => (Some(condition.expression), condition.values),
            None => (None, Vec::new()),
        };
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .set_condition_expression(expression.map(str::to_owned))
            .set_expression_attribute_names(expression.and_then(|e| names(&[e])))
            .set_expression_attribute_values(values(values_given))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => Ok(output.attributes),
            Err(error) if error.code() == Some(CONDITION_FAILED) => Ok(None),
            Err(error) => Err(failure("DeleteItem", error)),
        }
    }

    /// Deletes a session, returning its account's address if it was there.
    async fn delete_session(&self, id_hash: &str) -> Result<Option<String>, StoreError> {
        self.delete_returning(key(&session_pk(id_hash), SESSION_SK), None)
            .await?
            .map(|item| text(&item, "email").map(str::to_owned))
            .transpose()
    }

    /// The keys of the links, sessions, session pointers and log lines
    /// whose time ended by `now`. A scan, as each link and session is its
    /// own partition; the purge runs daily and TTL does most of the work.
    async fn ended_panel_items(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        const FILTER: &str = "#expires_at <= :now AND (begins_with(#pk, :link) \
                              OR begins_with(#pk, :session) OR begins_with(#pk, :sessions_of) \
                              OR #pk = :audit)";
        let values = vec![
            (":now".to_owned(), s(&time(now))),
            (":link".to_owned(), s(LINK)),
            (":session".to_owned(), s(SESSION)),
            (":sessions_of".to_owned(), s(SESSIONS_OF)),
            (":audit".to_owned(), s(AUDIT)),
        ];
        self.scan_keys(FILTER, values).await
    }
}

fn session_pk(id_hash: &str) -> String {
    format!("{SESSION}{id_hash}")
}

fn sessions_of_pk(email: &str) -> String {
    format!("{SESSIONS_OF}{}", token_hash(email))
}

fn pointer_key(email: &str, id_hash: &str) -> Item {
    key(&sessions_of_pk(email), id_hash)
}

/// The item of `pk` and `sk` with the attributes that have a value.
fn item_of<const N: usize>(
    pk: &str,
    sk: &str,
    attributes: [(&str, Option<AttributeValue>); N],
) -> Item {
    let mut item = key(pk, sk);
    for (name, value) in attributes {
        if let Some(value) = value {
            item.insert(name.to_owned(), value);
        }
    }
    item
}

/// As [`item_of`], for a record that ends at `expires_at`: the time as
/// text for reads, and in epoch seconds for TTL.
fn ending_item<const N: usize>(
    pk: &str,
    sk: &str,
    expires_at: DateTime<Utc>,
    attributes: [(&str, Option<AttributeValue>); N],
) -> Item {
    let mut item = item_of(pk, sk, attributes);
    item.insert("expires_at".to_owned(), s(&time(expires_at)));
    item.insert(TTL.to_owned(), number_value(expires_at.timestamp()));
    item
}

/// A time attribute.
fn time_of(item: &Item, name: &str) -> Result<DateTime<Utc>, StoreError> {
    parse_time(text(item, name)?)
}

/// Whether the record's time ended by `now` (times are stored as text
/// that sorts as time).
fn has_expired(item: &Item, now: DateTime<Utc>) -> Result<bool, StoreError> {
    Ok(text(item, "expires_at")? <= time(now).as_str())
}

fn link_item(link: &SignInLink) -> Item {
    let pk = format!("{LINK}{}", link.token_hash);
    let created_at = time(link.created_at);
    let attributes = [
        ("email", Some(s(&link.email))),
        ("created_at", Some(s(&created_at))),
    ];
    ending_item(&pk, LINK_SK, link.expires_at, attributes)
}

fn read_link(item: &Item, token_hash: &str) -> Result<SignInLink, StoreError> {
    Ok(SignInLink {
        token_hash: token_hash.to_owned(),
        email: text(item, "email")?.to_owned(),
        created_at: time_of(item, "created_at")?,
        expires_at: time_of(item, "expires_at")?,
    })
}

fn session_item(session: &Session, expires_at: DateTime<Utc>) -> Item {
    let attributes = [
        ("email", Some(s(&session.email))),
        ("created_at", Some(s(&time(session.created_at)))),
        ("last_seen", Some(s(&time(session.last_seen)))),
    ];
    ending_item(
        &session_pk(&session.id_hash),
        SESSION_SK,
        expires_at,
        attributes,
    )
}

fn read_session(item: &Item, id_hash: &str) -> Result<Session, StoreError> {
    Ok(Session {
        id_hash: id_hash.to_owned(),
        email: text(item, "email")?.to_owned(),
        created_at: time_of(item, "created_at")?,
        last_seen: time_of(item, "last_seen")?,
    })
}

/// Points from the account at one of its sessions, and ends with it.
fn session_pointer(email: &str, id_hash: &str, expires_at: DateTime<Utc>) -> Item {
    ending_item(&sessions_of_pk(email), id_hash, expires_at, [])
}

fn account_item(account: &Account) -> Item {
    item_of(
        ACCOUNTS,
        &account.email,
        [
            ("role", Some(s(account.role.as_str()))),
            ("area", account.area.as_deref().map(s)),
            ("added_by", account.added_by.as_deref().map(s)),
            ("added_at", account.added_at.map(|t| s(&time(t)))),
        ],
    )
}

fn read_account(item: &Item) -> Result<Account, StoreError> {
    let role = text(item, "role")?;
    Ok(Account {
        email: text(item, "sk")?.to_owned(),
        role: Role::parse(role).ok_or_else(|| StoreError::Corrupt(format!("role `{role}`")))?,
        area: optional_text(item, "area")?.map(str::to_owned),
        added_by: optional_text(item, "added_by")?.map(str::to_owned),
        added_at: optional_text(item, "added_at")?
            .map(parse_time)
            .transpose()?,
    })
}

fn audit_item(entry: &AuditEntry, expires_at: DateTime<Utc>, suffix: u64) -> Item {
    let at = time(entry.at);
    let attributes = [
        ("at", Some(s(&at))),
        ("actor", Some(s(&entry.actor))),
        ("action", Some(s(entry.action.as_str()))),
        ("form_id", entry.form_id.as_deref().map(s)),
        ("reference", entry.reference.as_deref().map(s)),
        ("detail", entry.detail.as_deref().map(s)),
    ];
    ending_item(
        AUDIT,
        &format!("{at}#{suffix:016x}"),
        expires_at,
        attributes,
    )
}

fn read_audit(item: &Item) -> Result<AuditEntry, StoreError> {
    let action = text(item, "action")?;
    let optional = |name| optional_text(item, name).map(|value| value.map(str::to_owned));
    Ok(AuditEntry {
        at: time_of(item, "at")?,
        actor: text(item, "actor")?.to_owned(),
        action: AuditAction::parse(action)
            .ok_or_else(|| StoreError::Corrupt(format!("audit action `{action}`")))?,
        form_id: optional("form_id")?,
        reference: optional("reference")?,
        detail: optional("detail")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, minute, 0)
            .single()
            .expect("a valid moment")
    }

    #[test]
    fn records_read_back_as_written() {
        let link = SignInLink {
            token_hash: "t".to_owned(),
            email: "anna@example.pl".to_owned(),
            created_at: at(0),
            expires_at: at(15),
        };
        assert_eq!(read_link(&link_item(&link), "t").expect("a link"), link);
        let session = Session {
            id_hash: "h".to_owned(),
            email: "anna@example.pl".to_owned(),
            created_at: at(0),
            last_seen: at(5),
        };
        let item = session_item(&session, at(30));
        assert_eq!(read_session(&item, "h").expect("a session"), session);
        assert_eq!(item[TTL], number_value(at(30).timestamp()));
        let office = Account::office("biuro@example.pl".to_owned());
        let item = account_item(&office);
        assert!(!item.contains_key("area"), "no empty attributes");
        assert_eq!(read_account(&item).expect("an account"), office);
    }

    #[test]
    fn audit_lines_of_one_moment_differ_and_sort_by_time() {
        let entry = AuditEntry {
            at: at(1),
            actor: "biuro@example.pl".to_owned(),
            action: AuditAction::AccountAdded,
            form_id: None,
            reference: Some("K7QX-M3PA".to_owned()),
            detail: None,
        };
        let first = audit_item(&entry, at(59), 1);
        let second = audit_item(&entry, at(59), 2);
        assert_ne!(first["sk"], second["sk"]);
        assert_eq!(read_audit(&first).expect("a line"), entry);
        let later = audit_item(&AuditEntry { at: at(2), ..entry }, at(59), 0);
        assert!(text(&later, "sk").expect("a key") > text(&second, "sk").expect("a key"));
    }

    #[test]
    fn a_record_ends_at_its_expiry() {
        let item = session_pointer("anna@example.pl", "h", at(30));
        assert!(!has_expired(&item, at(29)).expect("a time"));
        assert!(has_expired(&item, at(30)).expect("a time"));
        assert!(!text(&item, "pk").expect("a key").contains("anna"));
    }
}
