//! Checks of Polish identifiers and formats: NIP (tax number) with its
//! checksum, KRS (court register number), postcodes, phone numbers.

/// A NIP written as 10 digits, optionally with hyphens or spaces
/// (`123-456-32-18`) and the EU VAT prefix `PL` (in either case);
/// returns the 10 digits when the checksum holds.
pub fn nip(input: &str) -> Result<String, NipError> {
    let digits: String = input
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .collect::<String>()
        .to_ascii_uppercase();
    let digits = digits.strip_prefix("PL").unwrap_or(&digits);
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NipError::Format);
    }
    // A NIP begins with the code of the tax office that gave it, and no
    // code starts with 0; 0000000000 would otherwise pass the checksum.
    if digits.starts_with('0') {
        return Err(NipError::LeadingZero);
    }
    const WEIGHTS: [u32; 9] = [6, 5, 7, 2, 3, 4, 5, 6, 7];
    let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = WEIGHTS.iter().zip(&values).map(|(w, d)| w * d).sum();
    if sum % 11 == 10 || sum % 11 != values[9] {
        return Err(NipError::Checksum);
    }
    Ok(digits.to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NipError {
    Format,
    /// 10 digits, but starting with 0, which no NIP does.
    LeadingZero,
    Checksum,
}

/// A KRS number: 10 digits (leading zeros may be left out: `123456`).
pub fn krs(input: &str) -> Option<String> {
    let digits = input.trim();
    if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.bytes().all(|b| b == b'0') {
        return None;
    }
    Some(format!("{digits:0>10}"))
}

/// A Polish postcode, `31-004`.
pub fn postcode(input: &str) -> Option<String> {
    let code = input.trim();
    let b = code.as_bytes();
    let ok = b.len() == 6
        && b[2] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit());
    ok.then(|| code.to_owned())
}

/// A phone number: digits with optional spaces, hyphens, parentheses and
/// a leading `+`; 9 to 15 digits. Returns it with spaces only.
pub fn phone(input: &str) -> Option<String> {
    let trimmed = input.trim();
    let rest = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))
    {
        return None;
    }
    let count = rest.chars().filter(char::is_ascii_digit).count();
    (9..=15)
        .contains(&count)
        .then(|| trimmed.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nip_checksums() {
        // 123-456-32-18 is the textbook valid NIP.
        assert_eq!(nip("123-456-32-18"), Ok("1234563218".to_owned()));
        assert_eq!(nip("PL1234563218"), Ok("1234563218".to_owned()));
        assert_eq!(nip("1234563219"), Err(NipError::Checksum));
        assert_eq!(nip("12345"), Err(NipError::Format));
        assert_eq!(nip("123456321a"), Err(NipError::Format));
        assert_eq!(nip("pl 123-456-32-18"), Ok("1234563218".to_owned()));
        assert_eq!(nip("Pl1234563218"), Ok("1234563218".to_owned()));
    }

    #[test]
    fn no_nip_starts_with_zero() {
        // Both pass the weighted checksum; neither is a NIP.
        assert_eq!(nip("0000000000"), Err(NipError::LeadingZero));
        assert_eq!(nip("0123456789"), Err(NipError::LeadingZero));
    }

    #[test]
    fn krs_numbers() {
        assert_eq!(krs("0000123456"), Some("0000123456".to_owned()));
        assert_eq!(krs("123456"), Some("0000123456".to_owned()));
        assert_eq!(krs("12345678901"), None);
        assert_eq!(krs("0000000000"), None);
        assert_eq!(krs("12a"), None);
    }

    #[test]
    fn postcodes() {
        assert_eq!(postcode(" 31-004 "), Some("31-004".to_owned()));
        assert_eq!(postcode("31004"), None);
        assert_eq!(postcode("3l-004"), None);
    }

    #[test]
    fn phones() {
        assert_eq!(phone("12 616 78 28"), Some("12 616 78 28".to_owned()));
        assert_eq!(phone("+48 600-100-200"), Some("+48 600-100-200".to_owned()));
        assert_eq!(phone("600 100"), None);
        assert_eq!(phone("zadzwoń"), None);
    }
}
