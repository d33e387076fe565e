//! Publishing from the staff workspace to the static site on AWS, end to
//! end on this machine: the panel's publisher keeps the ambassadors' list
//! in a DynamoDB Local table (CodeBuild a stand-in), `agora publish pull`
//! writes exactly the published files into the real site's `content/`,
//! and `agora build` shows the ambassador on the ambassadors' page. A
//! stored path that would leave `content/` is refused and nothing is
//! written. What only AWS can show (the stack's CodeBuild project really
//! starting, building and uploading) is in infra/README.md, "Publishing
//! from the staff workspace".

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use std::path::Path;
use std::process::Command;

use agora::published::pull;
use agora_core::panel::{PublishedFile, Publisher};
use agora_stores::dynamodb::published::{DynamoPublisher, SiteBuild, PUBLISHED_PK};
use agora_test_support::dynamodb_local;
use aws_sdk_dynamodb::types::AttributeValue;
use common::{on_dynamodb_local, TempSite, LOCAL_AWS, NOW};

const AMBASSADORS: &str = "# Opublikowane z panelu.\nambassadors:\n  - id: K7QX-M3PA\n    full_name: Anna Próbna\n    area: Azory\n    district: Prądnik Biały\n";

/// `agora` with the credentials DynamoDB Local accepts (it checks that
/// requests are signed, not by whom), nothing of this machine's AWS
/// setup; its success, standard output and standard error.
async fn agora(args: Vec<String>) -> (bool, String, String) {
    tokio::task::spawn_blocking(move || run_agora(&args))
        .await
        .expect("agora finished")
}

fn run_agora(args: &[String]) -> (bool, String, String) {
    let output = on_dynamodb_local(Command::new(env!("CARGO_BIN_EXE_agora")).args(args))
        .output()
        .expect("agora runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A stand-in for CodeBuild that starts every build it is asked for;
/// its address.
async fn codebuild() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    let started = || async { r#"{"build":{"id":"agora-site:1"}}"# };
    let app = axum::Router::new().route("/", axum::routing::post(started));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

/// Publishes [`AMBASSADORS`] through the panel's publisher on `store`'s
/// table, its build the stand-in's.
async fn publish_ambassadors(store: &agora_stores::dynamodb::DynamoStore) {
    // The SDK's configuration from the environment, as in the Lambda
    // function; this test file's tests all set the same values.
    for (name, value) in LOCAL_AWS {
        std::env::set_var(name, value);
    }
    let build = SiteBuild::from_env("agora-site".to_owned(), Some(codebuild().await)).await;
    let ambassadors = PublishedFile {
        path: "data/ambasadorzy.yaml".to_owned(),
        text: AMBASSADORS.to_owned(),
    };
    DynamoPublisher::new(store.clone(), Some(build))
        .publish(&ambassadors)
        .await
        .expect("published");
}

fn pull_args(root: &Path, table: &str, endpoint: &str) -> Vec<String> {
    let root = root.to_str().expect("a UTF-8 path");
    ["publish", "pull", "--root", root, "--dynamodb-table", table]
        .into_iter()
        .chain(["--dynamodb-endpoint", endpoint])
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_workspace_publishes_reaches_the_built_site() {
    let (store, endpoint, table) = dynamodb_local::fresh_table().await;
    publish_ambassadors(&store).await;

    let site = TempSite::real();
    let list = site.root().join("content/data/ambasadorzy.yaml");
    let before = std::fs::read_to_string(&list).expect("the repository's list");
    assert!(!before.contains("Anna Próbna"));
    let (ok, report, errors) = agora(pull_args(&site.root(), &table, &endpoint)).await;
    assert!(ok, "{errors}");
    assert!(report.contains("data/ambasadorzy.yaml: "), "{report}");
    assert!(
        report.contains("\n1 published file(s) written into "),
        "{report}"
    );
    let pulled = std::fs::read(&list).expect("pulled");
    assert_eq!(pulled, AMBASSADORS.as_bytes(), "byte for byte");

    let (root, out) = (site.root(), site.out("public"));
    let build = ["build", "--root", root.to_str().expect("UTF-8"), "--out"]
        .into_iter()
        .chain([out.to_str().expect("UTF-8"), "--now", NOW]);
    let (ok, _, errors) = agora(build.map(str::to_owned).collect()).await;
    assert!(ok, "{errors}");
    let page = std::fs::read_to_string(
        site.out("public")
            .join("wspolne-projekty/ambasadorzy/index.html"),
    )
    .expect("the ambassadors' page");
    assert!(
        page.contains("<td>Anna Próbna</td><td>Prądnik Biały</td><td>Azory</td>"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_path_out_of_content_is_refused_and_nothing_written() {
    let (store, endpoint, table) = dynamodb_local::fresh_table().await;
    publish_ambassadors(&store).await;
    // As if someone wrote the table directly: the publisher never would.
    let client = aws_sdk_dynamodb::Client::from_conf(dynamodb_local::client_config().0.build());
    for hostile in ["../x", "/tmp/agora-published-x"] {
        client
            .put_item()
            .table_name(&table)
            .item("pk", AttributeValue::S(PUBLISHED_PK.to_owned()))
            .item("sk", AttributeValue::S(hostile.to_owned()))
            .item("text", AttributeValue::S("x".to_owned()))
            .send()
            .await
            .expect("put");
    }
    let site = TempSite::fixture("valid");
    let list = site.root().join("content/data/ambasadorzy.yaml");
    let before = std::fs::read(&list).ok();
    let (ok, report, errors) = agora(pull_args(&site.root(), &table, &endpoint)).await;
    assert!(!ok, "{report}");
    assert!(
        errors.starts_with("error: cannot read the published files"),
        "{errors}"
    );
    assert!(errors.contains("is not a path under content/"), "{errors}");
    assert_eq!(std::fs::read(&list).ok(), before, "nothing written");
    assert!(!site.parent().join("x").exists());
    assert!(!Path::new("/tmp/agora-published-x").exists());
}

#[test]
fn pulling_writes_only_under_content() {
    let site = TempSite::empty();
    let content = site.root().join("content");
    std::fs::create_dir_all(&content).expect("content/");
    let file = |path: &str| PublishedFile {
        path: path.to_owned(),
        text: "x\n".to_owned(),
    };
    for hostile in ["../x", "/x", "data/../../x", ".hidden"] {
        let refused = pull(&[file("data/a.yaml"), file(hostile)], &content).expect_err(hostile);
        assert!(refused.starts_with("refused: "), "{refused}");
    }
    assert!(
        !content.join("data").exists(),
        "nothing written before every path is checked"
    );

    // A folder of content/ that leads elsewhere is not followed.
    let elsewhere = site.out("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("a folder");
    std::os::unix::fs::symlink(&elsewhere, content.join("data")).expect("a link");
    let refused = pull(&[file("data/a.yaml")], &content).expect_err("out of content/");
    assert!(refused.contains("leads out of"), "{refused}");
    assert!(!elsewhere.join("a.yaml").exists());

    let nested = [file("wspolne-projekty/wyniki/losowanie.md")];
    let report = pull(&nested, &content).expect("pulled");
    assert!(
        report.contains("73cb3858a687a8494ca3323053016282f3dad39d42cf62ca4e79dda2aac7d9ac"),
        "{report}"
    );
    assert_eq!(
        std::fs::read(content.join("wspolne-projekty/wyniki/losowanie.md")).expect("written"),
        b"x\n"
    );
}
