//! The staff workspace (`/panel/`) on the same router as the forms: sign-in
//! by an e-mailed one-time link, a `__Host-` session cookie, a CSRF token
//! in every form that changes something, and a role check on every page.
//! What the rules are is `agora_core::panel`; this module speaks HTTP.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /panel/` | signed in | the dashboard (office: the forms, their counts and charts) |
//! | `GET`, `POST /panel/logowanie` | anyone | the sign-in page; asking for a link |
//! | `GET`, `POST /panel/logowanie/link` | anyone with a link | the link's page; signing in |
//! | `POST /panel/wyloguj`, `/panel/wyloguj-wszedzie` | signed in | signing out here or everywhere |
//! | `GET`, `POST /panel/konta`, `POST /panel/konta/usun` | office | accounts |
//! | `GET /panel/dziennik` | office | the audit log |
//!
//! The areas' pages are in their modules: `registrations`, `lottery`,
//! `ambassadors`, `ideas`.
//!
//! A GET never changes anything; a POST from another site is refused
//! before anything else (its browser says so in `Sec-Fetch-Site` or
//! `Origin`), so that no page elsewhere can sign anyone in or out.

mod ambassadors;
mod ambassadors_pages;
mod charts;
mod guard;
pub(crate) use guard::same_origin;
mod ideas;
mod ideas_pages;
mod ideas_pipeline;
mod lottery;
mod lottery_pages;
mod pages;
mod registrations;
mod registrations_pages;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tower_http::catch_panic::CatchPanicLayer;

use agora_core::ideas::{IdeaRecords, Unit};
use agora_core::mail::Mailer;
use agora_core::panel::access::LinkRequested;
use agora_core::panel::{
    Access, AccessError, AccessSettings, Account, AuditAction, AuditEntry, PanelStore,
    PublishedFile, Publisher, Role, StaffRecords,
};
use agora_core::routes;
use agora_core::service::Service;
use agora_core::store::{Store, StoreError};

use super::{answer, client, Clock, HttpSettings};
use guard::{OfficeAction, OfficePage, Signed, SignedAction, SignedPage};

/// What the workspace's handlers share.
pub(crate) struct PanelState<S, M> {
    access: Arc<Access<S, M>>,
    service: Arc<Service<S, M>>,
    clock: Clock,
    http: Arc<HttpSettings>,
    /// Where what the workspace publishes goes: the site's `content/`.
    publisher: Arc<dyn Publisher>,
}

impl<S, M> Clone for PanelState<S, M> {
    fn clone(&self) -> Self {
        Self {
            access: Arc::clone(&self.access),
            service: Arc::clone(&self.service),
            clock: Arc::clone(&self.clock),
            http: Arc::clone(&self.http),
            publisher: Arc::clone(&self.publisher),
        }
    }
}

impl<S: Store + PanelStore, M: Mailer> PanelState<S, M> {
    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Publishes `file` to the site; whether it got there. A failure is
    /// logged with the file's path and the system's reason.
    async fn publish(&self, file: &PublishedFile) -> bool {
        match self.publisher.publish(file).await {
            Ok(()) => true,
            Err(error) => {
                eprintln!("agora: panel: {error}");
                false
            }
        }
    }

    fn pages(&self) -> pages::PanelPages<'_> {
        let settings = self.service.settings();
        pages::PanelPages {
            home: &settings.public_url,
            contact: &settings.contact_email,
            timezone: self.access.settings().timezone,
        }
    }
}

/// The forms' router with the workspace's merged in, over the forms'
/// store and mailer: what `agora serve` and the panel function run.
/// `publisher` takes what the workspace publishes to the site.
pub fn with_forms<S, M>(
    service: Arc<Service<S, M>>,
    settings: AccessSettings,
    clock: Clock,
    http: HttpSettings,
    publisher: Arc<dyn Publisher>,
) -> Router
where
    S: Store + PanelStore + StaffRecords + IdeaRecords + Clone + 'static,
    M: Mailer + Clone + 'static,
{
    let store = service.store().clone();
    let access = Arc::new(Access::new(store, service.mailer().clone(), settings));
    let state = PanelState {
        access,
        service: Arc::clone(&service),
        clock: Arc::clone(&clock),
        http: Arc::new(http.clone()),
        publisher,
    };
    let workspace = router(state);
    super::router_with_ideas(service, clock, http).merge(workspace)
}

