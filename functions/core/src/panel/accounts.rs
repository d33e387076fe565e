//! The people of the workspace. Office accounts come from the site's
//! configuration (work addresses, reviewed in pull requests like any
//! content); verifiers and ambassadors are added by office staff and kept
//! in the store.

use chrono::{DateTime, Utc};

/// What an account may do; each role sees only its own part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The participatory budget office: every form, registration, export,
    /// the draw, accounts and the audit log.
    Office,
    /// An expert of a verifying unit: only the ideas assigned to them,
    /// never registrations.
    Verifier,
    /// An appointed Local Participation Ambassador: only who joined the
    /// process in their own area.
    Ambassador,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Office => "office",
            Self::Verifier => "verifier",
            Self::Ambassador => "ambassador",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Office, Self::Verifier, Self::Ambassador]
            .into_iter()
            .find(|role| role.as_str() == text)
    }

    /// The role's name as the workspace shows it.
    pub fn label_pl(self) -> &'static str {
        match self {
            Self::Office => "Biuro",
            Self::Verifier => "Weryfikator",
            Self::Ambassador => "Ambasador",
        }
    }
}

/// A person who may sign in. The address is canonical
/// (`crate::forms::email::canonical`), so one mailbox is one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub email: String,
    pub role: Role,
    /// An ambassador's area (the district key of `content/data/`); none
    /// for the other roles.
    pub area: Option<String>,
    /// Who added the account: an office address, or `None` for the office
    /// accounts of the configuration.
    pub added_by: Option<String>,
    pub added_at: Option<DateTime<Utc>>,
}

impl Account {
    /// An office account listed in the configuration.
    pub fn office(email: String) -> Self {
        Self {
            email,
            role: Role::Office,
            area: None,
            added_by: None,
            added_at: None,
        }
    }

    /// Whether the account may act on registrations of `area` (an
    /// ambassador only on their own; office on every area; a verifier on
    /// none).
    pub fn may_see_area(&self, area: &str) -> bool {
        match self.role {
            Role::Office => true,
            Role::Ambassador => self.area.as_deref() == Some(area),
            Role::Verifier => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in [Role::Office, Role::Verifier, Role::Ambassador] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn an_ambassador_sees_only_their_area() {
        let ambassador = Account {
            email: "a@example.pl".to_owned(),
            role: Role::Ambassador,
            area: Some("XIII".to_owned()),
            added_by: Some("biuro@example.pl".to_owned()),
            added_at: None,
        };
        assert!(ambassador.may_see_area("XIII"));
        assert!(!ambassador.may_see_area("I"));
        let verifier = Account {
            role: Role::Verifier,
            area: None,
            ..ambassador.clone()
        };
        assert!(!verifier.may_see_area("XIII"));
        assert!(Account::office("b@example.pl".to_owned()).may_see_area("I"));
    }
}
