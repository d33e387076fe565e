//! The staff's steps on an idea: the office gives it to a verifying unit
//! ([`assign`]), an expert of that unit answers it ([`answer`]), and the
//! office may e-mail the resident the last answer again with a new link
//! ([`resend`]). Each step is checked first, reading but writing nothing
//! ([`Assignment::check`], [`Answering::check`], [`Resending::check`]),
//! so that the workspace
//! writes its audit line before the step is done; then it is saved over
//! the version its page showed, never over someone else's change, and
//! the one it concerns is e-mailed. An e-mail that fails never undoes
//! the step: the step reports it.

use chrono::{DateTime, Utc};

use super::mail::{answer_email, unit_notice};
use super::units::{Unit, Units};
use super::{Answer, IdeaRecord, IdeaRecords, Outcome, Refusal};
use crate::forms::FormDefinition;
use crate::mail::{Email, Mailer};
use crate::panel::{PanelStore, Role};
use crate::registration::{new_token, token_hash, Registration, Status};
use crate::service::{resident_address, Settings};
use crate::store::{Store, StoreError};

/// The part of a step's form that a refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The idea itself: its registration or its stage.
    Idea,
    Unit,
    Outcome,
    Comment,
    DuplicateOf,
    CostEstimate,
}

/// Why a step was not taken.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    /// The form has no such idea (or no longer: withdrawn and erased).
    #[error("no such idea")]
    NotFound,
    /// The step cannot be taken as asked: the part to correct and why,
    /// in Polish.
    #[error("refused: {message}")]
    Refused { part: Part, message: &'static str },
    /// Someone else changed the idea since its page was shown: nothing
    /// was saved; read it again.
    #[error("the idea changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WorkError {
    fn refused(part: Part, message: &'static str) -> Self {
        Self::Refused { part, message }
    }

    fn of(refusal: Refusal) -> Self {
        Self::refused(Part::Idea, refusal.message_pl())
    }
}

/// The message a conflict shows, in Polish.
pub const CONFLICT_PL: &str = "W międzyczasie ktoś inny zmienił ten pomysł. Nic nie zapisano: \
     sprawdź, co się zmieniło, i spróbuj ponownie.";

/// What a step acts on and with: the store, the mailer, the settings of
/// the e-mails' links, the clock's `now`.
pub struct Desk<'a, S, M> {
    pub store: &'a S,
    pub mailer: &'a M,
    pub settings: &'a Settings,
    pub now: DateTime<Utc>,
}

/// An idea as a step finds it: its registration and its record (new,
/// version 0, if nothing happened to it yet).
struct Found {
    registration: Registration,
    record: IdeaRecord,
}

/// Reads the idea `reference` of `form`, if its page showed version
/// `seen`: else someone changed it since.
async fn find<S: Store + IdeaRecords>(
    store: &S,
    form: &FormDefinition,
    reference: &str,
    seen: u64,
    now: DateTime<Utc>,
) -> Result<Found, WorkError> {
    let registration = store
        .find(&form.id, reference, now)
        .await?
        .ok_or(WorkError::NotFound)?;
    let record = store
        .idea(&form.id, &registration.reference)
        .await?
        .unwrap_or_else(|| IdeaRecord::new(&form.id, &registration.reference));
    if record.version != seen {
        return Err(WorkError::Conflict);
    }
    Ok(Found {
        registration,
        record,
    })
}

/// Why a step refuses an idea that is not confirmed, in Polish: (it
/// was withdrawn, it is not confirmed yet).
type Unconfirmed = (&'static str, &'static str);

const TO_ASSIGN: Unconfirmed = (
    "Ten pomysł został wycofany: nie można go przekazać.",
    "Przekazać można tylko pomysł potwierdzony linkiem z e-maila.",
);

const TO_RESEND: Unconfirmed = (
    "Ten pomysł został wycofany: nie można wysłać odpowiedzi.",
    "Wysłać odpowiedź można tylko do autora pomysłu potwierdzonego linkiem z e-maila.",
);

/// Only a confirmed idea goes to a unit or hears from it; a withdrawn
/// one is gone.
fn confirmed(
    registration: &Registration,
    (withdrawn, pending): Unconfirmed,
) -> Result<(), WorkError> {
    match registration.status {
        Status::Registered => Ok(()),
        Status::Withdrawn | Status::Spam => Err(WorkError::refused(Part::Idea, withdrawn)),
        _ => Err(WorkError::refused(Part::Idea, pending)),
    }
}

/// Saves `next`, the record read as `read` after one step: as one save
/// (one version more), whatever the step added.
async fn save<S: IdeaRecords>(
    store: &S,
    read: &IdeaRecord,
    next: IdeaRecord,
) -> Result<IdeaRecord, WorkError> {
    let next = IdeaRecord {
        version: read.version + 1,
        ..next
    };
    if store.save_idea(&next).await? {
        Ok(next)
    } else {
        Err(WorkError::Conflict)
    }
}