/// The workspace's routes, to merge into the forms' router.
fn router<S, M>(state: PanelState<S, M>) -> Router
where
    S: Store + PanelStore + StaffRecords + IdeaRecords + 'static,
    M: Mailer + 'static,
{
    Router::new()
        .route(routes::PANEL, get(dashboard::<S, M>))
        .route(
            routes::PANEL_SIGN_IN,
            get(sign_in_page::<S, M>).post(request_link::<S, M>),
        )
        .route(
            routes::PANEL_LINK,
            get(link_page::<S, M>).post(use_link::<S, M>),
        )
        .route(routes::PANEL_SIGN_OUT, post(sign_out::<S, M>))
        .route(
            routes::PANEL_SIGN_OUT_EVERYWHERE,
            post(sign_out_everywhere::<S, M>),
        )
        .route(
            routes::PANEL_ACCOUNTS,
            get(accounts::<S, M>).post(add_account::<S, M>),
        )
        .route(routes::PANEL_ACCOUNT_REMOVE, post(remove_account::<S, M>))
        .route(routes::PANEL_AUDIT, get(audit_log::<S, M>))
        .merge(registrations::routes())
        .merge(lottery::routes())
        .merge(ambassadors::routes())
        .merge(ideas::routes())
        .merge(ideas_pipeline::routes())
        .with_state(state)
        // A bug answers a generic page and logs only where it happened
        // (`super::hide_panic_messages`): never the request's data.
        .layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                answer::html(StatusCode::INTERNAL_SERVER_ERROR, pages::failed())
            },
        ))
}

/// `GET /panel/`: the forms with their state and counts (office), or what
/// the account's role has (others: a verifier, how many ideas wait for
/// their unit).
async fn dashboard<S: Store + PanelStore + IdeaRecords + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    SignedPage(signed): SignedPage,
) -> Response {
    let now = state.now();
    let mut forms = Vec::new();
    let mut charted = Vec::new();
    let mut waiting = 0;
    if signed.who.account.role == Role::Verifier {
        let unit = signed.who.account.area.as_deref().unwrap_or_default();
        // A count, never an idea's data: no line in the audit log.
        waiting = match ideas::waiting_for(&state, unit).await {
            Ok(waiting) => waiting,
            Err(error) => return store_failed(&state, &error),
        };
    }
    if signed.who.account.role == Role::Office {
        let all = state.service.forms();
        for form in &all {
            match state.service.store().counts(&form.id, now).await {
                Ok(counts) => forms.push((Arc::clone(form), counts)),
                Err(error) => return store_failed(&state, &error),
            }
        }
        // Counts only, never a person's data: no line in the audit log.
        charted = match charts::read(state.service.store(), &all, now).await {
            Ok(charted) => charted,
            Err(error) => return store_failed(&state, &error),
        };
    }
    let page = state
        .pages()
        .dashboard(&signed.who, &forms, &charted, waiting, now);
    answer::html(StatusCode::OK, page)
}

#[derive(Debug, Deserialize)]
struct SignInQuery {
    wylogowano: Option<String>,
}

/// `GET /panel/logowanie`: the address field; signed in, the dashboard.
async fn sign_in_page<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    headers: HeaderMap,
    Query(query): Query<SignInQuery>,
) -> Response {
    if let Ok(Some(_)) = guard::session(&state, &headers).await {
        return answer::see_other(routes::PANEL);
    }
    let signed_out = query.wylogowano.is_some();
    answer::html(StatusCode::OK, state.pages().sign_in(signed_out, "", None))
}

#[derive(Debug, Deserialize)]
struct LinkRequest {
    #[serde(default)]
    email: String,
}

