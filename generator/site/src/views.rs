//! What templates see: read-only views that borrow the model. Each is
//! serialised once per render, so list views carry summaries, never whole
//! pages, and no view grows with the size of the site.

use std::borrow::Cow;
use std::collections::BTreeMap;

use agora_core::forms::html::{render_form, FormLinks, PRIVACY_POLICY_PATH};
use agora_core::forms::{Allocation, FormState, Submission};
use agora_core::polish::count_pl;
use serde::Serialize;

use crate::config::Contact;
use crate::frontmatter::{EventStatus, EventType};
use crate::markdown::TocEntry;
use crate::model::{Document, Page, PageKind};
use crate::site::{self, Site, Tag, CALENDAR_PATH, FEED_PATH};

/// The longest default description, in characters: what search engines show.
const DESCRIPTION_LIMIT: usize = 160;

#[derive(Debug, Serialize)]
pub struct LinkView<'a> {
    pub title: &'a str,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub base_url: &'a str,
    pub language: &'a str,
    pub menu: Vec<LinkView<'a>>,
    pub contact: &'a Contact,
    pub feed_url: String,
    pub calendar_url: String,
    pub extra: &'a BTreeMap<String, serde_json::Value>,
}

impl<'a> SiteView<'a> {
    pub fn new(site: &'a Site<'a>) -> Self {
        let config = site.config;
        Self {
            title: &config.title,
            description: &config.description,
            base_url: &config.base_url,
            language: &config.language,
            menu: config
                .menu
                .iter()
                .map(|item| LinkView {
                    title: &item.title,
                    url: link_href(site, &item.url),
                })
                .collect(),
            contact: &config.contact,
            feed_url: config.url(FEED_PATH),
            calendar_url: config.url(CALENDAR_PATH),
            extra: &config.extra,
        }
    }
}

/// A link as written by an editor, as it goes into HTML: site paths get
/// the base path, `@/file.md` becomes the file's URL.
fn link_href(site: &Site<'_>, dest: &str) -> String {
    if let Some(reference) = dest.strip_prefix("@/") {
        let (file, anchor) = reference
            .split_once('#')
            .map_or((reference, ""), |(f, a)| (f, a));
        // Links were checked while assembling the site: the file exists.
        let path = site
            .index
            .content_urls
            .get(file)
            .map_or("/", String::as_str);
        let anchor = if anchor.is_empty() {
            String::new()
        } else {
            format!("#{anchor}")
        };
        return site.config.url(&format!("{path}{anchor}"));
    }
    if dest.starts_with('/') && !dest.starts_with("//") {
        return site.config.url(dest);
    }
    dest.to_owned()
}

#[derive(Debug, Serialize)]
pub struct TagView<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub url: String,
    pub count: usize,
}

impl<'a> TagView<'a> {
    pub fn new(site: &Site<'_>, tag: &'a Tag) -> Self {
        Self {
            name: &tag.name,
            slug: &tag.slug,
            url: site.config.url(&tag.path()),
            count: tag.pages.len(),
        }
    }
}

/// A tag as a page lists it.
#[derive(Debug, Serialize)]
pub struct TagRef<'a> {
    pub name: &'a str,
    pub slug: String,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct EventView<'a> {
    pub start: String,
    pub end: String,
    pub timezone: &'static str,
    pub event_type: EventType,
    pub place: Option<&'a str>,
    pub online: Option<&'a str>,
    pub status: EventStatus,
    pub status_reason: Option<&'a str>,
    pub registration: Option<String>,
    pub ics_url: String,
    pub upcoming: bool,
}

#[derive(Debug, Serialize)]
pub struct PageView<'a> {
    pub title: &'a str,
    pub description: Cow<'a, str>,
    pub url: String,
    pub permalink: String,
    /// Only on the page's own render, not in lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Cow<'a, str>>,
    pub summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toc: Option<&'a [TocEntry]>,
    pub kind: &'static str,
    pub date: Option<String>,
    pub updated: Option<String>,
    pub tags: Vec<TagRef<'a>>,
    pub breadcrumbs: Vec<LinkView<'a>>,
    pub event: Option<EventView<'a>>,
    /// The form the page names (`form:`), on its own render only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<FormView<'a>>,
}

