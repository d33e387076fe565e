//! Forms on pages: a page that names a form shows it, rendered from its
//! definition; an event links to it; the form's state decides what shows.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use common::{assert_contains_all, built_fixture, read, TempSite};

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {text}"));
    let rest = &text[from..];
    let to = rest
        .find(end)
        .unwrap_or_else(|| panic!("no {end} after {start}"));
    &rest[..to + end.len()]
}

#[test]
fn a_page_naming_a_form_shows_it_rendered_from_its_definition() {
    let (_site, out) = built_fixture();
    let page = read(&out, "program/dzielnicowe/index.html");
    let panel = between(&page, "<section class=\"form-panel\"", "</section>");
    assert_contains_all(
        "the form panel",
        panel,
        &[
            "<h2 id=\"formularz-spacer\">Zapisy na spacer badawczy</h2>",
            "data-status-url=\"/api/forms/spacer\"",
            // The facts, in Polish.
            "1 grudnia 2023, 09:00",
            // The number alone: the label names what it counts.
            "<dt>Liczba miejsc</dt>\n<dd>20</dd>",
            "kolejność zgłoszeń",
            // The form: server validation is the truth.
            "<form class=\"agora-form\" method=\"post\" action=\"/api/forms/spacer\" novalidate>",
            "<label class=\"label\" for=\"field-full_name\">Imię i nazwisko</label>",
            "autocomplete=\"name\"",
            "type=\"email\"",
            "autocomplete=\"email\"",
            "Telefon (opcjonalnie)",
            "type=\"tel\"",
            "autocomplete=\"tel\"",
            // The RODO clause links to the privacy policy's part about this form.
            "href=\"/polityka-prywatnosci/#dane-osobowe-spacer\"",
            // The spam checks.
            "name=\"website\"",
            "name=\"started_at\"",
            "Wyślij zgłoszenie",
        ],
    );
    assert!(!panel.contains('*'), "no asterisks: {panel}");
    assert!(!panel.contains("checked"), "consents start unticked");
    assert!(
        !panel.contains("style="),
        "no inline styles (the CSP forbids them)"
    );
    assert!(
        page.contains("forms.js\" defer"),
        "the enhancement script is loaded"
    );
    assert!(
        page.find("Ścieżka dzielnicowa ma kilka etapów") < page.find("form-panel"),
        "front matter puts the form after the text"
    );
}

#[test]
fn a_form_shortcode_places_the_form_and_says_it_has_not_opened() {
    let (_site, out) = built_fixture();
    let page = read(&out, "terminarz/index.html");
    let panel = between(&page, "<section class=\"form-panel\"", "</section>");
    assert_contains_all(
        "the upcoming lottery form",
        panel,
        &[
            "Nabór jeszcze się nie rozpoczął",
            "1 marca 2030, 09:00",
            "<dt>Liczba miejsc</dt>\n<dd>30</dd>",
            "losowanie",
            "action=\"/api/forms/warsztaty-2030\"",
        ],
    );
    assert!(
        page.find("Zapisy na warsztaty:") < page.find("form-panel"),
        "in place of the line"
    );
    assert!(!page.contains("{{ form"), "the shortcode line is gone");
}

#[test]
fn a_cancelled_form_shows_its_reason_and_no_form() {
    let (_site, out) = built_fixture();
    let page = read(&out, "kontakt/index.html");
    let panel = between(&page, "<section class=\"form-panel\"", "</section>");
    assert!(panel.contains("Nabór odwołany"), "{panel}");
    assert!(panel.contains("Zbiórkę odwołaliśmy"), "{panel}");
    assert!(!panel.contains("<form"), "nothing to send: {panel}");
}

#[test]
fn an_event_links_to_the_page_with_its_form() {
    let (_site, out) = built_fixture();
    let page = read(&out, "wydarzenia/spotkanie-planowane/index.html");
    let panel = between(&page, "<section class=\"form-panel\"", "</section>");
    assert_contains_all(
        "the event's sign-up panel",
        panel,
        &[
            "<h2 id=\"zapisy\">Zapisy</h2>",
            "„Zapisy na spacer badawczy”",
            "20 miejsc",
            "href=\"/program/dzielnicowe/#formularz-spacer\"",
        ],
    );
    assert!(!panel.contains("<form"), "the form is on its own page");
}

#[test]
fn after_closing_the_page_says_so_and_shows_no_form() {
    let site = TempSite::fixture("valid");
    site.write(
        "content/forms/spacer.yaml",
        &std::fs::read_to_string(site.root().join("content/forms/spacer.yaml"))
            .expect("the fixture's form")
            .replace("closes: 2999-12-31 23:59", "closes: 2023-12-24 23:59"),
    );
    site.build_ok("public");
    let page = read(&site.out("public"), "program/dzielnicowe/index.html");
    let panel = between(&page, "<section class=\"form-panel\"", "</section>");
    assert!(panel.contains("Nabór zakończony"), "{panel}");
    assert!(panel.contains("24 grudnia 2023, 23:59"), "{panel}");
    assert!(!panel.contains("<form"), "{panel}");
    let event = read(
        &site.out("public"),
        "wydarzenia/spotkanie-planowane/index.html",
    );
    assert!(
        !event.contains("Przejdź do formularza"),
        "no link to a closed form"
    );
}

#[test]
fn the_krakow_pages_show_their_forms() {
    let site = TempSite::real();
    // Joining a process needs published ambassadors to choose from (the
    // empty list's notice is checked in build.rs).
    site.write(
        "content/data/ambasadorzy.yaml",
        "ambassadors:\n  - id: K7QX-M3PA\n    area: Osiedle Zabłocie\n",
    );
    let mut options = site.options(Some("public"));
    // Inside the 2020 recruitments; the 2023 post is then in the future.
    options.now = Some("2020-03-05 12:00".to_owned());
    options.drafts = true;
    agora_site::build(&options).expect("the Kraków site builds");
    let out = site.out("public");
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
