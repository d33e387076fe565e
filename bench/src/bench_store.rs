//! What the form-function benchmarks share: the store under test (a new
//! SQLite file, or a fresh table on DynamoDB Local) and a mailer that
//! drops every message, since e-mail is not what is measured.

use std::path::Path;

use agora_core::mail::{Email, MailError, Mailer};
use agora_stores::any::AnyStore;
use agora_stores::backends::StoreChoice;
use clap::ValueEnum;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Backend {
    Sqlite,
    Dynamodb,
}

impl Backend {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Dynamodb => "dynamodb",
        }
    }

    /// An empty store: `bench.sqlite3` in `dir`, or a new table named
    /// `<table_prefix>-<process id>` at `dynamodb_endpoint`.
    pub(crate) async fn open(
        self,
        dir: &Path,
        table_prefix: &str,
        dynamodb_endpoint: &str,
    ) -> Result<AnyStore, String> {
        let choice = match self {
            Backend::Sqlite => StoreChoice::Sqlite(dir.join("bench.sqlite3")),
            Backend::Dynamodb => StoreChoice::Dynamo {
                table: format!("{table_prefix}-{}", std::process::id()),
                endpoint: Some(dynamodb_endpoint.to_owned()),
                region: None,
            },
        };
        let store = choice.open().await?;
        if let AnyStore::Dynamo(table) = &store {
            table.create_table().await.map_err(|e| e.to_string())?;
        }
        Ok(store)
    }
}

/// E-mail is not what is measured: messages are dropped.
pub(crate) struct NoMail;

impl Mailer for NoMail {
    async fn send(&self, _: Email) -> Result<(), MailError> {
        Ok(())
    }
}
