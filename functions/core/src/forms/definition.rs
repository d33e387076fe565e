//! A form as editors define it in `content/forms/<id>.yaml`: read by the
//! generator (to render it) and by the functions (to validate and decide).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::privacy::{self, FormPrivacy, LegalBasis, RawPrivacy};
use crate::diagnostics::Diagnostic;
use crate::local_time::{self, Written};
use crate::yaml_lines::Lines;

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
    /// After `closes`, or after `closed_by` when the closing date is not
    /// known; a lottery form's places are then drawn.
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
    /// Shown instead of the form while the list an `options_from` field
    /// chooses from is empty (not published yet).
    pub unavailable: Option<String>,
}

/// A `min` or `max`: a number for a number field, a date (`2020-03-01`)
/// for a date field. Anything else is kept as text, to be reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Limit {
    Number(f64),
    Date(NaiveDate),
    Text(String),
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
    pub min: Option<Limit>,
    pub max: Option<Limit>,
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

impl Field {
    /// The bounds of a number field.
    pub fn number_range(&self) -> (Option<f64>, Option<f64>) {
        let number = |limit: &Option<Limit>| match limit {
            Some(Limit::Number(n)) => Some(*n),
            _ => None,
        };
        (number(&self.min), number(&self.max))
    }

    /// The bounds of a date field.
    pub fn date_range(&self) -> (Option<NaiveDate>, Option<NaiveDate>) {
        let date = |limit: &Option<Limit>| match limit {
            Some(Limit::Date(d)) => Some(*d),
            _ => None,
        };
        (date(&self.min), date(&self.max))
    }

    /// A select or radio field with nothing to choose from: its list
    /// comes from a data file that is still empty.
    pub fn has_no_choices(&self) -> bool {
        matches!(self.kind, FieldType::Select | FieldType::Radio) && self.options.is_empty()
    }

    /// What residents read while the field has nothing to choose from.
    pub fn unavailable_message(&self) -> String {
        self.messages.unavailable.clone().unwrap_or_else(|| {
            format!(
                "Tego formularza nie można jeszcze wysłać: lista do wyboru w polu „{}” nie jest jeszcze opublikowana. Zajrzyj tu później.",
                self.label
            )
        })
    }
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
    closes: Option<String>,
    closed_by: Option<String>,
    timezone: Option<String>,
    allocation: Option<Allocation>,
    capacity: Option<u32>,
    unique_field: String,
    #[serde(default)]
    double_opt_in: bool,
    notify: Option<String>,
    retention_days: u32,
    // The privacy notice's facts: `privacy.rs`.
    purpose: Option<String>,
    legal_basis: Option<LegalBasis>,
    legal_basis_detail: Option<String>,
    recipients: Option<Vec<String>>,
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
    pub opens: Moment,
    /// `None`: no closing date is known; the form is open until staff
    /// give one, or say by when it had closed (`closed_by`).
    pub closes: Option<Moment>,
    /// A recruitment whose end the sources never gave is known to have
    /// closed by this moment: closed from then on, with no date shown.
    pub closed_by: Option<Moment>,
    pub allocation: Allocation,
    /// Places; `None` is unlimited (first-come forms only).
    pub capacity: Option<u32>,
    pub unique_field: String,
    pub double_opt_in: bool,
    pub notify: Option<String>,
    pub retention_days: u32,
    /// Purpose, legal basis and recipients, for the privacy notice.
    pub privacy: FormPrivacy,
    /// What happens after registering: on the confirmation page and e-mail.
    pub next_steps: Option<String>,
    /// Why the recruitment was called off, in Polish; set, the form
    /// accepts nothing and its pages say so.
    pub cancelled: Option<String>,
    pub fields: Vec<Field>,
    pub consents: Vec<Consent>,
    /// Compiled `pattern`s by field name.
    pub patterns: BTreeMap<String, Regex>,
    /// What the editor should know but that does not stop the form from
    /// loading, such as a list to choose from that is not published yet.
    pub warnings: Vec<Diagnostic>,
}

