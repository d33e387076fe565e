//! Rebuilds for `agora serve`. The site is kept in memory, files and
//! model alike; after an edit only what the edit can change is made again.
//!
//! An edit of existing pages (not sections, data, forms, the theme or
//! `agora.yaml`) that keeps their URLs and aliases re-reads only those
//! files, renders only their Markdown, and re-renders their pages; the
//! lists that show them (home, section and tag pages, feeds) only when
//! what lists show changed (title, date, summary, tags, …), and of those
//! only the pages whose items changed. The search index is made again on
//! every rebuild. Anything else rebuilds the whole site in memory, reusing
//! the Markdown of every document that did not change. Every check of a
//! build (links and anchors across the site among them) runs each time.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::build::{self, BuildOptions, BuildReport, Made};
use crate::content::{self, LoadOptions, CONTENT_DIR};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::feeds;
use crate::markdown::Rendered;
use crate::model::{Page, PageKind};
use crate::render::{self, Job, OutputFile, Renderer};
use crate::site::{self, MarkdownCache, Rendering, Site, Tag};

/// The built site: output path (`kontakt/index.html`) -> bytes.
pub type SiteFiles = HashMap<String, Arc<[u8]>>;

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
        let made = &mut self.made;
        let load = LoadOptions {
            drafts: self.options.drafts,
            now: made.now,
        };
        let mut fresh: Vec<(usize, Page, Arc<Rendered>)> = Vec::new();
        let mut problems = Vec::new();
        for (index, content_path) in edits {
            let old = &made.content.pages[*index];
            let page = match content::load_page(
                &self.options.root,
                &made.config,
                load,
                &made.content.sections,
                content_path,
            ) {
                Ok(Some(page))
                    if page.doc.path == old.doc.path && page.doc.aliases == old.doc.aliases =>
                {
                    page
                }
                Ok(_) => return Ok(None),
                Err(mut found) => {
                    problems.append(&mut found);
                    continue;
                }
            };
            match site::render_document(
                &made.config,
                &made.rendering.content_urls,
                &page.doc,
                page.summary.as_ref(),
            ) {
                Ok(rendered) => fresh.push((*index, page, Arc::new(rendered))),
                Err(mut found) => problems.append(&mut found),
            }
        }
        if !problems.is_empty() {
            return Err(Diagnostics::sorted(problems));
        }

        let mut listed: HashSet<usize> = HashSet::new();
        let mut previous = Vec::new();
        for (index, page, rendered) in fresh {
            if listed_facts(&made.content.pages[index], &made.rendering.page_html[index])
                != listed_facts(&page, &rendered)
            {
                listed.insert(index);
            }
            let old_page = std::mem::replace(&mut made.content.pages[index], page);
            let old_html = std::mem::replace(&mut made.rendering.page_html[index], rendered);
            previous.push((index, old_page, old_html));
        }
        let edited: HashSet<usize> = edits.iter().map(|(index, _)| *index).collect();
        let outcome = render_edits(made, &edited, &listed);
        let Ok(Some(done)) = outcome else {
            // Back to the last good model before reporting.
            for (index, page, html) in previous {
                made.content.pages[index] = page;
                made.rendering.page_html[index] = html;
            }
            return outcome.map(|_| None).map_err(Diagnostics::sorted);
        };
        made.section_pages = done.section_pages;
        made.tags = done.tags;
        let files = Arc::make_mut(&mut self.files);
        for file in done.outputs {
            files.insert(file.path, file.bytes.into());
        }
        Ok(Some(done.pages))
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

/// What a rebuild of edited pages made.
struct Edited {
    outputs: Vec<OutputFile>,
    /// Pages rendered.
    pages: usize,
    section_pages: Vec<Vec<usize>>,
    tags: Vec<Tag>,
}

