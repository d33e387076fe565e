//! Reads `content/` into the model: the only stage besides `output` that
//! touches the file system.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::{Config, SlugSource};
use crate::dates;
use crate::diagnostics::{line_of_key, partition, Diagnostic};

use crate::frontmatter::{self, EventStatus, FrontMatter, SectionKind};
use crate::model::{Content, Document, EventInfo, Page, PageKind, Section};
use crate::slugs;
use crate::yaml;
// Folders of `content/` that hold data and forms, not pages: named once,
// where the functions read them too.
use agora_core::forms::{DATA_DIR, FORMS_DIR};

pub const CONTENT_DIR: &str = "content";
const SECTION_FILE: &str = "_index.md";

#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Keep drafts and future posts.
    pub drafts: bool,
    /// The moment the site is built for: decides what is published.
    pub now: DateTime<Tz>,
}

/// A Markdown file read from disk.
struct Source {
    file: PathBuf,
    content_path: String,
    text: String,
}

/// Reads `content/`. `Err` when nothing can be built (no content folder,
/// no home page); otherwise the content that loaded and the problems of
/// the files that did not, so that later checks still run on the rest.
pub fn load(
    root: &Path,
    config: &Config,
    options: LoadOptions,
) -> Result<(Content, Vec<Diagnostic>), Vec<Diagnostic>> {
    let content_dir = root.join(CONTENT_DIR);
    if !content_dir.is_dir() {
        return Err(vec![Diagnostic::new(
            CONTENT_DIR,
            "the content folder does not exist",
        )
        .hint(
            "create content/ with an _index.md for the home page, or pass --root",
        )]);
    }
    let mut problems = Vec::new();
    let files = list_files(&content_dir, &mut problems);
    let sources = read_sources(files.markdown, &mut problems);
    let data = load_data(&files.data, &mut problems);
    let (sections, pages) = build_model(&sources, config, options, &mut problems);
    if sections.is_empty() {
        return Err(problems);
    }
    let content = Content {
        sections,
        pages,
        data,
        assets: files.assets,
        // Forms need the data files (their options may come from one):
        // the build reads them next.
        forms: Vec::new(),
    };
    Ok((content, problems))
}

/// The files of `content/`, by what the build does with them: each a
/// path on disk and its path relative to `content/`.
#[derive(Default)]
struct ContentFiles {
    markdown: Vec<(PathBuf, String)>,
    data: Vec<(PathBuf, String)>,
    assets: Vec<String>,
}

/// Every file of `content/` but the hidden ones, sorted by name.
fn list_files(content_dir: &Path, problems: &mut Vec<Diagnostic>) -> ContentFiles {
    let mut files = ContentFiles::default();
    let not_hidden = |entry: &walkdir::DirEntry| {
        entry.depth() == 0 || !entry.file_name().to_string_lossy().starts_with('.')
    };
    for entry in WalkDir::new(content_dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(not_hidden)
    {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error
                    .path()
                    .map_or_else(|| content_dir.to_path_buf(), Path::to_path_buf);
                problems.push(Diagnostic::new(path, format!("cannot read: {error}")));
                continue;
            }
        };
        if !entry.file_type().is_dir() {
            files.add(content_dir, &entry);
        }
    }
    files
}

impl ContentFiles {
    fn add(&mut self, content_dir: &Path, entry: &walkdir::DirEntry) {
        let relative = entry
            .path()
            .strip_prefix(content_dir)
            .unwrap_or(entry.path());
        let content_path = relative.to_string_lossy().replace('\\', "/");
        if content_path.starts_with(&format!("{FORMS_DIR}/")) {
            // Form definitions are read by the form functions.
        } else if content_path.starts_with(&format!("{DATA_DIR}/")) {
            self.data.push((entry.path().to_path_buf(), content_path));
        } else if entry.file_name().to_string_lossy().ends_with(".md") {
            self.markdown
                .push((entry.path().to_path_buf(), content_path));
        } else {
            self.assets.push(content_path);
        }
    }
}

