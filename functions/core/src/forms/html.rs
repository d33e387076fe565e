//! A form's HTML, rendered from its definition: the same markup on the
//! site's pages (by the generator) and on the functions' answer to an
//! invalid submission, where it shows every value the person typed again,
//! with a message next to each field that needs a change.
//!
//! Rendering is a pure function of the definition, the values and the
//! errors; every text and value is escaped. Ids: `field-<name>` on the
//! input (the first input of a group), `field-<name>-hint` and
//! `field-<name>-error` on its hint and message, so that an error summary
//! can link to `#field-<name>`.

use std::fmt::Write as _;

use super::definition::{Consent, Field, FieldType, FormDefinition};
use super::privacy::notice_anchor;
use super::validate::{FieldError, Submission};
use super::{HONEYPOT_FIELD, STARTED_FIELD};

/// Where the site explains how personal data is processed (RODO), under
/// the site's address.
pub const PRIVACY_POLICY_PATH: &str = "/polityka-prywatnosci/";

/// Where a rendered form points: its action, and the privacy policy its
/// RODO clause links to (site pages and the functions' pages differ in
/// their base).
#[derive(Debug, Clone, Copy)]
pub struct FormLinks<'a> {
    pub action: &'a str,
    pub privacy_policy: &'a str,
}

/// Escapes text for HTML text and double- or single-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    match pulldown_cmark_escape::escape_html(&mut out, text) {
        Ok(()) => out,
        // Writing to a String cannot fail; never emit unescaped text.
        Err(_) => String::new(),
    }
}

/// The id of a field's input (or of the first input of a group).
pub fn field_id(name: &str) -> String {
    format!("field-{name}")
}

/// Renders `<form method="post" action=… novalidate>` with every field of
/// `form`, its consents, the spam checks (a honeypot and the hidden
/// `started_at`) and the submit button. `values` are shown in the fields
/// as they were typed; `errors` are shown next to their fields.
///
/// A form that cannot be sent yet (a required list to choose from is not
/// published) is a notice saying so instead: a form no one can complete
/// would only waste the time of whoever fills it in.
pub fn render_form(
    form: &FormDefinition,
    links: FormLinks<'_>,
    values: &Submission,
    errors: &[FieldError],
) -> String {
    if let Some(notice) = form.unavailable() {
        return format!(
            "<div class=\"notice form-unavailable\">\n<p>{}</p>\n</div>\n",
            escape(&notice)
        );
    }
    let mut html = String::new();
    let _ = writeln!(
        html,
        "<form class=\"agora-form\" method=\"post\" action=\"{}\" novalidate>",
        escape(links.action)
    );
    for field in &form.fields {
        let error = errors
            .iter()
            .find(|e| e.field == field.name)
            .map(|e| e.message.as_str());
        render_field(&mut html, field, values, error);
    }
    if !form.consents.is_empty() {
        html.push_str(
            "<fieldset class=\"fieldset\">\n<legend class=\"legend\">Dane osobowe</legend>\n",
        );
        // The part of the privacy notice about this very form.
        let _ = writeln!(
            html,
            "<p class=\"hint\">Kto przetwarza Twoje dane, w jakim celu, komu je przekazuje i jak długo je przechowuje, opisujemy w <a href=\"{}#{}\">polityce prywatności, w części o tym formularzu</a>.</p>",
            escape(links.privacy_policy),
            escape(&notice_anchor(&form.id))
        );
        for consent in &form.consents {
            let error = errors
                .iter()
                .find(|e| e.field == consent.name)
                .map(|e| e.message.as_str());
            render_consent(&mut html, consent, values, error);
        }
        html.push_str("</fieldset>\n");
    }
    // The honeypot: hidden from people and from assistive technology;
    // a bot that fills it in is kept for review as spam.
    let _ = writeln!(
        html,
        "<div class=\"agora-hp\" aria-hidden=\"true\">\n\
         <label for=\"{id}\">Nie wypełniaj tego pola</label>\n\
         <input type=\"text\" id=\"{id}\" name=\"{HONEYPOT_FIELD}\" value=\"\" tabindex=\"-1\" autocomplete=\"off\">\n\
         </div>",
        id = field_id(HONEYPOT_FIELD)
    );
    // When the page was opened: the site's script fills it in; an answer
    // to an invalid submission keeps the time of the first opening.
    let _ = writeln!(
        html,
        "<input type=\"hidden\" name=\"{STARTED_FIELD}\" value=\"{}\">",
        escape(raw_first(values, STARTED_FIELD))
    );
    html.push_str("<button type=\"submit\" class=\"button\">Wyślij zgłoszenie</button>\n</form>\n");
    html
}

