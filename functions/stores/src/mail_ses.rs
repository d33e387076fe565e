//! E-mail through Amazon SES (API v2), for the Lambda functions. The
//! message is the same RFC 5322 text the local outbox writes
//! ([`agora_core::mail::format`]), sent as a raw message.

use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, MessageTag, RawMessage};

use agora_core::mail::{format, Email, MailError, Mailer, Regarding, TAG_FORM, TAG_REFERENCE};

/// Sends each message with SES `SendEmail` from a verified address.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
    from: String,
    /// The configuration set whose event destination reports bounces and
    /// complaints (`AGORA_SES_CONFIGURATION_SET`; infra/template.yaml).
    configuration_set: Option<String>,
}

impl SesMailer {
    /// `from` is a verified SES identity, with a display name if wanted:
    /// `Wspólne Projekty <budzetobywatelski@example.org>`.
    pub fn new(client: aws_sdk_sesv2::Client, from: &str) -> Self {
        Self {
            client,
            from: from.to_owned(),
            configuration_set: None,
        }
    }

    /// Sends through `set`, so that SES reports what happens to each
    /// message (bounces, complaints) to the stack's mail-events function.
    pub fn with_configuration_set(mut self, set: Option<String>) -> Self {
        self.configuration_set = set.filter(|set| !set.trim().is_empty());
        self
    }
}

impl SesMailer {
    /// With the SDK's usual configuration from the environment
    /// (credentials, `AWS_REGION`, else eu-central-1), as staff commands
    /// on their own machines need; through the configuration set
    /// `AGORA_SES_CONFIGURATION_SET` names (the stack's output
    /// `MailConfigurationSet`), so that bounces of their messages are
    /// recorded too.
    pub async fn from_env(from: &str) -> Self {
        let region = crate::aws::region(None, "eu-central-1");
        let config = crate::aws::config_loader().region(region).load().await;
        Self::new(aws_sdk_sesv2::Client::new(&config), from)
            .with_configuration_set(std::env::var("AGORA_SES_CONFIGURATION_SET").ok())
    }
}

impl Mailer for SesMailer {
    async fn send(&self, email: Email) -> Result<(), MailError> {
        let bytes = format(&self.from, &email)?;
        let raw = RawMessage::builder()
            .data(Blob::new(bytes))
            .build()
            .map_err(|e| MailError::Message(e.to_string()))?;
        self.client
            .send_email()
            .destination(Destination::builder().to_addresses(email.to).build())
            .content(EmailContent::builder().raw(raw).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .set_email_tags(tags(email.regarding.as_ref())?)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| MailError::Send(describe(&error)))
    }
}

/// The registration a message is about, as SES message tags
/// (`agora_core::mail_events` reads them back). Form ids and references are
/// letters, digits, `-` and `_`: what a tag value may hold.
fn tags(regarding: Option<&Regarding>) -> Result<Option<Vec<MessageTag>>, MailError> {
    let Some(regarding) = regarding else {
        return Ok(None);
    };
    [
        (TAG_FORM, &regarding.form_id),
        (TAG_REFERENCE, &regarding.reference),
    ]
    .into_iter()
    .map(|(name, value)| {
        MessageTag::builder()
            .name(name)
            .value(value)
            .build()
            .map_err(|e| MailError::Message(e.to_string()))
    })
    .collect::<Result<Vec<_>, _>>()
    .map(Some)
}

/// What went wrong, without SES's message: it can quote the recipient's
/// address, and errors are logged.
pub(crate) fn describe<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> String {
    let kind = match error {
        SdkError::ConstructionFailure(_) => "the request could not be built",
        SdkError::TimeoutError(_) => "timed out",
        SdkError::DispatchFailure(_) => "SES could not be reached",
        SdkError::ResponseError(_) => "SES's answer could not be read",
        SdkError::ServiceError(_) => "SES refused the message",
        _ => "failed",
    };
    match error.code() {
        Some(code) => format!("Amazon SES: {kind} ({code})"),
        None => format!("Amazon SES: {kind}"),
    }
}
