//! The office's view of pre-verification as numbers: how many ideas each
//! district sent, where they stand and what the units answered, and how
//! long the units take. Given a form's registrations and its ideas'
//! records, with no I/O, so that the rules are tested here and the
//! workspace only draws them.
//!
//! What counts: every confirmed idea (a registration `Registered`, as
//! the office may assign only those), with its record, or none if nothing
//! happened to it yet ([`Stage::New`]). Ideas still waiting for their
//! author's confirmation are counted apart ([`Pipeline::unconfirmed`]);
//! withdrawn ones are gone with their records.
//!
//! A wait starts when the author confirmed the idea (when it was sent,
//! for a registration without a confirmation time) and ends with the
//! unit's first answer: the answer to a revised version is another matter
//! of days, which the first answer's wait does not mix with.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::{IdeaRecord, Outcome, Stage};
use crate::forms::FormDefinition;
use crate::panel::charts::{Part, UNLISTED};
use crate::registration::{Registration, Status};

/// An idea that waits longer than this many days for its first answer
/// waits too long: two weeks give a unit two working weeks to look at
/// the place and reply, and leave the author time to revise the idea
/// before proposals are due.
pub const LONG_WAIT_DAYS: i64 = 14;

/// How many stages an idea may be at.
const STAGE_COLUMNS: usize = 5;

/// The stages in the order an idea goes through them: the columns of
/// [`DistrictTally::by_stage`]. Without a unit: the pipeline counts
/// stages, whatever unit has the idea.
pub const STAGES: [Stage; STAGE_COLUMNS] = [
    Stage::New,
    Stage::WithUnit {
        unit: String::new(),
        revised: false,
    },
    Stage::WithUnit {
        unit: String::new(),
        revised: true,
    },
    Stage::Answered,
    Stage::Settled,
];

/// The confirmed ideas of one district (an option of the district field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictTally {
    /// The option's value; empty for [`UNLISTED`].
    pub value: String,
    pub label: String,
    pub ideas: u64,
    /// By stage, in the order of [`STAGES`].
    pub by_stage: [u64; STAGE_COLUMNS],
    /// By the outcome of the latest answer, in the order of
    /// [`Outcome::ALL`]; ideas without an answer are in none.
    pub by_outcome: [u64; Outcome::ALL.len()],
}

impl DistrictTally {
    fn new(value: &str, label: &str) -> Self {
        Self {
            value: value.to_owned(),
            label: label.to_owned(),
            ideas: 0,
            by_stage: [0; STAGE_COLUMNS],
            by_outcome: [0; Outcome::ALL.len()],
        }
    }

    fn count(&mut self, record: &IdeaRecord) {
        self.ideas += 1;
        let stage = record.stage();
        if let Some(column) = STAGES.iter().position(|s| s.as_str() == stage.as_str()) {
            self.by_stage[column] += 1;
        }
        if let Some(latest) = record.answers().last() {
            let column = Outcome::ALL.iter().position(|o| *o == latest.outcome);
            self.by_outcome[column.expect("every outcome is in ALL")] += 1;
        }
    }

    /// The ideas of the district no unit has answered yet.
    pub fn unanswered(&self) -> u64 {
        self.ideas - self.by_outcome.iter().sum::<u64>()
    }

    /// How many ideas of the district the latest answer gave `outcome`.
    pub fn with_outcome(&self, outcome: Outcome) -> u64 {
        Outcome::ALL
            .iter()
            .position(|o| *o == outcome)
            .map_or(0, |column| self.by_outcome[column])
    }
}

/// Waits in whole days (each rounded down): how many, the median and the
/// longest (`None` when there are none), and how many were longer than
/// [`LONG_WAIT_DAYS`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waits {
    pub ideas: u64,
    pub median_days: Option<i64>,
    pub longest_days: Option<i64>,
    pub over_limit: u64,
}