/// The error summary above a form, as GOV.UK shows it: a focusable alert
/// titled „Wystąpił problem” listing each message as a link to its field.
/// Empty when there are no errors.
pub fn render_error_summary(errors: &[FieldError]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let mut html = String::from(
        "<div class=\"error-summary\" aria-labelledby=\"error-summary-title\" role=\"alert\" tabindex=\"-1\" autofocus>\n\
         <h2 class=\"error-summary__title\" id=\"error-summary-title\">Wystąpił problem</h2>\n\
         <ul class=\"error-summary__list\">\n",
    );
    for error in errors {
        let _ = writeln!(
            html,
            "<li><a href=\"#{}\">{}</a></li>",
            escape(&field_id(&error.field)),
            escape(&error.message)
        );
    }
    html.push_str("</ul>\n</div>\n");
    html
}

fn render_field(html: &mut String, field: &Field, values: &Submission, error: Option<&str>) {
    let markup = FieldMarkup::new(
        &field.name,
        &field.label,
        field.hint.as_deref(),
        field.required,
        error,
    );
    markup.open(html);
    match field.kind {
        FieldType::Radio | FieldType::Checkbox if !field.options.is_empty() => {
            render_choices(html, &markup, field, all_values(values, &field.name));
        }
        FieldType::Checkbox => {
            // A single box to tick: a declaration.
            markup.hint_and_error(html);
            markup.tick_box(html, is_ticked(raw_first(values, &field.name)));
        }
        _ => render_entry(html, &markup, field, raw_first(values, &field.name)),
    }
    html.push_str("</div>\n");
}

fn render_consent(html: &mut String, consent: &Consent, values: &Submission, error: Option<&str>) {
    let markup = FieldMarkup::new(
        &consent.name,
        consent.text.trim(),
        None,
        consent.required,
        error,
    );
    markup.open(html);
    markup.hint_and_error(html);
    markup.tick_box(html, is_ticked(raw_first(values, &consent.name)));
    html.push_str("</div>\n");
}

/// What the markup of a field (or of a consent) says around its inputs:
/// its ids, label, hint and error, unescaped until written.
struct FieldMarkup<'a> {
    id: String,
    name: &'a str,
    label: &'a str,
    /// After the label of a field one may leave empty.
    optional: &'static str,
    hint: Option<&'a str>,
    error: Option<&'a str>,
    described: Option<String>,
}

impl<'a> FieldMarkup<'a> {
    fn new(
        name: &'a str,
        label: &'a str,
        hint: Option<&'a str>,
        required: bool,
        error: Option<&'a str>,
    ) -> Self {
        let id = field_id(name);
        let described = described_by(&id, hint.is_some(), error.is_some());
        Self {
            optional: if required { "" } else { " (opcjonalnie)" },
            id,
            name,
            label,
            hint,
            error,
            described,
        }
    }

    /// The field's `<div>`, marked when it has an error.
    fn open(&self, html: &mut String) {
        let _ = writeln!(
            html,
            "<div class=\"field{}\">",
            if self.error.is_some() {
                " field--error"
            } else {
                ""
            }
        );
    }

    fn hint_and_error(&self, html: &mut String) {
        let id = &self.id;
        if let Some(hint) = self.hint {
            let _ = writeln!(
                html,
                "<p class=\"hint\" id=\"{id}-hint\">{}</p>",
                escape(hint)
            );
        }
        if let Some(error) = self.error {
            let _ = writeln!(
                html,
                "<p class=\"error-message\" id=\"{id}-error\"><span class=\"visually-hidden\">Błąd: </span>{}</p>",
                escape(error)
            );
        }
    }

    /// The attributes that tie an input to its hint and error.
    fn aria(&self) -> String {
        format!(
            "{}{}",
            attribute("aria-describedby", self.described.as_deref()),
            if self.error.is_some() {
                " aria-invalid=\"true\""
            } else {
                ""
            }
        )
    }

    /// A single box to tick, labelled with the label.
    fn tick_box(&self, html: &mut String, ticked: bool) {
        let id = &self.id;
        let _ = writeln!(
            html,
            "<div class=\"choice\"><input type=\"checkbox\" id=\"{id}\" name=\"{}\" value=\"tak\"{}{}><label for=\"{id}\">{}{}</label></div>",
            escape(self.name),
            if ticked { " checked" } else { "" },
            self.aria(),
            escape(self.label),
            self.optional
        );
    }
}

