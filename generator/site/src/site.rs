//! The whole site, once every page's Markdown is rendered: the order of
//! pages in sections, the tags, every URL the build will write, and the
//! check that every internal link and anchor resolves.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::DateTime;
use chrono_tz::Tz;
use rayon::prelude::*;

use crate::config::{Config, CONFIG_FILE};
use crate::diagnostics::Diagnostic;
use crate::frontmatter::SectionKind;
use crate::markdown::{self, is_external, resolve, LinkRewriter, Rendered};
use crate::model::{Content, Document, PageKind};
use crate::notices;
use crate::page_forms::{self, FormPages};
use crate::slugs;

pub const TAGS_PATH: &str = "/tagi/";
pub const SEARCH_PATH: &str = "/szukaj/";
pub const FEED_PATH: &str = "/atom.xml";
pub const CALENDAR_PATH: &str = "/kalendarz.ics";
/// The search index's folder (see `search`) and the file read first.
pub const SEARCH_DIR: &str = "/search-index/";
pub const SEARCH_MANIFEST_PATH: &str = "/search-index/manifest.json";
pub const SITEMAP_PATH: &str = "/sitemap.xml";
pub const ROBOTS_PATH: &str = "/robots.txt";
pub const NOT_FOUND_PATH: &str = "/404.html";
/// The files every build writes besides pages, sections and tags.
const GENERATED_PATHS: [&str; 8] = [
    TAGS_PATH,
    SEARCH_PATH,
    FEED_PATH,
    CALENDAR_PATH,
    SEARCH_MANIFEST_PATH,
    SITEMAP_PATH,
    ROBOTS_PATH,
    NOT_FOUND_PATH,
];
/// List pages after the first: `/aktualnosci/strona/2/`.
const PAGER_SEGMENT: &str = "strona";

#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub slug: String,
    /// Pages with the tag, newest first.
    pub pages: Vec<usize>,
}

impl Tag {
    pub fn path(&self) -> String {
        format!("{TAGS_PATH}{}/", self.slug)
    }
}

/// What a site path the build writes is, for links to it: a document,
/// whose anchors a link may name, or another file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    Page(usize),
    Section(usize),
    File,
}

/// Every site path the build writes that a link may point to.
pub type KnownPaths = HashMap<String, Known>;

pub struct Site<'c> {
    pub config: &'c Config,
    pub content: &'c Content,
    pub now: DateTime<Tz>,
    pub documents: Documents,
    pub index: Index,
}

/// The Markdown of every document, rendered: parallel to `content.pages`
/// and `content.sections`; shared, so that a rebuild can reuse the
/// Markdown of documents that did not change.
#[derive(Default)]
pub struct Documents {
    pub pages: Vec<Arc<Rendered>>,
    pub sections: Vec<Arc<Rendered>>,
}

/// What the site knows across its documents: orders, tags and every path.
#[derive(Default)]
pub struct Index {
    /// Per section: its pages in display order (news newest first, events
    /// by start, pages by weight then title).
    pub section_pages: Vec<Vec<usize>>,
    pub subsections: Vec<Vec<usize>>,
    /// Every news post, newest first.
    pub posts: Vec<usize>,
    /// Every event, by start.
    pub events: Vec<usize>,
    /// By slug.
    pub tags: Vec<Tag>,
    /// Files the theme and `content/` ship as they are, by site path.
    pub static_paths: HashSet<String>,
    /// Content file (`kontakt.md`) -> site path, for `@/` links.
    pub content_urls: HashMap<String, String>,
    /// Form id -> the page that shows it.
    pub form_pages: FormPages,
    /// Every path the build writes that a link may point to.
    pub known: KnownPaths,
}

/// The orders of a site, which an edit of what lists show can change.
pub struct Orders {
    pub section_pages: Vec<Vec<usize>>,
    pub posts: Vec<usize>,
    pub events: Vec<usize>,
    pub tags: Vec<Tag>,
}

