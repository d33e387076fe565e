//! What Agora's tests share, one crate instead of modules included by
//! path: DynamoDB Local for the store stories ([`dynamodb_local`]) and the
//! Kraków forms as the tests rehearse them, from fixtures ([`krakow`]).
//! A dev-dependency only.

pub mod dynamodb_local;
pub mod krakow;
