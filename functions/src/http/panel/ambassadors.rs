//! Ambassadors in the workspace: the office decides each application to
//! the form with `ambassadors:` (appoints, declines, dismisses, with a
//! message e-mailed to the applicant), and every decision republishes the
//! public list through the [`Publisher`](agora_core::panel::Publisher); an
//! appointed ambassador sees who joined the process in their own area.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /panel/ambasadorzy` | office | the applications and decisions |
//! | `POST /panel/ambasadorzy` | office | publishing the list again |
//! | `GET`, `POST /panel/ambasadorzy/{reference}` | office | one application; its decision |
//! | `GET /panel/moj-obszar` | ambassador | who joined in the account's area |
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use agora_core::forms::FormDefinition;
use agora_core::mail::Mailer;
use agora_core::panel::ambassadors::{
    self, applications_form, decision_email, joined_in_area, Standing, MESSAGE_MAX_CHARS,
};
use agora_core::panel::{
    Appointment, AuditAction, AuditEntry, Decision, PanelStore, Role, StaffRecords,
};
use agora_core::registration::Registration;
use agora_core::routes;
use agora_core::store::{Store, StoreError};

use super::ambassadors_pages::{Application, Outcome, Refused, DECISION_FIELD, MESSAGE_FIELD};
use super::guard::{self, OfficeAction, OfficePage, Signed, SignedPage};
use super::{answer, not_found, store_failed, PanelState, Refusal};

/// What the workspace needs of a store for ambassadors.
pub(super) trait AmbassadorStore: Store + PanelStore + StaffRecords + 'static {}
impl<S: Store + PanelStore + StaffRecords + 'static> AmbassadorStore for S {}

pub(super) fn routes<S: AmbassadorStore, M: Mailer + 'static>() -> Router<PanelState<S, M>> {
    Router::new()
        .route(
            routes::PANEL_AMBASSADORS,
            get(list::<S, M>).post(publish_again::<S, M>),
        )
        .route(
            routes::PANEL_AMBASSADOR_DECISION,
            get(application::<S, M>).post(decide::<S, M>),
        )
        .route(routes::PANEL_AREA, get(area::<S, M>))
}

/// What the list says after an action (the query of its redirect).
#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
    /// The decision just saved (`appointed`, …).
    zapisano: Option<String>,
    /// `nie`: the list could not be published; `tak`: it was.
    opublikowano: Option<String>,
    /// `nie`: the applicant's e-mail could not be sent.
    poczta: Option<String>,
}

impl ListQuery {
    fn outcome(&self) -> Outcome {
        Outcome {
            saved: self.zapisano.as_deref().and_then(Decision::parse),
            published: self.opublikowano.as_deref().map(|p| p != "nie"),
            mailed: self.poczta.as_deref() != Some("nie"),
            outdated_since: None,
        }
    }
}

/// The form of applications; without one, the page saying so.
fn applications_form_of<S: AmbassadorStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
) -> Result<Arc<FormDefinition>, Response> {
    let forms = state.service.forms();
    applications_form(&forms).map(Arc::clone).ok_or_else(|| {
        let page = state.pages().no_ambassadors_form(&signed.who);
        answer::html(StatusCode::NOT_FOUND, page)
    })
}

/// `GET /panel/ambasadorzy`: every application with where it stands.
async fn list<S: AmbassadorStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Query(query): Query<ListQuery>,
    OfficePage(signed): OfficePage,
) -> Result<Response, Response> {
    let form = applications_form_of(&state, &signed)?;
    let failed = |error| store_failed(&state, &error);
    let applications = applications(&state, &form).await.map_err(failed)?;
    let outdated = state.service.store().list_outdated(&form.id).await;
    let outdated = outdated.map_err(failed)?;
    let viewed = entry(&signed, AuditAction::ListViewed, &form, None, &state);
    state.access.log(viewed).await.map_err(failed)?;
    let pages = state.pages();
    let mut outcome = query.outcome();
    outcome.outdated_since = outdated.map(|since| pages.time(since));
    let page = pages.ambassadors(&signed.who, &form, &applications, outcome);
    Ok(answer::html(StatusCode::OK, page))
}

