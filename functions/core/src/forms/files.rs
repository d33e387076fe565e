//! Reading a site's form and data files from its content folder: the one
//! place of this crate that touches the file system (read-only), because
//! the site generator, the functions and the staff commands must read
//! forms alike.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{data_name, yaml_cause, FormDefinition, DATA_DIR, FORMS_DIR};
use crate::diagnostics::Diagnostic;

/// Reads every `<content>/forms/*.yaml`, sorted by id. `data` gives the
/// site's data files by name, for options taken from them. Errors name
/// files relative to `display_root`.
pub fn load_all(
    content_dir: &Path,
    display_root: &Path,
    data: &dyn Fn(&str) -> Option<serde_json::Value>,
) -> Result<Vec<FormDefinition>, Vec<Diagnostic>> {
    let dir = content_dir.join(FORMS_DIR);
    let shown = |path: &Path| -> PathBuf {
        display_root.join(path.strip_prefix(content_dir).unwrap_or(path))
    };
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(vec![Diagnostic {
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
            problems.push(Diagnostic {
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
            Err(e) => problems.push(Diagnostic {
                file,
                line: None,
                message: format!("cannot read the form: {e}"),
                hint: None,
            }),
        }
    }
    problems.extend(second_ambassadors_form(&forms, &dir, &shown));
    if problems.is_empty() {
        Ok(forms)
    } else {
        Err(problems)
    }
}

/// The staff workspace appoints ambassadors from one form: a second form
/// with `ambassadors:` is a problem naming it.
fn second_ambassadors_form(
    forms: &[FormDefinition],
    dir: &Path,
    shown: &dyn Fn(&Path) -> PathBuf,
) -> Option<Diagnostic> {
    let mut keyed = forms.iter().filter(|f| f.ambassadors.is_some());
    let first = keyed.next()?;
    let second = keyed.next()?;
    Some(Diagnostic {
        file: shown(&dir.join(format!("{}.yaml", second.id))),
        line: None,
        message: format!(
            "`ambassadors:` is set on {} and {}: ambassadors are appointed from one form",
            first.id, second.id
        ),
        hint: Some(
            "keep `ambassadors:` on the form of applications to be an ambassador".to_owned(),
        ),
    })
}

/// Reads every form of a site, taking `options_from` data from
/// `<content>/data/<name>.yaml` (for the functions and staff commands,
/// which have no generator to read the data files for them).
pub fn load_site(
    content_dir: &Path,
    display_root: &Path,
) -> Result<Vec<FormDefinition>, Vec<Diagnostic>> {
    let (files, mut problems) = load_data(content_dir, display_root);
    let data = |name: &str| files.get(name).cloned();
    match load_all(content_dir, display_root, &data) {
        Ok(forms) if problems.is_empty() => Ok(forms),
        Ok(_) => Err(problems),
        Err(mut found) => {
            problems.append(&mut found);
            Err(problems)
        }
    }
}

/// Reads every data file of `<content>/data/` by name. A file that is not
/// `<name>.yaml` or does not parse is a problem naming it (and the line
/// of a YAML mistake), never a file taken as missing.
fn load_data(
    content_dir: &Path,
    display_root: &Path,
) -> (BTreeMap<String, serde_json::Value>, Vec<Diagnostic>) {
    let dir = content_dir.join(DATA_DIR);
    let shown = |path: &Path| -> PathBuf {
        display_root.join(path.strip_prefix(content_dir).unwrap_or(path))
    };
    let problem = |path: &Path, line: Option<usize>, message: String, hint: &str| Diagnostic {
        file: shown(path),
        line,
        message,
        hint: Some(hint.to_owned()),
    };
    let mut files = BTreeMap::new();
    let mut problems = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (files, problems),
        Err(e) => {
            let message = format!("cannot read the data folder: {e}");
            problems.push(problem(
                &dir,
                None,
                message,
                "check the folder's permissions",
            ));
            return (files, problems);
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Hidden files (an editor's backups) are skipped, as the generator does.
        if file_name.starts_with('.') {
            continue;
        }
        let Some(name) = data_name(file_name).filter(|_| path.is_file()) else {
            problems.push(problem(
                &path,
                None,
                "content/data/ holds only data files named <name>.yaml".to_owned(),
                "rename the file to <name>.yaml or move it elsewhere",
            ));
            continue;
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                let message = format!("cannot read the data file: {e}");
                problems.push(problem(
                    &path,
                    None,
                    message,
                    "check the file's permissions",
                ));
                continue;
            }
        };
        match serde_yaml::from_str(&text) {
            Ok(value) => {
                files.insert(name.to_owned(), value);
            }
            Err(e) => problems.push(problem(
                &path,
                e.location().map(|l| l.line()),
                format!("the data file is not valid YAML: {}", yaml_cause(&e)),
                "check the YAML syntax: `key: value`, lists as `[a, b]` or `- a` lines, quote text that holds a colon",
            )),
        }
    }
    (files, problems)
}