/// Reads the Markdown files, in parallel.
fn read_sources(markdown: Vec<(PathBuf, String)>, problems: &mut Vec<Diagnostic>) -> Vec<Source> {
    let sources: Vec<Result<Source, Vec<Diagnostic>>> = markdown
        .into_par_iter()
        .map(|(path, content_path)| {
            let file = Path::new(CONTENT_DIR).join(&content_path);
            std::fs::read_to_string(&path)
                .map(|text| Source {
                    file: file.clone(),
                    content_path,
                    text,
                })
                .map_err(|error| vec![Diagnostic::io(&file, "read the file", &error)])
        })
        .collect();
    let (sources, mut read_problems) = partition(sources);
    problems.append(&mut read_problems);
    sources
}

/// Reads one page of a section already loaded (`content_path` relative to
/// `content/`), for a rebuild after an edit. `Ok(None)`: the page is not
/// published (a draft, scheduled, or in no known section), which only a
/// whole load can tell apart.
pub fn load_page(
    root: &Path,
    config: &Config,
    options: LoadOptions,
    sections: &[Section],
    content_path: &str,
) -> Result<Option<Page>, Vec<Diagnostic>> {
    let file = Path::new(CONTENT_DIR).join(content_path);
    let text = std::fs::read_to_string(root.join(&file))
        .map_err(|error| vec![Diagnostic::io(&file, "read the file", &error)])?;
    let source = Source {
        file,
        content_path: content_path.to_owned(),
        text,
    };
    let split = frontmatter::split(&source.text, &source.file).map_err(|d| vec![d])?;
    let folder = folder_of(content_path).0;
    let Some(index) = sections
        .iter()
        .position(|s| folder_of(&s.doc.content_path).0 == folder)
    else {
        return Ok(None);
    };
    let parsed = Parsed {
        source: &source,
        front: split.front_matter,
        yaml: split.yaml,
        body: split.body,
        body_line: split.body_line,
    };
    build_page(parsed, index, &sections[index], config, options)
}

fn load_data(
    files: &[(PathBuf, String)],
    problems: &mut Vec<Diagnostic>,
) -> BTreeMap<String, serde_json::Value> {
    let mut data = BTreeMap::new();
    for (path, content_path) in files {
        let file = Path::new(CONTENT_DIR).join(content_path);
        // The functions read the same files by the same rule.
        let Some(name) = content_path
            .strip_prefix("data/")
            .and_then(agora_core::forms::data_name)
        else {
            problems.push(
                Diagnostic::new(
                    &file,
                    "content/data/ holds only data files named <name>.yaml",
                )
                .hint("rename the file to <name>.yaml or move it elsewhere"),
            );
            continue;
        };
        match std::fs::read_to_string(path) {
            Ok(text) => match yaml::from_str::<serde_json::Value>(&text, &file, 0, "Data files") {
                Ok(value) => {
                    data.insert(name.to_owned(), value);
                }
                Err(problem) => problems.push(problem),
            },
            Err(error) => problems.push(Diagnostic::io(&file, "read the file", &error)),
        }
    }
    data
}

/// A parsed source, before it is known whether it is a page or a section.
struct Parsed<'s> {
    source: &'s Source,
    front: FrontMatter,
    yaml: &'s str,
    body: &'s str,
    body_line: usize,
}

