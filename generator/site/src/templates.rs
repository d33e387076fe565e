//! The theme's tera templates, compiled once per build, with the filters
//! and functions the guide promises (Polish dates and plurals, data files,
//! theme assets).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::error::Error as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use tera::{Tera, Value};
use walkdir::WalkDir;

use crate::dates;
use crate::diagnostics::Diagnostic;

pub const THEMES_DIR: &str = "themes";

/// A theme: its compiled templates and the files of its `static/` folder.
pub struct Theme {
    pub tera: Tera,
    pub dir: PathBuf,
    /// Files of `static/`, relative to it (`style.css`).
    pub static_files: Vec<String>,
}

impl Theme {
    pub fn load(root: &Path, name: &str) -> Result<Self, Vec<Diagnostic>> {
        let relative = Path::new(THEMES_DIR).join(name);
        let dir = root.join(&relative);
        let templates_dir = dir.join("templates");
        if !templates_dir.is_dir() {
            return Err(vec![Diagnostic::new(
                &relative,
                format!("the theme `{name}` has no templates/ folder"),
            )
            .hint(
                "check `theme:` in agora.yaml; themes live in themes/<name>/templates/",
            )]);
        }
        let mut sources = Vec::new();
        let mut problems = Vec::new();
        for (path, name) in files_under(&templates_dir, &mut problems) {
            match std::fs::read_to_string(&path) {
                Ok(text) => sources.push((name, text)),
                Err(error) => problems.push(Diagnostic::io(
                    &relative.join("templates").join(&name),
                    "read the template",
                    &error,
                )),
            }
        }
        let mut tera = Tera::default();
        tera.set_escape_fn(escape_html);
        // Compile each template alone first so that a syntax error names
        // its own file; then all together to link `extends` and `import`.
        for (name, text) in &sources {
            if let Err(error) = tera::Template::new(name, None, text) {
                let (line, message) = syntax_error(&error_chain(&error));
                problems.push(
                    Diagnostic::new(relative.join("templates").join(name), message)
                        .at_line(line)
                        .hint("fix the template syntax (tera, like Jinja2)"),
                );
            }
        }
        if problems.is_empty() {
            if let Err(error) =
                tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            {
                problems.push(
                    Diagnostic::new(relative.join("templates"), error_chain(&error)).hint(
                        "a template extends, includes or imports a template that does not exist",
                    ),
                );
            }
        }
        let static_files = files_under(&dir.join("static"), &mut problems)
            .into_iter()
            .map(|(_, name)| name)
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            tera,
            dir,
            static_files,
        })
    }

    pub fn has_template(&self, name: &str) -> bool {
        self.tera.get_template_names().any(|n| n == name)
    }
}

/// Escapes what HTML needs escaped (`& < > " '`). Tera's default also
/// escapes `/`, which bloats every URL of a page to no purpose.
fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    // Writing to a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut out, input);
    out
}

/// Files under `dir` (path, name relative to `dir` with `/`), sorted.
fn files_under(dir: &Path, problems: &mut Vec<Diagnostic>) -> Vec<(PathBuf, String)> {
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut files = Vec::new();
    for entry in WalkDir::new(dir).sort_by_file_name() {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                let name = entry.path().strip_prefix(dir).unwrap_or(entry.path());
                files.push((
                    entry.path().to_path_buf(),
                    name.to_string_lossy().replace('\\', "/"),
                ));
            }
            Ok(_) => {}
            Err(error) => problems.push(Diagnostic::new(dir, format!("cannot read: {error}"))),
        }
    }
    files
}

/// A tera error with all its causes: tera puts the useful part (which
/// variable, which line) in the causes.
pub fn error_chain(error: &tera::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Reads tera's parser report (`  --> 9:1`, the source line, `= what was
/// expected`) into a line number and a one-line message.
fn syntax_error(report: &str) -> (Option<usize>, String) {
    let line = report
        .split_once("--> ")
        .and_then(|(_, rest)| rest.split(':').next())
        .and_then(|n| n.trim().parse().ok());
    let expected = report
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("= "))
        .map(str::to_owned);
    let message =
        expected.unwrap_or_else(|| report.lines().next().unwrap_or(report).trim().to_owned());
    (line, format!("syntax error: {message}"))
}

/// Registers the filters and functions every template may use.
pub fn register(
    tera: &mut Tera,
    base_path: &str,
    data: Arc<BTreeMap<String, serde_json::Value>>,
    assets: Arc<HashSet<String>>,
    pages: Arc<HashSet<String>>,
) {
    tera.register_filter("date_pl", date_pl_filter);
    tera.register_filter("event_when_pl", event_when_pl_filter);
    tera.register_filter("plural_pl", plural_pl_filter);
    tera.register_function("data", move |args: &HashMap<String, Value>| {
        let name = string_arg(args, "name", "data")?;
        data.get(&name).cloned().ok_or_else(|| {
            tera::Error::msg(format!(
                "data(name=\"{name}\"): there is no content/data/{name}.yaml"
            ))
        })
    });
    let base = base_path.trim_end_matches('/').to_owned();
    let page_base = base.clone();
    tera.register_function("url", move |args: &HashMap<String, Value>| {
        let path = string_arg(args, "path", "url")?;
        if !pages.contains(&path) {
            return Err(tera::Error::msg(format!(
                "url(path=\"{path}\"): the site has no page {path}; add it to content/ or change the theme"
            )));
        }
        Ok(Value::String(format!("{page_base}{path}")))
    });
    tera.register_function("asset", move |args: &HashMap<String, Value>| {
        let path = string_arg(args, "path", "asset")?;
        let path = path.trim_start_matches('/');
        if !assets.contains(path) {
            return Err(tera::Error::msg(format!(
                "asset(path=\"{path}\"): the theme's static/ folder has no {path}"
            )));
        }
        Ok(Value::String(format!("{base}/{path}")))
    });
}

fn string_arg(args: &HashMap<String, Value>, key: &str, function: &str) -> tera::Result<String> {
    match args.get(key) {
        Some(Value::String(value)) => Ok(value.clone()),
        _ => Err(tera::Error::msg(format!(
            "{function}() needs a text argument `{key}`"
        ))),
    }
}

fn date_pl_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = value
        .as_str()
        .ok_or_else(|| tera::Error::msg("date_pl: the value is not a date text"))?;
    let date = text
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| tera::Error::msg(format!("date_pl: `{text}` is not a date (YYYY-MM-DD)")))?;
    Ok(Value::String(dates::date_pl(date)))
}

fn event_when_pl_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let field = |key: &str| value.get(key).and_then(Value::as_str);
    let tz: Tz = field("timezone")
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| tera::Error::msg("event_when_pl: apply it to an event (page.event)"))?;
    let time = |key: &str| {
        field(key)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&tz))
            .ok_or_else(|| {
                tera::Error::msg(format!("event_when_pl: the event has no valid `{key}`"))
            })
    };
    Ok(Value::String(dates::event_when_pl(
        time("start")?,
        time("end")?,
    )))
}

fn plural_pl_filter(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let n = value
        .as_i64()
        .ok_or_else(|| tera::Error::msg("plural_pl: the value is not a whole number"))?;
    let form = |key: &str| string_arg(args, key, "plural_pl");
    let (one, few, many) = (form("one")?, form("few")?, form("many")?);
    Ok(Value::String(format!(
        "{n} {}",
        dates::plural_pl(n, &one, &few, &many)
    )))
}
