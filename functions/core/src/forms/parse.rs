//! Reading a form file: serde gives the keys, then one check per rule,
//! each reporting on the line of the key it is about (`Check`). Every
//! problem of a file is reported at once; warnings (a list still empty)
//! let the form load.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono_tz::Tz;
use regex::Regex;
use serde::Deserialize;

use super::definition::{
    Allocation, Ambassadors, Choice, Consent, DayEdge, Field, FieldType, FormDefinition, Limit,
    Moment, OptionsFrom, Preverification, RESERVED_NAMES,
};
use super::is_identifier;
use super::privacy::{self, LegalBasis, RawPrivacy};
use crate::diagnostics::Diagnostic;
use crate::yaml_lines::Lines;

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
    unique_with: Vec<String>,
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
    ambassadors: Option<Ambassadors>,
    preverification: Option<Preverification>,
}

/// The problems and warnings of one form file.
struct Check<'a> {
    file: &'a Path,
    lines: Lines<'a>,
    problems: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

impl<'a> Check<'a> {
    fn new(file: &'a Path, text: &'a str) -> Self {
        Self {
            file,
            lines: Lines::new(text),
            problems: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn diagnostic(&self, line: Option<usize>, message: String, hint: &str) -> Diagnostic {
        diagnostic(self.file, line, message, hint)
    }

    /// A problem on the line of the top-level `key`.
    fn at_key(&mut self, key: &str, message: String, hint: &str) {
        let problem = self.diagnostic(self.lines.key(key), message, hint);
        self.problems.push(problem);
    }

    /// A problem on the line of `key` in the `index`-th item of `list`.
    fn in_item(&mut self, list: &str, index: usize, key: &str, message: String, hint: &str) {
        let problem = self.diagnostic(self.lines.in_item(list, index, key), message, hint);
        self.problems.push(problem);
    }

    fn id(&mut self, id: &str) {
        if !is_identifier(id) {
            self.problems.push(self.diagnostic(
                None,
                format!("`{id}` cannot name a form"),
                "name the file with lowercase letters, digits and hyphens, e.g. ambasadorzy.yaml",
            ));
        }
    }

    fn time_zone(&mut self, name: Option<&str>) -> Tz {
        name.unwrap_or("Europe/Warsaw").parse().unwrap_or_else(|_| {
            self.at_key(
                "timezone",
                "unknown time zone".to_owned(),
                "use e.g. Europe/Warsaw",
            );
            Tz::Europe__Warsaw
        })
    }

    fn moment(&mut self, key: &str, value: &str, tz: Tz, edge: DayEdge) -> Option<Moment> {
        let moment = Moment::parse(value, tz, edge);
        if moment.is_none() {
            self.at_key(
                key,
                format!("`{key}: {value}` is not a date, nor a date and time"),
                "write it as 2020-03-01 (a day: only what the sources say) or 2020-03-01 09:00",
            );
        }
        moment
    }

    /// `opens`, `closes` and `closed_by`; `None` where a date is wrong.
    fn window(&mut self, raw: &RawForm, tz: Tz) -> Window {
        let opens = self.moment("opens", &raw.opens, tz, DayEdge::Start);
        let closes = raw
            .closes
            .as_deref()
            .map(|value| self.moment("closes", value, tz, DayEdge::End));
        let closed_by = raw
            .closed_by
            .as_deref()
            .map(|value| self.moment("closed_by", value, tz, DayEdge::End));
        if let (Some(opens), Some(Some(closes))) = (opens, closes) {
            if closes.at <= opens.at {
                self.at_key(
                    "closes",
                    "the form closes before it opens".to_owned(),
                    "check `opens` and `closes`",
                );
            }
        }
        Window {
            opens,
            closes,
            closed_by,
        }
    }

    /// Places, retention, the staff's address and that there are fields.
    fn limits(&mut self, raw: &RawForm) -> Allocation {
        let allocation = raw.allocation.unwrap_or(Allocation::FirstCome);
        if allocation == Allocation::Lottery && raw.capacity.is_none() {
            self.at_key(
                "allocation",
                "a lottery form needs a `capacity`".to_owned(),
                "add `capacity: 60` (the places the draw gives out)",
            );
        }
        if raw.capacity == Some(0) {
            self.at_key("capacity", "`capacity` must be at least 1".to_owned(), "");
        }
        if raw.retention_days == 0 {
            self.at_key(
                "retention_days",
                "`retention_days` must be at least 1".to_owned(),
                "how many days the records are kept",
            );
        }
        if let Some(notify) = &raw.notify {
            if !email_address::EmailAddress::is_valid(notify) {
                self.at_key("notify", format!("`{notify}` is not an e-mail address"), "");
            }
        }
        if raw.fields.is_empty() {
            self.at_key("fields", "the form has no fields".to_owned(), "");
        }
        allocation
    }

    /// Every field, by the rules of `FieldCheck`; options taken from data
    /// files are filled in.
    fn fields<'r>(
        &mut self,
        form_id: &str,
        fields: &mut [Field],
        consents: &'r [Consent],
        data: &dyn Fn(&str) -> Option<serde_json::Value>,
    ) -> Fields<'r> {
        let mut shared = Fields {
            names: HashSet::new(),
            patterns: BTreeMap::new(),
            consents: consents
                .iter()
                .map(|c| (c.name.as_str(), c.required))
                .collect(),
        };
        for (index, field) in fields.iter_mut().enumerate() {
            let mut check = FieldCheck {
                check: self,
                index,
                name: field.name.clone(),
            };
            check.naming(&mut shared.names);
            check.lengths(field);
            check.limits(field);
            check.pattern(field, &mut shared.patterns);
            check.options(form_id, field, data);
            check.publication(field, &shared.consents);
        }
        shared
    }

