//! The checks in front of every page and action of the workspace: the
//! session cookie, the role, the CSRF token and the request's origin.
//! Handlers take them as extractors: [`SignedPage`] or [`OfficePage`] for
//! a page (a GET), [`SignedAction`] or [`OfficeAction`] for an action (a
//! POST, whose form carries the CSRF token). Each check's refusal is the
//! request's answer (a redirect to the sign-in page, a 403), given before
//! the handler runs: a large `Err` that never travels further.
#![allow(clippy::result_large_err)]

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use axum::Form;
use cookie::{Cookie, SameSite};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use agora_core::mail::Mailer;
use agora_core::panel::sessions::COOKIE;
use agora_core::panel::{PanelStore, Role, SignedIn, Timeouts};
use agora_core::routes;
use agora_core::store::{Store, StoreError};

use super::{answer, store_failed, PanelState};

/// A request in a live session: who, and the cookie's secret (the CSRF
/// token is derived from it).
pub(crate) struct Signed {
    pub(crate) who: SignedIn,
    pub(crate) secret: String,
}

/// A page (a GET) for anyone signed in.
pub(crate) struct SignedPage(pub(crate) Signed);

/// A page (a GET) for office staff only.
pub(crate) struct OfficePage(pub(crate) Signed);

/// An action (a POST) of anyone signed in, with its form's `fields`
/// besides the CSRF token. The last argument of its handler: it reads
/// the body.
pub(crate) struct SignedAction<T = NoFields>(pub(crate) Signed, pub(crate) T);

/// An action (a POST) of office staff only; see [`SignedAction`].
pub(crate) struct OfficeAction<T = NoFields>(pub(crate) Signed, pub(crate) T);

/// The fields of a form that holds nothing but the CSRF token.
#[derive(Debug, Deserialize)]
pub(crate) struct NoFields {}

/// A posted form: the hidden field every form that changes something
/// carries, and the form's own fields.
#[derive(Debug, Deserialize)]
struct Posted<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: T,
}

impl<S, M> FromRequestParts<PanelState<S, M>> for SignedPage
where
    S: Store + PanelStore + 'static,
    M: Mailer + 'static,
{
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &PanelState<S, M>,
    ) -> Result<Self, Response> {
        reading_only(state, parts)?;
        page(state, &parts.headers).await.map(Self)
    }
}

impl<S, M> FromRequestParts<PanelState<S, M>> for OfficePage
where
    S: Store + PanelStore + 'static,
    M: Mailer + 'static,
{
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &PanelState<S, M>,
    ) -> Result<Self, Response> {
        let SignedPage(signed) = SignedPage::from_request_parts(parts, state).await?;
        office_only(state, signed).map(Self)
    }
}

/// A page's guard answers only requests that change nothing: a handler
/// that changes something takes an action's guard, with its CSRF and
/// origin checks.
fn reading_only<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    parts: &Parts,
) -> Result<(), Response> {
    if parts.method == Method::GET || parts.method == Method::HEAD {
        Ok(())
    } else {
        Err(forbidden(state))
    }
}

impl<S, M, T> FromRequest<PanelState<S, M>> for SignedAction<T>
where
    S: Store + PanelStore + 'static,
    M: Mailer + 'static,
    T: DeserializeOwned + Send,
{
    type Rejection = Response;

    /// Who may post is settled from the headers before the body is read:
    /// another site's request or one without a session never gets as far
    /// as the form's parser. A body that is not the page's form gets a
    /// Polish page, not the parser's message.
    async fn from_request(request: Request, state: &PanelState<S, M>) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        if !same_origin(&parts.headers, &state.service.settings().public_url) {
            return Err(forbidden(state));
        }
        let signed = page(state, &parts.headers).await?;
        let request = Request::from_parts(parts, body);
        let Ok(Form(posted)) = Form::<Posted<T>>::from_request(request, state).await else {
            let page = state.pages().unreadable_form();
            return Err(answer::html(StatusCode::BAD_REQUEST, page));
        };
        if !state.access.csrf_matches(&signed.secret, &posted.csrf) {
            return Err(forbidden(state));
        }
        Ok(Self(signed, posted.fields))
    }
}

impl<S, M, T> FromRequest<PanelState<S, M>> for OfficeAction<T>
where
    S: Store + PanelStore + 'static,
    M: Mailer + 'static,
    T: DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &PanelState<S, M>) -> Result<Self, Response> {
        let SignedAction(signed, fields) = SignedAction::from_request(request, state).await?;
        office_only(state, signed).map(|signed| Self(signed, fields))
    }
}

/// The session cookie's secret, if the request carries one.
fn cookie_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .filter(|secret| !secret.is_empty())
}

/// The live session of the request, if any.
pub(crate) async fn session<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    headers: &HeaderMap,
) -> Result<Option<Signed>, StoreError> {
    let Some(secret) = cookie_secret(headers) else {
        return Ok(None);
    };
    let who = state.access.signed_in(&secret, state.now()).await?;
    Ok(who.map(|who| Signed { who, secret }))
}

