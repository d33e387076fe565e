//! Pre-verification of ideas in the workspace: the forms with
//! `preverification:` take ideas; the office gives each confirmed idea
//! to a verifying unit, whose experts (verifier accounts of that unit)
//! answer it. The rules and e-mails are `agora_core::ideas::work`.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /panel/pomysly` | office, verifier | the ideas (a verifier's: those with their unit), by stage and district |
//! | `GET /panel/pomysly/{id}/{reference}` | office, a verifier of the idea's unit | one idea, its history, the step open now |
//! | `POST …/przekaz` | office | the idea given to a unit |
//! | `POST …/odpowiedz` | a verifier of the idea's unit | the unit's answer |
//! | `POST …/wyslij-ponownie` | office | the last answer e-mailed to the resident again, with a new link |
//! | `GET /panel/pomysly/przebieg` | office | the pipeline's numbers (`ideas_pipeline.rs`) |
//!
//! An ambassador gets 403 on all of it; a verifier asking for an idea
//! that is not with their unit gets the workspace's 404, as if there were
//! none. Every view and step is in the audit log before it is shown or
//! done, with codes only (a stage, a unit, an outcome), never what anyone
//! typed.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use agora_core::forms::{load_units, FormDefinition};
use agora_core::ideas::pipeline;
use agora_core::ideas::work::{self, Resending, CONFLICT_PL};
use agora_core::ideas::{
    Answer, Answering, Assignment, Desk, IdeaRecord, IdeaRecords, Outcome, Part, Stage, Unit,
    Units, WorkError,
};
use agora_core::mail::Mailer;
use agora_core::panel::{AuditAction, PanelStore, Role};
use agora_core::registration::{Registration, Status};
use agora_core::routes;
use agora_core::store::{Store, StoreError};

use super::guard::{self, OfficeAction, Signed, SignedAction, SignedPage};
use super::ideas_pages::{Done, Listing, Refused, Typed};
use super::{answer, not_found, store_failed, HttpSettings, PanelState};

/// What the workspace needs of a store for ideas.
pub(super) trait IdeaStore: Store + PanelStore + IdeaRecords + 'static {}
impl<S: Store + PanelStore + IdeaRecords + 'static> IdeaStore for S {}

pub(super) fn routes<S: IdeaStore, M: Mailer + 'static>() -> Router<PanelState<S, M>> {
    Router::new()
        .route(routes::PANEL_IDEAS, get(list::<S, M>))
        .route(routes::PANEL_IDEA, get(detail::<S, M>))
        .route(routes::PANEL_IDEA_ASSIGN, post(assign::<S, M>))
        .route(routes::PANEL_IDEA_ANSWER, post(answer_idea::<S, M>))
        .route(routes::PANEL_IDEA_RESEND, post(resend::<S, M>))
}

/// A form that takes ideas, with its verifying units.
pub(super) struct IdeaForm {
    pub(super) form: Arc<FormDefinition>,
    pub(super) units: Units,
}

/// Every form with `preverification:`, each with its units.
pub(super) fn idea_forms<S: Store, M: Mailer>(state: &PanelState<S, M>) -> Vec<IdeaForm> {
    state
        .service
        .forms()
        .into_iter()
        .filter(|form| form.preverification.is_some())
        .map(|form| IdeaForm {
            units: units_of(&state.http, &form),
            form,
        })
        .collect()
}

/// The form's verifying units, read from the site's content folder as
/// they are asked for (an editor may change them); none when the router
/// has no content folder or the file cannot be read (logged: the office
/// then cannot assign, and is told so).
fn units_of(http: &HttpSettings, form: &FormDefinition) -> Units {
    let (Some(content), Some(preverification)) = (&http.content_dir, &form.preverification) else {
        return Units::default();
    };
    load_units(content, content, &form.id, preverification).unwrap_or_else(|problems| {
        let first = problems.first().map(|p| p.message.clone());
        eprintln!(
            "agora: panel: the verifying units of form {} are unreadable: {}",
            form.id,
            first.unwrap_or_default()
        );
        Units::default()
    })
}