    /// Consents: a name of their own, a text and a version.
    fn consents(&mut self, consents: &[Consent], field_names: &HashSet<String>) {
        let mut seen = HashSet::new();
        for (index, consent) in consents.iter().enumerate() {
            if !seen.insert(consent.name.as_str()) || field_names.contains(&consent.name) {
                self.in_item(
                    "consents",
                    index,
                    "name",
                    format!("the name `{}` is used twice", consent.name),
                    "fields and consents each need their own name",
                );
            }
            for (key, value) in [("text", &consent.text), ("version", &consent.version)] {
                if value.trim().is_empty() {
                    self.in_item(
                        "consents",
                        index,
                        key,
                        format!("the consent `{}` has an empty `{key}`", consent.name),
                        "a consent needs its text and a version; the version is stored with each consent given",
                    );
                }
            }
        }
    }

    /// The field that tells people apart: required; and an address to
    /// confirm through when the form asks for it.
    fn identity(&mut self, raw: &RawForm, fields: &[Field]) {
        match fields.iter().find(|f| f.name == raw.unique_field) {
            None => self.at_key(
                "unique_field",
                format!(
                    "`unique_field: {}` names no field of the form",
                    raw.unique_field
                ),
                "name the field that identifies a person, usually the e-mail",
            ),
            Some(field) if !field.required => self.at_key(
                "unique_field",
                format!("the unique field `{}` must be required", raw.unique_field),
                "",
            ),
            Some(_) => {}
        }
        for name in &raw.unique_with {
            match fields.iter().find(|f| &f.name == name) {
                Some(field) if field.required && field.kind != FieldType::Checkbox => {}
                Some(_) => self.at_key(
                    "unique_with",
                    format!("`unique_with` names `{name}`, which is not a required field"),
                    "name required fields, such as the title of an idea",
                ),
                None => self.at_key(
                    "unique_with",
                    format!("`unique_with` names `{name}`, which is no field of the form"),
                    "name fields of the form, e.g. `unique_with: [title]`",
                ),
            }
        }
        if raw.double_opt_in
            && !fields
                .iter()
                .any(|f| f.kind == FieldType::Email && f.required)
        {
            self.at_key(
                "double_opt_in",
                "double opt-in needs a required e-mail field to send the confirmation to"
                    .to_owned(),
                "",
            );
        }
    }

    /// `ambassadors:`: a list to publish to, and the area in a required
    /// field of the form (an ambassador's account is matched by it).
    fn ambassadors(&mut self, ambassadors: Option<&Ambassadors>, fields: &[Field]) {
        let Some(ambassadors) = ambassadors else {
            return;
        };
        self.data_file("ambassadors", "list", &ambassadors.list, "ambasadorzy");
        let area = NamedField {
            section: "ambassadors",
            key: "area_field",
            what: "area",
            example: "district",
            why_required: "every ambassador needs an area: their panel account sees only it",
        };
        self.named_field(&area, &ambassadors.area_field, fields);
    }

