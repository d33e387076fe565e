//! An idea's history and the rules of what may happen next: the office
//! assigns it to a unit, the unit answers, the resident replies once with
//! a revised version, the unit answers that, and the idea is settled.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most characters of a unit's comment.
pub const COMMENT_MAX_CHARS: usize = 4000;
/// The highest cost estimate a unit may give, in złoty: a sum beyond any
/// district's budget is a typing mistake.
pub const COST_MAX_PLN: u64 = 1_000_000_000;
/// The most events an idea may have: every assignment is one, so a record
/// stays well below a store's item bound.
pub const EVENTS_MAX: usize = 40;
/// The most bytes of a record's JSON: well below DynamoDB's 400 KB item
/// bound, so that both stores accept the same records (4000 characters
/// of comment may be 16 000 bytes).
pub const RECORD_MAX_BYTES: usize = 300_000;
/// How many private-page keys an idea keeps: each e-mail with a link adds
/// one, so a link from one of the last few e-mails still opens the page.
pub const PAGE_KEYS_KEPT: usize = 4;

/// What a verifying unit says of an idea.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It can go ahead as a proposal.
    GoAhead,
    /// It needs the changes the comment names.
    NeedsChanges,
    /// It is outside what the city may do.
    OutsideCompetence,
    /// It repeats another idea (`Answer::duplicate_of`).
    Duplicate,
}

impl Outcome {
    pub const ALL: [Self; 4] = [
        Self::GoAhead,
        Self::NeedsChanges,
        Self::OutsideCompetence,
        Self::Duplicate,
    ];

    /// Its code in forms, URLs and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GoAhead => "go_ahead",
            Self::NeedsChanges => "needs_changes",
            Self::OutsideCompetence => "outside_competence",
            Self::Duplicate => "duplicate",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// In Polish, for residents and staff alike.
    pub fn label_pl(self) -> &'static str {
        match self {
            Self::GoAhead => "pomysł może być zgłoszony",
            Self::NeedsChanges => "pomysł wymaga zmian",
            Self::OutsideCompetence => "pomysł wykracza poza zadania gminy",
            Self::Duplicate => "pomysł powtarza inny pomysł",
        }
    }
}

/// A unit's answer to an idea.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The unit's key in the units' data file.
    pub unit: String,
    pub outcome: Outcome,
    /// What to change, why, or what else the resident should know.
    pub comment: String,
    /// The reference of the idea this one repeats ([`Outcome::Duplicate`]).
    pub duplicate_of: Option<String>,
    /// A rough cost in złoty, if the unit gives one.
    pub cost_estimate: Option<u64>,
    /// The staff account that answered (its work address).
    pub by: String,
    pub at: DateTime<Utc>,
}

impl Answer {
    /// What is wrong with the answer as typed, in Polish; `None` if
    /// nothing is.
    pub fn problem(&self) -> Option<&'static str> {
        let comment = self.comment.trim();
        if comment.chars().count() > COMMENT_MAX_CHARS {
            return Some("Komentarz jest za długi: skróć go do 4000 znaków.");
        }
        if comment.is_empty() && self.outcome != Outcome::GoAhead {
            return Some("Napisz komentarz: co zmienić albo dlaczego.");
        }
        if self.outcome == Outcome::Duplicate && self.duplicate_of.is_none() {
            return Some("Podaj numer pomysłu, który ten powtarza.");
        }
        if self.cost_estimate.is_some_and(|cost| cost > COST_MAX_PLN) {
            return Some("Szacunkowy koszt jest za duży: podaj kwotę w złotych.");
        }
        None
    }
}

/// One thing that happened to an idea.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The office gave the idea to a unit (again, to redirect it).
    Assigned {
        unit: String,
        by: String,
        at: DateTime<Utc>,
    },
    Answered(Answer),
    /// The resident's reply: the revised values of the form's fields
    /// that may be revised, by field name.
    Revised {
        fields: BTreeMap<String, String>,
        at: DateTime<Utc>,
    },
}

impl Event {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Assigned { at, .. } | Self::Revised { at, .. } => *at,
            Self::Answered(answer) => answer.at,
        }
    }
}