impl<'a> PageView<'a> {
    /// The view of page `index` for lists: no content, no TOC.
    pub fn summary(site: &'a Site<'a>, index: usize) -> Self {
        let page = &site.content.pages[index];
        let rendered = &site.documents.pages[index];
        Self {
            title: &page.doc.title,
            description: description(&page.doc, &rendered.summary_text, site),
            url: site.config.url(&page.doc.path),
            permalink: site.config.permalink(&page.doc.path),
            content: None,
            summary: &rendered.summary,
            toc: None,
            kind: kind_name(page.kind),
            date: page.date.map(|d| d.format("%Y-%m-%d").to_string()),
            updated: page.doc.updated.map(|d| d.to_string()),
            tags: page
                .tags
                .iter()
                .map(|name| {
                    let slug = crate::slugs::slugify(name);
                    TagRef {
                        name,
                        url: site.config.url(&format!("{}{slug}/", site::TAGS_PATH)),
                        slug,
                    }
                })
                .collect(),
            breadcrumbs: Vec::new(),
            event: event_view(site, page),
            form: None,
        }
    }

    /// The view of page `index` for its own render.
    pub fn full(site: &'a Site<'a>, index: usize, content: Cow<'a, str>) -> Self {
        let page = &site.content.pages[index];
        Self {
            content: Some(content),
            toc: Some(&site.documents.pages[index].toc),
            breadcrumbs: breadcrumbs(site, Some(page.section)),
            form: form_view(site, &page.doc),
            ..Self::summary(site, index)
        }
    }

    /// The home page: the root section's `_index.md`.
    pub fn home(site: &'a Site<'a>, content: Cow<'a, str>) -> Self {
        let doc = &site.content.sections[0].doc;
        let rendered = &site.documents.sections[0];
        Self {
            title: &doc.title,
            description: description(doc, &rendered.summary_text, site),
            url: site.config.url("/"),
            permalink: site.config.permalink("/"),
            content: Some(content),
            summary: &rendered.summary,
            toc: Some(&rendered.toc),
            kind: "home",
            date: None,
            updated: doc.updated.map(|d| d.to_string()),
            tags: Vec::new(),
            breadcrumbs: Vec::new(),
            event: None,
            form: form_view(site, doc),
        }
    }
}

fn form_view<'a>(site: &'a Site<'a>, doc: &Document) -> Option<FormView<'a>> {
    FormView::new(site, doc.form.as_deref()?)
}

fn kind_name(kind: PageKind) -> &'static str {
    match kind {
        PageKind::Page => "page",
        PageKind::Post => "post",
        PageKind::Event => "event",
    }
}

fn event_view<'a>(site: &'a Site<'a>, page: &'a Page) -> Option<EventView<'a>> {
    let event = page.event.as_ref()?;
    Some(EventView {
        start: event.start.to_rfc3339(),
        end: event.end.to_rfc3339(),
        timezone: event.timezone.name(),
        event_type: event.event_type,
        place: event.place.as_deref(),
        online: event.online.as_deref(),
        status: event.status,
        status_reason: event.status_reason.as_deref(),
        registration: event.registration.as_deref().map(|r| link_href(site, r)),
        ics_url: site.config.url(&site::ics_path(&page.doc.path)),
        upcoming: event.end > site.now,
    })
}

/// The editor's description, else the start of the summary, else the site's.
fn description<'a>(doc: &'a Document, summary_text: &'a str, site: &'a Site<'a>) -> Cow<'a, str> {
    if let Some(description) = &doc.description {
        return Cow::Borrowed(description);
    }
    if summary_text.is_empty() {
        return Cow::Borrowed(&site.config.description);
    }
    if summary_text.chars().count() <= DESCRIPTION_LIMIT {
        return Cow::Borrowed(summary_text);
    }
    let cut: String = summary_text.chars().take(DESCRIPTION_LIMIT - 1).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    Cow::Owned(format!("{}…", cut.trim_end_matches([',', '.', ';', ':'])))
}

/// Home first, then each section above `section`, then `section` itself.
pub fn breadcrumbs<'a>(site: &'a Site<'a>, section: Option<usize>) -> Vec<LinkView<'a>> {
    let mut chain = Vec::new();
    let mut current = section;
    while let Some(index) = current {
        let s = &site.content.sections[index];
        chain.push(LinkView {
            title: if index == 0 {
                "Strona główna"
            } else {
                &s.doc.title
            },
            url: site.config.url(&s.doc.path),
        });
        current = s.parent;
    }
    chain.reverse();
    chain
}

#[derive(Debug, Serialize)]
pub struct SubsectionView<'a> {
    pub title: &'a str,
    pub url: String,
    pub description: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct SectionView<'a> {
    pub title: &'a str,
    pub description: Cow<'a, str>,
    pub url: String,
    pub permalink: String,
    pub content: Cow<'a, str>,
    pub kind: crate::frontmatter::SectionKind,
    pub breadcrumbs: Vec<LinkView<'a>>,
    pub subsections: Vec<SubsectionView<'a>>,
    pub pages: Vec<PageView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<FormView<'a>>,
}