/// Radio buttons or checkboxes in a fieldset, the field's label its
/// legend; `chosen` are ticked.
fn render_choices(html: &mut String, markup: &FieldMarkup<'_>, field: &Field, chosen: &[String]) {
    let id = &markup.id;
    let _ = writeln!(
        html,
        "<fieldset class=\"fieldset\"{}>\n<legend class=\"legend\">{}{}</legend>",
        attribute("aria-describedby", markup.described.as_deref()),
        escape(markup.label),
        markup.optional
    );
    markup.hint_and_error(html);
    let kind = if field.kind == FieldType::Radio {
        "radio"
    } else {
        "checkbox"
    };
    html.push_str("<div class=\"choices\">\n");
    for (index, choice) in field.options.iter().enumerate() {
        let choice_id = if index == 0 {
            id.clone()
        } else {
            format!("{id}-{}", index + 1)
        };
        let checked = chosen.iter().any(|v| v.trim() == choice.value);
        let _ = writeln!(
            html,
            "<div class=\"choice\"><input type=\"{kind}\" id=\"{choice_id}\" name=\"{}\" value=\"{}\"{}><label for=\"{choice_id}\">{}</label></div>",
            escape(&field.name),
            escape(&choice.value),
            if checked { " checked" } else { "" },
            escape(&choice.label)
        );
    }
    html.push_str("</div>\n</fieldset>\n");
}

/// A labelled input, text area or list to choose from, showing `value`.
fn render_entry(html: &mut String, markup: &FieldMarkup<'_>, field: &Field, value: &str) {
    let id = &markup.id;
    let _ = writeln!(
        html,
        "<label class=\"label\" for=\"{id}\">{}{}</label>",
        escape(markup.label),
        markup.optional
    );
    markup.hint_and_error(html);
    let common = format!(
        "id=\"{id}\" name=\"{}\"{}{}",
        escape(&field.name),
        attribute("autocomplete", autocomplete(field)),
        markup.aria(),
    );
    let limits = limits(field);
    match field.kind {
        FieldType::Textarea => {
            // The newline after the tag keeps a value's own leading newline.
            let _ = writeln!(
                html,
                "<textarea class=\"textarea\" {common} rows=\"5\"{limits}>\n{}</textarea>",
                escape(value)
            );
        }
        FieldType::Select => render_select(html, &common, field, value),
        _ => {
            let (kind, extra) = input_type(field.kind);
            let _ = writeln!(
                html,
                "<input class=\"input\" type=\"{kind}\" {common} value=\"{}\"{limits}{extra}>",
                escape(value)
            );
        }
    }
}

/// The `maxlength`, `min` and `max` attributes of an input.
fn limits(field: &Field) -> String {
    let mut limits = field
        .max_length
        .map(|max| format!(" maxlength=\"{max}\""))
        .unwrap_or_default();
    // The date picker offers only the dates the server accepts.
    let (min_date, max_date) = field.date_range();
    for (name, date) in [("min", min_date), ("max", max_date)] {
        if let Some(date) = date {
            let _ = write!(limits, " {name}=\"{date}\"");
        }
    }
    limits
}

/// A `<select>` with an empty first option; `value` is selected.
fn render_select(html: &mut String, common: &str, field: &Field, value: &str) {
    let _ = writeln!(html, "<select class=\"select\" {common}>");
    html.push_str("<option value=\"\">Wybierz…</option>\n");
    let chosen = value.trim();
    for choice in &field.options {
        let _ = writeln!(
            html,
            "<option value=\"{}\"{}>{}</option>",
            escape(&choice.value),
            if choice.value == chosen {
                " selected"
            } else {
                ""
            },
            escape(&choice.label)
        );
    }
    html.push_str("</select>\n");
}