/// A site path the build writes, for finding two things claiming one URL.
fn claim<'a>(
    claims: &mut HashMap<String, &'a Path>,
    problems: &mut Vec<Diagnostic>,
    path: String,
    owner: &'a Path,
    line: Option<usize>,
) {
    if let Some(previous) = claims.get(&path) {
        if *previous != owner {
            problems.push(
                Diagnostic::new(
                    owner,
                    format!("the URL {path} is already taken by {}", previous.display()),
                )
                .at_line(line)
                .hint("give one of them another `slug` (or remove the duplicate alias)"),
            );
        }
        return;
    }
    claims.insert(path, owner);
}

/// The site path of list page `n` (from 1) of a list at `path`.
pub fn pager_path(path: &str, n: usize) -> String {
    if n <= 1 {
        path.to_owned()
    } else {
        format!("{path}{PAGER_SEGMENT}/{n}/")
    }
}

/// The `.ics` file of an event page: `/wydarzenia/warsztat.ics`.
pub fn ics_path(page_path: &str) -> String {
    format!("{}.ics", page_path.trim_end_matches('/'))
}

/// The rendered Markdown of earlier builds, by content file, for `agora
/// serve`: a rebuild renders again only the documents whose text, URL or
/// summary changed (and those with `@/` links when any URL changed).
#[derive(Default)]
pub struct MarkdownCache {
    entries: HashMap<String, CacheEntry>,
}

struct CacheEntry {
    key: u64,
    /// The key of every content file's URL when the document links with
    /// `@/` (those links are written with the URLs); else `None`.
    urls_key: Option<u64>,
    rendered: Arc<Rendered>,
}

impl MarkdownCache {
    fn get(&self, doc: &Document, key: u64, urls_key: Option<u64>) -> Option<Arc<Rendered>> {
        let entry = self.entries.get(&doc.content_path)?;
        (entry.key == key && entry.urls_key.is_none_or(|k| Some(k) == urls_key))
            .then(|| Arc::clone(&entry.rendered))
    }

    /// Keeps exactly the documents of the latest build: a deleted file's
    /// entry goes with it.
    fn replace(&mut self, fresh: Vec<(&Document, u64, Arc<Rendered>)>, urls_key: u64) {
        self.entries = fresh
            .into_iter()
            .map(|(doc, key, rendered)| {
                let uses_urls = rendered
                    .links
                    .iter()
                    .any(|l| l.dest.trim().starts_with("@/"));
                let entry = CacheEntry {
                    key,
                    urls_key: uses_urls.then_some(urls_key),
                    rendered,
                };
                (doc.content_path.clone(), entry)
            })
            .collect();
    }
}

/// Renders one document's Markdown (`summary`: a page's `summary:`).
pub fn render_document(
    config: &Config,
    content_urls: &HashMap<String, String>,
    doc: &Document,
    summary: Option<&String>,
) -> Result<Rendered, Vec<Diagnostic>> {
    let rewriter = LinkRewriter {
        base_path: &config.base_path,
        content_urls,
        page_path: &doc.path,
    };
    let mut rendered = markdown::render(&doc.body, doc.body_line, &rewriter).map_err(|errors| {
        errors
            .into_iter()
            .map(|(line, message)| Diagnostic::new(&doc.file, message).at_line(line))
            .collect::<Vec<_>>()
    })?;
    if let Some(summary) = summary {
        (rendered.summary, rendered.summary_text) = markdown::render_summary(summary);
    }
    Ok(rendered)
}

/// Everything a document's rendered Markdown depends on but the URLs of
/// other files.
fn document_key(config: &Config, doc: &Document, summary: Option<&String>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (
        &config.base_path,
        &doc.path,
        doc.body_line,
        &doc.body,
        summary,
    )
        .hash(&mut hasher);
    hasher.finish()
}

fn urls_key(content_urls: &HashMap<String, String>) -> u64 {
    let mut sorted: Vec<(&String, &String)> = content_urls.iter().collect();
    sorted.sort_unstable();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    sorted.hash(&mut hasher);
    hasher.finish()
}

/// A document's rendered Markdown, with its cache key when a cache is used.
type Keyed = (Option<u64>, Arc<Rendered>);

