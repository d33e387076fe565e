//! A form's registrations in the workspace (office): the list (filtered
//! by status, searched, in pages), one registration, the actions on it
//! (withdraw at the person's request, send the links again, mark the
//! address as not working) and the export.
//!
//! Every view of personal data and every action is written to the audit
//! log before anything is shown or changed: when the log cannot be
//! written, nothing is (an unlogged view is not allowed). The log names
//! the form, the registration and codes (a status, a reason), never what
//! a person typed or what staff searched for.
//!
//! A step that cannot go on gives the request's answer as its error,
//! which the handler returns at once: a large `Err` that never travels
//! further.
#![allow(clippy::result_large_err)]

use std::future::Future;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use agora_core::forms::FormDefinition;
use agora_core::mail::Mailer;
use agora_core::panel::{AuditAction, PanelStore};
use agora_core::registration::{MailProblem, Registration, Status};
use agora_core::routes;
use agora_core::service::{may_resend, StaffWithdrawal};
use agora_core::staff::{self, ExportFormat, StaffError};
use agora_core::store::{Store, StoreError};

use super::guard::{OfficeAction, OfficePage, Signed};
use super::registrations_pages::{Done, Listing};
use super::{answer, failed, not_found, store_failed, PanelState};

/// Registrations a page of the list shows.
pub(super) const PAGE_SIZE: usize = 50;

pub(super) fn routes<S: Store + PanelStore + 'static, M: Mailer + 'static>(
) -> Router<PanelState<S, M>> {
    Router::new()
        .route(routes::PANEL_FORM, get(list::<S, M>))
        .route(routes::PANEL_EXPORT, get(export::<S, M>))
        .route(routes::PANEL_REGISTRATION, get(detail::<S, M>))
        .route(routes::PANEL_REGISTRATION_WITHDRAW, post(withdraw::<S, M>))
        .route(routes::PANEL_REGISTRATION_RESEND, post(resend::<S, M>))
        .route(
            routes::PANEL_REGISTRATION_BOUNCED,
            post(mark_bounced::<S, M>),
        )
}

/// Why staff withdraw a registration: the person asked, and how, or it
/// repeats another. The code goes to the audit log; there is no free text
/// (it could hold a person's data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reason {
    pub(super) code: &'static str,
    pub(super) label: &'static str,
}

pub(super) const REASONS: [Reason; 5] = [
    Reason {
        code: "asked-by-email",
        label: "Osoba poprosiła o to e-mailem",
    },
    Reason {
        code: "asked-by-phone",
        label: "Osoba poprosiła o to telefonicznie",
    },
    Reason {
        code: "asked-in-person",
        label: "Osoba poprosiła o to osobiście",
    },
    Reason {
        code: "duplicate",
        label: "To zdublowane zgłoszenie tej samej osoby",
    },
    Reason {
        code: "other",
        label: "Inny powód",
    },
];

fn reason(code: &str) -> Option<Reason> {
    REASONS.into_iter().find(|reason| reason.code == code)
}

/// The list's query: `?stan=` (a status, else all), `?szukaj=`,
/// `?strona=`. Read leniently: whatever is not understood shows the
/// first page of all registrations, never an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ListQuery {
    pub(super) status: Option<Status>,
    pub(super) search: String,
    /// The page asked for, from 1.
    pub(super) page: usize,
}

impl ListQuery {
    fn read(pairs: &[(String, String)]) -> Self {
        let value = |key| super::query_value(pairs, key);
        Self {
            status: Status::parse(value("stan")),
            search: value("szukaj").trim().to_owned(),
            page: value("strona").trim().parse().unwrap_or(1).max(1),
        }
    }

    /// What the audit log keeps of a view of the list: the filter and the
    /// page, and whether there was a search; never the search itself (it
    /// may be a person's name).
    fn audit_detail(&self, page: usize) -> String {
        format!(
            "stan={}; strona={page}; wyszukiwanie={}",
            self.status.map_or("wszystkie", Status::as_str),
            if self.search.is_empty() { "nie" } else { "tak" }
        )
    }
}

