//! What Amazon SES reports about the messages it sent, as the stack's
//! mail-events function (`src/bin/mail_events.rs`) receives it: the
//! configuration set publishes bounce and complaint events to an SNS
//! topic, which invokes the function. A permanent bounce or a complaint
//! marks the registration the message was about (its message tags, set by
//! `agora_stores::mail_ses`): staff see it in the exports, and nothing more is
//! sent to that address. SES's account-level suppression list stops
//! further sending to it as well.
//!
//! Nothing of an event is logged but counts: it holds the address.

use std::collections::HashMap;

use serde::Deserialize;

use crate::mail::{TAG_FORM, TAG_REFERENCE};
use crate::registration::MailProblem;
use crate::store::{Store, StoreError};

/// What one invocation did, in counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Handled {
    /// Registrations marked bounced or complained.
    pub marked: u32,
    /// Events that change nothing: transient bounces, other event types,
    /// mail to staff (no registration), a registration gone meanwhile.
    pub ignored: u32,
    /// Messages that could not be read as SES events.
    pub unreadable: u32,
}

/// The SNS envelope: each record carries one SES event as JSON text.
#[derive(Deserialize)]
struct SnsEvent {
    #[serde(rename = "Records", default)]
    records: Vec<SnsRecord>,
}

#[derive(Deserialize)]
struct SnsRecord {
    #[serde(rename = "Sns")]
    sns: SnsMessage,
}

#[derive(Deserialize)]
struct SnsMessage {
    #[serde(rename = "Message")]
    message: String,
}

/// The parts of an SES event that matter here. Event publishing names
/// the kind `eventType`; identity notifications, `notificationType`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesEvent {
    #[serde(alias = "notificationType")]
    event_type: String,
    bounce: Option<Bounce>,
    mail: Mail,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
}

#[derive(Deserialize)]
struct Mail {
    #[serde(default)]
    tags: HashMap<String, Vec<String>>,
}

/// The registration an SES event is about and what it says of its
/// address, if anything.
fn problem_of(message: &str) -> Result<Option<(String, String, MailProblem)>, serde_json::Error> {
    let event: SesEvent = serde_json::from_str(message)?;
    let problem = match event.event_type.as_str() {
        // Transient bounces (a full mailbox) pass; SES retries them.
        "Bounce" if event.bounce.is_some_and(|b| b.bounce_type == "Permanent") => {
            MailProblem::Bounced
        }
        "Complaint" => MailProblem::Complained,
        _ => return Ok(None),
    };
    let tag = |name: &str| {
        event
            .mail
            .tags
            .get(name)
            .and_then(|values| values.first())
            .cloned()
    };
    Ok(match (tag(TAG_FORM), tag(TAG_REFERENCE)) {
        (Some(form), Some(reference)) => Some((form, reference, problem)),
        // Mail to staff names no registration.
        _ => None,
    })
}

/// Handles one invocation's SNS records. A store failure is returned, so
/// that Lambda counts an error and SNS delivers the records again;
/// marking twice changes nothing.
pub async fn handle<S: Store>(store: &S, event: &serde_json::Value) -> Result<Handled, StoreError> {
    let mut handled = Handled::default();
    let Ok(envelope) = SnsEvent::deserialize(event) else {
        handled.unreadable += 1;
        return Ok(handled);
    };
    for record in envelope.records {
        match problem_of(&record.sns.message) {
            Ok(Some((form, reference, problem))) => {
                if store.mark_mail_problem(&form, &reference, problem).await? {
                    handled.marked += 1;
                } else {
                    handled.ignored += 1;
                }
            }
            Ok(None) => handled.ignored += 1,
            Err(_) => handled.unreadable += 1,
        }
    }
    Ok(handled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, detail: &str, tags: &str) -> String {
        format!(
            r#"{{"eventType":"{kind}",{detail}"mail":{{"messageId":"0102","destination":["anna@example.pl"],"tags":{{"ses:configuration-set":["agora-mail"]{tags}}}}}}}"#
        )
    }

    const TAGS: &str = r#","agora-form":["spacer"],"agora-reference":["K7QX-M3PA"]"#;

    #[test]
    fn a_permanent_bounce_and_a_complaint_name_their_registration() {
        let bounce = event(
            "Bounce",
            r#""bounce":{"bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":"anna@example.pl"}]},"#,
            TAGS,
        );
        assert_eq!(
            problem_of(&bounce).expect("read"),
            Some((
                "spacer".to_owned(),
                "K7QX-M3PA".to_owned(),
                MailProblem::Bounced
            ))
        );
        let complaint = event(
            "Complaint",
            r#""complaint":{"complaintFeedbackType":"abuse"},"#,
            TAGS,
        );
        assert_eq!(
            problem_of(&complaint).expect("read").map(|(_, _, p)| p),
            Some(MailProblem::Complained)
        );
    }

    #[test]
    fn transient_bounces_deliveries_and_staff_mail_change_nothing() {
        let transient = event("Bounce", r#""bounce":{"bounceType":"Transient"},"#, TAGS);
        assert_eq!(problem_of(&transient).expect("read"), None);
        assert_eq!(
            problem_of(&event("Delivery", "", TAGS)).expect("read"),
            None
        );
        let to_staff = event("Bounce", r#""bounce":{"bounceType":"Permanent"},"#, "");
        assert_eq!(problem_of(&to_staff).expect("read"), None);
        assert!(problem_of("not json").is_err());
    }
}