/// The Markdown of every document, parallel to `content.pages` and
/// `content.sections`, with the problems found in it; `cache` gives what
/// earlier builds rendered and keeps what this one did.
fn render_markdown<'a>(
    config: &Config,
    content: &'a Content,
    content_urls: &HashMap<String, String>,
    cache: Option<&mut MarkdownCache>,
) -> (Documents, Vec<Diagnostic>) {
    let urls_key = cache.as_ref().map(|_| urls_key(content_urls));
    let lookup = cache.as_deref().zip(urls_key);
    let render = |doc: &Document, summary: Option<&String>| {
        render_cached(config, content_urls, lookup, doc, summary)
    };
    let page_results: Vec<_> = content
        .pages
        .par_iter()
        .map(|p| render(&p.doc, p.summary.as_ref()))
        .collect();
    let section_results: Vec<_> = content
        .sections
        .par_iter()
        .map(|s| render(&s.doc, None))
        .collect();
    let mut problems = Vec::new();
    let mut fresh = Vec::new();
    let mut collect = |results: Vec<Result<Keyed, Vec<Diagnostic>>>,
                       docs: &mut dyn Iterator<Item = &'a Document>| {
        results
            .into_iter()
            .zip(docs)
            .map(|(r, doc)| match r {
                Ok((key, rendered)) => {
                    if let Some(key) = key {
                        fresh.push((doc, key, Arc::clone(&rendered)));
                    }
                    rendered
                }
                Err(mut found) => {
                    problems.append(&mut found);
                    Arc::default()
                }
            })
            .collect::<Vec<_>>()
    };
    let pages = collect(page_results, &mut content.pages.iter().map(|p| &p.doc));
    let sections = collect(
        section_results,
        &mut content.sections.iter().map(|s| &s.doc),
    );
    if let (Some(cache), Some(urls_key)) = (cache, urls_key) {
        cache.replace(fresh, urls_key);
    }
    (Documents { pages, sections }, problems)
}

/// Renders one document's Markdown, or takes it from `cache` (with the
/// key of the URLs this build writes) when it is there unchanged.
fn render_cached(
    config: &Config,
    content_urls: &HashMap<String, String>,
    cache: Option<(&MarkdownCache, u64)>,
    doc: &Document,
    summary: Option<&String>,
) -> Result<Keyed, Vec<Diagnostic>> {
    let Some((cache, urls_key)) = cache else {
        let rendered = render_document(config, content_urls, doc, summary)?;
        return Ok((None, Arc::new(rendered)));
    };
    let key = document_key(config, doc, summary);
    if let Some(hit) = cache.get(doc, key, Some(urls_key)) {
        return Ok((Some(key), hit));
    }
    let rendered = render_document(config, content_urls, doc, summary)?;
    Ok((Some(key), Arc::new(rendered)))
}

impl<'c> Site<'c> {
    pub fn assemble(
        config: &'c Config,
        content: &'c Content,
        now: DateTime<Tz>,
        static_paths: HashSet<String>,
        complete: bool,
        cache: Option<&mut MarkdownCache>,
    ) -> Result<Self, Vec<Diagnostic>> {
        let content_urls: HashMap<String, String> = content
            .pages
            .iter()
            .map(|p| &p.doc)
            .chain(content.sections.iter().map(|s| &s.doc))
            .map(|doc| (doc.content_path.clone(), doc.path.clone()))
            .collect();
        let (documents, problems) = render_markdown(config, content, &content_urls, cache);
        Self::from_documents(
            config,
            content,
            now,
            static_paths,
            complete,
            (documents, content_urls),
            problems,
        )
    }

    /// The site from Markdown already rendered: the orders, the tags, and
    /// every check of URLs, links and forms. `problems`: those found so
    /// far, reported with these.
    fn from_documents(
        config: &'c Config,
        content: &'c Content,
        now: DateTime<Tz>,
        static_paths: HashSet<String>,
        complete: bool,
        (documents, content_urls): (Documents, HashMap<String, String>),
        mut problems: Vec<Diagnostic>,
    ) -> Result<Self, Vec<Diagnostic>> {
        let (page_html, section_html) = (&documents.pages, &documents.sections);
        // With files that failed to load (forms among them), which forms
        // exist is not known.
        let form_pages = if complete {
            page_forms::find(content, page_html, section_html).unwrap_or_else(|mut found| {
                problems.append(&mut found);
                FormPages::new()
            })
        } else {
            FormPages::new()
        };
        if complete {
            problems.extend(notices::check(config, content, page_html, section_html));
        }
        let (section_pages, subsections) = order_sections(content);
        let Orders {
            section_pages,
            posts,
            events,
            tags,
        } = orders(content, section_pages);

        let mut site = Self {
            config,
            content,
            now,
            documents,
            index: Index {
                section_pages,
                subsections,
                posts,
                events,
                tags,
                static_paths,
                content_urls,
                form_pages,
                known: KnownPaths::new(),
            },
        };
        site.index.known = site.known_paths();
        site.check_urls(&mut problems);
        if problems.is_empty() {
            site.check_links(complete, None, &mut problems);
        }
        if problems.is_empty() {
            Ok(site)
        } else {
            Err(problems)
        }
    }

