//! The security headers CloudFront sends (`infra/template.yaml`: the
//! response headers policies `SiteHeaders` and `ApiHeaders`, their CSP in
//! the `Csp` mapping) are those `agora serve` sends
//! (`agora_functions::security_headers`): one definition, checked here, so
//! that an edit of either side that forgets the other fails.

use std::collections::BTreeMap;
use std::path::Path;

use agora_functions::security_headers::{SecurityHeaders, API, SITE};
use serde_yaml::Value;

fn template() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    let text = std::fs::read_to_string(&path).expect("infra/template.yaml is readable");
    serde_yaml::from_str(&text).expect("infra/template.yaml is YAML")
}

fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(value, |value, key| {
        value
            .get(*key)
            .unwrap_or_else(|| panic!("infra/template.yaml has no {}", path.join(".")))
    })
}

fn text<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value:?}"))
}

/// `!FindInMap [Csp, Site, Policy]` read from the template's mappings.
fn find_in_map<'a>(template: &'a Value, value: &'a Value) -> &'a str {
    let Value::Tagged(tagged) = value else {
        return text(value, "the value");
    };
    assert_eq!(tagged.tag, "FindInMap", "{value:?}");
    let keys: Vec<&str> = tagged
        .value
        .as_sequence()
        .expect("FindInMap takes a list")
        .iter()
        .map(|key| text(key, "a FindInMap key"))
        .collect();
    let mut path = vec!["Mappings"];
    path.extend(keys);
    text(at(template, &path), "the mapped value")
}

/// What the policy makes CloudFront send: header name to value.
fn sent(template: &Value, policy: &str) -> BTreeMap<String, String> {
    let config = at(
        template,
        &[
            "Resources",
            policy,
            "Properties",
            "ResponseHeadersPolicyConfig",
        ],
    );
    let security = at(config, &["SecurityHeadersConfig"])
        .as_mapping()
        .expect("SecurityHeadersConfig is a mapping");
    let mut headers = BTreeMap::new();
    for (name, settings) in security {
        let name = text(name, "a security header");
        // The answers' own values would be kept otherwise.
        assert_eq!(
            settings.get("Override").and_then(Value::as_bool),
            Some(true),
            "{policy}.{name} must override what the origin sends"
        );
        let (header, value) = match name {
            "ContentSecurityPolicy" => (
                "content-security-policy",
                find_in_map(template, at(settings, &["ContentSecurityPolicy"])).to_owned(),
            ),
            "FrameOptions" => (
                "x-frame-options",
                text(at(settings, &["FrameOption"]), "FrameOption").to_owned(),
            ),
            "ReferrerPolicy" => (
                "referrer-policy",
                text(at(settings, &["ReferrerPolicy"]), "ReferrerPolicy").to_owned(),
            ),
            "ContentTypeOptions" => ("x-content-type-options", "nosniff".to_owned()),
            "StrictTransportSecurity" => {
                let flag = |key: &str| settings.get(key).and_then(Value::as_bool) == Some(true);
                let mut value = format!(
                    "max-age={}",
                    at(settings, &["AccessControlMaxAgeSec"])
                        .as_u64()
                        .expect("a number of seconds")
                );
                if flag("IncludeSubdomains") {
                    value.push_str("; includeSubDomains");
                }
                if flag("Preload") {
                    value.push_str("; preload");
                }
                ("strict-transport-security", value)
            }
            other => panic!(
                "{policy} sets {other}, which agora_functions::security_headers does not know: add it there"
            ),
        };
        headers.insert(header.to_owned(), value);
    }
    if let Some(custom) = config.get("CustomHeadersConfig") {
        for item in at(custom, &["Items"])
            .as_sequence()
            .expect("Items is a list")
        {
            headers.insert(
                text(at(item, &["Header"]), "a custom header").to_ascii_lowercase(),
                text(at(item, &["Value"]), "a custom header's value").to_owned(),
            );
        }
    }
    headers
}

fn defined(headers: &SecurityHeaders) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = [
        ("content-security-policy", headers.content_security_policy),
        ("x-frame-options", headers.frame_options),
        ("referrer-policy", headers.referrer_policy),
        ("x-content-type-options", headers.content_type_options),
        (
            "strict-transport-security",
            headers.strict_transport_security,
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    if let Some(value) = headers.permissions_policy {
        map.insert("permissions-policy".to_owned(), value.to_owned());
    }
    map
}

#[test]
fn the_site_headers_are_cloudfronts() {
    assert_eq!(sent(&template(), "SiteHeaders"), defined(&SITE));
}

#[test]
fn the_api_headers_are_cloudfronts() {
    assert_eq!(sent(&template(), "ApiHeaders"), defined(&API));
}

#[test]
fn agora_serve_sends_them_all_but_hsts() {
    for (policy, headers) in [("SiteHeaders", SITE), ("ApiHeaders", API)] {
        let mut answer = axum::http::HeaderMap::new();
        answer.insert(
            "content-security-policy",
            "default-src *".parse().expect("a value"),
        );
        headers.set_plain_http(&mut answer);
        let mut expected = sent(&template(), policy);
        expected.remove("strict-transport-security");
        let got: BTreeMap<String, String> = answer
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    value.to_str().expect("a text header").to_owned(),
                )
            })
            .collect();
        assert_eq!(
            got, expected,
            "{policy}: the template's values replace the answer's"
        );
    }
}