impl<'a> SectionView<'a> {
    pub fn new(
        site: &'a Site<'a>,
        index: usize,
        content: Cow<'a, str>,
        pages: Vec<PageView<'a>>,
    ) -> Self {
        let section = &site.content.sections[index];
        Self {
            title: &section.doc.title,
            description: description(
                &section.doc,
                &site.documents.sections[index].summary_text,
                site,
            ),
            url: site.config.url(&section.doc.path),
            permalink: site.config.permalink(&section.doc.path),
            content,
            kind: section.kind,
            breadcrumbs: breadcrumbs(site, section.parent),
            subsections: site.index.subsections[index]
                .iter()
                .map(|&sub| {
                    let doc = &site.content.sections[sub].doc;
                    SubsectionView {
                        title: &doc.title,
                        url: site.config.url(&doc.path),
                        description: doc.description.as_deref(),
                    }
                })
                .collect(),
            pages,
            form: form_view(site, &section.doc),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PaginatorView<'a> {
    pub pages: Vec<PageView<'a>>,
    pub current_index: usize,
    pub number_pagers: usize,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub first: String,
    pub last: String,
}

impl<'a> PaginatorView<'a> {
    /// List page `n` (from 1) of `items` at `path`, `per_page` to a page.
    pub fn new(site: &'a Site<'a>, path: &str, items: &[usize], per_page: usize, n: usize) -> Self {
        let count = items.len().div_ceil(per_page).max(1);
        let url = |k: usize| site.config.url(&site::pager_path(path, k));
        Self {
            pages: items
                .iter()
                .skip((n - 1) * per_page)
                .take(per_page)
                .map(|&i| PageView::summary(site, i))
                .collect(),
            current_index: n,
            number_pagers: count,
            previous: (n > 1).then(|| url(n - 1)),
            next: (n < count).then(|| url(n + 1)),
            first: url(1),
            last: url(count),
        }
    }
}

/// What templates see of a form: its facts in Polish, its state at the
/// build's moment, and its HTML while it can still be sent. The page's
/// script then asks the form functions for the live state.
#[derive(Debug, Serialize)]
pub struct FormView<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub state: FormState,
    pub allocation: Allocation,
    pub opens: String,
    /// `None` while no closing date is known.
    pub closes: Option<String>,
    /// "19 lutego 2020, 09:00", or "4 kwietnia 2023" for a day alone.
    pub opens_pl: String,
    pub closes_pl: Option<String>,
    pub capacity: Option<u32>,
    /// "60 miejsc".
    pub capacity_pl: Option<String>,
    pub cancelled: Option<&'a str>,
    /// The functions' JSON status of the form.
    pub status_url: String,
    /// The page that shows the form.
    pub page_url: Option<String>,
    /// The form itself, before it closes.
    pub html: Option<String>,
}

impl<'a> FormView<'a> {
    /// The view of form `id`; `None` for an unknown id (checked earlier).
    pub fn new(site: &'a Site<'a>, id: &str) -> Option<Self> {
        let form = site.content.forms.iter().find(|f| f.id == id)?;
        let state = form.state_at(&site.now);
        // From the site's domain root: on AWS CloudFront sends it to the
        // API, under `agora serve` the same server answers it.
        let action = agora_core::routes::form(&form.id);
        let privacy_policy = site.config.url(PRIVACY_POLICY_PATH);
        let html = matches!(state, FormState::Upcoming | FormState::Open).then(|| {
            let links = FormLinks {
                action: &action,
                privacy_policy: &privacy_policy,
            };
            render_form(form, links, &Submission::default(), &[])
        });
        Some(Self {
            id: &form.id,
            title: &form.title,
            description: form.description.as_deref(),
            state,
            allocation: form.allocation,
            opens: form.opens.machine(),
            closes: form.closes.map(|closes| closes.machine()),
            opens_pl: form.opens.pl(),
            closes_pl: form.closes.map(|closes| closes.pl()),
            capacity: form.capacity,
            capacity_pl: form
                .capacity
                .map(|n| count_pl(i64::from(n), "miejsce", "miejsca", "miejsc")),
            cancelled: form.cancelled.as_deref(),
            status_url: action,
            page_url: site
                .index
                .form_pages
                .get(id)
                .map(|path| site.config.url(path)),
            html,
        })
    }
}
