//! A form as editors define it in `content/forms/<id>.yaml`: read by the
//! generator (to render it) and by the functions (to validate and decide).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime};
use chrono_tz::Tz;
use regex::Regex;
use serde::{Deserialize, Serialize};

/// A mistake in a form definition, for the editor: file, line, what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Allocation {
    /// Places in order of arrival; then an ordered waiting list.
    FirstCome,
    /// Applications until closing; then a draw assigns the places.
    Lottery,
}

/// Where a form stands at a moment: what its page shows and what a
/// submission gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FormState {
    /// Before `opens`.
    Upcoming,
    Open,
    /// After `closes`; a lottery form's places are then drawn.
    Closed,
    /// Called off by the organiser (`cancelled:`): nothing is accepted.
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Email,
    Tel,
    Textarea,
    Select,
    Radio,
    Checkbox,
    Date,
    Number,
    Postcode,
    Nip,
    Krs,
    /// NIP or KRS, whichever the organisation gives.
    NipOrKrs,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// Options of a select or radio field taken from a data file:
/// `content/data/<data>.yaml`, a list (or a list under `key`) of maps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionsFrom {
    pub data: String,
    /// The top-level key holding the list, if the file is a map.
    pub key: Option<String>,
    pub value: String,
    pub label: String,
}

/// Messages that replace the default Polish ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Messages {
    pub required: Option<String>,
    pub invalid: Option<String>,
    pub too_short: Option<String>,
    pub too_long: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub label: String,
    pub hint: Option<String>,
    #[serde(default = "yes")]
    pub required: bool,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<String>,
    pub pattern_message: Option<String>,
    #[serde(default)]
    pub options: Vec<Choice>,
    pub options_from: Option<OptionsFrom>,
    /// The HTML `autocomplete` token; defaults from the type.
    pub autocomplete: Option<String>,
    /// The consent (by name) under which this field may be published.
    pub published_with: Option<String>,
    #[serde(default)]
    pub messages: Messages,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    pub name: String,
    /// The text the person agrees to, shown next to the checkbox.
    pub text: String,
    /// Stored with each consent given, so the text agreed to is known.
    pub version: String,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForm {
    title: String,
    description: Option<String>,
    opens: String,
    closes: String,
    timezone: Option<String>,
    allocation: Option<Allocation>,
    capacity: Option<u32>,
    unique_field: String,
    #[serde(default)]
    double_opt_in: bool,
    notify: Option<String>,
    retention_days: u32,
    next_steps: Option<String>,
    cancelled: Option<String>,
    fields: Vec<Field>,
    #[serde(default)]
    consents: Vec<Consent>,
}

/// A validated form definition.
#[derive(Debug, Clone)]
pub struct FormDefinition {
    /// From the file name: `content/forms/ambasadorzy.yaml` is `ambasadorzy`.
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub opens: DateTime<Tz>,
    pub closes: DateTime<Tz>,
    pub allocation: Allocation,
    /// Places; `None` is unlimited (first-come forms only).
    pub capacity: Option<u32>,
    pub unique_field: String,
    pub double_opt_in: bool,
    pub notify: Option<String>,
    pub retention_days: u32,
    /// What happens after registering: on the confirmation page and e-mail.
    pub next_steps: Option<String>,
    /// Why the recruitment was called off, in Polish; set, the form
    /// accepts nothing and its pages say so.
    pub cancelled: Option<String>,
    pub fields: Vec<Field>,
    pub consents: Vec<Consent>,
    /// Compiled `pattern`s by field name.
    pub patterns: BTreeMap<String, Regex>,
}

/// Field names the HTTP layer uses for spam checks.
pub const RESERVED_NAMES: &[&str] = &["website", "started_at", "form_id"];

