//! The HTTP layer of the form functions: one axum [`Router`] that serves
//! the same answers under AWS Lambda (`lambda_http::run(router)`, see
//! [`lambda`]) and under `agora serve`. It only parses requests and words
//! answers; [`Service`] decides.
//!
//! | route | what |
//! |---|---|
//! | `POST /api/forms/{id}` | a submission, urlencoded (a browser) or JSON |
//! | `GET /api/forms/{id}` | the form's public status, JSON |
//! | `GET /api/forms/{id}/zgloszenie/{reference}` | the page after a submission, with its reference |
//! | `GET /api/forms/{id}/wyslane` | the page after a submission whose reference comes by e-mail |
//! | `GET`, `POST /api/forms/{id}/potwierdz` | the confirmation link's page, and confirming |
//! | `GET`, `POST /api/forms/{id}/wycofaj` | the withdrawal link's page, and withdrawing |
//! | `GET`, `POST /api/forms/{id}/pomysl/{reference}` | an idea's private page (`?klucz=`), and the resident's one reply |
//!
//! A GET never changes anything: mail scanners open links.

mod answer;
mod body;
mod client;
mod idea;
mod idea_pages;
pub mod lambda;
mod pages;
pub mod panel;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use tower_http::catch_panic::CatchPanicLayer;

use agora_core::forms::STARTED_FIELD;
use agora_core::forms::{FieldError, FormDefinition, Submission};
use agora_core::ideas::IdeaRecords;
use agora_core::mail::Mailer;
use agora_core::panel::PanelStore;
use agora_core::registration::Status;
use agora_core::routes;
use agora_core::service::{Client, Service, Submitted};
use agora_core::store::{Store, StoreError};
use answer::Format;
use body::{BodyError, ContentKind};

/// Bodies larger than this are refused with `413`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// How long a form's public status may be reused, by CloudFront and by
/// browsers: a page view of an open form asks for it, so on a
/// recruitment's first minutes the functions answer once per few seconds
/// instead of once per view. Places left may be this much behind; the
/// fill-time stamp it carries only gets older, which the check allows.
pub const STATUS_MAX_AGE_SECONDS: u32 = 5;

/// How long a client should wait when the store is unavailable.
pub const UNAVAILABLE_RETRY_SECONDS: u64 = 30;

/// Where handlers take "now" from: the system clock, or a fixed moment
/// for `agora serve --now` and tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// A clock stopped at `now`.
pub fn fixed_clock(now: DateTime<Utc>) -> Clock {
    Arc::new(move || now)
}

/// A clock that reads `start` now and runs on from it: `agora serve
/// --now` previews another moment, while the time a person takes to fill
/// a form and the rate-limit windows still pass as they do.
pub fn clock_from(start: DateTime<Utc>) -> Clock {
    let offset = start - Utc::now();
    Arc::new(move || Utc::now() + offset)
}

/// A panic's message can quote what was being handled (a resident's
/// values), and logs must hold no personal data: from now on a panic logs
/// where it happened, not what it said. For the long-running servers
/// (Lambda, `agora serve`); the client gets a generic answer anyway.
pub fn hide_panic_messages() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_else(|| "an unknown place".to_owned());
        eprintln!("agora: a request failed on a bug at {at}; it was answered with a generic error");
    }));
}

/// How the router is deployed.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// A reverse proxy the operator runs is in front of `agora serve`: the
    /// client's address is the one the proxy appended to
    /// `X-Forwarded-For`. Off, that header is ignored (anyone can send it).
    pub trusted_proxy: bool,
    /// A header in which a CDN in front names the viewer's address
    /// (CloudFront: `CloudFront-Viewer-Address`); API Gateway then sees
    /// only the CDN's. Trust it only when the functions cannot be reached
    /// but through that CDN: anyone else can write any header.
    pub client_address_header: Option<String>,
    /// How long a request's body may take to arrive once its headers
    /// have: past it the answer is `408` and nothing is saved. `None`
    /// under Lambda, where API Gateway hands over whole bodies.
    pub body_read_timeout: Option<Duration>,
    /// The least time an answer to a sign-in request of the workspace
    /// takes, whether or not a link was stored and mailed, so that its
    /// timing does not tell which addresses have an account.
    pub sign_in_answer_floor: Duration,
    /// The site's content folder, whose data files some pages read as
    /// they are asked for (the verifying units' names on an idea's
    /// page); `None`: those pages do without.
    pub content_dir: Option<PathBuf>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            trusted_proxy: false,
            client_address_header: None,
            body_read_timeout: None,
            // Well above a store write and an e-mail sent through SES.
            sign_in_answer_floor: Duration::from_millis(1200),
            content_dir: None,
        }
    }
}

