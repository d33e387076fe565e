//! Every answer the router gives, JSON or an HTML page, with its status
//! and headers. No answer carries internals (error texts of the store,
//! panics); nothing here logs personal data or bodies.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::body::{BodyError, ContentKind};
use super::pages::{self, Pages};
use super::{Action, UNAVAILABLE_RETRY_SECONDS};
use agora_core::forms::STARTED_FIELD;
use agora_core::forms::{FormDefinition, Moment, Submission};
use agora_core::registration::Registration;
use agora_core::store::StoreError;

const JSON: &str = "application/json; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
/// Pages are self-contained: an inline stylesheet, no scripts, forms
/// posting to this host only.
const PAGE_POLICY: &str = crate::security_headers::API.content_security_policy;

/// How the client wants its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Html,
}

impl Format {
    /// How to answer a body of this kind: a browser's form gets a page.
    pub(crate) fn of_body(kind: ContentKind) -> Self {
        match kind {
            ContentKind::UrlEncoded => Self::Html,
            ContentKind::Json => Self::Json,
        }
    }

    /// A browser's form (urlencoded) or a browser (`Accept: text/html`)
    /// gets pages; JSON bodies and everything else get JSON.
    pub(crate) fn for_request(headers: &HeaderMap) -> Self {
        match ContentKind::of(headers) {
            Some(kind) => Self::of_body(kind),
            None => {
                let accept = headers
                    .get(header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if accept.contains("text/html") {
                    Self::Html
                } else {
                    Self::Json
                }
            }
        }
    }
}

fn with_headers(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// A form's public status: the same for everyone, so it may be cached.
pub(crate) fn public_status<T: Serialize>(value: &T) -> Response {
    let mut response = json(StatusCode::OK, value);
    if response.status() == StatusCode::OK {
        let cache = format!("public, max-age={}", super::STATUS_MAX_AGE_SECONDS);
        if let Ok(value) = HeaderValue::from_str(&cache) {
            response.headers_mut().insert(header::CACHE_CONTROL, value);
        }
    }
    response
}

pub(crate) fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => with_headers(status, JSON, Body::from(bytes)),
        Err(_) => with_headers(
            StatusCode::INTERNAL_SERVER_ERROR,
            JSON,
            Body::from(r#"{"error":"Wystąpił błąd."}"#),
        ),
    }
}

pub(crate) fn json_error(status: StatusCode, message: &str) -> Response {
    json(status, &serde_json::json!({ "error": message }))
}

pub(crate) fn html(status: StatusCode, page: String) -> Response {
    let mut response = with_headers(status, HTML, Body::from(page));
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_POLICY),
    );
    response
}

