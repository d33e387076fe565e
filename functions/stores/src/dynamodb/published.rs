//! Publishing to the static site on AWS: what the staff workspace
//! publishes (the ambassadors' list, a draw's result) is kept in the table
//! and the site is rebuilt from it.
//!
//! The panel function has no `content/` to write into, and the site is
//! built elsewhere (CodeBuild, the hourly publish). So [`DynamoPublisher`]
//! puts the file as an item of the partition `published` (`sk` its path
//! under `content/`, `text` its bytes, `published_at`) and starts the
//! CodeBuild project named by `AGORA_PUBLISH_BUILD`. Every build of the
//! site on AWS first runs `agora publish pull`, which reads that partition
//! (one `Query`, [`DynamoStore::published_files`]) and writes each file
//! into `content/`, then `agora build` and `infra/publish-site.py`.
//!
//! Why the table and not S3: the panel already holds a DynamoDB client and
//! may `PutItem`; an S3 client is the slowest SDK crate to compile, for one
//! call. Why a build that reads every published file: publishing twice
//! overwrites one item and rebuilds the same site; a publish made while a
//! build runs is read by the build it starts (and by the check at the end
//! of `infra/rebuild-site.sh`), so the later file is never lost. Only what
//! the panel publishes leaves the store: the build's role may read the
//! partition `published` and no other (`dynamodb:LeadingKeys`).

use agora_core::panel::publish::Publishing;
use agora_core::panel::{PublishError, PublishedFile, Publisher};
use agora_core::store::StoreError;

use super::items::{s, text};
use super::{failure, DynamoStore};

/// The partition of the published files.
pub const PUBLISHED_PK: &str = "published";

/// The variable naming the CodeBuild project that rebuilds the site.
pub const BUILD_VARIABLE: &str = "AGORA_PUBLISH_BUILD";

/// DynamoDB keeps items up to 400 KB, names and keys included.
const MAX_TEXT_BYTES: usize = 380 * 1024;

/// The CodeBuild project that builds the site from the published files
/// and publishes it.
#[derive(Clone)]
pub struct SiteBuild {
    client: aws_sdk_codebuild::Client,
    project: String,
}

impl SiteBuild {
    pub fn new(client: aws_sdk_codebuild::Client, project: String) -> Self {
        Self { client, project }
    }

    /// `project`, with the SDK's usual configuration from the environment
    /// (credentials, `AWS_REGION`, else eu-central-1, as the table's);
    /// `endpoint` points it elsewhere.
    pub async fn from_env(project: String, endpoint: Option<String>) -> Self {
        let region = crate::aws::region(None, super::DEFAULT_REGION);
        let mut loader = crate::aws::config_loader().region(region);
        if let Some(endpoint) = endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let client = aws_sdk_codebuild::Client::new(&loader.load().await);
        Self::new(client, project)
    }

    /// Starts a build; its id, for the log.
    async fn start(&self) -> Result<String, String> {
        let started = self
            .client
            .start_build()
            .project_name(&self.project)
            .send()
            .await
            .map_err(|error| {
                use aws_sdk_codebuild::error::ProvideErrorMetadata;
                match error.code() {
                    Some(code) => format!("CodeBuild refused StartBuild ({code})"),
                    None => format!(
                        "CodeBuild could not be reached: {}",
                        aws_sdk_codebuild::error::DisplayErrorContext(&error)
                    ),
                }
            })?;
        Ok(started
            .build_value
            .and_then(|build| build.id)
            .unwrap_or_default())
    }
}

/// The [`Publisher`] of the panel function: the file into the table, then
/// the site's build started. Without a build ([`Self::from_env`] found no
/// `AGORA_PUBLISH_BUILD`) it publishes nothing and says what to set.
#[derive(Clone)]
pub struct DynamoPublisher {
    store: DynamoStore,
    build: Option<SiteBuild>,
}