/// The registrations of the list's query, and its page: the page asked
/// for, or the last one when it asked past the end.
pub(super) fn select<'a>(
    form: &FormDefinition,
    registrations: &'a [Registration],
    query: &ListQuery,
) -> Listing<'a> {
    let needle = query.search.to_lowercase();
    let matching: Vec<&Registration> = registrations
        .iter()
        .filter(|r| query.status.is_none_or(|status| r.status == status))
        .filter(|r| needle.is_empty() || mentions(form, r, &needle))
        .collect();
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
    let page = query.page.min(pages);
    let rows = matching
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .copied()
        .collect();
    Listing {
        total: registrations.len(),
        matching: matching.len(),
        page,
        pages,
        rows,
    }
}

/// Whether `needle` (lowercase) is in the registration's reference or in
/// any of its values, as stored or as shown (an option's label).
fn mentions(form: &FormDefinition, registration: &Registration, needle: &str) -> bool {
    let found = |text: &str| text.to_lowercase().contains(needle);
    found(&registration.reference)
        || registration.values.iter().any(|(name, value)| {
            found(value)
                || form
                    .field(name)
                    .is_some_and(|field| found(&super::registrations_pages::shown(field, value)))
        })
}

/// The registration `reference` of form `id` for an office action that
/// `applies` to it as it is now: the form; or the answer (404, or back to
/// its page: nothing to do).
async fn acting_on<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    (id, reference): (&str, &str),
    applies: fn(&Registration) -> bool,
) -> Result<Arc<FormDefinition>, Response> {
    let form = form_of(state, signed, id)?;
    let registration = find(state, signed, &form, reference).await?;
    if !applies(&registration) {
        return Err(done(&form, reference, Done::Unchanged));
    }
    Ok(form)
}

/// An action's last steps: its audit line, then the `change` (which does
/// nothing before it is awaited), then back to the registration's page
/// with what it did.
async fn act<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    (form, reference): (&FormDefinition, &str),
    (action, detail): (AuditAction, Option<String>),
    change: impl Future<Output = Result<Done, StoreError>>,
) -> Response {
    if let Err(answer) = log(state, signed, action, (form, Some(reference)), detail).await {
        return answer;
    }
    match change.await {
        Ok(did) => done(form, reference, did),
        Err(error) => store_failed(state, &error),
    }
}

/// The form `id`, or the page saying there is none.
fn form_of<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    id: &str,
) -> Result<Arc<FormDefinition>, Response> {
    state
        .service
        .form(id)
        .ok_or_else(|| not_found(state, signed))
}

async fn find<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    form: &FormDefinition,
    reference: &str,
) -> Result<Registration, Response> {
    match state
        .service
        .store()
        .find(&form.id, reference, state.now())
        .await
    {
        Ok(Some(registration)) => Ok(registration),
        Ok(None) => Err(not_found(state, signed)),
        Err(error) => Err(store_failed(state, &error)),
    }
}

/// Writes the audit line of what `signed` does to `form` (and
/// `reference`); when it cannot be written, the answer that says so, and
/// the caller shows and changes nothing.
async fn log<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    action: AuditAction,
    (form, reference): (&FormDefinition, Option<&str>),
    detail: Option<String>,
) -> Result<(), Response> {
    super::audit(state, signed, action, (Some(&form.id), reference), detail).await
}

/// `GET /panel/formularze/{id}`: the form's registrations (office).
async fn list<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
    OfficePage(signed): OfficePage,
) -> Result<Response, Response> {
    let form = form_of(&state, &signed, &id)?;
    let query = ListQuery::read(&pairs);
    let store = state.service.store();
    let registrations = store
        .list(&form.id, state.now())
        .await
        .map_err(|error| store_failed(&state, &error))?;
    let listing = select(&form, &registrations, &query);
    let detail = Some(query.audit_detail(listing.page));
    log(
        &state,
        &signed,
        AuditAction::ListViewed,
        (&form, None),
        detail,
    )
    .await?;
    let page = state
        .pages()
        .registrations(&signed.who, &form, &query, &listing);
    Ok(answer::html(StatusCode::OK, page))
}

/// `GET /panel/formularze/{id}/zgloszenia/{reference}` (office), with the
/// notice of the action just done (`?zrobione=`).
async fn detail<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Path((id, reference)): Path<(String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
    OfficePage(signed): OfficePage,
) -> Result<Response, Response> {
    let form = form_of(&state, &signed, &id)?;
    let done = pairs
        .iter()
        .find(|(name, _)| name == "zrobione")
        .and_then(|(_, value)| Done::parse(value));
    let shown = Shown {
        status: StatusCode::OK,
        done,
        reason_missing: false,
    };
    Ok(registration_page(&state, &signed, &form, &reference, shown).await)
}