    /// Sorts the pages again (after edits of what lists show); the
    /// previous orders are returned.
    pub fn reorder(&mut self) -> Orders {
        let fresh = orders(self.content, order_sections(self.content).0);
        self.set_orders(fresh)
    }

    /// Puts `orders` in place, returning those it replaces.
    pub fn set_orders(&mut self, orders: Orders) -> Orders {
        Orders {
            section_pages: std::mem::replace(&mut self.index.section_pages, orders.section_pages),
            posts: std::mem::replace(&mut self.index.posts, orders.posts),
            events: std::mem::replace(&mut self.index.events, orders.events),
            tags: std::mem::replace(&mut self.index.tags, orders.tags),
        }
    }

    /// The checks an edit of the pages `edited` can fail, when their URLs
    /// and aliases stayed and no list page came or went (so that no URL
    /// claim changes and the paths links may point to are the same): the
    /// forms, and the links of the edited pages, with every link to an
    /// anchor when `anchors_lost` (an edited page lost a heading). `None`
    /// when a form is now shown on another page (pages that link to it
    /// would change): a whole rebuild is needed.
    pub fn check_edits(&mut self, edited: &[usize], anchors_lost: bool) -> Option<Vec<Diagnostic>> {
        let mut problems = Vec::new();
        match page_forms::find(
            self.content,
            &self.documents.pages,
            &self.documents.sections,
        ) {
            Ok(form_pages) if form_pages != self.index.form_pages => return None,
            Ok(_) => {}
            Err(mut found) => problems.append(&mut found),
        }
        problems.extend(notices::check(
            self.config,
            self.content,
            &self.documents.pages,
            &self.documents.sections,
        ));
        let edited: HashSet<usize> = edited.iter().copied().collect();
        self.check_links(true, Some((&edited, anchors_lost)), &mut problems);
        Some(problems)
    }

    /// How many list pages a section of news has (0 for other sections).
    pub fn pager_count(&self, section: usize) -> usize {
        let s = &self.content.sections[section];
        if s.kind != SectionKind::News {
            return 0;
        }
        self.index.section_pages[section]
            .len()
            .div_ceil(self.per_page(section))
            .max(1)
    }

    pub fn per_page(&self, section: usize) -> usize {
        match self.content.sections[section].paginate_by {
            0 => self.config.news_per_page,
            n => n,
        }
    }

    pub fn tag_pager_count(&self, tag: &Tag) -> usize {
        tag.pages.len().div_ceil(self.config.news_per_page).max(1)
    }

    /// Every site path the build writes that a link may point to, with the
    /// anchors of its page where it has any.
    fn known_paths(&self) -> KnownPaths {
        let mut known = KnownPaths::new();
        for (index, page) in self.content.pages.iter().enumerate() {
            known.insert(page.doc.path.clone(), Known::Page(index));
            if page.kind == PageKind::Event {
                known.insert(ics_path(&page.doc.path), Known::File);
            }
        }
        for (index, section) in self.content.sections.iter().enumerate() {
            known.insert(section.doc.path.clone(), Known::Section(index));
            for n in 2..=self.pager_count(index) {
                known.insert(pager_path(&section.doc.path, n), Known::File);
            }
        }
        for tag in &self.index.tags {
            for n in 1..=self.tag_pager_count(tag) {
                known.insert(pager_path(&tag.path(), n), Known::File);
            }
        }
        for fixed in GENERATED_PATHS {
            known.insert(fixed.to_owned(), Known::File);
        }
        for path in &self.index.static_paths {
            known.insert(path.clone(), Known::File);
        }
        known
    }