struct AppState<S, M> {
    service: Arc<Service<S, M>>,
    clock: Clock,
    settings: Arc<HttpSettings>,
}

impl<S, M> Clone for AppState<S, M> {
    fn clone(&self) -> Self {
        Self {
            service: Arc::clone(&self.service),
            clock: Arc::clone(&self.clock),
            settings: Arc::clone(&self.settings),
        }
    }
}

impl<S: Store, M: Mailer> AppState<S, M> {
    fn new(service: Arc<Service<S, M>>, clock: Clock, settings: HttpSettings) -> Self {
        Self {
            service,
            clock,
            settings: Arc::new(settings),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    fn pages(&self) -> pages::Pages<'_> {
        let settings = self.service.settings();
        pages::Pages {
            home: &settings.public_url,
            contact: &settings.contact_email,
        }
    }
}

/// The router with the default settings (no proxy in front).
pub fn router<S, M>(service: Arc<Service<S, M>>, clock: Clock) -> Router
where
    S: Store + 'static,
    M: Mailer + 'static,
{
    router_with(service, clock, HttpSettings::default())
}

/// The forms' routes, over a store that need keep nothing else.
pub fn router_with<S, M>(
    service: Arc<Service<S, M>>,
    clock: Clock,
    settings: HttpSettings,
) -> Router
where
    S: Store + 'static,
    M: Mailer + 'static,
{
    finish(forms_routes(), AppState::new(service, clock, settings))
}

/// The forms' routes and an idea's private page, whose reply tells the
/// unit's verifiers: what the Lambda functions and `agora serve` run.
pub fn router_with_ideas<S, M>(
    service: Arc<Service<S, M>>,
    clock: Clock,
    settings: HttpSettings,
) -> Router
where
    S: Store + IdeaRecords + PanelStore + 'static,
    M: Mailer + 'static,
{
    let routes = forms_routes().route(
        routes::IDEA,
        get(idea::page::<S, M>).post(idea::send_reply::<S, M>),
    );
    finish(routes, AppState::new(service, clock, settings))
}

fn forms_routes<S, M>() -> Router<AppState<S, M>>
where
    S: Store + 'static,
    M: Mailer + 'static,
{
    Router::new()
        .route(routes::FORM, get(status::<S, M>).post(submit::<S, M>))
        .route(routes::RECEIVED, get(received::<S, M>))
        .route(routes::SENT, get(sent::<S, M>))
        .route(
            routes::CONFIRM,
            get(confirm_page::<S, M>).post(confirm::<S, M>),
        )
        .route(
            routes::WITHDRAW,
            get(withdraw_page::<S, M>).post(withdraw::<S, M>),
        )
}

/// `routes` over `state`, with the answers to what no route takes and to
/// a panic.
fn finish<S, M>(routes: Router<AppState<S, M>>, state: AppState<S, M>) -> Router
where
    S: Store + 'static,
    M: Mailer + 'static,
{
    let home = state.service.settings().public_url.clone();
    let contact = state.service.settings().contact_email.clone();
    routes
        .fallback(not_found::<S, M>)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        // A panic answers a generic 500 with no detail; the outer layer
        // words it for the client (JSON or a Polish page).
        .layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| answer::panicked_marker(),
        ))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let (home, contact) = (home.clone(), contact.clone());
            async move {
                let format = Format::for_request(request.headers());
                let response = next.run(request).await;
                if answer::is_panicked(&response) {
                    let pages = pages::Pages {
                        home: &home,
                        contact: &contact,
                    };
                    answer::internal_error(format, &pages)
                } else {
                    response
                }
            }
        }))
}

