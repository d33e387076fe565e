//! The legal notices: the privacy page is rendered from the form files (a
//! change to a form changes it), a form without its purpose, legal basis
//! or recipients fails `agora check`, facts the configuration leaves out
//! are marked placeholders with a warning, and the accessibility statement
//! has every element of the statutory template. Also: the forms' script
//! loads only on pages that show a form.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use std::fs;
use std::path::Path;

use agora_core::forms::privacy::LegalBasis;
use common::{assert_contains_all, html_files, read, workspace_dir, TempSite};

/// Text as the theme escapes it into HTML.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The part of the privacy page about form `id`.
fn form_part<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("<h3 id=\"dane-osobowe-{id}\">"))
        .unwrap_or_else(|| panic!("the privacy page has no part about the form {id}:\n{page}"));
    let rest = &page[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

fn yaml(path: &Path) -> serde_yaml::Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_privacy_page_lists_every_form_with_the_facts_of_its_file() {
    let site = TempSite::real();
    // As of a moment when the 2020 forms are shown, to see their RODO lines.
    let mut options = site.options(Some("public"));
    options.now = Some("2020-03-05 12:00".to_owned());
    // As a preview of that moment does: the 2023 post (a form) is in.
    options.drafts = true;
    agora_site::build(&options).unwrap_or_else(|e| panic!("the build: {e}"));
    let page = read(&site.out("public"), "polityka-prywatnosci/index.html");
    let config = yaml(&site.root().join("agora.yaml"));
    let forms = agora_core::forms::load_site(&site.root().join("content"), Path::new("content"))
        .unwrap_or_else(|e| panic!("the Kraków forms load: {e:?}"));
    assert_eq!(forms.len(), 4, "the Kraków site has four forms");
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
        let form_page = site
            .out("public")
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

/// The page a form's part links to ("Strona z formularzem"), as a path.
fn part_page(part: &str) -> String {
    part.split("<a href=\"")
        .nth(1)
        .and_then(|rest| rest.split('#').next())
        .unwrap_or("/")
        .to_owned()
}

#[test]
fn a_change_to_a_form_changes_the_privacy_page() {
    let site = TempSite::fixture("valid");
    site.build_ok("before");
    let before = read(&site.out("before"), "polityka-prywatnosci/index.html");
    assert!(form_part(&before, "spacer").contains("30 dni od wysłania zgłoszenia"));

    let file = "content/forms/spacer.yaml";
    let text = fs::read_to_string(site.root().join(file)).expect("the form");
    let text = text
        .replace("retention_days: 30", "retention_days: 22")
        .replace(
            "purpose: Zapisy na spacer badawczy i kontakt z jego uczestnikami.",
            "purpose: Zapisy na spacer i wysłanie jego uczestnikom mapy trasy.",
        )
        .replace("recipients: [cloud, email]", "recipients: [cloud]");
    site.write(file, &text);
    site.build_ok("after");
    let after = read(&site.out("after"), "polityka-prywatnosci/index.html");
    let part = form_part(&after, "spacer");
    assert_contains_all(
        "the changed part",
        part,
        &[
            "22 dni od wysłania zgłoszenia",
            "wysłanie jego uczestnikom mapy trasy",
        ],
    );
    assert!(!part.contains("Dostawca poczty"), "{part}");
}

#[test]
fn a_form_without_purpose_basis_or_recipients_fails_check_at_its_line() {
    let site = TempSite::fixture("valid");
    let file = "content/forms/spacer.yaml";
    let text = fs::read_to_string(site.root().join(file)).expect("the form");
    let line = text
        .lines()
        .position(|l| l.starts_with("retention_days:"))
        .expect("retention_days")
        + 1;
    let stripped: String = text
        .lines()
        .filter(|l| {
            !["purpose:", "legal_basis:", "recipients:"]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    site.write(file, &stripped);
    let problems = agora_site::build(&site.options(None))
        .expect_err("a form must say why, on which basis and to whom")
        .to_string();
    for key in ["purpose", "legal_basis", "recipients"] {
        assert!(
            problems.contains(&format!("error: {file}:{line}: the form does not say"))
                && problems.contains(&format!("`{key}` is missing")),
            "{problems}"
        );
    }
    assert!(
        problems.contains("legal_basis: public_task"),
        "the hint shows an example: {problems}"
    );
}

#[test]
fn facts_left_out_of_the_configuration_are_marked_placeholders_with_warnings() {
    let site = TempSite::fixture("valid");
    let config = fs::read_to_string(site.root().join("agora.yaml")).expect("agora.yaml");
    let config = config.replace("    email: iod@example.org\n", "");
    site.write("agora.yaml", &config);
    let dpo_line = config
        .lines()
        .position(|l| l == "  dpo:")
        .expect("the dpo key")
        + 1;
    let report = site.build_ok("public");
    let warnings: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings.iter().any(|w| w.starts_with(&format!(
            "agora.yaml:{dpo_line}: `privacy.dpo.email` is not set: content/polityka-prywatnosci.md shows „[do uzupełnienia: adres e-mail inspektora ochrony danych]”"
        ))),
        "{warnings:#?}"
    );
    assert_eq!(warnings.len(), 1, "only the fact left out: {warnings:#?}");
    let page = read(&site.out("public"), "polityka-prywatnosci/index.html");
    assert!(
        page.contains("<span class=\"placeholder\">[do uzupełnienia: adres e-mail inspektora ochrony danych]</span>"),
        "{page}"
    );
    assert!(page.contains("ul. Przykładowa 1, 00-001 Testowo"));
}

#[test]
fn the_real_site_warns_about_every_fact_the_sources_do_not_give() {
    let site = TempSite::real();
    let report = agora_site::build(&site.options(None)).unwrap_or_else(|e| panic!("check: {e}"));
    let warnings: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    for key in [
        "privacy.controller.address",
        "privacy.controller.email",
        "privacy.dpo.email",
        "privacy.dpo.address",
        "accessibility.site_published",
        "accessibility.contact.name",
        "accessibility.architecture",
        "accessibility.sign_language",
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
fn the_forms_script_loads_only_on_pages_that_show_a_form() {
    let site = TempSite::real();
    site.build_ok("public");
    let mut with_forms = Vec::new();
    for (path, html) in html_files(&site.out("public")) {
        let shows_form = html.contains("data-agora-form=");
        let loads_script = html.contains("forms.js");
        assert_eq!(
            shows_form, loads_script,
            "{path}: a form {shows_form}, its script {loads_script}"
        );
        if shows_form {
            with_forms.push(path);
        }
    }
    with_forms.sort();
    assert_eq!(
        with_forms,
        [
            "aktualnosci/partycypacja-dla-poczatkujacych-i-zaawansowanych/index.html",
            "wspolne-projekty/ambasadorzy/index.html",
            "wspolne-projekty/dzielnicowe/index.html",
            "wspolne-projekty/miejskie/index.html",
        ]
    );
}

#[test]
fn the_accessibility_statement_has_every_statutory_element() {
    let site = TempSite::real();
    site.build_ok("public");
    let page = read(&site.out("public"), "deklaracja-dostepnosci/index.html");
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
    let source = fs::read_to_string(site.root().join("content/deklaracja-dostepnosci.md"))
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
