//! How what the workspace publishes (the ambassadors' list, a draw's
//! result) reaches the static site without anyone editing Markdown: the
//! panel hands a [`Publisher`] a file of the site's `content/`, and the
//! publisher gets it built. Under `agora serve` it writes the file into
//! `content/` and the live rebuild shows it at once; on AWS it keeps the
//! file where the site's build reads it and starts that build.

use std::future::Future;
use std::pin::Pin;

/// A file of the site's content, as the panel publishes it: only public
/// data (references, consented fields), never more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedFile {
    /// Relative to `content/`, with `/` separators: `data/ambasadorzy.yaml`.
    pub path: String,
    pub text: String,
}

/// Why a file could not be published: for the log and the staff member,
/// with no personal data (the file's path and the system's error).
#[derive(Debug, thiserror::Error)]
#[error("cannot publish {path}: {reason}")]
pub struct PublishError {
    pub path: String,
    pub reason: String,
}

/// The future a [`Publisher`] returns (boxed, so that the workspace can
/// hold any publisher behind one pointer).
pub type Publishing<'a> = Pin<Box<dyn Future<Output = Result<(), PublishError>> + Send + 'a>>;

pub trait Publisher: Send + Sync {
    /// Publishes `file`, replacing an earlier version of it. Done means
    /// the file is kept where the build reads it and a build is started
    /// (or, under `agora serve`, will run at once).
    fn publish<'a>(&'a self, file: &'a PublishedFile) -> Publishing<'a>;
}
