//! Rebuilds for `agora serve`. The site is kept in memory, files and
//! model alike; after an edit only what the edit can change is made again.
//!
//! An edit of existing pages (not sections, data, forms, the theme or
//! `agora.yaml`) that keeps their URLs and aliases re-reads only those
//! files, renders only their Markdown, and re-renders their pages; the
//! lists that show them (home, section and tag pages, feeds) only when
//! what lists show changed (title, date, summary, tags, …), and of those
//! only the pages whose items changed. The search index gets the edited
//! pages' entries (see `search::SearchIndex`), and the site keeps its
//! orders, tags and known paths (`site::Index`) unless what pages are
//! sorted by changed. Anything else rebuilds the whole site in memory,
//! reusing the Markdown of every document that did not change.
//!
//! A rebuild fails exactly when a whole build would. An edit of pages
//! that keeps their URLs and aliases (and every list page) cannot change
//! which URLs are claimed or which paths links may point to, so only what
//! the edit can break is checked again: the edited pages' links,
//! templates and events, the forms, and every link to an anchor when an
//! edited page lost one (`Site::check_edits`). `tests/rebuild.rs`
//! compares each rebuild with a whole build, byte for byte.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::build::{self, BuildOptions, BuildReport, Made};
use crate::content::{self, LoadOptions, CONTENT_DIR};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::frontmatter::SectionKind;
use crate::markdown::Rendered;
use crate::model::Page;
use crate::output::OutputFile;
use crate::render::{self, Gathered};
use crate::scope::{Change, Scope};
use crate::search::{self, SearchIndex};
use crate::site::{self, MarkdownCache, Orders, Site, Tag};
use crate::templates::Theme;

/// The built site: output path (`kontakt/index.html`) -> bytes. Both
/// are shared, so that a rebuild copies the map cheaply while the server
/// still serves the previous one.
pub type SiteFiles = HashMap<Arc<str>, Bytes>;

const SECTION_FILE: &str = "_index.md";

/// What one rebuild did, for the line the terminal prints.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    /// The changed files, shortened for one line.
    pub changed: String,
    /// Pages rendered again.
    pub pages: usize,
    /// The whole site was rebuilt (not only the edited pages).
    pub whole: bool,
    pub elapsed: Duration,
}

pub struct LiveBuild {
    options: BuildOptions,
    cache: MarkdownCache,
    made: Made,
    files: Arc<SiteFiles>,
    /// Content path (`aktualnosci/x.md`) -> index in `content.pages`.
    pages_by_file: HashMap<String, usize>,
    /// Files changed since the last good build: a failed rebuild leaves
    /// them to the next one, so an error elsewhere cannot hide them.
    pending: BTreeSet<PathBuf>,
}

impl LiveBuild {
    /// The first build (`options.out` is ignored: nothing is written).
    pub fn new(options: BuildOptions) -> Result<(Self, BuildReport), Diagnostics> {
        let mut cache = MarkdownCache::default();
        let mut made = build::make_in_memory(&options, &mut cache)?;
        let files = Arc::new(in_memory(&mut made)?);
        let report = made.report.clone();
        let live = Self {
            pages_by_file: pages_by_file(&made),
            options,
            cache,
            made,
            files,
            pending: BTreeSet::new(),
        };
        Ok((live, report))
    }

    /// The files of the last good build.
    pub fn files(&self) -> Arc<SiteFiles> {
        Arc::clone(&self.files)
    }

    /// Rebuilds after `changed` (paths relative to the site root). On an
    /// error the last good site stays, and the files wait for the next
    /// rebuild.
    pub fn rebuild(&mut self, changed: &[PathBuf]) -> Result<Rebuilt, Diagnostics> {
        let started = Instant::now();
        self.pending.extend(changed.iter().cloned());
        let paths: Vec<PathBuf> = self.pending.iter().cloned().collect();
        let result = match self.page_edits(&paths) {
            Some(edits) => match self.rebuild_pages(&edits)? {
                Some(pages) => Ok((pages, false)),
                None => self.rebuild_whole().map(|pages| (pages, true)),
            },
            None => self.rebuild_whole().map(|pages| (pages, true)),
        };
        let (pages, whole) = result?;
        self.pending.clear();
        Ok(Rebuilt {
            changed: describe(&paths),
            pages,
            whole,
            elapsed: started.elapsed(),
        })
    }

    /// The pages edited, when every change is an edit of a known page.
    fn page_edits(&self, paths: &[PathBuf]) -> Option<Vec<(usize, String)>> {
        paths
            .iter()
            .map(|path| {
                let relative = path.strip_prefix(CONTENT_DIR).ok()?;
                let content_path = relative.to_str()?.replace('\\', "/");
                let is_page = content_path.ends_with(".md")
                    && relative.file_name()? != SECTION_FILE
                    && self.options.root.join(path).is_file();
                let index = *self.pages_by_file.get(&content_path).filter(|_| is_page)?;
                Some((index, content_path))
            })
            .collect()
    }