/// `POST /api/forms/{id}`: a submission.
async fn submit<S: Store + 'static, M: Mailer + 'static>(
    State(state): State<AppState<S, M>>,
    id: Result<Path<String>, PathRejection>,
    request: Request,
) -> Response {
    let id = path_param(id);
    let (parts, body) = request.into_parts();
    let format = Format::for_request(&parts.headers);
    let pages = state.pages();
    let Some(form) = state.service.form(&id) else {
        return answer::unknown_form(format, &pages);
    };
    let form = &*form;
    let timeout = state.settings.body_read_timeout;
    let (format, submission) =
        match read_submission(&parts.headers, body, timeout, format, &pages).await {
            Ok(read) => read,
            Err(answer) => return answer,
        };
    let client = Client {
        address: client::address(
            &parts,
            state.settings.trusted_proxy,
            state.settings.client_address_header.as_deref(),
        ),
    };
    let now = state.now();
    let outcome = state.service.submit(form, &submission, &client, now).await;
    // Whatever shows the form again carries a stamp for the next sending.
    let again = state.service.with_fresh_stamp(form, &submission, now);
    submitted(format, &pages, form, &again, outcome)
}

/// The body as a submission, and the format to answer in (a browser's
/// form gets pages); or the answer to a body that cannot be one.
async fn read_submission(
    headers: &HeaderMap,
    body: axum::body::Body,
    timeout: Option<Duration>,
    format: Format,
    pages: &pages::Pages<'_>,
) -> Result<(Format, Submission), Response> {
    let Some(kind) = ContentKind::of(headers) else {
        return Err(answer::unsupported_type(format, pages));
    };
    let format = Format::of_body(kind);
    let read = body::read(body, headers, MAX_BODY_BYTES);
    // A body that stops arriving would hold the connection for good.
    let read = match timeout {
        Some(limit) => match tokio::time::timeout(limit, read).await {
            Ok(read) => read,
            Err(_) => return Err(answer::body_timed_out(format, pages)),
        },
        None => read.await,
    };
    match read {
        Ok(bytes) => body::parse(kind, &bytes)
            .map(|submission| (format, submission))
            .map_err(|error| answer::malformed(format, pages, &error)),
        Err(BodyError::TooLarge) => Err(answer::too_large(format, pages)),
        Err(error) => Err(answer::malformed(format, pages, &error)),
    }
}

/// The answer to a submission; `submission` is what the form shown again
/// holds (the values as typed, a fill-time stamp for the next sending).
fn submitted(
    format: Format,
    pages: &pages::Pages<'_>,
    form: &FormDefinition,
    submission: &Submission,
    outcome: Result<Submitted, StoreError>,
) -> Response {
    match outcome {
        Ok(Submitted::Accepted { reference, status }) => {
            let page = match &reference {
                Some(reference) => routes::received(&form.id, reference),
                None => routes::sent(&form.id),
            };
            match format {
                // `page`: where the site's script shows the reference.
                Format::Json => answer::json(
                    StatusCode::CREATED,
                    &serde_json::json!({ "reference": reference, "status": status, "page": page }),
                ),
                Format::Html => answer::see_other(&page),
            }
        }
        Ok(Submitted::Invalid(errors)) => invalid(format, pages, form, submission, &errors),
        Ok(Submitted::NotOpenYet { opens }) => {
            answer::not_open_yet(format, pages, form, submission, opens)
        }
        Ok(Submitted::Closed { closes }) => answer::closed(format, pages, form, closes),
        Ok(Submitted::Cancelled) => answer::cancelled(format, pages, form),
        Ok(Submitted::RateLimited {
            retry_after_seconds,
        }) => answer::rate_limited(format, pages, form, submission, retry_after_seconds),
        Ok(Submitted::Unstamped) => answer::send_again(format, pages, form, submission),
        Err(error) => answer::store_failed(format, pages, Some((form, submission)), &error),
    }
}

