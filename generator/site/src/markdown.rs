//! Markdown to HTML, in one place: the options, heading ids, the table of
//! contents, the summary, the links to check and the shortcodes to fill.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{html, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use serde::Serialize;

use crate::shortcodes::{self, ShortcodeCall};
use crate::slugs::slugify;

const MORE_MARKER: &str = "<!-- more -->";
/// The plain text kept per page for the search index: enough to find a
/// page by its words without the index growing with long pages.
const SEARCH_TEXT_LIMIT: usize = 3000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
    pub children: Vec<TocEntry>,
}

/// A link found in the Markdown, as the editor wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRef {
    pub dest: String,
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    /// The teaser, as HTML: before `<!-- more -->`, else the first paragraph.
    pub summary: String,
    /// The summary as plain text: the default page description.
    pub summary_text: String,
    pub toc: Vec<TocEntry>,
    pub anchors: HashSet<String>,
    pub links: Vec<LinkRef>,
    pub shortcodes: Vec<ShortcodeCall>,
    /// Plain text, for the search index.
    pub text: String,
}

/// How links are written into the HTML: `@/file.md` references become
/// site URLs, relative links become site paths (a summary shown on a list
/// page must point where it pointed on its own page), and site paths get
/// the base path in front.
pub struct LinkRewriter<'a> {
    pub base_path: &'a str,
    /// Content file (`kontakt.md`, relative to `content/`) -> site path.
    pub content_urls: &'a HashMap<String, String>,
    /// The site path of the page being rendered.
    pub page_path: &'a str,
}

impl LinkRewriter<'_> {
    /// The site path a link points to, if it points inside the site:
    /// `Ok(Some(path#anchor))`, `Ok(None)` for external links, `Err` for
    /// a file reference to no file.
    fn site_path(&self, dest: &str) -> Result<Option<String>, ()> {
        if let Some(reference) = dest.strip_prefix("@/") {
            let (file, anchor) = split_anchor(reference);
            let path = self.content_urls.get(file).ok_or(())?;
            return Ok(Some(format!("{path}{anchor}")));
        }
        if dest.starts_with('/') && !dest.starts_with("//") {
            return Ok(Some(dest.to_owned()));
        }
        if dest.is_empty() || dest.starts_with('#') || dest.starts_with('?') || is_external(dest) {
            return Ok(None);
        }
        let (path, suffix) = dest
            .find(['#', '?'])
            .map_or((dest, ""), |i| dest.split_at(i));
        Ok(Some(format!("{}{suffix}", resolve(self.page_path, path))))
    }

    fn href<'e>(&self, dest: CowStr<'e>) -> CowStr<'e> {
        match self.site_path(&dest) {
            Ok(Some(path)) if self.base_path != "/" || !dest.starts_with('/') => {
                CowStr::from(format!("{}{path}", self.base_path.trim_end_matches('/')))
            }
            _ => dest,
        }
    }
}

pub(crate) fn is_external(dest: &str) -> bool {
    dest.starts_with("//")
        || dest.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
}

/// Resolves a relative link against the page at `from` (a directory path).
pub(crate) fn resolve(from: &str, link: &str) -> String {
    if link.starts_with('/') {
        return link.to_owned();
    }
    let mut parts: Vec<&str> = from.split('/').filter(|p| !p.is_empty()).collect();
    let ends_with_slash = link.ends_with('/');
    for part in link.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut path = format!("/{}", parts.join("/"));
    if ends_with_slash && path != "/" {
        path.push('/');
    }
    path
}