/// How the registration's page is shown: after which action, or after a
/// withdrawal refused for want of a reason.
struct Shown {
    status: StatusCode,
    done: Option<Done>,
    reason_missing: bool,
}

/// The registration's page, once its view is in the audit log.
async fn registration_page<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    form: &FormDefinition,
    reference: &str,
    shown: Shown,
) -> Response {
    let registration = match find(state, signed, form, reference).await {
        Ok(registration) => registration,
        Err(answer) => return answer,
    };
    let action = AuditAction::RegistrationViewed;
    if let Err(answer) = log(state, signed, action, (form, Some(reference)), None).await {
        return answer;
    }
    let page = state.pages().registration(
        &signed.who,
        form,
        &registration,
        shown.done,
        shown.reason_missing,
    );
    answer::html(shown.status, page)
}

/// Back to the registration's page, with the notice of what was done.
fn done(form: &FormDefinition, reference: &str, done: Done) -> Response {
    let path = routes::panel(routes::PANEL_REGISTRATION, &form.id, reference);
    answer::see_other(&format!("{path}?zrobione={}", done.code()))
}

#[derive(Debug, Deserialize)]
struct WithdrawForm {
    #[serde(default)]
    powod: String,
}

/// `POST …/wycofaj`: withdrawn at the person's request, with a reason;
/// as their own withdrawal link does (data erased, the place to the first
/// waiting, who is e-mailed).
async fn withdraw<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Path((id, reference)): Path<(String, String)>,
    OfficeAction(signed, sent): OfficeAction<WithdrawForm>,
) -> Result<Response, Response> {
    let form = acting_on(&state, &signed, (&id, &reference), may_withdraw).await?;
    let Some(reason) = reason(&sent.powod) else {
        let shown = Shown {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            done: None,
            reason_missing: true,
        };
        return Ok(registration_page(&state, &signed, &form, &reference, shown).await);
    };
    let change = async {
        let withdrawn = state.service.withdraw_for(&form, &reference, state.now());
        Ok(match withdrawn.await? {
            StaffWithdrawal::Done { .. } => Done::Withdrawn,
            StaffWithdrawal::Gone => Done::Unchanged,
            StaffWithdrawal::Raced => Done::Raced,
        })
    };
    let detail = Some(format!("powod={}", reason.code));
    let audit = (AuditAction::Withdrawn, detail);
    Ok(act(&state, &signed, (&form, &reference), audit, change).await)
}

/// Whether staff may withdraw the registration: spam is never counted,
/// and a withdrawn one is gone already.
pub(super) fn may_withdraw(registration: &Registration) -> bool {
    !matches!(registration.status, Status::Withdrawn | Status::Spam)
}

/// Whether staff may mark the registration's address as one mail does
/// not reach: once, and not of spam or a withdrawn registration.
pub(super) fn may_mark_bounced(registration: &Registration) -> bool {
    may_withdraw(registration) && registration.mail_problem.is_none()
}

/// `POST …/wyslij-ponownie`: the e-mail with new links sent again.
async fn resend<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Path((id, reference)): Path<(String, String)>,
    OfficeAction(signed, _): OfficeAction,
) -> Result<Response, Response> {
    let form = acting_on(&state, &signed, (&id, &reference), may_resend).await?;
    let change = async {
        let resent = state
            .service
            .resend_confirmation(&form, &reference, state.now());
        Ok(Done::Resent.or_unchanged(resent.await?))
    };
    let audit = (AuditAction::ConfirmationResent, None);
    Ok(act(&state, &signed, (&form, &reference), audit, change).await)
}

/// `POST …/adres-nie-dziala`: nothing more is mailed to the address.
async fn mark_bounced<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Path((id, reference)): Path<(String, String)>,
    OfficeAction(signed, _): OfficeAction,
) -> Result<Response, Response> {
    let form = acting_on(&state, &signed, (&id, &reference), may_mark_bounced).await?;
    let change = async {
        let store = state.service.store();
        let marked = store.mark_mail_problem(&form.id, &reference, MailProblem::Bounced);
        Ok(Done::MarkedBounced.or_unchanged(marked.await?))
    };
    let audit = (AuditAction::MarkedBounced, None);
    Ok(act(&state, &signed, (&form, &reference), audit, change).await)
}

