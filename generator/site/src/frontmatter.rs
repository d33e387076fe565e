//! Front matter: the YAML block between two `---` lines at the top of a
//! Markdown file. One struct holds every key any page may have, so a typo
//! is an "unknown field" error; which keys a kind of page accepts is
//! checked in the model.

use std::path::Path;

use serde::Deserialize;

use crate::diagnostics::Diagnostic;
use crate::yaml;

/// The kind of pages a section holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SectionKind {
    News,
    Events,
    #[default]
    Pages,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    #[default]
    Planned,
    Cancelled,
    Moved,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    Workshop,
    #[default]
    Meeting,
    Webinar,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: String,
    pub description: Option<String>,
    pub slug: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    pub weight: Option<i64>,
    pub template: Option<String>,
    pub updated: Option<String>,
    /// When a plain page was first published (`2020-02-19`); a news
    /// post's is its `date`.
    pub published: Option<String>,
    /// A form of `content/forms/` to show: on a page, the form itself; on
    /// an event, its state and a link to the page that shows it.
    pub form: Option<String>,
    // news posts
    pub date: Option<String>,
    pub summary: Option<String>,
    // events
    pub start: Option<String>,
    pub end: Option<String>,
    pub timezone: Option<String>,
    pub event_type: Option<EventType>,
    pub place: Option<String>,
    pub online: Option<String>,
    pub status: Option<EventStatus>,
    pub status_reason: Option<String>,
    pub registration: Option<String>,
    // sections
    pub kind: Option<SectionKind>,
    pub paginate_by: Option<usize>,
}

/// A Markdown file split into its parsed front matter and its body.
#[derive(Debug)]
pub struct Split<'a> {
    pub front_matter: FrontMatter,
    /// The YAML text, to find the line of a key in later errors.
    pub yaml: &'a str,
    pub body: &'a str,
    /// The 1-based line of the file on which `body` starts.
    pub body_line: usize,
}

pub fn split<'a>(text: &'a str, file: &Path) -> Result<Split<'a>, Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let missing = || {
        Diagnostic::new(file, "the file does not start with front matter")
            .at_line(1)
            .hint("start the file with a line `---`, then `title: ...`, then another `---` line")
    };
    let after_open = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
        .ok_or_else(missing)?;
    let mut offset = 0;
    for (line, raw_line) in (2..).zip(after_open.split_inclusive('\n')) {
        if raw_line.trim_end() == "---" {
            let yaml = &after_open[..offset];
            let body = &after_open[offset + raw_line.len()..];
            let front_matter = if yaml.trim().is_empty() {
                return Err(Diagnostic::new(file, "the front matter is empty")
                    .at_line(1)
                    .hint("every page needs at least `title: ...` between the `---` lines"));
            } else {
                yaml::from_str(yaml, file, 1, "Front matter")?
            };
            return Ok(Split {
                front_matter,
                yaml,
                body,
                body_line: line + 1,
            });
        }
        offset += raw_line.len();
    }
    Err(
        Diagnostic::new(file, "the front matter has no closing `---` line")
            .at_line(1)
            .hint("end the front matter with a line holding only `---`"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_ok(text: &str) -> Split<'_> {
        split(text, Path::new("t.md")).expect("valid front matter")
    }

    fn split_err(text: &str) -> Diagnostic {
        split(text, Path::new("t.md")).expect_err("invalid front matter")
    }

    #[test]
    fn splits_front_matter_from_body() {
        let split = split_ok("---\ntitle: Kontakt\ntags: [a, b]\n---\nTreść\n");
        assert_eq!(split.front_matter.title, "Kontakt");
        assert_eq!(split.front_matter.tags, ["a", "b"]);
        assert_eq!(split.body, "Treść\n");
        assert_eq!(split.body_line, 5);
    }

    #[test]
    fn an_unknown_key_names_its_line() {
        let error = split_err("---\ntitle: A\ntitel: B\n---\n");
        assert!(
            error.message.contains("unknown field `titel`"),
            "{}",
            error.message
        );
        assert_eq!(error.line, Some(3));
    }

    #[test]
    fn a_missing_title_is_reported() {
        let error = split_err("---\ndate: 2020-01-01\n---\n");
        assert!(
            error.message.contains("missing field `title`"),
            "{}",
            error.message
        );
    }

    #[test]
    fn bad_yaml_names_its_line() {
        let error = split_err("---\ntitle: A\ntags: [a, b\n---\n");
        assert!(error.line.is_some_and(|line| line >= 3), "{error}");
    }

    #[test]
    fn missing_delimiters_are_explained() {
        assert!(split_err("title: A\n").message.contains("does not start"));
        assert!(split_err("---\ntitle: A\n").message.contains("no closing"));
        assert!(split_err("---\n---\n").message.contains("empty"));
    }
}