    /// The anchors of a known path's page, if it is a page.
    fn anchors(&self, known: Known) -> Option<&HashSet<String>> {
        match known {
            Known::Page(index) => Some(&self.documents.pages[index].anchors),
            Known::Section(index) => Some(&self.documents.sections[index].anchors),
            Known::File => None,
        }
    }

    fn check_urls(&self, problems: &mut Vec<Diagnostic>) {
        let generated = Path::new("(generated by agora)");
        let mut claims: HashMap<String, &Path> = HashMap::new();
        for fixed in GENERATED_PATHS {
            claims.insert(fixed.to_owned(), generated);
        }
        for section in &self.content.sections {
            claim(
                &mut claims,
                problems,
                section.doc.path.clone(),
                &section.doc.file,
                section.doc.line_of("slug"),
            );
        }
        for page in &self.content.pages {
            claim(
                &mut claims,
                problems,
                page.doc.path.clone(),
                &page.doc.file,
                page.doc.line_of("slug"),
            );
        }
        for doc in self.documents() {
            for alias in &doc.aliases {
                let line = doc.line_of("aliases");
                if !alias.starts_with('/') || alias.contains("://") {
                    problems.push(
                        Diagnostic::new(
                            &doc.file,
                            format!("the alias `{alias}` is not a site path"),
                        )
                        .at_line(line)
                        .hint("write aliases as paths from the site root, e.g. /stara-strona/"),
                    );
                    continue;
                }
                claim(
                    &mut claims,
                    problems,
                    normalise_alias(alias),
                    &doc.file,
                    line,
                );
            }
        }
    }

    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        self.content
            .sections
            .iter()
            .map(|s| &s.doc)
            .chain(self.content.pages.iter().map(|p| &p.doc))
    }

    /// `complete`: every content file loaded, so a link to an unknown page
    /// is dead (not a link to a file that failed to load). `edits`: only
    /// the links of these pages, and every link to an anchor when the
    /// flag is set (else every link).
    fn check_links(
        &self,
        complete: bool,
        edits: Option<(&HashSet<usize>, bool)>,
        problems: &mut Vec<Diagnostic>,
    ) {
        let checker = LinkChecker {
            site: self,
            complete,
            edits,
        };
        checker.check_documents(problems);
        checker.check_events(problems);
        checker.check_menu(problems);
    }
}

fn normalise_alias(alias: &str) -> String {
    if alias.ends_with('/') || alias.ends_with(".html") {
        alias.to_owned()
    } else {
        format!("{alias}/")
    }
}

struct LinkChecker<'a> {
    site: &'a Site<'a>,
    complete: bool,
    /// The pages edited, and whether every link to an anchor is checked
    /// too; `None`: every link.
    edits: Option<(&'a HashSet<usize>, bool)>,
}

/// A failed check of a link: what is wrong, what to do.
type LinkProblem = (String, String);

