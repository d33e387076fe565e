//! Integration tests of the generator: whole fixture sites, copied with the
//! real theme into temporary folders, built and checked file by file.
//!
//! - `tests/fixtures/valid/`: a small complete site (news with pagination,
//!   drafts, a future post; events; nested pages; aliases; shortcodes).
//! - `tests/fixtures/invalid/<case>/`: one broken site per folder with an
//!   `expected.txt` of lines the error output must hold; an optional
//!   `overlay/` is copied over the site after the real theme (to break a
//!   template). Adding a folder adds a case.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod serving;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use chrono::DateTime;
use common::{
    agora, assert_contains_all, attribute_values, between, built_fixture, copy_dir, duplicate_ids,
    file_list, file_of_path, fixtures_dir, html_files, ics_events, ics_lines, link_problems,
    parse_xml, read, read_tree, text, workspace_dir, TempSite, NOW,
};
use rayon::prelude::*;

const BASE_URL: &str = "https://example.org";

/// HTML pages the valid fixture renders without drafts: home, tags, search
/// and 404 (4), 11 posts + 3 events + 7 other pages (21), the list pages of
/// aktualnosci (2), wydarzenia, program and program/etapy (5), 4 tags and
/// 1 alias.
const FIXTURE_PAGES: usize = 35;
/// The same with drafts: 2 more posts and their 2 tags.
const FIXTURE_PAGES_WITH_DRAFTS: usize = 39;
/// atom.xml, sitemap.xml, robots.txt, kalendarz.ics and the search index:
/// its manifest, one shard, 2 files of results (26 documents, 16 a file)
/// and 4 of words (8 a file).
const FIXTURE_FEEDS: usize = 4 + SEARCH_FILES.len();
const SEARCH_FILES: [&str; 8] = [
    "search-index/manifest.json",
    "search-index/terms/_.json",
    "search-index/pages/0.json",
    "search-index/pages/1.json",
    "search-index/text/0.json",
    "search-index/text/1.json",
    "search-index/text/2.json",
    "search-index/text/3.json",
];
const FIXTURE_EVENTS: usize = 3;
/// content/img/mapa.svg.
const FIXTURE_ASSETS: usize = 1;

/// The posts the fixture publishes, newest first.
const PUBLISHED_POSTS: [&str; 11] = [
    "podsumowanie",
    "przypomnienie",
    "webinar",
    "spotkania-online",
    "epidemia",
    "nowa-sciezka",
    "wyniki-ankiety",
    "ankieta",
    "harmonogram",
    "spotkanie-w-dzielnicy",
    "nabor-ambasadorow",
];

fn theme_static_files() -> usize {
    file_list(&workspace_dir().join("themes/default/static")).len()
}

/// The `<li …>…</li>` list item holding `needle`.
#[track_caller]
fn list_item<'a>(html: &'a str, needle: &str) -> &'a str {
    let at = html
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not found in:\n{html}"));
    let start = html[..at]
        .rfind("<li")
        .unwrap_or_else(|| panic!("`{needle}` is in no list item"));
    let end = html[at..].find("</li>").map_or(html.len(), |i| at + i + 5);
    &html[start..end]
}

/// The byte position of `needle` in `html`; panics if absent.
#[track_caller]
fn position(html: &str, needle: &str) -> usize {
    html.find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not found in:\n{html}"))
}

/// The `content` of the first `<meta {key}…>` tag.
fn meta_content(html: &str, key: &str) -> Option<String> {
    let tag_start = html.find(&format!("<meta {key}"))?;
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>')?];
    attribute_values(tag, "content").into_iter().next()
}

// ---------------------------------------------------------------------------
// The valid fixture: what is written

#[test]
fn fixture_build_reports_its_pages_and_files() {
    let site = TempSite::fixture("valid");
    let report = site.build_ok("public");
    let out = site.out("public");
    assert_eq!(report.pages, FIXTURE_PAGES);
    assert_eq!(
        report.files,
        FIXTURE_PAGES + FIXTURE_FEEDS + FIXTURE_EVENTS + theme_static_files() + FIXTURE_ASSETS
    );
    assert_eq!(report.files, file_list(&out).len(), "files on disk");
    assert_eq!(report.pages, html_files(&out).len(), "HTML files on disk");
    assert!(!report.stages.is_empty());
}

#[test]
fn fixture_writes_every_expected_file() {
    let (_site, out) = built_fixture();
    let files = file_list(&out);
    let mut expected: Vec<String> = [
        "index.html",
        "404.html",
        "robots.txt",
        "sitemap.xml",
        "atom.xml",
        "kalendarz.ics",
        "style.css",
        "img/mapa.svg",
        "szukaj/index.html",
        "tagi/index.html",
        "tagi/budzet-obywatelski/index.html",
        "tagi/spolecznosc/index.html",
        "tagi/laka-zolta/index.html",
        "tagi/ambasadorzy/index.html",
        "aktualnosci/index.html",
        "aktualnosci/strona/2/index.html",
        "wydarzenia/index.html",
        "wydarzenia/spotkanie-planowane/index.html",
        "wydarzenia/warsztat-odwolany/index.html",
        "wydarzenia/webinar-online/index.html",
        "wydarzenia/spotkanie-planowane.ics",
        "wydarzenia/warsztat-odwolany.ics",
        "wydarzenia/webinar-online.ics",
        "program/index.html",
        "program/dzielnicowe/index.html",
        "program/etapy/index.html",
        // `slug: Pierwszy krok` overrides the file name etap-pierwszy.md.
        "program/etapy/pierwszy-krok/index.html",
        "stara-strona/index.html",
        "kontakt/index.html",
        "terminarz/index.html",
        "polityka-prywatnosci/index.html",
        "deklaracja-dostepnosci/index.html",
        "losowanie/index.html",
    ]
    .map(str::to_owned)
    .to_vec();
    expected.extend(SEARCH_FILES.map(str::to_owned));
    // Post slugs drop the file's `YYYY-MM-DD-` prefix.
    expected.extend(
        PUBLISHED_POSTS
            .iter()
            .map(|slug| format!("aktualnosci/{slug}/index.html")),
    );
    let missing: Vec<&String> = expected.iter().filter(|f| !files.contains(*f)).collect();
    assert!(
        missing.is_empty(),
        "missing {missing:?}; written: {files:#?}"
    );

    for unexpected in [
        "program/etapy/etap-pierwszy/index.html",
        "aktualnosci/2020-02-19-nowa-sciezka/index.html",
        "aktualnosci/strona/1/index.html",
        "aktualnosci/strona/3/index.html",
        "data/lista.yaml",
    ] {
        assert!(
            !files.contains(unexpected),
            "{unexpected} should not be written"
        );
    }
    let calendars: BTreeSet<&String> = files.iter().filter(|f| f.ends_with(".ics")).collect();
    assert_eq!(
        calendars.len(),
        FIXTURE_EVENTS + 1,
        "one .ics per event plus kalendarz.ics: {calendars:?}"
    );
}

