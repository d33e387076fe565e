//! E-mail to residents and staff. Locally every message is an `.eml` file
//! in an outbox folder (`.agora/outbox/`), readable by any mail program and
//! by tests; in production it goes through Amazon SES. A failed e-mail
//! never loses a registration: it is sent after the registration is stored.

use std::future::Future;
use std::path::{Path, PathBuf};

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

/// Writes each message as `<outbox>/<tag>.eml`.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
    from: String,
}

impl Outbox {
    pub fn new(dir: &Path, from: &str) -> Self {
        Self {
            dir: dir.to_path_buf(),
            from: from.to_owned(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Mailer for Outbox {
    async fn send(&self, email: Email) -> Result<(), MailError> {
        let bytes = format(&self.from, &email)?;
        let dir = self.dir.clone();
        let name: String = email
            .tag
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            // Written beside, then renamed: a reader never sees half a message.
            let partial = dir.join(format!(".{name}.eml.partial"));
            std::fs::write(&partial, bytes)?;
            std::fs::rename(&partial, dir.join(format!("{name}.eml")))
        })
        .await
        .map_err(|e| MailError::Send(e.to_string()))?
        .map_err(|e| MailError::Send(e.to_string()))
    }
}
