//! Publishing to the static site on AWS (`dynamodb::published`), on
//! DynamoDB Local with a stand-in for CodeBuild's JSON API: the file is
//! kept in the table and the site's build started; publishing again
//! replaces the file and starts another build; a path that could leave
//! `content/` is refused before anything is stored; without a build
//! project nothing is published and the error says what to set; a build
//! CodeBuild refuses keeps the file and says so. Whether AWS really
//! starts the project is for the stack (infra/README.md, "Publishing from
//! the staff workspace").

use std::sync::{Arc, Mutex};

use agora_core::panel::{PublishedFile, Publisher};
use agora_stores::dynamodb::published::{DynamoPublisher, SiteBuild, BUILD_VARIABLE};
use agora_test_support::dynamodb_local;
use aws_sdk_codebuild::config::{BehaviorVersion, Credentials, Region};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

const PROJECT: &str = "agora-site";

/// The stand-in's memory: the projects builds were started for.
#[derive(Clone, Default)]
struct CodeBuild {
    started: Arc<Mutex<Vec<String>>>,
    refuse: bool,
}

async fn codebuild(
    State(codebuild): State<CodeBuild>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_eq!(target, "CodeBuild_20161006.StartBuild");
    if codebuild.refuse {
        let refusal = serde_json::json!({"__type": "AccessDeniedException", "message": "no"});
        return (StatusCode::BAD_REQUEST, refusal.to_string()).into_response();
    }
    let request: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let project = request["projectName"].as_str().expect("a project");
    let mut started = codebuild.started.lock().expect("started");
    started.push(project.to_owned());
    let id = format!("{project}:{}", started.len());
    serde_json::json!({"build": {"id": id, "buildStatus": "IN_PROGRESS"}})
        .to_string()
        .into_response()
}

/// A CodeBuild client of the stand-in, which answers as `codebuild` says.
async fn site_build(codebuild: &CodeBuild) -> SiteBuild {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    let app = Router::new()
        .route("/", post(self::codebuild))
        .with_state(codebuild.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = aws_sdk_codebuild::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-central-1"))
        .http_client(agora_stores::aws::https_client())
        .credentials_provider(Credentials::new("local", "local", None, None, "test"))
        .endpoint_url(format!("http://{address}"))
        .build();
    SiteBuild::new(
        aws_sdk_codebuild::Client::from_conf(config),
        PROJECT.to_owned(),
    )
}

fn file(path: &str, text: &str) -> PublishedFile {
    PublishedFile {
        path: path.to_owned(),
        text: text.to_owned(),
    }
}

const AMBASSADORS: &str = "ambassadors:\n  - id: K7QX-M3PA\n    full_name: Anna Próbna\n    area: Azory\n    district: Prądnik Biały\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_file_is_kept_in_the_table_and_the_build_started() {
    let store = dynamodb_local::fresh_store().await;
    let codebuild = CodeBuild::default();
    let publisher = DynamoPublisher::new(store.clone(), Some(site_build(&codebuild).await));

    let ambassadors = file("data/ambasadorzy.yaml", AMBASSADORS);
    publisher.publish(&ambassadors).await.expect("published");
    assert_eq!(store.published_files().await.expect("read"), [ambassadors]);
    assert_eq!(*codebuild.started.lock().expect("started"), [PROJECT]);

    // Again, changed, and a second file: one item a path, the newest
    // text, a build each time.
    let changed = file("data/ambasadorzy.yaml", "ambassadors: []\n");
    let result = file(
        "wspolne-projekty/losowanie-2020.md",
        "+++\ntitle = \"Wyniki\"\n+++\nK7QX-M3PA\n",
    );
    publisher.publish(&changed).await.expect("published");
    publisher.publish(&changed).await.expect("published twice");
    publisher.publish(&result).await.expect("published");
    assert_eq!(
        store.published_files().await.expect("read"),
        [changed, result]
    );
    assert_eq!(codebuild.started.lock().expect("started").len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_out_of_content_is_refused_before_anything_is_stored() {
    let store = dynamodb_local::fresh_store().await;
    let codebuild = CodeBuild::default();
    let publisher = DynamoPublisher::new(store.clone(), Some(site_build(&codebuild).await));
    for hostile in [
        "../x",
        "data/../../x",
        "/etc/passwd",
        "data//x.yaml",
        ".agora/agora.sqlite3",
        "data\\x.yaml",
        "",
        "data/",
    ] {
        let error = publisher
            .publish(&file(hostile, "x"))
            .await
            .expect_err(hostile);
        assert!(
            error.to_string().contains("is not a path under content/"),
            "{error}"
        );
    }
    assert!(store.published_files().await.expect("read").is_empty());
    assert!(codebuild.started.lock().expect("started").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_build_project_nothing_is_published_and_the_error_says_what_to_set() {
    let store = dynamodb_local::fresh_store().await;
    let publisher = DynamoPublisher::new(store.clone(), None);
    let error = publisher
        .publish(&file("data/ambasadorzy.yaml", AMBASSADORS))
        .await
        .expect_err("not set up");
    let message = error.to_string();
    assert!(message.contains("data/ambasadorzy.yaml"), "{message}");
    assert!(message.contains(BUILD_VARIABLE), "{message}");
    assert!(store.published_files().await.expect("read").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_codebuild_refuses_keeps_the_file_and_says_so() {
    let store = dynamodb_local::fresh_store().await;
    let codebuild = CodeBuild {
        refuse: true,
        ..CodeBuild::default()
    };
    let publisher = DynamoPublisher::new(store.clone(), Some(site_build(&codebuild).await));
    let ambassadors = file("data/ambasadorzy.yaml", AMBASSADORS);
    let message = publisher
        .publish(&ambassadors)
        .await
        .expect_err("refused")
        .to_string();
    assert!(message.contains("the file is kept"), "{message}");
    assert!(message.contains("AccessDeniedException"), "{message}");
    assert_eq!(store.published_files().await.expect("read"), [ambassadors]);
}