/// `GET /panel/formularze/{id}/eksport?format=csv|json`: the same bytes
/// as `agora forms export`, as a file to save (office).
async fn export<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
    OfficePage(signed): OfficePage,
) -> Result<Response, Response> {
    let form = form_of(&state, &signed, &id)?;
    let asked = pairs.iter().find(|(name, _)| name == "format");
    let Some(file) = ExportFile::of(asked.map_or("csv", |(_, value)| value.as_str())) else {
        return Err(not_found(&state, &signed));
    };
    let now = state.now();
    let store = state.service.store();
    let bytes = match staff::export(&form, store, file.format, now).await {
        Ok(bytes) => bytes,
        Err(StaffError::Store(error)) => return Err(store_failed(&state, &error)),
        // The serialiser's message might quote a value: only what failed.
        Err(_) => return Err(failed(&state, "an export could not be written")),
    };
    let detail = format!("format={}; wiersze={}", file.extension, file.rows(&bytes));
    log(
        &state,
        &signed,
        AuditAction::Exported,
        (&form, None),
        Some(detail),
    )
    .await?;
    let day = now.with_timezone(&state.access.settings().timezone);
    let name = format!("{}-{}.{}", form.id, day.format("%Y-%m-%d"), file.extension);
    Ok(answer::download(bytes, file.content_type, &name))
}

/// An export's file: its format, extension and type.
struct ExportFile {
    format: ExportFormat,
    extension: &'static str,
    content_type: &'static str,
}

impl ExportFile {
    fn of(format: &str) -> Option<Self> {
        match format {
            "csv" => Some(Self {
                format: ExportFormat::Csv,
                extension: "csv",
                content_type: "text/csv; charset=utf-8",
            }),
            "json" => Some(Self {
                format: ExportFormat::Json,
                extension: "json",
                content_type: "application/json",
            }),
            _ => None,
        }
    }

    /// How many registrations the export holds, read back from its bytes
    /// so that the audit line counts exactly what was downloaded.
    fn rows(&self, bytes: &[u8]) -> usize {
        match self.format {
            ExportFormat::Json => serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(bytes)
                .map_or(0, |rows| rows.len()),
            ExportFormat::Csv => csv_records(bytes).saturating_sub(1),
        }
    }
}

/// The records of a CSV file: its line ends outside quoted cells (a cell
/// with a line break is quoted; a quote inside one is doubled, which
/// leaves and re-enters the quotes).
fn csv_records(bytes: &[u8]) -> usize {
    let mut quoted = false;
    let mut records = 0;
    for byte in bytes {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => records += 1,
            _ => {}
        }
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_query_is_read_leniently() {
        let read = ListQuery::read(&pairs(&[
            ("stan", "waiting"),
            ("szukaj", "  Łucja "),
            ("strona", "3"),
            ("strona", "9"),
        ]));
        assert_eq!(read.status, Some(Status::Waiting));
        assert_eq!(read.search, "Łucja");
        assert_eq!(read.page, 3, "the first of a repeated key");
        for garbage in ["", "0", "-2", "x", "1e3", "99999999999999999999999"] {
            let read = ListQuery::read(&pairs(&[("stan", "nieznany"), ("strona", garbage)]));
            assert_eq!((read.status, read.page), (None, 1), "{garbage:?}");
        }
    }

    #[test]
    fn the_audit_detail_never_holds_the_search() {
        let query = ListQuery {
            status: Some(Status::Registered),
            search: "Kowalska".to_owned(),
            page: 2,
        };
        let detail = query.audit_detail(2);
        assert_eq!(detail, "stan=registered; strona=2; wyszukiwanie=tak");
        assert!(!detail.contains("Kowalska"));
    }

    #[test]
    fn csv_records_are_counted_past_line_breaks_in_cells() {
        let csv = "numer;opis\r\nA;\"pierwsza\r\ndruga \"\"linia\"\"\"\r\nB;x\r\n";
        assert_eq!(csv_records(csv.as_bytes()), 3);
        assert_eq!(csv_records(b""), 0);
    }

    #[test]
    fn reasons_have_distinct_codes() {
        let mut codes: Vec<&str> = REASONS.iter().map(|r| r.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), REASONS.len());
        assert_eq!(reason("duplicate").map(|r| r.code), Some("duplicate"));
        assert_eq!(reason(""), None);
        assert_eq!(reason("Pan Kowalski dzwonił"), None);
    }
}
