//! The store and the mailer, chosen from settings in one place: the
//! `agora` command's options, `agora serve` and the bench name a
//! [`StoreChoice`] and a [`MailChoice`]; the Lambda functions, which
//! always use DynamoDB and SES, build theirs from the environment
//! (`DynamoStore::from_env`, `agora_functions::http::lambda`).

use std::path::PathBuf;

use agora_core::mail::{Email, MailError, Mailer};

use crate::any::AnyStore;
use crate::dynamodb::DynamoStore;
use crate::mail_ses::SesMailer;
use crate::outbox::Outbox;
use crate::sqlite::SqliteStore;

/// Where registrations are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    /// The embedded store of one machine: an SQLite file.
    Sqlite(PathBuf),
    /// A DynamoDB table, at AWS or at another endpoint (DynamoDB Local);
    /// the region defaults to the AWS environment's.
    Dynamo {
        table: String,
        endpoint: Option<String>,
        region: Option<String>,
    },
}

impl StoreChoice {
    /// The store, as staff read it in messages: the file or the table.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            Self::Dynamo { table, .. } => format!("DynamoDB table {table}"),
        }
    }

    /// Opens the store; the error names it and says why.
    pub async fn open(&self) -> Result<AnyStore, String> {
        match self {
            Self::Sqlite(path) => SqliteStore::open(path)
                .map(AnyStore::Sqlite)
                .map_err(|e| format!("{}: {e}", path.display())),
            Self::Dynamo {
                table,
                endpoint,
                region,
            } => DynamoStore::from_env_in(table.clone(), endpoint.clone(), region.clone())
                .await
                .map(AnyStore::Dynamo)
                .map_err(|e| format!("DynamoDB table {table}: {e}")),
        }
    }
}

/// Where e-mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailChoice {
    /// `.eml` files in a folder, from `from`.
    Outbox { dir: PathBuf, from: String },
    /// Amazon SES from a verified identity, with the credentials and
    /// region of the AWS environment.
    Ses { from: String },
}

impl MailChoice {
    /// The outbox folder of one machine, from the site's no-reply address.
    pub fn outbox(dir: PathBuf, site_title: &str) -> Self {
        Self::Outbox {
            dir,
            from: format!("{site_title} <noreply@localhost>"),
        }
    }

    pub async fn open(&self) -> AnyMailer {
        match self {
            Self::Outbox { dir, from } => AnyMailer::Outbox(Outbox::new(dir, from)),
            Self::Ses { from } => AnyMailer::Ses(SesMailer::from_env(from).await),
        }
    }
}

/// The mailer a [`MailChoice`] opened.
#[derive(Debug, Clone)]
pub enum AnyMailer {
    Outbox(Outbox),
    Ses(SesMailer),
}

impl AnyMailer {
    /// Where the messages went, for staff.
    pub fn describe(&self) -> String {
        match self {
            Self::Outbox(outbox) => format!("written to {}", outbox.dir().display()),
            Self::Ses(_) => "sent through Amazon SES".to_owned(),
        }
    }
}

impl Mailer for AnyMailer {
    async fn send(&self, email: Email) -> Result<(), MailError> {
        match self {
            Self::Outbox(outbox) => outbox.send(email).await,
            Self::Ses(ses) => ses.send(email).await,
        }
    }
}