/// Where an idea stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Sent; no unit has it yet.
    New,
    /// Waiting for the unit's answer (`revised`: to the resident's reply).
    WithUnit { unit: String, revised: bool },
    /// Answered; the resident may still reply once.
    Answered,
    /// Answered after the resident's reply: nothing more happens.
    Settled,
}

impl Stage {
    /// Its code in the workspace's filter.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::New => "new",
            Self::WithUnit { revised: false, .. } => "with_unit",
            Self::WithUnit { revised: true, .. } => "revised",
            Self::Answered => "answered",
            Self::Settled => "settled",
        }
    }

    /// In Polish, for staff and the resident.
    pub fn label_pl(&self) -> &'static str {
        match self {
            Self::New => "czeka na przekazanie jednostce",
            Self::WithUnit { revised: false, .. } => "czeka na odpowiedź jednostki",
            Self::WithUnit { revised: true, .. } => "poprawiony, czeka na odpowiedź jednostki",
            Self::Answered => "z odpowiedzią jednostki",
            Self::Settled => "zakończony",
        }
    }
}

/// Why a step cannot be taken now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The idea is settled: nothing more happens to it.
    Settled,
    /// No unit has the idea, or another unit has it now.
    NotWithUnit,
    /// The resident may reply only to an answer, and once.
    NoReplyNow,
    /// The idea's history is as long as a record may hold.
    TooLong,
}

impl Refusal {
    /// In Polish, for whoever tried.
    pub fn message_pl(self) -> &'static str {
        match self {
            Self::Settled => "Ten pomysł ma już ostateczną odpowiedź.",
            Self::NotWithUnit => "Ten pomysł nie czeka teraz na odpowiedź tej jednostki.",
            Self::NoReplyNow => {
                "Na ten pomysł można odpowiedzieć tylko raz, po odpowiedzi jednostki."
            }
            Self::TooLong => "Historia tego pomysłu jest już zbyt długa: skontaktuj się z biurem.",
        }
    }
}

/// Everything that happened to one idea since it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdeaRecord {
    pub form_id: String,
    pub reference: String,
    /// 1 for the first saved record, one more with each save: the stores
    /// save a record only over the version before it.
    pub version: u64,
    pub events: Vec<Event>,
    /// SHA-256 (hex) of the keys of the private page's links e-mailed to
    /// the resident, newest last.
    pub page_keys: Vec<String>,
}

impl IdeaRecord {
    /// An idea nothing happened to yet (not saved: version 0).
    pub fn new(form_id: &str, reference: &str) -> Self {
        Self {
            form_id: form_id.to_owned(),
            reference: reference.to_owned(),
            version: 0,
            events: Vec::new(),
            page_keys: Vec::new(),
        }
    }

    pub fn stage(&self) -> Stage {
        let revised = self
            .events
            .iter()
            .any(|e| matches!(e, Event::Revised { .. }));
        match self.events.last() {
            None => Stage::New,
            Some(Event::Answered(_)) if revised => Stage::Settled,
            Some(Event::Answered(_)) => Stage::Answered,
            Some(Event::Assigned { .. } | Event::Revised { .. }) => match self.unit() {
                Some(unit) => Stage::WithUnit {
                    unit: unit.to_owned(),
                    revised,
                },
                None => Stage::New,
            },
        }
    }

    /// The unit the office gave the idea to last.
    pub fn unit(&self) -> Option<&str> {
        self.events.iter().rev().find_map(|e| match e {
            Event::Assigned { unit, .. } => Some(unit.as_str()),
            _ => None,
        })
    }

    /// The answers, oldest first.
    pub fn answers(&self) -> impl Iterator<Item = &Answer> {
        self.events.iter().filter_map(|e| match e {
            Event::Answered(answer) => Some(answer),
            _ => None,
        })
    }

    /// The resident's reply, if they sent one.
    pub fn revision(&self) -> Option<&BTreeMap<String, String>> {
        self.events.iter().find_map(|e| match e {
            Event::Revised { fields, .. } => Some(fields),
            _ => None,
        })
    }

    /// The office gives the idea to `unit`: at first, to redirect it while
    /// it waits, or after an answer (an idea outside one unit's remit
    /// may concern another). Not once settled.
    pub fn assign(&self, unit: &str, by: &str, at: DateTime<Utc>) -> Result<Self, Refusal> {
        if self.stage() == Stage::Settled {
            return Err(Refusal::Settled);
        }
        self.with(Event::Assigned {
            unit: unit.to_owned(),
            by: by.to_owned(),
            at,
        })
    }