/// `POST /panel/logowanie`: a link to the address if it has an account;
/// the same answer, in the same time, if it has not.
async fn request_link<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    if !guard::same_origin(&parts.headers, &state.service.settings().public_url) {
        return guard::forbidden(&state);
    }
    let address = client::address(
        &parts,
        state.http.trusted_proxy,
        state.http.client_address_header.as_deref(),
    );
    let request = Request::from_parts(parts, body);
    let Ok(Form(form)) = Form::<LinkRequest>::from_request(request, &state).await else {
        let page = state.pages().sign_in(false, "", None);
        return answer::html(StatusCode::BAD_REQUEST, page);
    };
    let outcome = state
        .access
        .request_link(&form.email, &address, state.now())
        .await;
    let floor = state.http.sign_in_answer_floor;
    tokio::time::sleep(floor.saturating_sub(started.elapsed())).await;
    let pages = state.pages();
    match outcome {
        Ok(LinkRequested::Sent) => answer::html(StatusCode::OK, pages.link_sent()),
        Ok(LinkRequested::Invalid(problem)) => answer::html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages.sign_in(false, &form.email, Some(problem.message())),
        ),
        Ok(LinkRequested::RateLimited {
            retry_after_seconds,
        }) => answer::html(
            StatusCode::TOO_MANY_REQUESTS,
            pages.too_many_links(retry_after_seconds),
        ),
        Err(error) => unavailable(&state, "a sign-in link could not be made", &error),
    }
}

#[derive(Debug, Deserialize)]
struct LinkToken {
    #[serde(default)]
    token: String,
}

/// `GET /panel/logowanie/link?token=…`: the button that signs in.
async fn link_page<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    Query(query): Query<LinkToken>,
) -> Response {
    answer::html(StatusCode::OK, state.pages().link(&query.token))
}

/// `POST /panel/logowanie/link`: the link used, once; a session begins.
async fn use_link<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    headers: HeaderMap,
    Form(form): Form<LinkToken>,
) -> Response {
    if !guard::same_origin(&headers, &state.service.settings().public_url) {
        return guard::forbidden(&state);
    }
    match state.access.sign_in(&form.token, state.now()).await {
        Ok(Some((secret, _))) => {
            let mut response = answer::see_other(routes::PANEL);
            guard::set_session_cookie(&mut response, &secret, &state.access.settings().timeouts);
            response
        }
        Ok(None) => answer::html(StatusCode::GONE, state.pages().link_refused()),
        Err(error) => unavailable(&state, "signing in failed", &error),
    }
}

/// `POST /panel/wyloguj`: this session ends.
async fn sign_out<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    SignedAction(signed, _): SignedAction,
) -> Response {
    if let Err(error) = state.access.sign_out(&signed.who, state.now()).await {
        return store_failed(&state, &error);
    }
    signed_out()
}

/// `POST /panel/wyloguj-wszedzie`: every session of the account ends.
async fn sign_out_everywhere<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    SignedAction(signed, _): SignedAction,
) -> Response {
    if let Err(error) = state
        .access
        .sign_out_everywhere(&signed.who, state.now())
        .await
    {
        return store_failed(&state, &error);
    }
    signed_out()
}

fn signed_out() -> Response {
    let mut response = answer::see_other(&format!("{}?wylogowano", routes::PANEL_SIGN_IN));
    guard::clear_session_cookie(&mut response);
    response
}

/// `GET /panel/konta`: the accounts and the form to add one (office).
async fn accounts<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    OfficePage(signed): OfficePage,
) -> Response {
    accounts_page(&state, &signed, StatusCode::OK, None).await
}

