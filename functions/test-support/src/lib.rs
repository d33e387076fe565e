//! What Agora's tests share, one crate instead of modules included by
//! path: DynamoDB Local for the store stories ([`dynamodb_local`]) and the
//! Kraków forms as the tests rehearse them ([`krakow`]). A dev-dependency
//! of `agora-functions`, `agora` and nothing else.

pub mod dynamodb_local;
pub mod krakow;