    /// The unit that has the idea answers it (check the answer first with
    /// [`Answer::problem`]).
    pub fn answer(&self, answer: Answer) -> Result<Self, Refusal> {
        match self.stage() {
            Stage::WithUnit { unit, .. } if unit == answer.unit => {
                self.with(Event::Answered(answer))
            }
            Stage::Settled => Err(Refusal::Settled),
            _ => Err(Refusal::NotWithUnit),
        }
    }

    /// The resident replies to an answer with the revised fields, once;
    /// the idea goes back to the unit that answered.
    pub fn revise(
        &self,
        fields: BTreeMap<String, String>,
        at: DateTime<Utc>,
    ) -> Result<Self, Refusal> {
        match self.stage() {
            Stage::Answered => self.with(Event::Revised { fields, at }),
            Stage::Settled => Err(Refusal::Settled),
            _ => Err(Refusal::NoReplyNow),
        }
    }

    /// Adds the hash of a new private-page key, forgetting the oldest
    /// beyond [`PAGE_KEYS_KEPT`]; the caller saves the record.
    pub fn with_page_key(&self, key_hash: String) -> Self {
        let mut next = self.next_version();
        next.page_keys.push(key_hash);
        let extra = next.page_keys.len().saturating_sub(PAGE_KEYS_KEPT);
        next.page_keys.drain(..extra);
        next
    }

    /// Whether a link's key (its hash) opens the idea's private page.
    pub fn opens_with(&self, key_hash: &str) -> bool {
        self.page_keys.iter().any(|k| k == key_hash)
    }

    fn with(&self, event: Event) -> Result<Self, Refusal> {
        if self.events.len() >= EVENTS_MAX {
            return Err(Refusal::TooLong);
        }
        let mut next = self.next_version();
        next.events.push(event);
        if next.to_json().len() > RECORD_MAX_BYTES {
            return Err(Refusal::TooLong);
        }
        Ok(next)
    }

