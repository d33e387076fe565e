//! The site configuration, `agora.yaml` at the site root.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::path::Path;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::diagnostics::{line_of_key, Diagnostic};
use crate::notices::{self, AccessibilityConfig, PrivacyConfig};
use crate::yaml;

pub use agora_core::panel::access::DEFAULT_AUDIT_DAYS;

pub const CONFIG_FILE: &str = "agora.yaml";

/// Where page slugs come from when a page has no explicit `slug`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SlugSource {
    #[default]
    File,
    Title,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuItem {
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: String,
    description: String,
    base_url: String,
    #[serde(default = "default_language")]
    language: String,
    #[serde(default = "default_theme")]
    theme: String,
    #[serde(default = "default_timezone")]
    timezone: String,
    #[serde(default = "default_news_per_page")]
    news_per_page: usize,
    #[serde(default)]
    slugs_from: SlugSource,
    #[serde(default)]
    menu: Vec<MenuItem>,
    #[serde(default)]
    contact: Contact,
    #[serde(default)]
    privacy: PrivacyConfig,
    #[serde(default)]
    accessibility: AccessibilityConfig,
    #[serde(default)]
    panel: PanelConfig,
    #[serde(default)]
    extra: BTreeMap<String, serde_json::Value>,
}

/// The days `panel.audit_days` may give: at least a day (a log kept for
/// none is no log), at most ten years (the stack's `PanelAuditDays`
/// parameter refuses more).
pub const AUDIT_DAYS: RangeInclusive<u32> = 1..=3650;

/// The staff workspace (`/panel/`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelConfig {
    /// The office accounts: the work addresses of the programme's office,
    /// canonical once loaded. Reviewed in pull requests like any content.
    #[serde(default)]
    pub office: Vec<String>,
    /// How many days the audit log keeps a line: the programme's records
    /// policy says, the sources do not.
    pub audit_days: Option<u32>,
}

fn default_language() -> String {
    "pl".to_owned()
}
fn default_theme() -> String {
    "default".to_owned()
}
fn default_timezone() -> String {
    "Europe/Warsaw".to_owned()
}
fn default_news_per_page() -> usize {
    10
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub title: String,
    pub description: String,
    /// Without a trailing slash: `https://example.org` or `https://example.org/sub`.
    pub base_url: String,
    /// The path part of `base_url` with a trailing slash (`/` or `/sub/`):
    /// every root-relative URL of the site starts with it.
    pub base_path: String,
    pub language: String,
    pub theme: String,
    pub timezone: Tz,
    pub news_per_page: usize,
    pub slugs_from: SlugSource,
    pub menu: Vec<MenuItem>,
    /// The 1-based line of each menu entry's `url` in `agora.yaml`, for link errors.
    pub menu_lines: Vec<Option<usize>>,
    pub contact: Contact,
    /// The privacy notice's facts (`notices.rs`).
    pub privacy: PrivacyConfig,
    /// The accessibility statement's facts.
    pub accessibility: AccessibilityConfig,
    pub panel: PanelConfig,
    /// The line of each key of `agora.yaml` by its dotted path
    /// (`privacy.dpo.email`), for warnings about facts left to fill in.
    pub key_lines: BTreeMap<String, usize>,
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Config {
    pub fn load(root: &Path) -> Result<Self, Vec<Diagnostic>> {
        let path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|error| {
            vec![Diagnostic::io(&path, "read the site configuration", &error)
                .hint(format!("run agora in the site's folder or pass --root; the folder must hold {CONFIG_FILE}"))]
        })?;
        Self::parse(&text, Path::new(CONFIG_FILE))
    }

    pub fn parse(text: &str, file: &Path) -> Result<Self, Vec<Diagnostic>> {
        let raw: RawConfig =
            yaml::from_str(text, file, 0, "Site configuration").map_err(|d| vec![d])?;
        let mut problems = Vec::new();
        let at = |key: &str, message: String| {
            Diagnostic::new(file, message).at_line(line_of_key(text, key))
        };

        let timezone = raw.timezone.parse::<Tz>().unwrap_or_else(|_| {
            problems.push(
                at("timezone", format!("unknown time zone `{}`", raw.timezone))
                    .hint("use an IANA time zone name such as Europe/Warsaw"),
            );
            Tz::Europe__Warsaw
        });
        let (base_url, base_path) = Self::parse_base(&raw.base_url).unwrap_or_else(|| {
            problems.push(
                at(
                    "base_url",
                    format!("`{}` is not an absolute http(s) URL", raw.base_url),
                )
                .hint("write the address the site will be published at, e.g. https://example.org"),
            );
            (String::new(), "/".to_owned())
        });
        if raw.news_per_page == 0 {
            problems.push(at(
                "news_per_page",
                "news_per_page must be at least 1".to_owned(),
            ));
        }
        let panel = Self::check_panel(raw.panel, text, file, &mut problems);
        if !problems.is_empty() {
            return Err(problems);
        }
        let menu_lines = menu_url_lines(text, raw.menu.len());
        let config = Self {
            title: raw.title,
            description: raw.description,
            base_url,
            base_path,
            language: raw.language,
            theme: raw.theme,
            timezone,
            news_per_page: raw.news_per_page,
            slugs_from: raw.slugs_from,
            menu: raw.menu,
            menu_lines,
            contact: raw.contact,
            privacy: raw.privacy,
            accessibility: raw.accessibility,
            panel,
            key_lines: notices::key_lines(text),
            extra: raw.extra,
        };
        let problems = notices::check_config(&config, file);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// `panel:` with its office addresses in canonical form; each address
    /// that is not one, and an `audit_days` outside the stack's limits,
    /// is a problem on its line.
    fn check_panel(
        mut panel: PanelConfig,
        text: &str,
        file: &Path,
        problems: &mut Vec<Diagnostic>,
    ) -> PanelConfig {
        for (index, typed) in panel.office.iter_mut().enumerate() {
            match agora_core::forms::email::canonical(typed) {
                Ok(email) => *typed = email,
                Err(_) => problems.push(
                    Diagnostic::new(
                        file,
                        format!("panel.office: `{typed}` is not one e-mail address"),
                    )
                    .at_line(office_line(text, index))
                    .hint("list one bare work address per line, with no name or brackets, e.g. `- biuro@example.org`"),
                ),
            }
        }
        if let Some(days) = panel.audit_days.filter(|days| !AUDIT_DAYS.contains(days)) {
            let line = notices::key_lines(text).get("panel.audit_days").copied();
            problems.push(
                Diagnostic::new(
                    file,
                    format!(
                        "panel.audit_days: {days} is not between {} and {} days",
                        AUDIT_DAYS.start(),
                        AUDIT_DAYS.end()
                    ),
                )
                .at_line(line)
                .hint("write how many days the programme's records policy keeps the log of staff actions, e.g. `audit_days: 365`"),
            );
        }
        panel
    }

    /// The line of a key of `agora.yaml` by its dotted path; the line of
    /// the nearest key above it that is written, when it is not.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        let mut path = key;
        loop {
            if let Some(line) = self.key_lines.get(path) {
                return Some(*line);
            }
            path = path.rsplit_once('.')?.0;
        }
    }

    /// Replaces the base URL, as `--base-url` does.
    pub fn with_base_url(self, base_url: &str) -> Result<Self, Vec<Diagnostic>> {
        let mut config = self;
        let (base, path) = Self::parse_base(base_url).ok_or_else(|| {
            vec![Diagnostic::new(
                "--base-url",
                format!("`{base_url}` is not an absolute http(s) URL"),
            )]
        })?;
        config.base_url = base;
        config.base_path = path;
        Ok(config)
    }

    fn parse_base(base_url: &str) -> Option<(String, String)> {
        let base = base_url.trim_end_matches('/').to_owned();
        let (scheme, rest) = base.split_once("://")?;
        if !matches!(scheme, "http" | "https") || rest.is_empty() {
            return None;
        }
        let path = rest.find('/').map_or("", |i| &rest[i..]);
        let path = format!("{path}/");
        Some((base, path))
    }

    /// The absolute URL of a site path (`/kontakt/`).
    pub fn permalink(&self, path: &str) -> String {
        let origin_len = self.base_url.len() + 1 - self.base_path.len();
        format!(
            "{}{}",
            &self.base_url[..origin_len.min(self.base_url.len())],
            self.url(path)
        )
    }

    /// The root-relative URL of a site path, with the base path in front.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_path.trim_end_matches('/'), path)
    }
}

