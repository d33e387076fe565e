//! E-mail to residents and staff: the message and the `Mailer` that sends
//! it. Locally every message is an `.eml` file in an outbox folder
//! (`agora_stores::outbox`); in production it goes through Amazon SES
//! (`agora_stores::mail_ses`). A failed e-mail never loses a registration:
//! it is sent after the registration is stored.

use std::future::Future;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::Message;

/// One message, plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Names the message in the outbox: `K7QX-M3PA-potwierdzenie`.
    pub tag: String,
    /// The registration a message to a resident is about: SES carries it
    /// as message tags into its report of a bounce or a complaint, which
    /// then marks that registration (`crate::mail_events`).
    pub regarding: Option<Regarding>,
}

/// The message tags naming the registration a message is about: the SES
/// mailer sets them, SES returns them in its reports (`crate::mail_events`).
pub const TAG_FORM: &str = "agora-form";
pub const TAG_REFERENCE: &str = "agora-reference";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regarding {
    pub form_id: String,
    pub reference: String,
}

impl Regarding {
    pub fn of(registration: &crate::registration::Registration) -> Self {
        Self {
            form_id: registration.form_id.clone(),
            reference: registration.reference.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("cannot build the message: {0}")]
    Message(String),
    #[error("cannot send the message: {0}")]
    Send(String),
}

pub trait Mailer: Send + Sync {
    fn send(&self, email: Email) -> impl Future<Output = Result<(), MailError>> + Send;
}

/// Builds the RFC 5322 bytes of a message (UTF-8, quoted-printable).
pub fn format(from: &str, email: &Email) -> Result<Vec<u8>, MailError> {
    let mailbox = |address: &str| {
        address
            .parse::<Mailbox>()
            .map_err(|e| MailError::Message(format!("address: {e}")))
    };
    let message = Message::builder()
        .from(mailbox(from)?)
        .to(mailbox(&email.to)?)
        .subject(email.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(email.body.clone())
        .map_err(|e| MailError::Message(e.to_string()))?;
    Ok(message.formatted())
}
