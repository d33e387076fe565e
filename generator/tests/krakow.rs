//! The product: the real Kraków site (`agora.yaml`, `content/` and the
//! theme of the workspace), built as residents get it. These tests are
//! about the content, so an editor's change may fail them, as it should:
//! the privacy page lists every real form with the facts of its file, the
//! site warns about every fact the sources do not give, the accessibility
//! statement has every statutory element, every link resolves, a news
//! post stays light, the pages show their forms, the ambassadors' list
//! and the join form that waits for it, and search: the Polish recall list
//! (`tests/search/recall-pl.tsv`) must find every page it names, and the
//! stems of every word of the site are kept in `tests/search/stems.tsv`,
//! which `tests/browser/search-stemmer.test.js` compares with the
//! browser's stemmer. The generator's own behaviour is tested on fixtures.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use agora_core::forms::privacy::LegalBasis;
use agora_site::search::Stemmer;
use agora_site::BuildReport;
use common::{
    agora, assert_contains_all, between, duplicate_ids, form_part, html_files, link_problems, read,
    text, workspace_dir, SearchIndex, TempSite, NOW,
};

/// The real site built as of [`NOW`] into `<tmp>/public`.
struct Krakow {
    site: TempSite,
    out: PathBuf,
    report: BuildReport,
}

/// The real site as of [`NOW`], unchanged. The tests that read it at the
/// same time share one build; the last to let it go removes its folder
/// (a `static` would leave the folder behind).
fn krakow() -> Arc<Krakow> {
    static SHARED: Mutex<Weak<Krakow>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(built) = shared.upgrade() {
        return built;
    }
    let site = TempSite::real();
    let report = site.build_ok("public");
    let out = site.out("public");
    let built = Arc::new(Krakow { site, out, report });
    *shared = Arc::downgrade(&built);
    built
}

/// Builds `site` into `<tmp>/public` as of a moment inside the 2020
/// recruitments, when their forms are shown, as a preview of that moment
/// does: with drafts, so that the 2023 post (a form) is in.
fn build_in_2020(site: &TempSite) -> PathBuf {
    let mut options = site.options(Some("public"));
    options.now = Some("2020-03-05 12:00".to_owned());
    options.drafts = true;
    agora_site::build(&options).unwrap_or_else(|e| panic!("the Kraków site builds: {e}"));
    site.out("public")
}

// ---------------------------------------------------------------------------
// The legal notices

/// Text as the theme escapes it into HTML.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn yaml(path: &Path) -> serde_yaml::Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The page a form's part links to ("Strona z formularzem"), as a path.
fn part_page(part: &str) -> String {
    part.split("<a href=\"")
        .nth(1)
        .and_then(|rest| rest.split('#').next())
        .unwrap_or("/")
        .to_owned()
}

#[test]
fn the_privacy_page_lists_every_form_with_the_facts_of_its_file() {
    let site = TempSite::real();
    // As of a moment when the 2020 forms are shown, to see their RODO lines.
    let out = build_in_2020(&site);
    let page = read(&out, "polityka-prywatnosci/index.html");
    let config = yaml(&site.root().join("agora.yaml"));
    let forms = agora_core::forms::load_site(&site.root().join("content"), Path::new("content"))
        .unwrap_or_else(|e| panic!("the Kraków forms load: {e:?}"));
    assert_eq!(forms.len(), 5, "the Kraków site has five forms");
    let mut shown = 0;
    for form in &forms {
        let part = form_part(&page, &form.id);
        let privacy = &form.privacy;
        let mut needles = vec![
            escaped(&form.title),
            escaped(&privacy.purpose),
            privacy.legal_basis.article_pl().to_owned(),
            format!("{} dni od wysłania zgłoszenia", form.retention_days),
            "najwyżej 35 dni".to_owned(),
        ];
        needles.extend(privacy.legal_basis_detail.iter().map(|d| escaped(d)));
        needles.extend(form.fields.iter().map(|f| escaped(&f.label)));
        needles.extend(
            form.consents
                .iter()
                .map(|c| format!("(wersja {})", c.version)),
        );
        for recipient in &privacy.recipients {
            let name = config["privacy"]["recipients"][recipient.key.as_str()]["name"]
                .as_str()
                .unwrap_or_else(|| panic!("agora.yaml defines the recipient {}", recipient.key));
            needles.push(escaped(name));
        }
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        assert_contains_all(&format!("the part about {}", form.id), part, &needles);
        // A required box on a public task is an acknowledgement, never consent.
        if privacy.legal_basis == LegalBasis::PublicTask {
            assert!(part.contains("to nie jest zgoda"), "{part}");
            for consent in form.consents.iter().filter(|c| c.required) {
                assert!(
                    !agora_core::forms::privacy::asks_for_consent(&consent.text),
                    "{}: the box `{}` is worded as consent",
                    form.id,
                    consent.name
                );
            }
        }
        // Each form's RODO line links to its own part of the notice.
        let form_page = out
            .join(part_page(part).trim_start_matches('/'))
            .join("index.html");
        let form_html = fs::read_to_string(&form_page).unwrap_or_default();
        if form_html.contains("<form class=\"agora-form\"") {
            shown += 1;
            assert!(
                form_html.contains(&format!("/polityka-prywatnosci/#dane-osobowe-{}", form.id)),
                "{}",
                form_page.display()
            );
        }
    }
    assert!(shown >= 2, "forms shown as of 2020-03-05: {shown}");
    // The lottery form links to the explanation of the draw.
    let lottery = form_part(&page, "warsztaty-wspolne-projekty-miejskie-2020");
    assert!(lottery.contains("href=\"/losowanie/\""), "{lottery}");
}