    fn next_version(&self) -> Self {
        Self {
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The record as the stores keep it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a record is plain data")
    }

    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 10, 0, 0)
            .single()
            .expect("a day of March")
    }

    fn answer(unit: &str, outcome: Outcome, day: u32) -> Answer {
        Answer {
            unit: unit.to_owned(),
            outcome,
            comment: "Proszę wskazać dokładne miejsce.".to_owned(),
            duplicate_of: None,
            cost_estimate: Some(120_000),
            by: "ekspert@zzm.example".to_owned(),
            at: at(day),
        }
    }

    fn revised() -> BTreeMap<String, String> {
        BTreeMap::from([(
            "place".to_owned(),
            "Park Jordana, od ul. Reymonta".to_owned(),
        )])
    }

    #[test]
    fn an_idea_goes_to_a_unit_is_answered_revised_once_and_settled() {
        let idea = IdeaRecord::new("pomysly", "K7QX-M3PA");
        assert_eq!(idea.stage(), Stage::New);
        let idea = idea.assign("zzm", "bo@um.example", at(1)).expect("allowed");
        assert_eq!(idea.version, 1);
        assert_eq!(idea.stage().as_str(), "with_unit");
        let idea = idea
            .answer(answer("zzm", Outcome::NeedsChanges, 2))
            .expect("allowed");
        assert_eq!(idea.stage(), Stage::Answered);
        let idea = idea.revise(revised(), at(3)).expect("allowed");
        assert_eq!(
            idea.stage(),
            Stage::WithUnit {
                unit: "zzm".to_owned(),
                revised: true
            }
        );
        assert_eq!(idea.revise(revised(), at(3)), Err(Refusal::NoReplyNow));
        let idea = idea
            .answer(answer("zzm", Outcome::GoAhead, 4))
            .expect("allowed");
        assert_eq!(idea.stage(), Stage::Settled);
        assert_eq!(idea.version, 4);
        assert_eq!(idea.revise(revised(), at(5)), Err(Refusal::Settled));
        assert_eq!(
            idea.assign("zdmk", "bo@um.example", at(5)),
            Err(Refusal::Settled)
        );
        assert_eq!(idea.answers().count(), 2);
    }

    #[test]
    fn only_the_unit_that_has_the_idea_answers_it() {
        let new = IdeaRecord::new("pomysly", "K7QX-M3PA");
        assert_eq!(
            new.answer(answer("zzm", Outcome::GoAhead, 2)),
            Err(Refusal::NotWithUnit)
        );
        let idea = new.assign("zzm", "bo@um.example", at(1)).expect("allowed");
        let redirected = idea
            .assign("zdmk", "bo@um.example", at(2))
            .expect("allowed");
        assert_eq!(
            redirected.answer(answer("zzm", Outcome::GoAhead, 3)),
            Err(Refusal::NotWithUnit)
        );
        assert!(redirected
            .answer(answer("zdmk", Outcome::GoAhead, 3))
            .is_ok());
        assert_eq!(new.revise(revised(), at(2)), Err(Refusal::NoReplyNow));
    }

    #[test]
    fn a_record_holds_a_bounded_number_of_events() {
        let mut idea = IdeaRecord::new("pomysly", "K7QX-M3PA");
        for day in 0..EVENTS_MAX {
            idea = idea
                .assign(
                    "zzm",
                    "bo@um.example",
                    at(1) + chrono::Duration::minutes(day as i64),
                )
                .expect("allowed");
        }
        assert_eq!(
            idea.assign("zzm", "bo@um.example", at(2)),
            Err(Refusal::TooLong)
        );
    }

    #[test]
    fn a_record_holds_a_bounded_number_of_bytes() {
        let mut idea = IdeaRecord::new("pomysly", "K7QX-M3PA");
        let mut long = answer("zzm", Outcome::NeedsChanges, 2);
        long.comment = "🌳".repeat(COMMENT_MAX_CHARS);
        let refused = (0..EVENTS_MAX / 2).find_map(|_| {
            idea = idea.assign("zzm", "bo@um.example", at(1)).ok()?;
            match idea.answer(long.clone()) {
                Ok(next) => {
                    idea = next;
                    None
                }
                Err(refusal) => Some(refusal),
            }
        });
        assert_eq!(refused, Some(Refusal::TooLong));
        assert!(idea.to_json().len() <= RECORD_MAX_BYTES);
    }

    #[test]
    fn answers_that_say_too_little_or_too_much_are_refused() {
        let mut given = answer("zzm", Outcome::Duplicate, 2);
        assert!(given.problem().is_some());
        given.duplicate_of = Some("K7QX-AAAA".to_owned());
        assert_eq!(given.problem(), None);
        given.comment = " ".to_owned();
        assert!(given.problem().is_some());
        let mut go = answer("zzm", Outcome::GoAhead, 2);
        go.comment = String::new();
        assert_eq!(go.problem(), None);
        go.cost_estimate = Some(COST_MAX_PLN + 1);
        assert!(go.problem().is_some());
        go.cost_estimate = None;
        go.comment = "a".repeat(COMMENT_MAX_CHARS + 1);
        assert!(go.problem().is_some());
    }

    #[test]
    fn the_last_page_keys_open_the_page() {
        let mut idea = IdeaRecord::new("pomysly", "K7QX-M3PA");
        for n in 0..=PAGE_KEYS_KEPT {
            idea = idea.with_page_key(format!("hash{n}"));
        }
        assert!(!idea.opens_with("hash0"));
        assert!(idea.opens_with("hash1"));
        assert!(idea.opens_with(&format!("hash{PAGE_KEYS_KEPT}")));
        assert!(!idea.opens_with(""));
    }

    #[test]
    fn a_record_comes_back_from_its_json_unchanged() {
        let idea = IdeaRecord::new("pomysly", "K7QX-M3PA")
            .assign("zzm", "bo@um.example", at(1))
            .expect("allowed")
            .answer(answer("zzm", Outcome::NeedsChanges, 2))
            .expect("allowed")
            .revise(revised(), at(3))
            .expect("allowed")
            .with_page_key("abc".to_owned());
        assert_eq!(
            IdeaRecord::from_json(&idea.to_json()).expect("allowed"),
            idea
        );
        assert!(idea.to_json().contains("\"event\":\"answered\""));
    }
}
