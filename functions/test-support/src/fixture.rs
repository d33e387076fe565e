//! A service as the tests set it up: the test deployment's settings, and
//! an outbox in a temporary folder whose messages a test reads back.

use agora_core::forms::FormDefinition;
use agora_core::service::{Service, Settings};
use agora_core::store::Store;
use agora_stores::outbox::Outbox;
use agora_stores::sqlite::SqliteStore;

/// The test deployment's site: the links of its e-mails start here.
pub const SITE: &str = "https://example.org";
/// Whom the test deployment names for questions.
pub const CONTACT: &str = "budzetobywatelski@um.krakow.pl";
/// The test deployment's secret: hashed addresses, fill-time stamps.
pub const SALT: &str = "test-salt";
/// Whom the outbox's messages are from.
const SENDER: &str = "Wspólne Projekty <noreply@example.org>";

/// The test deployment's settings, allowing `rate_limit` requests a
/// client a window; a form takes at least 3 seconds to fill in.
pub fn settings(rate_limit: u32) -> Settings {
    Settings {
        public_url: SITE.to_owned(),
        rate_limit,
        min_fill_seconds: 3,
        address_salt: SALT.to_owned(),
        contact_email: CONTACT.to_owned(),
    }
}

/// An empty SQLite store in memory.
pub fn sqlite_store() -> SqliteStore {
    SqliteStore::in_memory().expect("an in-memory store")
}

/// `forms` in a service over `store` with [`settings`]`(rate_limit)`,
/// mailing into a temporary outbox (kept for as long as the second value).
pub fn service<S: Store>(
    forms: Vec<FormDefinition>,
    store: S,
    rate_limit: u32,
) -> (Service<S, Outbox>, TempOutbox) {
    let (mailer, outbox) = TempOutbox::new();
    (
        Service::new(forms, store, mailer, settings(rate_limit)),
        outbox,
    )
}

/// The folder of an [`Outbox`], removed with this value.
pub struct TempOutbox(tempfile::TempDir);

impl TempOutbox {
    /// A mailer into a new temporary folder, and the folder.
    pub fn new() -> (Outbox, Self) {
        let dir = tempfile::tempdir().expect("a temporary outbox");
        (Outbox::new(dir.path(), SENDER), Self(dir))
    }

    /// The messages written so far: (file name, decoded text), by name.
    pub fn mails(&self) -> Vec<(String, String)> {
        let mut mails: Vec<(String, String)> = std::fs::read_dir(self.0.path())
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        let raw = std::fs::read_to_string(e.path()).expect("a readable message");
                        (name, decode_quoted_printable(&raw))
                    })
                    .collect()
            })
            .unwrap_or_default();
        mails.sort();
        mails
    }
}

/// Undoes quoted-printable soft line breaks and =XX escapes of UTF-8.
pub fn decode_quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let mut bytes = Vec::new();
    let mut rest = joined.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'=' && tail.len() >= 2 {
            if let Ok(byte) =
                u8::from_str_radix(std::str::from_utf8(&tail[..2]).unwrap_or("zz"), 16)
            {
                bytes.push(byte);
                rest = &tail[2..];
                continue;
            }
        }
        bytes.push(b);
        rest = tail;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