#[test]
fn the_privacy_page_describes_what_the_staff_workspace_keeps() {
    let krakow = krakow();
    let page = read(&krakow.out, "polityka-prywatnosci/index.html");
    let config = yaml(&krakow.site.root().join("agora.yaml"));
    // `panel.audit_days` is not in the sources: the period the workspace
    // keeps until it is set.
    let audit_days = config["panel"]["audit_days"]
        .as_u64()
        .unwrap_or(u64::from(agora_site::config::DEFAULT_AUDIT_DAYS));
    let part = between(&page, "id=\"panel-pracownikow-programu\"", "</dl>");
    assert_contains_all(
        "the workspace's part",
        part,
        &[
            "ich służbowe adresy e-mail są wpisane w konfiguracji strony",
            "Link działa jeden raz i tylko przez 15 minut.",
            "przez 30 minut, i najpóźniej 10 godzin po zalogowaniu",
            &format!("Każdy wpis przechowujemy przez {audit_days} dni"),
            "formularz i numer zgłoszenia",
            "Dane z formularzy panel pokazuje tylko pracownikom biura.",
            "Ambasador widzi tylko osoby, które zgłosiły się do udziału w procesie w jego obszarze",
        ],
    );
}

#[test]
fn the_real_site_warns_about_every_fact_the_sources_do_not_give() {
    let krakow = krakow();
    let warnings: Vec<String> = krakow
        .report
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    for key in [
        "privacy.controller.address",
        "privacy.controller.email",
        "privacy.dpo.email",
        "privacy.dpo.address",
        "accessibility.site_published",
        "accessibility.contact.name",
        "accessibility.architecture",
        "accessibility.sign_language",
        "panel.audit_days",
    ] {
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("agora.yaml:") && w.contains(&format!("`{key}` is not set"))),
            "no warning about {key}: {warnings:#?}"
        );
    }
}

#[test]
fn the_backups_the_notice_names_are_those_the_aws_template_keeps() {
    let config = yaml(&workspace_dir().join("agora.yaml"));
    let template =
        fs::read_to_string(workspace_dir().join("infra/template.yaml")).expect("the AWS template");
    assert!(template.contains("PointInTimeRecoveryEnabled: true"));
    // Point-in-time recovery keeps 35 days unless the template sets another period.
    let days = template
        .lines()
        .find_map(|l| l.trim().strip_prefix("RecoveryPeriodInDays:"))
        .map_or(35, |d| d.trim().parse().expect("a number of days"));
    assert_eq!(config["privacy"]["backup_days"].as_u64(), Some(days));
    // The privacy page says how long the functions' logs are kept.
    let log_days: Vec<&str> = template
        .lines()
        .filter_map(|l| l.trim().strip_prefix("RetentionInDays:"))
        .map(str::trim)
        .collect();
    assert!(
        !log_days.is_empty() && log_days.iter().all(|d| *d == "30"),
        "{log_days:?}"
    );
    let notice = fs::read_to_string(workspace_dir().join("content/polityka-prywatnosci.md"))
        .expect("the privacy page");
    assert!(notice.contains("są usuwane po 30 dniach"));
}