fn build_model(
    sources: &[Source],
    config: &Config,
    options: LoadOptions,
    problems: &mut Vec<Diagnostic>,
) -> (Vec<Section>, Vec<Page>) {
    let parsed: Vec<Result<Parsed<'_>, Vec<Diagnostic>>> = sources
        .par_iter()
        .map(|source| {
            let split = frontmatter::split(&source.text, &source.file).map_err(|d| vec![d])?;
            Ok(Parsed {
                source,
                front: split.front_matter,
                yaml: split.yaml,
                body: split.body,
                body_line: split.body_line,
            })
        })
        .collect();
    let (parsed, mut parse_problems) = partition(parsed);
    problems.append(&mut parse_problems);

    let (section_files, page_files): (Vec<Parsed<'_>>, Vec<Parsed<'_>>) =
        parsed.into_iter().partition(|p| {
            p.source.content_path.ends_with(SECTION_FILE)
                && folder_of(&p.source.content_path).1 == SECTION_FILE
        });

    let (sections, dropped) = build_sections(section_files, options, problems);
    let folder_index: HashMap<&str, usize> = sections
        .iter()
        .enumerate()
        .map(|(i, s)| (folder_of(&s.doc.content_path).0, i))
        .collect();

    let pages: Vec<Result<Option<Page>, Vec<Diagnostic>>> = page_files
        .into_par_iter()
        .map(|parsed| {
            let (folder, _) = folder_of(&parsed.source.content_path);
            let Some(&section) = folder_index.get(folder) else {
                if sections.is_empty() {
                    // The missing home page is the one problem to report.
                    return Ok(None);
                }
                let in_draft = dropped
                    .iter()
                    .any(|d| folder == d || folder.starts_with(&format!("{d}/")));
                return if in_draft {
                    Ok(None)
                } else {
                    Err(vec![missing_section(folder)])
                };
            };
            build_page(parsed, section, &sections[section], config, options)
        })
        .collect();
    let (pages, mut page_problems) = partition(pages);
    problems.append(&mut page_problems);
    (sections, pages.into_iter().flatten().collect())
}

/// (`folder`, `file name`) of a content path; the root folder is "".
fn folder_of(content_path: &str) -> (&str, &str) {
    content_path.rsplit_once('/').unwrap_or(("", content_path))
}

