//! The adapters of Agora's domain to what lies outside the process: the
//! registration stores (SQLite for one machine, DynamoDB on AWS) over the
//! rules of `agora_core::store`, and the mailers (an outbox folder, Amazon
//! SES). [`backends`] chooses them from settings, in one place for the
//! `agora` command, `agora serve`, the Lambda functions and the bench.

#[cfg(feature = "sqlite")]
pub mod any;
pub mod aws;
#[cfg(feature = "sqlite")]
pub mod backends;
pub mod dynamodb;
pub mod mail_preflight;
pub mod mail_ses;
pub mod outbox;
#[cfg(feature = "sqlite")]
pub mod sqlite;
