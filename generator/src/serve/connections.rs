//! The connections of `agora serve`: an accept loop of its own, so that
//! slow or idle clients cannot starve residents' requests.
//!
//! - Headers must be complete [`Limits::header_read`] after the connection
//!   began waiting for a request (accepted, or its last answer sent); hyper
//!   keeps that time and closes the connection.
//! - A connection that has neither sent nor received a byte for
//!   [`Limits::idle`] while no request of it is answered is closed: one
//!   that never sends, and idle keep-alive. A slow reader of a long answer
//!   stays open as long as its reading makes progress.
//! - A form submission's body must arrive within [`Limits::body_read`]
//!   (the form functions answer `408`, see `HttpSettings::body_read_timeout`).
//! - At most [`connection_cap`] connections are open. At the cap a new
//!   connection is still accepted (refusing would leave residents waiting
//!   in the kernel's queue behind the slow ones) and the connection that
//!   has waited longest for a request is closed instead; only when every
//!   connection has a request under way is the new one refused.
//!
//! Long answers (the live-reload events) are never cut: a connection whose
//! request is being answered has no timeout but the body's.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use axum::Router;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tower::ServiceExt as _;

/// A request's headers take well under a second on any real connection;
/// 10 s leaves room for a phone on a poor mobile link and still frees a
/// connection that dribbles its headers (slowloris) quickly.
pub const HEADER_READ_SECONDS: u64 = 10;
/// Browsers reuse a connection within a page's loading and open a new one
/// cheaply after; 5 s of silence keeps the former and frees descriptors
/// held by clients that connect and never send.
pub const IDLE_SECONDS: u64 = 5;
/// A form's body is at most 64 KiB (`MAX_BODY_BYTES`): 30 s is about
/// 17 kbit/s, slower than any mobile connection a resident fills a form
/// on.
pub const BODY_READ_SECONDS: u64 = 30;
/// Enough for every resident who could be filling a form at once on one
/// machine; each connection costs a descriptor and some buffers (a few
/// KiB). Lowered to what the open-file limit allows ([`connection_cap`]).
pub const MAX_CONNECTIONS: u64 = 4096;
/// Descriptors kept for everything but connections: the listener, the
/// runtime, the SQLite store and its journal, the watcher, the files a
/// rebuild reads, the outbox, DynamoDB's connections.
const RESERVED_DESCRIPTORS: u64 = 64;
/// Even under a very low open-file limit, serve some connections.
const MIN_CONNECTIONS: u64 = 16;
/// After Ctrl-C, answers under way get this long to finish.
const GRACE: Duration = Duration::from_secs(10);
/// The cap is logged at most this often while it holds.
const WARN_EVERY_MS: u64 = 60_000;

/// The limits of [`serve`], from `agora serve`'s flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub header_read: Duration,
    pub idle: Duration,
    pub body_read: Duration,
    /// The most connections open at once, before [`connection_cap`].
    pub max_connections: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(HEADER_READ_SECONDS),
            idle: Duration::from_secs(IDLE_SECONDS),
            body_read: Duration::from_secs(BODY_READ_SECONDS),
            max_connections: MAX_CONNECTIONS,
        }
    }
}

/// How many connections may be open at once: `max`, lowered to the
/// process's open-file limit less [`RESERVED_DESCRIPTORS`]. The soft
/// limit is first raised to the hard one (many systems start processes
/// at a soft 1,024 under a far higher hard limit).
pub(crate) fn connection_cap(max: u64) -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(descriptors) => max.min(
            descriptors
                .saturating_sub(RESERVED_DESCRIPTORS)
                .max(MIN_CONNECTIONS),
        ),
        // Unknown: past it, accepting fails and sheds (see `serve`).
        Err(_) => max,
    }
}

