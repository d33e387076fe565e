//! The Lambda function that records what Amazon SES reports about sent
//! e-mail (bounces, complaints), invoked by the SNS topic the stack's SES
//! configuration set publishes to, never by a request:
//! `agora_core::mail_events`. Its role may only mark registrations.
//!
//! | variable | meaning |
//! |---|---|
//! | `AGORA_TABLE` | the DynamoDB table (required) |
//! | `AGORA_DYNAMODB_ENDPOINT` | another DynamoDB endpoint (DynamoDB Local) |

use agora_core::mail_events::handle;
use agora_stores::dynamodb::DynamoStore;
use lambda_http::{lambda_runtime, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    agora_functions::http::hide_panic_messages();
    let store = DynamoStore::from_function_env().await?;
    let store = &store;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let handled = handle(store, &event.payload).await?;
            // Counts only: the events hold addresses.
            println!(
                "agora: mail events: {} registrations marked, {} events ignored, {} unreadable",
                handled.marked, handled.ignored, handled.unreadable
            );
            Ok::<_, Error>(handled)
        },
    ))
    .await
}
