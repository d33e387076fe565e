//! Shortcodes: a line holding only `{{ name key="value" }}` places a piece
//! of the theme (`shortcodes/name.html`) inside a page. Markdown rendering
//! leaves a placeholder; the render stage fills it in, once the whole site
//! (every event, every data file) is known.

use std::collections::BTreeMap;

use crate::notices;

/// The shortcodes the theme provides and the arguments each accepts, with
/// the values allowed (an empty list allows any value).
const KNOWN: &[(&str, &[Argument])] = &[
    (
        "events",
        &[("when", &["upcoming", "past", "all"]), ("tag", &[])],
    ),
    ("ambassadors", &[]),
    ("form", &[("id", &[])]),
    (
        notices::PRIVACY_SHORTCODE,
        &[("part", notices::PRIVACY_PARTS)],
    ),
    (
        notices::ACCESSIBILITY_SHORTCODE,
        &[("part", notices::ACCESSIBILITY_PARTS)],
    ),
];

/// An argument's name and its allowed values.
type Argument = (&'static str, &'static [&'static str]);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortcodeCall {
    pub name: String,
    pub args: BTreeMap<String, String>,
    pub line: usize,
}

impl ShortcodeCall {
    /// The HTML comment that stands for call number `index` until rendering.
    pub fn placeholder(index: usize) -> String {
        format!("<!--agora-shortcode-{index}-->")
    }
}

/// Reads a shortcode line. `Ok(None)`: the line is no shortcode.
pub fn parse_line(line: &str, line_number: usize) -> Result<Option<ShortcodeCall>, String> {
    let Some(inner) = line
        .trim()
        .strip_prefix("{{")
        .and_then(|rest| rest.strip_suffix("}}"))
    else {
        return Ok(None);
    };
    let inner = inner.trim();
    let name_end = inner
        .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
        .unwrap_or(inner.len());
    let (name, mut rest) = inner.split_at(name_end);
    if name.is_empty() {
        return Err(
            "a shortcode line must start with the shortcode's name: {{ events }}".to_owned(),
        );
    }
    let Some((_, allowed_args)) = KNOWN.iter().find(|(known, _)| *known == name) else {
        let names: Vec<&str> = KNOWN.iter().map(|(known, _)| *known).collect();
        return Err(format!(
            "unknown shortcode `{name}`; the theme provides: {}",
            names.join(", ")
        ));
    };
    let mut args = BTreeMap::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let (key, after_key) = rest.split_once("=\"").ok_or_else(|| {
            format!("cannot read the arguments `{rest}`: write them as key=\"value\"")
        })?;
        let (value, after_value) = after_key
            .split_once('"')
            .ok_or_else(|| format!("the value of `{key}` has no closing quote"))?;
        let Some((_, allowed_values)) = allowed_args.iter().find(|(arg, _)| *arg == key) else {
            let keys: Vec<&str> = allowed_args.iter().map(|(arg, _)| *arg).collect();
            return Err(format!(
                "`{name}` takes no argument `{key}`; it takes: {}",
                keys.join(", ")
            ));
        };
        if !allowed_values.is_empty() && !allowed_values.contains(&value) {
            return Err(format!(
                "`{key}=\"{value}\"` is not allowed; `{key}` is one of: {}",
                allowed_values.join(", ")
            ));
        }
        if args.insert(key.to_owned(), value.to_owned()).is_some() {
            return Err(format!("the argument `{key}` is given twice"));
        }
        rest = after_value;
    }
    Ok(Some(ShortcodeCall {
        name: name.to_owned(),
        args,
        line: line_number,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_call_with_arguments() {
        let call = parse_line(r#"{{ events when="all" tag="Wspólne Projekty" }}"#, 7)
            .expect("valid")
            .expect("a shortcode");
        assert_eq!(call.name, "events");
        assert_eq!(call.args["when"], "all");
        assert_eq!(call.args["tag"], "Wspólne Projekty");
        assert_eq!(call.line, 7);
    }

    #[test]
    fn other_lines_are_not_shortcodes() {
        assert_eq!(
            parse_line("Zwykły tekst {{ events }} w zdaniu", 1),
            Ok(None)
        );
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(parse_line("{{ evnts }}", 1)
            .expect_err("unknown")
            .contains("unknown shortcode `evnts`"));
        assert!(parse_line(r#"{{ events when="soon" }}"#, 1)
            .expect_err("bad value")
            .contains("upcoming"));
        assert!(parse_line(r#"{{ events limit="3" }}"#, 1)
            .expect_err("bad arg")
            .contains("no argument `limit`"));
        assert!(parse_line(r#"{{ events when=all }}"#, 1)
            .expect_err("unquoted")
            .contains("key=\"value\""));
    }
}