    /// `preverification:`: a units file, the idea's title and district in
    /// required fields (the workspace's lists show them), and the fields
    /// the resident's one reply may change.
    fn preverification(&mut self, raw: &RawForm, fields: &[Field]) {
        let Some(preverification) = &raw.preverification else {
            return;
        };
        let units = &preverification.units;
        self.data_file("preverification", "units", units, "jednostki-weryfikujace");
        let title = NamedField {
            section: "preverification",
            key: "title_field",
            what: "title",
            example: "title",
            why_required: "every idea needs a title: the workspace lists ideas by it",
        };
        self.named_field(&title, &preverification.title_field, fields);
        let district = NamedField {
            section: "preverification",
            key: "district_field",
            what: "district",
            example: "district",
            why_required: "every idea needs a district: the office sorts ideas by it",
        };
        self.named_field(&district, &preverification.district_field, fields);
        self.revisable(&preverification.revisable, raw, fields);
    }

    /// `key: name` of `section` names a data file of content/data/.
    fn data_file(&mut self, section: &str, key: &str, name: &str, example: &str) {
        if super::data_name(&format!("{name}.yaml")).is_none() {
            self.at_key(
                section,
                format!("`{key}: {name}` cannot name a data file"),
                &format!("name the file of content/data/ without `.yaml`, e.g. `{key}: {example}`"),
            );
        }
    }

    /// A field a section names by its `key`: the form must have it, and
    /// require it.
    fn named_field(&mut self, named: &NamedField<'_>, name: &str, fields: &[Field]) {
        match fields.iter().find(|f| f.name == name) {
            Some(field) if field.required => {}
            Some(_) => self.at_key(
                named.section,
                format!("the {} field `{name}` must be required", named.what),
                named.why_required,
            ),
            None => self.at_key(
                named.section,
                format!("`{}: {name}` names no field of the form", named.key),
                &format!(
                    "name the field holding the {}, e.g. `{}: {}`",
                    named.what, named.key, named.example
                ),
            ),
        }
    }

    /// `revisable:` lists fields a resident's reply may change: never the
    /// address that identifies them and receives the answers, nor a box
    /// they ticked with the idea.
    fn revisable(&mut self, revisable: &[String], raw: &RawForm, fields: &[Field]) {
        if revisable.is_empty() {
            self.at_key(
                "preverification",
                "`revisable` lists no field".to_owned(),
                "list the fields a resident may change in their reply, e.g. `revisable: [title, place, description]`",
            );
        }
        for name in revisable {
            let field = fields.iter().find(|f| &f.name == name);
            let (problem, hint) = if raw.consents.iter().any(|c| &c.name == name) {
                (
                    "names a consent",
                    "a box is ticked once, with the idea; list only fields",
                )
            } else if field.is_none() {
                (
                    "names no field of the form",
                    "list names of `fields:`, e.g. `revisable: [title, place, description]`",
                )
            } else if field
                .is_some_and(|f| f.name == raw.unique_field || f.kind == FieldType::Email)
            {
                (
                    "names the field that identifies the author",
                    "the answers go to the address the idea was sent from: leave it out of `revisable`",
                )
            } else {
                continue;
            };
            self.at_key(
                "preverification",
                format!("`revisable: {name}` {problem}"),
                hint,
            );
        }
    }
}

/// A field that a section of a form file (`ambassadors:`,
/// `preverification:`) names by one of its keys, for the messages about it.
struct NamedField<'a> {
    section: &'a str,
    key: &'a str,
    /// What the field holds: `area`.
    what: &'a str,
    /// A field name to suggest.
    example: &'a str,
    /// Why the field must be required, as the hint.
    why_required: &'a str,
}

/// The form's dates, each `None` where it is wrong.
struct Window {
    opens: Option<Moment>,
    closes: Option<Option<Moment>>,
    closed_by: Option<Option<Moment>>,
}

fn diagnostic(file: &Path, line: Option<usize>, message: String, hint: &str) -> Diagnostic {
    Diagnostic {
        file: file.to_path_buf(),
        line,
        message,
        hint: (!hint.is_empty()).then(|| hint.to_owned()),
    }
}

