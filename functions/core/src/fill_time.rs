//! The fill-time stamp: when the server gave a form out, signed, so that
//! the time a person took to fill it in is measured on the server's clock
//! and a bot cannot claim it took longer than it did.
//!
//! A stamp is `<milliseconds since 1970>.<signature>`, the signature an
//! HMAC-SHA-256 of the form's id and the time, truncated to 128 bits. The
//! form status endpoint gives one out (the site's script puts it in the
//! form's hidden `started_at` field); a form sent without JavaScript
//! carries an empty field and gets one with the form shown again (see
//! [`crate::service::Submitted::Unstamped`]).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

type HmacSha256 = Hmac<Sha256>;

/// The bytes of the signature kept: 128 bits cannot be guessed.
const SIGNATURE_BYTES: usize = 16;

/// What a submission's `started_at` field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// No such field at all: no page of ours sends that.
    Absent,
    /// The field, empty: a page whose script did not run.
    Empty,
    /// Something we did not sign (a browser clock, a number, junk) or
    /// signed for another form.
    Forged,
    /// A stamp we gave out, and when.
    Issued(DateTime<Utc>),
}

/// Gives out and reads stamps with one secret.
#[derive(Clone)]
pub struct Stamps {
    key: [u8; 32],
}

impl std::fmt::Debug for Stamps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stamps { key: <secret> }")
    }
}

impl Stamps {
    /// Stamps signed with a key derived from `secret` (the deployment's
    /// address salt): a key of its own, so that a signature says nothing
    /// of the salt's other use.
    pub fn new(secret: &str) -> Self {
        let key = Sha256::new()
            .chain_update(b"agora fill-time stamp\0")
            .chain_update(secret.as_bytes())
            .finalize();
        Self { key: key.into() }
    }

    /// The stamp of `form_id` given out at `at`.
    pub fn issue(&self, form_id: &str, at: DateTime<Utc>) -> String {
        let millis = at.timestamp_millis();
        let signature = self.mac(form_id, millis).finalize().into_bytes();
        format!(
            "{millis}.{}",
            URL_SAFE_NO_PAD.encode(&signature[..SIGNATURE_BYTES])
        )
    }

    /// Reads the `started_at` value of a submission to `form_id`: `None`
    /// when the field was not sent at all.
    pub fn read(&self, form_id: &str, value: Option<&str>) -> Stamp {
        let Some(value) = value.map(str::trim) else {
            return Stamp::Absent;
        };
        if value.is_empty() {
            return Stamp::Empty;
        }
        self.verify(form_id, value)
            .map_or(Stamp::Forged, Stamp::Issued)
    }

    fn verify(&self, form_id: &str, value: &str) -> Option<DateTime<Utc>> {
        let (millis, signature) = value.split_once('.')?;
        // Digits only: `+5`, `-1`, `1e30` are nothing we write.
        if millis.is_empty() || millis.len() > 15 || !millis.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let millis: i64 = millis.parse().ok()?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        if signature.len() != SIGNATURE_BYTES {
            return None;
        }
        // Constant time: the comparison tells nothing of the right bytes.
        self.mac(form_id, millis)
            .verify_truncated_left(&signature)
            .ok()?;
        DateTime::from_timestamp_millis(millis)
    }

    fn mac(&self, form_id: &str, millis: i64) -> HmacSha256 {
        // Any key length is valid for HMAC.
        let mut mac = match HmacSha256::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(form_id.as_bytes());
        mac.update(b"\0");
        mac.update(millis.to_string().as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2020, 3, 5, 12, 0, 0)
            .single()
            .expect("a valid time")
    }

    #[test]
    fn a_stamp_given_out_reads_back_as_its_time() {
        let stamps = Stamps::new("secret");
        let stamp = stamps.issue("ambasadorzy", at());
        assert_eq!(
            stamps.read("ambasadorzy", Some(&stamp)),
            Stamp::Issued(at())
        );
    }

    #[test]
    fn missing_and_empty_are_told_apart() {
        let stamps = Stamps::new("secret");
        assert_eq!(stamps.read("ambasadorzy", None), Stamp::Absent);
        assert_eq!(stamps.read("ambasadorzy", Some("")), Stamp::Empty);
        assert_eq!(stamps.read("ambasadorzy", Some("  ")), Stamp::Empty);
    }

    #[test]
    fn what_we_did_not_sign_is_forged() {
        let stamps = Stamps::new("secret");
        let good = stamps.issue("ambasadorzy", at());
        let (millis, signature) = good.split_once('.').expect("a stamp");
        let earlier = format!("{}.{signature}", at().timestamp_millis() - 60_000);
        let mut flipped = signature.to_owned();
        let last = if flipped.ends_with('A') { "B" } else { "A" };
        flipped.replace_range(flipped.len() - 1.., last);
        for forged in [
            "abc",
            "1e30",
            "-1",
            "1583409600000",
            &i64::MIN.to_string(),
            &i64::MAX.to_string(),
            &format!("{}", at().timestamp_millis()),
            &earlier,
            &format!("{millis}.{flipped}"),
            &format!("{millis}."),
            &format!(".{signature}"),
            &format!("+{millis}.{signature}"),
            &format!("{millis}.{signature}AAAA"),
        ] {
            assert_eq!(
                stamps.read("ambasadorzy", Some(forged)),
                Stamp::Forged,
                "{forged}"
            );
        }
        assert_eq!(
            stamps.read("warsztaty", Some(&good)),
            Stamp::Forged,
            "a stamp is for one form"
        );
        assert_eq!(
            Stamps::new("another secret").read("ambasadorzy", Some(&good)),
            Stamp::Forged,
            "and one secret"
        );
    }
}
