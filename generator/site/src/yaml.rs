//! YAML parsing with errors that point at the editor's file and line.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::diagnostics::Diagnostic;

/// Parses `text`, which starts on line `first_line + 1` of `file`;
/// `reference` names the README section that documents its keys.
pub(crate) fn from_str<T: DeserializeOwned>(
    text: &str,
    file: &Path,
    first_line: usize,
    reference: &str,
) -> Result<T, Diagnostic> {
    serde_yaml::from_str(text).map_err(|error| {
        let line = error.location().map(|location| location.line() + first_line);
        let message = error.to_string();
        // serde_yaml appends "at line L column C" that counts from the
        // start of the YAML block, not of the file: keep only the cause.
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        let hint = if message.starts_with("unknown field") {
            match closest_key(&message) {
                Some(key) => format!("did you mean `{key}`? README.md (\"{reference}\") lists every key"),
                None => format!("check the spelling of the key; README.md (\"{reference}\") lists every key"),
            }
        } else if message.starts_with("missing field") {
            format!("add the key; README.md (\"{reference}\") says what it holds")
        } else {
            "check the YAML syntax: `key: value`, lists as `[a, b]` or `- a` lines, quote text that holds a colon"
                .to_owned()
        };
        Diagnostic::new(file, message).at_line(line).hint(hint)
    })
}

/// The expected key nearest to the unknown one in serde's message
/// "unknown field `titel`, expected one of `title`, `date`", if it is
/// near enough to be a typo.
fn closest_key(message: &str) -> Option<&str> {
    let mut quoted = message.split('`').skip(1).step_by(2);
    let unknown = quoted.next()?;
    quoted
        .map(|key| (strsim::damerau_levenshtein(unknown, key), key))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, key)| key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_gets_the_key_it_was_meant_to_be() {
        let message = "unknown field `titel`, expected one of `title`, `tags`, `date`";
        assert_eq!(closest_key(message), Some("title"));
        assert_eq!(
            closest_key("unknown field `colour`, expected one of `title`, `tags`"),
            None
        );
    }
}