impl Waits {
    fn of(mut waits: Vec<Duration>) -> Self {
        waits.sort();
        let middle = waits.len() / 2;
        let median = match waits.len() {
            0 => None,
            n if n % 2 == 1 => Some(waits[middle]),
            _ => Some((waits[middle - 1] + waits[middle]) / 2),
        };
        Self {
            ideas: waits.len() as u64,
            median_days: median.map(|wait| wait.num_days()),
            longest_days: waits.last().map(|wait| wait.num_days()),
            over_limit: waits
                .iter()
                .filter(|wait| wait.num_days() > LONG_WAIT_DAYS)
                .count() as u64,
        }
    }
}

/// A form's pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    /// By district, in the data file's order with districts of no idea
    /// as 0; ideas of a value the field does not list gathered last, as
    /// [`UNLISTED`], when there are any.
    pub districts: Vec<DistrictTally>,
    /// From confirmation to the first answer, of the ideas answered.
    pub answered: Waits,
    /// From confirmation to `now`, of the ideas no unit answered yet.
    pub waiting: Waits,
    /// Ideas sent but not confirmed by their author (yet).
    pub unconfirmed: u64,
}

impl Pipeline {
    /// Every district's numbers added up, labelled `label`.
    pub fn total(&self, label: &str) -> DistrictTally {
        let mut total = DistrictTally::new("", label);
        for district in &self.districts {
            total.ideas += district.ideas;
            for (sum, n) in total.by_stage.iter_mut().zip(district.by_stage) {
                *sum += n;
            }
            for (sum, n) in total.by_outcome.iter_mut().zip(district.by_outcome) {
                *sum += n;
            }
        }
        total
    }

    /// One number of each district, as a chart's bars.
    pub fn parts(&self, number: impl Fn(&DistrictTally) -> u64) -> Vec<Part> {
        self.districts
            .iter()
            .map(|district| Part {
                value: district.value.clone(),
                label: district.label.clone(),
                count: number(district),
            })
            .collect()
    }
}

/// The pipeline of `form` from its registrations and its ideas' records
/// at `now`.
pub fn pipeline(
    form: &FormDefinition,
    registrations: &[Registration],
    records: &[IdeaRecord],
    now: DateTime<Utc>,
) -> Pipeline {
    let records: HashMap<&str, &IdeaRecord> = records
        .iter()
        .map(|record| (record.reference.as_str(), record))
        .collect();
    let mut districts = Districts::of(form);
    let (mut answered, mut waiting) = (Vec::new(), Vec::new());
    for registration in registrations
        .iter()
        .filter(|r| r.status == Status::Registered)
    {
        let new = IdeaRecord::new(&form.id, &registration.reference);
        let record = records
            .get(registration.reference.as_str())
            .copied()
            .unwrap_or(&new);
        districts.count(registration, record);
        let start = registration.confirmed_at.unwrap_or(registration.created_at);
        match record.answers().next() {
            Some(first) => answered.push(since(start, first.at)),
            None => waiting.push(since(start, now)),
        };
    }
    Pipeline {
        districts: districts.tallies(),
        answered: Waits::of(answered),
        waiting: Waits::of(waiting),
        unconfirmed: registrations
            .iter()
            .filter(|r| r.status == Status::Pending)
            .count() as u64,
    }
}

/// How long from `start` to `end`; nothing if the clocks disagree.
fn since(start: DateTime<Utc>, end: DateTime<Utc>) -> Duration {
    (end - start).max(Duration::zero())
}

/// The tallies being counted: one per option of the district field, and
/// one of the values it does not list.
struct Districts<'f> {
    field: Option<&'f str>,
    listed: Vec<DistrictTally>,
    unlisted: DistrictTally,
}

impl<'f> Districts<'f> {
    fn of(form: &'f FormDefinition) -> Self {
        let name = form
            .preverification
            .as_ref()
            .map(|p| p.district_field.as_str());
        let options = name.and_then(|name| form.field(name)).map(|f| &f.options);
        Self {
            field: name,
            listed: options
                .into_iter()
                .flatten()
                .map(|option| DistrictTally::new(&option.value, &option.label))
                .collect(),
            unlisted: DistrictTally::new("", UNLISTED),
        }
    }

