//! Errors meant for editors: [`Diagnostic`] and [`Diagnostics`] are
//! `agora_core`'s, shared with the form definitions; here, what the
//! site's stages add.

pub use agora_core::diagnostics::{Diagnostic, Diagnostics};
use agora_core::yaml_lines::Lines;

/// Collects the results of independent steps: keeps the values that
/// succeeded and the problems of those that did not.
pub(crate) fn partition<T>(
    results: impl IntoIterator<Item = Result<T, Vec<Diagnostic>>>,
) -> (Vec<T>, Vec<Diagnostic>) {
    let mut values = Vec::new();
    let mut problems = Vec::new();
    for result in results {
        match result {
            Ok(value) => values.push(value),
            Err(mut found) => problems.append(&mut found),
        }
    }
    (values, problems)
}

/// The 1-based line of the top-level `key:` in a YAML text, for errors
/// found after parsing (serde only knows lines while it parses); the same
/// rule as form definitions' (`agora_core::yaml_lines`).
pub(crate) fn line_of_key(yaml: &str, key: &str) -> Option<usize> {
    Lines::new(yaml).key(key)
}
