//! The legal notices: the privacy page is rendered from the form files (a
//! change to a form changes it), a form without its purpose, legal basis
//! or recipients fails `agora check`, and facts the configuration leaves
//! out are marked placeholders with a warning. Also: the forms' script
//! loads only on pages that show a form. (The real notices of Kraków are
//! tested in `krakow.rs`.)

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use std::fs;

use common::{assert_contains_all, built_fixture, form_part, html_files, read, TempSite};

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
fn the_privacy_page_describes_the_staff_workspace_only_for_a_site_with_one() {
    let site = TempSite::fixture("valid");
    let page_file = "content/polityka-prywatnosci.md";
    let page = fs::read_to_string(site.root().join(page_file)).expect("the privacy page");
    site.write(
        page_file,
        &format!("{page}\n## Panel\n\n{{{{ privacy part=\"panel\" }}}}\n"),
    );
    site.build_ok("without");
    let without = read(&site.out("without"), "polityka-prywatnosci/index.html");
    assert!(without.contains("Ta strona nie ma panelu pracowników"));
    assert!(!without.contains("__Host-agora-panel"), "{without}");

    let config = fs::read_to_string(site.root().join("agora.yaml")).expect("agora.yaml");
    site.write(
        "agora.yaml",
        &format!("{config}panel:\n  office: [biuro@example.org]\n  audit_days: 730\n"),
    );
    site.build_ok("with");
    let with = read(&site.out("with"), "polityka-prywatnosci/index.html");
    assert_contains_all(
        "the workspace's part",
        &with,
        &[
            "Link działa jeden raz i tylko przez 15 minut.",
            "tylko jego skrót (SHA-256)",
            "<code>__Host-agora-panel</code>",
            "gdy nic się w niej nie dzieje przez 30 minut, i najpóźniej 10 godzin po zalogowaniu",
            "Każdy wpis przechowujemy przez 730 dni, potem go usuwamy.",
            "Dane z formularzy panel pokazuje tylko pracownikom biura.",
            "skróty starsze niż 1 dzień usuwamy",
        ],
    );
    assert!(!with.contains("Ta strona nie ma panelu"));
}

#[test]
fn the_forms_script_loads_only_on_pages_that_show_a_form() {
    let (_site, out) = built_fixture();
    let mut with_forms = Vec::new();
    for (path, html) in html_files(&out) {
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
            "kontakt/index.html",
            "program/dzielnicowe/index.html",
            "terminarz/index.html",
        ]
    );
}
