//! A [`Publisher`] for tests: it keeps every file the workspace publishes
//! (the latest version of each path readable with [`Recorded::latest`]),
//! and refuses them while told to fail, as a site that cannot be reached.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use agora_core::panel::publish::Publishing;
use agora_core::panel::{PublishError, PublishedFile, Publisher};

#[derive(Default)]
pub struct Recorded {
    files: Mutex<Vec<PublishedFile>>,
    failing: AtomicBool,
}

impl Recorded {
    /// Every file published so far, in order.
    pub fn files(&self) -> Vec<PublishedFile> {
        self.files.lock().expect("not poisoned").clone()
    }

    /// The text last published at `path`.
    pub fn latest(&self, path: &str) -> Option<String> {
        let files = self.files.lock().expect("not poisoned");
        files
            .iter()
            .rev()
            .find(|f| f.path == path)
            .map(|f| f.text.clone())
    }

    /// From now on every publishing fails (`true`) or works again.
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

impl Publisher for Recorded {
    fn publish<'a>(&'a self, file: &'a PublishedFile) -> Publishing<'a> {
        Box::pin(async move {
            if self.failing.load(Ordering::SeqCst) {
                return Err(PublishError {
                    path: file.path.clone(),
                    reason: "the test's site cannot be reached".to_owned(),
                });
            }
            self.files.lock().expect("not poisoned").push(file.clone());
            Ok(())
        })
    }
}