impl FormDefinition {
    /// Parses and checks a form file. `data` gives the data files
    /// (`content/data/<name>.yaml`) for `options_from`.
    pub fn parse(
        id: &str,
        text: &str,
        file: &Path,
        data: &dyn Fn(&str) -> Option<serde_json::Value>,
    ) -> Result<Self, Vec<Diagnostic>> {
        let mut raw: RawForm = serde_yaml::from_str(text).map_err(|e| {
            vec![diagnostic(
                file,
                e.location().map(|l| l.line()),
                super::yaml_cause(&e),
                "README.md (\"Forms\") lists every key of a form file",
            )]
        })?;
        let mut check = Check::new(file, text);
        check.id(id);
        let tz = check.time_zone(raw.timezone.as_deref());
        let window = check.window(&raw, tz);
        let allocation = check.limits(&raw);
        let mut fields = std::mem::take(&mut raw.fields);
        let shared = check.fields(id, &mut fields, &raw.consents, data);
        check.consents(&raw.consents, &shared.names);
        check.identity(&raw, &fields);
        check.ambassadors(raw.ambassadors.as_ref(), &fields);
        check.preverification(&raw, &fields);
        let privacy = privacy::check(
            RawPrivacy {
                purpose: raw.purpose,
                legal_basis: raw.legal_basis,
                legal_basis_detail: raw.legal_basis_detail,
                recipients: raw.recipients,
            },
            &raw.consents,
            &check.lines,
            &|line, message, hint| check.diagnostic(line, message, hint),
        );
        let privacy = match privacy {
            Ok(privacy) => Some(privacy),
            Err(mut found) => {
                check.problems.append(&mut found);
                None
            }
        };
        let patterns = shared.patterns;
        match (window.opens, window.closes, privacy) {
            (Some(opens), None | Some(Some(_)), Some(privacy)) if check.problems.is_empty() => {
                Ok(Self {
                    id: id.to_owned(),
                    title: raw.title,
                    description: raw.description,
                    opens,
                    closes: window.closes.flatten(),
                    closed_by: window.closed_by.flatten(),
                    allocation,
                    capacity: raw.capacity,
                    unique_field: raw.unique_field,
                    unique_with: raw.unique_with,
                    double_opt_in: raw.double_opt_in,
                    notify: raw.notify,
                    retention_days: raw.retention_days,
                    privacy,
                    next_steps: raw.next_steps,
                    cancelled: raw.cancelled,
                    fields,
                    consents: raw.consents,
                    ambassadors: raw.ambassadors,
                    preverification: raw.preverification,
                    patterns,
                    warnings: check.warnings,
                })
            }
            _ => Err(check.problems),
        }
    }
}

/// What the fields' checks share across fields.
struct Fields<'r> {
    names: HashSet<String>,
    patterns: BTreeMap<String, Regex>,
    /// Each consent of the form, and whether it is required.
    consents: BTreeMap<&'r str, bool>,
}

/// One field's checks, each reporting in the field's own item of
/// `fields:`, on the line of the key it is about.
struct FieldCheck<'c, 'a> {
    check: &'c mut Check<'a>,
    index: usize,
    name: String,
}

impl FieldCheck<'_, '_> {
    fn error(&mut self, key: &str, message: String, hint: &str) {
        self.check.in_item("fields", self.index, key, message, hint);
    }

    /// A name of its own that a submission can carry.
    fn naming(&mut self, names: &mut HashSet<String>) {
        let name = self.name.clone();
        if !is_identifier(&name.replace('_', "-")) || name.contains('-') {
            self.error(
                "name",
                format!("`{name}` cannot name a field"),
                "use lowercase letters, digits and underscores",
            );
        }
        if RESERVED_NAMES.contains(&name.as_str()) {
            self.error(
                "name",
                format!("`{name}` is reserved for the form's spam checks"),
                "choose another name",
            );
        }
        if !names.insert(name.clone()) {
            self.error(
                "name",
                format!("two fields are named `{name}`"),
                "give each field its own name",
            );
        }
    }

    /// Lengths: not on a checkbox, the least not above the most.
    fn lengths(&mut self, field: &Field) {
        let name = self.name.clone();
        if field.kind == FieldType::Checkbox {
            // A box is ticked or not: there is no text to measure or match.
            let keys = [
                ("min_length", field.min_length.is_some()),
                ("max_length", field.max_length.is_some()),
                ("pattern", field.pattern.is_some()),
            ];
            for (key, _) in keys.iter().filter(|(_, set)| *set) {
                self.error(
                    key,
                    format!("`{name}`: a checkbox takes no `{key}`"),
                    "remove the key; a checkbox is either ticked or not",
                );
            }
        }
        if let (Some(min), Some(max)) = (field.min_length, field.max_length) {
            if min > max {
                self.error(
                    "max_length",
                    format!("`{name}`: min_length ({min}) is above max_length ({max})"),
                    "swap or correct the two lengths",
                );
            }
        }
    }

