//! Reading a request body into a [`Submission`]: urlencoded (a browser
//! without JavaScript) or JSON, at most a given size, strictly decoded.

use axum::body::Body;
use axum::http::{header, HeaderMap};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use agora_core::forms::Submission;

/// The body types a submission may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContentKind {
    UrlEncoded,
    Json,
}

impl ContentKind {
    /// The kind named by `Content-Type`; `None` for any other (or none).
    pub(crate) fn of(headers: &HeaderMap) -> Option<Self> {
        let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
        let essence = value.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            Some(Self::UrlEncoded)
        } else if essence.eq_ignore_ascii_case("application/json") {
            Some(Self::Json)
        } else {
            None
        }
    }
}

/// Why a body could not be read; never holds the body itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BodyError {
    #[error("the body is too large")]
    TooLarge,
    #[error("the body could not be read")]
    Unreadable,
    #[error("the body is not valid urlencoded UTF-8")]
    BadUrlEncoding,
    #[error("the body is not valid JSON")]
    BadJson,
    #[error("the JSON body is not an object of strings, booleans, numbers or lists of strings")]
    WrongJsonShape,
}

/// Reads at most `limit` bytes; a `Content-Length` above it is refused
/// before reading.
pub(crate) async fn read(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            Err(BodyError::TooLarge)
        }
        Err(_) => Err(BodyError::Unreadable),
    }
}

pub(crate) fn parse(kind: ContentKind, bytes: &[u8]) -> Result<Submission, BodyError> {
    match kind {
        ContentKind::UrlEncoded => parse_urlencoded(bytes).map(Submission::from_pairs),
        ContentKind::Json => parse_json(bytes),
    }
}

/// `a=1&b=x+y%C5%BC`: `+` is a space, `%XX` a byte, the result UTF-8.
/// Unlike lenient decoders, a broken escape or invalid UTF-8 is an error.
pub(crate) fn parse_urlencoded(bytes: &[u8]) -> Result<Vec<(String, String)>, BodyError> {
    bytes
        .split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &b""[..]),
            };
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

fn decode(bytes: &[u8]) -> Result<String, BodyError> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&byte, tail)) = rest.split_first() {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let (high, low) = match tail {
                    [high, low, ..] => (hex(*high)?, hex(*low)?),
                    _ => return Err(BodyError::BadUrlEncoding),
                };
                out.push((high << 4) | low);
                rest = &tail[2..];
                continue;
            }
            other => out.push(other),
        }
        rest = tail;
    }
    String::from_utf8(out).map_err(|_| BodyError::BadUrlEncoding)
}

fn hex(digit: u8) -> Result<u8, BodyError> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
        .ok_or(BodyError::BadUrlEncoding)
}

/// An object whose values are strings, booleans (`true` is a ticked box,
/// `false` an unticked one), numbers, `null` (not given) or lists of
/// strings (a group of checkboxes).
fn parse_json(bytes: &[u8]) -> Result<Submission, BodyError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| BodyError::BadJson)?;
    let serde_json::Value::Object(object) = value else {
        return Err(BodyError::WrongJsonShape);
    };
    let mut pairs = Vec::new();
    for (name, value) in object {
        match value {
            serde_json::Value::String(text) => pairs.push((name, text)),
            serde_json::Value::Bool(true) => pairs.push((name, "true".to_owned())),
            serde_json::Value::Bool(false) | serde_json::Value::Null => {}
            serde_json::Value::Number(number) => pairs.push((name, number.to_string())),
            serde_json::Value::Array(items) => {
                for item in items {
                    match item {
                        serde_json::Value::String(text) => pairs.push((name.clone(), text)),
                        _ => return Err(BodyError::WrongJsonShape),
                    }
                }
            }
            serde_json::Value::Object(_) => return Err(BodyError::WrongJsonShape),
        }
    }
    Ok(Submission::from_pairs(pairs))
}

/// The first value of `name` in a query string, if it decodes.
pub(crate) fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    parse_urlencoded(query?.as_bytes())
        .ok()?
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_is_decoded_strictly() {
        assert_eq!(
            parse_urlencoded(b"full_name=Anna+%C5%BBak&empty=&flag&a=b%3Dc").expect("valid"),
            vec![
                ("full_name".to_owned(), "Anna Żak".to_owned()),
                ("empty".to_owned(), String::new()),
                ("flag".to_owned(), String::new()),
                ("a".to_owned(), "b=c".to_owned()),
            ]
        );
        for bad in [
            &b"a=%zz"[..],
            b"a=%4",
            b"a=%",
            b"a=%FF",
            b"a=%+1x",
            b"\xff=1",
        ] {
            assert_eq!(
                parse_urlencoded(bad),
                Err(BodyError::BadUrlEncoding),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn json_takes_strings_booleans_numbers_and_lists() {
        let submission = parse(
            ContentKind::Json,
            br#"{"name": "Anna", "ok": true, "no": false, "n": 12, "x": null, "topics": ["a", "b"]}"#,
        )
        .expect("valid");
        assert_eq!(submission.first("name"), "Anna");
        assert_eq!(submission.first("ok"), "true");
        assert_eq!(submission.first("no"), "");
        assert_eq!(submission.first("n"), "12");
        assert_eq!(submission.values["topics"], vec!["a", "b"]);
        assert_eq!(parse(ContentKind::Json, b"{"), Err(BodyError::BadJson));
        assert_eq!(
            parse(ContentKind::Json, b"[1]"),
            Err(BodyError::WrongJsonShape)
        );
        assert_eq!(
            parse(ContentKind::Json, br#"{"a": {"b": 1}}"#),
            Err(BodyError::WrongJsonShape)
        );
        assert_eq!(
            parse(ContentKind::Json, br#"{"a": [1]}"#),
            Err(BodyError::WrongJsonShape)
        );
    }

    #[test]
    fn content_types_are_recognised_with_parameters() {
        let headers = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(value),
            );
            headers
        };
        assert_eq!(
            ContentKind::of(&headers("application/x-www-form-urlencoded; charset=UTF-8")),
            Some(ContentKind::UrlEncoded)
        );
        assert_eq!(
            ContentKind::of(&headers("Application/JSON")),
            Some(ContentKind::Json)
        );
        assert_eq!(
            ContentKind::of(&headers("multipart/form-data; boundary=x")),
            None
        );
        assert_eq!(ContentKind::of(&HeaderMap::new()), None);
    }
}
