//! The local mailer: every message an `.eml` file in an outbox folder
//! (`.agora/outbox/`), readable by any mail program and by tests.

use std::path::{Path, PathBuf};

use agora_core::mail::{format, Email, MailError, Mailer};

/// Writes each message as `<outbox>/<tag>.eml`.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
    from: String,
}

impl Outbox {
    pub fn new(dir: &Path, from: &str) -> Self {
        Self {
            dir: dir.to_path_buf(),
            from: from.to_owned(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Mailer for Outbox {
    async fn send(&self, email: Email) -> Result<(), MailError> {
        let bytes = format(&self.from, &email)?;
        let dir = self.dir.clone();
        let name: String = email
            .tag
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            // Written beside, then renamed: a reader never sees half a message.
            let partial = dir.join(format!(".{name}.eml.partial"));
            std::fs::write(&partial, bytes)?;
            std::fs::rename(&partial, dir.join(format!("{name}.eml")))
        })
        .await
        .map_err(|e| MailError::Send(e.to_string()))?
        .map_err(|e| MailError::Send(e.to_string()))
    }
}
