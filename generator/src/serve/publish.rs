//! What the staff workspace publishes under `agora serve`: the file is
//! written into the site's `content/`, whole (a temporary file beside it,
//! then renamed over it), and the watcher's rebuild shows it at once, as
//! it shows an editor's save. Without watching (`--no-watch`) nothing
//! rebuilds, and publishing says so.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use agora_core::panel::publish::Publishing;
use agora_core::panel::{PublishError, PublishedFile, Publisher};

pub(crate) struct ContentPublisher {
    content: PathBuf,
    /// The site is rebuilt after each edit of `content/`.
    watching: bool,
}

impl ContentPublisher {
    pub(crate) fn new(content: PathBuf, watching: bool) -> Self {
        Self { content, watching }
    }

    /// Writes `file` into `content/`; a path that would leave it, or name
    /// a hidden file, is refused.
    fn write(&self, file: &PublishedFile) -> Result<(), String> {
        let relative = inside(&file.path)?;
        let target = self.content.join(relative);
        let folder = target.parent().unwrap_or(&self.content);
        std::fs::create_dir_all(folder).map_err(|e| e.to_string())?;
        // Hidden, so that the watcher and the build pass over it.
        let draft = folder.join(format!(
            ".{}.{}.tmp",
            relative
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("file"),
            std::process::id()
        ));
        let written = write_synced(&draft, file.text.as_bytes())
            .and_then(|()| std::fs::rename(&draft, &target));
        if written.is_err() {
            let _ = std::fs::remove_file(&draft);
        }
        written.map_err(|e| e.to_string())
    }
}

impl Publisher for ContentPublisher {
    fn publish<'a>(&'a self, file: &'a PublishedFile) -> Publishing<'a> {
        Box::pin(async move {
            let refused = |reason: String| PublishError {
                path: file.path.clone(),
                reason,
            };
            self.write(file).map_err(refused)?;
            if self.watching {
                Ok(())
            } else {
                Err(refused(
                    "it is written into content/, but agora serve --no-watch does not rebuild: \
                     the site shows it after a restart"
                        .to_owned(),
                ))
            }
        })
    }
}

/// `path` as a path under `content/`: plain names only, none hidden.
fn inside(path: &str) -> Result<&Path, String> {
    let relative = Path::new(path);
    let plain = relative.components().all(|part| match part {
        Component::Normal(name) => name.to_str().is_some_and(|n| !n.starts_with('.')),
        _ => false,
    });
    if plain && relative.file_name().is_some() {
        Ok(relative)
    } else {
        Err("the path leaves content/ or names a hidden file".to_owned())
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> PublishedFile {
        PublishedFile {
            path: path.to_owned(),
            text: "ambassadors: []\n".to_owned(),
        }
    }

    #[tokio::test]
    async fn a_file_is_written_whole_into_content_and_nowhere_else() {
        let root = tempfile::tempdir().expect("a temporary folder");
        let content = root.path().join("content");
        let publisher = ContentPublisher::new(content.clone(), true);
        publisher
            .publish(&file("data/ambasadorzy.yaml"))
            .await
            .expect("published");
        let written = std::fs::read_to_string(content.join("data/ambasadorzy.yaml"));
        assert_eq!(written.expect("the file"), "ambassadors: []\n");
        let left: Vec<_> = std::fs::read_dir(content.join("data"))
            .expect("the folder")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 1, "no draft left behind: {left:?}");
        for outside in [
            "../agora.yaml",
            "/etc/passwd",
            "data/../../x.yaml",
            "./data/.hidden.yaml",
            "",
        ] {
            let refused = publisher.publish(&file(outside)).await;
            assert!(refused.is_err(), "{outside} must be refused");
        }
        assert!(!root.path().join("agora.yaml").exists());
    }

    #[tokio::test]
    async fn without_watching_the_file_is_written_and_the_staff_told() {
        let root = tempfile::tempdir().expect("a temporary folder");
        let publisher = ContentPublisher::new(root.path().to_path_buf(), false);
        let refused = publisher
            .publish(&file("data/ambasadorzy.yaml"))
            .await
            .expect_err("not shown until a restart");
        assert!(refused.to_string().contains("--no-watch"), "{refused}");
        assert!(root.path().join("data/ambasadorzy.yaml").exists());
    }
}
