//! The security headers of the site and of the form functions, defined
//! once: CloudFront sends them in the cloud (`infra/template.yaml`, the
//! response headers policies `SiteHeaders` and `ApiHeaders` with the `Csp`
//! mapping), `agora serve` sends them itself. A test reads the template
//! and fails when it says anything else (`tests/security_headers.rs`).

use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// The headers one kind of answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecurityHeaders {
    pub content_security_policy: &'static str,
    /// `X-Frame-Options`, for browsers older than `frame-ancestors`.
    pub frame_options: &'static str,
    pub referrer_policy: &'static str,
    /// `X-Content-Type-Options`.
    pub content_type_options: &'static str,
    pub permissions_policy: Option<&'static str>,
    /// Sent over HTTPS only: see [`SecurityHeaders::set_plain_http`].
    pub strict_transport_security: &'static str,
}

/// Two years, subdomains included, not preloaded.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// The site's pages. They load only their own style.css, forms.js and
/// search.js, fetch JSON from their own origin and post their forms to
/// /api/: nothing inline, nothing from elsewhere. `agora serve`'s live
/// reload fits too: `/__agora/live.js` is a file of the same origin
/// (`script-src 'self'`), its events come from the same origin
/// (`connect-src 'self'`) and its dialog is styled through the CSSOM,
/// which `style-src` does not restrict.
pub const SITE: SecurityHeaders = SecurityHeaders {
    content_security_policy: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    frame_options: "DENY",
    referrer_policy: "strict-origin-when-cross-origin",
    content_type_options: "nosniff",
    permissions_policy: Some("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    strict_transport_security: HSTS,
};

/// The form functions' answers. Their pages (`http/pages.rs`) carry their
/// small stylesheet inline and no script at all; their links carry
/// tokens, which no referrer may pass on.
pub const API: SecurityHeaders = SecurityHeaders {
    content_security_policy: "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    frame_options: "DENY",
    referrer_policy: "no-referrer",
    content_type_options: "nosniff",
    permissions_policy: None,
    strict_transport_security: HSTS,
};

impl SecurityHeaders {
    /// Sets the headers of a server on plain HTTP (`agora serve`),
    /// replacing what the answer had, as CloudFront's policies do: all
    /// but `Strict-Transport-Security`, which browsers ignore over HTTP
    /// and which, were a proxy to pass it on over HTTPS, would pin the
    /// host name to HTTPS for two years, its other ports and subdomains
    /// included. Announcing HTTPS is for whatever serves HTTPS.
    pub fn set_plain_http(&self, headers: &mut HeaderMap) {
        let pairs = [
            (
                header::CONTENT_SECURITY_POLICY,
                self.content_security_policy,
            ),
            (header::X_FRAME_OPTIONS, self.frame_options),
            (header::REFERRER_POLICY, self.referrer_policy),
            (header::X_CONTENT_TYPE_OPTIONS, self.content_type_options),
        ];
        for (name, value) in pairs {
            headers.insert(name, HeaderValue::from_static(value));
        }
        if let Some(value) = self.permissions_policy {
            headers.insert(
                HeaderName::from_static("permissions-policy"),
                HeaderValue::from_static(value),
            );
        }
    }
}