/// Every verifying unit of the forms that take ideas, each once: the
/// units a verifier's account may name.
pub(super) fn every_unit<S: Store, M: Mailer>(state: &PanelState<S, M>) -> Vec<Unit> {
    let mut every: Vec<Unit> = Vec::new();
    for idea_form in idea_forms(state) {
        for unit in idea_form.units.units {
            if !every.iter().any(|u| u.id == unit.id) {
                every.push(unit);
            }
        }
    }
    every
}

/// An idea as staff see it: its registration and its record (version 0
/// if nothing happened to it yet).
pub(super) struct Idea {
    pub(super) registration: Registration,
    pub(super) record: IdeaRecord,
}

/// Who looks at ideas: the office sees every one, a verifier those whose
/// unit (the last the office gave them to) is the account's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Viewer {
    Office,
    Unit(String),
}

impl Viewer {
    /// The viewer `signed` is; an ambassador gets the answer 403.
    fn of<S: IdeaStore, M: Mailer>(
        state: &PanelState<S, M>,
        signed: &Signed,
    ) -> Result<Self, Response> {
        let account = &signed.who.account;
        match account.role {
            Role::Office => Ok(Self::Office),
            Role::Verifier => Ok(Self::Unit(account.area.clone().unwrap_or_default())),
            Role::Ambassador => Err(guard::forbidden(state)),
        }
    }

    fn sees(&self, record: &IdeaRecord) -> bool {
        match self {
            Self::Office => true,
            Self::Unit(unit) => !unit.is_empty() && record.unit() == Some(unit.as_str()),
        }
    }
}

/// The list's query: `?etap=` (a stage's code) and `?dzielnica=` (a
/// district's value), each else all. Read leniently: what is not
/// understood shows everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct IdeasQuery {
    pub(super) stage: Option<&'static str>,
    pub(super) district: String,
}

impl IdeasQuery {
    fn read(pairs: &[(String, String)]) -> Self {
        let value = |key| super::query_value(pairs, key).trim();
        Self {
            stage: pipeline::STAGES
                .iter()
                .map(Stage::as_str)
                .find(|code| *code == value("etap")),
            district: value("dzielnica").to_owned(),
        }
    }

    fn takes(&self, form: &FormDefinition, idea: &Idea) -> bool {
        let district = district_of(form, &idea.registration);
        self.stage
            .is_none_or(|code| idea.record.stage().as_str() == code)
            && (self.district.is_empty() || district == Some(self.district.as_str()))
    }

    /// What the audit log keeps of a view of the list: the filter's codes
    /// (a stage, a district's number) and how many ideas it showed.
    fn audit_detail(&self, shown: usize) -> String {
        format!(
            "etap={}; dzielnica={}; pomysly={shown}",
            self.stage.unwrap_or("wszystkie"),
            if self.district.is_empty() {
                "wszystkie"
            } else {
                self.district.as_str()
            }
        )
    }
}

/// The idea's district, as stored (the district field's value).
pub(super) fn district_of<'r>(
    form: &FormDefinition,
    registration: &'r Registration,
) -> Option<&'r str> {
    let field = &form.preverification.as_ref()?.district_field;
    registration.values.get(field).map(String::as_str)
}

/// The confirmed ideas of `form` that `viewer` sees, oldest first.
async fn ideas_of<S: IdeaStore, M: Mailer>(
    state: &PanelState<S, M>,
    form: &FormDefinition,
    viewer: &Viewer,
) -> Result<Vec<Idea>, StoreError> {
    let store = state.service.store();
    let mut records: HashMap<String, IdeaRecord> = store
        .ideas(&form.id)
        .await?
        .into_iter()
        .map(|record| (record.reference.clone(), record))
        .collect();
    Ok(store
        .list(&form.id, state.now())
        .await?
        .into_iter()
        .filter(|registration| registration.status == Status::Registered)
        .map(|registration| Idea {
            record: records
                .remove(&registration.reference)
                .unwrap_or_else(|| IdeaRecord::new(&form.id, &registration.reference)),
            registration,
        })
        .filter(|idea| viewer.sees(&idea.record))
        .collect())
}

