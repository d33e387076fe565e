//! The dashboard's charts as numbers: for a form that takes registrations
//! (or closed lately), how many came each day and how they split by
//! district. Given the form and its registrations, with no I/O, so that
//! the rules are tested here and the router only draws them.
//!
//! What counts: every registration that still stands, in any status but
//! `Withdrawn` and `Spam`, on the day it was submitted (`created_at`) in
//! the form's own time zone. Withdrawn registrations and suspected spam
//! are counted apart ([`FormSeries::withdrawn`], [`FormSeries::spam`]):
//! shown as totals, never as bars, so that a bar is a person still in.

use std::cmp::Reverse;
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::forms::{Field, FormDefinition, FormState, Moment};
use crate::registration::{Registration, Status};

/// How many days a chart shows at most: the last ones of the window, so
/// that a recruitment open for years still fits a phone's screen.
pub const DAYS_SHOWN: i64 = 30;

/// A closed form keeps its charts this many days after it closed: the
/// office counts and draws then.
pub const RECENTLY_CLOSED_DAYS: i64 = 30;

/// The data file (`content/data/dzielnice.yaml`) whose options make a
/// field a district: the split is found by what the field chooses from,
/// whatever the field is called.
pub const DISTRICTS_DATA: &str = "dzielnice";

/// The registrations submitted on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCount {
    pub day: NaiveDate,
    pub count: u64,
}

/// The registrations of one district (an option of the district field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The option's value; empty for [`UNLISTED`].
    pub value: String,
    pub label: String,
    pub count: u64,
}

/// The label of the part that gathers values the field does not list
/// (an option removed since, or an optional field left empty).
pub const UNLISTED: &str = "spoza listy";

/// A form's charts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormSeries {
    /// Every day shown, oldest first; days without registrations are 0.
    pub days: Vec<DayCount>,
    /// Registrations counted that fall on no day shown: before the
    /// first (the window is longer than [`DAYS_SHOWN`]) or, which the
    /// window does not allow, after the last.
    pub outside: u64,
    /// Every registration counted: the days' sum plus `outside`.
    pub counted: u64,
    pub withdrawn: u64,
    pub spam: u64,
    /// By district, in the data file's order with districts of no
    /// registration as 0, when the form has a district field.
    pub districts: Option<Vec<Part>>,
}

impl FormSeries {
    /// The busiest day shown (the earliest of equals), if any registered.
    pub fn busiest(&self) -> Option<DayCount> {
        // `min_by_key` keeps the first of equals.
        self.days
            .iter()
            .filter(|d| d.count > 0)
            .min_by_key(|d| Reverse(d.count))
            .copied()
    }
}

/// Whether the dashboard charts `form` at `now`: open, or closed within
/// [`RECENTLY_CLOSED_DAYS`]. Only these are read in full, so that the
/// dashboard stays quick whatever the archive holds.
pub fn charted(form: &FormDefinition, now: DateTime<Utc>) -> bool {
    match form.state_at(&now) {
        FormState::Open => true,
        FormState::Closed => {
            closing(form).is_some_and(|end| end.at >= now - Duration::days(RECENTLY_CLOSED_DAYS))
        }
        FormState::Upcoming | FormState::Cancelled => false,
    }
}

/// The form's charts from its registrations at `now`.
pub fn series(
    form: &FormDefinition,
    registrations: &[Registration],
    now: DateTime<Utc>,
) -> FormSeries {
    let zone = form.opens.at.timezone();
    let standing: Vec<&Registration> = registrations
        .iter()
        .filter(|r| !matches!(r.status, Status::Withdrawn | Status::Spam))
        .collect();
    let (days, outside) = per_day(shown_days(form, now), &standing, zone);
    let count = |status| registrations.iter().filter(|r| r.status == status).count() as u64;
    FormSeries {
        days,
        outside,
        counted: standing.len() as u64,
        withdrawn: count(Status::Withdrawn),
        spam: count(Status::Spam),
        districts: district_field(form).map(|field| by_option(field, &standing)),
    }
}

/// The field whose options come from [`DISTRICTS_DATA`], if the form has one.
pub fn district_field(form: &FormDefinition) -> Option<&Field> {
    form.fields.iter().find(|field| {
        field
            .options_from
            .as_ref()
            .is_some_and(|from| from.data == DISTRICTS_DATA)
    })
}

/// When the form closed or closes: the earlier of `closes` and `closed_by`.
fn closing(form: &FormDefinition) -> Option<Moment> {
    [form.closes, form.closed_by]
        .into_iter()
        .flatten()
        .min_by_key(|end| end.at)
}

/// The days a chart shows, first and last, in the form's time zone: up
/// to today, or to the closing day of a closed form, and never before
/// the opening day; `None` before the form opens.
fn shown_days(form: &FormDefinition, now: DateTime<Utc>) -> Option<(NaiveDate, NaiveDate)> {
    let zone = form.opens.at.timezone();
    let today = now.with_timezone(&zone).date_naive();
    let last = match closing(form) {
        Some(end) if end.at <= now => last_day(end),
        _ => today,
    };
    let opened = form.opens.at.date_naive();
    let first = opened.max(last - Duration::days(DAYS_SHOWN - 1));
    (first <= last).then_some((first, last))
}