impl FormDefinition {
    /// The form's state at `now`.
    pub fn state_at<T: chrono::TimeZone>(&self, now: &DateTime<T>) -> FormState {
        if self.cancelled.is_some() {
            FormState::Cancelled
        } else if *now < self.opens {
            FormState::Upcoming
        } else if *now < self.closes {
            FormState::Open
        } else {
            FormState::Closed
        }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Parses and checks a form file. `data` gives the data files
    /// (`content/data/<name>.yaml`) for `options_from`.
    pub fn parse(
        id: &str,
        text: &str,
        file: &Path,
        data: &dyn Fn(&str) -> Option<serde_json::Value>,
    ) -> Result<Self, Vec<DefinitionError>> {
        let error = |line: Option<usize>, message: String, hint: &str| DefinitionError {
            file: file.to_path_buf(),
            line,
            message,
            hint: (!hint.is_empty()).then(|| hint.to_owned()),
        };
        let raw: RawForm = serde_yaml::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line());
            let message = e.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_owned();
            vec![error(
                line,
                message,
                "README.md (\"Forms\") lists every key of a form file",
            )]
        })?;
        let line_of = |needle: &str| line_of(text, needle);
        let mut problems = Vec::new();

        if !is_identifier(id) {
            problems.push(error(
                None,
                format!("`{id}` cannot name a form"),
                "name the file with lowercase letters, digits and hyphens, e.g. ambasadorzy.yaml",
            ));
        }
        let tz: Tz = match raw.timezone.as_deref().unwrap_or("Europe/Warsaw").parse() {
            Ok(tz) => tz,
            Err(_) => {
                problems.push(error(
                    line_of("timezone:"),
                    "unknown time zone".to_owned(),
                    "use e.g. Europe/Warsaw",
                ));
                Tz::Europe__Warsaw
            }
        };
        let mut time = |key: &str, value: &str| match parse_time(value, tz) {
            Some(t) => Some(t),
            None => {
                problems.push(error(
                    line_of(&format!("{key}:")),
                    format!("`{key}: {value}` is not a date and time"),
                    "write it as 2020-03-01 09:00",
                ));
                None
            }
        };
        let opens = time("opens", &raw.opens);
        let closes = time("closes", &raw.closes);
        if let (Some(opens), Some(closes)) = (opens, closes) {
            if closes <= opens {
                problems.push(error(
                    line_of("closes:"),
                    "the form closes before it opens".to_owned(),
                    "check `opens` and `closes`",
                ));
            }
        }
        let allocation = raw.allocation.unwrap_or(Allocation::FirstCome);
        if allocation == Allocation::Lottery && raw.capacity.is_none() {
            problems.push(error(
                line_of("allocation:"),
                "a lottery form needs a `capacity`".to_owned(),
                "add `capacity: 60` (the places the draw gives out)",
            ));
        }
        if raw.capacity == Some(0) {
            problems.push(error(
                line_of("capacity:"),
                "`capacity` must be at least 1".to_owned(),
                "",
            ));
        }
        if raw.retention_days == 0 {
            problems.push(error(
                line_of("retention_days:"),
                "`retention_days` must be at least 1".to_owned(),
                "how many days the records are kept",
            ));
        }
        if let Some(notify) = &raw.notify {
            if !email_address::EmailAddress::is_valid(notify) {
                problems.push(error(
                    line_of("notify:"),
                    format!("`{notify}` is not an e-mail address"),
                    "",
                ));
            }
        }
        if raw.fields.is_empty() {
            problems.push(error(
                line_of("fields:"),
                "the form has no fields".to_owned(),
                "",
            ));
        }

        let mut names = HashSet::new();
        let mut patterns = BTreeMap::new();
        let mut fields = raw.fields;
        for field in &mut fields {
            let at = line_of(&format!("name: {}", field.name));
            let mut field_error =
                |message: String, hint: &str| problems.push(error(at, message, hint));
            if !is_identifier(&field.name.replace('_', "-")) || field.name.contains('-') {
                field_error(
                    format!("`{}` cannot name a field", field.name),
                    "use lowercase letters, digits and underscores",
                );
            }
            if RESERVED_NAMES.contains(&field.name.as_str()) {
                field_error(
                    format!("`{}` is reserved for the form's spam checks", field.name),
                    "choose another name",
                );
            }
            if !names.insert(field.name.clone()) {
                field_error(
                    format!("two fields are named `{}`", field.name),
                    "give each field its own name",
                );
            }
            if let (Some(min), Some(max)) = (field.min_length, field.max_length) {
                if min > max {
                    field_error(
                        format!("`{}`: min_length is above max_length", field.name),
                        "",
                    );
                }
            }
            if let Some(pattern) = &field.pattern {
                match Regex::new(&format!("^(?:{pattern})$")) {
                    Ok(regex) => {
                        patterns.insert(field.name.clone(), regex);
                    }
                    Err(e) => field_error(
                        format!(
                            "`{}`: the pattern is not a valid regular expression: {e}",
                            field.name
                        ),
                        "",
                    ),
                }
                if field.pattern_message.is_none() {
                    field_error(
                        format!("`{}` has a pattern but no pattern_message", field.name),
                        "add pattern_message: what a resident should type, in Polish",
                    );
                }
            }
            let choices = matches!(field.kind, FieldType::Select | FieldType::Radio);
            if let Some(from) = &field.options_from {
                if !choices {
                    field_error(
                        format!(
                            "`{}`: only select and radio fields take options",
                            field.name
                        ),
                        "",
                    );
                }
                match options_from_data(from, data) {
                    Ok(options) => field.options = options,
                    Err(message) => field_error(
                        format!("`{}`: {message}", field.name),
                        "options_from names a file of content/data/",
                    ),
                }
            } else if choices && field.options.is_empty() {
                field_error(
                    format!("`{}` has no options", field.name),
                    "add `options:` (value and label) or `options_from:`",
                );
            } else if !choices && field.kind != FieldType::Checkbox && !field.options.is_empty() {
                field_error(
                    format!(
                        "`{}`: only select, radio and checkbox fields take options",
                        field.name
                    ),
                    "",
                );
            }
            let mut values = HashSet::new();
            for choice in &field.options {
                if !values.insert(choice.value.as_str()) {
                    field_error(
                        format!(
                            "`{}`: the option `{}` is listed twice",
                            field.name, choice.value
                        ),
                        "",
                    );
                }
            }
        }
        let consent_names: HashSet<&str> = raw.consents.iter().map(|c| c.name.as_str()).collect();
        for field in &fields {
            if let Some(consent) = &field.published_with {
                if !consent_names.contains(consent.as_str()) {
                    problems.push(error(
                        line_of(&format!("published_with: {consent}")),
                        format!("`{}` is published with the consent `{consent}`, which the form does not ask for", field.name),
                        "add the consent under `consents:` or remove published_with",
                    ));
                }
            }
        }
        let mut seen_consents = HashSet::new();
        for consent in &raw.consents {
            if !seen_consents.insert(consent.name.as_str()) || names.contains(&consent.name) {
                problems.push(error(
                    line_of(&format!("name: {}", consent.name)),
                    format!("the name `{}` is used twice", consent.name),
                    "fields and consents each need their own name",
                ));
            }
            if consent.version.trim().is_empty() || consent.text.trim().is_empty() {
                problems.push(error(
                    line_of(&format!("name: {}", consent.name)),
                    format!(
                        "the consent `{}` needs its text and a version",
                        consent.name
                    ),
                    "the version is stored with each consent given",
                ));
            }
        }
        match fields.iter().find(|f| f.name == raw.unique_field) {
            None => problems.push(error(
                line_of("unique_field:"),
                format!(
                    "`unique_field: {}` names no field of the form",
                    raw.unique_field
                ),
                "name the field that identifies a person, usually the e-mail",
            )),
            Some(field) if !field.required => problems.push(error(
                line_of("unique_field:"),
                format!("the unique field `{}` must be required", raw.unique_field),
                "",
            )),
            Some(_) => {}
        }
        if raw.double_opt_in
            && !fields
                .iter()
                .any(|f| f.kind == FieldType::Email && f.required)
        {
            problems.push(error(
                line_of("double_opt_in:"),
                "double opt-in needs a required e-mail field to send the confirmation to"
                    .to_owned(),
                "",
            ));
        }
        match (opens, closes) {
            (Some(opens), Some(closes)) if problems.is_empty() => Ok(Self {
                id: id.to_owned(),
                title: raw.title,
                description: raw.description,
                opens,
                closes,
                allocation,
                capacity: raw.capacity,
                unique_field: raw.unique_field,
                double_opt_in: raw.double_opt_in,
                notify: raw.notify,
                retention_days: raw.retention_days,
                next_steps: raw.next_steps,
                cancelled: raw.cancelled,
                fields,
                consents: raw.consents,
                patterns,
            }),
            _ => Err(problems),
        }
    }
}

fn options_from_data(
    from: &OptionsFrom,
    data: &dyn Fn(&str) -> Option<serde_json::Value>,
) -> Result<Vec<Choice>, String> {
    let value =
        data(&from.data).ok_or_else(|| format!("there is no content/data/{}.yaml", from.data))?;
    let list = match &from.key {
        Some(key) => value
            .get(key)
            .cloned()
            .ok_or_else(|| format!("content/data/{}.yaml has no key `{key}`", from.data))?,
        None => value,
    };
    let items = list
        .as_array()
        .ok_or_else(|| format!("content/data/{}.yaml does not hold a list", from.data))?;
    items
        .iter()
        .map(|item| {
            let text = |key: &str| match item.get(key) {
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            match (text(&from.value), text(&from.label)) {
                (Some(value), Some(label)) => Ok(Choice { value, label }),
                _ => Err(format!(
                    "an item of content/data/{}.yaml lacks `{}` or `{}`",
                    from.data, from.value, from.label
                )),
            }
        })
        .collect()
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn parse_time(text: &str, tz: Tz) -> Option<DateTime<Tz>> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M"))
        .ok()?;
    naive.and_local_timezone(tz).earliest()
}

/// The 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}