    /// Rebuilds after edits of known pages; `Ok(None)` when an edit turns
    /// out to need the whole site (a new URL, a page no longer published,
    /// a tag added or gone).
    fn rebuild_pages(&mut self, edits: &[(usize, String)]) -> Result<Option<usize>, Diagnostics> {
        let Some(fresh) = self.read_edits(edits)? else {
            return Ok(None);
        };
        let made = &mut self.made;
        let change = change_of(made, &fresh);
        let previous = put_pages(made, fresh);
        let done = match render_change(made, &change) {
            Ok(Some(done)) => done,
            outcome => {
                // Back to the last good site before reporting.
                put_pages(made, previous);
                return outcome.map(|_| None).map_err(Diagnostics::sorted);
            }
        };
        self.keep(done).map(Some)
    }

    /// Keeps what a rebuild of pages made: its files, and the search
    /// index's changes; how many pages it rendered.
    fn keep(&mut self, done: Edited) -> Result<usize, Diagnostics> {
        let search = self
            .made
            .search
            .apply(done.search_docs)
            .map_err(|message| Diagnostics::from(build::content_problem(message)))?;
        let files = Arc::make_mut(&mut self.files);
        for file in done.outputs.into_iter().chain(search.files) {
            files.insert(file.path.into(), file.bytes.into());
        }
        for path in search.removed {
            files.remove(path.as_str());
        }
        Ok(done.pages)
    }

    /// The edited pages read and their Markdown rendered: the first
    /// stages of a build, for these pages alone. `Ok(None)` when a page's
    /// URL or aliases changed, or it is no longer published.
    fn read_edits(&self, edits: &[(usize, String)]) -> Result<Option<Vec<Fresh>>, Diagnostics> {
        let mut fresh = Vec::new();
        let mut problems = Vec::new();
        for (index, content_path) in edits {
            match self.read_edit(*index, content_path) {
                Ok(Some(page)) => fresh.push(page),
                Ok(None) => return Ok(None),
                Err(mut found) => problems.append(&mut found),
            }
        }
        if problems.is_empty() {
            Ok(Some(fresh))
        } else {
            Err(Diagnostics::sorted(problems))
        }
    }

    fn read_edit(
        &self,
        index: usize,
        content_path: &str,
    ) -> Result<Option<Fresh>, Vec<Diagnostic>> {
        let made = &self.made;
        let load = LoadOptions {
            drafts: self.options.drafts,
            now: made.now,
        };
        let (root, sections) = (&self.options.root, &made.content.sections);
        let old = &made.content.pages[index].doc;
        let page = match content::load_page(root, &made.config, load, sections, content_path)? {
            Some(page) if page.doc.path == old.path && page.doc.aliases == old.aliases => page,
            _ => return Ok(None),
        };
        let urls = &made.index.content_urls;
        let rendered = site::render_document(&made.config, urls, &page.doc, page.summary.as_ref())?;
        Ok(Some((index, page, Arc::new(rendered))))
    }

    fn rebuild_whole(&mut self) -> Result<usize, Diagnostics> {
        let mut made = build::make_in_memory(&self.options, &mut self.cache)?;
        self.files = Arc::new(in_memory(&mut made)?);
        self.pages_by_file = pages_by_file(&made);
        let pages = made.report.pages;
        self.made = made;
        Ok(pages)
    }
}

/// An edited page as read, with its rendered Markdown, by its index in
/// `content.pages`.
type Fresh = (usize, Page, Arc<Rendered>);

/// What putting `fresh` in place of the pages it edits changes.
fn change_of(made: &Made, fresh: &[Fresh]) -> Change {
    let mut change = Change::default();
    for (index, page, rendered) in fresh {
        let (old_page, old_html) = (&made.content.pages[*index], &made.documents.pages[*index]);
        if listed_facts(old_page, old_html) != listed_facts(page, rendered) {
            change.listed.insert(*index);
        }
        change.dated |= (old_page.date, old_page.doc.updated) != (page.date, page.doc.updated);
        let section = made.content.sections[page.section].kind;
        change.reordered |= order_facts(old_page, section) != order_facts(page, section);
        change.anchors_lost |= !old_html.anchors.is_subset(&rendered.anchors);
        change.edited.push(*index);
    }
    change.edited.sort_unstable();
    change.edited.dedup();
    change
}

/// Puts `pages` in place in the model and its rendered Markdown; those
/// they replace.
fn put_pages(made: &mut Made, pages: Vec<Fresh>) -> Vec<Fresh> {
    pages
        .into_iter()
        .map(|(index, page, html)| {
            let page = std::mem::replace(&mut made.content.pages[index], page);
            let html = std::mem::replace(&mut made.documents.pages[index], html);
            (index, page, html)
        })
        .collect()
}

