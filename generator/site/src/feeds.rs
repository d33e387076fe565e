//! The machine-readable outputs: the Atom feed of news, the sitemap,
//! robots.txt and iCalendar files (the search index is `search`'s). Each is made by a
//! library that knows its format; each is deterministic (no clock: dates
//! come from the content).

use std::io::Cursor;

use atom_syndication::{Entry, Feed, Link, Person, Text};
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use icalendar::{Calendar, Component, EventLike, EventStatus as IcalStatus};
use quick_xml::events::{BytesDecl, Event};
use quick_xml::Writer;
use rayon::prelude::*;

use crate::frontmatter::EventStatus;
use crate::model::{Page, PageKind};
use crate::output::OutputFile;
use crate::scope::Scope;
use crate::site::{self, Site, CALENDAR_PATH, FEED_PATH, ROBOTS_PATH, SITEMAP_PATH};

/// How many posts the feed carries: readers' apps want the recent ones.
const FEED_ENTRIES: usize = 30;
const CALENDAR_PRODID: &str = "-//Agora//Agora site generator//PL";

/// The files of this module that `scope` makes: all of them for a build;
/// after an edit, those that show what changed.
pub fn files(site: &Site<'_>, scope: &Scope<'_>) -> Result<Vec<OutputFile>, String> {
    let Scope::Edit { change, .. } = scope else {
        return all(site);
    };
    if change.listed.is_empty() {
        return Ok(Vec::new());
    }
    // robots.txt shows no page; the sitemap shows dates, not titles.
    let mut files = vec![feed(site)];
    if change.dated {
        files.push(sitemap_file(site)?);
    }
    let mut events: Vec<usize> = change
        .listed
        .iter()
        .copied()
        .filter(|&index| site.content.pages[index].kind == PageKind::Event)
        .collect();
    if !events.is_empty() {
        events.sort_unstable();
        files.push(site_calendar(site));
        files.extend(events.iter().map(|&index| event_calendar(site, index)));
    }
    Ok(files)
}

fn all(site: &Site<'_>) -> Result<Vec<OutputFile>, String> {
    let mut files = vec![
        feed(site),
        sitemap_file(site)?,
        OutputFile::at(ROBOTS_PATH, robots(site).into_bytes()),
        site_calendar(site),
    ];
    files.par_extend(
        site.index
            .events
            .par_iter()
            .map(|&index| event_calendar(site, index)),
    );
    Ok(files)
}

/// The Atom feed of the latest news.
fn feed(site: &Site<'_>) -> OutputFile {
    OutputFile::at(FEED_PATH, atom(site).into_bytes())
}

/// The sitemap: every page's URL, with the date it last changed.
fn sitemap_file(site: &Site<'_>) -> Result<OutputFile, String> {
    Ok(OutputFile::at(SITEMAP_PATH, sitemap(site)?))
}

/// The calendar of every event.
fn site_calendar(site: &Site<'_>) -> OutputFile {
    OutputFile::at(
        CALENDAR_PATH,
        calendar(site, &site.index.events).into_bytes(),
    )
}

/// The iCalendar file of the event page `index`.
fn event_calendar(site: &Site<'_>, index: usize) -> OutputFile {
    let path = site::ics_path(&site.content.pages[index].doc.path);
    OutputFile::at(&path, calendar(site, &[index]).into_bytes())
}

/// The moment a page last changed, for feeds and sitemaps.
fn last_change(page: &Page) -> Option<DateTime<Utc>> {
    let updated = page
        .doc
        .updated
        .map(|d| Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)));
    let published = page.date.map(|d| d.with_timezone(&Utc));
    updated.max(published)
}

fn atom(site: &Site<'_>) -> String {
    let config = site.config;
    let entries: Vec<Entry> = site
        .index
        .posts
        .iter()
        .take(FEED_ENTRIES)
        .map(|&index| {
            let page = &site.content.pages[index];
            let permalink = config.permalink(&page.doc.path);
            let published = page.date.map(|d| d.fixed_offset());
            let updated = page
                .doc
                .updated
                .and_then(|d| {
                    config
                        .timezone
                        .from_local_datetime(&d.and_time(NaiveTime::MIN))
                        .earliest()
                })
                .map(|d| d.fixed_offset())
                .max(published)
                .unwrap_or_default();
            Entry {
                title: Text::plain(page.doc.title.clone()),
                id: permalink.clone(),
                updated,
                published,
                links: vec![Link {
                    href: permalink,
                    rel: "alternate".to_owned(),
                    mime_type: Some("text/html".to_owned()),
                    ..Link::default()
                }],
                summary: Some(Text::html(site.documents.pages[index].summary.clone())),
                ..Entry::default()
            }
        })
        .collect();
    let updated = entries.iter().map(|e| e.updated).max().unwrap_or_default();
    let feed = Feed {
        title: Text::plain(config.title.clone()),
        subtitle: Some(Text::plain(config.description.clone())),
        id: config.permalink(FEED_PATH),
        updated,
        authors: vec![Person {
            name: config.title.clone(),
            ..Person::default()
        }],
        links: vec![
            Link {
                href: config.permalink(FEED_PATH),
                rel: "self".to_owned(),
                mime_type: Some("application/atom+xml".to_owned()),
                ..Link::default()
            },
            Link {
                href: config.permalink("/"),
                rel: "alternate".to_owned(),
                mime_type: Some("text/html".to_owned()),
                ..Link::default()
            },
        ],
        lang: Some(config.language.clone()),
        entries,
        ..Feed::default()
    };
    feed.to_string()
}