/// A page for anyone signed in; without a session, the way to sign in.
async fn page<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    headers: &HeaderMap,
) -> Result<Signed, Response> {
    match session(state, headers).await {
        Ok(Some(signed)) => Ok(signed),
        Ok(None) => Err(answer::see_other(routes::PANEL_SIGN_IN)),
        Err(error) => Err(store_failed(state, &error)),
    }
}

fn office_only<S: Store + PanelStore, M: Mailer>(
    state: &PanelState<S, M>,
    signed: Signed,
) -> Result<Signed, Response> {
    if signed.who.account.role == Role::Office {
        Ok(signed)
    } else {
        Err(forbidden(state))
    }
}

pub(crate) fn forbidden<S: Store + PanelStore, M: Mailer>(state: &PanelState<S, M>) -> Response {
    answer::html(StatusCode::FORBIDDEN, state.pages().forbidden())
}

/// Whether a POST comes from a page of ours. A browser names where a
/// request comes from in `Sec-Fetch-Site` (all current ones) or at least in
/// `Origin`; a request with neither is no cross-site browser request (a
/// script of another site cannot remove them), and the session's CSRF
/// token still guards every action.
///
/// `Origin` is compared with the site's public address (behind CloudFront
/// the request's `Host` is the API's own) and with `Host` (`agora serve`).
pub(crate) fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return site == "same-origin" || site == "none";
    }
    let Some(origin) = text("origin") else {
        return true;
    };
    let Some(from) = authority(origin) else {
        return false;
    };
    let host = text("host").unwrap_or_default();
    from == host.to_ascii_lowercase() || authority(public_url).as_deref() == Some(from.as_str())
}

/// The `host[:port]` of an absolute address.
fn authority(url: &str) -> Option<String> {
    let uri = url.parse::<Uri>().ok()?;
    uri.authority().map(|a| a.as_str().to_ascii_lowercase())
}

/// Sets the session cookie: `__Host-` (Secure, `Path=/`, no `Domain`),
/// HttpOnly (no script reads it), SameSite=Strict (no other site's link
/// or form sends it), ending with the session's absolute timeout.
pub(crate) fn set_session_cookie(response: &mut Response, secret: &str, timeouts: &Timeouts) {
    let max_age = cookie::time::Duration::seconds(timeouts.absolute.num_seconds());
    let cookie = Cookie::build((COOKIE, secret.to_owned()))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(max_age)
        .build();
    append_cookie(response, &cookie);
}

/// Tells the browser to forget the session cookie.
pub(crate) fn clear_session_cookie(response: &mut Response) {
    let cookie = Cookie::build((COOKIE, ""))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(cookie::time::Duration::ZERO)
        .build();
    append_cookie(response, &cookie);
}

fn append_cookie(response: &mut Response, cookie: &Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    /// The site's public address; behind CloudFront the API's `Host` differs.
    const SITE: &str = "https://bo.example";

    fn allowed(pairs: &[(&'static str, &'static str)]) -> bool {
        same_origin(&headers(pairs), SITE)
    }

    #[test]
    fn only_our_own_pages_may_post() {
        assert!(allowed(&[("sec-fetch-site", "same-origin")]));
        assert!(!allowed(&[("sec-fetch-site", "cross-site")]));
        assert!(!allowed(&[("sec-fetch-site", "same-site")]));
        // Browsers without Sec-Fetch-Site: the Origin decides.
        assert!(allowed(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080")
        ]));
        assert!(allowed(&[
            ("origin", "https://bo.example"),
            ("host", "api.execute-api.example")
        ]));
        assert!(!allowed(&[
            ("origin", "https://zly.example"),
            ("host", "api.execute-api.example")
        ]));
        assert!(!allowed(&[
            ("origin", "https://bo.example.zly.example"),
            ("host", "x")
        ]));
        assert!(!allowed(&[("origin", "null"), ("host", "bo.example")]));
        assert!(allowed(&[]), "not a browser's cross-site request");
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let secret = cookie_secret(&headers(&[(
            "cookie",
            "a=1; __Host-agora-panel=s3cret; b=2",
        )]));
        assert_eq!(secret.as_deref(), Some("s3cret"));
        assert_eq!(
            cookie_secret(&headers(&[("cookie", "agora-panel=x")])),
            None
        );
        assert_eq!(
            cookie_secret(&headers(&[("cookie", "__Host-agora-panel=")])),
            None
        );
    }

    #[test]
    fn the_cookie_is_host_only_secure_http_only_and_strict() {
        let mut response = Response::new(axum::body::Body::empty());
        set_session_cookie(&mut response, "s3cret", &Timeouts::default());
        let set = response.headers()[header::SET_COOKIE]
            .to_str()
            .expect("text");
        for part in [
            "__Host-agora-panel=s3cret",
            "Path=/",
            "Secure",
            "HttpOnly",
            "SameSite=Strict",
            "Max-Age=36000",
        ] {
            assert!(set.contains(part), "{part} in {set}");
        }
        assert!(!set.contains("Domain"), "{set}");
    }
}