fn invalid(
    format: Format,
    pages: &pages::Pages<'_>,
    form: &FormDefinition,
    submission: &Submission,
    errors: &[FieldError],
) -> Response {
    match format {
        // `started_at`: the stamp the page's script sends next time.
        Format::Json => answer::json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &serde_json::json!({
                "errors": errors,
                "started_at": submission.first(STARTED_FIELD),
            }),
        ),
        Format::Html => answer::html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages.form_again(form, submission, errors),
        ),
    }
}

/// `GET /api/forms/{id}`: the form's public status.
async fn status<S: Store + 'static, M: Mailer + 'static>(
    State(state): State<AppState<S, M>>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = path_param(id);
    let pages = state.pages();
    let Some(form) = state.service.form(&id) else {
        return answer::unknown_form(Format::Json, &pages);
    };
    let form = &*form;
    match state.service.status(form, state.now()).await {
        Ok(status) => answer::public_status(&status),
        Err(error) => answer::store_failed(Format::Json, &pages, None, &error),
    }
}

/// `GET /api/forms/{id}/zgloszenie/{reference}`: after a submission. What
/// it says of the registration is read from the store, never from the
/// address: a visitor can write any address.
async fn received<S: Store + 'static, M: Mailer + 'static>(
    State(state): State<AppState<S, M>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let (id, reference) = path_param(path);
    let pages = state.pages();
    let Some(form) = state.service.form(&id) else {
        return answer::unknown_form(Format::Html, &pages);
    };
    let form = &*form;
    // A form with double opt-in never shows a reference before the
    // address is proven (its answers lead to `wyslane`).
    if form.double_opt_in || !is_reference(&reference) {
        return answer::html(StatusCode::NOT_FOUND, pages.not_found());
    }
    let found = state
        .service
        .store()
        .find(&form.id, &reference, state.now())
        .await;
    match found {
        Ok(Some(registration)) if registration.status != Status::Withdrawn => {
            answer::html(StatusCode::OK, pages.received(form, &registration))
        }
        Ok(_) => answer::html(StatusCode::NOT_FOUND, pages.not_found()),
        Err(error) => answer::store_failed(Format::Html, &pages, None, &error),
    }
}

/// `GET /api/forms/{id}/wyslane`: after a submission whose reference is
/// not shown (double opt-in, or the same person again).
async fn sent<S: Store + 'static, M: Mailer + 'static>(
    State(state): State<AppState<S, M>>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = path_param(id);
    let pages = state.pages();
    let Some(form) = state.service.form(&id) else {
        return answer::unknown_form(Format::Html, &pages);
    };
    let form = &*form;
    answer::html(StatusCode::OK, pages.sent(form))
}