/// The accounts page; after a refused addition, with what was typed and
/// why it was refused.
async fn accounts_page<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    status: StatusCode,
    refused: Option<(&NewAccount, Refusal)>,
) -> Response {
    let stored = match state.access.store().accounts().await {
        Ok(stored) => stored,
        Err(error) => return store_failed(state, &error),
    };
    let office = &state.access.settings().office;
    let units = ideas::every_unit(state);
    answer::html(
        status,
        state
            .pages()
            .accounts(&signed.who, office, &stored, &units, refused),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct NewAccount {
    #[serde(default)]
    pub(crate) email: String,
    #[serde(default)]
    pub(crate) role: String,
    #[serde(default)]
    pub(crate) area: String,
    /// A verifier's unit (its id).
    #[serde(default)]
    pub(crate) unit: String,
}

/// Why an account was not added: the field to correct (its `id` on the
/// page) and what to do, in Polish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) field: &'static str,
    pub(crate) message: &'static str,
}

/// `POST /panel/konta`: a verifier or an ambassador added (office).
async fn add_account<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    OfficeAction(signed, form): OfficeAction<NewAccount>,
) -> Response {
    let account = match new_account(&form, &ideas::every_unit(&state)) {
        Ok(account) => account,
        Err(refusal) => {
            let refused = Some((&form, refusal));
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return accounts_page(&state, &signed, status, refused).await;
        }
    };
    match state
        .access
        .add_account(&signed.who, account, state.now())
        .await
    {
        Ok(()) => answer::see_other(routes::PANEL_ACCOUNTS),
        Err(error) => unavailable(&state, "an account could not be added", &error),
    }
}

/// The account the form describes, or what is wrong with it (in Polish).
/// A verifier's unit is one of `units`, the verifying units of the forms
/// that take ideas; a site without them adds verifiers without a unit.
fn new_account(form: &NewAccount, units: &[Unit]) -> Result<Account, Refusal> {
    let refusal = |field, message| Refusal { field, message };
    let email = agora_core::forms::email::canonical(&form.email)
        .map_err(|p| refusal(pages::EMAIL_FIELD, p.message()))?;
    let role = match Role::parse(&form.role) {
        Some(Role::Verifier) => Role::Verifier,
        Some(Role::Ambassador) => Role::Ambassador,
        _ => {
            let message = "Wybierz rolę: weryfikator albo ambasador.";
            return Err(refusal(pages::ROLE_FIELD, message));
        }
    };
    let area = form.area.trim();
    let area = match role {
        Role::Ambassador if area.is_empty() => {
            let message = "Podaj obszar ambasadora (numer dzielnicy, np. XIII).";
            return Err(refusal(pages::AREA_FIELD, message));
        }
        Role::Ambassador => Some(area.to_owned()),
        _ if units.is_empty() => None,
        _ => match units.iter().find(|unit| unit.id == form.unit.trim()) {
            Some(unit) => Some(unit.id.clone()),
            None => {
                let message = "Wybierz jednostkę weryfikatora.";
                return Err(refusal(pages::UNIT_FIELD, message));
            }
        },
    };
    Ok(Account {
        email,
        role,
        area,
        added_by: None,
        added_at: None,
    })
}

#[derive(Debug, Deserialize)]
struct RemovedAccount {
    #[serde(default)]
    email: String,
}

/// `POST /panel/konta/usun`: an account removed, its sessions ended (office).
async fn remove_account<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    OfficeAction(signed, form): OfficeAction<RemovedAccount>,
) -> Response {
    match state
        .access
        .remove_account(&signed.who, &form.email, state.now())
        .await
    {
        Ok(_) => answer::see_other(routes::PANEL_ACCOUNTS),
        Err(error) => unavailable(&state, "an account could not be removed", &error),
    }
}

/// How many lines of the audit log one page shows.
const AUDIT_PAGE_LINES: usize = 200;

/// `GET /panel/dziennik`: the audit log, newest first (office).
async fn audit_log<S: Store + PanelStore + 'static, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    OfficePage(signed): OfficePage,
) -> Response {
    let now = state.now();
    match state.access.store().audit_log(now, AUDIT_PAGE_LINES).await {
        Ok(lines) => answer::html(StatusCode::OK, state.pages().audit(&signed.who, &lines)),
        Err(error) => store_failed(&state, &error),
    }
}

/// What is not there (a form, a registration, a file): the Polish 404 page.
fn not_found<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
) -> Response {
    answer::html(StatusCode::NOT_FOUND, state.pages().not_found(&signed.who))
}