/// Field names the HTTP layer uses for spam checks.
pub const RESERVED_NAMES: &[&str] = &["website", "started_at", "form_id"];

impl FormDefinition {
    /// The form's state at `now`.
    pub fn state_at<T: chrono::TimeZone>(&self, now: &DateTime<T>) -> FormState {
        if self.cancelled.is_some() {
            FormState::Cancelled
        } else if *now < self.opens.at {
            FormState::Upcoming
        } else if [self.closes, self.closed_by]
            .iter()
            .flatten()
            .any(|end| *now >= end.at)
        {
            FormState::Closed
        } else {
            FormState::Open
        }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Why the form cannot be sent at all, in Polish: a required field
    /// has nothing to choose from. Its pages show this instead of the form.
    pub fn unavailable(&self) -> Option<String> {
        self.fields
            .iter()
            .find(|f| f.required && f.has_no_choices())
            .map(Field::unavailable_message)
    }

    /// Parses and checks a form file. `data` gives the data files
    /// (`content/data/<name>.yaml`) for `options_from`.
    pub fn parse(
        id: &str,
        text: &str,
        file: &Path,
        data: &dyn Fn(&str) -> Option<serde_json::Value>,
    ) -> Result<Self, Vec<Diagnostic>> {
        let error = |line: Option<usize>, message: String, hint: &str| Diagnostic {
            file: file.to_path_buf(),
            line,
            message,
            hint: (!hint.is_empty()).then(|| hint.to_owned()),
        };
        let raw: RawForm = serde_yaml::from_str(text).map_err(|e| {
            vec![error(
                e.location().map(|l| l.line()),
                super::yaml_cause(&e),
                "README.md (\"Forms\") lists every key of a form file",
            )]
        })?;
        let lines = Lines::new(text);
        let mut problems = Vec::new();
        let mut warnings = Vec::new();

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
                    lines.key("timezone"),
                    "unknown time zone".to_owned(),
                    "use e.g. Europe/Warsaw",
                ));
                Tz::Europe__Warsaw
            }
        };
        let mut time = |key: &str, value: &str, edge: DayEdge| match Moment::parse(value, tz, edge)
        {
            Some(t) => Some(t),
            None => {
                problems.push(error(
                    lines.key(key),
                    format!("`{key}: {value}` is not a date, nor a date and time"),
                    "write it as 2020-03-01 (a day: only what the sources say) or 2020-03-01 09:00",
                ));
                None
            }
        };
        let opens = time("opens", &raw.opens, DayEdge::Start);
        let closes = raw
            .closes
            .as_deref()
            .map(|value| time("closes", value, DayEdge::End));
        let closed_by = raw
            .closed_by
            .as_deref()
            .map(|value| time("closed_by", value, DayEdge::End));
        if let (Some(opens), Some(Some(closes))) = (opens, closes) {
            if closes.at <= opens.at {
                problems.push(error(
                    lines.key("closes"),
                    "the form closes before it opens".to_owned(),
                    "check `opens` and `closes`",
                ));
            }
        }
        let allocation = raw.allocation.unwrap_or(Allocation::FirstCome);
        if allocation == Allocation::Lottery && raw.capacity.is_none() {
            problems.push(error(
                lines.key("allocation"),
                "a lottery form needs a `capacity`".to_owned(),
                "add `capacity: 60` (the places the draw gives out)",
            ));
        }
        if raw.capacity == Some(0) {
            problems.push(error(
                lines.key("capacity"),
                "`capacity` must be at least 1".to_owned(),
                "",
            ));
        }
        if raw.retention_days == 0 {
            problems.push(error(
                lines.key("retention_days"),
                "`retention_days` must be at least 1".to_owned(),
                "how many days the records are kept",
            ));
        }
        if let Some(notify) = &raw.notify {
            if !email_address::EmailAddress::is_valid(notify) {
                problems.push(error(
                    lines.key("notify"),
                    format!("`{notify}` is not an e-mail address"),
                    "",
                ));
            }
        }
        if raw.fields.is_empty() {
            problems.push(error(
                lines.key("fields"),
                "the form has no fields".to_owned(),
                "",
            ));
        }

        let mut names = HashSet::new();
        let mut patterns = BTreeMap::new();
        let consent_required: BTreeMap<&str, bool> = raw
            .consents
            .iter()
            .map(|c| (c.name.as_str(), c.required))
            .collect();
        let mut fields = raw.fields;
        for (index, field) in fields.iter_mut().enumerate() {
            // Each problem is reported on the line of the key it is about,
            // in this field's own item of `fields:`.
            let at = |key: &str| lines.in_item("fields", index, key);
            let mut field_error = |key: &str, message: String, hint: &str| {
                problems.push(error(at(key), message, hint));
            };
            let name = field.name.clone();
            if !is_identifier(&name.replace('_', "-")) || name.contains('-') {
                field_error(
                    "name",
                    format!("`{name}` cannot name a field"),
                    "use lowercase letters, digits and underscores",
                );
            }
            if RESERVED_NAMES.contains(&name.as_str()) {
                field_error(
                    "name",
                    format!("`{name}` is reserved for the form's spam checks"),
                    "choose another name",
                );
            }
            if !names.insert(name.clone()) {
                field_error(
                    "name",
                    format!("two fields are named `{name}`"),
                    "give each field its own name",
                );
            }
            if field.kind == FieldType::Checkbox {
                // A box is ticked or not: there is no text to measure or match.
                let keys = [
                    ("min_length", field.min_length.is_some()),
                    ("max_length", field.max_length.is_some()),
                    ("pattern", field.pattern.is_some()),
                ];
                for (key, _) in keys.iter().filter(|(_, set)| *set) {
                    field_error(
                        key,
                        format!("`{name}`: a checkbox takes no `{key}`"),
                        "remove the key; a checkbox is either ticked or not",
                    );
                }
            }
            if let (Some(min), Some(max)) = (field.min_length, field.max_length) {
                if min > max {
                    field_error(
                        "max_length",
                        format!("`{name}`: min_length ({min}) is above max_length ({max})"),
                        "swap or correct the two lengths",
                    );
                }
            }
            for (key, limit) in [("min", &field.min), ("max", &field.max)] {
                let Some(limit) = limit else { continue };
                match (field.kind, limit) {
                    (FieldType::Number, Limit::Number(_)) | (FieldType::Date, Limit::Date(_)) => {}
                    (FieldType::Number, _) => field_error(
                        key,
                        format!("`{name}`: `{key}` of a number field must be a number"),
                        "write e.g. `min: 18`",
                    ),
                    (FieldType::Date, _) => field_error(
                        key,
                        format!("`{name}`: `{key}` of a date field must be a date"),
                        "write it as 2020-03-01",
                    ),
                    _ => field_error(
                        key,
                        format!("`{name}`: `{key}` applies only to number and date fields"),
                        "remove it; min_length and max_length bound the length of a text",
                    ),
                }
            }
            let above = match (field.number_range(), field.date_range()) {
                ((Some(min), Some(max)), _) => (min > max).then(|| format!("{min} > {max}")),
                (_, (Some(min), Some(max))) => (min > max).then(|| format!("{min} > {max}")),
                _ => None,
            };
            if let Some(above) = above {
                field_error(
                    "max",
                    format!("`{name}`: min is above max ({above})"),
                    "swap or correct `min` and `max`",
                );
            }
            if let Some(pattern) = &field.pattern {
                match Regex::new(&format!("^(?:{pattern})$")) {
                    Ok(regex) => {
                        patterns.insert(name.clone(), regex);
                    }
                    Err(e) => field_error(
                        "pattern",
                        format!("`{name}`: the pattern is not a valid regular expression: {e}"),
                        "",
                    ),
                }
                if field.pattern_message.is_none() {
                    field_error(
                        "pattern",
                        format!("`{name}` has a pattern but no pattern_message"),
                        "add pattern_message: what a resident should type, in Polish",
                    );
                }
            }
            let choices = matches!(field.kind, FieldType::Select | FieldType::Radio);
            if let Some(from) = &field.options_from {
                if !choices {
                    field_error(
                        "options_from",
                        format!("`{name}`: only select and radio fields take options"),
                        "",
                    );
                }
                match options_from_data(from, data) {
                    Ok(options) if options.is_empty() && choices => {
                        field.options = options;
                        // Publishing the list is a later staff step: the form
                        // loads and its pages say it cannot be sent yet.
                        let effect = if field.required {
                            format!(
                                "the form `{id}` cannot be sent until the list is published: its page shows „{}” instead of the form",
                                field.unavailable_message()
                            )
                        } else {
                            "the field offers nothing to choose until the list is published"
                                .to_owned()
                        };
                        warnings.push(error(
                            at("options_from"),
                            format!(
                                "`{name}` takes its options from content/data/{}.yaml, whose list is empty; {effect}",
                                from.data
                            ),
                            &format!(
                                "publish the list in content/data/{}.yaml before the form opens",
                                from.data
                            ),
                        ));
                    }
                    Ok(options) => field.options = options,
                    Err(message) => field_error(
                        "options_from",
                        format!("`{name}`: {message}"),
                        "options_from names a file of content/data/",
                    ),
                }
            } else if choices && field.options.is_empty() {
                field_error(
                    "options",
                    format!("`{name}` has no options"),
                    "add `options:` (value and label) or `options_from:`",
                );
            } else if !choices && field.kind != FieldType::Checkbox && !field.options.is_empty() {
                field_error(
                    "options",
                    format!("`{name}`: only select, radio and checkbox fields take options"),
                    "",
                );
            }
            if field.messages.unavailable.is_some() && field.options_from.is_none() {
                field_error(
                    "messages",
                    format!(
                        "`{name}`: messages.unavailable applies only to a field with options_from"
                    ),
                    "remove it; the message replaces the form while an options_from list is empty",
                );
            }
            let mut values = HashSet::new();
            for choice in &field.options {
                if !values.insert(choice.value.as_str()) {
                    field_error(
                        "options",
                        format!("`{name}`: the option `{}` is listed twice", choice.value),
                        "",
                    );
                }
            }
            if let Some(consent) = &field.published_with {
                match consent_required.get(consent.as_str()) {
                    None => field_error(
                        "published_with",
                        format!("`{name}` is published with the consent `{consent}`, which the form does not ask for"),
                        "add the consent under `consents:` or remove published_with",
                    ),
                    Some(true) => field_error(
                        "published_with",
                        format!("`{name}` is published with the consent `{consent}`, which is required"),
                        "publication needs its own optional consent (`required: false`): a person may register without agreeing to appear on a public list",
                    ),
                    Some(false) => {}
                }
            }
        }
        let mut seen_consents = HashSet::new();
        for (index, consent) in raw.consents.iter().enumerate() {
            let at = |key: &str| lines.in_item("consents", index, key);
            if !seen_consents.insert(consent.name.as_str()) || names.contains(&consent.name) {
                problems.push(error(
                    at("name"),
                    format!("the name `{}` is used twice", consent.name),
                    "fields and consents each need their own name",
                ));
            }
            for (key, value) in [("text", &consent.text), ("version", &consent.version)] {
                if value.trim().is_empty() {
                    problems.push(error(
                        at(key),
                        format!("the consent `{}` has an empty `{key}`", consent.name),
                        "a consent needs its text and a version; the version is stored with each consent given",
                    ));
                }
            }
        }
        match fields.iter().find(|f| f.name == raw.unique_field) {
            None => problems.push(error(
                lines.key("unique_field"),
                format!(
                    "`unique_field: {}` names no field of the form",
                    raw.unique_field
                ),
                "name the field that identifies a person, usually the e-mail",
            )),
            Some(field) if !field.required => problems.push(error(
                lines.key("unique_field"),
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
                lines.key("double_opt_in"),
                "double opt-in needs a required e-mail field to send the confirmation to"
                    .to_owned(),
                "",
            ));
        }
        let privacy = privacy::check(
            RawPrivacy {
                purpose: raw.purpose,
                legal_basis: raw.legal_basis,
                legal_basis_detail: raw.legal_basis_detail,
                recipients: raw.recipients,
            },
            &raw.consents,
            &lines,
            &|line, message, hint| error(line, message, hint),
        );
        let privacy = match privacy {
            Ok(privacy) => Some(privacy),
            Err(mut found) => {
                problems.append(&mut found);
                None
            }
        };
        match (opens, closes, privacy) {
            (Some(opens), None | Some(Some(_)), Some(privacy)) if problems.is_empty() => Ok(Self {
                id: id.to_owned(),
                title: raw.title,
                description: raw.description,
                opens,
                closes: closes.flatten(),
                closed_by: closed_by.flatten(),
                allocation,
                capacity: raw.capacity,
                unique_field: raw.unique_field,
                double_opt_in: raw.double_opt_in,
                notify: raw.notify,
                retention_days: raw.retention_days,
                privacy,
                next_steps: raw.next_steps,
                cancelled: raw.cancelled,
                fields,
                consents: raw.consents,
                patterns,
                warnings,
            }),
            _ => Err(problems),
        }
    }
}

