//! The table's items: keys, the codec between registrations and items,
//! the lines (waiting and reserve lists) and the counter, and the
//! expression helpers.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;

use aws_sdk_dynamodb::types::AttributeValue;

use agora_core::registration::{ConsentRecord, MailProblem, Registration, Status};
use agora_core::store::{DrawRecord, StoreError};

/// The TTL attribute, in epoch seconds.
pub(super) const TTL: &str = "ttl";
pub(super) const COUNTER: &str = "counter";
/// The sort key of a form's draw record, which exists once.
pub(super) const DRAW: &str = "draw";

pub(super) type Item = HashMap<String, AttributeValue>;

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Counter {
    pub(super) taken: u64,
    pub(super) next_position: Option<u64>,
}

pub(super) fn read_counter(item: &Item) -> Result<Counter, StoreError> {
    Ok(Counter {
        taken: number(item, "taken")?.unwrap_or(0),
        next_position: number(item, "next_position")?,
    })
}

/// The two ordered lists of a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum List {
    Waiting,
    Reserve,
}

impl List {
    pub(super) fn of(status: Status) -> Option<Self> {
        match status {
            Status::Waiting => Some(Self::Waiting),
            Status::Reserve => Some(Self::Reserve),
            _ => None,
        }
    }

    pub(super) fn prefix(self) -> &'static str {
        match self {
            Self::Waiting => "wait#",
            Self::Reserve => "reserve#",
        }
    }

    /// Zero-padded to u64's 20 digits, so places sort by position.
    pub(super) fn sort_key(self, position: u64) -> String {
        format!("{}{position:020}", self.prefix())
    }
}

/// The sort keys of the lookup items pointing at a registration, kept on it
/// so that a withdrawal or the purge can delete them.
#[derive(Debug, Default)]
pub(super) struct Lookups {
    pub(super) unique: Option<String>,
    pub(super) confirm: Option<String>,
    pub(super) withdraw: Option<String>,
}

pub(super) struct Stored {
    pub(super) registration: Registration,
    pub(super) lookups: Lookups,
}

pub(super) fn form_pk(form_id: &str) -> String {
    format!("form#{form_id}")
}

pub(super) fn registration_sk(reference: &str) -> String {
    format!("reg#{reference}")
}

/// The prefix of the office's decisions on a form's applications.
pub(super) const APPOINTMENT: &str = "appointment#";

pub(super) fn appointment_sk(reference: &str) -> String {
    format!("{APPOINTMENT}{reference}")
}

/// The prefix of the records of a form's ideas.
pub(super) const IDEA: &str = "idea#";

pub(super) fn idea_sk(reference: &str) -> String {
    format!("{IDEA}{reference}")
}

pub(super) fn confirm_sk(token_hash: &str) -> String {
    format!("confirm#{token_hash}")
}

pub(super) fn withdraw_sk(token_hash: &str) -> String {
    format!("withdraw#{token_hash}")
}

pub(super) fn key(pk: &str, sk: &str) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

pub(super) fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

pub(super) fn number_value(n: impl Display) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

pub(super) fn pointer_item(pk: &str, sk: &str, reference: &str, ttl: i64) -> Item {
    let mut item = key(pk, sk);
    item.insert("reference".to_owned(), s(reference));
    item.insert(TTL.to_owned(), number_value(ttl));
    item
}

/// Times as text that sorts as time: UTC, fixed width, microseconds (as
/// the SQLite store keeps them).
pub(super) use agora_core::store::{decode_time as parse_time, encode_time as time};

pub(super) fn registration_item(registration: &Registration, lookups: &Lookups) -> Item {
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

pub(super) fn draw_item(pk: &str, draw: &DrawRecord) -> Item {
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

pub(super) fn read_draw(item: &Item) -> Result<DrawRecord, StoreError> {
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

pub(super) fn read_stored(item: &Item) -> Result<Stored, StoreError> {
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
pub(super) fn corrupt_attribute(item: &Item, name: &str) -> StoreError {
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

pub(super) fn attribute_text<'a>(
    value: &'a AttributeValue,
    name: &str,
) -> Result<&'a str, StoreError> {
    value.as_s().map(String::as_str).map_err(|_| {
        StoreError::Corrupt(format!("attribute `{name}` holds something else than text"))
    })
}

pub(super) fn text<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    optional_text(item, name)?.ok_or_else(|| corrupt_attribute(item, name))
}

pub(super) fn optional_text<'a>(item: &'a Item, name: &str) -> Result<Option<&'a str>, StoreError> {
    item.get(name)
        .map(|value| attribute_text(value, name))
        .transpose()
}

pub(super) fn number(item: &Item, name: &str) -> Result<Option<u64>, StoreError> {
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
pub(super) fn names(expressions: &[&str]) -> Option<HashMap<String, String>> {
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
pub(super) fn values(
    values: Vec<(String, AttributeValue)>,
) -> Option<HashMap<String, AttributeValue>> {
    (!values.is_empty()).then(|| values.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

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
