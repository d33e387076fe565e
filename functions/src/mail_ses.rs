//! E-mail through Amazon SES (API v2), for the Lambda functions. The
//! message is the same RFC 5322 text the local outbox writes
//! ([`crate::mail::format`]), sent as a raw message.

use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};

use crate::mail::{format, Email, MailError, Mailer};

/// Sends each message with SES `SendEmail` from a verified address.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl SesMailer {
    /// `from` is a verified SES identity, with a display name if wanted:
    /// `Wspólne Projekty <budzetobywatelski@example.org>`.
    pub fn new(client: aws_sdk_sesv2::Client, from: &str) -> Self {
        Self {
            client,
            from: from.to_owned(),
        }
    }
}

impl SesMailer {
    /// With the SDK's usual configuration from the environment
    /// (credentials, `AWS_REGION`, else eu-central-1), as staff commands
    /// on their own machines need.
    pub async fn from_env(from: &str) -> Self {
        let region = crate::aws::region(None, "eu-central-1");
        let config = crate::aws::config_loader().region(region).load().await;
        Self::new(aws_sdk_sesv2::Client::new(&config), from)
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
            .send()
            .await
            .map(|_| ())
            .map_err(|error| MailError::Send(describe(&error)))
    }
}

/// What went wrong, without SES's message: it can quote the recipient's
/// address, and errors are logged.
fn describe<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> String {
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