/// The form's applications, oldest first, each with its latest decision.
async fn applications<S: AmbassadorStore, M: Mailer>(
    state: &PanelState<S, M>,
    form: &FormDefinition,
) -> Result<Vec<Application>, StoreError> {
    let store = state.service.store();
    let mut decided: HashMap<String, Appointment> = store
        .appointments(&form.id)
        .await?
        .into_iter()
        .map(|a| (a.reference.clone(), a))
        .collect();
    Ok(store
        .list(&form.id, state.now())
        .await?
        .into_iter()
        .map(|registration| {
            let decision = decided.remove(&registration.reference);
            Application::new(registration, decision)
        })
        .collect())
}

/// One application by the reference in the path, with its decision; if
/// the form has none such, the page saying so.
async fn one_application<S: AmbassadorStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    form: &FormDefinition,
    reference: &str,
) -> Result<Application, Response> {
    let store = state.service.store();
    let failed = |error| store_failed(state, &error);
    let found = store.find(&form.id, reference, state.now()).await;
    let Some(registration) = found.map_err(failed)? else {
        return Err(not_found(state, signed));
    };
    let decisions = store.appointments(&form.id).await.map_err(failed)?;
    let decision = decisions
        .into_iter()
        .find(|a| a.reference == registration.reference);
    Ok(Application::new(registration, decision))
}

/// The audit line of `signed`'s `action` on the form (and one application).
fn entry<S: AmbassadorStore, M: Mailer>(
    signed: &Signed,
    action: AuditAction,
    form: &FormDefinition,
    reference: Option<&str>,
    state: &PanelState<S, M>,
) -> AuditEntry {
    AuditEntry {
        at: state.now(),
        actor: signed.who.account.email.clone(),
        action,
        form_id: Some(form.id.clone()),
        reference: reference.map(str::to_owned),
        detail: None,
    }
}

/// `GET /panel/ambasadorzy/{reference}`: one application and the
/// decisions open to the office.
async fn application<S: AmbassadorStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Path(reference): Path<String>,
    OfficePage(signed): OfficePage,
) -> Result<Response, Response> {
    let form = applications_form_of(&state, &signed)?;
    let found = one_application(&state, &signed, &form, &reference).await?;
    let reference = Some(found.registration.reference.as_str());
    let viewed = entry(
        &signed,
        AuditAction::RegistrationViewed,
        &form,
        reference,
        &state,
    );
    let failed = |error| store_failed(&state, &error);
    state.access.log(viewed).await.map_err(failed)?;
    let page = state.pages().application(&signed.who, &form, &found, None);
    Ok(answer::html(StatusCode::OK, page))
}

#[derive(Debug, Deserialize)]
pub(super) struct DecisionForm {
    #[serde(default)]
    pub(super) decision: String,
    /// To the applicant, in the e-mail only: never stored, never logged.
    #[serde(default)]
    pub(super) message: String,
}

/// `POST /panel/ambasadorzy/{reference}`: the decision recorded and
/// logged, the applicant told, the public list published again. A list
/// that cannot be published leaves the decision standing.
async fn decide<S: AmbassadorStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Path(reference): Path<String>,
    OfficeAction(signed, typed): OfficeAction<DecisionForm>,
) -> Result<Response, Response> {
    let form = applications_form_of(&state, &signed)?;
    let found = one_application(&state, &signed, &form, &reference).await?;
    let decision = match accepted(&typed, found.standing) {
        Ok(decision) => decision,
        Err(why) => {
            let refused = Some(Refused { typed: &typed, why });
            let page = state
                .pages()
                .application(&signed.who, &form, &found, refused);
            return Ok(answer::html(StatusCode::UNPROCESSABLE_ENTITY, page));
        }
    };
    let registration = &found.registration;
    record(&state, &signed, &form, registration, decision)
        .await
        .map_err(|error| store_failed(&state, &error))?;
    let mailed = tell_applicant(&state, &form, registration, decision, &typed.message).await;
    let published = publish(&state, &form).await;
    let mut location = format!(
        "{}?zapisano={}",
        routes::PANEL_AMBASSADORS,
        decision.as_str()
    );
    if !published {
        location.push_str("&opublikowano=nie");
    }
    if !mailed {
        location.push_str("&poczta=nie");
    }
    Ok(answer::see_other(&location))
}

/// The decision the form asks for, if it can be taken now; else which
/// field to correct and why, in Polish.
fn accepted(typed: &DecisionForm, standing: Standing) -> Result<Decision, Refusal> {
    let refusal = |field, message| Refusal { field, message };
    let decision = Decision::parse(&typed.decision)
        .ok_or_else(|| refusal(DECISION_FIELD, "Wybierz decyzję."))?;
    if typed.message.chars().count() > MESSAGE_MAX_CHARS {
        let message = "Wiadomość jest za długa: skróć ją do 2000 znaków.";
        return Err(refusal(MESSAGE_FIELD, message));
    }
    match standing.refuses(decision) {
        Some(why) => Err(refusal(DECISION_FIELD, why)),
        None => Ok(decision),
    }
}

