//! Live reload for `agora serve`: the site served from memory, a watcher
//! of `content/`, `themes/` and `agora.yaml` that rebuilds after each
//! save ([`LiveBuild`] decides how little), and the events that tell open
//! pages to reload or to show the build's error.

use std::convert::Infallible;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt as _};
use notify::{RecursiveMode, Watcher};
use tokio::sync::watch;

use agora_site::config::CONFIG_FILE;
use agora_site::content::CONTENT_DIR;
use agora_site::rebuild::{LiveBuild, SiteFiles};
use agora_site::templates::THEMES_DIR;

/// Where open pages listen for rebuilds.
pub(crate) const EVENTS_PATH: &str = "/__agora/events";
/// The script that listens, added to every HTML page served.
pub(crate) const SCRIPT_PATH: &str = "/__agora/live.js";
const SCRIPT: &str = include_str!("live.js");
/// Editors save in bursts (a temporary file, a rename, a metadata
/// change): one rebuild once they have been quiet this long. The writes
/// of one save come well under a millisecond apart (Vim's rename to a
/// backup and write, VS Code's truncate and write); what may come later
/// (an fsync, the backup removed) leaves the file as written. 10 ms
/// coalesces a save and adds little to the time an edit takes to show.
const DEBOUNCE: Duration = Duration::from_millis(10);

/// The latest build as open pages are told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Status {
    /// Build `generation` is served.
    Good { generation: u64 },
    /// The latest rebuild failed; build `generation` is still served.
    Failed { generation: u64, error: String },
}

/// The served site and its status, shared by the server and the thread
/// that rebuilds.
#[derive(Clone)]
pub(crate) struct Live {
    files: Arc<RwLock<Arc<SiteFiles>>>,
    status: watch::Receiver<Status>,
    /// Edits are watched and pages get the live-reload script.
    watching: bool,
    /// True once the server stops: the events streams end, so that open
    /// pages do not hold it up.
    stopping: watch::Receiver<bool>,
}

/// Serves `site` and, with `watching`, starts watching `root` for edits;
/// the watcher and rebuilds run until the process ends. Without, the site
/// is served as built, with nothing added to its pages (`--no-watch`: a
/// machine that serves residents, not an editor's preview).
/// `on_rebuilt` hears the files of each good rebuild (relative to `root`).
pub(crate) fn start(
    root: &Path,
    site: LiveBuild,
    watching: bool,
    stopping: watch::Receiver<bool>,
    on_rebuilt: impl Fn(&[PathBuf]) + Send + 'static,
) -> Result<Live, String> {
    let files = Arc::new(RwLock::new(site.files()));
    let (status_sender, status) = watch::channel(Status::Good { generation: 1 });
    if !watching {
        return Ok(Live {
            files,
            status,
            watching,
            stopping,
        });
    }
    let (events, changes) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(events)
        .map_err(|e| format!("cannot watch the site for edits: {e}"))?;
    for (path, mode) in [
        (root.join(CONTENT_DIR), RecursiveMode::Recursive),
        (root.join(THEMES_DIR), RecursiveMode::Recursive),
        // The root alone, for agora.yaml: not .agora/ with its store.
        (root.to_path_buf(), RecursiveMode::NonRecursive),
    ] {
        watcher
            .watch(&path, mode)
            .map_err(|e| format!("cannot watch {} for edits: {e}", path.display()))?;
    }
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let shared = Arc::clone(&files);
    std::thread::Builder::new()
        .name("agora-live".to_owned())
        .spawn(move || {
            // The watcher stops when dropped: it lives as long as the loop.
            let _watcher = watcher;
            rebuild_loop(&root, site, &changes, &shared, &status_sender, &on_rebuilt);
        })
        .map_err(|e| format!("cannot start the rebuild thread: {e}"))?;
    Ok(Live {
        files,
        status,
        watching,
        stopping,
    })
}