pub(crate) fn see_other(location: &str) -> Response {
    let mut response = with_headers(StatusCode::SEE_OTHER, HTML, Body::empty());
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// A file to save (`Content-Disposition: attachment`), never kept by a
/// cache on the way. The name keeps only letters, digits, `.`, `-` and
/// `_` of `filename` (anything else becomes `_`): no quote or line break
/// can reach the header.
pub(crate) fn download(bytes: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let mut response = with_headers(StatusCode::OK, content_type, Body::from(bytes));
    let disposition = format!("attachment; filename=\"{}\"", safe_filename(filename));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn safe_filename(name: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    name.chars()
        .map(|c| if safe(c) { c } else { '_' })
        .collect()
}

fn retry_after(mut response: Response, seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

pub(crate) fn unknown_form(format: Format, pages: &Pages<'_>) -> Response {
    match format {
        Format::Json => json_error(StatusCode::NOT_FOUND, "Nie ma takiego formularza."),
        Format::Html => html(StatusCode::NOT_FOUND, pages.unknown_form()),
    }
}

pub(crate) fn unsupported_type(format: Format, pages: &Pages<'_>) -> Response {
    let message = "Wyślij zgłoszenie jako application/x-www-form-urlencoded (formularz) albo application/json.";
    match format {
        Format::Json => json_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, message),
        Format::Html => html(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            pages.message("Nieobsługiwany format zgłoszenia", message),
        ),
    }
}

pub(crate) fn too_large(format: Format, pages: &Pages<'_>) -> Response {
    let message = "Zgłoszenie jest zbyt duże (najwyżej 64 KiB). Skróć najdłuższe odpowiedzi i wyślij je ponownie.";
    match format {
        Format::Json => json_error(StatusCode::PAYLOAD_TOO_LARGE, message),
        Format::Html => html(
            StatusCode::PAYLOAD_TOO_LARGE,
            pages.message("Zgłoszenie jest zbyt duże", message),
        ),
    }
}

pub(crate) fn malformed(format: Format, pages: &Pages<'_>, error: &BodyError) -> Response {
    let message = match error {
        BodyError::BadJson => "Treść zgłoszenia nie jest poprawnym JSON-em.",
        BodyError::WrongJsonShape => {
            "Zgłoszenie w JSON-ie musi być obiektem, którego wartości są tekstami, wartościami logicznymi, liczbami albo listami tekstów."
        }
        BodyError::BadUrlEncoding => "Treść zgłoszenia nie jest poprawnie zakodowana.",
        BodyError::TooLarge | BodyError::Unreadable => "Nie udało się odczytać zgłoszenia.",
    };
    match format {
        Format::Json => json_error(StatusCode::BAD_REQUEST, message),
        Format::Html => html(
            StatusCode::BAD_REQUEST,
            pages.message("Nie udało się odczytać zgłoszenia", message),
        ),
    }
}

/// `408`: the body did not arrive in time (see
/// [`super::HttpSettings::body_read_timeout`]); the connection is closed,
/// as the rest of the body may still come.
pub(crate) fn body_timed_out(format: Format, pages: &Pages<'_>) -> Response {
    let message = "Zgłoszenie nie dotarło do nas w całości: połączenie było zbyt wolne albo się przerwało. Nic nie zostało zapisane – wyślij je ponownie.";
    let mut response = match format {
        Format::Json => json_error(StatusCode::REQUEST_TIMEOUT, message),
        Format::Html => html(
            StatusCode::REQUEST_TIMEOUT,
            pages.message("Zgłoszenie nie dotarło w całości", message),
        ),
    };
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// `403`: the form is not open yet; not `422`, nothing in the
/// submission is wrong.
pub(crate) fn not_open_yet(
    format: Format,
    pages: &Pages<'_>,
    form: &FormDefinition,
    submission: &Submission,
    opens: Moment,
) -> Response {
    match format {
        Format::Json => json(
            StatusCode::FORBIDDEN,
            &serde_json::json!({
                "error": format!("Nabór jeszcze się nie rozpoczął: zgłoszenia przyjmujemy od {}.", opens.pl()),
                "opens": opens.machine(),
            }),
        ),
        Format::Html => html(
            StatusCode::FORBIDDEN,
            pages.not_open_yet(form, submission, opens),
        ),
    }
}

pub(crate) fn closed(
    format: Format,
    pages: &Pages<'_>,
    form: &FormDefinition,
    closes: Option<Moment>,
) -> Response {
    match format {
        Format::Json => json(
            StatusCode::FORBIDDEN,
            &serde_json::json!({
                "error": pages::closed_text(form, closes),
                "closes": closes.map(|closes| closes.machine()),
            }),
        ),
        Format::Html => html(StatusCode::FORBIDDEN, pages.closed(form, closes)),
    }
}

/// `410 Gone`: the recruitment was called off for good.
pub(crate) fn cancelled(format: Format, pages: &Pages<'_>, form: &FormDefinition) -> Response {
    match format {
        Format::Json => json(
            StatusCode::GONE,
            &serde_json::json!({ "error": pages::cancelled_text(form) }),
        ),
        Format::Html => html(StatusCode::GONE, pages.cancelled(form)),
    }
}

/// `422`: sent without a fill-time stamp; nothing was stored. The form
/// comes back as typed with a stamp (JSON: `started_at`, for the script).
pub(crate) fn send_again(
    format: Format,
    pages: &Pages<'_>,
    form: &FormDefinition,
    submission: &Submission,
) -> Response {
    match format {
        Format::Json => json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &serde_json::json!({
                "errors": [{ "field": STARTED_FIELD, "message": pages::SEND_AGAIN }],
                "started_at": submission.first(STARTED_FIELD),
            }),
        ),
        Format::Html => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages.send_again(form, submission),
        ),
    }
}

pub(crate) fn rate_limited(
    format: Format,
    pages: &Pages<'_>,
    form: &FormDefinition,
    submission: &Submission,
    seconds: u64,
) -> Response {
    let response = match format {
        Format::Json => json(
            StatusCode::TOO_MANY_REQUESTS,
            &serde_json::json!({
                "error": format!("Zbyt wiele zgłoszeń z tego adresu. Nic nie zostało zapisane; spróbuj ponownie za {}.", pages::minutes_pl(seconds)),
                "retry_after": seconds,
            }),
        ),
        Format::Html => html(
            StatusCode::TOO_MANY_REQUESTS,
            pages.rate_limited(form, submission, seconds),
        ),
    };
    retry_after(response, seconds)
}

/// The store failed. Unavailable: `503`, nothing was saved, try again.
/// Anything else is a bug or damaged data: a generic `500`. Only the kind
/// of failure is logged: a store's message could quote stored values.
pub(crate) fn store_failed(
    format: Format,
    pages: &Pages<'_>,
    form: Option<(&FormDefinition, &Submission)>,
    error: &StoreError,
) -> Response {
    eprintln!("agora: {}", failure_log_line(error));
    match error {
        StoreError::Unavailable(_) | StoreError::Refused { .. } => {
            let response = match format {
                Format::Json => json_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Chwilowo nie możemy niczego zapisać. Nic nie zostało zapisane – spróbuj ponownie za około pół minuty.",
                ),
                Format::Html => html(StatusCode::SERVICE_UNAVAILABLE, pages.unavailable(form)),
            };
            retry_after(response, UNAVAILABLE_RETRY_SECONDS)
        }
        StoreError::ReferenceTaken | StoreError::Corrupt(_) => internal_error(format, pages),
    }
}

