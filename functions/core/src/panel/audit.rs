//! The audit log: every staff action and every view of personal data,
//! who, what, when and which registration, never the personal data
//! itself (a reference names a registration; its values stay where they
//! are, and are erased with it).

use chrono::{DateTime, Utc};

/// What was done. Stored by name; a name this version does not know is
/// read back as corrupt data, so keep old names when adding new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    SignedIn,
    SignedOut,
    SignedOutEverywhere,
    AccountAdded,
    AccountRemoved,
    ListViewed,
    RegistrationViewed,
    Exported,
    Withdrawn,
    ConfirmationResent,
    MarkedBounced,
    ListPublished,
    Drawn,
    ResultsMailed,
    Appointed,
    Declined,
    Dismissed,
    AreaViewed,
    IdeasViewed,
    IdeaViewed,
    IdeaAssigned,
    IdeaAnswered,
    IdeaAnswerResent,
}

impl AuditAction {
    const ALL: [Self; 23] = [
        Self::SignedIn,
        Self::SignedOut,
        Self::SignedOutEverywhere,
        Self::AccountAdded,
        Self::AccountRemoved,
        Self::ListViewed,
        Self::RegistrationViewed,
        Self::Exported,
        Self::Withdrawn,
        Self::ConfirmationResent,
        Self::MarkedBounced,
        Self::ListPublished,
        Self::Drawn,
        Self::ResultsMailed,
        Self::Appointed,
        Self::Declined,
        Self::Dismissed,
        Self::AreaViewed,
        Self::IdeasViewed,
        Self::IdeaViewed,
        Self::IdeaAssigned,
        Self::IdeaAnswered,
        Self::IdeaAnswerResent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignedIn => "signed-in",
            Self::SignedOut => "signed-out",
            Self::SignedOutEverywhere => "signed-out-everywhere",
            Self::AccountAdded => "account-added",
            Self::AccountRemoved => "account-removed",
            Self::ListViewed => "list-viewed",
            Self::RegistrationViewed => "registration-viewed",
            Self::Exported => "exported",
            Self::Withdrawn => "withdrawn",
            Self::ConfirmationResent => "confirmation-resent",
            Self::MarkedBounced => "marked-bounced",
            Self::ListPublished => "list-published",
            Self::Drawn => "drawn",
            Self::ResultsMailed => "results-mailed",
            Self::Appointed => "appointed",
            Self::Declined => "declined",
            Self::Dismissed => "dismissed",
            Self::AreaViewed => "area-viewed",
            Self::IdeasViewed => "ideas-viewed",
            Self::IdeaViewed => "idea-viewed",
            Self::IdeaAssigned => "idea-assigned",
            Self::IdeaAnswered => "idea-answered",
            Self::IdeaAnswerResent => "idea-answer-resent",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == text)
    }

    /// The action as the log page shows it.
    pub fn label_pl(self) -> &'static str {
        match self {
            Self::SignedIn => "logowanie",
            Self::SignedOut => "wylogowanie",
            Self::SignedOutEverywhere => "wylogowanie ze wszystkich urządzeń",
            Self::AccountAdded => "dodanie konta",
            Self::AccountRemoved => "usunięcie konta",
            Self::ListViewed => "przegląd listy zgłoszeń",
            Self::RegistrationViewed => "wgląd w zgłoszenie",
            Self::Exported => "eksport zgłoszeń",
            Self::Withdrawn => "wycofanie zgłoszenia",
            Self::ConfirmationResent => "ponowne wysłanie potwierdzenia",
            Self::MarkedBounced => "oznaczenie adresu jako niedziałającego",
            Self::ListPublished => "publikacja listy do losowania",
            Self::Drawn => "losowanie",
            Self::ResultsMailed => "wysłanie wyników losowania",
            Self::Appointed => "powołanie ambasadora",
            Self::Declined => "odmowa powołania",
            Self::Dismissed => "odwołanie ambasadora",
            Self::AreaViewed => "przegląd osób z obszaru",
            Self::IdeasViewed => "przegląd listy pomysłów",
            Self::IdeaViewed => "wgląd w pomysł",
            Self::IdeaAssigned => "przekazanie pomysłu jednostce",
            Self::IdeaAnswered => "odpowiedź jednostki na pomysł",
            Self::IdeaAnswerResent => "ponowne wysłanie odpowiedzi na pomysł",
        }
    }
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// The staff account that acted (its work address).
    pub actor: String,
    pub action: AuditAction,
    /// The form and registration acted on, where there is one.
    pub form_id: Option<String>,
    pub reference: Option<String>,
    /// What else identifies the action: an account's address and role, a
    /// reason's code, an export's format. Written by code, never typed by
    /// staff, so that no resident's data can slip in.
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_by_distinct_names() {
        let mut names = std::collections::HashSet::new();
        for action in AuditAction::ALL {
            assert!(names.insert(action.as_str()));
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(AuditAction::parse("deleted-everything"), None);
    }
}