/// Checks the site with the `edited` pages in place and renders what they
/// change (`listed`: those whose listed facts changed); `None` when a
/// whole rebuild is needed (tag pages to add or remove).
fn render_edits(
    made: &Made,
    edited: &HashSet<usize>,
    listed: &HashSet<usize>,
) -> Result<Option<Edited>, Vec<Diagnostic>> {
    let parts = Rendering {
        page_html: made.rendering.page_html.clone(),
        section_html: made.rendering.section_html.clone(),
        content_urls: made.rendering.content_urls.clone(),
    };
    let site = Site::from_parts(
        &made.config,
        &made.content,
        made.now,
        made.static_paths.clone(),
        true,
        parts,
        Vec::new(),
    )?;
    let problems = render::check_templates(&site, &made.theme);
    if !problems.is_empty() {
        return Err(problems);
    }
    if !same_tags(&made.tags, &site) {
        return Ok(None);
    }
    let any_listed = !listed.is_empty();
    let renderer = Renderer::new(&site, &made.theme);
    let jobs: Vec<Job<'_>> = renderer
        .jobs()
        .into_iter()
        .filter(|job| match job {
            Job::Page(index) => {
                edited.contains(index)
                    || (any_listed && !site.page_html[*index].shortcodes.is_empty())
            }
            Job::Home | Job::Tags => any_listed,
            Job::Section { index, pager } => {
                let per_page = match site.pager_count(*index) {
                    0 => usize::MAX,
                    _ => site.per_page(*index),
                };
                any_listed
                    && (!site.section_html[*index].shortcodes.is_empty()
                        || items_changed(
                            &made.section_pages[*index],
                            &site.section_pages[*index],
                            *pager,
                            per_page,
                            listed,
                        ))
            }
            Job::Tag { index, pager } => {
                any_listed
                    && items_changed(
                        &made.tags[*index].pages,
                        &site.tags[*index].pages,
                        *pager,
                        made.config.news_per_page,
                        listed,
                    )
            }
            Job::Search | Job::NotFound | Job::Alias { .. } => false,
        })
        .collect();
    let mut outputs = renderer.render_jobs(&jobs)?;
    outputs.push(feeds::search(&site).map_err(feed_problem)?);
    if any_listed {
        outputs.extend(feeds::listings(&site).map_err(feed_problem)?);
        outputs.extend(
            listed
                .iter()
                .filter(|&&index| site.content.pages[index].kind == PageKind::Event)
                .map(|&index| feeds::event_calendar(&site, index)),
        );
    }
    Ok(Some(Edited {
        outputs,
        pages: jobs.len(),
        section_pages: site.section_pages.clone(),
        tags: site.tags.clone(),
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

/// Whether list page `pager` (from 1) shows other items than before, or
/// an item whose listed facts changed.
fn items_changed(
    before: &[usize],
    after: &[usize],
    pager: usize,
    per_page: usize,
    listed: &HashSet<usize>,
) -> bool {
    let slice = |items: &[usize]| -> Vec<usize> {
        items
            .iter()
            .copied()
            .skip((pager - 1).saturating_mul(per_page))
            .take(per_page)
            .collect()
    };
    let shown = slice(after);
    slice(before) != shown || shown.iter().any(|index| listed.contains(index))
}

/// The same tags, each with as many list pages: no tag page to add or
/// remove.
fn same_tags(before: &[Tag], site: &Site<'_>) -> bool {
    before.len() == site.tags.len()
        && before.iter().zip(&site.tags).all(|(old, new)| {
            old.slug == new.slug
                && old.name == new.name
                && old.pages.len().div_ceil(site.config.news_per_page)
                    == new.pages.len().div_ceil(site.config.news_per_page)
        })
}

fn feed_problem(message: String) -> Vec<Diagnostic> {
    vec![Diagnostic::new(CONTENT_DIR, message)]
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
        .map(|OutputFile { path, bytes }| (path, bytes.into()))
        .collect();
    for (from, to) in &made.copies {
        let bytes = std::fs::read(from).map_err(|e| Diagnostic::io(from, "read the file", &e))?;
        files.insert(to.clone(), bytes.into());
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