/// The sections, parents before children, and the folders left out as
/// drafts.
fn build_sections(
    files: Vec<Parsed<'_>>,
    options: LoadOptions,
    problems: &mut Vec<Diagnostic>,
) -> (Vec<Section>, Vec<String>) {
    let mut by_folder: BTreeMap<String, Parsed<'_>> = files
        .into_iter()
        .map(|p| (folder_of(&p.source.content_path).0.to_owned(), p))
        .collect();
    let mut sections: Vec<Section> = Vec::new();
    let mut index_of: HashMap<String, usize> = HashMap::new();
    let mut dropped: Vec<String> = Vec::new();

    let Some(root) = by_folder.remove("") else {
        problems.push(
            Diagnostic::new(
                Path::new(CONTENT_DIR).join(SECTION_FILE),
                "the home page file is missing",
            )
            .hint(
                "create content/_index.md with `title:` and `description:` of the site's home page",
            ),
        );
        return (sections, Vec::new());
    };
    let mut ordered = vec![(String::new(), root)];
    ordered.extend(by_folder);

    for (folder, parsed) in ordered {
        let file = parsed.source.file.clone();
        let parent = if folder.is_empty() {
            None
        } else {
            let (parent_folder, name) = folder_of(&folder);
            if dropped.iter().any(|d| folder.starts_with(&format!("{d}/"))) {
                dropped.push(folder.clone());
                continue;
            }
            if !slugs::is_url_safe(name) {
                problems.push(
                    Diagnostic::new(
                        &file,
                        format!("the folder name `{name}` cannot be used in a URL"),
                    )
                    .hint(format!(
                        "rename the folder to `{}` (lowercase letters, digits and hyphens)",
                        slugs::slugify(name)
                    )),
                );
            }
            match index_of.get(parent_folder) {
                Some(&parent) => Some(parent),
                None => {
                    problems.push(missing_section(parent_folder));
                    continue;
                }
            }
        };
        if parsed.front.draft && !options.drafts {
            dropped.push(folder.clone());
            continue;
        }
        match section_from(parsed, &folder, parent.map(|p| &sections[p])) {
            Ok(mut section) => {
                section.parent = parent;
                index_of.insert(folder, sections.len());
                sections.push(section);
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    (sections, dropped)
}

fn missing_section(folder: &str) -> Diagnostic {
    Diagnostic::new(
        Path::new(CONTENT_DIR).join(folder),
        "this folder is not a section: it has no _index.md",
    )
    .hint("add _index.md with `title:` and `kind:` (news, events or pages), or move the files out")
}

fn section_from(
    parsed: Parsed<'_>,
    folder: &str,
    parent: Option<&Section>,
) -> Result<Section, Vec<Diagnostic>> {
    let file = &parsed.source.file;
    let front = &parsed.front;
    let mut problems = Vec::new();
    for (key, present) in [
        ("date", front.date.is_some()),
        ("published", front.published.is_some()),
        ("summary", front.summary.is_some()),
        ("tags", !front.tags.is_empty()),
    ]
    .into_iter()
    .chain(event_keys(front))
    {
        if present {
            problems.push(
                Diagnostic::new(file, format!("`{key}` is not a key of sections"))
                    .at_line(key_line(parsed.yaml, key))
                    .hint("sections (_index.md) take title, description, kind, paginate_by, template, weight, draft, slug and aliases"),
            );
        }
    }
    if front.paginate_by == Some(0) {
        problems.push(
            Diagnostic::new(file, "`paginate_by` must be at least 1")
                .at_line(key_line(parsed.yaml, "paginate_by")),
        );
    }
    let path = match parent {
        None => "/".to_owned(),
        Some(parent) => {
            let name = folder_of(folder).1;
            let slug = front.slug.clone().unwrap_or_else(|| name.to_owned());
            format!("{}{}/", parent.doc.path, slugs::slugify(&slug))
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let updated = parse_day(&parsed, "updated", &mut problems);
    let kind = front.kind.unwrap_or_default();
    let paginate_by = front.paginate_by.unwrap_or(0);
    let doc = document(parsed, path, updated, None);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Section {
        doc,
        kind,
        paginate_by,
        parent: None,
    })
}

fn event_keys(front: &FrontMatter) -> [(&'static str, bool); 9] {
    [
        ("start", front.start.is_some()),
        ("end", front.end.is_some()),
        ("timezone", front.timezone.is_some()),
        ("event_type", front.event_type.is_some()),
        ("place", front.place.is_some()),
        ("online", front.online.is_some()),
        ("status", front.status.is_some()),
        ("status_reason", front.status_reason.is_some()),
        ("registration", front.registration.is_some()),
    ]
}

/// The date of front matter `key` (`updated`, `published`).
fn parse_day(parsed: &Parsed<'_>, key: &str, problems: &mut Vec<Diagnostic>) -> Option<NaiveDate> {
    let text = match key {
        "published" => parsed.front.published.as_deref()?,
        _ => parsed.front.updated.as_deref()?,
    };
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            problems.push(
                Diagnostic::new(
                    &parsed.source.file,
                    format!("`{key}: {text}` is not a date"),
                )
                .at_line(key_line(parsed.yaml, key))
                .hint("write the date as 2020-03-02"),
            );
            None
        }
    }
}

fn document(
    parsed: Parsed<'_>,
    path: String,
    updated: Option<NaiveDate>,
    published: Option<NaiveDate>,
) -> Document {
    let key_lines = [
        "aliases",
        "form",
        "registration",
        "online",
        "published",
        "slug",
        "template",
        "updated",
    ]
    .into_iter()
    .filter_map(|key| key_line(parsed.yaml, key).map(|line| (key, line)))
    .collect();
    let front = parsed.front;
    Document {
        file: parsed.source.file.clone(),
        content_path: parsed.source.content_path.clone(),
        path,
        title: front.title,
        description: front.description,
        aliases: front.aliases,
        template: front.template,
        weight: front.weight,
        updated,
        published,
        form: front.form,
        body: parsed.body.to_owned(),
        body_line: parsed.body_line,
        key_lines,
    }
}

fn build_page(
    parsed: Parsed<'_>,
    section_index: usize,
    section: &Section,
    config: &Config,
    options: LoadOptions,
) -> Result<Option<Page>, Vec<Diagnostic>> {
    if parsed.front.draft && !options.drafts {
        return Ok(None);
    }
    let source = parsed.source;
    let keys = Keys {
        file: &source.file,
        yaml: parsed.yaml,
    };
    let kind = page_kind(section.kind);
    let mut problems = misplaced_page_keys(&keys, &parsed.front, kind);
    let (date, event) = page_date(&keys, &parsed.front, kind, config, &mut problems);
    if !options.drafts && kind == PageKind::Post && date.is_some_and(|d| d > options.now) {
        return Ok(None);
    }
    let slug = page_slug(&parsed.front, &source.content_path, config);
    if slug.is_empty() {
        problems.push(
            keys.at("slug", "the page's slug is empty")
                .hint("set `slug:` to a few words"),
        );
    }
    let updated = parse_day(&parsed, "updated", &mut problems);
    let published = parse_day(&parsed, "published", &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let path = format!("{}{slug}/", section.doc.path);
    let tags = parsed.front.tags.clone();
    let summary = parsed.front.summary.clone();
    Ok(Some(Page {
        doc: document(parsed, path, updated, published),
        kind,
        section: section_index,
        date,
        tags,
        summary,
        event,
    }))
}

/// Problems found at a front matter key of one file, on the key's line.
struct Keys<'a> {
    file: &'a Path,
    yaml: &'a str,
}

impl Keys<'_> {
    fn at(&self, key: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.file, message).at_line(key_line(self.yaml, key))
    }

    /// The local date and time of `key`, written `text`, in `tz`.
    fn date(
        &self,
        key: &str,
        text: &str,
        tz: Tz,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<DateTime<Tz>> {
        match dates::parse_local(text, tz) {
            Ok(date) => Some(date),
            Err(message) => {
                problems.push(self.at(key, message));
                None
            }
        }
    }
}

/// The kind of the pages of a section of `kind`.
fn page_kind(kind: SectionKind) -> PageKind {
    match kind {
        SectionKind::News => PageKind::Post,
        SectionKind::Events => PageKind::Event,
        SectionKind::Pages => PageKind::Page,
    }
}

/// The keys of sections, and of other kinds of pages, that a page of
/// `kind` has.
fn misplaced_page_keys(keys: &Keys<'_>, front: &FrontMatter, kind: PageKind) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for (key, present) in [
        ("kind", front.kind.is_some()),
        ("paginate_by", front.paginate_by.is_some()),
    ] {
        if present {
            problems.push(keys.at(
                key,
                format!("`{key}` is a key of sections (_index.md), not of pages"),
            ));
        }
    }
    let kind_name = match kind {
        PageKind::Post => "news posts",
        PageKind::Event => "events",
        PageKind::Page => "pages",
    };
    let wrong_kind = |key: &str, belongs: &str| {
        keys.at(
            key,
            format!("`{key}` is a key of {belongs}, but this file is in a section of {kind_name}"),
        )
        .hint(format!(
            "remove the key, or move the file to a section with `kind: {}`",
            if belongs == "events" {
                "events"
            } else {
                "news"
            }
        ))
    };
    if kind != PageKind::Event {
        for (key, present) in event_keys(front) {
            if present {
                problems.push(wrong_kind(key, "events"));
            }
        }
    }
    if kind != PageKind::Page && front.published.is_some() {
        problems.push(
            keys.at(
                "published",
                format!("`published` is a key of plain pages, not of {kind_name}"),
            )
            .hint(if kind == PageKind::Post {
                "a news post is published on its `date`: remove `published`"
            } else {
                "remove `published`; an event has its `start` and `end`"
            }),
        );
    }
    if kind != PageKind::Post && front.date.is_some() {
        problems.push(if kind == PageKind::Event {
            keys.at("date", "events take `start` and `end`, not `date`")
        } else {
            wrong_kind("date", "news posts")
        });
    }
    problems
}

/// A page's date (a post's `date`, an event's `start`) and its event.
fn page_date(
    keys: &Keys<'_>,
    front: &FrontMatter,
    kind: PageKind,
    config: &Config,
    problems: &mut Vec<Diagnostic>,
) -> (Option<DateTime<Tz>>, Option<EventInfo>) {
    match kind {
        PageKind::Post => match &front.date {
            Some(text) => (keys.date("date", text, config.timezone, problems), None),
            None => {
                problems.push(
                    Diagnostic::new(keys.file, "a news post needs a `date`")
                        .at_line(1)
                        .hint("add `date: 2020-02-19` (the publication date) to the front matter"),
                );
                (None, None)
            }
        },
        PageKind::Event => {
            let event = build_event(front, keys, config, problems);
            (event.as_ref().map(|e| e.start), event)
        }
        PageKind::Page => (None, None),
    }
}

/// The last part of a page's path: its `slug`, else its title or its
/// file's name as the site chooses.
fn page_slug(front: &FrontMatter, content_path: &str, config: &Config) -> String {
    let stem = folder_of(content_path).1.trim_end_matches(".md");
    match (&front.slug, config.slugs_from) {
        (Some(slug), _) => slugs::slugify(slug),
        (None, SlugSource::Title) => slugs::slugify(&front.title),
        (None, SlugSource::File) => slugs::from_file_stem(stem),
    }
}

fn build_event(
    front: &FrontMatter,
    keys: &Keys<'_>,
    config: &Config,
    problems: &mut Vec<Diagnostic>,
) -> Option<EventInfo> {
    let file = keys.file;
    let timezone = event_timezone(front, keys, config, problems);
    let mut required = |key: &str, value: &Option<String>| match value {
        Some(text) => keys.date(key, text, timezone, problems),
        None => {
            problems.push(
                Diagnostic::new(file, format!("an event needs `{key}`"))
                    .at_line(1)
                    .hint(format!("add `{key}: 2020-03-28 10:00` to the front matter")),
            );
            None
        }
    };
    let start = required("start", &front.start);
    let end = required("end", &front.end);
    let status = front.status.unwrap_or_default();
    if status != EventStatus::Planned
        && front
            .status_reason
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
    {
        problems.push(
            keys.at(
                "status",
                "a cancelled or moved event needs a `status_reason`",
            )
            .hint("add `status_reason:` telling readers why, or where the event moved"),
        );
    }
    if front.place.is_none() && front.online.is_none() {
        problems.push(
            Diagnostic::new(file, "an event needs a `place` or an `online` link")
                .at_line(1)
                .hint("add `place: address` or `online: https://...`"),
        );
    }
    let (start, end) = (start?, end?);
    if end <= start {
        problems.push(
            keys.at("end", "the event ends before it starts")
                .hint("check `start` and `end`"),
        );
        return None;
    }
    Some(EventInfo {
        start,
        end,
        timezone,
        event_type: front.event_type.unwrap_or_default(),
        place: front.place.clone(),
        online: front.online.clone(),
        status,
        status_reason: front.status_reason.clone(),
        registration: front.registration.clone(),
    })
}

/// The event's `timezone`, else the site's.
fn event_timezone(
    front: &FrontMatter,
    keys: &Keys<'_>,
    config: &Config,
    problems: &mut Vec<Diagnostic>,
) -> Tz {
    let Some(name) = &front.timezone else {
        return config.timezone;
    };
    name.parse::<Tz>().unwrap_or_else(|_| {
        problems.push(
            keys.at("timezone", format!("unknown time zone `{name}`"))
                .hint("use an IANA name such as Europe/Warsaw"),
        );
        config.timezone
    })
}

/// The line of the file holding front matter `key` (the YAML starts on
/// the file's second line, after `---`).
fn key_line(yaml: &str, key: &str) -> Option<usize> {
    line_of_key(yaml, key).map(|line| line + 1)
}
