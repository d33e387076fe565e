//! Renders every HTML page of the site with the theme, in parallel. Each
//! render job borrows the site and builds its own small view.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;
use tera::Context;

use crate::diagnostics::Diagnostic;
use crate::frontmatter::SectionKind;
use crate::markdown::Rendered;
use crate::model::{Document, PageKind};
use crate::notices::{self, AccessibilityView, PrivacyView};
use crate::output::OutputFile;
use crate::page_forms;
use crate::scope::{Change, Scope};
use crate::shortcodes::ShortcodeCall;
use crate::site::{self, Orders, Site, NOT_FOUND_PATH, SEARCH_PATH, TAGS_PATH};
use crate::templates::{error_chain, Theme};
use crate::views::{FormView, PageView, PaginatorView, SectionView, SiteView, TagView};

/// How many items the home page lists.
const HOME_NEWS: usize = 5;
const HOME_EVENTS: usize = 5;

/// Templates every theme must have.
pub const REQUIRED_TEMPLATES: &[&str] = &[
    "index.html",
    "page.html",
    "post.html",
    "event.html",
    "section.html",
    "news.html",
    "events.html",
    "tags.html",
    "tag.html",
    "search.html",
    "404.html",
    "redirect.html",
    "shortcodes/events.html",
];

/// Where rendered files go, from many threads at once: into the output
/// folder as they are made, or into memory.
pub type Emit<'e> = &'e (dyn Fn(OutputFile) -> Result<(), Diagnostic> + Sync);

/// Files emitted into memory from many threads, in no particular order
/// (`agora serve` keeps them by path).
#[derive(Default)]
pub struct Gathered(Mutex<Vec<OutputFile>>);

impl Gathered {
    pub fn add(&self, file: OutputFile) -> Result<(), Diagnostic> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(file);
        Ok(())
    }

    pub fn into_files(self) -> Vec<OutputFile> {
        self.0.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One file the renderer makes: a page or a list page.
pub enum Job<'a> {
    Home,
    Page(usize),
    Section {
        index: usize,
        pager: usize,
    },
    Tags,
    Tag {
        index: usize,
        pager: usize,
    },
    Search,
    NotFound,
    Alias {
        file: &'a Path,
        alias: &'a str,
        target: &'a str,
    },
}

/// Every template a page names must exist, as must the theme's required ones.
pub fn check_templates(site: &Site<'_>, theme: &Theme) -> Vec<Diagnostic> {
    let mut problems: Vec<Diagnostic> = REQUIRED_TEMPLATES
        .iter()
        .filter(|name| !theme.has_template(name))
        .map(|name| {
            Diagnostic::new(
                theme.dir.join("templates").join(name),
                "the theme has no such template",
            )
            .hint("every theme needs the templates listed in README.md (\"Theme guide\")")
        })
        .collect();
    problems.extend(check_document_templates(site.documents(), theme));
    problems
}

/// The templates the documents name must exist.
pub fn check_document_templates<'d>(
    documents: impl Iterator<Item = &'d Document>,
    theme: &Theme,
) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for doc in documents {
        if let Some(template) = &doc.template {
            if !theme.has_template(template) {
                problems.push(
                    Diagnostic::new(&doc.file, format!("the template `{template}` does not exist in the theme"))
                        .at_line(doc.line_of("template"))
                        .hint("name a file of themes/<theme>/templates/, e.g. page.html, or remove `template:`"),
                );
            }
        }
    }
    problems
}

/// Where a job's page goes, the template that makes it, and the file
/// named if that fails.
struct Target<'p> {
    path: String,
    template: &'p str,
    file: &'p Path,
}

impl Target<'static> {
    /// A page made from no file of `content/`.
    fn fixed(path: &str, template: &'static str, what: &'static str) -> Self {
        Self {
            path: path.to_owned(),
            template,
            file: Path::new(what),
        }
    }
}

pub struct Renderer<'s> {
    site: &'s Site<'s>,
    theme: &'s Theme,
    base: Context,
}

