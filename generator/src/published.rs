//! `agora publish pull`: the files the staff workspace published on AWS
//! (kept in the table, `agora_stores::dynamodb::published`) written into
//! the site's `content/`, before `agora build`. Every build of the site
//! on AWS runs it first (`infra/rebuild-site.sh`), so the site always
//! shows what the workspace published last, and no one edits Markdown.
//!
//! Every path is checked before anything is written, and each file is
//! written beside its place and renamed into it: a refused path or a
//! failed write leaves `content/` as it was, or with whole files only.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use agora_core::panel::PublishedFile;
use agora_stores::dynamodb::published::content_path;
use agora_stores::dynamodb::DynamoStore;
use sha2::{Digest, Sha256};

/// Operators: the files the staff workspace published.
#[derive(clap::Subcommand)]
pub enum PublishCommand {
    /// Write the files the staff workspace published into content/
    /// (run before `agora build`; the site's build on AWS does).
    Pull {
        /// The site's folder: holds content/.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// The DynamoDB table the workspace publishes into.
        #[arg(long, value_name = "NAME")]
        dynamodb_table: String,
        /// A DynamoDB endpoint other than AWS's (e.g. DynamoDB Local).
        #[arg(long, value_name = "URL")]
        dynamodb_endpoint: Option<String>,
        /// The table's AWS region (default: AWS_REGION, the AWS profile's,
        /// else eu-central-1).
        #[arg(long, value_name = "REGION")]
        dynamodb_region: Option<String>,
    },
}

/// Runs the command; its report (one line a file, then a total) or why
/// it failed.
pub async fn run(command: PublishCommand) -> Result<String, String> {
    let PublishCommand::Pull {
        root,
        dynamodb_table,
        dynamodb_endpoint,
        dynamodb_region,
    } = command;
    let store = DynamoStore::from_env_in(dynamodb_table, dynamodb_endpoint, dynamodb_region)
        .await
        .map_err(|e| e.to_string())?;
    let files = store
        .published_files()
        .await
        .map_err(|e| format!("cannot read the published files: {e}"))?;
    let content = root.join(agora_site::content::CONTENT_DIR);
    pull(&files, &content)
}

/// Writes `files` into `content` (which must exist): all paths checked
/// first, then each file whole. The report names each file with its size
/// and SHA-256, in path order, and nothing that changes between two pulls
/// of the same files: `infra/rebuild-site.sh` compares two reports to
/// know whether the table changed while it built.
pub fn pull(files: &[PublishedFile], content: &Path) -> Result<String, String> {
    if !content.is_dir() {
        return Err(format!(
            "{} is not a folder: is --root the site's folder?",
            content.display()
        ));
    }
    for file in files {
        content_path(&file.path).map_err(|reason| format!("refused: {reason}"))?;
    }
    let mut sorted: Vec<&PublishedFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut report = String::new();
    for file in sorted {
        let target = write_confined(content, file)?;
        let _ = writeln!(
            report,
            "{}: {} bytes, SHA-256 {}",
            target.display(),
            file.text.len(),
            hex::encode(Sha256::digest(file.text.as_bytes()))
        );
    }
    let _ = writeln!(
        report,
        "{} published file(s) written into {}",
        files.len(),
        content.display()
    );
    Ok(report)
}

/// Writes `file` under `content`, refusing a folder on the way that leads
/// elsewhere (a symbolic link out of `content/`).
fn write_confined(content: &Path, file: &PublishedFile) -> Result<PathBuf, String> {
    let target = content.join(&file.path);
    let folder = target.parent().unwrap_or(content);
    std::fs::create_dir_all(folder)
        .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    let inside = |path: &Path| {
        path.canonicalize()
            .map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    if !inside(folder)?.starts_with(inside(content)?) {
        return Err(format!(
            "refused: {} leads out of {}",
            folder.display(),
            content.display()
        ));
    }
    let partial = folder.join(format!(
        ".{}.agora-pull",
        target.file_name().unwrap_or_default().to_string_lossy()
    ));
    std::fs::write(&partial, file.text.as_bytes())
        .and_then(|()| std::fs::rename(&partial, &target))
        .map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            format!("cannot write {}: {e}", target.display())
        })?;
    Ok(target)
}