fn split_anchor(dest: &str) -> (&str, &str) {
    dest.find('#').map_or((dest, ""), |i| dest.split_at(i))
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Replaces shortcode lines (outside code blocks) by placeholders, one line
/// for one line so that line numbers stay true.
fn extract_shortcodes(
    body: &str,
    first_line: usize,
) -> (String, Vec<ShortcodeCall>, Vec<(usize, String)>) {
    let mut out = String::with_capacity(body.len());
    let mut calls = Vec::new();
    let mut errors = Vec::new();
    let mut fence: Option<&str> = None;
    for (index, line) in body.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_start();
        let line_number = first_line + index;
        match fence {
            Some(open) if trimmed.starts_with(open) => fence = None,
            Some(_) => {}
            None if trimmed.starts_with("```") => fence = Some("```"),
            None if trimmed.starts_with("~~~") => fence = Some("~~~"),
            None => match shortcodes::parse_line(line, line_number) {
                Ok(Some(call)) => {
                    out.push_str(&ShortcodeCall::placeholder(calls.len()));
                    out.push('\n');
                    calls.push(call);
                    continue;
                }
                Ok(None) => {}
                Err(message) => errors.push((line_number, message)),
            },
        }
        out.push_str(line);
    }
    (out, calls, errors)
}

/// Renders a page body that starts on line `first_line` of its file.
/// Errors are (line, message) pairs.
pub fn render(
    body: &str,
    first_line: usize,
    links: &LinkRewriter<'_>,
) -> Result<Rendered, Vec<(usize, String)>> {
    let (text, shortcodes, errors) = extract_shortcodes(body, first_line);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut walk = Walk::new(&text, first_line, links);
    for (event, range) in Parser::new_ext(&text, options()).into_offset_iter() {
        walk.event(event, range.start);
    }
    Ok(walk.finish(shortcodes, text.len()))
}

/// The line of the file each byte offset of a body is on.
struct LineIndex {
    first_line: usize,
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str, first_line: usize) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { first_line, starts }
    }

    fn at(&self, offset: usize) -> usize {
        self.first_line + self.starts.partition_point(|&start| start <= offset) - 1
    }
}

/// One pass over the parser's events: rewrites the links, drops the
/// `<!-- more -->` marker, and notes what the page needs besides its HTML
/// (links to check, headings to name, the teaser's end, the plain text).
struct Walk<'t, 'l> {
    links: &'l LinkRewriter<'l>,
    lines: LineIndex,
    events: Vec<Event<'t>>,
    found_links: Vec<LinkRef>,
    /// (event index, level)
    headings: Vec<(usize, u8)>,
    more_at: Option<usize>,
    depth: usize,
    skip_block_end: bool,
    footnotes: Vec<String>,
    plain: String,
}

impl<'t, 'l> Walk<'t, 'l> {
    fn new(text: &str, first_line: usize, links: &'l LinkRewriter<'l>) -> Self {
        Self {
            links,
            lines: LineIndex::new(text, first_line),
            events: Vec::new(),
            found_links: Vec::new(),
            headings: Vec::new(),
            more_at: None,
            depth: 0,
            skip_block_end: false,
            footnotes: Vec::new(),
            plain: String::new(),
        }
    }

    /// Takes the event that starts at byte `offset` of the body.
    fn event(&mut self, event: Event<'t>, offset: usize) {
        let event = match event {
            Event::Start(tag) => Event::Start(self.start(tag, offset)),
            Event::Html(ref html) if self.is_more_marker(html) => {
                self.drop_more_marker();
                return;
            }
            Event::End(TagEnd::HtmlBlock) if self.skip_block_end => {
                self.skip_block_end = false;
                return;
            }
            Event::Html(ref raw) | Event::InlineHtml(ref raw) => {
                let line = self.lines.at(offset);
                let found = html_links(raw).map(|dest| LinkRef { dest, line });
                self.found_links.extend(found);
                event
            }
            Event::Text(ref t) | Event::Code(ref t) => {
                self.add_plain(t);
                event
            }
            other => other,
        };
        match &event {
            Event::Start(_) => self.depth += 1,
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        self.events.push(event);
    }

    fn start(&mut self, tag: Tag<'t>, offset: usize) -> Tag<'t> {
        match tag {
            Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            } => {
                if !matches!(link_type, LinkType::Email | LinkType::Autolink) {
                    self.found_link(&dest_url, offset);
                }
                Tag::Link {
                    link_type,
                    dest_url: self.links.href(dest_url),
                    title,
                    id,
                }
            }
            Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            } => {
                self.found_link(&dest_url, offset);
                Tag::Image {
                    link_type,
                    dest_url: self.links.href(dest_url),
                    title,
                    id,
                }
            }
            Tag::Heading { level, .. } => {
                self.headings
                    .push((self.events.len(), heading_level(level)));
                tag
            }
            Tag::FootnoteDefinition(ref label) => {
                self.footnotes.push(label.to_string());
                tag
            }
            other => other,
        }
    }

