//! One-time sign-in links and sessions: how long each lives and how a
//! request proves it comes from the workspace's own page (CSRF).

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The session cookie. `__Host-` makes the browser refuse it unless it is
/// `Secure`, has `Path=/` and no `Domain`: no subdomain can set or read it.
pub const COOKIE: &str = "__Host-agora-panel";

/// The name of the hidden field that carries the CSRF token in every
/// form of the workspace that changes something.
pub const CSRF_FIELD: &str = "csrf";

/// How long links and sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// A sign-in link works once, within this time of being sent.
    pub link: Duration,
    /// A session unused for this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in, however busy.
    pub absolute: Duration,
}

impl Default for Timeouts {
    /// ASVS 3.3: an idle timeout and an absolute one; a link usable for a
    /// quarter of an hour is enough to open an e-mail.
    fn default() -> Self {
        Self {
            link: Duration::minutes(15),
            idle: Duration::minutes(30),
            absolute: Duration::hours(10),
        }
    }
}

/// A sign-in link as the store keeps it: the hash of its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInLink {
    pub token_hash: String,
    /// The canonical address it was sent to.
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A signed-in browser, as the store keeps it: the hash of its cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: String,
    /// The account's canonical address.
    pub email: String,
    pub created_at: DateTime<Utc>,
    /// The last request seen, for the idle timeout.
    pub last_seen: DateTime<Utc>,
}

impl Session {
    /// When the session ends if no request comes: the earlier of the
    /// idle and the absolute timeout. The store may erase it from then on.
    pub fn ends_at(&self, timeouts: &Timeouts) -> DateTime<Utc> {
        (self.last_seen + timeouts.idle).min(self.created_at + timeouts.absolute)
    }

    pub fn is_live(&self, now: DateTime<Utc>, timeouts: &Timeouts) -> bool {
        now < self.ends_at(timeouts)
    }

    /// Whether a request at `now` should record itself as the last seen:
    /// not on every request, to spare the store a write per page, but
    /// often enough that the idle timeout is never shortened by more than
    /// a minute.
    pub fn needs_touch(&self, now: DateTime<Utc>) -> bool {
        now - self.last_seen >= Duration::minutes(1)
    }
}

type HmacSha256 = Hmac<Sha256>;

fn csrf_mac(key: &str, session_token: &str) -> HmacSha256 {
    // HMAC accepts a key of any length.
    let mut mac = HmacSha256::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(b"agora-panel-csrf\0");
    mac.update(session_token.as_bytes());
    mac
}

/// The CSRF token of a session: a keyed hash of its cookie's secret, so it
/// needs no storage, differs per session, and cannot be made without the
/// cookie (HttpOnly, never readable by a page) and the server's key.
pub fn csrf_token(key: &str, session_token: &str) -> String {
    hex::encode(csrf_mac(key, session_token).finalize().into_bytes())
}

/// Whether `sent` is the session's CSRF token, compared in constant time.
pub fn csrf_matches(key: &str, session_token: &str, sent: &str) -> bool {
    match hex::decode(sent) {
        Ok(bytes) => csrf_mac(key, session_token).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, hour, minute, 0)
            .single()
            .expect("a valid moment")
    }

    #[test]
    fn a_session_ends_when_idle_or_when_old() {
        let timeouts = Timeouts::default();
        let mut session = Session {
            id_hash: "h".to_owned(),
            email: "a@example.pl".to_owned(),
            created_at: at(8, 0),
            last_seen: at(8, 0),
        };
        assert!(session.is_live(at(8, 29), &timeouts));
        assert!(
            !session.is_live(at(8, 30), &timeouts),
            "idle for 30 minutes"
        );
        session.last_seen = at(17, 50);
        assert!(session.is_live(at(17, 59), &timeouts));
        assert!(
            !session.is_live(at(18, 0), &timeouts),
            "ten hours after sign-in"
        );
        assert_eq!(session.ends_at(&timeouts), at(18, 0));
    }

    #[test]
    fn a_session_is_touched_at_most_once_a_minute() {
        let session = Session {
            id_hash: "h".to_owned(),
            email: "a@example.pl".to_owned(),
            created_at: at(8, 0),
            last_seen: at(8, 0),
        };
        assert!(!session.needs_touch(at(8, 0) + Duration::seconds(59)));
        assert!(session.needs_touch(at(8, 1)));
    }

    #[test]
    fn a_csrf_token_belongs_to_one_session_and_one_key() {
        let token = csrf_token("key", "session-a");
        assert_eq!(token.len(), 64);
        assert!(csrf_matches("key", "session-a", &token));
        assert!(!csrf_matches("key", "session-b", &token));
        assert!(!csrf_matches("other key", "session-a", &token));
        assert!(!csrf_matches("key", "session-a", ""));
        assert!(!csrf_matches("key", "session-a", "not hex"));
        assert!(!csrf_matches("key", "session-a", &token[..62]));
    }
}