/// `GET /panel/pomysly`: the ideas the account sees, filtered.
async fn list<S: IdeaStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Query(pairs): Query<Vec<(String, String)>>,
    SignedPage(signed): SignedPage,
) -> Result<Response, Response> {
    let viewer = Viewer::of(&state, &signed)?;
    let query = IdeasQuery::read(&pairs);
    let failed = |error| store_failed(&state, &error);
    let mut listings = Vec::new();
    for idea_form in idea_forms(&state) {
        let ideas = ideas_of(&state, &idea_form.form, &viewer).await;
        let (taken, others) = ideas
            .map_err(failed)?
            .into_iter()
            .partition(|idea| query.takes(&idea_form.form, idea));
        listings.push(Listing {
            idea_form,
            ideas: taken,
            left_out: Vec::len(&others),
        });
    }
    let shown = listings.iter().map(|l| l.ideas.len()).sum();
    let detail = Some(query.audit_detail(shown));
    log(&state, &signed, AuditAction::IdeasViewed, None, detail).await?;
    let page = state.pages().ideas(&signed.who, &viewer, &query, &listings);
    Ok(answer::html(StatusCode::OK, page))
}

/// Writes the audit line of what `signed` does (to `idea`: its form and
/// reference); when it cannot be written, the answer that says so, and
/// the caller shows and changes nothing.
async fn log<S: IdeaStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    action: AuditAction,
    idea: Option<(&str, &str)>,
    detail: Option<String>,
) -> Result<(), Response> {
    let (form_id, reference) = idea.unzip();
    super::audit(state, signed, action, (form_id, reference), detail).await
}

/// One idea for `viewer`: its form and the idea; the 404 page if the form
/// takes no ideas, the idea is not there (or withdrawn), or the viewer
/// may not see it.
async fn one_idea<S: IdeaStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    viewer: &Viewer,
    (id, reference): (&str, &str),
) -> Result<(IdeaForm, Idea), Response> {
    let missing = || not_found(state, signed);
    let form = state.service.form(id).ok_or_else(missing)?;
    if form.preverification.is_none() {
        return Err(missing());
    }
    let store = state.service.store();
    let failed = |error| store_failed(state, &error);
    let found = store.find(&form.id, reference, state.now()).await;
    let registration = found.map_err(failed)?.ok_or_else(missing)?;
    if matches!(registration.status, Status::Withdrawn | Status::Spam) {
        return Err(missing());
    }
    let record = store.idea(&form.id, &registration.reference).await;
    let record = record
        .map_err(failed)?
        .unwrap_or_else(|| IdeaRecord::new(&form.id, &registration.reference));
    if !viewer.sees(&record) {
        return Err(missing());
    }
    let idea_form = IdeaForm {
        units: units_of(&state.http, &form),
        form,
    };
    Ok((
        idea_form,
        Idea {
            registration,
            record,
        },
    ))
}

/// How an idea's page is shown: after which step, or after a step
/// refused (with what was typed).
pub(super) struct Shown<'a> {
    pub(super) status: StatusCode,
    pub(super) done: Option<Done>,
    pub(super) refused: Option<Refused<'a>>,
}

/// The idea's page, once its view is in the audit log.
async fn idea_page<S: IdeaStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    viewer: &Viewer,
    (idea_form, idea): (&IdeaForm, &Idea),
    shown: Shown<'_>,
) -> Result<Response, Response> {
    let at = (
        idea_form.form.id.as_str(),
        idea.registration.reference.as_str(),
    );
    log(state, signed, AuditAction::IdeaViewed, Some(at), None).await?;
    let page = state.pages().idea(
        &signed.who,
        viewer,
        (idea_form, idea),
        shown.done,
        shown.refused,
    );
    Ok(answer::html(shown.status, page))
}