    fn found_link(&mut self, dest: &str, offset: usize) {
        self.found_links.push(LinkRef {
            dest: dest.to_owned(),
            line: self.lines.at(offset),
        });
    }

    /// The marker on its own line is an HTML block at the top level.
    fn is_more_marker(&self, html: &str) -> bool {
        self.depth == 1
            && html.trim() == MORE_MARKER
            && matches!(self.events.last(), Some(Event::Start(Tag::HtmlBlock)))
    }

    /// Drops the marker's block and remembers where the teaser ends.
    fn drop_more_marker(&mut self) {
        self.events.pop();
        self.more_at.get_or_insert(self.events.len());
        self.skip_block_end = true;
        self.depth = 0;
    }

    fn add_plain(&mut self, text: &str) {
        if self.plain.len() < SEARCH_TEXT_LIMIT {
            if !self.plain.is_empty() {
                self.plain.push(' ');
            }
            self.plain.push_str(text);
        }
    }

    /// The page: its HTML with heading ids, the summary, the TOC.
    fn finish(mut self, shortcodes: Vec<ShortcodeCall>, text_len: usize) -> Rendered {
        let (toc_flat, anchors) =
            assign_heading_ids(&mut self.events, &self.headings, self.footnotes);
        let summary_events: &[Event<'_>] = match self.more_at {
            Some(end) => &self.events[..end],
            None => first_paragraph(&self.events),
        };
        let mut summary = String::new();
        html::push_html(&mut summary, summary_events.iter().cloned());
        let summary_text = plain_text(summary_events);
        let mut html_out = String::with_capacity(text_len * 3 / 2);
        html::push_html(&mut html_out, self.events.into_iter());
        let mut plain = self.plain;
        truncate_at_char(&mut plain, SEARCH_TEXT_LIMIT);
        // Every document's text is kept for the whole build (and by `agora
        // serve` between edits): without the room it grew into, a 10,000-post
        // site's peak memory is some 20 MB smaller.
        html_out.shrink_to_fit();
        plain.shrink_to_fit();
        Rendered {
            html: html_out,
            summary,
            summary_text,
            toc: nest_toc(toc_flat),
            anchors,
            links: self.found_links,
            shortcodes,
            text: plain,
        }
    }
}

/// Renders a short piece of Markdown (an explicit summary): (HTML, plain text).
pub fn render_summary(text: &str) -> (String, String) {
    let events: Vec<Event<'_>> = Parser::new_ext(text, options()).collect();
    let mut out = String::new();
    html::push_html(&mut out, events.iter().cloned());
    (out, plain_text(&events))
}

fn plain_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for event in events {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph) => text.push(' '),
            _ => {}
        }
    }
    text.trim().to_owned()
}

/// The `href` and `src` values of raw HTML an editor wrote, so that its
/// links are checked like Markdown links.
fn html_links(raw: &str) -> impl Iterator<Item = String> + '_ {
    ["href=", "src="].into_iter().flat_map(move |attribute| {
        raw.match_indices(attribute).filter_map(move |(at, _)| {
            let preceded_by_space = raw[..at].ends_with(|c: char| c.is_ascii_whitespace());
            let rest = &raw[at + attribute.len()..];
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let value = &rest[1..];
            let end = value.find(quote)?;
            preceded_by_space.then(|| value[..end].to_owned())
        })
    })
}

fn heading_level(level: HeadingLevel) -> u8 {
    level as u8
}

fn first_paragraph<'e>(events: &'e [Event<'e>]) -> &'e [Event<'e>] {
    let start = events
        .iter()
        .position(|e| matches!(e, Event::Start(Tag::Paragraph)));
    let Some(start) = start else { return &[] };
    let mut depth = 0usize;
    for (offset, event) in events[start..].iter().enumerate() {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    return &events[start..=start + offset];
                }
            }
            _ => {}
        }
    }
    &events[start..]
}