#[test]
fn the_accessibility_statement_has_every_statutory_element() {
    let krakow = krakow();
    let page = read(&krakow.out, "deklaracja-dostepnosci/index.html");
    // The ids of the Minister's technical conditions for statements.
    let ids: Vec<String> = [
        "a11y-wstep",
        "a11y-podmiot",
        "a11y-url",
        "a11y-data-publikacja",
        "a11y-data-aktualizacja",
        "a11y-status",
        "a11y-data-sporzadzenie",
        "a11y-data-przeglad",
        "a11y-kontakt",
        "a11y-osoba",
        "a11y-email",
        "a11y-telefon",
        "a11y-procedura",
        "a11y-architektura",
        "a11y-aplikacje",
    ]
    .iter()
    .map(|id| format!("id=\"{id}\""))
    .collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_contains_all("the statement", &page, &ids);
    assert_contains_all(
        "the statement",
        &page,
        &[
            // Honest status, and why.
            "<strong id=\"a11y-status\">częściowo zgodna</strong>",
            "Treści niedostępne",
            "Wyłączenia",
            // How it was prepared.
            "samooceny",
            "axe-core",
            // The request and complaint procedure.
            "7 dni",
            "2 miesięcy",
            "Rzecznika Praw Obywatelskich",
            "Dostępność architektoniczna",
            "polskiego języka migowego",
        ],
    );
    // The statement's own dates are those of its front matter.
    let source = fs::read_to_string(krakow.site.root().join("content/deklaracja-dostepnosci.md"))
        .expect("the statement");
    let date_of = |key: &str| {
        source
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}: ")))
            .unwrap_or_else(|| panic!("the statement's front matter has `{key}`"))
            .trim()
            .to_owned()
    };
    let (published, updated) = (date_of("published"), date_of("updated"));
    assert!(published <= updated);
    assert!(
        page.contains(&format!(
            "<time id=\"a11y-data-sporzadzenie\" datetime=\"{published}\">"
        )),
        "{page}"
    );
    assert!(page.contains(&format!(
        "<time id=\"a11y-data-przeglad\" datetime=\"{updated}\">"
    )));
}

// ---------------------------------------------------------------------------
// Links and weight

#[test]
fn every_link_and_anchor_of_the_real_site_resolves() {
    let krakow = krakow();
    let out = &krakow.out;
    let base_url = fs::read_to_string(krakow.site.root().join("agora.yaml"))
        .expect("the real agora.yaml")
        .lines()
        .find_map(|line| line.strip_prefix("base_url:").map(|v| v.trim().to_owned()))
        .expect("agora.yaml has a base_url");
    assert!(html_files(out).len() > 10, "the real site has pages");
    let problems = link_problems(out, &base_url);
    assert!(
        problems.is_empty(),
        "{} broken links:\n{}",
        problems.len(),
        problems.join("\n")
    );
    let duplicates = duplicate_ids(out);
    assert!(duplicates.is_empty(), "{duplicates:#?}");
}

/// The files a page loads: its stylesheets and scripts, as site paths.
fn loaded_assets(html: &str) -> Vec<String> {
    let mut assets = Vec::new();
    for (tag, attribute) in [
        ("<link rel=\"stylesheet\"", "href=\""),
        ("<script", "src=\""),
    ] {
        for (at, _) in html.match_indices(tag) {
            let element = &html[at..at + html[at..].find('>').expect("a closed tag")];
            if let Some(start) = element.find(attribute) {
                let value = &element[start + attribute.len()..];
                assets.push(value[..value.find('"').expect("a closed attribute")].to_owned());
            }
        }
    }
    assets
}

