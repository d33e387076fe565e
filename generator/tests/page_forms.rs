//! Forms on pages: a page that names a form shows it, rendered from its
//! definition; an event links to it; the form's state decides what shows.

// Each test file uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use common::{assert_contains_all, between, built_fixture, read, TempSite};

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