/// Gives every heading an id (explicit `{#id}` kept, else the slug of its
/// text, made unique within the page and apart from the footnotes' ids)
/// and returns the flat TOC and every id of the page.
fn assign_heading_ids(
    events: &mut [Event<'_>],
    headings: &[(usize, u8)],
    footnotes: Vec<String>,
) -> (Vec<TocEntry>, HashSet<String>) {
    let mut used: HashSet<String> = footnotes.into_iter().collect();
    let mut toc = Vec::with_capacity(headings.len());
    for &(index, level) in headings {
        let title = heading_text(&events[index + 1..]);
        let Event::Start(Tag::Heading { id, .. }) = &mut events[index] else {
            continue;
        };
        let base = match id {
            Some(explicit) => explicit.to_string(),
            None => {
                let slug = slugify(&title);
                if slug.is_empty() {
                    "sekcja".to_owned()
                } else {
                    slug
                }
            }
        };
        let mut unique = base.clone();
        let mut n = 1;
        while used.contains(&unique) {
            unique = format!("{base}-{n}");
            n += 1;
        }
        used.insert(unique.clone());
        *id = Some(CowStr::from(unique.clone()));
        toc.push(TocEntry {
            level,
            id: unique,
            title,
            children: Vec::new(),
        });
    }
    (toc, used)
}

fn heading_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for event in events {
        match event {
            Event::End(TagEnd::Heading(_)) => break,
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            _ => {}
        }
    }
    text.trim().to_owned()
}

/// Nests a flat list of headings by level.
fn nest_toc(flat: Vec<TocEntry>) -> Vec<TocEntry> {
    let mut roots: Vec<TocEntry> = Vec::new();
    for entry in flat {
        insert_toc(&mut roots, entry);
    }
    roots
}

fn insert_toc(siblings: &mut Vec<TocEntry>, entry: TocEntry) {
    match siblings.last_mut() {
        Some(last) if last.level < entry.level => insert_toc(&mut last.children, entry),
        _ => siblings.push(entry),
    }
}

