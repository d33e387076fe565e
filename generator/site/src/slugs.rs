//! URL slugs and heading ids: Polish letters transliterated, lowercase,
//! words joined by hyphens ("Wspólne Projekty" -> `wspolne-projekty`).

/// The slug of any text.
pub fn slugify(text: &str) -> String {
    slug::slugify(text)
}

/// The slug of a content file's stem: a leading `YYYY-MM-DD-` date is
/// dropped, as editors name posts by date to keep them sorted.
pub fn from_file_stem(stem: &str) -> String {
    slugify(strip_date_prefix(stem))
}

fn strip_date_prefix(stem: &str) -> &str {
    let bytes = stem.as_bytes();
    let is_date = bytes.len() > 11
        && bytes[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
        && matches!(bytes[10], b'-' | b'_');
    if is_date {
        &stem[11..]
    } else {
        stem
    }
}

/// Whether a folder name can be used in a URL as it is.
pub fn is_url_safe(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polish_letters_are_transliterated() {
        assert_eq!(
            slugify("Wspólne Projekty Miejskie"),
            "wspolne-projekty-miejskie"
        );
        assert_eq!(slugify("Zażółć gęślą jaźń"), "zazolc-gesla-jazn");
        assert_eq!(slugify("ŁÓDŹ, Śląsk i Żuławy"), "lodz-slask-i-zulawy");
        assert_eq!(
            slugify("III. Warsztaty z ekspertami"),
            "iii-warsztaty-z-ekspertami"
        );
    }

    #[test]
    fn a_date_prefix_is_dropped_from_file_names() {
        assert_eq!(from_file_stem("2020-02-19-nowa-sciezka"), "nowa-sciezka");
        assert_eq!(from_file_stem("2020-02-19_Nowa ścieżka"), "nowa-sciezka");
        assert_eq!(from_file_stem("2020-rok"), "2020-rok");
        assert_eq!(from_file_stem("kontakt"), "kontakt");
    }

    #[test]
    fn folder_names_must_be_url_safe() {
        assert!(is_url_safe("wspolne-projekty"));
        assert!(!is_url_safe("Wspólne"));
        assert!(!is_url_safe("a b"));
    }
}