fn options_from_data(
    from: &OptionsFrom,
    data: &dyn Fn(&str) -> Option<serde_json::Value>,
) -> Result<Vec<Choice>, String> {
    let value = data(&from.data).ok_or_else(|| {
        format!(
            "content/data/{}.yaml is missing or could not be read",
            from.data
        )
    })?;
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

/// A moment a form file names: a day and a time, or a day alone, as the
/// sources often give it ("from 4 April 2023"). A day alone is shown
/// without a time, never with one made up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// When it takes effect: a day alone opens at its first moment and
    /// closes after its last.
    pub at: DateTime<Tz>,
    /// The day as written, when no time was.
    pub day: Option<NaiveDate>,
}

/// Which end of a day a day alone means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayEdge {
    Start,
    End,
}

impl Moment {
    fn parse(text: &str, tz: Tz, edge: DayEdge) -> Option<Self> {
        match local_time::read(text)? {
            Written::Day(day) => {
                let first = match edge {
                    DayEdge::Start => day,
                    DayEdge::End => day.succ_opt()?,
                };
                let at = local_time::in_zone(first.and_time(NaiveTime::MIN), tz)?;
                Some(Self { at, day: Some(day) })
            }
            Written::At(local) => Some(Self {
                at: local_time::in_zone(local, tz)?,
                day: None,
            }),
        }
    }

    /// In Polish: "4 kwietnia 2023", or "19 lutego 2020, 09:00".
    pub fn pl(&self) -> String {
        match self.day {
            Some(day) => crate::polish::date_pl(day),
            None => crate::polish::date_time_pl(self.at),
        }
    }

    /// For staff: "2023-04-04", or "2020-02-19 09:00".
    pub fn machine_short(&self) -> String {
        match self.day {
            Some(day) => day.to_string(),
            None => self.at.format("%Y-%m-%d %H:%M").to_string(),
        }
    }

    /// For `<time datetime>` and JSON: "2023-04-04", or RFC 3339.
    pub fn machine(&self) -> String {
        match self.day {
            Some(day) => day.to_string(),
            None => self.at.to_rfc3339(),
        }
    }
}
