//! `agora serve --dynamodb-table`: the site's forms on a DynamoDB table
//! (Amazon's DynamoDB Local) instead of the embedded store; a resident's
//! registration through the served `/api/` lands in the table.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod serving;
#[allow(dead_code)]
use agora_test_support::dynamodb_local;

use agora_core::registration::Status;
use agora_core::store::Store;
use chrono::{TimeZone, Utc};
use common::{on_dynamodb_local, TempSite, NOW};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_through_serve_lands_in_the_dynamodb_table() {
    let (store, endpoint, table) = dynamodb_local::fresh_table().await;
    let site = TempSite::fixture("valid");
    let mut command = serving::agora_serve(&site.root());
    let store_args = ["--dynamodb-table", &table, "--dynamodb-endpoint", &endpoint];
    on_dynamodb_local(&mut command)
        .args(["--no-watch", "--now", NOW])
        .args(store_args);
    let server = tokio::task::spawn_blocking(move || serving::start(command))
        .await
        .expect("agora serve started");
    assert!(
        server.started.contains(&format!("DynamoDB table {table}")),
        "{}",
        server.started
    );
    let address = server.address.clone();
    let (status, answer) = tokio::task::spawn_blocking(move || {
        // The stamp the page's script takes from the status endpoint.
        let stamp = serving::form_status(&address, "spacer")["started_at"]
            .as_str()
            .expect("a fill-time stamp")
            .to_owned();
        serving::fill_in_like_a_person();
        let body = serde_json::json!({
            "full_name": "Anna Nowak",
            "email": "anna@example.pl",
            "processing": true,
            "started_at": stamp,
        })
        .to_string();
        let json = Some(("application/json", body.as_str()));
        serving::request(&address, "POST", "/api/forms/spacer", json)
    })
    .await
    .expect("the answer");
    assert_eq!(status, 201, "{answer}");

    let now = Utc
        .with_ymd_and_hms(2024, 1, 1, 12, 0, 0)
        .single()
        .expect("a valid time");
    let stored = store.list("spacer", now).await.expect("listed");
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].values["email"], "anna@example.pl");
    assert_eq!(
        stored[0].status,
        Status::Registered,
        "a person, not spam: a place of the first-come walk"
    );
    drop(server);
}