fn truncate_at_char(text: &mut String, limit: usize) {
    if text.len() > limit {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_ok(body: &str) -> Rendered {
        let urls = HashMap::from([("kontakt.md".to_owned(), "/kontakt/".to_owned())]);
        let links = LinkRewriter {
            base_path: "/",
            content_urls: &urls,
            page_path: "/program/etapy/",
        };
        render(body, 5, &links).expect("renders")
    }

    #[test]
    fn relative_links_resolve_against_the_page() {
        assert_eq!(resolve("/a/b/", "../c/"), "/a/c/");
        assert_eq!(resolve("/a/b/", "c/"), "/a/b/c/");
        assert_eq!(resolve("/a/", "../../x.png"), "/x.png");
        assert_eq!(resolve("/a/", "/k/"), "/k/");
    }

    #[test]
    fn schemes_mark_external_links() {
        assert!(is_external("https://www.budzet.krakow.pl"));
        assert!(is_external("mailto:bo@um.krakow.pl"));
        assert!(is_external("tel:+48126167828"));
        assert!(!is_external("/kontakt/"));
        assert!(!is_external("kontakt/"));
    }

    #[test]
    fn headings_get_polish_slug_ids_and_a_toc() {
        let rendered = render_ok("## Etap I: Ambasadorzy\n\n### Kto może\n\n## Kontakt {#kontakt-bo}\n\n## Etap I: Ambasadorzy\n");
        assert!(
            rendered.html.contains(r#"<h2 id="etap-i-ambasadorzy">"#),
            "{}",
            rendered.html
        );
        assert!(rendered.html.contains(r#"<h2 id="kontakt-bo">"#));
        assert!(rendered.html.contains(r#"<h2 id="etap-i-ambasadorzy-1">"#));
        assert_eq!(rendered.toc.len(), 3);
        assert_eq!(rendered.toc[0].children[0].title, "Kto może");
        assert!(rendered.anchors.contains("kto-moze"));
    }

    #[test]
    fn the_summary_is_the_text_before_the_marker_or_the_first_paragraph() {
        let marked = render_ok("Pierwszy.\n\nDrugi.\n\n<!-- more -->\n\nTrzeci.\n");
        assert_eq!(marked.summary, "<p>Pierwszy.</p>\n<p>Drugi.</p>\n");
        assert!(!marked.html.contains("more"));
        let plain = render_ok("## Nagłówek\n\nPierwszy *akapit*.\n\nDrugi.\n");
        assert_eq!(plain.summary, "<p>Pierwszy <em>akapit</em>.</p>\n");
    }

    #[test]
    fn links_are_collected_with_their_lines_and_file_references_resolved() {
        let rendered = render_ok(
            "Tekst\n\n[kontakt](@/kontakt.md#telefon) i [pusty](#)\n\n![mapa](/img/mapa.png)\n",
        );
        let lines: Vec<(&str, usize)> = rendered
            .links
            .iter()
            .map(|l| (l.dest.as_str(), l.line))
            .collect();
        assert_eq!(
            lines,
            [("@/kontakt.md#telefon", 7), ("#", 7), ("/img/mapa.png", 9)]
        );
        assert!(
            rendered.html.contains(r#"href="/kontakt/#telefon""#),
            "{}",
            rendered.html
        );
    }

    #[test]
    fn links_in_raw_html_are_collected() {
        let rendered = render_ok("<p><a href=\"#\">pusty</a> <img src='/img/a.png' alt=''></p>\n\nTekst <a class=\"x\" href=\"/kontakt/\">k</a>.\n");
        let dests: Vec<&str> = rendered.links.iter().map(|l| l.dest.as_str()).collect();
        assert_eq!(dests, ["#", "/img/a.png", "/kontakt/"]);
    }

    #[test]
    fn relative_links_become_site_paths() {
        let rendered = render_ok("[wyżej](../) i [obok](etap-2/#cel) i [tu](#cel)\n");
        assert!(
            rendered.html.contains(r#"href="/program/""#),
            "{}",
            rendered.html
        );
        assert!(
            rendered
                .html
                .contains(r#"href="/program/etapy/etap-2/#cel""#),
            "{}",
            rendered.html
        );
        assert!(
            rendered.html.contains(r##"href="#cel""##),
            "{}",
            rendered.html
        );
    }

    #[test]
    fn heading_ids_keep_clear_of_footnote_ids() {
        let rendered = render_ok("Tekst[^plan].\n\n## Plan\n\n[^plan]: Przypis.\n");
        assert!(
            rendered.html.contains(r#"<h2 id="plan-1">"#),
            "{}",
            rendered.html
        );
        assert!(rendered.anchors.contains("plan"));
    }

    #[test]
    fn extensions_are_on_and_raw_html_passes() {
        let rendered = render_ok("|a|b|\n|-|-|\n|1|2|\n\n~~stare~~\n\n- [x] zrobione\n\nPrzypis[^1].\n\n[^1]: Treść.\n\n<div class=\"ramka\">HTML</div>\n");
        for needle in [
            "<table>",
            "<del>",
            "checkbox",
            "footnote",
            "<div class=\"ramka\">",
        ] {
            assert!(
                rendered.html.contains(needle),
                "{needle} missing in {}",
                rendered.html
            );
        }
    }

    #[test]
    fn shortcode_lines_become_placeholders_but_not_in_code() {
        let rendered = render_ok("Lista:\n{{ events when=\"all\" }}\n\n```\n{{ events }}\n```\n");
        assert_eq!(rendered.shortcodes.len(), 1);
        assert_eq!(rendered.shortcodes[0].line, 6);
        assert!(rendered.html.contains(&ShortcodeCall::placeholder(0)));
        assert!(rendered.html.contains("{{ events }}"));
    }

    #[test]
    fn a_bad_shortcode_names_its_line() {
        let urls = HashMap::new();
        let links = LinkRewriter {
            base_path: "/",
            content_urls: &urls,
            page_path: "/",
        };
        let errors = render("a\n{{ evnts }}\n", 10, &links).expect_err("unknown shortcode");
        assert_eq!(errors[0].0, 11);
    }
}