impl LinkChecker<'_> {
    /// Which links of a document (`page`: a page's index, else a
    /// section or the menu) to check: `Some(true)` those to an anchor,
    /// `Some(false)` all, `None` none.
    fn wanted(&self, page: Option<usize>) -> Option<bool> {
        match self.edits {
            None => Some(false),
            Some((edited, _)) if page.is_some_and(|i| edited.contains(&i)) => Some(false),
            Some((_, true)) => Some(true),
            Some((_, false)) => None,
        }
    }

    /// The links written in the Markdown of sections and pages.
    fn check_documents(&self, problems: &mut Vec<Diagnostic>) {
        let content = self.site.content;
        let sections = content.sections.iter().map(|s| (&s.doc, None));
        let pages = content
            .pages
            .iter()
            .enumerate()
            .map(|(i, p)| (&p.doc, Some(i)));
        let documents = &self.site.documents;
        let html = documents.sections.iter().chain(&documents.pages);
        for ((doc, page), rendered) in sections.chain(pages).zip(html) {
            let Some(anchored_only) = self.wanted(page) else {
                continue;
            };
            for link in &rendered.links {
                if anchored_only && !with_anchor(&link.dest) {
                    continue;
                }
                if let Err((message, hint)) = self.check(&link.dest, &doc.path) {
                    problems.push(
                        Diagnostic::new(&doc.file, message)
                            .at_line(link.line)
                            .hint(hint),
                    );
                }
            }
        }
    }

    /// The links of events' front matter: `registration:` and `online:`.
    fn check_events(&self, problems: &mut Vec<Diagnostic>) {
        for (index, page) in self.site.content.pages.iter().enumerate() {
            let Some(event) = &page.event else { continue };
            let Some(anchored_only) = self.wanted(Some(index)) else {
                continue;
            };
            let line_of = |key: &str| page.doc.line_of(key);
            let registration = event
                .registration
                .as_ref()
                .filter(|r| !anchored_only || with_anchor(r));
            if let Some(registration) = registration {
                if let Err((message, hint)) = self.check(registration, &page.doc.path) {
                    problems.push(
                        Diagnostic::new(&page.doc.file, message)
                            .at_line(line_of("registration"))
                            .hint(hint),
                    );
                }
            }
            if let Some(online) = event.online.as_ref().filter(|_| !anchored_only) {
                if !(online.starts_with("https://") || online.starts_with("http://")) {
                    problems.push(
                        Diagnostic::new(
                            &page.doc.file,
                            format!("`online: {online}` is not a web address"),
                        )
                        .at_line(line_of("online"))
                        .hint("write the full link to the online meeting, starting with https://"),
                    );
                }
            }
        }
    }

    /// The links of the menu in `agora.yaml`.
    fn check_menu(&self, problems: &mut Vec<Diagnostic>) {
        let Some(anchored_only) = self.wanted(None) else {
            return;
        };
        let config = self.site.config;
        for (item, line) in config.menu.iter().zip(&config.menu_lines) {
            if anchored_only && !with_anchor(&item.url) {
                continue;
            }
            if let Err((message, hint)) = self.check(&item.url, "/") {
                problems.push(
                    Diagnostic::new(PathBuf::from(CONFIG_FILE), message)
                        .at_line(*line)
                        .hint(hint),
                );
            }
        }
    }

    /// Checks one link written on the page at `from`.
    fn check(&self, dest: &str, from: &str) -> Result<(), LinkProblem> {
        let dest = dest.trim();
        if dest.is_empty() || dest == "#" {
            return Err((
                format!("the link `{dest}` points nowhere"),
                "link to the page or heading it is meant for, or remove the link".to_owned(),
            ));
        }
        if let Some(reference) = dest.strip_prefix("@/") {
            let (file, anchor) = reference.split_once('#').unwrap_or((reference, ""));
            let Some(path) = self.site.index.content_urls.get(file) else {
                if !self.complete {
                    return Ok(());
                }
                return Err((
                    format!("the link `{dest}` names no content file: content/{file} does not exist (or is a draft)"),
                    "write the file's path relative to content/, e.g. @/wspolne-projekty/miejskie.md".to_owned(),
                ));
            };
            return self.check_target(dest, path, anchor);
        }
        if is_external(dest) {
            return Ok(());
        }
        let (without_query, _) = dest.split_once('?').unwrap_or((dest, ""));
        let (path, anchor) = without_query.split_once('#').unwrap_or((without_query, ""));
        let path = if path.is_empty() {
            from.to_owned()
        } else {
            resolve(from, path)
        };
        self.check_target(dest, &path, anchor)
    }

    fn check_target(&self, dest: &str, path: &str, anchor: &str) -> Result<(), LinkProblem> {
        let Some(&known) = self.site.index.known.get(path) else {
            if !self.complete {
                return Ok(());
            }
            let with_slash = format!("{path}/");
            let hint = if self.site.index.known.contains_key(&with_slash) {
                format!("write `{with_slash}` (with the trailing slash)")
            } else {
                "check the address; pages are linked as /section/slug/ or @/file.md".to_owned()
            };
            return Err((
                format!("the link `{dest}` points to {path}, which is not a page of this site"),
                hint,
            ));
        };
        if anchor.is_empty() {
            return Ok(());
        }
        match self.site.anchors(known) {
            Some(anchors) if anchors.contains(anchor) => Ok(()),
            Some(anchors) => {
                let mut known: Vec<&str> = anchors.iter().map(String::as_str).collect();
                known.sort_unstable();
                Err((
                    format!("the link `{dest}` points to the heading #{anchor}, which {path} does not have"),
                    if known.is_empty() {
                        "that page has no headings to link to".to_owned()
                    } else {
                        format!("its headings are: {}", known.join(", "))
                    },
                ))
            }
            None => Err((
                format!("the link `{dest}` points to #{anchor} on {path}, which has no headings"),
                "link to the page without the #anchor".to_owned(),
            )),
        }
    }
}

