//! Validates what a resident submitted against the form's definition.
//! Messages are Polish, written for the resident; every value the person
//! typed is kept by the caller to show the form again.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::checks::{self, NipError};
use super::definition::{Field, FieldType, FormDefinition};
use super::email;
use crate::polish::{count_pl, date_pl};

/// What the person sent: each name with its values (a checkbox group can
/// send several), as strings, before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Submission {
    pub values: BTreeMap<String, Vec<String>>,
}

impl Submission {
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            values.entry(k.into()).or_default().push(v.into());
        }
        Self { values }
    }

    /// The first value sent under `name`, trimmed; empty if none.
    pub fn first(&self, name: &str) -> &str {
        self.values
            .get(name)
            .and_then(|v| v.first())
            .map_or("", |v| v.trim())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A consent the person gave, with the version of the text they saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct GivenConsent {
    pub name: String,
    pub version: String,
}

/// A submission that passed every check: only the form's own fields, in
/// their normal form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub values: BTreeMap<String, String>,
    pub consents: Vec<GivenConsent>,
    /// The value that makes a person unique in the form, normalised
    /// (an e-mail in its canonical form, see [`email::canonical`]).
    pub unique_key: String,
}

pub fn validate(
    form: &FormDefinition,
    submission: &Submission,
) -> Result<Accepted, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut values = BTreeMap::new();
    for field in &form.fields {
        match check_field(form, field, submission) {
            Ok(Some(value)) => {
                values.insert(field.name.clone(), value);
            }
            Ok(None) => {}
            Err(message) => errors.push(FieldError {
                field: field.name.clone(),
                message,
            }),
        }
    }
    let mut consents = Vec::new();
    for consent in &form.consents {
        if is_ticked(submission.first(&consent.name)) {
            consents.push(GivenConsent {
                name: consent.name.clone(),
                version: consent.version.clone(),
            });
        } else if consent.required {
            errors.push(FieldError {
                field: consent.name.clone(),
                message: "Zaznacz tę zgodę – bez niej nie możemy przyjąć zgłoszenia.".to_owned(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let unique_key = unique_key(form, &values);
    Ok(Accepted {
        values,
        consents,
        unique_key,
    })
}

/// What makes two submissions the same: the unique field's value, then
/// each `unique_with` field's (ignoring the spaces around and between its
/// words), all ignoring case, joined by a separator no typed text holds.
fn unique_key(form: &FormDefinition, values: &BTreeMap<String, String>) -> String {
    let value = |name: &String| values.get(name).map(String::as_str).unwrap_or_default();
    let mut key = value(&form.unique_field).to_lowercase();
    for name in &form.unique_with {
        let words: Vec<&str> = value(name).split_whitespace().collect();
        key.push('\u{1f}');
        key.push_str(&words.join(" ").to_lowercase());
    }
    key
}

fn is_ticked(value: &str) -> bool {
    matches!(value, "on" | "true" | "1" | "tak" | "yes")
}

/// The field's value in normal form, `None` when an optional field is
/// empty, or the message to show.
fn check_field(
    form: &FormDefinition,
    field: &Field,
    submission: &Submission,
) -> Result<Option<String>, String> {
    if field.kind == FieldType::Checkbox {
        return if field.options.is_empty() {
            check_tick(field, submission)
        } else {
            check_choices(field, submission)
        };
    }
    if field.has_no_choices() {
        // The list to choose from is not published yet: say so rather
        // than ask for a choice that cannot be made.
        return if field.required {
            Err(field.unavailable_message())
        } else {
            Ok(None)
        };
    }
    let raw = submission.first(&field.name);
    let value = if field.kind == FieldType::Textarea {
        raw.replace("\r\n", "\n")
    } else {
        raw.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    if value.is_empty() {
        return if field.required {
            Err(required_message(field))
        } else {
            Ok(None)
        };
    }
    check_length(field, &value)?;
    let normal = normal_form(field, raw, value)?;
    if let Some(pattern) = form.patterns.get(&field.name) {
        if !pattern.is_match(&normal) {
            return Err(field
                .pattern_message
                .clone()
                .unwrap_or_else(|| invalid(field, "Sprawdź wpisaną wartość.")));
        }
    }
    Ok(Some(normal))
}

/// The form's own message when it has one, else ours.
fn own_or(message: &Option<String>, default: String) -> String {
    message.clone().unwrap_or(default)
}

/// The message for a value the field does not accept.
fn invalid(field: &Field, default: &str) -> String {
    own_or(&field.messages.invalid, default.to_owned())
}

/// A single checkbox: "tak" when ticked.
fn check_tick(field: &Field, submission: &Submission) -> Result<Option<String>, String> {
    let ticked = is_ticked(submission.first(&field.name));
    match (ticked, field.required) {
        (true, _) => Ok(Some("tak".to_owned())),
        (false, true) => Err(own_or(
            &field.messages.required,
            format!("Zaznacz pole „{}”.", field.label),
        )),
        (false, false) => Ok(None),
    }
}

/// A group of checkboxes: the values chosen, each one of the options,
/// joined by commas.
fn check_choices(field: &Field, submission: &Submission) -> Result<Option<String>, String> {
    let chosen: Vec<&str> = submission
        .values
        .get(&field.name)
        .map(|v| {
            v.iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if chosen
        .iter()
        .any(|c| !field.options.iter().any(|o| o.value == *c))
    {
        return Err(invalid(field, "Wybierz spośród podanych możliwości."));
    }
    match (chosen.is_empty(), field.required) {
        (true, true) => Err(own_or(
            &field.messages.required,
            format!(
                "Zaznacz co najmniej jedną możliwość w polu „{}”.",
                field.label
            ),
        )),
        (true, false) => Ok(None),
        (false, _) => Ok(Some(chosen.join(", "))),
    }
}

/// What a required field left empty says.
fn required_message(field: &Field) -> String {
    let label = &field.label;
    let default = match field.kind {
        FieldType::Select | FieldType::Radio => {
            format!("Wybierz odpowiedź w polu „{label}”.")
        }
        _ => format!("Wypełnij pole „{label}”."),
    };
    own_or(&field.messages.required, default)
}

/// The field's `min_length` and `max_length`, counted in characters.
fn check_length(field: &Field, value: &str) -> Result<(), String> {
    let label = &field.label;
    let length = value.chars().count();
    if let Some(max) = field.max_length.filter(|max| length > *max) {
        return Err(own_or(
            &field.messages.too_long,
            format!(
                "Pole „{label}” może mieć najwyżej {} (teraz ma {}).",
                characters_pl(max),
                characters_pl(length)
            ),
        ));
    }
    if let Some(min) = field.min_length.filter(|min| length < *min) {
        return Err(own_or(
            &field.messages.too_short,
            format!(
                "Pole „{label}” musi mieć co najmniej {}.",
                characters_pl(min)
            ),
        ));
    }
    Ok(())
}

fn characters_pl(count: usize) -> String {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    count_pl(count, "znak", "znaki", "znaków")
}

/// The value in the normal form of the field's type, or why it is not
/// one. An e-mail is read from `raw` (trimmed only), every other type
/// from `value` (whitespace collapsed).
fn normal_form(field: &Field, raw: &str, value: String) -> Result<String, String> {
    let invalid = |default: &str| invalid(field, default);
    match field.kind {
        FieldType::Email => email::canonical(raw).map_err(|problem| invalid(problem.message())),
        FieldType::Tel => checks::phone(&value).ok_or_else(|| {
            invalid("Wpisz numer telefonu, np. 12 345 67 89 albo +48 600 100 200.")
        }),
        FieldType::Postcode => checks::postcode(&value)
            .ok_or_else(|| invalid("Wpisz kod pocztowy w formacie 00-000, np. 31-004.")),
        FieldType::Nip => checks::nip(&value).map_err(|e| nip_message(e, field)),
        FieldType::Krs => checks::krs(&value)
            .ok_or_else(|| invalid("Wpisz numer KRS: 10 cyfr, np. 0000123456.")),
        FieldType::NipOrKrs => nip_or_krs(&value).map_err(|e| match e {
            Some(nip_error) => nip_message(nip_error, field),
            None => invalid(
                "Wpisz NIP (10 cyfr, np. 123-456-32-18) albo numer KRS (same cyfry, np. 0000123456 lub 123456).",
            ),
        }),
        FieldType::Date => check_date(field, &value),
        FieldType::Number => check_number(field, &value),
        FieldType::Select | FieldType::Radio => {
            if field.options.iter().any(|o| o.value == value) {
                Ok(value)
            } else {
                Err(invalid("Wybierz jedną z podanych możliwości."))
            }
        }
        FieldType::Text | FieldType::Textarea | FieldType::Checkbox => Ok(value),
    }
}

/// A date, `RRRR-MM-DD`, within the field's `min` and `max`.
fn check_date(field: &Field, value: &str) -> Result<String, String> {
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| invalid(field, "Wpisz datę w formacie RRRR-MM-DD, np. 2020-03-28."))?;
    let (min, max) = field.date_range();
    if min.is_some_and(|min| date < min) || max.is_some_and(|max| date > max) {
        let range = match (min, max) {
            (Some(min), Some(max)) => format!("od {} do {}", date_pl(min), date_pl(max)),
            (Some(min), None) => format!("nie wcześniejszą niż {}", date_pl(min)),
            (None, Some(max)) => format!("nie późniejszą niż {}", date_pl(max)),
            (None, None) => String::new(),
        };
        return Err(invalid(field, &format!("Wpisz datę {range}.")));
    }
    Ok(date.to_string())
}

/// A number, with a decimal point or comma, within the field's `min` and
/// `max`; kept as written, with a point.
fn check_number(field: &Field, value: &str) -> Result<String, String> {
    let written = value.replace(',', ".");
    let number: f64 = written
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())
        .ok_or_else(|| invalid(field, "Wpisz liczbę, np. 12."))?;
    let (min, max) = field.number_range();
    if min.is_some_and(|min| number < min) || max.is_some_and(|max| number > max) {
        let range = match (min, max) {
            (Some(min), Some(max)) => format!("od {min} do {max}"),
            (Some(min), None) => format!("co najmniej {min}"),
            (None, Some(max)) => format!("najwyżej {max}"),
            (None, None) => String::new(),
        };
        return Err(invalid(field, &format!("Wpisz liczbę {range}.")));
    }
    Ok(written)
}

/// A NIP or a KRS number, told apart by one rule: a leading "NIP" or
/// "KRS" says which; otherwise 10 digits not starting with 0 (or with the
/// `PL` prefix) are a NIP and must pass its checksum, so that a mistyped
/// NIP is reported as one; any other number of at most 10 digits is a KRS
/// number, zero-padded (`123456` is KRS 0000123456; no NIP starts with 0,
/// a padded KRS number does). `Err(Some(_))` for a NIP that fails.
fn nip_or_krs(value: &str) -> Result<String, Option<NipError>> {
    let upper = value.to_uppercase();
    let krs = |number: &str| {
        checks::krs(number)
            .map(|krs| format!("KRS {krs}"))
            .ok_or(None)
    };
    let nip = |number: &str| match checks::nip(number) {
        Ok(nip) => Ok(format!("NIP {nip}")),
        Err(NipError::Format) => Err(None),
        Err(error) => Err(Some(error)),
    };
    if let Some(rest) = upper.strip_prefix("KRS") {
        return krs(rest.trim_start_matches([':', ' ']));
    }
    if let Some(rest) = upper.strip_prefix("NIP") {
        return nip(rest.trim_start_matches([':', ' ']));
    }
    match nip(&upper) {
        Ok(nip) => Ok(nip),
        // No valid NIP: 10 digits not starting with 0 (or a `PL` prefix)
        // were meant as one and get its message; other digits, at most
        // 10 of them, are a KRS number.
        Err(error) => {
            let digits: String = upper.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
            let meant_as_nip = digits.len() == 10 && !digits.starts_with('0');
            if meant_as_nip || digits.starts_with("PL") {
                Err(error)
            } else {
                krs(&digits)
            }
        }
    }
}

fn nip_message(error: NipError, field: &Field) -> String {
    let invalid = |default: &str| invalid(field, default);
    match error {
        NipError::Format => invalid("Wpisz NIP: 10 cyfr, np. 123-456-32-18."),
        NipError::LeadingZero => invalid("NIP nie zaczyna się od zera – sprawdź pierwszą cyfrę."),
        NipError::Checksum => {
            invalid("Ten NIP jest niepoprawny – sprawdź, czy wszystkie cyfry się zgadzają.")
        }
    }
}