    fn count(&mut self, registration: &Registration, record: &IdeaRecord) {
        let value = self
            .field
            .and_then(|name| registration.values.get(name))
            .map_or("", String::as_str);
        match self
            .listed
            .iter_mut()
            .find(|d| !value.is_empty() && d.value == value)
        {
            Some(district) => district.count(record),
            None => self.unlisted.count(record),
        }
    }

    fn tallies(mut self) -> Vec<DistrictTally> {
        if self.unlisted.ideas > 0 {
            self.listed.push(self.unlisted);
        }
        self.listed
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use chrono::TimeZone;

    use super::*;
    use crate::ideas::Answer;

    fn form() -> FormDefinition {
        let text = "title: Pomysły\nopens: 2026-03-01\nunique_field: email\nretention_days: 30\n\
             purpose: Pomysły.\nlegal_basis: public_task\nlegal_basis_detail: art. 5a\n\
             recipients: [cloud]\n\
             preverification: { units: jednostki, title_field: title, district_field: district, \
             revisable: [title] }\nfields:\n\
             \x20 - { name: title, type: text, label: Tytuł }\n\
             \x20 - { name: email, type: email, label: E-mail }\n\
             \x20 - name: district\n    type: select\n    label: Dzielnica\n\
             \x20   options_from: { data: dzielnice, key: districts, value: id, label: name }\n";
        let data = |name: &str| match name {
            "dzielnice" => Some(serde_json::json!({ "districts": [
                { "id": "I", "name": "Stare Miasto" },
                { "id": "II", "name": "Grzegórzki" },
            ]})),
            "jednostki" => Some(serde_json::json!({ "units": [{ "id": "zzm", "name": "ZZM" }] })),
            _ => None,
        };
        FormDefinition::parse("pomysly", text, Path::new("pomysly.yaml"), &data)
            .expect("a valid form")
    }

    fn day(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 10, 0, 0)
            .single()
            .expect("a valid time")
    }

    fn idea(reference: &str, status: Status, district: &str, confirmed: u32) -> Registration {
        Registration {
            form_id: "pomysly".to_owned(),
            reference: reference.to_owned(),
            status,
            position: None,
            values: BTreeMap::from([
                ("district".to_owned(), district.to_owned()),
                ("title".to_owned(), "Ławki".to_owned()),
            ]),
            consents: Vec::new(),
            spam: None,
            created_at: day(confirmed) - Duration::hours(1),
            confirmed_at: Some(day(confirmed)),
            expires_at: day(confirmed) + Duration::days(365),
            mail_problem: None,
        }
    }

    /// Ideas of `(district, day confirmed)`, `AAAA-0001` and on.
    fn confirmed(ideas: &[(&str, u32)]) -> Vec<Registration> {
        let numbered = ideas.iter().zip(1..);
        numbered
            .map(|((district, day), n)| {
                idea(&format!("AAAA-{n:04}"), Status::Registered, district, *day)
            })
            .collect()
    }

    fn answer(outcome: Outcome, at: DateTime<Utc>) -> Answer {
        Answer {
            unit: "zzm".to_owned(),
            outcome,
            comment: "Komentarz.".to_owned(),
            duplicate_of: None,
            cost_estimate: None,
            by: "ekspert@zzm.example".to_owned(),
            at,
        }
    }

    /// An idea given to the unit on day 1 and answered `outcome` on `at`.
    fn answered(reference: &str, outcome: Outcome, at: DateTime<Utc>) -> IdeaRecord {
        IdeaRecord::new("pomysly", reference)
            .assign("zzm", "bo@um.example", day(1))
            .and_then(|r| r.answer(answer(outcome, at)))
            .expect("a valid history")
    }