fn described_by(id: &str, hint: bool, error: bool) -> Option<String> {
    let ids: Vec<String> = [
        hint.then(|| format!("{id}-hint")),
        error.then(|| format!("{id}-error")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// ` name="value"`, escaped, or nothing.
fn attribute(name: &str, value: Option<&str>) -> String {
    value
        .map(|v| format!(" {name}=\"{}\"", escape(v)))
        .unwrap_or_default()
}

/// The `autocomplete` token: the field's own, else one for its type.
fn autocomplete(field: &Field) -> Option<&str> {
    field.autocomplete.as_deref().or(match field.kind {
        FieldType::Email => Some("email"),
        FieldType::Tel => Some("tel"),
        FieldType::Postcode => Some("postal-code"),
        _ => None,
    })
}

/// The input's type and further attributes. Numbers are text with a
/// numeric keyboard (as GOV.UK advises: `type="number"` rounds, scrolls
/// and rejects a decimal comma).
fn input_type(kind: FieldType) -> (&'static str, &'static str) {
    match kind {
        FieldType::Email => ("email", " spellcheck=\"false\""),
        FieldType::Tel => ("tel", ""),
        FieldType::Date => ("date", ""),
        FieldType::Number => ("text", " inputmode=\"decimal\""),
        FieldType::Krs => ("text", " inputmode=\"numeric\" spellcheck=\"false\""),
        FieldType::Nip | FieldType::NipOrKrs | FieldType::Postcode => {
            ("text", " spellcheck=\"false\"")
        }
        _ => ("text", ""),
    }
}

/// The first value sent under `name`, exactly as typed.
fn raw_first<'a>(values: &'a Submission, name: &str) -> &'a str {
    values
        .values
        .get(name)
        .and_then(|v| v.first())
        .map_or("", String::as_str)
}

fn all_values<'a>(values: &'a Submission, name: &str) -> &'a [String] {
    values.values.get(name).map_or(&[], Vec::as_slice)
}

