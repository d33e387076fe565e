//! The site's content model: sections and pages as editors described
//! them, validated, with their URLs. Built once by `content::load`, then
//! only read.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;

use crate::frontmatter::{EventStatus, EventType, SectionKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PageKind {
    Page,
    Post,
    Event,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventInfo {
    pub start: DateTime<Tz>,
    pub end: DateTime<Tz>,
    pub timezone: Tz,
    pub event_type: EventType,
    pub place: Option<String>,
    pub online: Option<String>,
    pub status: EventStatus,
    pub status_reason: Option<String>,
    pub registration: Option<String>,
}

/// What pages and sections share: where they come from and what they say.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file, relative to the site root (`content/kontakt.md`), for errors.
    pub file: PathBuf,
    /// The file relative to `content/` (`kontakt.md`), for `@/` links.
    pub content_path: String,
    /// The site path: `/`, `/kontakt/`, `/aktualnosci/nowa-sciezka/`.
    pub path: String,
    pub title: String,
    pub description: Option<String>,
    pub aliases: Vec<String>,
    pub template: Option<String>,
    pub weight: Option<i64>,
    pub updated: Option<NaiveDate>,
    /// When a plain page was first published (`published:`).
    pub published: Option<NaiveDate>,
    /// The id of the form the page shows (`form:`).
    pub form: Option<String>,
    pub body: String,
    /// The line of the file where the body starts.
    pub body_line: usize,
    /// The file lines of front matter keys checked after loading (links,
    /// slug, template), for errors found then.
    pub key_lines: Vec<(&'static str, usize)>,
}

impl Document {
    /// The line of the file holding front matter `key`, if present.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.key_lines
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, line)| *line)
    }
}

#[derive(Debug, Clone)]
pub struct Page {
    pub doc: Document,
    pub kind: PageKind,
    /// Index of the page's section in `Content::sections`.
    pub section: usize,
    /// Publication date of posts, start of events.
    pub date: Option<DateTime<Tz>>,
    pub tags: Vec<String>,
    pub summary: Option<String>,
    pub event: Option<EventInfo>,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub doc: Document,
    pub kind: SectionKind,
    pub paginate_by: usize,
    pub parent: Option<usize>,
}

/// Everything under `content/`, validated.
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// The root section (the home page) first, then in path order.
    pub sections: Vec<Section>,
    /// In file order; each stage sorts what it shows.
    pub pages: Vec<Page>,
    /// `content/data/<name>.yaml` by name.
    pub data: std::collections::BTreeMap<String, serde_json::Value>,
    /// Other files, relative to `content/`, copied as they are.
    pub assets: Vec<String>,
    /// `content/forms/*.yaml`, checked.
    pub forms: Vec<agora_core::forms::FormDefinition>,
}
