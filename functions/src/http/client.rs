//! The client's network address, for the per-address rate limit (only
//! its salted hash is kept).

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use lambda_http::request::RequestContext;

/// With `address_header` (a CDN in front that names the viewer, such as
/// CloudFront's `CloudFront-Viewer-Address`): the address in that header.
/// Else, under Lambda: the source address API Gateway saw. Under `agora
/// serve`: the address the connection came from, or, when a trusted proxy
/// is in front, the address that proxy appended to `X-Forwarded-For` (the
/// last entry: the earlier ones are whatever the client wrote).
pub(crate) fn address(parts: &Parts, trusted_proxy: bool, address_header: Option<&str>) -> String {
    if let Some(address) = address_header.and_then(|name| viewer_address(parts, name)) {
        return address;
    }
    if let Some(address) = parts
        .extensions
        .get::<RequestContext>()
        .and_then(gateway_source)
    {
        return address;
    }
    if trusted_proxy {
        if let Some(address) = forwarded_for(parts) {
            return address;
        }
    }
    if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        return peer.ip().to_string();
    }
    "unknown".to_owned()
}

fn gateway_source(context: &RequestContext) -> Option<String> {
    let source = match context {
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.as_deref(),
        RequestContext::ApiGatewayV1(context) => context.identity.source_ip.as_deref(),
        _ => None,
    };
    source
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `198.51.100.7:46532`, `2001:db8::1:46532` or a bare address: the IP.
fn viewer_address(parts: &Parts, name: &str) -> Option<String> {
    let value = parts.headers.get(name)?.to_str().ok()?.trim();
    let ip = value
        .parse::<IpAddr>()
        .ok()
        .or_else(|| value.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| value.rsplit_once(':')?.0.parse::<IpAddr>().ok())?;
    Some(ip.to_string())
}

fn forwarded_for(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|hop| !hop.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(forwarded: Option<&str>, peer: Option<&str>) -> Parts {
        with_viewer(forwarded, peer, None)
    }

    fn with_viewer(forwarded: Option<&str>, peer: Option<&str>, viewer: Option<&str>) -> Parts {
        let mut builder = axum::http::Request::builder();
        if let Some(forwarded) = forwarded {
            builder = builder.header("x-forwarded-for", forwarded);
        }
        if let Some(viewer) = viewer {
            builder = builder.header("cloudfront-viewer-address", viewer);
        }
        let (mut parts, ()) = builder.body(()).expect("a request").into_parts();
        if let Some(peer) = peer {
            parts
                .extensions
                .insert(ConnectInfo(peer.parse::<SocketAddr>().expect("an address")));
        }
        parts
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let request = parts(Some("203.0.113.9, 198.51.100.7"), Some("127.0.0.1:4000"));
        assert_eq!(address(&request, false, None), "127.0.0.1");
        assert_eq!(address(&request, true, None), "198.51.100.7");
        assert_eq!(address(&parts(None, Some("[::1]:80")), true, None), "::1");
        assert_eq!(address(&parts(None, None), false, None), "unknown");
    }

    #[test]
    fn a_named_viewer_header_counts_only_when_configured() {
        const HEADER: Option<&str> = Some("CloudFront-Viewer-Address");
        let peer = Some("127.0.0.1:4000");
        for (viewer, ip) in [
            ("198.51.100.7:46532", "198.51.100.7"),
            ("2001:db8::1:46532", "2001:db8::1"),
            ("[2001:db8::2]:443", "2001:db8::2"),
            ("203.0.113.5", "203.0.113.5"),
        ] {
            let request = with_viewer(None, peer, Some(viewer));
            assert_eq!(address(&request, false, HEADER), ip, "{viewer}");
            assert_eq!(address(&request, false, None), "127.0.0.1", "{viewer}");
        }
        // Garbage in the header: the connection's address, not the text.
        let request = with_viewer(None, peer, Some("anna@example.pl"));
        assert_eq!(address(&request, false, HEADER), "127.0.0.1");
    }
}