/// What the log says of a store's failure: its kind and, for a refusal,
/// the operation and the error code (a role missing a permission shows as
/// `AccessDeniedException` on the call that needs it), never a message.
pub(crate) fn failure_log_line(error: &StoreError) -> String {
    match error {
        StoreError::Refused {
            operation, code, ..
        } => format!("the store refused {operation} ({code}); answered 503"),
        StoreError::Unavailable(_) => "the store is unavailable; answered 503".to_owned(),
        StoreError::ReferenceTaken => {
            "the store failed (no free reference); answered 500".to_owned()
        }
        StoreError::Corrupt(_) => "the store failed (corrupt data); answered 500".to_owned(),
    }
}

pub(crate) fn unknown_token(
    format: Format,
    pages: &Pages<'_>,
    form: &FormDefinition,
    action: Action,
) -> Response {
    match format {
        Format::Json => json_error(
            StatusCode::NOT_FOUND,
            "Nie znaleźliśmy zgłoszenia dla tego linku.",
        ),
        Format::Html => html(StatusCode::NOT_FOUND, pages.unknown_token(form, action)),
    }
}

pub(crate) fn confirmed(
    format: Format,
    pages: &Pages<'_>,
    form: &FormDefinition,
    registration: &Registration,
) -> Response {
    match format {
        Format::Json => json(
            StatusCode::OK,
            &serde_json::json!({
                "reference": registration.reference,
                "status": registration.status,
                "position": registration.position,
            }),
        ),
        Format::Html => html(StatusCode::OK, pages.confirmed(form, registration)),
    }
}

pub(crate) fn withdrawn(format: Format, pages: &Pages<'_>, form: &FormDefinition) -> Response {
    match format {
        Format::Json => json(StatusCode::OK, &serde_json::json!({ "withdrawn": true })),
        Format::Html => html(StatusCode::OK, pages.withdrawn(form)),
    }
}

/// Marks the answer to a panic, to be worded by [`internal_error`] once
/// the request's format is known.
#[derive(Debug, Clone, Copy)]
struct Panicked;

pub(crate) fn panicked_marker() -> Response {
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(Panicked);
    response
}

pub(crate) fn is_panicked(response: &Response) -> bool {
    response.extensions().get::<Panicked>().is_some()
}

/// A generic `500`: no detail of what failed.
pub(crate) fn internal_error(format: Format, pages: &Pages<'_>) -> Response {
    match format {
        Format::Json => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Wystąpił błąd po naszej stronie. Spróbuj ponownie za chwilę.",
        ),
        Format::Html => html(StatusCode::INTERNAL_SERVER_ERROR, pages.internal_error()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_names_a_safe_file_and_is_not_cached() {
        let response = download(
            b"x".to_vec(),
            "text/plain; charset=utf-8",
            "a\"b\r\nc/ż.txt",
        );
        let headers = response.headers();
        assert_eq!(
            headers[header::CONTENT_DISPOSITION],
            "attachment; filename=\"a_b__c__.txt\""
        );
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(headers[header::CONTENT_TYPE], "text/plain; charset=utf-8");
        assert!(headers.get(header::CONTENT_SECURITY_POLICY).is_none());
    }

    #[test]
    fn a_refusal_is_logged_with_its_operation_and_code_and_nothing_else() {
        let refused = StoreError::Refused {
            operation: "DynamoDB Query".to_owned(),
            code: "AccessDeniedException".to_owned(),
            message: "not authorized to perform dynamodb:Query for anna@example.pl".to_owned(),
        };
        assert_eq!(
            failure_log_line(&refused),
            "the store refused DynamoDB Query (AccessDeniedException); answered 503"
        );
        let unavailable = StoreError::Unavailable("refused by 10.0.0.7 for anna@example.pl".into());
        assert!(!failure_log_line(&unavailable).contains("anna"));
        assert!(!failure_log_line(&StoreError::Corrupt("anna@example.pl".into())).contains("anna"));
    }
}