/// Checks and renders what `change` changes, with the edited pages in
/// place. The site takes the orders after the edit only when it succeeds.
fn render_change(made: &mut Made, change: &Change) -> Result<Option<Edited>, Vec<Diagnostic>> {
    let mut site = Site {
        config: &made.config,
        content: &made.content,
        now: made.now,
        documents: std::mem::take(&mut made.documents),
        index: std::mem::take(&mut made.index),
    };
    // The orders before the edit: what list pages showed.
    let before = change.reordered.then(|| site.reorder());
    let outcome = render_edits(&mut site, &made.theme, change, before.as_ref());
    if let (Some(before), false) = (before, matches!(outcome, Ok(Some(_)))) {
        site.set_orders(before);
    }
    (made.documents, made.index) = (site.documents, site.index);
    outcome
}

/// What a rebuild of edited pages made.
struct Edited {
    outputs: Vec<OutputFile>,
    /// The edited pages' new entries of the search index.
    search_docs: Vec<(usize, search::Doc)>,
    /// Pages rendered.
    pages: usize,
}

/// Checks the site with the edited pages in place and renders what they
/// change; `before`: the orders before the edit, when they changed.
/// `None` when a whole rebuild is needed (tag pages to add or remove).
fn render_edits(
    site: &mut Site<'_>,
    theme: &Theme,
    change: &Change,
    before: Option<&Orders>,
) -> Result<Option<Edited>, Vec<Diagnostic>> {
    if let Some(before) = before {
        if !same_tags(&before.tags, site) {
            return Ok(None);
        }
    }
    let edited_docs = change.edited.iter().map(|&i| &site.content.pages[i].doc);
    let mut problems = render::check_document_templates(edited_docs, theme);
    if problems.is_empty() {
        match site.check_edits(&change.edited, change.anchors_lost) {
            Some(found) => problems = found,
            None => return Ok(None),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let site = &*site;
    let scope = Scope::Edit { change, before };
    let gathered = Gathered::default();
    let scoped = build::render_scope(site, theme, &scope, &|file| gathered.add(file))?;
    let search_docs = change
        .edited
        .iter()
        .map(|&index| Ok((index, SearchIndex::page_doc(site, index)?)))
        .collect::<Result<_, String>>()
        .map_err(|message| vec![build::content_problem(message)])?;
    Ok(Some(Edited {
        outputs: gathered.into_files(),
        search_docs,
        pages: scoped.pages,
    }))
}

/// What lists, feeds and other pages show of a page: when none of it
/// changed, an edit re-renders the page alone.
fn listed_facts<'a>(page: &'a Page, rendered: &'a Rendered) -> impl PartialEq + 'a {
    (
        (&page.doc.title, &page.doc.description, &page.doc.updated),
        (&page.doc.weight, &page.doc.form),
        (&page.date, &page.tags, &page.event),
        (&rendered.summary, &rendered.summary_text),
    )
}

/// What pages are sorted by, in sections of `kind` (see `site::orders`).
fn order_facts(page: &Page, kind: SectionKind) -> impl PartialEq + '_ {
    let by_title = (kind == SectionKind::Pages).then_some((&page.doc.weight, &page.doc.title));
    (&page.date, &page.tags, by_title)
}

/// The same tags, each with as many list pages: no tag page to add or
/// remove.
fn same_tags(before: &[Tag], site: &Site<'_>) -> bool {
    before.len() == site.index.tags.len()
        && before.iter().zip(&site.index.tags).all(|(old, new)| {
            old.slug == new.slug
                && old.name == new.name
                && old.pages.len().div_ceil(site.config.news_per_page)
                    == new.pages.len().div_ceil(site.config.news_per_page)
        })
}

fn pages_by_file(made: &Made) -> HashMap<String, usize> {
    made.content
        .pages
        .iter()
        .enumerate()
        .map(|(index, page)| (page.doc.content_path.clone(), index))
        .collect()
}

/// The rendered files and the copied ones, read into memory.
fn in_memory(made: &mut Made) -> Result<SiteFiles, Diagnostics> {
    let mut files: SiteFiles = std::mem::take(&mut made.files)
        .into_iter()
        .map(|OutputFile { path, bytes }| (path.into(), bytes.into()))
        .collect();
    for (from, to) in &made.copies {
        let bytes = std::fs::read(from).map_err(|e| Diagnostic::io(from, "read the file", &e))?;
        files.insert(to.as_str().into(), bytes.into());
    }
    Ok(files)
}

/// `content/a.md`, or `content/a.md and 2 more`.
fn describe(paths: &[PathBuf]) -> String {
    let shown = |path: &Path| path.display().to_string();
    match paths {
        [] => "nothing".to_owned(),
        [one] => shown(one),
        [first, rest @ ..] => format!("{} and {} more", shown(first), rest.len()),
    }
}
