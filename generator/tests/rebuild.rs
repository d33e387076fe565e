//! Rebuilds of `agora serve` after edits: each must give exactly the site
//! a whole build of the edited sources gives, re-render only what the
//! edit changes, and keep the last good site on an error.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use std::path::PathBuf;

use agora_site::rebuild::{LiveBuild, SiteFiles};
use common::TempSite;

const POST: &str = "content/aktualnosci/2020-02-05-ankieta.md";
const POST_PAGE: &str = "aktualnosci/ankieta/index.html";

fn start(site: &TempSite) -> LiveBuild {
    match LiveBuild::new(site.options(None)) {
        Ok((live, _)) => live,
        Err(problems) => panic!("the first build should succeed, but:\n{problems}"),
    }
}

/// The site a whole build of the sources as they are now gives.
fn whole(site: &TempSite) -> SiteFiles {
    (*start(site).files()).clone()
}

fn text(files: &SiteFiles, path: &str) -> String {
    let bytes = files.get(path).unwrap_or_else(|| panic!("{path} is built"));
    String::from_utf8_lossy(bytes).into_owned()
}

/// Paths whose bytes differ between two builds.
fn differences(a: &SiteFiles, b: &SiteFiles) -> Vec<String> {
    let mut paths: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|p| a.get(*p) != b.get(*p))
        .map(|p| p.to_string())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

fn rebuild_ok(live: &mut LiveBuild, path: &str) -> agora_site::rebuild::Rebuilt {
    match live.rebuild(&[PathBuf::from(path)]) {
        Ok(rebuilt) => rebuilt,
        Err(problems) => panic!("the rebuild should succeed, but:\n{problems}"),
    }
}

#[test]
fn a_body_edit_renders_the_page_alone_and_matches_a_whole_build() {
    let site = TempSite::fixture("valid");
    let mut live = start(&site);
    let before = live.files();
    site.write(
        POST,
        "---\ntitle: Ankieta dla mieszkańców\ndate: 2020-02-05\ntags: []\n---\n\nWypełnij ankietę o potrzebach twojej okolicy.\n\n## Nowy akapit\n\nZmieniony tekst wpisu.\n",
    );
    let rebuilt = rebuild_ok(&mut live, POST);
    assert!(!rebuilt.whole, "an edit of one page is no whole rebuild");
    assert_eq!(rebuilt.pages, 1, "only the page itself is rendered");
    let after = live.files();
    assert!(text(&after, POST_PAGE).contains("Zmieniony tekst wpisu."));
    assert!(!text(&before, POST_PAGE).contains("Zmieniony tekst wpisu."));
    assert_eq!(differences(&after, &whole(&site)), Vec::<String>::new());
}

#[test]
fn a_title_or_date_edit_renders_the_lists_that_show_it() {
    let site = TempSite::fixture("valid");
    let mut live = start(&site);
    site.write(
        POST,
        "---\ntitle: Ankieta – nowy tytuł\ndate: 2020-04-20\ntags: [ankiety]\n---\n\nWypełnij ankietę o potrzebach twojej okolicy.\n",
    );
    // A new tag: the whole site.
    let rebuilt = rebuild_ok(&mut live, POST);
    assert!(rebuilt.whole);
    assert_eq!(
        differences(&live.files(), &whole(&site)),
        Vec::<String>::new()
    );

    site.write(
        POST,
        "---\ntitle: Ankieta – jeszcze inny tytuł\ndate: 2020-01-01\ntags: [ankiety]\n---\n\nInny pierwszy akapit.\n",
    );
    let rebuilt = rebuild_ok(&mut live, POST);
    assert!(
        !rebuilt.whole,
        "same URL, same tags: only what shows the post"
    );
    assert!(rebuilt.pages > 1, "the lists are rendered too");
    let after = live.files();
    assert!(text(&after, "tagi/ankiety/index.html").contains("jeszcze inny tytuł"));
    assert_eq!(differences(&after, &whole(&site)), Vec::<String>::new());
}

#[test]
fn an_error_keeps_the_last_good_site_until_fixed() {
    let site = TempSite::fixture("valid");
    let mut live = start(&site);
    let good = live.files();
    site.write(
        POST,
        "---\ntitle: Ankieta\ndate: nie-data\n---\n\nPopsuty wpis.\n",
    );
    let problems = match live.rebuild(&[PathBuf::from(POST)]) {
        Ok(_) => panic!("a post with a bad date must fail"),
        Err(problems) => problems.to_string(),
    };
    assert!(
        problems.contains(POST),
        "the error names the file: {problems}"
    );
    assert!(problems.contains(":3"), "and the line: {problems}");
    assert_eq!(differences(&live.files(), &good), Vec::<String>::new());

    // A good edit elsewhere does not hide the broken file.
    let other = "content/kontakt.md";
    let contact = std::fs::read_to_string(site.root().join(other)).expect("read kontakt.md");
    site.write(other, &format!("{contact}\nDopisek.\n"));
    assert!(live.rebuild(&[PathBuf::from(other)]).is_err());

    // A dead link is an error too, found across the site.
    site.write(
        POST,
        "---\ntitle: Ankieta\ndate: 2020-02-05\n---\n\n[zła](/nie-ma/)\n",
    );
    assert!(live.rebuild(&[]).is_err());

    site.write(
        POST,
        "---\ntitle: Ankieta naprawiona\ndate: 2020-02-05\ntags: []\n---\n\nNaprawione.\n",
    );
    let rebuilt = rebuild_ok(&mut live, POST);
    assert!(
        rebuilt.changed.contains("and 1 more"),
        "{}",
        rebuilt.changed
    );
    let after = live.files();
    assert!(text(&after, POST_PAGE).contains("Naprawione."));
    assert!(text(&after, "kontakt/index.html").contains("Dopisek."));
    assert_eq!(differences(&after, &whole(&site)), Vec::<String>::new());
}