fn rebuild_loop(
    root: &Path,
    mut site: LiveBuild,
    changes: &mpsc::Receiver<notify::Result<notify::Event>>,
    files: &RwLock<Arc<SiteFiles>>,
    status: &watch::Sender<Status>,
    on_rebuilt: &dyn Fn(&[PathBuf]),
) {
    let mut generation = 1;
    // Ends when the watcher is gone.
    while let Ok(first) = changes.recv() {
        let mut paths = Vec::new();
        let mut add = |event: notify::Result<notify::Event>| match event {
            Ok(event) if is_edit(event.kind) => {
                paths.extend(event.paths.iter().filter_map(|p| relevant(root, p)));
            }
            Ok(_) => {}
            Err(error) => eprintln!("watching for edits: {error}"),
        };
        add(first);
        while let Ok(event) = changes.recv_timeout(DEBOUNCE) {
            add(event);
        }
        paths.sort();
        paths.dedup();
        if paths.is_empty() {
            continue;
        }
        match site.rebuild(&paths) {
            Ok(rebuilt) => {
                generation += 1;
                if let Ok(mut served) = files.write() {
                    *served = site.files();
                }
                on_rebuilt(&paths);
                status.send_replace(Status::Good { generation });
                println!(
                    "rebuilt {}{}: {} pages rendered in {} ms",
                    rebuilt.changed,
                    if rebuilt.whole { " (whole site)" } else { "" },
                    rebuilt.pages,
                    rebuilt.elapsed.as_millis()
                );
            }
            Err(problems) => {
                eprintln!("{problems}\nserving the last good site");
                status.send_replace(Status::Failed {
                    generation,
                    error: problems.to_string(),
                });
            }
        }
    }
}