/// The decision kept by the store and in the audit log.
async fn record<S: AmbassadorStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    form: &FormDefinition,
    registration: &Registration,
    decision: Decision,
) -> Result<(), StoreError> {
    let appointment = Appointment {
        form_id: form.id.clone(),
        reference: registration.reference.clone(),
        decision,
        decided_by: signed.who.account.email.clone(),
        decided_at: state.now(),
    };
    state.service.store().put_appointment(&appointment).await?;
    let action = match decision {
        Decision::Appointed => AuditAction::Appointed,
        Decision::Declined => AuditAction::Declined,
        Decision::Dismissed => AuditAction::Dismissed,
    };
    let reference = Some(registration.reference.as_str());
    state
        .access
        .log(entry(signed, action, form, reference, state))
        .await
}

/// E-mails the applicant the decision and the office's message; whether
/// it went. Nothing of the message or the address is logged.
async fn tell_applicant<S: AmbassadorStore, M: Mailer>(
    state: &PanelState<S, M>,
    form: &FormDefinition,
    registration: &Registration,
    decision: Decision,
    message: &str,
) -> bool {
    let contact = &state.service.settings().contact_email;
    let Some(email) = decision_email(form, registration, decision, message, contact) else {
        return false;
    };
    match state.service.mailer().send(email).await {
        Ok(()) => true,
        Err(error) => {
            let kind = match error {
                agora_core::mail::MailError::Message(_) => "it could not be built",
                agora_core::mail::MailError::Send(_) => "the mailer refused it",
            };
            eprintln!("agora: panel: a decision e-mail was not sent: {kind}");
            false
        }
    }
}

/// Publishes the form's public list as it is now; whether it reached the
/// site. A failure is logged with the file's path and the system's
/// reason, and leaves the store's note that the list may be out of date
/// (the list page shows it until a publishing succeeds).
async fn publish<S: AmbassadorStore, M: Mailer>(
    state: &PanelState<S, M>,
    form: &FormDefinition,
) -> bool {
    let store = state.service.store();
    match ambassadors::republish(form, store, state.publisher.as_ref(), state.now()).await {
        Ok(()) => true,
        Err(error) => {
            eprintln!("agora: panel: {error}");
            false
        }
    }
}

/// `POST /panel/ambasadorzy`: the public list published again (after a
/// publishing that failed).
async fn publish_again<S: AmbassadorStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    OfficeAction(signed, _): OfficeAction,
) -> Result<Response, Response> {
    let form = applications_form_of(&state, &signed)?;
    let mut published = entry(&signed, AuditAction::ListPublished, &form, None, &state);
    published.detail = Some("the public list of ambassadors".to_owned());
    state
        .access
        .log(published)
        .await
        .map_err(|error| store_failed(&state, &error))?;
    let done = if publish(&state, &form).await {
        "tak"
    } else {
        "nie"
    };
    Ok(answer::see_other(&format!(
        "{}?opublikowano={done}",
        routes::PANEL_AMBASSADORS
    )))
}

/// `GET /panel/moj-obszar`: the confirmed people who joined the process
/// in the signed-in ambassador's area, with what they gave to be
/// contacted. Ambassadors only: the office has the forms' own pages.
async fn area<S: AmbassadorStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    SignedPage(signed): SignedPage,
) -> Response {
    if signed.who.account.role != Role::Ambassador {
        return guard::forbidden(&state);
    }
    let area = signed.who.account.area.clone().unwrap_or_default();
    let forms = state.service.forms();
    let now = state.now();
    let joined = match joined_in_area(&forms, state.service.store(), &area, now).await {
        Ok(joined) => joined,
        Err(error) => return store_failed(&state, &error),
    };
    let viewed = AuditEntry {
        at: now,
        actor: signed.who.account.email.clone(),
        action: AuditAction::AreaViewed,
        form_id: None,
        reference: None,
        // An area is a district's number, no one's data.
        detail: Some(format!("area {area}")),
    };
    if let Err(error) = state.access.log(viewed).await {
        return store_failed(&state, &error);
    }
    answer::html(
        StatusCode::OK,
        state.pages().area(&signed.who, &area, &joined),
    )
}