/// The last day a closing moment leaves open: the day itself for a day
/// alone, else the day of the moment's last second.
fn last_day(end: Moment) -> NaiveDate {
    end.day
        .unwrap_or_else(|| (end.at - Duration::seconds(1)).date_naive())
}

/// Each day of `range` with its count (0 for none), and how many fall
/// outside it. One pass over the registrations, whatever their number.
fn per_day(
    range: Option<(NaiveDate, NaiveDate)>,
    registrations: &[&Registration],
    zone: Tz,
) -> (Vec<DayCount>, u64) {
    let mut by_day: HashMap<NaiveDate, u64> = HashMap::new();
    for registration in registrations {
        let day = registration.created_at.with_timezone(&zone).date_naive();
        *by_day.entry(day).or_default() += 1;
    }
    let Some((first, last)) = range else {
        return (Vec::new(), registrations.len() as u64);
    };
    let days: Vec<DayCount> = first
        .iter_days()
        .take_while(|day| *day <= last)
        .map(|day| DayCount {
            day,
            count: by_day.get(&day).copied().unwrap_or(0),
        })
        .collect();
    let shown: u64 = days.iter().map(|d| d.count).sum();
    (days, registrations.len() as u64 - shown)
}

/// The registrations by the field's option, every option listed; values
/// it does not list gathered last, when there are any.
fn by_option(field: &Field, registrations: &[&Registration]) -> Vec<Part> {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for registration in registrations {
        let value = registration
            .values
            .get(&field.name)
            .map_or("", String::as_str);
        *counts.entry(value).or_default() += 1;
    }
    let mut parts: Vec<Part> = field
        .options
        .iter()
        .map(|option| Part {
            value: option.value.clone(),
            label: option.label.clone(),
            count: counts.remove(option.value.as_str()).unwrap_or(0),
        })
        .collect();
    let unlisted: u64 = counts.values().sum();
    if unlisted > 0 {
        parts.push(Part {
            value: String::new(),
            label: UNLISTED.to_owned(),
            count: unlisted,
        });
    }
    parts
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use chrono::TimeZone;

    use super::*;

    /// A form of `window` whose fields are an address and, with
    /// `district`, a district chosen from the districts' data file.
    fn parsed(window: &str, district: bool) -> FormDefinition {
        let mut text = format!(
            "title: Spacer\n{window}\nunique_field: email\nretention_days: 30\n\
             purpose: Zapisy.\nlegal_basis: public_task\nlegal_basis_detail: art. 5a\n\
             recipients: [cloud]\nfields:\n\
             \x20 - {{ name: email, type: email, label: E-mail }}\n"
        );
        if district {
            text.push_str(
                "  - name: district\n    type: select\n    label: Dzielnica\n    required: false\n\
                 \x20   options_from: { data: dzielnice, key: districts, value: id, label: name }\n",
            );
        }
        let data = |name: &str| {
            (name == DISTRICTS_DATA).then(|| {
                serde_json::json!({ "districts": [
                    { "id": "I", "name": "Stare Miasto" },
                    { "id": "II", "name": "Grzegórzki" },
                    { "id": "III", "name": "Prądnik Czerwony" },
                ]})
            })
        };
        FormDefinition::parse("spacer", &text, Path::new("spacer.yaml"), &data)
            .expect("a valid form")
    }

    fn form(window: &str) -> FormDefinition {
        parsed(window, true)
    }

    fn open_form() -> FormDefinition {
        form("opens: 2026-03-01")
    }

    fn utc(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, minute, 0)
            .single()
            .expect("a valid time")
    }

    fn date(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).expect("a valid date")
    }

    fn registration(at: DateTime<Utc>, status: Status, district: &str) -> Registration {
        let mut values = BTreeMap::new();
        if !district.is_empty() {
            values.insert("district".to_owned(), district.to_owned());
        }
        Registration {
            form_id: "spacer".to_owned(),
            reference: "AAAA-AAAA".to_owned(),
            status,
            position: None,
            values,
            consents: Vec::new(),
            spam: None,
            created_at: at,
            confirmed_at: None,
            expires_at: at + Duration::days(30),
            mail_problem: None,
        }
    }

    fn counts(series: &FormSeries) -> Vec<u64> {
        series.days.iter().map(|d| d.count).collect()
    }

    #[test]
    fn no_registrations_give_zero_days_from_the_opening() {
        let series = series(&open_form(), &[], utc(4, 12, 0));
        assert_eq!(counts(&series), [0, 0, 0, 0]);
        assert_eq!(series.days[0].day, date(1));
        assert_eq!(series.days[3].day, date(4));
        assert_eq!((series.counted, series.outside), (0, 0));
        assert_eq!(series.busiest(), None);
        let districts = series.districts.expect("a district field");
        assert_eq!(districts.len(), 3);
        assert!(districts.iter().all(|p| p.count == 0));
    }

    #[test]
    fn one_day_opened_today() {
        let registrations = [
            registration(utc(1, 8, 0), Status::Pending, "I"),
            registration(utc(1, 9, 0), Status::Registered, "I"),
        ];
        let series = series(&open_form(), &registrations, utc(1, 12, 0));
        assert_eq!(
            series.days,
            [DayCount {
                day: date(1),
                count: 2
            }]
        );
        assert_eq!(
            series.busiest(),
            Some(DayCount {
                day: date(1),
                count: 2
            })
        );
    }

    #[test]
    fn days_without_registrations_are_zero() {
        let registrations = [
            registration(utc(1, 10, 0), Status::Registered, "I"),
            registration(utc(4, 10, 0), Status::Waiting, "II"),
            registration(utc(4, 11, 0), Status::Registered, "II"),
        ];
        let series = series(&open_form(), &registrations, utc(5, 10, 0));
        assert_eq!(counts(&series), [1, 0, 0, 2, 0]);
        assert_eq!(series.counted, 3);
        assert_eq!(series.busiest().map(|d| d.day), Some(date(4)));
    }

    #[test]
    fn the_forms_time_zone_decides_the_day() {
        // 23:30 UTC on 2 March is 00:30 on 3 March in Warsaw (UTC+1).
        let late = [registration(utc(2, 23, 30), Status::Registered, "I")];
        let warsaw = series(&open_form(), &late, utc(4, 12, 0));
        assert_eq!(counts(&warsaw), [0, 0, 1, 0]);
        let utc_form = form("opens: 2026-03-01\ntimezone: UTC");
        assert_eq!(
            counts(&series(&utc_form, &late, utc(4, 12, 0))),
            [0, 1, 0, 0]
        );
    }

    #[test]
    fn withdrawn_and_spam_are_counted_apart() {
        let registrations = [
            registration(utc(2, 10, 0), Status::Registered, "I"),
            registration(utc(2, 11, 0), Status::Withdrawn, ""),
            registration(utc(2, 12, 0), Status::Spam, "II"),
            registration(utc(3, 12, 0), Status::Applied, "zlikwidowana"),
        ];
        let series = series(&open_form(), &registrations, utc(3, 18, 0));
        assert_eq!(counts(&series), [0, 1, 1]);
        assert_eq!((series.counted, series.withdrawn, series.spam), (2, 1, 1));
        let districts = series.districts.expect("a district field");
        let counted: Vec<(&str, u64)> = districts
            .iter()
            .map(|p| (p.label.as_str(), p.count))
            .collect();
        assert_eq!(
            counted,
            [
                ("Stare Miasto", 1),
                ("Grzegórzki", 0),
                ("Prądnik Czerwony", 0),
                (UNLISTED, 1)
            ]
        );
    }

    #[test]
    fn a_long_window_shows_its_last_days_and_counts_the_rest() {
        let registrations = [
            registration(utc(1, 10, 0), Status::Registered, "I"),
            registration(utc(31, 10, 0), Status::Registered, "I"),
        ];
        let now = Utc
            .with_ymd_and_hms(2026, 4, 5, 10, 0, 0)
            .single()
            .expect("a time");
        let series = series(&open_form(), &registrations, now);
        assert_eq!(series.days.len(), DAYS_SHOWN as usize);
        assert_eq!(series.days.last().map(|d| d.day), Some(now.date_naive()));
        assert_eq!(series.outside, 1, "1 March is before the days shown");
        assert_eq!(series.counted, 2);
    }

    #[test]
    fn a_closed_form_ends_on_its_closing_day_and_drops_off_after_a_month() {
        let closed = form("opens: 2026-03-01\ncloses: 2026-03-03");
        let now = utc(10, 12, 0);
        assert!(charted(&closed, now));
        assert_eq!(
            series(&closed, &[], now).days.last().map(|d| d.day),
            Some(date(3))
        );
        let by = form("opens: 2026-03-01\nclosed_by: 2026-03-03 18:00");
        assert_eq!(
            series(&by, &[], now).days.last().map(|d| d.day),
            Some(date(3))
        );
        let month_later = Utc
            .with_ymd_and_hms(2026, 4, 3, 0, 0, 0)
            .single()
            .expect("a time");
        assert!(!charted(&closed, month_later));
        assert!(charted(&open_form(), month_later));
        assert!(
            !charted(&form("opens: 2026-05-01"), month_later),
            "upcoming"
        );
    }

    #[test]
    fn a_form_without_a_district_field_has_no_split() {
        let plain = parsed("opens: 2026-03-01", false);
        assert_eq!(series(&plain, &[], utc(2, 0, 0)).districts, None);
    }
}