    #[test]
    fn ideas_count_by_district_stage_and_latest_outcome() {
        let mut registrations = confirmed(&[("I", 1), ("I", 1), ("II", 2), ("XX", 2)]);
        registrations.push(idea("AAAA-0005", Status::Pending, "I", 3));
        let revised = answered("AAAA-0002", Outcome::NeedsChanges, day(4))
            .revise(BTreeMap::new(), day(5))
            .and_then(|r| r.answer(answer(Outcome::GoAhead, day(6))))
            .expect("a valid history");
        let records = [
            answered("AAAA-0001", Outcome::Duplicate, day(3)),
            revised,
            IdeaRecord::new("pomysly", "AAAA-0003")
                .assign("zzm", "bo@um.example", day(2))
                .expect("assigned"),
        ];
        let pipeline = pipeline(&form(), &registrations, &records, day(20));
        let rows: Vec<(&str, u64, [u64; 5], [u64; 4])> = pipeline
            .districts
            .iter()
            .map(|d| (d.label.as_str(), d.ideas, d.by_stage, d.by_outcome))
            .collect();
        assert_eq!(
            rows,
            [
                ("Stare Miasto", 2, [0, 0, 0, 1, 1], [1, 0, 0, 1]),
                ("Grzegórzki", 1, [0, 1, 0, 0, 0], [0, 0, 0, 0]),
                (UNLISTED, 1, [1, 0, 0, 0, 0], [0, 0, 0, 0]),
            ]
        );
        assert_eq!(pipeline.unconfirmed, 1);
        let total = pipeline.total("razem");
        assert_eq!((total.ideas, total.unanswered()), (4, 2));
        assert_eq!(total.with_outcome(Outcome::GoAhead), 1);
        let bars: Vec<u64> = pipeline
            .parts(DistrictTally::unanswered)
            .iter()
            .map(|p| p.count)
            .collect();
        assert_eq!(bars, [0, 1, 1]);
    }

    #[test]
    fn waits_run_from_confirmation_to_the_first_answer_or_to_now() {
        let registrations = confirmed(&[("I", 1), ("I", 1), ("II", 2), ("II", 10), ("II", 12)]);
        let records = [
            // 2 days and a half: 2 whole days.
            answered("AAAA-0001", Outcome::GoAhead, day(3) + Duration::hours(12)),
            // 17 days, then a revision answered later, which does not count.
            answered("AAAA-0002", Outcome::NeedsChanges, day(18))
                .revise(BTreeMap::new(), day(19))
                .and_then(|r| r.answer(answer(Outcome::GoAhead, day(28))))
                .expect("a valid history"),
        ];
        let pipeline = pipeline(&form(), &registrations, &records, day(27));
        assert_eq!(
            pipeline.answered,
            Waits {
                ideas: 2,
                median_days: Some(9),
                longest_days: Some(17),
                over_limit: 1,
            }
        );
        // Waiting since days 2, 10 and 12: 25, 17 and 15 days at day 27.
        assert_eq!(
            pipeline.waiting,
            Waits {
                ideas: 3,
                median_days: Some(17),
                longest_days: Some(25),
                over_limit: 3,
            }
        );
    }

    #[test]
    fn a_wait_of_exactly_the_limit_is_not_too_long_and_none_is_none() {
        let registrations = confirmed(&[("I", 1)]);
        let at_limit = day(1) + Duration::days(LONG_WAIT_DAYS);
        let waiting = pipeline(&form(), &registrations, &[], at_limit).waiting;
        assert_eq!(
            (waiting.longest_days, waiting.over_limit),
            (Some(LONG_WAIT_DAYS), 0)
        );
        let empty = pipeline(&form(), &[], &[], day(2));
        assert_eq!(empty.waiting, Waits::default());
        assert_eq!(empty.districts.len(), 2, "every district, even of no idea");
        assert!(empty.districts.iter().all(|d| d.ideas == 0));
    }
}
