//! `GET`, `POST /api/forms/{id}/pomysl/{reference}`: an idea's private
//! page, opened by the key of the link a unit's answer e-mailed
//! (`?klucz=`), and the resident's one reply (`agora_core::ideas::reply`
//! decides). Every idea that cannot be shown gets the same 404 page. The
//! reply is a browser's form from the page itself: another site's is
//! refused, its key travels in the body (never in a cookie), and its
//! answer leads back to the page. The pages carry `no-referrer` and
//! `no-store` (`answer::html`): their address holds the key.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::answer::{self, Format};
use super::body::{self, ContentKind};
use super::idea_pages::{page_link, IdeaView, Typed};
use super::pages::Pages;
use super::panel::same_origin;
use super::{is_reference, is_token, path_param, read_submission, AppState};
use agora_core::forms::{load_units, FormDefinition, Submission, HONEYPOT_FIELD, STARTED_FIELD};
use agora_core::ideas::mail::KEY_PARAMETER;
use agora_core::ideas::reply::{self, Replied};
use agora_core::ideas::{IdeaPage, IdeaRecords, Units};
use agora_core::mail::Mailer;
use agora_core::panel::PanelStore;
use agora_core::store::Store;

/// `GET`: the page, if the key opens it.
pub(super) async fn page<S, M>(
    State(state): State<AppState<S, M>>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Response
where
    S: Store + IdeaRecords + PanelStore + 'static,
    M: Mailer + 'static,
{
    let (id, reference) = path_param(path);
    let key = body::query_value(query.as_deref(), KEY_PARAMETER).unwrap_or_default();
    let pages = state.pages();
    let Some(form) = state.service.form(&id) else {
        return not_found(&pages);
    };
    if !is_reference(&reference) || !is_token(&key) {
        return not_found(&pages);
    }
    let store = state.service.store();
    match reply::open(store, &form, &reference, &key, state.now()).await {
        Ok(Some(idea)) => answer::html(StatusCode::OK, shown(&state, &form, &idea, &key, None)),
        Ok(None) => not_found(&pages),
        Err(error) => answer::store_failed(Format::Html, &pages, None, &error),
    }
}

/// `POST`: the reply, urlencoded with the key in `klucz`.
pub(super) async fn send_reply<S, M>(
    State(state): State<AppState<S, M>>,
    path: Result<Path<(String, String)>, PathRejection>,
    request: Request,
) -> Response
where
    S: Store + IdeaRecords + PanelStore + 'static,
    M: Mailer + 'static,
{
    let (id, reference) = path_param(path);
    let (parts, body) = request.into_parts();
    let pages = state.pages();
    if !same_origin(&parts.headers, &state.service.settings().public_url) {
        return answer::html(
            StatusCode::FORBIDDEN,
            pages.message(
                "Niedozwolone żądanie",
                "Odpowiedź można wysłać tylko formularzem ze strony pomysłu.",
            ),
        );
    }
    // Only the page's own form sends a reply.
    if ContentKind::of(&parts.headers) != Some(ContentKind::UrlEncoded) {
        return answer::unsupported_type(Format::Html, &pages);
    }
    let Some(form) = state.service.form(&id) else {
        return not_found(&pages);
    };
    let timeout = state.settings.body_read_timeout;
    let submission =
        match read_submission(&parts.headers, body, timeout, Format::Html, &pages).await {
            Ok((_, submission)) => submission,
            Err(answer) => return answer,
        };
    let (key, revised) = split_key(submission);
    if !is_reference(&reference) || !is_token(&key) {
        return not_found(&pages);
    }
    let now = state.now();
    let replied = reply::reply(&state.service, &form, &reference, &key, &revised, now).await;
    let link = page_link(&form.id, &reference, &key);
    match replied {
        Ok(Replied::Saved(_)) => answer::see_other(&link),
        Ok(Replied::Invalid { page, errors }) => {
            let typed = Typed {
                values: &revised,
                errors: &errors,
            };
            let html = shown(&state, &form, &page, &key, Some(typed));
            answer::html(StatusCode::UNPROCESSABLE_ENTITY, html)
        }
        Ok(Replied::NotRevisable(_)) => {
            answer::html(StatusCode::BAD_REQUEST, pages.idea_not_revisable(&link))
        }
        Ok(Replied::Refused(refusal)) => {
            answer::html(StatusCode::CONFLICT, pages.idea_refused(&link, refusal))
        }
        Ok(Replied::Conflict) => answer::html(StatusCode::CONFLICT, pages.idea_conflict(&link)),
        Ok(Replied::NotFound) => not_found(&pages),
        Err(error) => answer::store_failed(Format::Html, &pages, None, &error),
    }
}

/// The key, and the reply's fields without it and without the parts of
/// the form that only the site's submissions use (the honeypot and the
/// fill-time stamp: the key already proves who sends).
fn split_key(mut submission: Submission) -> (String, Submission) {
    let key = submission.first(KEY_PARAMETER).to_owned();
    for name in [KEY_PARAMETER, HONEYPOT_FIELD, STARTED_FIELD] {
        submission.values.remove(name);
    }
    (key, submission)
}

/// The page of `idea`, opened with `key`; `typed`, after a reply the
/// form did not take.
fn shown<S: Store, M: Mailer>(
    state: &AppState<S, M>,
    form: &FormDefinition,
    idea: &IdeaPage,
    key: &str,
    typed: Option<Typed<'_>>,
) -> String {
    let units = units(state, form);
    let view = IdeaView {
        form,
        idea,
        key,
        units: units.as_ref(),
    };
    state.pages().idea(&view, typed)
}

fn not_found(pages: &Pages<'_>) -> Response {
    answer::html(StatusCode::NOT_FOUND, pages.idea_not_found())
}

/// The form's verifying units, for their names; none where the router
/// knows no content folder or the file cannot be read (the page then
/// names units by their ids).
fn units<S, M>(state: &AppState<S, M>, form: &FormDefinition) -> Option<Units> {
    let content = state.settings.content_dir.as_deref()?;
    let preverification = form.preverification.as_ref()?;
    match load_units(content, content, &form.id, preverification) {
        Ok(units) => Some(units),
        Err(problems) => {
            eprintln!(
                "agora: the verifying units of form {} could not be read: {}",
                form.id,
                problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            None
        }
    }
}