#[test]
fn drafts_and_future_posts_are_left_out() {
    let (_site, out) = built_fixture();
    let files = file_list(&out);
    for absent in [
        "aktualnosci/szkic/index.html",
        "aktualnosci/przyszly/index.html",
        "tagi/tajny-tag/index.html",
        "tagi/przyszlosc/index.html",
    ] {
        assert!(!files.contains(absent), "{absent} should not be published");
    }
    for (path, text) in read_tree(&out) {
        let text = String::from_utf8_lossy(&text);
        for leak in [
            "Szkic wpisu",
            "Wpis z przyszłości",
            "/aktualnosci/szkic/",
            "/aktualnosci/przyszly/",
        ] {
            assert!(
                !text.contains(leak),
                "{path} mentions the unpublished `{leak}`"
            );
        }
    }
}

#[test]
fn drafts_and_future_posts_are_built_with_drafts() {
    let site = TempSite::fixture("valid");
    let mut options = site.options(Some("drafts"));
    options.drafts = true;
    let report = agora_site::build(&options).unwrap_or_else(|e| panic!("build with drafts: {e}"));
    assert_eq!(report.pages, FIXTURE_PAGES_WITH_DRAFTS);
    let out = site.out("drafts");
    let files = file_list(&out);
    for present in [
        "aktualnosci/szkic/index.html",
        "aktualnosci/przyszly/index.html",
        "tagi/tajny-tag/index.html",
        "tagi/przyszlosc/index.html",
        "aktualnosci/strona/2/index.html",
    ] {
        assert!(
            files.contains(present),
            "{present} should be built with drafts"
        );
    }
    assert!(read(&out, "atom.xml").contains("Szkic wpisu"));
    // 13 posts, newest first: the one from 2999 leads the first list page.
    let first = read(&out, "aktualnosci/index.html");
    assert!(position(&first, "/aktualnosci/przyszly/") < position(&first, "/aktualnosci/szkic/"));
}

#[test]
fn news_lists_are_paginated_newest_first() {
    let (_site, out) = built_fixture();
    let first = read(&out, "aktualnosci/index.html");
    let second = read(&out, "aktualnosci/strona/2/index.html");
    let links_to =
        |html: &str, slug: &str| html.contains(&format!("href=\"/aktualnosci/{slug}/\""));

    let on_first: Vec<&str> = PUBLISHED_POSTS
        .iter()
        .copied()
        .filter(|slug| links_to(&first, slug))
        .collect();
    assert_eq!(
        on_first,
        PUBLISHED_POSTS[..10],
        "the 10 newest posts on page 1"
    );
    let on_second: Vec<&str> = PUBLISHED_POSTS
        .iter()
        .copied()
        .filter(|slug| links_to(&second, slug))
        .collect();
    assert_eq!(
        on_second,
        ["nabor-ambasadorow"],
        "the oldest post on page 2"
    );

    let positions: Vec<usize> = PUBLISHED_POSTS[..10]
        .iter()
        .map(|slug| position(&first, &format!("href=\"/aktualnosci/{slug}/\"")))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "newest first: {positions:?}"
    );
    assert!(
        first.contains("href=\"/aktualnosci/strona/2/\""),
        "page 1 links to page 2"
    );
    assert!(
        second.contains("href=\"/aktualnosci/\""),
        "page 2 links back to page 1"
    );
}

#[test]
fn dates_are_written_in_polish() {
    let (_site, out) = built_fixture();
    let post = read(&out, "aktualnosci/nowa-sciezka/index.html");
    assert_contains_all("the post", &post, &["19 lutego 2020"]);
    let list = read(&out, "aktualnosci/index.html");
    assert_contains_all(
        "the news list",
        &list,
        &["19 lutego 2020", "15 kwietnia 2020", "1 kwietnia 2020"],
    );
    let event = read(&out, "wydarzenia/warsztat-odwolany/index.html");
    assert_contains_all(
        "the event",
        &event,
        &[
            "wtorek, 21 kwietnia 2020, 17:00–20:00",
            "datetime=\"2020-04-21T17:00:00+02:00\"",
        ],
    );
    let webinar = read(&out, "wydarzenia/webinar-online/index.html");
    assert_contains_all(
        "the webinar",
        &webinar,
        &["wtorek, 12 maja 2020, 18:00–19:30"],
    );
}