    /// `min` and `max`: of the field's own kind, the least not above the most.
    fn limits(&mut self, field: &Field) {
        let name = self.name.clone();
        for (key, limit) in [("min", &field.min), ("max", &field.max)] {
            let Some(limit) = limit else { continue };
            match (field.kind, limit) {
                (FieldType::Number, Limit::Number(_)) | (FieldType::Date, Limit::Date(_)) => {}
                (FieldType::Number, _) => self.error(
                    key,
                    format!("`{name}`: `{key}` of a number field must be a number"),
                    "write e.g. `min: 18`",
                ),
                (FieldType::Date, _) => self.error(
                    key,
                    format!("`{name}`: `{key}` of a date field must be a date"),
                    "write it as 2020-03-01",
                ),
                _ => self.error(
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
            self.error(
                "max",
                format!("`{name}`: min is above max ({above})"),
                "swap or correct `min` and `max`",
            );
        }
    }

    /// A pattern that compiles, with the message a resident reads.
    fn pattern(&mut self, field: &Field, patterns: &mut BTreeMap<String, Regex>) {
        let name = self.name.clone();
        if let Some(pattern) = &field.pattern {
            match Regex::new(&format!("^(?:{pattern})$")) {
                Ok(regex) => {
                    patterns.insert(name.clone(), regex);
                }
                Err(e) => self.error(
                    "pattern",
                    format!("`{name}`: the pattern is not a valid regular expression: {e}"),
                    "",
                ),
            }
            if field.pattern_message.is_none() {
                self.error(
                    "pattern",
                    format!("`{name}` has a pattern but no pattern_message"),
                    "add pattern_message: what a resident should type, in Polish",
                );
            }
        }
    }

    /// Options where a field has choices, read from a data file when the
    /// field names one; none twice.
    fn options(
        &mut self,
        form_id: &str,
        field: &mut Field,
        data: &dyn Fn(&str) -> Option<serde_json::Value>,
    ) {
        let name = self.name.clone();
        let choices = matches!(field.kind, FieldType::Select | FieldType::Radio);
        if field.options_from.is_some() {
            self.options_from(form_id, field, choices, data);
        } else if choices && field.options.is_empty() {
            self.error(
                "options",
                format!("`{name}` has no options"),
                "add `options:` (value and label) or `options_from:`",
            );
        } else if !choices && field.kind != FieldType::Checkbox && !field.options.is_empty() {
            self.error(
                "options",
                format!("`{name}`: only select, radio and checkbox fields take options"),
                "",
            );
        }
        if field.messages.unavailable.is_some() && field.options_from.is_none() {
            self.error(
                "messages",
                format!("`{name}`: messages.unavailable applies only to a field with options_from"),
                "remove it; the message replaces the form while an options_from list is empty",
            );
        }
        let mut values = HashSet::new();
        for choice in &field.options {
            if !values.insert(choice.value.as_str()) {
                self.error(
                    "options",
                    format!("`{name}`: the option `{}` is listed twice", choice.value),
                    "",
                );
            }
        }
    }

    /// The options of a field with `options_from`, read from its data
    /// file; `choices` when the field's type takes them.
    fn options_from(
        &mut self,
        form_id: &str,
        field: &mut Field,
        choices: bool,
        data: &dyn Fn(&str) -> Option<serde_json::Value>,
    ) {
        let name = self.name.clone();
        let Some(from) = &field.options_from else {
            return;
        };
        if !choices {
            self.error(
                "options_from",
                format!("`{name}`: only select and radio fields take options"),
                "",
            );
        }
        match options_from_data(from, data) {
            Ok(options) if options.is_empty() && choices => {
                field.options = options;
                self.empty_list(form_id, field, &from.data);
            }
            Ok(options) => field.options = options,
            Err(message) => self.error(
                "options_from",
                format!("`{name}`: {message}"),
                "options_from names a file of content/data/",
            ),
        }
    }

    /// Warns of a field whose list, in the data file `data_name`, is still
    /// empty. Publishing the list is a later staff step: the form loads and
    /// its pages say it cannot be sent yet.
    fn empty_list(&mut self, form_id: &str, field: &Field, data_name: &str) {
        let name = &self.name;
        let effect = if field.required {
            format!(
                "the form `{form_id}` cannot be sent until the list is published: its page shows „{}” instead of the form",
                field.unavailable_message()
            )
        } else {
            "the field offers nothing to choose until the list is published".to_owned()
        };
        let line = self
            .check
            .lines
            .in_item("fields", self.index, "options_from");
        let warning = self.check.diagnostic(
            line,
            format!(
                "`{name}` takes its options from content/data/{data_name}.yaml, whose list is empty; {effect}"
            ),
            &format!("publish the list in content/data/{data_name}.yaml before the form opens"),
        );
        self.check.warnings.push(warning);
    }

    /// Published only with a consent the form asks for, and may be refused.
    fn publication(&mut self, field: &Field, consents: &BTreeMap<&str, bool>) {
        let name = self.name.clone();
        if let Some(consent) = &field.published_with {
            match consents.get(consent.as_str()) {
                None => self.error(
                    "published_with",
                    format!("`{name}` is published with the consent `{consent}`, which the form does not ask for"),
                    "add the consent under `consents:` or remove published_with",
                ),
                Some(true) => self.error(
                    "published_with",
                    format!("`{name}` is published with the consent `{consent}`, which is required"),
                    "publication needs its own optional consent (`required: false`): a person may register without agreeing to appear on a public list",
                ),
                Some(false) => {}
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A form of ideas whose `preverification:` (line 19) is `section`.
    fn ideas_form(section: &str) -> String {
        format!(
            "title: Pomysły\nopens: 2020-02-19\nunique_field: email\nretention_days: 30\n\
             purpose: Próba.\nlegal_basis: public_task\nlegal_basis_detail: art. 5a\nrecipients: [cloud]\n\
             consents:\n  - name: processing\n    required: true\n    version: \"1\"\n    text: Zapoznałam/Zapoznałem się z informacją.\n\
             fields:\n  - {{ name: title, type: text, label: Tytuł }}\n  - {{ name: district, type: text, label: Dzielnica }}\n\
             \x20 - {{ name: note, type: text, label: Uwagi, required: false }}\n  - {{ name: email, type: email, label: E-mail }}\n\
             preverification:\n{section}"
        )
    }

    fn problems(section: &str) -> Vec<String> {
        let text = ideas_form(section);
        FormDefinition::parse(
            "pomysly",
            &text,
            Path::new("content/forms/pomysly.yaml"),
            &|_| None,
        )
        .expect_err("a bad preverification")
        .iter()
        .map(|p| {
            format!(
                "{}:{}: {}",
                p.file.display(),
                p.line.unwrap_or(0),
                p.message
            )
        })
        .collect()
    }

    const GOOD: &str = "  units: jednostki\n  title_field: title\n  district_field: district\n  revisable: [title, note]\n";

    #[test]
    fn a_form_of_ideas_names_its_units_title_district_and_revisable_fields() {
        let text = ideas_form(GOOD);
        let form = FormDefinition::parse("pomysly", &text, Path::new("pomysly.yaml"), &|_| None)
            .expect("valid");
        let preverification = form.preverification.expect("the key is read");
        assert_eq!(preverification.units, "jednostki");
        assert_eq!(preverification.revisable, ["title", "note"]);
    }

    #[test]
    fn the_title_and_district_are_required_fields_of_the_form() {
        let found = problems(
            &GOOD
                .replace("title_field: title", "title_field: name")
                .replace("district_field: district", "district_field: note"),
        );
        assert_eq!(
            found,
            [
                "content/forms/pomysly.yaml:19: `title_field: name` names no field of the form",
                "content/forms/pomysly.yaml:19: the district field `note` must be required",
            ]
        );
    }

    #[test]
    fn the_units_name_a_data_file() {
        let found = problems(&GOOD.replace("units: jednostki", "units: ../jednostki"));
        assert_eq!(
            found,
            ["content/forms/pomysly.yaml:19: `units: ../jednostki` cannot name a data file"]
        );
    }

    #[test]
    fn a_reply_revises_fields_never_the_address_nor_a_box() {
        let found = problems(&GOOD.replace("[title, note]", "[title, email, processing, cost]"));
        assert_eq!(
            found,
            [
                "content/forms/pomysly.yaml:19: `revisable: email` names the field that identifies the author",
                "content/forms/pomysly.yaml:19: `revisable: processing` names a consent",
                "content/forms/pomysly.yaml:19: `revisable: cost` names no field of the form",
            ]
        );
        let found = problems(&GOOD.replace("[title, note]", "[]"));
        assert_eq!(
            found,
            ["content/forms/pomysly.yaml:19: `revisable` lists no field"]
        );
    }
}