/// An action that failed: logged without personal data (`what` and the
/// error's kind), a Polish page to retry.
fn unavailable<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    what: &str,
    error: &AccessError,
) -> Response {
    // A store's message may quote what was being written: only its kind.
    let why = match error {
        AccessError::Store(error) => answer::failure_log_line(error),
        other => other.to_string(),
    };
    failed(state, &format!("{what}: {why}"))
}

/// The store failed: logged without personal data, a Polish page to retry.
fn store_failed<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    error: &StoreError,
) -> Response {
    let why = answer::failure_log_line(error);
    failed(state, &format!("the store failed: {why}"))
}

/// Something failed, `why` (never a person's data): logged, and a Polish
/// page to retry.
fn failed<S: Store + PanelStore, M: Mailer>(state: &PanelState<S, M>, why: &str) -> Response {
    eprintln!("agora: panel: {why}");
    answer::html(StatusCode::SERVICE_UNAVAILABLE, state.pages().unavailable())
}

/// Writes the audit line of what `signed` does (to a form and one of its
/// registrations, when it is about them); when it cannot be written, the
/// answer that says so, and the caller shows and changes nothing.
async fn audit<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: &Signed,
    action: AuditAction,
    (form_id, reference): (Option<&str>, Option<&str>),
    detail: Option<String>,
) -> Result<(), Response> {
    let entry = AuditEntry {
        at: state.now(),
        actor: signed.who.account.email.clone(),
        action,
        form_id: form_id.map(str::to_owned),
        reference: reference.map(str::to_owned),
        detail,
    };
    state
        .access
        .log(entry)
        .await
        .map_err(|error| store_failed(state, &error))
}

/// The value of `key` in a page's query, "" when absent; the first of a
/// repeated key counts, as a browser sends one.
fn query_value<'q>(pairs: &'q [(String, String)], key: &str) -> &'q str {
    pairs
        .iter()
        .find(|(name, _)| name == key)
        .map_or("", |(_, value)| value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(email: &str, role: &str, area: &str) -> NewAccount {
        NewAccount {
            email: email.to_owned(),
            role: role.to_owned(),
            area: area.to_owned(),
            unit: String::new(),
        }
    }

    #[test]
    fn office_adds_only_verifiers_and_ambassadors_with_an_area() {
        let ambassador =
            new_account(&form(" Zofia@Example.PL ", "ambassador", " XIII "), &[]).expect("valid");
        assert_eq!(ambassador.email, "zofia@example.pl");
        assert_eq!(ambassador.area.as_deref(), Some("XIII"));
        let verifier =
            new_account(&form("adam@example.pl", "verifier", "XIII"), &[]).expect("valid");
        assert_eq!(verifier.area, None);
        assert!(new_account(&form("a@example.pl", "office", ""), &[]).is_err());
        assert!(new_account(&form("a@example.pl", "", ""), &[]).is_err());
        assert!(new_account(&form("a@example.pl", "ambassador", " "), &[]).is_err());
        assert!(new_account(&form("not an address", "verifier", ""), &[]).is_err());
    }

    #[test]
    fn a_verifier_names_one_of_the_units_where_there_are_units() {
        let units = [Unit {
            id: "zzm".to_owned(),
            name: "Zarząd Zieleni Miejskiej".to_owned(),
        }];
        let mut typed = form("adam@example.pl", "verifier", "XIII");
        let refused = new_account(&typed, &units).expect_err("no unit");
        assert_eq!(refused.field, pages::UNIT_FIELD);
        typed.unit = "zdmk".to_owned();
        assert!(
            new_account(&typed, &units).is_err(),
            "not a unit of the list"
        );
        typed.unit = " zzm ".to_owned();
        let verifier = new_account(&typed, &units).expect("valid");
        assert_eq!(verifier.area.as_deref(), Some("zzm"));
        let mut ambassador = form("zofia@example.pl", "ambassador", "XIII");
        ambassador.unit = "zzm".to_owned();
        let ambassador = new_account(&ambassador, &units).expect("valid");
        assert_eq!(ambassador.area.as_deref(), Some("XIII"));
    }
}
