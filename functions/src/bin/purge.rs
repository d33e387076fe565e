//! The Lambda function that erases registrations past their retention
//! and the staff workspace's records whose time ended, started by a
//! schedule in infra/template.yaml (nightly), never by a request:
//! `agora_core::purge`. An appointed ambassador's application erased so
//! leaves the public list, published again as the panel function does.
//!
//! | variable | meaning |
//! |---|---|
//! | `AGORA_TABLE` | the DynamoDB table (required) |
//! | `AGORA_DYNAMODB_ENDPOINT` | another DynamoDB endpoint (DynamoDB Local) |
//! | `AGORA_FORMS_DIR` | the forms, to find the form of ambassadors' applications (default `content` beside the function) |
//! | `AGORA_PUBLISH_BUILD` | the CodeBuild project that rebuilds the site (the stack's) |

use std::path::PathBuf;
use std::sync::Arc;

use agora_core::forms::FormDefinition;
use agora_core::panel::ambassadors::ListKeeper;
use agora_core::purge::purge_and_republish;
use agora_functions::http::lambda::load_forms;
use agora_stores::dynamodb::published::DynamoPublisher;
use agora_stores::dynamodb::DynamoStore;
use lambda_http::{lambda_runtime, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    agora_functions::http::hide_panic_messages();
    let store = DynamoStore::from_function_env().await?;
    let keeper = ListKeeper::new(Arc::new(DynamoPublisher::from_env(store.clone()).await));
    let forms = forms();
    let (store, forms, keeper) = (&store, &forms, &keeper);
    lambda_runtime::run(service_fn(
        move |_schedule: LambdaEvent<serde_json::Value>| async move {
            let purged = purge_and_republish(store, forms, keeper, chrono::Utc::now()).await?;
            println!("agora: the purge {purged}");
            Ok::<_, Error>(purged)
        },
    ))
    .await
}

/// The site's forms; none if they cannot be read: erasing what expired
/// matters more than the public list, which the office can publish.
fn forms() -> Vec<FormDefinition> {
    let dir = std::env::var("AGORA_FORMS_DIR").unwrap_or_else(|_| "content".to_owned());
    load_forms(&PathBuf::from(dir)).unwrap_or_else(|error| {
        eprintln!("agora: the purge cannot keep the ambassadors' list: {error}");
        Vec::new()
    })
}