#[test]
fn every_html_page_has_language_title_description_and_og_title() {
    let (_site, out) = built_fixture();
    let mut problems = Vec::new();
    for (file, html) in html_files(&out) {
        if !html.to_lowercase().starts_with("<!doctype html>") {
            problems.push(format!("{file}: no <!doctype html> first"));
        }
        if !html.contains("<html lang=\"pl\">") {
            problems.push(format!("{file}: no <html lang=\"pl\">"));
        }
        let titles = html.matches("<title>").count();
        let title = html
            .split_once("<title>")
            .and_then(|(_, rest)| rest.split_once("</title>"))
            .map(|(title, _)| title.trim());
        if titles != 1 || title.is_none_or(str::is_empty) {
            problems.push(format!("{file}: not exactly one non-empty <title>"));
        }
        // Redirect pages only send the reader on; they are not indexed.
        if html.contains("http-equiv=\"refresh\"") {
            continue;
        }
        for key in ["name=\"description\"", "property=\"og:title\""] {
            match meta_content(&html, key) {
                Some(content) if !content.trim().is_empty() => {}
                _ => problems.push(format!("{file}: no <meta {key} content=…> with text")),
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");

    let post = read(&out, "aktualnosci/nowa-sciezka/index.html");
    assert_eq!(
        meta_content(&post, "name=\"description\"").as_deref(),
        Some("Mieszkańcy przygotują projekty razem z ekspertami miasta."),
        "the page's own description"
    );
    assert_eq!(
        meta_content(&post, "property=\"og:title\"").as_deref(),
        Some("Nowa ścieżka tworzenia projektów")
    );
}

#[test]
fn cancelled_event_is_visibly_marked() {
    let (_site, out) = built_fixture();
    let page = read(&out, "wydarzenia/warsztat-odwolany/index.html");
    let main = between(&page, "<main", "</main>");
    assert!(
        main.contains("Warsztat odwołano z powodu epidemii."),
        "{main}"
    );
    assert!(main.to_lowercase().contains("odwołane"), "{main}");

    // The list's label agrees with any event ("Odwołano", not the neuter
    // "Odwołane" beside a masculine "Warsztat").
    let list = read(&out, "wydarzenia/index.html");
    let cancelled = list_item(&list, "href=\"/wydarzenia/warsztat-odwolany/\"");
    assert!(cancelled.contains(">Odwołano</span>"), "{cancelled}");
    for other in ["spotkanie-planowane", "webinar-online"] {
        let item = list_item(&list, &format!("href=\"/wydarzenia/{other}/\""));
        assert!(!item.to_lowercase().contains("odwołano"), "{item}");
    }
    // The other events' pages carry no such notice.
    let planned = read(&out, "wydarzenia/spotkanie-planowane/index.html");
    assert!(!between(&planned, "<main", "</main>")
        .to_lowercase()
        .contains("odwołane"));
}

#[test]
fn events_are_split_into_upcoming_and_past_as_of_now() {
    let (_site, out) = built_fixture();
    let list = read(&out, "wydarzenia/index.html");
    let upcoming = position(&list, "Nadchodzące");
    let past = position(&list, "Minione");
    let planned = position(&list, "href=\"/wydarzenia/spotkanie-planowane/\"");
    let webinar = position(&list, "href=\"/wydarzenia/webinar-online/\"");
    let workshop = position(&list, "href=\"/wydarzenia/warsztat-odwolany/\"");
    assert!(
        upcoming < planned && planned < past,
        "the 2999 event is upcoming"
    );
    assert!(
        past < webinar && webinar < workshop,
        "past events, the latest first"
    );

    let home = read(&out, "index.html");
    assert!(home.contains("href=\"/wydarzenia/spotkanie-planowane/\""));
    assert!(
        !home.contains("href=\"/wydarzenia/webinar-online/\""),
        "past events are not upcoming"
    );

    let planned_page = read(&out, "wydarzenia/spotkanie-planowane/index.html");
    assert!(
        planned_page.contains("href=\"/kontakt/\""),
        "an upcoming event links its registration"
    );
    let online = read(&out, "wydarzenia/webinar-online/index.html");
    assert!(online.contains("href=\"https://meet.example.org/agora\""));
}

#[test]
fn headings_get_polish_slug_ids() {
    let (_site, out) = built_fixture();
    let post = read(&out, "aktualnosci/nowa-sciezka/index.html");
    assert_contains_all(
        "the post",
        &post,
        &[
            "<h2 id=\"zazolc-gesla-jazn\">Zażółć gęślą jaźń</h2>",
            "<h2 id=\"wlasny-id\">Kontakt</h2>",
        ],
    );
    let page = read(&out, "program/dzielnicowe/index.html");
    assert_contains_all(
        "the page",
        &page,
        &["id=\"etap-i-ambasadorzy\"", "id=\"etap-ii-warsztaty\""],
    );
}

#[test]
fn links_in_both_styles_become_site_urls() {
    let (_site, out) = built_fixture();
    let post = read(&out, "aktualnosci/nowa-sciezka/index.html");
    assert_contains_all(
        "the post",
        &post,
        &[
            "href=\"/kontakt/#telefon\"",
            "href=\"/program/dzielnicowe/#etap-i-ambasadorzy\"",
            "href=\"/program/etapy/pierwszy-krok/\"",
            "href=\"#zazolc-gesla-jazn\"",
        ],
    );
    assert!(
        !post.contains("@/"),
        "no `@/` reference is left in the HTML"
    );
    let home = read(&out, "index.html");
    // `@/program/_index.md` in the text and in the menu of agora.yaml.
    assert!(home.matches("href=\"/program/\"").count() >= 2, "{home}");
}

#[test]
fn markdown_extensions_are_rendered() {
    let (_site, out) = built_fixture();
    let post = read(&out, "aktualnosci/nowa-sciezka/index.html");
    assert_contains_all(
        "the post",
        &post,
        &[
            "<table>",
            "<th>Etap</th>",
            "<td>Zgłoszenia</td>",
            "class=\"footnote-reference\"",
            "class=\"footnote-definition\"",
            "Plan może się zmienić.",
        ],
    );
    assert_eq!(
        post.matches("type=\"checkbox\"").count(),
        2,
        "two task list items"
    );
    assert_eq!(post.matches("checked").count(), 1, "one of them done");
    assert!(!post.contains("<!-- more -->"));
}

#[test]
fn the_events_shortcode_is_replaced_by_a_list_of_events() {
    let (_site, out) = built_fixture();
    let page = read(&out, "terminarz/index.html");
    let main = between(&page, "<main", "</main>");
    assert!(!main.contains("{{"), "the shortcode line is gone: {main}");
    assert!(
        !main.contains("agora-shortcode"),
        "the placeholder is filled: {main}"
    );
    // when="all": past and upcoming events, by start.
    let order: Vec<usize> = ["warsztat-odwolany", "webinar-online", "spotkanie-planowane"]
        .iter()
        .map(|slug| position(main, &format!("href=\"/wydarzenia/{slug}/\"")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "by start: {order:?}");
    assert!(
        position(main, "Wszystkie wydarzenia") < order[0],
        "in place of the line"
    );
    assert!(
        order[2] < position(main, "href=\"/kalendarz.ics\""),
        "in place of the line"
    );
}

#[test]
fn summaries_come_from_the_marker_the_front_matter_or_the_first_paragraph() {
    let (_site, out) = built_fixture();
    let list = read(&out, "aktualnosci/index.html");

    let marked = list_item(&list, "href=\"/aktualnosci/nowa-sciezka/\"");
    assert!(
        marked.contains("W budżecie obywatelskim pojawia się nowa droga"),
        "{marked}"
    );
    assert!(
        !marked.contains("Ten akapit jest już po zapowiedzi"),
        "{marked}"
    );

    let explicit = list_item(&list, "href=\"/aktualnosci/harmonogram/\"");
    assert!(
        explicit.contains("<strong>podsumowanie</strong>"),
        "{explicit}"
    );
    assert!(!explicit.contains("Pełny harmonogram"), "{explicit}");

    let plain = list_item(&list, "href=\"/aktualnosci/ankieta/\"");
    assert!(plain.contains("Wypełnij ankietę"), "{plain}");
}

#[test]
fn tags_get_transliterated_slugs_and_list_their_pages() {
    let (_site, out) = built_fixture();
    let index = read(&out, "tagi/index.html");
    assert_contains_all(
        "the tag index",
        &index,
        &[
            "href=\"/tagi/budzet-obywatelski/\"",
            "budżet obywatelski",
            "href=\"/tagi/laka-zolta/\"",
            "Łąka Żółta",
            "href=\"/tagi/spolecznosc/\"",
            "Społeczność",
            "href=\"/tagi/ambasadorzy/\"",
        ],
    );
    let tag = read(&out, "tagi/budzet-obywatelski/index.html");
    assert_contains_all(
        "the tag page",
        &tag,
        &[
            "href=\"/aktualnosci/nowa-sciezka/\"",
            "href=\"/aktualnosci/spotkania-online/\"",
            "href=\"/wydarzenia/spotkanie-planowane/\"",
            "3 wpisy",
        ],
    );
    assert!(!tag.contains("href=\"/aktualnosci/ankieta/\""));
}

#[test]
fn an_alias_redirects_to_its_page() {
    let (_site, out) = built_fixture();
    let redirect = read(&out, "stara-strona/index.html");
    assert_contains_all(
        "the redirect",
        &redirect,
        &[
            "http-equiv=\"refresh\"",
            "url=https://example.org/program/dzielnicowe/",
            "href=\"https://example.org/program/dzielnicowe/\"",
        ],
    );
}

#[test]
fn assets_and_theme_files_are_copied_as_they_are() {
    let (site, out) = built_fixture();
    let image = fs::read(out.join("img/mapa.svg")).expect("the image is copied");
    let source = fs::read(site.root().join("content/img/mapa.svg")).expect("the source image");
    assert_eq!(image, source);
    let style = fs::read(out.join("style.css")).expect("the theme's style.css is copied");
    let theme_style = fs::read(workspace_dir().join("themes/default/static/style.css"))
        .expect("the theme's style.css");
    assert_eq!(style, theme_style);
    assert!(read(&out, "kontakt/index.html").contains("src=\"/img/mapa.svg\""));
    assert!(!out.join("data").exists(), "data files are not published");
}

#[test]
fn templates_read_data_files_and_pages_choose_templates() {
    let site = TempSite::fixture("valid");
    site.write(
        "themes/default/templates/lista.html",
        "{% extends \"base.html\" %}\n{% block content %}\
         {%- set lista = data(name=\"lista\") -%}<ul class=\"lista\">\
         {% for p in lista.pozycje %}<li>{{ p }}</li>{% endfor %}</ul>\
         {% endblock content %}\n",
    );
    site.write(
        "content/lista.md",
        "---\ntitle: Lista\ntemplate: lista.html\n---\n\nTekst.\n",
    );
    site.build_ok("public");
    let page = read(&site.out("public"), "lista/index.html");
    assert!(
        page.contains("<ul class=\"lista\"><li>Pierwsza pozycja</li><li>Druga pozycja</li></ul>"),
        "{page}"
    );
}

// ---------------------------------------------------------------------------
// A base URL with a path

fn build_under_subfolder() -> (TempSite, PathBuf) {
    let site = TempSite::fixture("valid");
    let mut options = site.options(Some("sub"));
    options.base_url = Some(format!("{BASE_URL}/podkatalog"));
    if let Err(problems) = agora_site::build(&options) {
        panic!("the build under /podkatalog/ should succeed:\n{problems}");
    }
    let out = site.out("sub");
    (site, out)
}

#[test]
fn a_base_url_with_a_path_prefixes_generated_links() {
    let (site, out) = build_under_subfolder();
    site.build_ok("root");
    assert_eq!(
        file_list(&out),
        file_list(&site.out("root")),
        "the same files, at the same places"
    );
    let post = read(&out, "aktualnosci/nowa-sciezka/index.html");
    assert_contains_all(
        "the post",
        &post,
        &[
            "href=\"/podkatalog/kontakt/#telefon\"",
            "href=\"/podkatalog/program/dzielnicowe/#etap-i-ambasadorzy\"",
            "href=\"/podkatalog/program/etapy/pierwszy-krok/\"",
            "href=\"/podkatalog/tagi/budzet-obywatelski/\"",
            "href=\"/podkatalog/aktualnosci/\"",
            "href=\"/podkatalog/program/\"",
            "href=\"/podkatalog/style.css\"",
            "href=\"/podkatalog/atom.xml\"",
            "href=\"https://example.org/podkatalog/aktualnosci/nowa-sciezka/\"",
        ],
    );
    assert!(read(&out, "kontakt/index.html").contains("src=\"/podkatalog/img/mapa.svg\""));
    assert!(
        read(&out, "aktualnosci/index.html").contains("href=\"/podkatalog/aktualnosci/strona/2/\"")
    );
    assert!(read(&out, "wydarzenia/warsztat-odwolany/index.html")
        .contains("href=\"/podkatalog/wydarzenia/warsztat-odwolany.ics\""));
    assert!(read(&out, "stara-strona/index.html")
        .contains("url=https://example.org/podkatalog/program/dzielnicowe/"));

    let sitemap = parse_xml(&read(&out, "sitemap.xml")).expect("a well-formed sitemap");
    for url in sitemap.children_named("url") {
        let loc = url.child_text("loc");
        assert!(loc.starts_with("https://example.org/podkatalog/"), "{loc}");
    }
    let feed = parse_xml(&read(&out, "atom.xml")).expect("a well-formed feed");
    for entry in feed.children_named("entry") {
        let id = entry.child_text("id");
        assert!(
            id.starts_with("https://example.org/podkatalog/aktualnosci/"),
            "{id}"
        );
    }
    for file in ["search-index/pages/0.json", "search-index/pages/1.json"] {
        let entries: serde_json::Value =
            serde_json::from_str(&read(&out, file)).expect("a JSON list of results");
        for entry in entries.as_array().expect("a list") {
            let url = entry["url"].as_str().expect("a url");
            assert!(url.starts_with("/podkatalog/"), "{url}");
        }
    }
    let search = read(&out, "szukaj/index.html");
    assert!(
        search.contains("data-index=\"/podkatalog/search-index/manifest.json\""),
        "{search}"
    );
}

#[test]
fn a_base_url_with_a_path_keeps_every_link_inside_it() {
    let (_site, out) = build_under_subfolder();
    let problems = link_problems(&out, &format!("{BASE_URL}/podkatalog"));
    assert!(
        problems.is_empty(),
        "{} broken links:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------
// Determinism, feeds, sitemap, search index, calendars

#[test]
fn two_builds_are_byte_identical() {
    let site = TempSite::fixture("valid");
    site.build_ok("a");
    site.build_ok("b");
    let a = read_tree(&site.out("a"));
    let b = read_tree(&site.out("b"));
    let names_a: BTreeSet<&String> = a.keys().collect();
    let names_b: BTreeSet<&String> = b.keys().collect();
    assert_eq!(names_a, names_b, "the same files");
    let differing: Vec<&String> = a
        .iter()
        .filter(|(k, v)| b[*k] != **v)
        .map(|(k, _)| k)
        .collect();
    assert!(differing.is_empty(), "files that differ: {differing:?}");
    assert_eq!(
        a.len(),
        FIXTURE_PAGES + FIXTURE_FEEDS + FIXTURE_EVENTS + theme_static_files() + FIXTURE_ASSETS
    );
}

#[test]
fn the_atom_feed_is_well_formed_and_lists_published_posts_newest_first() {
    let (_site, out) = built_fixture();
    let text = read(&out, "atom.xml");
    let feed = parse_xml(&text).unwrap_or_else(|e| panic!("atom.xml: {e}\n{text}"));
    assert_eq!(feed.name, "feed");
    assert_eq!(feed.attribute("xmlns"), Some("http://www.w3.org/2005/Atom"));
    assert_eq!(feed.child_text("id"), "https://example.org/atom.xml");
    assert_eq!(feed.child_text("title"), "Agora Testowa");
    assert!(feed
        .children_named("link")
        .any(|l| l.attribute("rel") == Some("self")
            && l.attribute("href") == Some("https://example.org/atom.xml")));

    let entries: Vec<_> = feed.children_named("entry").collect();
    let ids: Vec<&str> = entries.iter().map(|e| e.child_text("id")).collect();
    let expected: Vec<String> = PUBLISHED_POSTS
        .iter()
        .map(|slug| format!("https://example.org/aktualnosci/{slug}/"))
        .collect();
    assert_eq!(
        ids, expected,
        "every published post, newest first, no draft"
    );

    let mut previous: Option<DateTime<chrono::FixedOffset>> = None;
    for entry in &entries {
        assert!(!entry.child_text("title").trim().is_empty());
        let updated = DateTime::parse_from_rfc3339(entry.child_text("updated"))
            .unwrap_or_else(|e| panic!("entry updated is no RFC 3339 date: {e}"));
        if let Some(previous) = previous {
            assert!(updated <= previous, "newest first");
        }
        previous = Some(updated);
        let link = entry.children_named("link").next().expect("an entry link");
        assert_eq!(link.attribute("href"), Some(entry.child_text("id")));
    }
    assert_eq!(
        entries[0].child_text("updated"),
        "2020-04-15T09:30:00+02:00"
    );
    assert_eq!(feed.child_text("updated"), "2020-04-15T09:30:00+02:00");

    let summary = |slug: &str| {
        let id = format!("https://example.org/aktualnosci/{slug}/");
        let entry = entries
            .iter()
            .find(|e| e.child_text("id") == id)
            .expect("the entry");
        entry.child_text("summary").to_owned()
    };
    assert!(summary("harmonogram").contains("<strong>podsumowanie</strong>"));
    let teaser = summary("nowa-sciezka");
    assert!(
        teaser.contains("nowa droga przygotowania projektów"),
        "{teaser}"
    );
    assert!(!teaser.contains("Ten akapit"), "{teaser}");
}

#[test]
fn the_sitemap_lists_every_page_with_absolute_urls() {
    let (_site, out) = built_fixture();
    let text = read(&out, "sitemap.xml");
    let sitemap = parse_xml(&text).unwrap_or_else(|e| panic!("sitemap.xml: {e}\n{text}"));
    assert_eq!(sitemap.name, "urlset");
    assert_eq!(
        sitemap.attribute("xmlns"),
        Some("http://www.sitemaps.org/schemas/sitemap/0.9")
    );
    let locs: BTreeSet<String> = sitemap
        .children_named("url")
        .map(|url| url.child_text("loc").to_owned())
        .collect();
    assert_eq!(
        locs.len(),
        sitemap.children_named("url").count(),
        "no duplicates"
    );
    for loc in &locs {
        let path = loc
            .strip_prefix(BASE_URL)
            .unwrap_or_else(|| panic!("{loc} is not an absolute URL of the site"));
        assert!(
            out.join(file_of_path(path)).is_file(),
            "{loc} is not written"
        );
    }
    // Every page except the 404 page, the search page and redirects.
    let pages: Vec<String> = html_files(&out)
        .into_iter()
        .filter(|(file, html)| {
            file.ends_with("index.html")
                && file != "szukaj/index.html"
                && !html.contains("http-equiv=\"refresh\"")
        })
        .map(|(file, _)| format!("{BASE_URL}/{}", file.trim_end_matches("index.html")))
        .collect();
    let missing: Vec<&String> = pages.iter().filter(|p| !locs.contains(*p)).collect();
    assert!(
        missing.is_empty(),
        "pages missing from the sitemap: {missing:?}"
    );
    assert!(!locs.contains("https://example.org/stara-strona/"));

    let robots = read(&out, "robots.txt");
    assert!(
        robots.contains("Sitemap: https://example.org/sitemap.xml"),
        "{robots}"
    );
}

#[test]
fn the_search_index_has_every_page_newest_first() {
    let (_site, out) = built_fixture();
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&out, "search-index/manifest.json")).expect("valid JSON");
    // 5 sections (home included) and 21 pages.
    assert_eq!(manifest["documents"], 26);
    assert_eq!(manifest["shards"], serde_json::json!([""]));
    let mut entries = Vec::new();
    for file in ["search-index/pages/0.json", "search-index/pages/1.json"] {
        let list: serde_json::Value = serde_json::from_str(&read(&out, file)).expect("valid JSON");
        entries.extend(list.as_array().expect("a list").iter().cloned());
    }
    assert_eq!(entries.len(), 26);
    let mut urls = BTreeSet::new();
    for entry in &entries {
        let title = entry["title"].as_str().expect("a title");
        let url = entry["url"].as_str().expect("a url");
        assert!(!title.is_empty());
        assert!(entry["summary"].is_string(), "{entry}");
        assert!(
            out.join(file_of_path(url)).is_file(),
            "{url} is not written"
        );
        assert!(urls.insert(url.to_owned()), "{url} twice");
    }
    let dates: Vec<&str> = entries
        .iter()
        .map(|e| e["date"].as_str().unwrap_or(""))
        .collect();
    let dated = dates.iter().take_while(|d| !d.is_empty()).count();
    assert!(
        dates[..dated].windows(2).all(|w| w[0] >= w[1]),
        "newest first: {dates:?}"
    );
    assert!(
        dates[dated..].iter().all(|d| d.is_empty()),
        "undated last: {dates:?}"
    );
    let post = entries
        .iter()
        .position(|e| e["url"] == "/aktualnosci/nowa-sciezka/")
        .expect("the post is indexed");
    assert_eq!(entries[post]["date"], "2020-02-19");
    // Its words, tags included, for exact phrases.
    let texts: serde_json::Value =
        serde_json::from_str(&read(&out, &format!("search-index/text/{}.json", post / 8)))
            .expect("valid JSON");
    let words = texts[post % 8][1].as_str().expect("words");
    assert!(
        words.contains("ten akapit jest juz po zapowiedzi"),
        "{words}"
    );
    assert!(words.contains("budzet obywatelski"), "{words}");
    assert!(!urls.contains("/aktualnosci/szkic/"));
    assert!(!urls.contains("/aktualnosci/przyszly/"));
}

#[test]
fn calendars_are_valid_icalendar() {
    let (_site, out) = built_fixture();
    let check = |file: &str, summaries: &[&str]| {
        let text = read(&out, file);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{file}: {text}");
        assert!(text.ends_with("END:VCALENDAR\r\n"), "{file}: {text}");
        let bare_newlines = text
            .match_indices('\n')
            .filter(|(i, _)| !text[..*i].ends_with('\r'));
        assert_eq!(
            bare_newlines.count(),
            0,
            "{file}: every line ends with CRLF"
        );
        let lines = ics_lines(&text);
        assert!(lines.iter().any(|l| l == "VERSION:2.0"), "{file}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("PRODID:") && l.len() > 7),
            "{file}"
        );
        assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VCALENDAR").count(), 1);
        let events = ics_events(&lines);
        assert_eq!(
            events.len(),
            summaries.len(),
            "{file}: one VEVENT per event"
        );
        assert_eq!(
            lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(),
            summaries.len()
        );
        let mut uids = BTreeSet::new();
        for (event, summary) in events.iter().zip(summaries) {
            for key in ["DTSTART", "DTEND", "DTSTAMP", "UID", "SUMMARY"] {
                assert!(
                    event.contains_key(key),
                    "{file}: an event without {key}: {event:?}"
                );
            }
            assert_eq!(event["SUMMARY"], *summary, "{file}");
            assert!(uids.insert(event["UID"].clone()), "{file}: UIDs are unique");
            let cancelled = event.get("STATUS").is_some_and(|s| s == "CANCELLED");
            assert_eq!(
                cancelled,
                *summary == "Warsztat odwołany",
                "{file}: {event:?}"
            );
        }
        events
    };
    let all = check(
        "kalendarz.ics",
        &["Warsztat odwołany", "Webinar online", "Spotkanie planowane"],
    );
    assert_eq!(
        all[0]["DTSTART"], "20200421T150000Z",
        "17:00 in Warsaw in summer"
    );
    assert_eq!(all[0]["DTEND"], "20200421T180000Z");
    assert_eq!(all[1]["LOCATION"], "https://meet.example.org/agora");
    check("wydarzenia/warsztat-odwolany.ics", &["Warsztat odwołany"]);
    check("wydarzenia/webinar-online.ics", &["Webinar online"]);
    check(
        "wydarzenia/spotkanie-planowane.ics",
        &["Spotkanie planowane"],
    );
}

#[test]
fn calendar_lines_are_folded_at_75_octets() {
    let site = TempSite::fixture("valid");
    // An event whose summary is longer than a line may be, in letters of
    // two octets: its DESCRIPTION must be folded.
    let summary = "Spacer po zielonych podwórkach – źródła, łąki, żółte ławki i gęste \
        krzewy każdej dzielnicy – zapraszamy wszystkich mieszkańców i mieszkanki.";
    site.write(
        "content/wydarzenia/dlugi-opis.md",
        &format!(
            "---\ntitle: Długi opis\nstart: 2999-06-01 17:00\nend: 2999-06-01 19:00\n\
             event_type: meeting\nplace: \"Kraków, ul. Testowa 3\"\n---\n\n{summary}\n"
        ),
    );
    site.build_ok("public");
    let out = site.out("public");
    for (file, bytes) in read_tree(&out) {
        if !file.ends_with(".ics") {
            continue;
        }
        for line in bytes.split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            assert!(
                line.len() <= 75,
                "{file}: a line of {} octets (RFC 5545 3.1): {}",
                line.len(),
                String::from_utf8_lossy(line)
            );
        }
    }
    // Folding loses nothing: unfolded, the long line is whole again.
    let lines = ics_lines(&read(&out, "wydarzenia/dlugi-opis.ics"));
    let escaped = summary.replace(',', "\\,");
    assert!(
        lines.contains(&format!("DESCRIPTION:{escaped}")),
        "{lines:#?}"
    );
}

// ---------------------------------------------------------------------------
// Links of the output

#[test]
fn every_link_and_anchor_of_the_fixture_output_resolves() {
    let (_site, out) = built_fixture();
    let problems = link_problems(&out, BASE_URL);
    assert!(
        problems.is_empty(),
        "{} broken links:\n{}",
        problems.len(),
        problems.join("\n")
    );
    let duplicates = duplicate_ids(&out);
    assert!(duplicates.is_empty(), "{duplicates:#?}");
}

#[test]
fn footnote_ids_do_not_collide_with_heading_ids() {
    let site = TempSite::fixture("valid");
    site.write(
        "content/przypisy.md",
        "---\ntitle: Przypisy\n---\n\nTekst z przypisem[^plan].\n\n## Plan\n\nTreść planu.\n\n[^plan]: Przypis o planie.\n",
    );
    site.build_ok("public");
    let out = site.out("public");
    let page = read(&out, "przypisy/index.html");
    let duplicates = duplicate_ids(&out);
    assert!(
        duplicates.is_empty(),
        "{duplicates:#?}\nthe footnote reference must lead to the footnote, not the heading:\n{page}"
    );
}

// ---------------------------------------------------------------------------
// Atomic output, check, refusals

fn leftovers(parent: &Path) -> Vec<String> {
    fs::read_dir(parent)
        .expect("read the temporary folder")
        .map(|entry| {
            entry
                .expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.contains(".building-") || name.contains(".previous-"))
        .collect()
}

/// The previous output is byte-identical, and nothing of the failed build
/// is left beside it.
fn assert_untouched(site: &TempSite, out: &Path, before: &BTreeMap<String, Vec<u8>>) {
    assert!(
        read_tree(out) == *before,
        "the previous output is byte-identical"
    );
    assert!(
        leftovers(site.parent()).is_empty(),
        "{:?}",
        leftovers(site.parent())
    );
}

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let site = TempSite::fixture("valid");
    site.build_ok("public");
    let out = site.out("public");
    let before = read_tree(&out);
    assert!(!before.is_empty());

    site.write(
        "content/aktualnosci/zly.md",
        "---\ndate: 2020-02-19\ntitel: Literówka\n---\n\nTekst.\n",
    );
    let problems = site
        .build("public")
        .expect_err("the broken site must not build");
    assert!(
        problems
            .to_string()
            .contains("content/aktualnosci/zly.md:3"),
        "{problems}"
    );
    assert_untouched(&site, &out, &before);
}

#[test]
fn a_page_failing_to_render_leaves_the_previous_output_untouched() {
    // Pages are written as they are rendered: the pages written before
    // the failing one must not reach the output, nor stay beside it.
    let site = TempSite::fixture("valid");
    site.build_ok("public");
    let out = site.out("public");
    let before = read_tree(&out);

    site.write(
        "themes/default/templates/zepsuty.html",
        "{% extends \"base.html\" %}{% block content %}{{ nie_ma_takiej }}{% endblock content %}\n",
    );
    site.write(
        "content/zepsuta.md",
        "---\ntitle: Zepsuta\ntemplate: zepsuty.html\n---\n\nTekst.\n",
    );
    let problems = site
        .build("public")
        .expect_err("a page that cannot render fails the build");
    let shown = problems.to_string();
    assert!(
        shown.contains("content/zepsuta.md") && shown.contains("zepsuty.html"),
        "{shown}"
    );
    assert_untouched(&site, &out, &before);
}
#[test]
fn a_successful_build_replaces_the_previous_output_whole() {
    let site = TempSite::fixture("valid");
    site.write(
        "content/tymczasowa.md",
        "---\ntitle: Tymczasowa\n---\n\nNa chwilę.\n",
    );
    site.build_ok("public");
    let out = site.out("public");
    assert!(out.join("tymczasowa/index.html").is_file());
    fs::write(out.join("stary-plik.html"), "stary").expect("write a stale file");
    fs::remove_file(site.root().join("content/tymczasowa.md")).expect("remove a page");
    site.build_ok("public");
    assert!(!out.join("stary-plik.html").exists(), "stale files go");
    assert!(!out.join("tymczasowa").exists(), "removed pages go");
    assert!(out.join("index.html").is_file());
    assert!(
        leftovers(site.parent()).is_empty(),
        "{:?}",
        leftovers(site.parent())
    );
}

#[test]
fn a_build_over_the_previous_output_equals_a_fresh_one() {
    // Unchanged files are linked to the previous output's: a file edited
    // there by hand, or changed by the sources, must still be written.
    let site = TempSite::fixture("valid");
    site.build_ok("public");
    let out = site.out("public");
    fs::write(out.join("kontakt/index.html"), "zmieniony ręcznie").expect("edit the output");
    let before = fs::read(out.join("polityka-prywatnosci/index.html")).expect("read a page");
    let post = "content/aktualnosci/2020-02-05-ankieta.md";
    let text = fs::read_to_string(site.root().join(post)).expect("read a post");
    site.write(post, &format!("{text}\nDopisek.\n"));
    site.build_ok("public");
    site.build_ok("fresh");
    assert_eq!(read_tree(&out), read_tree(&site.out("fresh")));
    assert!(read_tree(&out)["aktualnosci/ankieta/index.html"]
        .windows(8)
        .any(|w| w == b"Dopisek."));
    assert_eq!(
        fs::read(out.join("polityka-prywatnosci/index.html")).expect("read a page"),
        before
    );
    assert!(
        leftovers(site.parent()).is_empty(),
        "{:?}",
        leftovers(site.parent())
    );
}

#[test]
fn check_writes_nothing_and_counts_like_build() {
    let site = TempSite::fixture("valid");
    let sources = read_tree(&site.root());
    let listing = || {
        fs::read_dir(site.parent())
            .expect("read the temporary folder")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect::<BTreeSet<String>>()
    };
    let before = listing();
    let report = agora_site::build(&site.options(None)).unwrap_or_else(|e| panic!("check: {e}"));
    assert_eq!(report.pages, FIXTURE_PAGES);
    assert_eq!(listing(), before, "nothing is written beside the site");
    assert!(
        read_tree(&site.root()) == sources,
        "nothing is written into the site"
    );
    let built = site.build_ok("public");
    assert_eq!((report.pages, report.files), (built.pages, built.files));
}

#[test]
fn an_output_folder_holding_the_sources_is_refused() {
    let site = TempSite::fixture("valid");
    let sources = read_tree(&site.root());
    for out in [site.root().join("content"), site.root()] {
        let mut options = site.options(None);
        options.out = Some(out.clone());
        let problems = agora_site::build(&options).expect_err("must refuse to replace the sources");
        assert!(problems.to_string().contains("sources"), "{problems}");
    }
    assert!(
        read_tree(&site.root()) == sources,
        "the sources are untouched"
    );
}

// ---------------------------------------------------------------------------
// Invalid sites: one folder per case

fn is_count_line(line: &str) -> bool {
    line.split_once(' ').is_some_and(|(n, word)| {
        !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && matches!(word, "error" | "errors")
    })
}

/// Builds one case; `Err` says what is wrong with its result.
fn run_invalid_case(case: &Path) -> Result<(), String> {
    let expected = fs::read_to_string(case.join("expected.txt"))
        .map_err(|e| format!("cannot read expected.txt: {e}"))?;
    let needles: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
    if needles.is_empty() {
        return Err("expected.txt lists nothing".to_owned());
    }
    let site = TempSite::empty();
    for entry in fs::read_dir(case).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name();
        if name == "expected.txt" || name == "overlay" {
            continue;
        }
        let target = site.root().join(&name);
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    site.add_real_themes();
    if case.join("overlay").is_dir() {
        copy_dir(&case.join("overlay"), &site.root());
    }

    let output = match site.build("public") {
        Ok(report) => return Err(format!("the build succeeded ({} pages)", report.pages)),
        Err(problems) => problems.to_string(),
    };
    let mut failures = Vec::new();
    if site.out("public").exists() {
        failures.push("the failed build wrote public/".to_owned());
    }
    let stray: Vec<String> = fs::read_dir(site.parent())
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "site")
        .collect();
    if !stray.is_empty() {
        failures.push(format!("the failed build left {stray:?}"));
    }
    let root = site.root().to_string_lossy().into_owned();
    if output.contains(&root) {
        failures.push("errors should name files relative to the site, not by absolute path".into());
    }
    match agora_site::build(&site.options(None)) {
        Ok(_) => failures.push("`check` passed where `build` failed".to_owned()),
        Err(problems) if problems.to_string() != output => failures.push(format!(
            "`check` reports other errors than `build`:\n{problems}"
        )),
        Err(_) => {}
    }
    let last_line = output.lines().last().unwrap_or_default();
    for needle in needles {
        let found = if is_count_line(needle) {
            last_line == needle
        } else {
            output.contains(needle)
        };
        if !found {
            failures.push(format!("missing `{needle}`"));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n--- the errors were:\n{output}",
            failures.join("\n")
        ))
    }
}

#[test]
fn invalid_sites_fail_with_errors_naming_the_file_and_write_nothing() {
    let dir = fixtures_dir().join("invalid");
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/fixtures/invalid exists")
        .map(|e| e.expect("a case folder").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 24, "the invalid cases: {cases:?}");
    // The cases are independent: build them side by side.
    let failures: BTreeMap<String, String> = cases
        .par_iter()
        .filter_map(|case| {
            let name = case
                .file_name()
                .expect("a case has a name")
                .to_string_lossy()
                .into_owned();
            run_invalid_case(case).err().map(|failure| (name, failure))
        })
        .collect();
    let report: Vec<String> = failures
        .iter()
        .map(|(name, failure)| format!("=== {name}\n{failure}"))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        report.join("\n\n")
    );
}