fn with_anchor(dest: &str) -> bool {
    dest.contains('#')
}

fn newest_first(content: &Content, a: usize, b: usize) -> std::cmp::Ordering {
    let (pa, pb) = (&content.pages[a], &content.pages[b]);
    pb.date
        .cmp(&pa.date)
        .then_with(|| pa.doc.path.cmp(&pb.doc.path))
}

fn oldest_first(content: &Content, a: usize, b: usize) -> std::cmp::Ordering {
    let (pa, pb) = (&content.pages[a], &content.pages[b]);
    pa.date
        .cmp(&pb.date)
        .then_with(|| pa.doc.path.cmp(&pb.doc.path))
}

fn order_sections(content: &Content) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut pages = vec![Vec::new(); content.sections.len()];
    for (index, page) in content.pages.iter().enumerate() {
        pages[page.section].push(index);
    }
    for (section, list) in content.sections.iter().zip(pages.iter_mut()) {
        match section.kind {
            SectionKind::News => list.sort_by(|&a, &b| newest_first(content, a, b)),
            SectionKind::Events => list.sort_by(|&a, &b| oldest_first(content, a, b)),
            SectionKind::Pages => list.sort_by(|&a, &b| {
                let (pa, pb) = (&content.pages[a].doc, &content.pages[b].doc);
                (pa.weight.unwrap_or(i64::MAX), &pa.title, &pa.path).cmp(&(
                    pb.weight.unwrap_or(i64::MAX),
                    &pb.title,
                    &pb.path,
                ))
            }),
        }
    }
    let mut subsections = vec![Vec::new(); content.sections.len()];
    for (index, section) in content.sections.iter().enumerate() {
        if let Some(parent) = section.parent {
            subsections[parent].push(index);
        }
    }
    for list in &mut subsections {
        list.sort_by(|&a, &b| {
            let (sa, sb) = (&content.sections[a].doc, &content.sections[b].doc);
            (sa.weight.unwrap_or(i64::MAX), &sa.title)
                .cmp(&(sb.weight.unwrap_or(i64::MAX), &sb.title))
        });
    }
    (pages, subsections)
}

/// Every order but the sections' pages' (given).
fn orders(content: &Content, section_pages: Vec<Vec<usize>>) -> Orders {
    let mut posts: Vec<usize> = (0..content.pages.len())
        .filter(|&i| content.pages[i].kind == PageKind::Post)
        .collect();
    posts.sort_by(|&a, &b| newest_first(content, a, b));
    let mut events: Vec<usize> = (0..content.pages.len())
        .filter(|&i| content.pages[i].kind == PageKind::Event)
        .collect();
    events.sort_by(|&a, &b| oldest_first(content, a, b));
    Orders {
        section_pages,
        posts,
        events,
        tags: collect_tags(content),
    }
}

fn collect_tags(content: &Content) -> Vec<Tag> {
    let mut by_slug: BTreeMap<String, Tag> = BTreeMap::new();
    for (index, page) in content.pages.iter().enumerate() {
        for name in &page.tags {
            let slug = slugs::slugify(name);
            let tag = by_slug.entry(slug.clone()).or_insert_with(|| Tag {
                name: name.clone(),
                slug,
                pages: Vec::new(),
            });
            // Two spellings of one tag ("NGO", "ngo") share a page; the
            // first in sort order names it, so the name is stable.
            if name < &tag.name {
                tag.name = name.clone();
            }
            if tag.pages.last() != Some(&index) {
                tag.pages.push(index);
            }
        }
    }
    let mut tags: Vec<Tag> = by_slug
        .into_values()
        .filter(|t| !t.slug.is_empty())
        .collect();
    for tag in &mut tags {
        tag.pages.sort_by(|&a, &b| newest_first(content, a, b));
    }
    tags
}