fn sitemap(site: &Site<'_>) -> Result<Vec<u8>, String> {
    let config = site.config;
    let mut urls: Vec<(String, Option<String>)> = Vec::new();
    for (index, section) in site.content.sections.iter().enumerate() {
        urls.push((
            config.permalink(&section.doc.path),
            section.doc.updated.map(|d| d.to_string()),
        ));
        for n in 2..=site.pager_count(index) {
            urls.push((
                config.permalink(&site::pager_path(&section.doc.path, n)),
                None,
            ));
        }
    }
    for page in &site.content.pages {
        let lastmod = last_change(page).map(|d| {
            d.with_timezone(&config.timezone)
                .format("%Y-%m-%d")
                .to_string()
        });
        urls.push((config.permalink(&page.doc.path), lastmod));
    }
    urls.push((config.permalink(site::TAGS_PATH), None));
    for tag in &site.index.tags {
        urls.push((config.permalink(&tag.path()), None));
    }
    urls.sort();

    let mut writer = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
    let xml_error = |e: std::io::Error| format!("cannot write the sitemap: {e}");
    writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(xml_error)?;
    writer
        .create_element("urlset")
        .with_attribute(("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9"))
        .write_inner_content(|w| {
            for (loc, lastmod) in &urls {
                w.create_element("url").write_inner_content(|w| {
                    w.create_element("loc")
                        .write_text_content(quick_xml::events::BytesText::new(loc))?;
                    if let Some(lastmod) = lastmod {
                        w.create_element("lastmod")
                            .write_text_content(quick_xml::events::BytesText::new(lastmod))?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })
        .map_err(xml_error)?;
    let mut bytes = writer.into_inner().into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}

fn robots(site: &Site<'_>) -> String {
    format!(
        "User-agent: *\nAllow: /\nSitemap: {}\n",
        site.config.permalink(SITEMAP_PATH)
    )
}

/// The calendar of `events` (page indices).
fn calendar(site: &Site<'_>, events: &[usize]) -> String {
    let config = site.config;
    let host = config
        .base_url
        .split_once("://")
        .map_or(config.base_url.as_str(), |(_, rest)| {
            rest.split('/').next().unwrap_or(rest)
        });
    let mut calendar = Calendar::empty();
    calendar.append_property(("VERSION", "2.0"));
    calendar.append_property(("PRODID", CALENDAR_PRODID));
    calendar.append_property(("CALSCALE", "GREGORIAN"));
    calendar.name(&config.title);
    for &index in events {
        let page = &site.content.pages[index];
        let Some(event) = &page.event else { continue };
        let slug = page.doc.path.trim_matches('/').replace('/', "-");
        let mut entry = icalendar::Event::new();
        entry
            .uid(&format!("{slug}@{host}"))
            .summary(&page.doc.title)
            .starts(event.start.with_timezone(&Utc))
            .ends(event.end.with_timezone(&Utc))
            .url(&config.permalink(&page.doc.path))
            // DTSTAMP must be stable for same-bytes builds: the last
            // change of the page stands for "when this was issued".
            .timestamp(last_change(page).unwrap_or_default())
            .status(match event.status {
                EventStatus::Planned | EventStatus::Moved => IcalStatus::Confirmed,
                EventStatus::Cancelled => IcalStatus::Cancelled,
            });
        let location = match (&event.place, &event.online) {
            (Some(place), _) => place.clone(),
            (None, Some(online)) => online.clone(),
            (None, None) => String::new(),
        };
        if !location.is_empty() {
            entry.location(&location);
        }
        let mut description = site.documents.pages[index].summary_text.clone();
        if let Some(reason) = &event.status_reason {
            description = format!("{reason}\n\n{description}");
        }
        if !description.trim().is_empty() {
            entry.description(description.trim());
        }
        calendar.push(entry.done());
    }
    calendar.to_string()
}