impl<'s> Renderer<'s> {
    pub fn new(site: &'s Site<'s>, theme: &'s Theme) -> Self {
        let mut base = Context::new();
        base.insert("site", &SiteView::new(site));
        Self { site, theme, base }
    }

    /// Renders `jobs` in parallel, handing each file to `emit` as soon as
    /// it is made. Every page that fails to render is reported; the first
    /// file that `emit` fails on stops the rest.
    pub fn render_to(&self, jobs: &[Job<'s>], emit: Emit<'_>) -> Result<(), Vec<Diagnostic>> {
        let failed: Result<Vec<Option<Diagnostic>>, Diagnostic> = jobs
            .par_iter()
            .map(|job| match self.render(job) {
                Ok(file) => emit(file).map(|()| None),
                Err(problem) => Ok(Some(problem)),
            })
            .collect();
        let problems: Vec<Diagnostic> =
            failed.map_err(|e| vec![e])?.into_iter().flatten().collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Renders `jobs` into memory.
    pub fn render_jobs(&self, jobs: &[Job<'s>]) -> Result<Vec<OutputFile>, Vec<Diagnostic>> {
        let gathered = Gathered::default();
        self.render_to(jobs, &|file| gathered.add(file))?;
        Ok(gathered.into_files())
    }

    /// The pages `scope` makes: everything a build renders, or after an
    /// edit the edited pages and the list pages whose items changed.
    pub fn jobs(&self, scope: &Scope<'_>) -> Vec<Job<'s>> {
        match scope {
            Scope::Whole => self.all_jobs(),
            Scope::Edit { change, before } => self.edit_jobs(change, *before),
        }
    }

    fn all_jobs(&self) -> Vec<Job<'s>> {
        let site = self.site;
        let mut jobs = vec![Job::Home, Job::Tags, Job::Search, Job::NotFound];
        jobs.extend((0..site.content.pages.len()).map(Job::Page));
        for index in 1..site.content.sections.len() {
            for pager in 1..=site.pager_count(index).max(1) {
                jobs.push(Job::Section { index, pager });
            }
        }
        for (index, tag) in site.index.tags.iter().enumerate() {
            for pager in 1..=site.tag_pager_count(tag) {
                jobs.push(Job::Tag { index, pager });
            }
        }
        for doc in site.documents() {
            for alias in &doc.aliases {
                jobs.push(Job::Alias {
                    file: &doc.file,
                    alias,
                    target: &doc.path,
                });
            }
        }
        jobs
    }

    /// After an edit: the edited pages and, when what lists show changed,
    /// the pages that list them.
    fn edit_jobs(&self, change: &Change, before: Option<&Orders>) -> Vec<Job<'s>> {
        let site = self.site;
        let listed = &change.listed;
        let mut jobs: Vec<Job<'s>> = change.edited.iter().map(|&i| Job::Page(i)).collect();
        if !listed.is_empty() {
            // The orders the list pages showed.
            let (section_pages, tags) = match before {
                Some(before) => (&before.section_pages, &before.tags),
                None => (&site.index.section_pages, &site.index.tags),
            };
            jobs.extend([Job::Home, Job::Tags]);
            // Pages whose shortcodes may list the edited ones.
            jobs.extend(
                (0..site.content.pages.len())
                    .filter(|i| {
                        !site.documents.pages[*i].shortcodes.is_empty()
                            && change.edited.binary_search(i).is_err()
                    })
                    .map(Job::Page),
            );
            for (index, shown) in section_pages.iter().enumerate().skip(1) {
                let per_page = match site.pager_count(index) {
                    0 => usize::MAX,
                    _ => site.per_page(index),
                };
                for pager in 1..=site.pager_count(index).max(1) {
                    if !site.documents.sections[index].shortcodes.is_empty()
                        || items_changed(
                            shown,
                            &site.index.section_pages[index],
                            pager,
                            per_page,
                            listed,
                        )
                    {
                        jobs.push(Job::Section { index, pager });
                    }
                }
            }
            for (index, tag) in site.index.tags.iter().enumerate() {
                for pager in 1..=site.tag_pager_count(tag) {
                    if items_changed(
                        &tags[index].pages,
                        &tag.pages,
                        pager,
                        site.config.news_per_page,
                        listed,
                    ) {
                        jobs.push(Job::Tag { index, pager });
                    }
                }
            }
        }
        jobs
    }

    fn render(&self, job: &Job<'s>) -> Result<OutputFile, Diagnostic> {
        let config = self.site.config;
        let mut context = self.base.clone();
        let target = self.target(job, &mut context)?;
        context.insert("current_path", &config.url(&target.path));
        context.insert("current_url", &config.permalink(&target.path));
        // The forms' script goes only where a form is shown.
        context.insert("uses_forms", &self.uses_forms(job));
        self.render_template(&target, &context)
    }

    /// Fills `context` with what the job's template shows; where it goes.
    fn target(&self, job: &Job<'s>, context: &mut Context) -> Result<Target<'s>, Diagnostic> {
        Ok(match job {
            Job::Home => self.home(context)?,
            Job::Page(index) => self.page(context, *index)?,
            Job::Section { index, pager } => self.section(context, *index, *pager)?,
            Job::Tags => self.tags(context),
            Job::Tag { index, pager } => self.tag(context, *index, *pager),
            Job::Search => Target::fixed(SEARCH_PATH, "search.html", "(search page)"),
            Job::NotFound => Target::fixed(NOT_FOUND_PATH, "404.html", "(404 page)"),
            Job::Alias {
                file,
                alias,
                target,
            } => {
                context.insert("target", &self.site.config.permalink(target));
                let alias = if alias.ends_with('/') || alias.ends_with(".html") {
                    (*alias).to_owned()
                } else {
                    format!("{alias}/")
                };
                Target {
                    path: alias,
                    template: "redirect.html",
                    file,
                }
            }
        })
    }

    fn home(&self, context: &mut Context) -> Result<Target<'s>, Diagnostic> {
        let site = self.site;
        let root = &site.content.sections[0];
        let body = self.fill_shortcodes(&site.documents.sections[0], &root.doc.file, "/")?;
        context.insert("page", &PageView::home(site, body));
        let news: Vec<PageView<'_>> = site
            .index
            .posts
            .iter()
            .take(HOME_NEWS)
            .map(|&i| PageView::summary(site, i))
            .collect();
        context.insert("latest_news", &news);
        let upcoming: Vec<PageView<'_>> = self
            .upcoming_events()
            .take(HOME_EVENTS)
            .map(|i| PageView::summary(site, i))
            .collect();
        context.insert("upcoming_events", &upcoming);
        Ok(Target {
            path: "/".to_owned(),
            template: root.doc.template.as_deref().unwrap_or("index.html"),
            file: &root.doc.file,
        })
    }

    fn page(&self, context: &mut Context, index: usize) -> Result<Target<'s>, Diagnostic> {
        let site = self.site;
        let page = &site.content.pages[index];
        let body =
            self.fill_shortcodes(&site.documents.pages[index], &page.doc.file, &page.doc.path)?;
        context.insert("page", &PageView::full(site, index, body));
        let default = match page.kind {
            PageKind::Page => "page.html",
            PageKind::Post => "post.html",
            PageKind::Event => "event.html",
        };
        Ok(Target {
            path: page.doc.path.clone(),
            template: page.doc.template.as_deref().unwrap_or(default),
            file: &page.doc.file,
        })
    }

    fn tags(&self, context: &mut Context) -> Target<'s> {
        let site = self.site;
        let tags: Vec<TagView<'_>> = site
            .index
            .tags
            .iter()
            .map(|t| TagView::new(site, t))
            .collect();
        context.insert("tags", &tags);
        Target::fixed(TAGS_PATH, "tags.html", "(tag index)")
    }