/// `GET /panel/pomysly/{id}/{reference}`, with the notice of the step
/// just done (`?zrobione=`).
async fn detail<S: IdeaStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Path((id, reference)): Path<(String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
    SignedPage(signed): SignedPage,
) -> Result<Response, Response> {
    let viewer = Viewer::of(&state, &signed)?;
    let found = one_idea(&state, &signed, &viewer, (&id, &reference)).await?;
    let done = Done::read(&pairs);
    let shown = Shown {
        status: StatusCode::OK,
        done,
        refused: None,
    };
    idea_page(&state, &signed, &viewer, (&found.0, &found.1), shown).await
}

/// The form of an assignment: the unit, and the record's version its
/// page showed.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AssignForm {
    #[serde(default)]
    pub(super) jednostka: String,
    #[serde(default)]
    pub(super) wersja: String,
}

/// `POST …/przekaz`: the idea given to a unit, whose experts are
/// e-mailed (office).
async fn assign<S: IdeaStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Path((id, reference)): Path<(String, String)>,
    OfficeAction(signed, typed): OfficeAction<AssignForm>,
) -> Result<Response, Response> {
    let viewer = Viewer::Office;
    let (idea_form, idea) = one_idea(&state, &signed, &viewer, (&id, &reference)).await?;
    let (form, units) = (&idea_form.form, &idea_form.units);
    let at = (form.id.as_str(), idea.registration.reference.as_str());
    let by = signed.who.account.email.as_str();
    let checked = Assignment::check(
        state.service.store(),
        form,
        units,
        (at.1, version(&typed.wersja)),
        (typed.jednostka.trim(), by),
        state.now(),
    )
    .await;
    let step = Step {
        state: &state,
        signed: &signed,
        viewer: &viewer,
        at,
        typed: Typed::Assign(&typed),
    };
    let desk = &desk(&state);
    let audited = (AuditAction::IdeaAssigned, |checked: &Assignment<'_>| {
        format!("jednostka={}", checked.unit.id)
    });
    let assign = |checked| async move {
        let assigned = work::assign(desk, form, checked).await?;
        Ok(Done::assigned(assigned.told, assigned.untold))
    };
    step.take(checked, audited, assign).await
}

/// The form of a unit's answer, as typed; and the record's version its
/// page showed.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AnswerForm {
    #[serde(default)]
    pub(super) wynik: String,
    #[serde(default)]
    pub(super) komentarz: String,
    #[serde(default)]
    pub(super) duplikat: String,
    #[serde(default)]
    pub(super) koszt: String,
    #[serde(default)]
    pub(super) wersja: String,
}

/// `POST …/odpowiedz`: the unit's answer saved, the resident e-mailed
/// (a verifier of the idea's unit).
async fn answer_idea<S: IdeaStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Path((id, reference)): Path<(String, String)>,
    SignedAction(signed, typed): SignedAction<AnswerForm>,
) -> Result<Response, Response> {
    let viewer = Viewer::of(&state, &signed)?;
    let Viewer::Unit(unit) = &viewer else {
        return Err(guard::forbidden(&state));
    };
    let (idea_form, idea) = one_idea(&state, &signed, &viewer, (&id, &reference)).await?;
    let (form, units) = (&idea_form.form, &idea_form.units);
    let step = Step {
        state: &state,
        signed: &signed,
        viewer: &viewer,
        at: (form.id.as_str(), idea.registration.reference.as_str()),
        typed: Typed::Answer(&typed),
    };
    let given = match typed_answer(&typed, unit, &signed, &state) {
        Ok(given) => given,
        Err(error) => return step.refuse(error).await,
    };
    let outcome = given.outcome;
    let seen = (step.at.1, version(&typed.wersja));
    let store = state.service.store();
    let checked = Answering::check(store, form, units, seen, given, state.now()).await;
    let desk = &desk(&state);
    let audited = (AuditAction::IdeaAnswered, |_: &Answering<'_>| {
        format!("wynik={}", outcome.as_str())
    });
    let answer = |checked| async move {
        let answered = work::answer(desk, form, checked).await?;
        Ok(Done::answered(answered.mailed))
    };
    step.take(checked, audited, answer).await
}