#[test]
fn a_news_post_weighs_at_most_30_kb_with_its_css_and_js() {
    let krakow = krakow();
    let out = &krakow.out;
    let posts = fs::read_dir(out.join("aktualnosci")).expect("the news section");
    let mut checked = 0;
    for entry in posts {
        let page = entry.expect("a directory entry").path().join("index.html");
        let Ok(html) = fs::read_to_string(&page) else {
            continue;
        };
        let assets = loaded_assets(&html);
        assert!(!assets.is_empty(), "{} loads no stylesheet", page.display());
        let weight = html.len()
            + assets
                .iter()
                .map(|asset| {
                    let file = out.join(asset.trim_start_matches('/'));
                    fs::metadata(&file)
                        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
                        .len() as usize
                })
                .sum::<usize>();
        assert!(
            weight <= 30_000,
            "{} weighs {weight} bytes with {assets:?}",
            page.display()
        );
        checked += 1;
    }
    assert!(checked >= 2, "the real site's news posts were checked");
}

// ---------------------------------------------------------------------------
// The forms and the ambassadors

#[test]
fn the_krakow_pages_show_their_forms() {
    let site = TempSite::real();
    // Joining a process needs published ambassadors to choose from (the
    // empty list's notice is checked below).
    site.write(
        "content/data/ambasadorzy.yaml",
        "ambassadors:\n  - id: K7QX-M3PA\n    area: Osiedle Zabłocie\n",
    );
    // Inside the 2020 recruitments; the 2023 post is then in the future.
    let out = build_in_2020(&site);
    for (page, form) in [
        ("wspolne-projekty/ambasadorzy/index.html", "ambasadorzy"),
        (
            "wspolne-projekty/dzielnicowe/index.html",
            "dolacz-do-procesu",
        ),
        (
            "aktualnosci/partycypacja-dla-poczatkujacych-i-zaawansowanych/index.html",
            "debiuty-w-partycypacji",
        ),
    ] {
        let html = read(&out, page);
        assert!(
            html.contains(&format!("action=\"/api/forms/{form}\"")),
            "{page} shows {form}"
        );
    }
    // The 2020 workshops were called off: their page says so and offers
    // no form, no places and no draw.
    let workshops = read(&out, "wspolne-projekty/miejskie/index.html");
    assert_contains_all(
        "the cancelled workshops",
        &workshops,
        &["Nabór odwołany", "odwołano z powodu epidemii COVID-19"],
    );
    for gone in [
        "action=\"/api/forms/warsztaty-wspolne-projekty-miejskie-2020\"",
        "<dt>Liczba miejsc</dt>",
        "O miejscu decyduje",
        "Mamy 60",
    ] {
        assert!(!workshops.contains(gone), "{gone} on the cancelled page");
    }
}

#[test]
fn the_ambassadors_page_lists_the_published_ambassadors() {
    let empty = read(&krakow().out, "wspolne-projekty/ambasadorzy/index.html");
    assert!(
        empty.contains("Lista jest jeszcze pusta"),
        "an empty list says so"
    );
    let site = TempSite::real();
    site.write(
        "content/data/ambasadorzy.yaml",
        "ambassadors:\n  - { id: K7QX-M3PA, full_name: Anna Nowak, district: Dzielnica XIII Podgórze, area: Osiedle Kabel }\n",
    );
    site.build_ok("after");
    let page = read(
        &site.out("after"),
        "wspolne-projekty/ambasadorzy/index.html",
    );
    let table = between(&page, "<table class=\"ambassadors\">", "</table>");
    for expected in [
        "<th scope=\"col\">Ambasador</th>",
        "Anna Nowak",
        "Dzielnica XIII Podgórze",
        "Osiedle Kabel",
    ] {
        assert!(table.contains(expected), "{expected} missing in {table}");
    }
}

