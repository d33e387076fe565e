//! The e-mail address a resident types: exactly one bare address that can
//! be written to today, in the canonical form that makes one mailbox one
//! registration.
//!
//! RFC 5322 allows far more than a mailbox we can write to: a display name
//! (`Jan <jan@example.pl>`), comments, a quoted local part
//! (`"jedna.osoba"@example.pl`, `"a@b"@example.pl`), several addresses.
//! Each of those let one person register several times under keys that
//! differ, and some can never be mailed through Amazon SES, so a resident
//! would wait for a message that cannot come. What is accepted here is the
//! dot-atom form `local@domain`, ASCII before the `@` (SES does not send
//! to internationalised local parts), any domain that IDNA turns into an
//! ASCII host name.

use email_address::{EmailAddress, Options};

/// Why a typed address is refused; each has its own message for the
/// resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProblem {
    /// A name or angle brackets around the address.
    DisplayName,
    /// More than one address (a comma, a semicolon, a space).
    Several,
    /// Quotes, comments or other characters we cannot send to.
    Characters,
    /// Letters outside ASCII before the `@`.
    NonAsciiLocalPart,
    /// Anything else: no `@`, no domain, a domain that cannot exist.
    Format,
}

impl EmailProblem {
    /// What the resident reads, in Polish.
    pub fn message(self) -> &'static str {
        match self {
            Self::DisplayName => {
                "Wpisz sam adres e-mail, bez imienia i nawiasów, np. jan.kowalski@example.pl."
            }
            Self::Several => "Wpisz jeden adres e-mail, np. jan.kowalski@example.pl.",
            Self::Characters => {
                "Adres e-mail może zawierać przed znakiem @ tylko litery, cyfry i znaki . _ - + (bez cudzysłowów, nawiasów i spacji)."
            }
            Self::NonAsciiLocalPart => {
                "Przed znakiem @ adres e-mail nie może zawierać polskich liter ani innych znaków spoza alfabetu łacińskiego."
            }
            Self::Format => {
                "Wpisz adres e-mail w poprawnym formacie, np. jan.kowalski@example.pl."
            }
        }
    }
}

/// The longest address SMTP carries (RFC 5321: a 256-octet path, less the
/// angle brackets).
const MAX_ADDRESS: usize = 254;
/// The longest local part (RFC 5321).
const MAX_LOCAL: usize = 64;

/// The address in canonical form: the local part in lower case (no
/// provider we write to tells `Jan` from `jan`, and residents do not
/// either), the domain in lower-case ASCII (an internationalised domain
/// in Punycode). Two spellings of one mailbox give the same string.
pub fn canonical(input: &str) -> Result<String, EmailProblem> {
    let typed = input.trim();
    if typed.contains(['<', '>']) {
        return Err(EmailProblem::DisplayName);
    }
    if typed.matches('@').count() > 1 && typed.contains([',', ';', ' ']) {
        return Err(EmailProblem::Several);
    }
    if typed.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(if typed.contains(' ') && typed.contains('@') {
            EmailProblem::Characters
        } else {
            EmailProblem::Format
        });
    }
    let Some((local, domain)) = typed.rsplit_once('@') else {
        return Err(EmailProblem::Format);
    };
    check_local(local)?;
    let domain = ascii_domain(domain)?;
    let address = format!("{}@{domain}", local.to_ascii_lowercase());
    if address.len() > MAX_ADDRESS {
        return Err(EmailProblem::Format);
    }
    // The crate's RFC 5322 reading, with what it would tolerate (display
    // text, domain literals, single-label domains) switched off, is the
    // last word on what the checks above let through.
    let strict = Options::default()
        .without_display_text()
        .without_domain_literal()
        .with_required_tld();
    EmailAddress::parse_with_options(&address, strict)
        .map(|_| address)
        .map_err(|_| EmailProblem::Format)
}

/// A dot-atom of ASCII `atext` (RFC 5322 3.2.3): no quotes, no comments,
/// no leading, trailing or doubled dot.
fn check_local(local: &str) -> Result<(), EmailProblem> {
    if local.is_empty() || local.len() > MAX_LOCAL {
        return Err(EmailProblem::Format);
    }
    if !local.is_ascii() {
        return Err(EmailProblem::NonAsciiLocalPart);
    }
    // `jan@@example.pl` is a slip of the finger, not an attempt at quoting.
    if local.contains('@') && !local.contains(['"', '(', ')', '\\']) {
        return Err(EmailProblem::Format);
    }
    let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b);
    if !local.bytes().all(|b| atext(b) || b == b'.') {
        return Err(EmailProblem::Characters);
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(EmailProblem::Format);
    }
    Ok(())
}