/// The form of sending the last answer again: the record's version its
/// page showed.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ResendForm {
    #[serde(default)]
    pub(super) wersja: String,
}

/// `POST …/wyslij-ponownie`: the idea's last answer e-mailed to the
/// resident again, with a new link to its private page (office).
async fn resend<S: IdeaStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Path((id, reference)): Path<(String, String)>,
    OfficeAction(signed, typed): OfficeAction<ResendForm>,
) -> Result<Response, Response> {
    let viewer = Viewer::Office;
    let (idea_form, idea) = one_idea(&state, &signed, &viewer, (&id, &reference)).await?;
    let (form, units) = (&idea_form.form, &idea_form.units);
    let at = (form.id.as_str(), idea.registration.reference.as_str());
    let seen = (at.1, version(&typed.wersja));
    let store = state.service.store();
    let checked = Resending::check(store, form, units, seen, state.now()).await;
    let step = Step {
        state: &state,
        signed: &signed,
        viewer: &viewer,
        at,
        typed: Typed::Resend,
    };
    let desk = &desk(&state);
    let audited = (AuditAction::IdeaAnswerResent, |checked: &Resending| {
        format!("wynik={}", checked.outcome().as_str())
    });
    let resend = |checked| async move {
        let resent = work::resend(desk, form, checked).await?;
        Ok(Done::resent(resent.mailed))
    };
    step.take(checked, audited, resend).await
}

/// The answer the form describes, or which part to correct and why, in
/// Polish: an outcome of the list, a cost in whole złoty (spaces and
/// "zł" allowed), the repeated idea's reference (kept only with the
/// outcome "duplicate").
fn typed_answer<S: IdeaStore, M: Mailer>(
    typed: &AnswerForm,
    unit: &str,
    signed: &Signed,
    state: &PanelState<S, M>,
) -> Result<Answer, WorkError> {
    let refused = |part, message| WorkError::Refused { part, message };
    let outcome = Outcome::parse(typed.wynik.trim())
        .ok_or_else(|| refused(Part::Outcome, "Wybierz odpowiedź jednostki."))?;
    let cost = typed
        .koszt
        .trim()
        .trim_end_matches("zł")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>();
    let cost_estimate = match cost.as_str() {
        "" => None,
        digits => Some(digits.parse::<u64>().map_err(|_| {
            refused(
                Part::CostEstimate,
                "Podaj szacunkowy koszt w pełnych złotych, samymi cyframi, np. 120000.",
            )
        })?),
    };
    let duplicate = typed.duplikat.trim().to_uppercase();
    Ok(Answer {
        unit: unit.to_owned(),
        outcome,
        comment: typed.komentarz.trim().to_owned(),
        duplicate_of: (outcome == Outcome::Duplicate && !duplicate.is_empty()).then_some(duplicate),
        cost_estimate,
        by: signed.who.account.email.clone(),
        at: state.now(),
    })
}

/// The version a page showed, as its hidden field carries it; what does
/// not read as one is a page of no version (and its step a conflict
/// unless nothing happened to the idea yet).
fn version(typed: &str) -> u64 {
    typed.trim().parse().unwrap_or(0)
}

fn desk<S: IdeaStore, M: Mailer>(state: &PanelState<S, M>) -> Desk<'_, S, M> {
    Desk {
        store: state.service.store(),
        mailer: state.service.mailer(),
        settings: state.service.settings(),
        now: state.now(),
    }
}

/// A step on an idea's page as its handler takes it: by whom, on which
/// idea (its form and reference), with what typed.
struct Step<'a, S, M> {
    state: &'a PanelState<S, M>,
    signed: &'a Signed,
    viewer: &'a Viewer,
    at: (&'a str, &'a str),
    typed: Typed<'a>,
}