/// Sends `email`; whether it went. Nothing of it is logged (it may hold
/// personal data): only what it was.
async fn send<M: Mailer>(mailer: &M, email: Email, what: &str) -> bool {
    match mailer.send(email).await {
        Ok(()) => true,
        Err(error) => {
            let kind = match error {
                crate::mail::MailError::Message(_) => "it could not be built",
                crate::mail::MailError::Send(_) => "the mailer refused it",
            };
            eprintln!("agora: {what} was not sent: {kind}");
            false
        }
    }
}

/// The office's assignment of an idea to a unit, checked.
pub struct Assignment<'u> {
    pub unit: &'u Unit,
    read: IdeaRecord,
    next: IdeaRecord,
}

impl<'u> Assignment<'u> {
    /// Whether the office (`by`) may give the idea `reference` of `form`,
    /// whose page showed version `seen`, to the unit `unit_id` of
    /// `units`: a unit of the list, a confirmed idea, not settled.
    pub async fn check<S: Store + IdeaRecords>(
        store: &S,
        form: &FormDefinition,
        units: &'u Units,
        (reference, seen): (&str, u64),
        (unit_id, by): (&str, &str),
        now: DateTime<Utc>,
    ) -> Result<Self, WorkError> {
        let unit = units
            .get(unit_id)
            .ok_or(WorkError::refused(Part::Unit, "Wybierz jednostkę z listy."))?;
        let found = find(store, form, reference, seen, now).await?;
        confirmed(&found.registration, TO_ASSIGN)?;
        let next = found
            .record
            .assign(&unit.id, by, now)
            .map_err(WorkError::of)?;
        Ok(Self {
            unit,
            read: found.record,
            next,
        })
    }
}

/// What an assignment came to.
#[derive(Debug)]
pub struct Assigned {
    pub record: IdeaRecord,
    /// How many of the unit's expert accounts were e-mailed, and how
    /// many e-mails failed.
    pub told: usize,
    pub untold: usize,
}

/// Saves the checked assignment, then e-mails the unit's experts (the
/// verifier accounts of the unit) that the idea waits for them.
pub async fn assign<S: IdeaRecords + PanelStore, M: Mailer>(
    desk: &Desk<'_, S, M>,
    form: &FormDefinition,
    assignment: Assignment<'_>,
) -> Result<Assigned, WorkError> {
    let record = save(desk.store, &assignment.read, assignment.next).await?;
    let (told, untold) = tell_unit(desk, form, &record).await;
    Ok(Assigned {
        record,
        told,
        untold,
    })
}

/// E-mails every expert of the unit that has `record`'s idea now that it
/// waits for their answer: (how many e-mails went, how many failed). A
/// failure to read the accounts counts as none told.
pub async fn tell_unit<S: PanelStore, M: Mailer>(
    desk: &Desk<'_, S, M>,
    form: &FormDefinition,
    record: &IdeaRecord,
) -> (usize, usize) {
    let experts = match unit_experts(desk.store, record.unit().unwrap_or_default()).await {
        Ok(experts) => experts,
        Err(error) => {
            eprintln!("agora: the experts of a unit could not be read: {error}");
            return (0, 1);
        }
    };
    let mut told = 0;
    for (n, expert) in experts.iter().enumerate() {
        let email = unit_notice(form, record, expert, n, desk.settings);
        if send(desk.mailer, email, "a unit's notice of an idea").await {
            told += 1;
        }
    }
    (told, experts.len() - told)
}

/// The addresses of the verifier accounts of unit `unit`.
pub async fn unit_experts<S: PanelStore>(store: &S, unit: &str) -> Result<Vec<String>, StoreError> {
    Ok(store
        .accounts()
        .await?
        .into_iter()
        .filter(|a| a.role == Role::Verifier && a.area.as_deref() == Some(unit))
        .map(|a| a.email)
        .collect())
}

/// A unit's answer to an idea, checked.
pub struct Answering<'u> {
    pub unit: &'u Unit,
    registration: Registration,
    read: IdeaRecord,
    next: IdeaRecord,
}

impl<'u> Answering<'u> {
    /// Whether `answer` (by an expert of `answer.unit`) may be given to
    /// the idea `reference` of `form`, whose page showed version `seen`:
    /// an answer that says enough ([`Answer::problem`]), from the unit
    /// that has the idea, not settled.
    pub async fn check<S: Store + IdeaRecords>(
        store: &S,
        form: &FormDefinition,
        units: &'u Units,
        (reference, seen): (&str, u64),
        answer: Answer,
        now: DateTime<Utc>,
    ) -> Result<Self, WorkError> {
        if let Some(refusal) = problem(&answer) {
            return Err(refusal);
        }
        let unit = units
            .get(&answer.unit)
            .ok_or(WorkError::of(Refusal::NotWithUnit))?;
        let found = find(store, form, reference, seen, now).await?;
        let next = found.record.answer(answer).map_err(WorkError::of)?;
        Ok(Self {
            unit,
            registration: found.registration,
            read: found.record,
            next,
        })
    }
}