#[test]
fn new_and_deleted_files_rebuild_the_whole_site() {
    let site = TempSite::fixture("valid");
    let mut live = start(&site);
    let new = "content/aktualnosci/2020-04-20-nowy.md";
    site.write(
        new,
        "---\ntitle: Nowy wpis\ndate: 2020-04-20\n---\n\nNowość.\n",
    );
    assert!(rebuild_ok(&mut live, new).whole);
    assert!(text(&live.files(), "aktualnosci/nowy/index.html").contains("Nowość."));
    assert_eq!(
        differences(&live.files(), &whole(&site)),
        Vec::<String>::new()
    );

    std::fs::remove_file(site.root().join(new)).expect("delete the post");
    assert!(rebuild_ok(&mut live, new).whole);
    assert!(!live.files().contains_key("aktualnosci/nowy/index.html"));
    assert_eq!(
        differences(&live.files(), &whole(&site)),
        Vec::<String>::new()
    );
}

#[test]
fn a_heading_removed_breaks_the_links_of_other_pages_to_it() {
    let site = TempSite::fixture("valid");
    let mut live = start(&site);
    let good = live.files();
    let contact = "content/kontakt.md";
    let text = std::fs::read_to_string(site.root().join(contact)).expect("read kontakt.md");
    // Another post links to /kontakt/#telefon.
    site.write(contact, &text.replace("## Telefon", "Telefon:"));
    let problems = match live.rebuild(&[PathBuf::from(contact)]) {
        Ok(_) => panic!("a link to the removed heading must fail the rebuild"),
        Err(problems) => problems.to_string(),
    };
    assert!(
        problems.contains("2020-02-19-nowa-sciezka.md") && problems.contains("#telefon"),
        "the linking page is named: {problems}"
    );
    assert_eq!(differences(&live.files(), &good), Vec::<String>::new());

    // A heading renamed the same way, and one added: fine again.
    site.write(
        contact,
        &text.replace("## Dojazd", "## Dojazd\n\n## Godziny otwarcia"),
    );
    let rebuilt = rebuild_ok(&mut live, contact);
    assert!(!rebuilt.whole);
    assert_eq!(rebuilt.pages, 1, "only the page itself is rendered");
    assert_eq!(
        differences(&live.files(), &whole(&site)),
        Vec::<String>::new()
    );
}

#[test]
fn an_edit_checks_its_own_links_and_form() {
    let site = TempSite::fixture("valid");
    let mut live = start(&site);
    let good = live.files();
    let contact = "content/kontakt.md";
    let text = std::fs::read_to_string(site.root().join(contact)).expect("read kontakt.md");
    for (broken, expected) in [
        (
            format!("{text}\n[program](@/program/dzielnicowe.md#nie-ma)\n"),
            "#nie-ma",
        ),
        (format!("{text}\n[zła](/nie-ma/)\n"), "/nie-ma/"),
        (
            text.replace("form: zbiorka", "form: nie-ma-takiego"),
            "nie-ma-takiego",
        ),
    ] {
        site.write(contact, &broken);
        let problems = match live.rebuild(&[PathBuf::from(contact)]) {
            Ok(_) => panic!("{expected}: the edit must fail"),
            Err(problems) => problems.to_string(),
        };
        assert!(
            problems.contains("kontakt.md") && problems.contains(expected),
            "{expected}: {problems}"
        );
        assert_eq!(differences(&live.files(), &good), Vec::<String>::new());
    }
    site.write(
        contact,
        &format!("{text}\n[etap I](@/program/dzielnicowe.md#etap-i-ambasadorzy)\n"),
    );
    assert!(!rebuild_ok(&mut live, contact).whole);
    assert_eq!(
        differences(&live.files(), &whole(&site)),
        Vec::<String>::new()
    );
}

#[test]
fn a_form_shown_on_another_page_rebuilds_the_whole_site() {
    // The first page showing a form is the one other pages link to.
    let site = TempSite::fixture("valid");
    let mut live = start(&site);
    site.write(
        POST,
        "---\ntitle: Ankieta dla mieszkańców\ndate: 2020-02-05\ntags: []\nform: zbiorka\n---\n\nWypełnij ankietę o potrzebach twojej okolicy.\n",
    );
    assert!(rebuild_ok(&mut live, POST).whole);
    assert_eq!(
        differences(&live.files(), &whole(&site)),
        Vec::<String>::new()
    );
}