/// Serves `app` on `listener` until `stopping` turns true, then lets the
/// answers under way finish (up to [`GRACE`]).
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    cap: u64,
    mut stopping: watch::Receiver<bool>,
) {
    let open = Arc::new(Open::new(usize::try_from(cap).unwrap_or(usize::MAX)));
    // Each connection holds a receiver: the sender's `closed` is all of
    // them having ended.
    let (all_closed, alive) = watch::channel(());
    let mut next_id: u64 = 0;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopping.wait_for(|stop| *stop) => break,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors (EMFILE, ENFILE: 24 and 23 on Linux
                // and macOS) in spite of the cap: free one and try again.
                // Other errors concern one connection that is gone.
                let pause = if matches!(error.raw_os_error(), Some(23 | 24)) {
                    open.warn_full();
                    if open.shed_oldest() {
                        1
                    } else {
                        50
                    }
                } else {
                    // Not a busy loop, should an error persist.
                    10
                };
                tokio::time::sleep(Duration::from_millis(pause)).await;
                continue;
            }
        };
        next_id += 1;
        let Some(track) = open.admit(next_id) else {
            refuse(&stream);
            continue;
        };
        // Answers are written whole: no waiting for more to send.
        let _ = stream.set_nodelay(true);
        let shared = Shared {
            app: app.clone(),
            limits,
            open: Arc::clone(&open),
            stopping: stopping.clone(),
            _alive: alive.clone(),
        };
        tokio::spawn(connection(stream, remote, track, shared));
    }
    drop(listener);
    drop(alive);
    let _ = tokio::time::timeout(GRACE, all_closed.closed()).await;
}

/// Every connection is answering a request: this one is told so and
/// closed at once, without reading it.
fn refuse(stream: &TcpStream) {
    const TEXT: &str = "Serwer jest w tej chwili przeciążony. Spróbuj ponownie za kilka sekund.\n";
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{TEXT}",
        TEXT.len()
    );
    // A fresh socket's buffer takes it whole; if not, closing says enough.
    let _ = stream.try_write(answer.as_bytes());
}

/// What every connection's task is given.
struct Shared {
    app: Router,
    limits: Limits,
    open: Arc<Open>,
    stopping: watch::Receiver<bool>,
    /// Held until the task ends (see `serve`).
    _alive: watch::Receiver<()>,
}

