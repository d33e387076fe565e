//! Forms as data: one YAML file per form, `content/forms/<id>.yaml`, read
//! by the generator (which renders it) and the functions (which validate
//! submissions against it).

pub mod checks;
pub mod definition;
pub mod html;
pub mod validate;

use std::path::{Path, PathBuf};

pub use definition::{
    Allocation, Choice, Consent, DefinitionError, Field, FieldType, FormDefinition, FormState,
};
pub use validate::{validate, Accepted, FieldError, GivenConsent, Submission};

/// The folder of form files, under the content folder.
pub const FORMS_DIR: &str = "forms";

/// Reads every `<content>/forms/*.yaml`, sorted by id. `data` gives the
/// site's data files by name, for options taken from them. Errors name
/// files relative to `display_root`.
pub fn load_all(
    content_dir: &Path,
    display_root: &Path,
    data: &dyn Fn(&str) -> Option<serde_json::Value>,
) -> Result<Vec<FormDefinition>, Vec<DefinitionError>> {
    let dir = content_dir.join(FORMS_DIR);
    let shown = |path: &Path| -> PathBuf {
        display_root.join(path.strip_prefix(content_dir).unwrap_or(path))
    };
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(vec![DefinitionError {
                file: shown(&dir),
                line: None,
                message: format!("cannot read the forms folder: {e}"),
                hint: None,
            }])
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    let mut forms = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let Some(id) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".yaml"))
        else {
            problems.push(DefinitionError {
                file: shown(&path),
                line: None,
                message: "content/forms/ holds only form files named <id>.yaml".to_owned(),
                hint: Some("move other files elsewhere".to_owned()),
            });
            continue;
        };
        let file = shown(&path);
        match std::fs::read_to_string(&path) {
            Ok(text) => match FormDefinition::parse(id, &text, &file, data) {
                Ok(form) => forms.push(form),
                Err(mut found) => problems.append(&mut found),
            },
            Err(e) => problems.push(DefinitionError {
                file,
                line: None,
                message: format!("cannot read the form: {e}"),
                hint: None,
            }),
        }
    }
    if problems.is_empty() {
        Ok(forms)
    } else {
        Err(problems)
    }
}

/// Reads every form of a site, taking `options_from` data from
/// `<content>/data/<name>.yaml` (for the functions and staff commands,
/// which have no generator to read the data files for them).
pub fn load_site(
    content_dir: &Path,
    display_root: &Path,
) -> Result<Vec<FormDefinition>, Vec<DefinitionError>> {
    let data_dir = content_dir.join("data");
    let data = |name: &str| -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(data_dir.join(format!("{name}.yaml"))).ok()?;
        serde_yaml::from_str(&text).ok()
    };
    load_all(content_dir, display_root, &data)
}