/// What is wrong with `answer` as typed, and the part to correct: the
/// part which, said well, would leave another problem or none.
fn problem(answer: &Answer) -> Option<WorkError> {
    let message = answer.problem()?;
    let clears = |fixed: Answer| fixed.problem() != Some(message);
    let part = if clears(Answer {
        comment: "…".to_owned(),
        ..answer.clone()
    }) {
        Part::Comment
    } else if clears(Answer {
        duplicate_of: Some(String::new()),
        ..answer.clone()
    }) {
        Part::DuplicateOf
    } else {
        Part::CostEstimate
    };
    Some(WorkError::refused(part, message))
}

/// What an answer, or its sending again, came to.
#[derive(Debug)]
pub struct Answered {
    pub record: IdeaRecord,
    /// Whether the resident's e-mail went.
    pub mailed: bool,
}

/// Saves the checked answer with a new key of the idea's private page
/// (its hash only), in one save, then e-mails the resident the answer
/// and the link that the key opens.
pub async fn answer<S: IdeaRecords, M: Mailer>(
    desk: &Desk<'_, S, M>,
    form: &FormDefinition,
    answering: Answering<'_>,
) -> Result<Answered, WorkError> {
    let to = (&answering.registration, answering.unit.name.as_str());
    tell_with_new_key(desk, form, to, &answering.read, answering.next).await
}

/// Saves `next`, the record read as `read` after a step, with a new key
/// of the idea's private page (its hash only), in one save; then
/// e-mails the resident of `registration` the last answer (by the unit
/// named `unit_name`) and the link that the key opens.
async fn tell_with_new_key<S: IdeaRecords, M: Mailer>(
    desk: &Desk<'_, S, M>,
    form: &FormDefinition,
    (registration, unit_name): (&Registration, &str),
    read: &IdeaRecord,
    next: IdeaRecord,
) -> Result<Answered, WorkError> {
    let key =
        new_token().map_err(|error| StoreError::Unavailable(format!("no randomness: {error}")))?;
    let record = save(desk.store, read, next.with_page_key(token_hash(&key))).await?;
    // Tagged by the saved version: each sending is a message of its own.
    let email = answer_email(form, registration, &record, unit_name, &key, desk.settings);
    let mailed = match email {
        Some(email) => send(desk.mailer, email, "a unit's answer to a resident").await,
        None => false,
    };
    Ok(Answered { record, mailed })
}

/// The office's sending of an idea's last answer again, checked.
pub struct Resending {
    registration: Registration,
    /// The name of the unit that gave the last answer.
    unit_name: String,
    outcome: Outcome,
    read: IdeaRecord,
}

/// Why there is nothing to send again, in Polish.
const NOTHING_TO_RESEND: &str =
    "Jednostka nie odpowiedziała jeszcze na ten pomysł: nie ma czego wysłać ponownie.";
const NO_ADDRESS: &str = "Adres e-mail autora pomysłu oznaczono jako niedziałający: \
     odpowiedzi nie można wysłać. Przekaż ją autorowi inną drogą.";

impl Resending {
    /// Whether the office may e-mail the resident the last answer to the
    /// idea `reference` of `form`, whose page showed version `seen`,
    /// again with a new link: a confirmed idea with an answer, and an
    /// address that mail reaches. Its unit is named as `units` name it.
    pub async fn check<S: Store + IdeaRecords>(
        store: &S,
        form: &FormDefinition,
        units: &Units,
        (reference, seen): (&str, u64),
        now: DateTime<Utc>,
    ) -> Result<Self, WorkError> {
        let found = find(store, form, reference, seen, now).await?;
        confirmed(&found.registration, TO_RESEND)?;
        let last = found.record.answers().last();
        let last = last.ok_or(WorkError::refused(Part::Idea, NOTHING_TO_RESEND))?;
        if resident_address(form, &found.registration).is_none() {
            return Err(WorkError::refused(Part::Idea, NO_ADDRESS));
        }
        let unit_name = units.get(&last.unit).map_or(&last.unit, |unit| &unit.name);
        Ok(Self {
            unit_name: unit_name.clone(),
            outcome: last.outcome,
            registration: found.registration,
            read: found.record,
        })
    }

    /// The outcome of the answer to be sent again.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }
}

/// Saves a new key of the idea's private page (older keys keep opening
/// it, up to [`super::record::PAGE_KEYS_KEPT`]), then e-mails the
/// resident the last answer again with the link that the new key opens.
pub async fn resend<S: IdeaRecords, M: Mailer>(
    desk: &Desk<'_, S, M>,
    form: &FormDefinition,
    resending: Resending,
) -> Result<Answered, WorkError> {
    let to = (&resending.registration, resending.unit_name.as_str());
    let next = resending.read.clone();
    tell_with_new_key(desk, form, to, &resending.read, next).await
}