/// What `agora check` warns about the staff workspace's settings, when
/// `agora.yaml` has a `panel:` (a site without one does not use it).
pub fn panel_warnings(config: &Config) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    if !config.key_lines.contains_key("panel") {
        return warnings;
    }
    if config.panel.office.is_empty() {
        warnings.push(
            Diagnostic::new(CONFIG_FILE, "`panel.office` lists no address: nobody can sign in to the staff workspace (/panel/)")
                .at_line(config.line_of("panel.office"))
                .hint("list the office's work addresses under `panel:` → `office:`, one per line"),
        );
    }
    if config.panel.audit_days.is_none() {
        warnings.push(
            Diagnostic::new(
                CONFIG_FILE,
                format!("`panel.audit_days` is not set: the audit log keeps its lines for {DEFAULT_AUDIT_DAYS} days until it is"),
            )
            .at_line(config.line_of("panel.audit_days"))
            .hint("set the period the programme's records policy gives for the log of staff actions; never guess it"),
        );
    }
    warnings
}

/// The line of the `index`th address under `panel:` → `office:`.
fn office_line(text: &str, index: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip_while(|(_, line)| !line.starts_with("panel:"))
        .skip_while(|(_, line)| !line.trim_start().starts_with("office:"))
        .filter(|(_, line)| line.trim_start().starts_with("- "))
        .nth(index)
        .map(|(number, _)| number + 1)
}

/// Lines of the `url:` keys under `menu:`, in order.
fn menu_url_lines(text: &str, count: usize) -> Vec<Option<usize>> {
    let mut lines = text
        .lines()
        .enumerate()
        .skip_while(|(_, line)| !line.starts_with("menu:"))
        .filter(|(_, line)| {
            let trimmed = line.trim_start().trim_start_matches("- ");
            trimmed.starts_with("url:")
        })
        .map(|(index, _)| Some(index + 1))
        .take(count)
        .collect::<Vec<_>>();
    lines.resize(count, None);
    lines
}
