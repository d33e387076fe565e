//! The Lambda function that erases registrations past their retention
//! and the staff workspace's records whose time ended, started by a
//! schedule in infra/template.yaml (nightly), never by a request:
//! `agora_core::purge`. Its role allows the table alone.
//!
//! | variable | meaning |
//! |---|---|
//! | `AGORA_TABLE` | the DynamoDB table (required) |
//! | `AGORA_DYNAMODB_ENDPOINT` | another DynamoDB endpoint (DynamoDB Local) |

use agora_core::purge::purge;
use agora_stores::dynamodb::DynamoStore;
use lambda_http::{lambda_runtime, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    agora_functions::http::hide_panic_messages();
    let store = DynamoStore::from_function_env().await?;
    let store = &store;
    lambda_runtime::run(service_fn(
        move |_schedule: LambdaEvent<serde_json::Value>| async move {
            let purged = purge(store, chrono::Utc::now()).await?;
            println!("agora: the purge {purged}");
            Ok::<_, Error>(purged)
        },
    ))
    .await
}
