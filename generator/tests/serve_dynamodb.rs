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

use std::io::{Read, Write};
use std::net::TcpStream;

use agora_core::registration::Status;
use agora_core::store::Store;
use chrono::{TimeZone, Utc};
use common::TempSite;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_through_serve_lands_in_the_dynamodb_table() {
    let (store, endpoint, table) = dynamodb_local::fresh_table().await;
    let site = TempSite::real();
    let mut command = serving::agora_serve(&site.root());
    command
        .args(["--no-watch", "--now", "2020-03-05 12:00"])
        .args(["--dynamodb-table", &table, "--dynamodb-endpoint", &endpoint])
        // DynamoDB Local checks that requests are signed, not by whom.
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_REGION", "eu-central-1")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB");
    let server = tokio::task::spawn_blocking(move || serving::start(command))
        .await
        .expect("agora serve started");
    assert!(
        server.started.contains(&format!("DynamoDB table {table}")),
        "{}",
        server.started
    );
    let address = server.address.clone();

    // The stamp the page's script takes from the status endpoint; a
    // person takes longer than the least fill time (3 s).
    let status_address = address.clone();
    let stamp = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(&status_address).expect("connect to agora serve");
        write!(
            stream,
            "GET /api/forms/ambasadorzy HTTP/1.1\r\nHost: {status_address}\r\nConnection: close\r\n\r\n"
        )
        .expect("ask for the status");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read the status");
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let status: serde_json::Value = serde_json::from_str(body).expect("the status as JSON");
        status["started_at"]
            .as_str()
            .expect("a fill-time stamp")
            .to_owned()
    })
    .await
    .expect("the stamp");
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let body = serde_json::json!({
        "full_name": "Anna Nowak",
        "email": "anna@example.pl",
        "district": "XIII",
        "area": "Osiedle Kabel",
        "processing": true,
        "started_at": stamp,
    })
    .to_string();
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(&address).expect("connect to agora serve");
        write!(
            stream,
            "POST /api/forms/ambasadorzy HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send the registration");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read the answer");
        answer
    })
    .await
    .expect("the answer");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");

    let now = Utc
        .with_ymd_and_hms(2020, 3, 5, 12, 0, 0)
        .single()
        .expect("a valid time");
    let stored = store.list("ambasadorzy", now).await.expect("listed");
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].values["email"], "anna@example.pl");
    assert_eq!(stored[0].status, Status::Pending, "a person, not spam");
    drop(server);
}