    fn tag(&self, context: &mut Context, index: usize, pager: usize) -> Target<'s> {
        let site = self.site;
        let tag = &site.index.tags[index];
        context.insert("tag", &TagView::new(site, tag));
        let paginator = PaginatorView::new(
            site,
            &tag.path(),
            &tag.pages,
            site.config.news_per_page,
            pager,
        );
        context.insert("paginator", &paginator);
        Target {
            path: site::pager_path(&tag.path(), pager),
            template: "tag.html",
            file: Path::new("(tag pages)"),
        }
    }

    /// Whether the job's page shows a form.
    fn uses_forms(&self, job: &Job<'s>) -> bool {
        let site = self.site;
        let content = site.content;
        match job {
            Job::Home => shows_form(&content.sections[0].doc, &site.documents.sections[0], false),
            Job::Page(index) => {
                let page = &content.pages[*index];
                let is_event = page.kind == PageKind::Event;
                shows_form(&page.doc, &site.documents.pages[*index], is_event)
            }
            Job::Section { index, .. } => shows_form(
                &content.sections[*index].doc,
                &site.documents.sections[*index],
                false,
            ),
            _ => false,
        }
    }

    fn render_template(
        &self,
        target: &Target<'_>,
        context: &Context,
    ) -> Result<OutputFile, Diagnostic> {
        let Target {
            path,
            template,
            file,
        } = target;
        // Into bytes directly: `Tera::render` would check the whole page
        // for UTF-8 again to return a String (4% of a build).
        let mut html = Vec::new();
        self.theme
            .tera
            .render_to(template, context, &mut html)
            .map_err(|error| {
                Diagnostic::new(
                    file,
                    format!(
                        "rendering {path} with template {template} failed: {}",
                        error_chain(&error)
                    ),
                )
                .hint("fix the template, or the value it could not use")
            })?;
        Ok(OutputFile::at(path, html))
    }

    fn section(
        &self,
        context: &mut Context,
        index: usize,
        pager: usize,
    ) -> Result<Target<'s>, Diagnostic> {
        let site = self.site;
        let section = &site.content.sections[index];
        let body = self.fill_shortcodes(
            &site.documents.sections[index],
            &section.doc.file,
            &section.doc.path,
        )?;
        let pages = &site.index.section_pages[index];
        let default = match section.kind {
            SectionKind::News => {
                let paginator =
                    PaginatorView::new(site, &section.doc.path, pages, site.per_page(index), pager);
                context.insert("paginator", &paginator);
                context.insert("section", &SectionView::new(site, index, body, Vec::new()));
                "news.html"
            }
            SectionKind::Events => {
                let (upcoming, past): (Vec<usize>, Vec<usize>) = pages.iter().partition(|&&i| {
                    site.content.pages[i]
                        .event
                        .as_ref()
                        .is_some_and(|e| e.end > site.now)
                });
                let views = |list: &[usize]| {
                    list.iter()
                        .map(|&i| PageView::summary(site, i))
                        .collect::<Vec<_>>()
                };
                context.insert("upcoming", &views(&upcoming));
                // The most recent past event first.
                let past: Vec<usize> = past.into_iter().rev().collect();
                context.insert("past", &views(&past));
                context.insert(
                    "section",
                    &SectionView::new(site, index, body, views(pages)),
                );
                "events.html"
            }
            SectionKind::Pages => {
                let views = pages.iter().map(|&i| PageView::summary(site, i)).collect();
                context.insert("section", &SectionView::new(site, index, body, views));
                "section.html"
            }
        };
        Ok(Target {
            path: site::pager_path(&section.doc.path, pager),
            template: section.doc.template.as_deref().unwrap_or(default),
            file: &section.doc.file,
        })
    }

    fn upcoming_events(&self) -> impl Iterator<Item = usize> + '_ {
        let site = self.site;
        site.index.events.iter().copied().filter(|&i| {
            site.content.pages[i]
                .event
                .as_ref()
                .is_some_and(|e| e.end > site.now)
        })
    }

    /// The page's HTML with each shortcode placeholder replaced by the
    /// theme's rendering of it.
    fn fill_shortcodes(
        &self,
        rendered: &'s Rendered,
        file: &Path,
        path: &str,
    ) -> Result<Cow<'s, str>, Diagnostic> {
        if rendered.shortcodes.is_empty() {
            return Ok(Cow::Borrowed(&rendered.html));
        }
        let mut html = rendered.html.clone();
        for (index, call) in rendered.shortcodes.iter().enumerate() {
            let output = self.shortcode(call, path).map_err(|message| {
                Diagnostic::new(file, message)
                    .at_line(call.line)
                    .hint("fix the shortcode's arguments or the theme's shortcode template")
            })?;
            html = html.replacen(&ShortcodeCall::placeholder(index), &output, 1);
        }
        Ok(Cow::Owned(html))
    }

    /// Events for the `events` shortcode: `when` is upcoming, past or all.
    fn events_for(&self, when: &str, tag: Option<&String>) -> Vec<PageView<'s>> {
        let site = self.site;
        let tag = tag.map(|t| crate::slugs::slugify(t));
        site.index
            .events
            .iter()
            .copied()
            .filter(|&i| {
                let page = &site.content.pages[i];
                let upcoming = page.event.as_ref().is_some_and(|e| e.end > site.now);
                let when_ok = match when {
                    "upcoming" => upcoming,
                    "past" => !upcoming,
                    _ => true,
                };
                let tag_ok = tag.as_ref().is_none_or(|wanted| {
                    page.tags
                        .iter()
                        .any(|t| crate::slugs::slugify(t) == *wanted)
                });
                when_ok && tag_ok
            })
            .map(|i| PageView::summary(site, i))
            .collect()
    }

    fn shortcode(&self, call: &ShortcodeCall, path: &str) -> Result<String, String> {
        let site = self.site;
        let mut context = self.base.clone();
        context.insert("current_path", &site.config.url(path));
        context.insert("args", &call.args);
        if call.name == "events" {
            let when = call.args.get("when").map_or("upcoming", String::as_str);
            context.insert("events", &self.events_for(when, call.args.get("tag")));
            context.insert("when", when);
        }
        if call.name == notices::PRIVACY_SHORTCODE {
            let page_of = |id: &str| {
                site.index
                    .form_pages
                    .get(id)
                    .map(|path| site.config.url(path))
            };
            context.insert(
                "privacy",
                &PrivacyView::new(site.config, site.content, &page_of),
            );
        }
        if call.name == notices::ACCESSIBILITY_SHORTCODE {
            let doc = site.documents().find(|doc| doc.path == path);
            context.insert("accessibility", &AccessibilityView::new(site.config, doc));
        }
        if call.name == page_forms::SHORTCODE {
            // The id was checked while assembling the site.
            let id = call.args.get("id").map_or("", String::as_str);
            context.insert("form", &FormView::new(site, id));
        }
        let template = format!("shortcodes/{}.html", call.name);
        self.theme
            .tera
            .render(&template, &context)
            .map_err(|error| {
                format!(
                    "the shortcode `{}` failed: {}",
                    call.name,
                    error_chain(&error)
                )
            })
    }
}

/// Whether a page shows a form (`form:` in its front matter, which an
/// event only links to, or a `form` shortcode): only then does it load
/// the forms' script.
fn shows_form(doc: &Document, rendered: &Rendered, is_event: bool) -> bool {
    (doc.form.is_some() && !is_event)
        || rendered
            .shortcodes
            .iter()
            .any(|call| call.name == page_forms::SHORTCODE)
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
    let start = (pager - 1).saturating_mul(per_page);
    let shown = page_of(after, start, per_page);
    page_of(before, start, per_page) != shown || shown.iter().any(|index| listed.contains(index))
}

/// `per_page` items from `start` (fewer at the end).
fn page_of(items: &[usize], start: usize, per_page: usize) -> &[usize] {
    let start = start.min(items.len());
    &items[start..start.saturating_add(per_page).min(items.len())]
}