#[test]
fn the_join_form_waits_for_the_published_ambassadors_with_a_warning() {
    let site = TempSite::real();
    // Kept open as of the tests' moment; its list of ambassadors is
    // still empty.
    let form = "content/forms/dolacz-do-procesu.yaml";
    let text_of_form = fs::read_to_string(site.root().join(form)).expect("the join form");
    assert!(text_of_form.contains("closed_by: 2026-12-06"));
    site.write(
        form,
        &text_of_form.replace("closed_by: 2026-12-06", "closed_by: 2030-05-31"),
    );
    let root = site.root().to_string_lossy().into_owned();
    let out = site.out("public").to_string_lossy().into_owned();
    let output = agora(&["build", "--root", &root, "--out", &out, "--now", NOW]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let line = text_of_form
        .lines()
        .position(|l| l.contains("options_from: { data: ambasadorzy"))
        .expect("the ambassador field takes its options from the published list")
        + 1;
    assert!(
        stderr.contains(&format!("warning: content/forms/dolacz-do-procesu.yaml:{line}: `ambassador` takes its options from content/data/ambasadorzy.yaml, whose list is empty")),
        "{stderr}"
    );
    let page = read(
        &site.out("public"),
        "wspolne-projekty/dzielnicowe/index.html",
    );
    assert!(
        page.contains("<div class=\"notice form-unavailable\">\n<p>Lista ambasadorów nie jest jeszcze opublikowana"),
        "{page}"
    );
    assert!(
        !page.contains("action=\"/api/forms/dolacz-do-procesu\""),
        "no form to send"
    );
}

// ---------------------------------------------------------------------------
// Search

/// The recall list: (query, page, forms on the page).
fn recall_list() -> Vec<(String, String, String)> {
    let text = fs::read_to_string(workspace_dir().join("tests/search/recall-pl.tsv"))
        .expect("tests/search/recall-pl.tsv");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut cells = line.split('\t').map(str::to_owned);
            let mut next = || cells.next().unwrap_or_default();
            (next(), next(), next())
        })
        .collect()
}

#[test]
fn every_inflected_query_of_the_recall_list_finds_its_page() {
    let index = SearchIndex::load(&krakow().out);
    let stemmer = Stemmer::polish().expect("the stemmer");
    let list = recall_list();
    assert!(list.len() >= 50, "the recall list has {} pairs", list.len());
    let mut misses = Vec::new();
    let mut wrong = Vec::new();
    for (query, url, forms) in &list {
        let number = index
            .number(url)
            .unwrap_or_else(|| panic!("{url} (for {query}) is not in the index"));
        let (_, title, words) = &index.docs[number as usize];
        let folded = stemmer.word_list(query).join(" ");
        let on_page = format!(" {title} {words} ");
        if on_page.contains(&format!(" {folded} ")) {
            wrong.push(format!(
                "`{query}` is on {url} as it is: the pair tests no inflection"
            ));
        }
        for form in forms.split(", ") {
            let form = stemmer.word_list(form).join(" ");
            if !on_page.contains(&format!(" {form} ")) {
                wrong.push(format!(
                    "{url} has no `{form}` (the recall list says it has)"
                ));
            }
        }
        if !index.find(query).contains(&number) {
            misses.push(format!("{query} -> {url} ({forms})"));
        }
    }
    assert!(
        wrong.is_empty(),
        "the recall list is wrong:\n{}",
        wrong.join("\n")
    );
    let found = list.len() - misses.len();
    println!(
        "Polish recall: {found} of {} inflected queries found their page ({:.1} %)",
        list.len(),
        100.0 * found as f64 / list.len() as f64
    );
    assert!(misses.is_empty(), "not found:\n{}", misses.join("\n"));
}

#[test]
fn the_browser_stems_words_with_the_rules_of_this_fixture() {
    // Every word of the Kraków site and of the recall list, with its stem:
    // the browser's stemmer must give the same (search-stemmer.test.js).
    let index = SearchIndex::load(&krakow().out);
    let stemmer = Stemmer::polish().expect("the stemmer");
    let mut words: BTreeSet<String> = BTreeSet::new();
    for (_, title, text) in &index.docs {
        words.extend(title.split(' ').chain(text.split(' ')).map(str::to_owned));
    }
    for (query, _, forms) in recall_list() {
        words.extend(stemmer.word_list(&query));
        words.extend(stemmer.word_list(&forms));
    }
    words.remove("");
    let mut expected = String::from(
        "# word\tstem: every word of the Kraków site and of recall-pl.tsv (generator/tests/krakow.rs writes it with AGORA_WRITE_FIXTURES=1)\n",
    );
    for word in &words {
        expected.push_str(&format!("{word}\t{}\n", stemmer.stem(word)));
    }
    let path = workspace_dir().join("tests/search/stems.tsv");
    if std::env::var_os("AGORA_WRITE_FIXTURES").is_some() {
        fs::write(&path, &expected).expect("write tests/search/stems.tsv");
    }
    let kept = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == expected,
        "tests/search/stems.tsv is not what the stemmer gives: run this test with AGORA_WRITE_FIXTURES=1 and review the change"
    );
}