/// `GET /api/forms/{id}/potwierdz?token=…`: a page with the button.
async fn confirm_page<S: Store + 'static, M: Mailer + 'static>(
    State(state): State<AppState<S, M>>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Response {
    let id = path_param(id);
    link_page(&state, &id, query.as_deref(), Action::Confirm)
}

/// `GET /api/forms/{id}/wycofaj?token=…`: a page with the button.
async fn withdraw_page<S: Store + 'static, M: Mailer + 'static>(
    State(state): State<AppState<S, M>>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Response {
    let id = path_param(id);
    link_page(&state, &id, query.as_deref(), Action::Withdraw)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Confirm,
    Withdraw,
}

fn link_page<S: Store, M: Mailer>(
    state: &AppState<S, M>,
    id: &str,
    query: Option<&str>,
    action: Action,
) -> Response {
    let pages = state.pages();
    let Some(form) = state.service.form(id) else {
        return answer::unknown_form(Format::Html, &pages);
    };
    let form = &*form;
    match body::query_value(query, "token").filter(|t| is_token(t)) {
        Some(token) => answer::html(StatusCode::OK, pages.link(form, action, &token)),
        None => answer::html(StatusCode::NOT_FOUND, pages.unknown_token(form, action)),
    }
}

/// `POST /api/forms/{id}/potwierdz`: confirms.
async fn confirm<S: Store + 'static, M: Mailer + 'static>(
    State(state): State<AppState<S, M>>,
    id: Result<Path<String>, PathRejection>,
    request: Request,
) -> Response {
    let id = path_param(id);
    token_action(state, &id, request, Action::Confirm).await
}

/// `POST /api/forms/{id}/wycofaj`: withdraws.
async fn withdraw<S: Store + 'static, M: Mailer + 'static>(
    State(state): State<AppState<S, M>>,
    id: Result<Path<String>, PathRejection>,
    request: Request,
) -> Response {
    let id = path_param(id);
    token_action(state, &id, request, Action::Withdraw).await
}

async fn token_action<S: Store + 'static, M: Mailer + 'static>(
    state: AppState<S, M>,
    id: &str,
    request: Request,
    action: Action,
) -> Response {
    let (parts, body) = request.into_parts();
    let format = Format::for_request(&parts.headers);
    let pages = state.pages();
    let Some(form) = state.service.form(id) else {
        return answer::unknown_form(format, &pages);
    };
    let form = &*form;
    let timeout = state.settings.body_read_timeout;
    let (format, submission) =
        match read_submission(&parts.headers, body, timeout, format, &pages).await {
            Ok(read) => read,
            Err(answer) => return answer,
        };
    let token = submission.first("token");
    if !is_token(token) {
        return answer::unknown_token(format, &pages, form, action);
    }
    let now = state.now();
    match action {
        Action::Confirm => match state.service.confirm(form, token, now).await {
            Ok(Some(registration)) => answer::confirmed(format, &pages, form, &registration),
            Ok(None) => answer::unknown_token(format, &pages, form, action),
            Err(error) => answer::store_failed(format, &pages, None, &error),
        },
        Action::Withdraw => match state.service.withdraw(form, token, now).await {
            Ok(true) => answer::withdrawn(format, &pages, form),
            Ok(false) => answer::unknown_token(format, &pages, form, action),
            Err(error) => answer::store_failed(format, &pages, None, &error),
        },
    }
}

async fn not_found<S: Store + 'static, M: Mailer + 'static>(
    State(state): State<AppState<S, M>>,
    headers: HeaderMap,
) -> Response {
    let pages = state.pages();
    match Format::for_request(&headers) {
        Format::Json => answer::json_error(StatusCode::NOT_FOUND, "Nie ma takiego adresu."),
        Format::Html => answer::html(StatusCode::NOT_FOUND, pages.not_found()),
    }
}

async fn method_not_allowed<S: Store + 'static, M: Mailer + 'static>(
    State(state): State<AppState<S, M>>,
    headers: HeaderMap,
) -> Response {
    // axum adds the `Allow` header listing the methods of the path.
    let message = "Ten adres nie obsługuje takiego żądania.";
    match Format::for_request(&headers) {
        Format::Json => answer::json_error(StatusCode::METHOD_NOT_ALLOWED, message),
        Format::Html => answer::html(
            StatusCode::METHOD_NOT_ALLOWED,
            state
                .pages()
                .simple_page("Niedozwolone żądanie", &format!("<p>{message}</p>")),
        ),
    }
}

/// A path's parameters; ones that do not decode (`%FF`) name no form.
fn path_param<T: Default>(path: Result<Path<T>, PathRejection>) -> T {
    path.map(|Path(value)| value).unwrap_or_default()
}

/// A reference as [`agora_core::registration::new_reference`] makes them.
fn is_reference(text: &str) -> bool {
    let letter = |b: &u8| b"ABCDEFGHJKMNPQRSTUVWXYZ23456789".contains(b);
    let bytes = text.as_bytes();
    bytes.len() == 9
        && bytes[4] == b'-'
        && bytes[..4].iter().all(letter)
        && bytes[5..].iter().all(letter)
}

/// A token as [`agora_core::registration::new_token`] makes them (URL-safe
/// base64); anything else cannot be one and is not looked up.
fn is_token(text: &str) -> bool {
    (20..=100).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_from_another_moment_runs_on() {
        let start = DateTime::parse_from_rfc3339("2020-03-05T12:00:00Z")
            .expect("a time")
            .with_timezone(&Utc);
        let clock = clock_from(start);
        let first = clock();
        assert!((first - start).num_seconds().abs() < 2, "starts at {first}");
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock() > first, "and runs on");
    }
}