impl<S: IdeaStore, M: Mailer> Step<'_, S, M> {
    /// The idea's page after the step was refused.
    async fn refuse(&self, error: WorkError) -> Result<Response, Response> {
        refused(
            self.state,
            self.signed,
            self.viewer,
            self.at,
            self.typed,
            error,
        )
        .await
    }

    /// The step as `checked`: its audit line first (the action, with
    /// the codes `detail` takes from the checked step), then `take`n;
    /// back to the idea's page with the notice of what it did, or the
    /// page after a refusal.
    async fn take<T, F>(
        &self,
        checked: Result<T, WorkError>,
        (action, detail): (AuditAction, impl FnOnce(&T) -> String),
        take: impl FnOnce(T) -> F,
    ) -> Result<Response, Response>
    where
        F: Future<Output = Result<Done, WorkError>>,
    {
        let checked = match checked {
            Ok(checked) => checked,
            Err(error) => return self.refuse(error).await,
        };
        let detail = Some(detail(&checked));
        log(self.state, self.signed, action, Some(self.at), detail).await?;
        match take(checked).await {
            Ok(what) => Ok(done(self.at, what)),
            Err(error) => self.refuse(error).await,
        }
    }
}

/// After a step refused: the idea's page as it is now, with why and
/// what was typed (422; 409 when someone else changed the idea since its
/// page was shown). No idea: the 404 page.
async fn refused<S: IdeaStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    viewer: &Viewer,
    at: (&str, &str),
    typed: Typed<'_>,
    error: WorkError,
) -> Result<Response, Response> {
    let (status, part, message) = match error {
        WorkError::Refused { part, message } => (StatusCode::UNPROCESSABLE_ENTITY, part, message),
        WorkError::Conflict => (StatusCode::CONFLICT, Part::Idea, CONFLICT_PL),
        WorkError::NotFound => return Err(not_found(state, signed)),
        WorkError::Store(error) => return Err(store_failed(state, &error)),
    };
    let found = one_idea(state, signed, viewer, at).await?;
    let shown = Shown {
        status,
        done: None,
        refused: Some(Refused {
            typed,
            part,
            message,
        }),
    };
    idea_page(state, signed, viewer, (&found.0, &found.1), shown).await
}

/// Back to the idea's page, with the notice of what was done.
fn done((id, reference): (&str, &str), done: Done) -> Response {
    let path = routes::panel(routes::PANEL_IDEA, id, reference);
    answer::see_other(&format!("{path}?{}", done.query()))
}

/// How many ideas wait for the answer of `unit` (a verifier's account's).
pub(super) async fn waiting_for<S: IdeaStore, M: Mailer>(
    state: &PanelState<S, M>,
    unit: &str,
) -> Result<usize, StoreError> {
    let viewer = Viewer::Unit(unit.to_owned());
    let mut waiting = 0;
    for idea_form in idea_forms(state) {
        let ideas = ideas_of(state, &idea_form.form, &viewer).await?;
        waiting += ideas
            .iter()
            .filter(|idea| matches!(idea.record.stage(), Stage::WithUnit { .. }))
            .count();
    }
    Ok(waiting)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query `text` (`etap=…&dzielnica=…`) as its pairs.
    fn query(text: &str) -> IdeasQuery {
        let pairs: Vec<(String, String)> = text
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        IdeasQuery::read(&pairs)
    }

    #[test]
    fn a_query_is_read_leniently_and_logged_as_codes() {
        let read = query("etap=revised&dzielnica= XIII ");
        assert_eq!(read.stage, Some("revised"));
        assert_eq!(read.district, "XIII");
        assert_eq!(
            read.audit_detail(3),
            "etap=revised; dzielnica=XIII; pomysly=3"
        );
        let read = query("etap=wszystko");
        assert_eq!(read, IdeasQuery::default());
        assert_eq!(
            read.audit_detail(0),
            "etap=wszystkie; dzielnica=wszystkie; pomysly=0"
        );
    }

    #[test]
    fn the_filter_offers_each_stage_code_once() {
        let mut codes: Vec<&str> = pipeline::STAGES.iter().map(Stage::as_str).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), pipeline::STAGES.len());
    }

    #[test]
    fn a_page_without_a_version_is_of_no_version() {
        assert_eq!(version(" 3 "), 3);
        assert_eq!(version(""), 0);
        assert_eq!(version("x"), 0);
    }
}