impl std::fmt::Debug for DynamoPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoPublisher")
            .field("table", &self.store.table)
            .field("build", &self.build.as_ref().map(|b| &b.project))
            .finish()
    }
}

impl DynamoPublisher {
    pub fn new(store: DynamoStore, build: Option<SiteBuild>) -> Self {
        Self { store, build }
    }

    /// The publisher of `store`'s table and the project named by
    /// `AGORA_PUBLISH_BUILD` (the stack sets it), with the SDK's usual
    /// configuration; `AGORA_CODEBUILD_ENDPOINT` points it elsewhere.
    pub async fn from_env(store: DynamoStore) -> Self {
        let variable = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let build = match variable(BUILD_VARIABLE) {
            Some(project) => {
                let endpoint = variable("AGORA_CODEBUILD_ENDPOINT");
                Some(SiteBuild::from_env(project, endpoint).await)
            }
            None => None,
        };
        Self::new(store, build)
    }

    async fn publish_file(&self, file: &PublishedFile) -> Result<(), PublishError> {
        let refused = |reason: String| PublishError {
            path: file.path.clone(),
            reason,
        };
        let Some(build) = &self.build else {
            return Err(refused(format!(
                "publishing to the static site is not set up: set {BUILD_VARIABLE} to the CodeBuild project that rebuilds the site (the stack's output PublishBuildProject)"
            )));
        };
        content_path(&file.path).map_err(refused)?;
        if file.text.len() > MAX_TEXT_BYTES {
            return Err(refused(format!(
                "{} bytes is more than one DynamoDB item holds ({MAX_TEXT_BYTES} bytes)",
                file.text.len()
            )));
        }
        self.store
            .put_published(file)
            .await
            .map_err(|e| refused(e.to_string()))?;
        let id = build.start().await.map_err(|reason| {
            refused(format!(
                "the file is kept, but the site's build did not start: {reason}; publish again, or wait for the hourly rebuild"
            ))
        })?;
        eprintln!("agora: published {}; site build {id} started", file.path);
        Ok(())
    }
}

impl Publisher for DynamoPublisher {
    fn publish<'a>(&'a self, file: &'a PublishedFile) -> Publishing<'a> {
        Box::pin(self.publish_file(file))
    }
}

impl DynamoStore {
    /// Keeps `file` as the published version of its path, replacing an
    /// earlier one.
    async fn put_published(&self, file: &PublishedFile) -> Result<(), StoreError> {
        let now = chrono::Utc::now().to_rfc3339();
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(PUBLISHED_PK))
            .item("sk", s(&file.path))
            .item("text", s(&file.text))
            .item("published_at", s(&now))
            .send()
            .await
            .map_err(|e| failure("PutItem", e))?;
        Ok(())
    }

    /// Every published file, by path. A stored path that
    /// [`content_path`] refuses is corrupt data, reported, never written.
    pub async fn published_files(&self) -> Result<Vec<PublishedFile>, StoreError> {
        let items = super::reads::query_items(self.partition(PUBLISHED_PK), usize::MAX).await?;
        items
            .iter()
            .map(|item| {
                let path = text(item, "sk")?.to_owned();
                content_path(&path).map_err(StoreError::Corrupt)?;
                let text = text(item, "text")?.to_owned();
                Ok(PublishedFile { path, text })
            })
            .collect()
    }
}

/// Whether `path` may name a file of `content/`: relative, `/` between
/// its parts, each part letters, digits, `-`, `_` or `.`, none starting
/// with a dot (so no `..`, no hidden file). Anything else could write
/// outside `content/`, wherever the build runs.
pub fn content_path(path: &str) -> Result<(), String> {
    let part_ok = |part: &str| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if path.split('/').all(part_ok) {
        Ok(())
    } else {
        Err(format!(
            "`{path}` is not a path under content/ (relative, parts of letters, digits, -, _ and ., none starting with a dot)"
        ))
    }
}
