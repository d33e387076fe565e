//! Reading a site's form and data files from its content folder: the one
//! place of this crate that touches the file system (read-only), because
//! the site generator, the functions and the staff commands must read
//! forms alike.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{data_name, yaml_cause, FormDefinition, Preverification, DATA_DIR, FORMS_DIR};
use crate::diagnostics::Diagnostic;
use crate::ideas::Units;
use crate::yaml_lines::Lines;

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
                Ok(mut form) => match check_units(&mut form, &text, content_dir, &shown) {
                    Ok(()) => forms.push(form),
                    Err(mut found) => problems.append(&mut found),
                },
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

/// Checks the units file a form's `preverification:` names (`form_text`
/// is the form file, for the line of a missing file); its warnings become
/// the form's.
fn check_units(
    form: &mut FormDefinition,
    form_text: &str,
    content_dir: &Path,
    shown: &dyn Fn(&Path) -> PathBuf,
) -> Result<(), Vec<Diagnostic>> {
    let Some(preverification) = &form.preverification else {
        return Ok(());
    };
    let form_line = Lines::new(form_text).key("preverification");
    let (file, text) = units_text(content_dir, shown, &form.id, form_line, preverification)?;
    // A file that is not YAML at all is reported by the loading of every
    // data file, which the callers of `load_all` do: not twice.
    if serde_yaml::from_str::<serde_yaml::Value>(&text).is_err() {
        return Ok(());
    }
    let parsed = Units::parse(&text, &file)?;
    form.warnings.extend(parsed.warnings);
    Ok(())
}

/// The verifying units of the form `form_id`, from the data file its
/// `preverification:` names (for the staff workspace, which names the
/// units and offers them to assign ideas to). Errors name files relative
/// to `display_root`.
pub fn load_units(
    content_dir: &Path,
    display_root: &Path,
    form_id: &str,
    preverification: &Preverification,
) -> Result<Units, Vec<Diagnostic>> {
    let shown = |path: &Path| -> PathBuf {
        display_root.join(path.strip_prefix(content_dir).unwrap_or(path))
    };
    let (file, text) = units_text(content_dir, &shown, form_id, None, preverification)?;
    Units::parse(&text, &file).map(|parsed| parsed.units)
}

/// The units file of a form, as shown in diagnostics, and its text. A
/// missing file is a problem of the form `form_id` that names it, at
/// `form_line` (its `preverification:`).
fn units_text(
    content_dir: &Path,
    shown: &dyn Fn(&Path) -> PathBuf,
    form_id: &str,
    form_line: Option<usize>,
    preverification: &Preverification,
) -> Result<(PathBuf, String), Vec<Diagnostic>> {
    let path = content_dir
        .join(DATA_DIR)
        .join(format!("{}.yaml", preverification.units));
    let file = shown(&path);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((file, text)),
        Err(e) => {
            let form_file = shown(&content_dir.join(FORMS_DIR).join(format!("{form_id}.yaml")));
            let message = match e.kind() {
                std::io::ErrorKind::NotFound => format!(
                    "the form `{form_id}` takes its verifying units from {}, which does not exist",
                    file.display()
                ),
                _ => format!("cannot read the units file {}: {e}", file.display()),
            };
            Err(vec![Diagnostic::new(form_file, message)
                .at_line(form_line)
                .hint("create the file (`units:`, a list of `{ id: zzm, name: \"…\" }`) or fix `units:` under `preverification:`")])
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: &str = "title: Pomysły\nopens: 2020-02-19\nunique_field: email\nretention_days: 30\n\
        purpose: Próba.\nlegal_basis: public_task\nlegal_basis_detail: art. 5a\nrecipients: [cloud]\n\
        fields:\n  - { name: title, type: text, label: Tytuł }\n  - { name: email, type: email, label: E-mail }\n\
        preverification:\n  units: jednostki\n  title_field: title\n  district_field: title\n  revisable: [title]\n";

    /// A content folder with the form above and, given, its units file.
    fn content_folder(units: Option<&str>) -> tempfile::TempDir {
        let site = tempfile::tempdir().expect("a temporary folder");
        std::fs::create_dir_all(site.path().join("forms")).expect("forms/");
        std::fs::create_dir_all(site.path().join("data")).expect("data/");
        std::fs::write(site.path().join("forms/pomysly.yaml"), FORM).expect("the form");
        if let Some(units) = units {
            std::fs::write(site.path().join("data/jednostki.yaml"), units).expect("the units");
        }
        site
    }

    fn messages(problems: &[Diagnostic]) -> Vec<String> {
        problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_missing_units_file_is_a_problem_of_the_form() {
        let site = content_folder(None);
        let problems = load_site(site.path(), Path::new("content")).expect_err("no units");
        let found = messages(&problems);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with(
            "content/forms/pomysly.yaml:12: the form `pomysly` takes its verifying units from content/data/jednostki.yaml, which does not exist"
        ), "{found:#?}");
    }

    #[test]
    fn an_example_list_of_units_is_a_warning_of_the_form() {
        let site = content_folder(Some("example: true\nunits:\n  - { id: zzm, name: ZZM }\n"));
        let forms = load_site(site.path(), Path::new("content")).expect("valid");
        let found = messages(&forms[0].warnings);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with("content/data/jednostki.yaml:1: the verifying units in content/data/jednostki.yaml are an example"));
        let preverification = forms[0].preverification.as_ref().expect("set");
        let units = load_units(
            site.path(),
            Path::new("content"),
            "pomysly",
            preverification,
        )
        .expect("the units");
        assert_eq!(units.get("zzm").map(|u| u.name.as_str()), Some("ZZM"));
    }

    #[test]
    fn a_units_file_with_problems_names_its_lines_and_is_reported_once() {
        let site = content_folder(Some(
            "units:\n  - { id: zzm, name: A }\n  - { id: zzm, name: B }\n",
        ));
        let found = messages(&load_site(site.path(), Path::new("content")).expect_err("bad"));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].starts_with("content/data/jednostki.yaml:3: the unit id `zzm` is used twice")
        );

        let broken = content_folder(Some("units: [\n"));
        let found = messages(&load_site(broken.path(), Path::new("content")).expect_err("bad"));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].contains("the data file is not valid YAML"),
            "{found:#?}"
        );
    }
}