/// The domain as the DNS knows it: IDNA (UTS 46) to lower-case ASCII,
/// host-name labels only, at least two of them, a top-level domain that
/// is not a number.
fn ascii_domain(domain: &str) -> Result<String, EmailProblem> {
    if domain.is_empty() || domain.starts_with('[') {
        return Err(EmailProblem::Format);
    }
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| EmailProblem::Format)?;
    let labels: Vec<&str> = ascii.split('.').collect();
    let host_label = |label: &&str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let top = labels.last().copied().unwrap_or_default();
    let ok = labels.len() >= 2
        && labels.iter().all(host_label)
        && !top.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(ascii).ok_or(EmailProblem::Format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mailbox_has_one_canonical_form() {
        for typed in [
            "jan.kowalski@example.pl",
            "Jan.Kowalski@Example.PL",
            " jan.kowalski@example.pl ",
            "JAN.KOWALSKI@EXAMPLE.PL",
        ] {
            assert_eq!(
                canonical(typed),
                Ok("jan.kowalski@example.pl".to_owned()),
                "{typed}"
            );
        }
    }

    #[test]
    fn an_internationalised_domain_becomes_punycode() {
        assert_eq!(
            canonical("jan@kraków.pl"),
            Ok("jan@xn--krakw-3ta.pl".to_owned())
        );
        assert_eq!(
            canonical("jan@KRAKÓW.pl"),
            canonical("jan@xn--krakw-3ta.pl")
        );
    }

    #[test]
    fn display_names_are_refused() {
        for typed in [
            "Ktokolwiek <jan.kowalski@example.pl>",
            "Jan <jan.kowalski@example.pl>",
            "<jan.kowalski@example.pl>",
            "Ktoś <script> <x@example.pl>",
            "a, evil@example.com <x@example.pl>",
        ] {
            assert_eq!(canonical(typed), Err(EmailProblem::DisplayName), "{typed}");
        }
    }

    #[test]
    fn quoted_local_parts_and_comments_are_refused() {
        for typed in [
            "\"jedna.osoba\"@example.pl",
            "\"a@b\"@example.pl",
            "jan(komentarz)@example.pl",
            "jan\\@example.pl",
        ] {
            assert!(canonical(typed).is_err(), "{typed}");
        }
        assert_eq!(
            canonical("\"jedna.osoba\"@example.pl"),
            Err(EmailProblem::Characters)
        );
    }

    #[test]
    fn several_addresses_are_refused() {
        for typed in [
            "a@example.pl, b@example.pl",
            "a@example.pl;b@example.pl",
            "a@example.pl b@example.pl",
        ] {
            assert_eq!(canonical(typed), Err(EmailProblem::Several), "{typed}");
        }
    }

    #[test]
    fn line_breaks_and_controls_are_refused() {
        for typed in [
            "jan@example.pl\r\nBcc: x@example.com",
            "jan\n@example.pl",
            "jan\u{0}@example.pl",
        ] {
            assert!(canonical(typed).is_err(), "{typed:?}");
        }
    }

    #[test]
    fn polish_letters_before_the_at_are_refused_with_their_own_message() {
        assert_eq!(
            canonical("łukasz@example.pl"),
            Err(EmailProblem::NonAsciiLocalPart)
        );
    }

    #[test]
    fn addresses_that_cannot_be_mailed_are_refused() {
        for typed in [
            "",
            "jan",
            "jan@",
            "@example.pl",
            "jan@localhost",
            "jan@[127.0.0.1]",
            "jan@127.0.0.1",
            "jan@example..pl",
            "jan@-example.pl",
            "jan@example.pl.",
            ".jan@example.pl",
            "jan.@example.pl",
            "ja..n@example.pl",
            "jan@exa_mple.pl",
            "jan@@example.pl",
        ] {
            assert_eq!(canonical(typed), Err(EmailProblem::Format), "{typed:?}");
        }
        let long_local = format!("{}@example.pl", "a".repeat(65));
        assert_eq!(canonical(&long_local), Err(EmailProblem::Format));
        let long_domain = format!("jan@{}.pl", vec!["a".repeat(60); 5].join("."));
        assert_eq!(canonical(&long_domain), Err(EmailProblem::Format));
    }

    #[test]
    fn plus_addressing_and_other_atext_are_kept() {
        assert_eq!(
            canonical("jan+budzet@example.pl"),
            Ok("jan+budzet@example.pl".to_owned())
        );
        assert_eq!(
            canonical("o'brien@example.ie"),
            Ok("o'brien@example.ie".to_owned())
        );
    }
}