/// A ticked box, as the validation reads it.
fn is_ticked(value: &str) -> bool {
    matches!(value.trim(), "on" | "true" | "1" | "tak" | "yes")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const FORM: &str = r#"
title: Test
opens: 2020-03-01 09:00
closes: 2020-03-31 23:59
unique_field: email
retention_days: 30
purpose: Zapisy na test.
legal_basis: consent
recipients: [cloud]
fields:
  - name: full_name
    type: text
    label: Imię i nazwisko
    max_length: 120
    autocomplete: name
  - name: email
    type: email
    label: Adres e-mail
    hint: Na ten adres wyślemy potwierdzenie.
  - name: phone
    type: tel
    label: Telefon
    required: false
  - name: age
    type: number
    label: Wiek
    required: false
  - name: district
    type: select
    label: Dzielnica
    options: [{ value: "1", label: Stare Miasto }, { value: "2", label: Grzegórzki }]
  - name: mode
    type: radio
    label: Forma udziału
    options: [{ value: online, label: Online }, { value: onsite, label: "Na miejscu" }]
  - name: topics
    type: checkbox
    label: Tematy
    required: false
    options: [{ value: green, label: Zieleń }, { value: traffic, label: Ruch }]
  - name: about
    type: textarea
    label: O sobie
    required: false
  - name: attends
    type: checkbox
    label: Deklaruję udział
consents:
  - name: processing
    required: true
    version: "1"
    text: Zgadzam się na przetwarzanie danych.
  - name: publication
    version: "1"
    text: Zgadzam się na publikację.
"#;

    const LINKS: FormLinks<'static> = FormLinks {
        action: "/api/forms/test",
        privacy_policy: "/polityka-prywatnosci/",
    };

    fn form() -> FormDefinition {
        FormDefinition::parse("test", FORM, Path::new("test.yaml"), &|_| None)
            .expect("a valid form")
    }

    #[test]
    fn renders_every_kind_of_field_accessibly() {
        let html = render_form(&form(), LINKS, &Submission::default(), &[]);
        assert!(html.starts_with(
            "<form class=\"agora-form\" method=\"post\" action=\"/api/forms/test\" novalidate>"
        ));
        assert!(
            html.contains("<label class=\"label\" for=\"field-full_name\">Imię i nazwisko</label>")
        );
        assert!(html.contains("autocomplete=\"name\""));
        assert!(html.contains("maxlength=\"120\""));
        assert!(html.contains("type=\"email\" id=\"field-email\" name=\"email\" autocomplete=\"email\" aria-describedby=\"field-email-hint\""));
        assert!(html.contains(
            "<p class=\"hint\" id=\"field-email-hint\">Na ten adres wyślemy potwierdzenie.</p>"
        ));
        assert!(html.contains("for=\"field-phone\">Telefon (opcjonalnie)</label>"));
        assert!(
            html.contains("type=\"tel\" id=\"field-phone\" name=\"phone\" autocomplete=\"tel\"")
        );
        assert!(html.contains("inputmode=\"decimal\""));
        assert!(html.contains("<option value=\"\">Wybierz…</option>"));
        assert!(html.contains("<legend class=\"legend\">Forma udziału</legend>"));
        assert!(html
            .contains("<input type=\"radio\" id=\"field-mode\" name=\"mode\" value=\"online\">"));
        assert!(html
            .contains("<input type=\"radio\" id=\"field-mode-2\" name=\"mode\" value=\"onsite\">"));
        assert!(html.contains("<legend class=\"legend\">Tematy (opcjonalnie)</legend>"));
        assert!(html.contains("<textarea class=\"textarea\" id=\"field-about\""));
        assert!(html.contains("<input type=\"checkbox\" id=\"field-processing\" name=\"processing\" value=\"tak\"><label for=\"field-processing\">Zgadzam się na przetwarzanie danych.</label>"));
        assert!(html.contains("Zgadzam się na publikację. (opcjonalnie)"));
        assert!(html.contains("href=\"/polityka-prywatnosci/#dane-osobowe-test\""));
        assert!(html.contains("aria-hidden=\"true\""));
        assert!(html.contains("name=\"website\" value=\"\" tabindex=\"-1\" autocomplete=\"off\""));
        assert!(html.contains("Nie wypełniaj tego pola"));
        assert!(html.contains("<input type=\"hidden\" name=\"started_at\" value=\"\">"));
        assert!(
            html.contains("<button type=\"submit\" class=\"button\">Wyślij zgłoszenie</button>")
        );
        assert!(!html.contains('*'), "no asterisks for required fields");
        assert!(
            !html.contains(" checked"),
            "consents and boxes start unticked"
        );
    }

    #[test]
    fn keeps_values_and_shows_errors_next_to_fields() {
        let values = Submission::from_pairs([
            ("full_name", "Anna \"Ania\" <Nowak> & co"),
            ("email", "zly-adres"),
            ("district", "2"),
            ("mode", "onsite"),
            ("topics", "green"),
            ("topics", "traffic"),
            ("about", "\nPierwsza linia</textarea>"),
            ("publication", "tak"),
            ("started_at", "1583409600000"),
            ("website", "spam"),
        ]);
        let errors = vec![
            FieldError {
                field: "email".to_owned(),
                message: "Wpisz adres e-mail w poprawnym formacie.".to_owned(),
            },
            FieldError {
                field: "processing".to_owned(),
                message: "Zaznacz tę zgodę.".to_owned(),
            },
        ];
        let html = render_form(&form(), LINKS, &values, &errors);
        assert!(html.contains("value=\"Anna &quot;Ania&quot; &lt;Nowak&gt; &amp; co\""));
        assert!(html.contains("aria-describedby=\"field-email-hint field-email-error\" aria-invalid=\"true\" value=\"zly-adres\""));
        assert!(html.contains("<p class=\"error-message\" id=\"field-email-error\"><span class=\"visually-hidden\">Błąd: </span>Wpisz adres e-mail w poprawnym formacie.</p>"));
        assert!(html.contains("<option value=\"2\" selected>Grzegórzki</option>"));
        assert!(html.contains("value=\"onsite\" checked>"));
        assert!(
            html.contains("value=\"green\" checked>")
                && html.contains("value=\"traffic\" checked>")
        );
        assert!(html.contains(">\n\nPierwsza linia&lt;/textarea&gt;</textarea>"));
        assert!(
            html.contains("id=\"field-publication\" name=\"publication\" value=\"tak\" checked>")
        );
        assert!(html.contains("id=\"field-processing\" name=\"processing\" value=\"tak\" aria-describedby=\"field-processing-error\" aria-invalid=\"true\">"));
        assert!(html.contains("name=\"started_at\" value=\"1583409600000\""));
        assert!(
            !html.contains("value=\"spam\""),
            "the honeypot is never filled in again"
        );

        let summary = render_error_summary(&errors);
        assert!(summary.contains("role=\"alert\" tabindex=\"-1\""));
        assert!(summary.contains("Wystąpił problem"));
        assert!(summary.contains(
            "<li><a href=\"#field-email\">Wpisz adres e-mail w poprawnym formacie.</a></li>"
        ));
        assert!(summary.contains("<li><a href=\"#field-processing\">"));
        assert_eq!(render_error_summary(&[]), "");
    }
}