/// One connection, until the client or hyper closes it, it is idle too
/// long, it is shed for a newer one, or the server stops.
async fn connection(stream: TcpStream, remote: SocketAddr, track: Arc<Track>, shared: Shared) {
    let Shared {
        app,
        limits,
        open,
        mut stopping,
        _alive,
    } = shared;
    let _leave = Leave { open, id: track.id };
    let io = TokioIo::new(Watched {
        stream,
        track: Arc::clone(&track),
    });
    let service = {
        let track = Arc::clone(&track);
        service_fn(move |request| answer(app.clone(), remote, Arc::clone(&track), request))
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let http = builder.serve_connection(io, service);
    tokio::pin!(http);
    let mut stopped = false;
    loop {
        let idle_at = track.idle_deadline(limits.idle);
        tokio::select! {
            // Errors (a header timeout, a reset) are the client's: there
            // is nothing to log about them.
            _ = http.as_mut() => return,
            () = track.wake.notified() => {}
            () = sleep_until(idle_at) => {
                if track.silent_for() >= limits.idle && track.close_waiting() {
                    return;
                }
            }
            _ = stopping.wait_for(|stop| *stop), if !stopped => {
                stopped = true;
                // Idle connections close; an answer under way finishes
                // and its connection closes after it.
                http.as_mut().graceful_shutdown();
            }
        }
        if track.is_closing() {
            return;
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A request answered by the app, with the client's address for the form
/// functions' rate limit (`ConnectInfo`, as axum's own server gives it).
/// The connection counts as answering until the answer's body is sent.
async fn answer(
    app: Router,
    remote: SocketAddr,
    track: Arc<Track>,
    request: Request<Incoming>,
) -> Result<Response<Tracked>, Infallible> {
    let answering = Answering::begin(track);
    let mut request = request.map(Body::new);
    request.extensions_mut().insert(ConnectInfo(remote));
    let response = app.oneshot(request).await?;
    Ok(response.map(|body| Tracked {
        body,
        _answering: answering,
    }))
}

/// An answer's body, which keeps its connection answering until hyper
/// has taken all of it (and drops it). Its size is passed on, so that
/// files keep their `Content-Length`.
struct Tracked {
    body: Body,
    _answering: Answering,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// What a connection is doing.
const WAITING: u8 = 0;
const ANSWERING: u8 = 1;
const CLOSING: u8 = 2;

/// One connection's state, shared by its task, its IO, its answers and
/// the accept loop.
struct Track {
    id: u64,
    epoch: Instant,
    /// [`WAITING`] for a request (headers may be arriving), [`ANSWERING`]
    /// one, or [`CLOSING`] (shed or idle).
    state: AtomicU8,
    /// Since when it waits for a request (ms since `epoch`): accepted, or
    /// its last answer sent. Who waited longest is shed first.
    waiting_since: AtomicU64,
    /// The last byte received or sent (ms since `epoch`).
    last_io: AtomicU64,
    /// Its task re-reads the state: an answer ended, or it is shed.
    wake: Notify,
}

impl Track {
    fn new(id: u64, epoch: Instant) -> Self {
        let now = millis_since(epoch);
        Self {
            id,
            epoch,
            state: AtomicU8::new(WAITING),
            waiting_since: AtomicU64::new(now),
            last_io: AtomicU64::new(now),
            wake: Notify::new(),
        }
    }

    fn touch(&self) {
        self.last_io
            .store(millis_since(self.epoch), Ordering::Relaxed);
    }

    fn is_waiting(&self) -> bool {
        self.state.load(Ordering::SeqCst) == WAITING
    }

    fn is_closing(&self) -> bool {
        self.state.load(Ordering::SeqCst) == CLOSING
    }

    /// Marks a waiting connection as closing; false if it has just begun
    /// answering a request (then it is left alone).
    fn close_waiting(&self) -> bool {
        self.state
            .compare_exchange(WAITING, CLOSING, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// Closes the connection for a newer one (see [`Open::admit`]).
    fn shed(&self) -> bool {
        let shed = self.close_waiting();
        if shed {
            self.wake.notify_one();
        }
        shed
    }

    fn silent_for(&self) -> Duration {
        let last = self.last_io.load(Ordering::Relaxed);
        Duration::from_millis(millis_since(self.epoch).saturating_sub(last))
    }

    /// When the connection will have been silent for `idle`, if it waits
    /// for a request; `None` while one is answered.
    fn idle_deadline(&self, idle: Duration) -> Option<tokio::time::Instant> {
        if !self.is_waiting() {
            return None;
        }
        let last = Duration::from_millis(self.last_io.load(Ordering::Relaxed));
        Some(tokio::time::Instant::from_std(self.epoch + last + idle))
    }
}

fn millis_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A request being answered; dropped when its answer has been sent (or
/// abandoned), when the connection waits for the next one.
struct Answering(Option<Arc<Track>>);

impl Answering {
    fn begin(track: Arc<Track>) -> Self {
        let began = track
            .state
            .compare_exchange(WAITING, ANSWERING, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        // Lost to a shed: the connection is being closed anyway.
        Self(began.then_some(track))
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        if let Some(track) = self.0.take() {
            let now = millis_since(track.epoch);
            track.waiting_since.store(now, Ordering::SeqCst);
            track.last_io.store(now, Ordering::Relaxed);
            track.state.store(WAITING, Ordering::SeqCst);
            track.wake.notify_one();
        }
    }
}

/// The open connections, for the cap.
struct Open {
    epoch: Instant,
    cap: usize,
    tracks: Mutex<HashMap<u64, Arc<Track>>>,
    /// When the cap was last logged (ms since `epoch`, +1; 0: never).
    warned: AtomicU64,
}

impl Open {
    fn new(cap: usize) -> Self {
        Self {
            epoch: Instant::now(),
            cap,
            tracks: Mutex::new(HashMap::new()),
            warned: AtomicU64::new(0),
        }
    }

    fn tracks(&self) -> MutexGuard<'_, HashMap<u64, Arc<Track>>> {
        // Nothing panics while holding the lock; were it poisoned, the
        // map is still whole.
        match self.tracks.lock() {
            Ok(tracks) => tracks,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Room for a new connection, shedding as needed; `None` when every
    /// open connection is answering a request.
    fn admit(&self, id: u64) -> Option<Arc<Track>> {
        let mut tracks = self.tracks();
        if tracks.len() >= self.cap {
            self.warn_full();
        }
        while tracks.len() >= self.cap {
            Self::shed_oldest_of(&mut tracks)?;
        }
        let track = Arc::new(Track::new(id, self.epoch));
        tracks.insert(id, Arc::clone(&track));
        Some(track)
    }

    /// Sheds the connection that has waited longest for a request: one
    /// whose headers never finish, or an idle keep-alive. Its task closes
    /// it at once.
    fn shed_oldest(&self) -> bool {
        Self::shed_oldest_of(&mut self.tracks()).is_some()
    }

    fn shed_oldest_of(tracks: &mut HashMap<u64, Arc<Track>>) -> Option<()> {
        loop {
            let oldest = tracks
                .values()
                .filter(|track| track.is_waiting())
                .min_by_key(|track| track.waiting_since.load(Ordering::SeqCst))
                .map(Arc::clone)?;
            // Lost when it has just begun answering: look again.
            if oldest.shed() {
                tracks.remove(&oldest.id);
                return Some(());
            }
        }
    }

    fn warn_full(&self) {
        let now = millis_since(self.epoch) + 1;
        let last = self.warned.load(Ordering::Relaxed);
        if (last == 0 || now.saturating_sub(last) >= WARN_EVERY_MS)
            && self
                .warned
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            eprintln!(
                "agora: {} connections open, the most allowed (--max-connections, the open-file limit): closing those waiting longest for a request",
                self.cap
            );
        }
    }
}

/// Takes an ended connection out of [`Open`] (a shed one is out already).
struct Leave {
    open: Arc<Open>,
    id: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        self.open.tracks().remove(&self.id);
    }
}

/// The connection's socket, noting each byte that comes or goes.
struct Watched {
    stream: TcpStream,
    track: Arc<Track>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.track.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            this.track.touch();
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            this.track.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_with(cap: usize, ids: &[u64]) -> Open {
        let open = Open::new(cap);
        for id in ids {
            assert!(open.admit(*id).is_some());
        }
        open
    }

    #[test]
    fn at_the_cap_the_connection_waiting_longest_is_shed() {
        let open = open_with(3, &[1, 2, 3]);
        let tracks: Vec<Arc<Track>> = {
            let map = open.tracks();
            (1..=3).map(|id| Arc::clone(&map[&id])).collect()
        };
        // 1 is answering; 2 waited longest (since it was accepted), 3
        // just finished an answer.
        let _first = Answering::begin(Arc::clone(&tracks[0]));
        tracks[1].waiting_since.store(0, Ordering::SeqCst);
        tracks[2].waiting_since.store(5, Ordering::SeqCst);
        assert!(open.admit(4).is_some());
        assert!(tracks[1].is_closing(), "the oldest waiting one is shed");
        assert!(!tracks[0].is_closing() && !tracks[2].is_closing());
        assert_eq!(open.tracks().len(), 3);
    }

    #[test]
    fn when_every_connection_is_answering_the_new_one_is_refused() {
        let open = open_with(2, &[1, 2]);
        let answering: Vec<Answering> = open
            .tracks()
            .values()
            .map(|track| Answering::begin(Arc::clone(track)))
            .collect();
        assert!(open.admit(3).is_none());
        drop(answering);
        assert!(open.admit(3).is_some(), "once an answer is sent, it waits");
    }

    #[test]
    fn a_shed_connection_does_not_begin_answering() {
        let track = Arc::new(Track::new(1, Instant::now()));
        assert!(track.shed());
        let answering = Answering::begin(Arc::clone(&track));
        drop(answering);
        assert!(track.is_closing(), "its answer's end does not reopen it");
    }
}
