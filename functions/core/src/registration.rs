//! Registrations: what is stored for each person who submitted a form,
//! their short reference and their single-purpose tokens.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Reference letters: no 0/O, 1/I/L, which people misread and mistype.
const REFERENCE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for the person to confirm through the e-mailed link.
    Pending,
    /// Holds a place (first-come forms) or counts (forms without capacity).
    Registered,
    /// On the waiting list of a full first-come form, in `position` order.
    Waiting,
    /// A confirmed application to a lottery form, before the draw.
    Applied,
    /// Given a place by the draw.
    Selected,
    /// On the reserve list of the draw, in `position` order.
    Reserve,
    /// Withdrawn: personal data erased, place freed.
    Withdrawn,
    /// Suspected spam: kept for staff to review, never counted.
    Spam,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Registered => "registered",
            Self::Waiting => "waiting",
            Self::Applied => "applied",
            Self::Selected => "selected",
            Self::Reserve => "reserve",
            Self::Withdrawn => "withdrawn",
            Self::Spam => "spam",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Registered,
            Self::Waiting,
            Self::Applied,
            Self::Selected,
            Self::Reserve,
            Self::Withdrawn,
            Self::Spam,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A consent as given: which text version, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    pub name: String,
    pub version: String,
    pub given_at: DateTime<Utc>,
}

/// How a registration that counts is admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// A place while places are left (`None`: unlimited), else the
    /// waiting list.
    FirstCome { capacity: Option<u32> },
    /// An application to the draw.
    Lottery,
}

/// A registration to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegistration {
    pub form_id: String,
    pub reference: String,
    /// The normalised unique value (e-mail): one registration per person.
    pub unique_key: String,
    pub values: BTreeMap<String, String>,
    pub consents: Vec<ConsentRecord>,
    /// SHA-256 of the confirmation token; `None` when no confirmation is
    /// needed (the registration counts at once).
    pub confirm_token_hash: Option<String>,
    pub withdraw_token_hash: String,
    /// Suspected spam, with the reason: stored for review, never counted.
    pub spam: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When the personal data is erased (the form's retention period).
    pub expires_at: DateTime<Utc>,
}

/// Why e-mail no longer goes to a registration's address, as Amazon SES
/// reported it (`crate::mail_events`). Staff see it in the exports;
/// nothing more is sent to the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailProblem {
    /// A permanent bounce: the mailbox does not exist or refuses mail.
    Bounced,
    /// The person marked our e-mail as spam.
    Complained,
}

impl MailProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bounced => "bounced",
            Self::Complained => "complained",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Bounced, Self::Complained]
            .into_iter()
            .find(|p| p.as_str() == text)
    }
}

/// A stored registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub form_id: String,
    pub reference: String,
    pub status: Status,
    /// Order on the waiting or reserve list (1 is first), else `None`.
    pub position: Option<u64>,
    pub values: BTreeMap<String, String>,
    pub consents: Vec<ConsentRecord>,
    pub spam: Option<String>,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    /// Set when SES reported that mail to the address bounced or was
    /// marked as spam.
    #[serde(default)]
    pub mail_problem: Option<MailProblem>,
}

/// A short reference: `K7QX-M3PA`, 31^8 ≈ 8.5 * 10^11 values.
pub fn new_reference() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)?;
    let chars: String = bytes
        .iter()
        .map(|b| char::from(REFERENCE_ALPHABET[usize::from(*b) % REFERENCE_ALPHABET.len()]))
        .collect();
    Ok(format!("{}-{}", &chars[..4], &chars[4..]))
}

/// An unguessable single-purpose token (256 bits) for a link.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the store keeps of a token: its SHA-256, so that a copy of the
/// database cannot confirm or withdraw anyone.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_and_unambiguous() {
        for _ in 0..200 {
            let reference = new_reference().expect("randomness");
            assert_eq!(reference.len(), 9);
            assert_eq!(&reference[4..5], "-");
            assert!(
                !reference.contains(['0', 'O', '1', 'I', 'L']),
                "{reference}"
            );
        }
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = new_token().expect("randomness");
        let b = new_token().expect("randomness");
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn statuses_round_trip() {
        for text in [
            "pending",
            "registered",
            "waiting",
            "applied",
            "selected",
            "reserve",
            "withdrawn",
            "spam",
        ] {
            assert_eq!(Status::parse(text).map(Status::as_str), Some(text));
        }
    }
}