/// Files written, created, renamed or removed; not files read (the
/// rebuild's own reading would start the next one) nor their times.
fn is_edit(kind: notify::EventKind) -> bool {
    use notify::event::{EventKind, ModifyKind};
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

/// The path relative to the root when an edit of it can change the site:
/// under content/ or themes/, or agora.yaml; never hidden files (.agora/,
/// .git/, Vim's .swp) or editors' temporary files.
fn relevant(root: &Path, path: &Path) -> Option<PathBuf> {
    let relative = path.strip_prefix(root).ok()?;
    let mut parts = relative.components();
    let top = match parts.next()? {
        Component::Normal(name) => name.to_str()?,
        _ => return None,
    };
    if !(top == CONTENT_DIR || top == THEMES_DIR || (top == CONFIG_FILE && parts.next().is_none()))
    {
        return None;
    }
    let temporary = |name: &str| {
        name.starts_with('.')
            || name.ends_with('~')
            || name.ends_with(".swp")
            || name.ends_with(".swx")
            || name.ends_with(".tmp")
            || (name.starts_with('#') && name.ends_with('#'))
            // Vim checks that it may write a folder with a file named 4913.
            || name == "4913"
    };
    let skipped = relative.components().any(|part| match part {
        Component::Normal(name) => name.to_str().is_none_or(temporary),
        _ => true,
    });
    (!skipped).then(|| relative.to_path_buf())
}

impl Live {
    /// Answers a request for a file of the site, or for the live-reload
    /// script and events.
    pub(crate) async fn respond(&self, request: Request) -> Response {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                [(header::ALLOW, "GET, HEAD")],
            )
                .into_response();
        }
        match request.uri().path() {
            EVENTS_PATH if self.watching => self.events().into_response(),
            SCRIPT_PATH if self.watching => (
                [
                    (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                SCRIPT,
            )
                .into_response(),
            path => self.file(path),
        }
    }

    fn file(&self, path: &str) -> Response {
        let files = match self.files.read() {
            Ok(files) => Arc::clone(&files),
            // A rebuild thread that panicked left the last site it served.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        };
        let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        let relative = decoded.trim_start_matches('/');
        let key = if relative.is_empty() || relative.ends_with('/') {
            format!("{relative}index.html")
        } else {
            relative.to_owned()
        };
        if let Some(bytes) = files.get(key.as_str()) {
            return self.answer(StatusCode::OK, &key, bytes);
        }
        if files.contains_key(format!("{relative}/index.html").as_str()) {
            // A folder's page asked for without its slash: its relative
            // links need the slash.
            return (
                StatusCode::PERMANENT_REDIRECT,
                [(header::LOCATION, format!("/{relative}/"))],
            )
                .into_response();
        }
        match files.get("404.html") {
            Some(bytes) => self.answer(StatusCode::NOT_FOUND, "404.html", bytes),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }

    fn answer(&self, status: StatusCode, key: &str, bytes: &Bytes) -> Response {
        let mime = mime_guess::from_path(key).first_or_octet_stream();
        let content_type = match (mime.type_(), mime.subtype()) {
            (mime_guess::mime::TEXT, _)
            | (_, mime_guess::mime::JAVASCRIPT)
            | (_, mime_guess::mime::JSON)
            | (_, mime_guess::mime::XML) => format!("{mime}; charset=utf-8"),
            _ => mime.to_string(),
        };
        let body = if self.watching && mime.subtype() == mime_guess::mime::HTML {
            Body::from(with_script(bytes, self.generation()))
        } else {
            Body::from(bytes.clone())
        };
        (
            status,
            [
                (header::CONTENT_TYPE, content_type),
                // Always the latest build, never a cached older one.
                (header::CACHE_CONTROL, "no-cache".to_owned()),
            ],
            body,
        )
            .into_response()
    }

    fn generation(&self) -> u64 {
        match &*self.status.borrow() {
            Status::Good { generation } | Status::Failed { generation, .. } => *generation,
        }
    }

    /// Server-sent events: the status now, then each change. `reload`
    /// carries the generation (a page of another one reloads),
    /// `build-error` the diagnostics.
    fn events(&self) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
        let mut status = self.status.clone();
        status.mark_changed();
        let stream = stream::unfold(status, |mut status| async move {
            status.changed().await.ok()?;
            let event = match &*status.borrow_and_update() {
                Status::Good { generation } => Event::default()
                    .event("reload")
                    .data(generation.to_string()),
                Status::Failed { error, .. } => Event::default().event("build-error").data(error),
            };
            Some((Ok(event), status))
        });
        let mut stopping = self.stopping.clone();
        let stopped = async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        };
        Sse::new(stream.take_until(stopped)).keep_alive(KeepAlive::default())
    }
}

/// The page with the live-reload script, at the end of its head (or, in a
/// page without one, at its end).
fn with_script(html: &[u8], generation: u64) -> Vec<u8> {
    let tag = format!("<script src=\"{SCRIPT_PATH}?g={generation}\" defer></script>");
    let at = find(html, b"</head>").unwrap_or(html.len());
    let mut page = Vec::with_capacity(html.len() + tag.len());
    page.extend_from_slice(&html[..at]);
    page.extend_from_slice(tag.as_bytes());
    page.extend_from_slice(&html[at..]);
    page
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sources_count_and_never_temporary_files() {
        let root = Path::new("/site");
        let seen = |p: &str| relevant(root, &root.join(p)).is_some();
        assert!(seen("content/aktualnosci/a.md"));
        assert!(seen("themes/default/templates/base.html"));
        assert!(seen("agora.yaml"));
        for ignored in [
            ".agora/agora.sqlite3",
            ".agora/outbox/1.eml",
            "content/.a.md.swp",
            "content/a.md~",
            "content/4913",
            "content/#a.md#",
            "content/.git/index",
            "public/index.html",
            "agora.yaml.tmp",
        ] {
            assert!(!seen(ignored), "{ignored} must be ignored");
        }
    }

    #[test]
    fn the_script_goes_at_the_end_of_the_head() {
        let page = with_script(
            b"<html><head><title>x</title></head><body></body></html>",
            7,
        );
        let page = String::from_utf8_lossy(&page);
        assert!(page.contains(
            "<title>x</title><script src=\"/__agora/live.js?g=7\" defer></script></head>"
        ));
    }
}
