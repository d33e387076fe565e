//! YAML parsing with errors that point at the editor's file and line.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::diagnostics::Diagnostic;

/// Parses `text`, which starts on line `first_line + 1` of `file`.
pub(crate) fn from_str<T: DeserializeOwned>(
    text: &str,
    file: &Path,
    first_line: usize,
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
            "check the spelling of the key; README.md (\"Front matter\") lists every key"
        } else if message.starts_with("missing field") {
            "add the key; README.md (\"Front matter\") says what it holds"
        } else {
            "check the YAML syntax: `key: value`, lists as `[a, b]` or `- a` lines, quote text that holds a colon"
        };
        Diagnostic::new(file, message).at_line(line).hint(hint)
    })
}