// ---------------------------------------------------------------------------
// The `agora` command

#[test]
fn cli_new_names_files_from_the_title_and_they_pass_check() {
    let site = TempSite::fixture("valid");
    let root = site.root();
    let root_arg = root.to_string_lossy().into_owned();
    let title = "Zażółć gęślą jaźń";
    for kind in ["post", "page", "event"] {
        let output = agora(&["new", kind, title, "--root", &root_arg]);
        assert!(
            output.status.success(),
            "agora new {kind}: {}",
            text(&output.stderr)
        );
        assert!(
            text(&output.stdout).starts_with("created "),
            "{}",
            text(&output.stdout)
        );
    }
    let posts: Vec<String> = fs::read_dir(root.join("content/aktualnosci"))
        .expect("the news folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with("-zazolc-gesla-jazn.md"))
        .collect();
    assert_eq!(posts.len(), 1, "{posts:?}");
    let date = &posts[0][..10];
    assert!(
        chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok(),
        "a post's file name starts with its date: {}",
        posts[0]
    );
    for file in [
        format!("content/aktualnosci/{}", posts[0]),
        "content/zazolc-gesla-jazn.md".to_owned(),
        "content/wydarzenia/zazolc-gesla-jazn.md".to_owned(),
    ] {
        let written = fs::read_to_string(root.join(&file))
            .unwrap_or_else(|e| panic!("{file} should be written: {e}"));
        assert!(written.starts_with("---\n"), "{file}: {written}");
        assert!(
            written.contains("title: Zażółć gęślą jaźń"),
            "{file}: {written}"
        );
        assert!(written.contains("draft: true"), "{file}: {written}");
    }

    let check = agora(&["check", "--drafts", "--root", &root_arg]);
    assert!(
        check.status.success(),
        "agora check --drafts after agora new:\n{}",
        text(&check.stderr)
    );
    assert!(
        text(&check.stdout).starts_with("checked "),
        "{}",
        text(&check.stdout)
    );
}

#[test]
fn cli_new_refuses_to_overwrite_an_existing_file() {
    let site = TempSite::fixture("valid");
    let root_arg = site.root().to_string_lossy().into_owned();
    let args = ["new", "page", "Zażółć gęślą jaźń", "--root", &root_arg];
    assert!(agora(&args).status.success());
    let file = site.root().join("content/zazolc-gesla-jazn.md");
    let edited = format!(
        "{}\nMoja zmiana.\n",
        fs::read_to_string(&file).expect("the new page")
    );
    fs::write(&file, &edited).expect("edit the page");

    let again = agora(&args);
    assert_eq!(again.status.code(), Some(1), "the second `new` must fail");
    let stderr = text(&again.stderr);
    assert!(stderr.contains("zazolc-gesla-jazn.md"), "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(
        fs::read_to_string(&file).expect("the page"),
        edited,
        "not overwritten"
    );
}

#[test]
fn cli_build_of_an_invalid_site_exits_1_naming_file_and_line() {
    let site = TempSite::fixture("valid");
    site.write(
        "content/aktualnosci/zly.md",
        "---\ndate: 2020-02-19\ntitel: Literówka\n---\n\nTekst.\n",
    );
    let root = site.root().to_string_lossy().into_owned();
    let out = site.out("public").to_string_lossy().into_owned();
    let output = agora(&["build", "--root", &root, "--out", &out, "--now", NOW]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("content/aktualnosci/zly.md:3"), "{stderr}");
    assert!(stderr.contains("unknown field `titel`"), "{stderr}");
    assert!(stderr.trim_end().ends_with("1 error"), "{stderr}");
    assert!(text(&output.stdout).is_empty());
    assert!(!site.out("public").exists());
}

#[test]
fn cli_build_prints_a_one_line_summary() {
    let site = TempSite::fixture("valid");
    let root = site.root().to_string_lossy().into_owned();
    let out = site.out("public").to_string_lossy().into_owned();
    let output = agora(&["build", "--root", &root, "--out", &out, "--now", NOW]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(
        lines[0].starts_with(&format!("built {FIXTURE_PAGES} pages")),
        "{stdout}"
    );
    assert!(text(&output.stderr).is_empty(), "{}", text(&output.stderr));
    assert!(site.out("public").join("index.html").is_file());
}

// ---------------------------------------------------------------------------
// The tests' own tools must be able to fail

#[test]
fn the_output_link_checker_finds_broken_links() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = dir.path();
    fs::create_dir_all(out.join("a")).expect("a folder");
    fs::write(
        out.join("index.html"),
        "<h1 id=\"top\">x</h1>\
         <a href=\"/a/\">ok</a> <a href=\"/a/#sekcja\">ok</a> <a href=\"#top\">ok</a>\
         <a href=\"https://example.com/x\">external</a> <a href=\"https://example.org/a/\">ok</a>\
         <a href=\"/nie-ma/\">dead</a> <a href=\"/a/#brak\">no anchor</a> <a href=\"#\">bare</a>\
         <img src=\"/obraz.png\"> <a href=\"/a\">no slash</a> <a href=\"https://example.org/x/\">dead</a>",
    )
    .expect("a page");
    fs::write(
        out.join("a/index.html"),
        "<h2 id=\"sekcja\">a</h2><p id=\"sekcja\">b</p>",
    )
    .expect("a page");
    let problems = link_problems(out, BASE_URL);
    let links: Vec<&str> = problems
        .iter()
        .filter_map(|p| p.split('`').nth(1))
        .collect();
    assert_eq!(
        links,
        [
            "/nie-ma/",
            "/a/#brak",
            "#",
            "/a",
            "https://example.org/x/",
            "/obraz.png"
        ],
        "{problems:#?}"
    );
    assert_eq!(
        duplicate_ids(out),
        ["a/index.html: id=\"sekcja\" occurs more than once"]
    );
}

#[test]
fn the_xml_reader_rejects_malformed_documents() {
    for bad in [
        "<a><b></a>",
        "<a>",
        "<a/><b/>",
        "<a>&nieznana;</a>",
        "tekst",
        "",
    ] {
        assert!(parse_xml(bad).is_err(), "`{bad}` should be rejected");
    }
    let good = parse_xml("<?xml version=\"1.0\"?><a x=\"1 &amp; 2\"><b>t &lt; u</b><b/></a>")
        .expect("well-formed");
    assert_eq!(good.attribute("x"), Some("1 & 2"));
    assert_eq!(good.children_named("b").count(), 2);
    assert_eq!(good.children[0].text, "t < u");
}

// `agora serve` on a real port: the built site and the form functions
// answer, and a registration lands in the store and the outbox.

#[test]
fn the_site_and_its_forms_are_served_on_one_machine() {
    let site = TempSite::fixture("valid");
    let mut command = serving::agora_serve(&site.root());
    command.args(["--now", NOW]);
    let server = serving::start(command);

    let (status, home) = server.get("/");
    assert_eq!(status, 200);
    assert!(home.contains("<html lang=\"pl\">"));
    assert_eq!(server.get("/nie-ma/").0, 404);
    let state = serving::form_status(&server.address, "spacer");
    assert_eq!(state["open"], true, "{state}");
    let stamp = state["started_at"].as_str().expect("a fill-time stamp");

    serving::fill_in_like_a_person();
    let form =
        format!("full_name=Anna+Nowak&email=anna%40example.pl&processing=on&started_at={stamp}");
    let urlencoded = Some(("application/x-www-form-urlencoded", form.as_str()));
    let (status, _) = serving::request(&server.address, "POST", "/api/forms/spacer", urlencoded);
    assert_eq!(status, 303);
    let outbox = site.root().join(".agora/outbox");
    let mails: Vec<String> = fs::read_dir(&outbox)
        .expect("the outbox")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        mails.iter().any(|m| m.ends_with("-zgloszenie.eml")),
        "{mails:?}"
    );
    assert!(site.root().join(".agora/agora.sqlite3").exists());
}
