//! A form as editors define it in `content/forms/<id>.yaml`: read by the
//! generator (to render it) and by the functions (to validate and decide).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::privacy::FormPrivacy;
use crate::diagnostics::Diagnostic;
use crate::local_time::{self, Written};

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

/// `ambassadors:` of a form file: the form takes applications to be an
/// ambassador, which the office decides in the staff workspace
/// (`/panel/ambasadorzy`); the appointed who consented are published to
/// a data file, from which the join-a-process form offers their areas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ambassadors {
    /// The public list's data file, `content/data/<list>.yaml`.
    pub list: String,
    /// The field whose value is an ambassador's area as the office names
    /// it on their panel account (`XIII`).
    pub area_field: String,
}

/// `preverification:` of a form file: the form takes project ideas for
/// pre-verification, which the office assigns to the verifying units of
/// a data file and their experts answer in the staff workspace
/// (`agora_core::ideas`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preverification {
    /// The verifying units' data file, `content/data/<units>.yaml`.
    pub units: String,
    /// The field holding the idea's title, shown in lists.
    pub title_field: String,
    /// The field holding the idea's district (the pipeline's split).
    pub district_field: String,
    /// The fields the resident may change in their one reply.
    pub revisable: Vec<String>,
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
    /// Further fields that, with the unique field, make a submission the
    /// same: a person may send several ideas, each with its own title.
    pub unique_with: Vec<String>,
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
    /// Set on the form of applications to be an ambassador.
    pub ambassadors: Option<Ambassadors>,
    /// Set on a form of project ideas for pre-verification.
    pub preverification: Option<Preverification>,
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
pub(super) enum DayEdge {
    Start,
    End,
}

impl Moment {
    pub(super) fn parse(text: &str, tz: Tz, edge: DayEdge) -> Option<Self> {
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
