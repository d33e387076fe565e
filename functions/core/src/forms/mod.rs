//! Forms as data: one YAML file per form, `content/forms/<id>.yaml`, read
//! by the generator (which renders it) and the functions (which validate
//! submissions against it).

pub mod checks;
pub mod definition;
pub mod email;
mod files;
pub mod html;
mod parse;
pub mod privacy;
pub mod validate;

pub use definition::{
    Allocation, Ambassadors, Choice, Consent, Field, FieldType, FormDefinition, FormState, Limit,
    Moment, Preverification,
};
pub use files::{load_all, load_site, load_units};
pub use validate::{validate, Accepted, FieldError, GivenConsent, Submission};

/// The honeypot: a field hidden from people, which bots fill in.
pub const HONEYPOT_FIELD: &str = "website";
/// When the server gave the form out: a signed stamp ([`crate::fill_time`])
/// that the page's script takes from the status endpoint; a form sent
/// faster than a person can, or with a stamp we did not sign, is spam.
pub const STARTED_FIELD: &str = "started_at";

/// The folder of form files, under the content folder.
pub const FORMS_DIR: &str = "forms";

/// The folder of data files (`options_from` reads them), under the
/// content folder.
pub const DATA_DIR: &str = "data";

/// The name of a data file, `<name>.yaml`, as `options_from: { data: … }`
/// names it; `None` for any other file. The generator and the functions
/// both follow this rule, so a form loads alike in both.
pub fn data_name(file_name: &str) -> Option<&str> {
    file_name
        .strip_suffix(".yaml")
        .filter(|name| !name.is_empty() && !name.contains(['/', '\\']))
}

/// A name fit for a URL and a file: lowercase letters, digits and
/// hyphens, starting with a letter (`ambasadorzy`, `zzm`).
pub(crate) fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// serde_yaml's message without its "at line L column C", which the
/// error's own line already gives.
pub(crate) fn yaml_cause(error: &serde_yaml::Error) -> String {
    let message = error.to_string();
    message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned()
}
