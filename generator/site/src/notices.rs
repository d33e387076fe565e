//! The site's legal notices: the privacy notice (`/polityka-prywatnosci/`),
//! which lists every form with its purpose, legal basis, data, recipients
//! and retention as its form file declares them, and what the staff
//! workspace keeps (part `panel`, for a site with `panel:`), and the accessibility
//! statement (`/deklaracja-dostepnosci/`). Both are Markdown pages that
//! place the facts with the `privacy` and `accessibility` shortcodes.
//!
//! The facts come from `agora.yaml` (`privacy:`, `accessibility:`) and
//! the forms. A fact the configuration does not give is never guessed: the
//! page shows a marked placeholder, „[do uzupełnienia: …]”, and `agora
//! check` warns, naming the key to fill in.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use agora_core::forms::html::PRIVACY_POLICY_PATH;
use agora_core::forms::privacy::{notice_anchor, LegalBasis};
use agora_core::forms::{Allocation, FormDefinition, FORMS_DIR};
use agora_core::panel::sessions::COOKIE;
use agora_core::panel::Timeouts;
use agora_core::polish::{count_pl, date_pl};
use agora_core::service::RATE_WINDOW_MINUTES;
use agora_core::store::REQUEST_COUNTS_KEPT_DAYS;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::config::{Config, CONFIG_FILE, DEFAULT_AUDIT_DAYS};
use crate::content::CONTENT_DIR;
use crate::diagnostics::Diagnostic;
use crate::markdown::Rendered;
use crate::model::{Content, Document};
use crate::shortcodes::ShortcodeCall;

/// The shortcode that places the privacy notice's facts.
pub const PRIVACY_SHORTCODE: &str = "privacy";
/// The shortcode that places the accessibility statement's facts.
pub const ACCESSIBILITY_SHORTCODE: &str = "accessibility";
/// The parts of each (`part="…"`).
pub const PRIVACY_PARTS: &[&str] = &["controller", "dpo", "forms", "antispam", "panel"];
pub const ACCESSIBILITY_PARTS: &[&str] = &[
    "dates",
    "prepared",
    "contact",
    "architecture",
    "sign_language",
];

/// Who a person or body is and how to reach them; any key may be left
/// out, and is then a placeholder where a notice needs it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub name: Option<String>,
    pub address: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// One who receives the data of forms: a processor (the cloud provider,
/// the e-mail service) or a third party (an ambassador). Forms name it by
/// its key in `privacy.recipients`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientConfig {
    /// Who it is, in Polish.
    pub name: String,
    /// What it does with the data, where, and on what terms, in Polish.
    pub role: String,
}

/// `privacy:` in `agora.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyConfig {
    /// The controller: its own address and e-mail, not a programme's inbox.
    #[serde(default)]
    pub controller: Party,
    /// The data protection officer.
    #[serde(default)]
    pub dpo: Party,
    /// Recipients by key, for the forms' `recipients:`.
    #[serde(default)]
    pub recipients: BTreeMap<String, RecipientConfig>,
    /// How long backups keep what the forms erased (DynamoDB's
    /// point-in-time recovery: 35 days).
    pub backup_days: Option<u32>,
}

/// `accessibility:` in `agora.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessibilityConfig {
    /// The date the website was first published (`2020-02-19`).
    pub site_published: Option<String>,
    /// The date of the website's last significant update.
    pub site_updated: Option<String>,
    /// The person who handles accessibility requests.
    #[serde(default)]
    pub contact: Party,
    /// How accessible the office's building is, in Polish.
    pub architecture: Option<String>,
    /// Or a page that says so.
    pub architecture_url: Option<String>,
    /// Whether and how a Polish Sign Language (PJM) interpreter can be had,
    /// in Polish.
    pub sign_language: Option<String>,
}

/// A fact a notice shows: its value, or the placeholder shown instead.
#[derive(Debug, Clone, Serialize)]
pub struct Fact {
    pub value: Option<String>,
    /// „[do uzupełnienia: …]”.
    pub missing: String,
}

/// The facts a notice takes from `agora.yaml`: key, what it is (in
/// Polish, for the placeholder), and the shortcode part that shows it.
const FACTS: &[(&str, &str, &str, &str)] = &[
    (
        PRIVACY_SHORTCODE,
        "controller",
        "privacy.controller.name",
        "nazwa administratora",
    ),
    (
        PRIVACY_SHORTCODE,
        "controller",
        "privacy.controller.address",
        "adres pocztowy administratora",
    ),
    (
        PRIVACY_SHORTCODE,
        "controller",
        "privacy.controller.email",
        "adres e-mail administratora",
    ),
    (
        PRIVACY_SHORTCODE,
        "dpo",
        "privacy.dpo.email",
        "adres e-mail inspektora ochrony danych",
    ),
    (
        PRIVACY_SHORTCODE,
        "dpo",
        "privacy.dpo.address",
        "adres pocztowy inspektora ochrony danych",
    ),
    (
        PRIVACY_SHORTCODE,
        "forms",
        "privacy.backup_days",
        "jak długo kopie zapasowe przechowują usunięte dane",
    ),
    (
        ACCESSIBILITY_SHORTCODE,
        "dates",
        "accessibility.site_published",
        "data publikacji strony internetowej",
    ),
    (
        ACCESSIBILITY_SHORTCODE,
        "dates",
        "accessibility.site_updated",
        "data ostatniej istotnej aktualizacji strony internetowej",
    ),
    (
        ACCESSIBILITY_SHORTCODE,
        "contact",
        "accessibility.contact.name",
        "imię i nazwisko osoby kontaktowej",
    ),
    (
        ACCESSIBILITY_SHORTCODE,
        "contact",
        "accessibility.contact.email",
        "adres e-mail osoby kontaktowej",
    ),
    (
        ACCESSIBILITY_SHORTCODE,
        "contact",
        "accessibility.contact.phone",
        "numer telefonu osoby kontaktowej",
    ),
    (
        ACCESSIBILITY_SHORTCODE,
        "architecture",
        "accessibility.architecture",
        "opis dostępności architektonicznej siedziby urzędu albo adres strony z takim opisem",
    ),
    (
        ACCESSIBILITY_SHORTCODE,
        "sign_language",
        "accessibility.sign_language",
        "informacja o tłumaczu polskiego języka migowego (PJM)",
    ),
];

impl Config {
    /// The value of a fact of [`FACTS`], if `agora.yaml` gives it.
    fn fact_value(&self, key: &str) -> Option<String> {
        let privacy = &self.privacy;
        let a11y = &self.accessibility;
        let value = match key {
            "privacy.controller.name" => privacy.controller.name.clone(),
            "privacy.controller.address" => privacy.controller.address.clone(),
            "privacy.controller.email" => privacy.controller.email.clone(),
            "privacy.dpo.email" => privacy.dpo.email.clone(),
            "privacy.dpo.address" => privacy.dpo.address.clone(),
            "privacy.backup_days" => privacy.backup_days.map(|n| n.to_string()),
            "accessibility.site_published" => a11y.site_published.clone(),
            "accessibility.site_updated" => a11y.site_updated.clone(),
            "accessibility.contact.name" => a11y.contact.name.clone(),
            "accessibility.contact.email" => a11y.contact.email.clone(),
            "accessibility.contact.phone" => a11y.contact.phone.clone(),
            "accessibility.architecture" => a11y
                .architecture
                .clone()
                .or_else(|| a11y.architecture_url.clone()),
            "accessibility.sign_language" => a11y.sign_language.clone(),
            _ => None,
        };
        value.filter(|v| !v.trim().is_empty())
    }

    /// A fact of [`FACTS`] as a notice shows it.
    fn fact(&self, key: &str) -> Fact {
        let what = FACTS
            .iter()
            .find(|(_, _, k, _)| *k == key)
            .map_or(key, |(_, _, _, what)| *what);
        Fact {
            value: self.fact_value(key),
            missing: format!("[do uzupełnienia: {what}]"),
        }
    }
}

/// Checks the notices' keys of `agora.yaml`: dates are dates.
pub(crate) fn check_config(config: &Config, file: &Path) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for key in ["accessibility.site_published", "accessibility.site_updated"] {
        if let Some(text) = config.fact_value(key) {
            if parse_date(&text).is_none() {
                problems.push(
                    Diagnostic::new(file, format!("`{key}: {text}` is not a date"))
                        .at_line(config.line_of(key))
                        .hint("write the date as 2020-02-19, or leave the key empty until it is known"),
                );
            }
        }
    }
    problems
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// The 1-based line of every key of a YAML text by its dotted path
/// (`privacy.dpo.email`), for mapping keys written in block style; keys
/// inside list items are left out.
pub(crate) fn key_lines(text: &str) -> BTreeMap<String, usize> {
    let mut lines = BTreeMap::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        if content.starts_with('-') {
            // A list item: its keys belong to no dotted path.
            stack.push((indent, String::new()));
            continue;
        }
        let Some((key, _)) = content.split_once(':') else {
            continue;
        };
        let key = key.trim().trim_matches('"');
        if stack.iter().any(|(_, k)| k.is_empty()) {
            stack.push((indent, String::new()));
            continue;
        }
        let path = stack
            .iter()
            .map(|(_, k)| k.as_str())
            .chain([key])
            .collect::<Vec<_>>()
            .join(".");
        lines.entry(path).or_insert(index + 1);
        stack.push((indent, key.to_owned()));
    }
    lines
}

/// Every `privacy` and `accessibility` shortcode of the site, with the
/// document it is in.
fn notice_calls<'a>(
    content: &'a Content,
    page_html: &'a [std::sync::Arc<Rendered>],
    section_html: &'a [std::sync::Arc<Rendered>],
) -> impl Iterator<Item = (&'a Document, &'a ShortcodeCall)> {
    let docs = content
        .sections
        .iter()
        .map(|s| &s.doc)
        .zip(section_html)
        .chain(content.pages.iter().map(|p| &p.doc).zip(page_html));
    docs.flat_map(|(doc, rendered)| {
        rendered
            .shortcodes
            .iter()
            .filter(|c| c.name == PRIVACY_SHORTCODE || c.name == ACCESSIBILITY_SHORTCODE)
            .map(move |call| (doc, call))
    })
}

/// What `agora check` fails on: a form naming a recipient `agora.yaml`
/// does not define; a privacy page that does not list the forms, or does
/// not describe the staff workspace of a site with `panel:`; an
/// accessibility statement without the dates it is prepared and reviewed.
pub fn check(
    config: &Config,
    content: &Content,
    page_html: &[std::sync::Arc<Rendered>],
    section_html: &[std::sync::Arc<Rendered>],
) -> Vec<Diagnostic> {
    let mut problems = undefined_recipients(config, content);
    let calls: Vec<(&Document, &ShortcodeCall)> =
        notice_calls(content, page_html, section_html).collect();
    for required in required_parts(config, content) {
        problems.extend(part_not_placed(content, &calls, required));
    }
    for (doc, call) in &calls {
        problems.extend(part_missing(doc, call));
        problems.extend(statement_dates(doc, call));
    }
    problems
}

/// Every recipient a form names that `privacy.recipients` does not define.
fn undefined_recipients(config: &Config, content: &Content) -> Vec<Diagnostic> {
    let defined = &config.privacy.recipients;
    let known = if defined.is_empty() {
        "none yet".to_owned()
    } else {
        defined
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let named = content
        .forms
        .iter()
        .flat_map(|form| form.privacy.recipients.iter().map(move |r| (form, r)));
    named
        .filter(|(_, recipient)| !defined.contains_key(&recipient.key))
        .map(|(form, recipient)| {
            Diagnostic::new(
                form_file(form),
                format!(
                    "the recipient `{}` is not defined in {CONFIG_FILE}",
                    recipient.key
                ),
            )
            .at_line(recipient.line)
            .hint(format!(
                "define it under `privacy.recipients` in {CONFIG_FILE} (`name:` who it is, `role:` what it does with the data), or name one of: {known}"
            ))
        })
        .collect()
}

/// A part the privacy page must place, for what the site collects.
struct RequiredPart {
    part: &'static str,
    /// What the page leaves out, for the editor.
    problem: String,
    /// What to add, and what it shows.
    hint: &'static str,
}

/// The parts the privacy page must place: the forms' part when the site
/// has forms, the workspace's part when `agora.yaml` has `panel:`.
fn required_parts(config: &Config, content: &Content) -> Vec<RequiredPart> {
    let mut parts = Vec::new();
    if !content.forms.is_empty() {
        parts.push(RequiredPart {
            part: "forms",
            problem: format!(
                "the privacy page does not list the forms ({} in {CONTENT_DIR}/{FORMS_DIR}/)",
                content.forms.len()
            ),
            hint: "add a line `{{ privacy part=\"forms\" }}` where the notice describes the forms: it shows each form's purpose, legal basis, data, recipients and retention from its file",
        });
    }
    if config.key_lines.contains_key("panel") {
        parts.push(RequiredPart {
            part: "panel",
            problem: format!(
                "the privacy page does not describe the staff workspace (`panel:` in {CONFIG_FILE})"
            ),
            hint: "add a line `{{ privacy part=\"panel\" }}` where the notice describes the staff's data: it shows what the workspace keeps (sign-in links, sessions, the audit log) and for how long",
        });
    }
    parts
}

/// The privacy page, when it does not place `required` with
/// `{{ privacy part="…" }}`.
fn part_not_placed(
    content: &Content,
    calls: &[(&Document, &ShortcodeCall)],
    required: RequiredPart,
) -> Option<Diagnostic> {
    let places_it = |doc: &Document| {
        calls.iter().any(|(d, call)| {
            d.path == doc.path
                && call.name == PRIVACY_SHORTCODE
                && call.args.get("part").map(String::as_str) == Some(required.part)
        })
    };
    let doc = content
        .pages
        .iter()
        .map(|p| &p.doc)
        .chain(content.sections.iter().map(|s| &s.doc))
        .find(|doc| doc.path == PRIVACY_POLICY_PATH)
        .filter(|doc| !places_it(doc))?;
    Some(
        Diagnostic::new(&doc.file, required.problem)
            .at_line(first_text_line(doc))
            .hint(required.hint),
    )
}

/// A notice shortcode without the `part` it places.
fn part_missing(doc: &Document, call: &ShortcodeCall) -> Option<Diagnostic> {
    if call.args.contains_key("part") {
        return None;
    }
    let (name, parts) = if call.name == PRIVACY_SHORTCODE {
        (PRIVACY_SHORTCODE, PRIVACY_PARTS)
    } else {
        (ACCESSIBILITY_SHORTCODE, ACCESSIBILITY_PARTS)
    };
    Some(
        Diagnostic::new(&doc.file, format!("the `{name}` shortcode needs `part`"))
            .at_line(call.line)
            .hint(format!(
                "write {{{{ {name} part=\"…\" }}}} with one of: {}",
                parts.join(", ")
            )),
    )
}

/// The dates of the accessibility statement, where it says when it was
/// prepared: both given, in order.
fn statement_dates(doc: &Document, call: &ShortcodeCall) -> Option<Diagnostic> {
    let prepared = call.name == ACCESSIBILITY_SHORTCODE
        && call.args.get("part").map(String::as_str) == Some("prepared");
    if !prepared {
        return None;
    }
    match (doc.published, doc.updated) {
        (Some(published), Some(updated)) if updated < published => Some(
            Diagnostic::new(
                &doc.file,
                format!("`updated: {updated}` is before `published: {published}`"),
            )
            .at_line(doc.line_of("updated"))
            .hint("`published` is when the statement was first prepared, `updated` when it was last reviewed"),
        ),
        (Some(_), Some(_)) => None,
        _ => Some(
            Diagnostic::new(
                &doc.file,
                "the accessibility statement needs the dates it was prepared (`published:`) and last reviewed (`updated:`) in its front matter",
            )
            .at_line(call.line)
            .hint("take them from the file's history (`git log --follow --format=%as -- <file>`): the first commit that wrote the statement, and the last that changed what it says"),
        ),
    }
}

/// What `agora check` warns about: every fact a page shows as a
/// placeholder, at its key in `agora.yaml`.
pub fn warnings(
    config: &Config,
    content: &Content,
    page_html: &[std::sync::Arc<Rendered>],
    section_html: &[std::sync::Arc<Rendered>],
) -> Vec<Diagnostic> {
    let mut warned = BTreeSet::new();
    let mut warnings = Vec::new();
    for (doc, call) in notice_calls(content, page_html, section_html) {
        let part = call.args.get("part").map_or("", String::as_str);
        let missing = FACTS.iter().filter(|(name, p, key, _)| {
            *name == call.name && *p == part && config.fact_value(key).is_none()
        });
        for (_, _, key, _) in missing {
            if !warned.insert(*key) {
                continue;
            }
            let line = config.line_of(key);
            warnings.push(
                Diagnostic::new(
                    CONFIG_FILE,
                    format!(
                        "`{key}` is not set: {} shows „{}” in its place",
                        doc.file.display(),
                        config.fact(key).missing
                    ),
                )
                .at_line(line)
                .hint(format!(
                    "fill it in {CONFIG_FILE} with the fact from whoever knows it (README.md, \"Site configuration\"); never guess it"
                )),
            );
        }
    }
    warnings
}

/// The line of a document's first text after its front matter.
fn first_text_line(doc: &Document) -> usize {
    let blank = doc
        .body
        .lines()
        .take_while(|line| line.trim().is_empty())
        .count();
    doc.body_line + blank
}

fn form_file(form: &FormDefinition) -> PathBuf {
    Path::new(CONTENT_DIR)
        .join(FORMS_DIR)
        .join(format!("{}.yaml", form.id))
}

// ---------------------------------------------------------------------------
// What the shortcodes' templates see

/// A recipient as the notice names it.
#[derive(Debug, Serialize)]
pub struct RecipientView<'a> {
    pub name: &'a str,
    pub role: &'a str,
}

/// A field or a box, as the notice lists what a form collects.
#[derive(Debug, Serialize)]
pub struct ItemView<'a> {
    pub label: &'a str,
    pub required: bool,
}

/// A box of a form: an acknowledgement of the notice (a required box on a
/// form whose basis is not consent) or a consent.
#[derive(Debug, Serialize)]
pub struct BoxView<'a> {
    pub text: &'a str,
    pub version: &'a str,
    pub required: bool,
    /// A consent, with its own basis (art. 6(1)(a)), to be withdrawn at will.
    pub consent: bool,
}

/// One form in the privacy notice.
#[derive(Debug, Serialize)]
pub struct FormNoticeView<'a> {
    pub id: &'a str,
    /// The id of its part of the privacy page; the form's RODO line links here.
    pub anchor: String,
    pub title: &'a str,
    pub purpose: &'a str,
    pub basis: LegalBasis,
    /// "art. 6 ust. 1 lit. e RODO".
    pub basis_article: &'static str,
    /// "wykonanie zadania realizowanego w interesie publicznym".
    pub basis_name: &'static str,
    pub basis_detail: Option<&'a str>,
    pub fields: Vec<ItemView<'a>>,
    pub boxes: Vec<BoxView<'a>>,
    pub recipients: Vec<RecipientView<'a>>,
    pub retention_days: u32,
    /// "365 dni".
    pub retention_pl: String,
    pub double_opt_in: bool,
    pub lottery: bool,
    /// The page that shows the form, if one does.
    pub page_url: Option<String>,
}

/// What the `privacy` shortcode sees.
#[derive(Debug, Serialize)]
pub struct PrivacyView<'a> {
    pub controller: PartyFacts,
    pub dpo: PartyFacts,
    pub forms: Vec<FormNoticeView<'a>>,
    /// "35 dni", or a placeholder.
    pub backups: Fact,
    /// The rate limit's window, in minutes.
    pub rate_window_minutes: i64,
    /// How long request counts are kept: "1 dzień".
    pub rate_counts_kept_pl: String,
    /// What the staff workspace keeps, when the site has one (`panel:`).
    pub panel: Option<PanelNoticeView>,
}

/// What the privacy notice says of the staff workspace: the periods the
/// code keeps (its default [`Timeouts`]) and the configured audit period,
/// each as a Polish phrase after "przez".
#[derive(Debug, Serialize)]
pub struct PanelNoticeView {
    /// The session cookie's name.
    pub cookie: &'static str,
    /// How long a sign-in link works: "15 minut".
    pub link_pl: String,
    /// A session unused this long ends: "30 minut".
    pub idle_pl: String,
    /// A session ends this long after sign-in: "10 godzin".
    pub absolute_pl: String,
    /// How long the audit log keeps a line: `panel.audit_days`, or the
    /// default the workspace keeps while it is not set.
    pub audit_pl: String,
}

impl PanelNoticeView {
    /// The workspace's facts, for a site whose `agora.yaml` has `panel:`
    /// (as `config::panel_warnings` decides).
    fn of(config: &Config) -> Option<Self> {
        if !config.key_lines.contains_key("panel") {
            return None;
        }
        let timeouts = Timeouts::default();
        let audit_days = config.panel.audit_days.unwrap_or(DEFAULT_AUDIT_DAYS);
        Some(Self {
            cookie: COOKIE,
            link_pl: duration_pl(timeouts.link),
            idle_pl: duration_pl(timeouts.idle),
            absolute_pl: duration_pl(timeouts.absolute),
            audit_pl: days_pl(i64::from(audit_days)),
        })
    }
}

/// A period for "przez …": whole hours as hours, else minutes.
fn duration_pl(period: Duration) -> String {
    let minutes = period.num_minutes();
    if minutes % 60 == 0 {
        count_pl(minutes / 60, "godzinę", "godziny", "godzin")
    } else {
        count_pl(minutes, "minutę", "minuty", "minut")
    }
}

/// A party's facts, each a value or a placeholder.
#[derive(Debug, Serialize)]
pub struct PartyFacts {
    pub name: Fact,
    pub address: Fact,
    pub email: Fact,
    pub phone: Fact,
}

impl PartyFacts {
    fn of(config: &Config, prefix: &str) -> Self {
        let fact = |key: &str| config.fact(&format!("{prefix}.{key}"));
        Self {
            name: fact("name"),
            address: fact("address"),
            email: fact("email"),
            phone: fact("phone"),
        }
    }
}

fn days_pl(n: i64) -> String {
    count_pl(n, "dzień", "dni", "dni")
}

impl<'a> PrivacyView<'a> {
    pub fn new(
        config: &'a Config,
        content: &'a Content,
        page_of: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let forms = content
            .forms
            .iter()
            .map(|form| form_view(config, form, page_of(&form.id)))
            .collect();
        let mut backups = config.fact("privacy.backup_days");
        backups.value = config.privacy.backup_days.map(|n| days_pl(i64::from(n)));
        Self {
            controller: PartyFacts::of(config, "privacy.controller"),
            dpo: PartyFacts::of(config, "privacy.dpo"),
            forms,
            backups,
            rate_window_minutes: RATE_WINDOW_MINUTES,
            rate_counts_kept_pl: days_pl(REQUEST_COUNTS_KEPT_DAYS),
            panel: PanelNoticeView::of(config),
        }
    }
}

fn form_view<'a>(
    config: &'a Config,
    form: &'a FormDefinition,
    page_url: Option<String>,
) -> FormNoticeView<'a> {
    let privacy = &form.privacy;
    let basis = privacy.legal_basis;
    FormNoticeView {
        id: &form.id,
        anchor: notice_anchor(&form.id),
        title: &form.title,
        purpose: &privacy.purpose,
        basis,
        basis_article: basis.article_pl(),
        basis_name: basis.name_pl(),
        basis_detail: privacy.legal_basis_detail.as_deref(),
        fields: form
            .fields
            .iter()
            .map(|f| ItemView {
                label: &f.label,
                required: f.required,
            })
            .collect(),
        boxes: form
            .consents
            .iter()
            .map(|c| BoxView {
                text: c.text.trim(),
                version: &c.version,
                required: c.required,
                consent: !c.required || basis == LegalBasis::Consent,
            })
            .collect(),
        // Unknown keys fail `check`; a page is never rendered with one.
        recipients: privacy
            .recipients
            .iter()
            .filter_map(|r| config.privacy.recipients.get(&r.key))
            .map(|r| RecipientView {
                name: &r.name,
                role: &r.role,
            })
            .collect(),
        retention_days: form.retention_days,
        retention_pl: days_pl(i64::from(form.retention_days)),
        double_opt_in: form.double_opt_in,
        lottery: form.allocation == Allocation::Lottery,
        page_url,
    }
}

/// What the `accessibility` shortcode sees.
#[derive(Debug, Serialize)]
pub struct AccessibilityView<'a> {
    pub site_published: Fact,
    pub site_updated: Fact,
    /// The statement's own dates, from its front matter: `YYYY-MM-DD`,
    /// and in Polish words.
    pub prepared: Option<String>,
    pub prepared_pl: Option<String>,
    pub reviewed: Option<String>,
    pub reviewed_pl: Option<String>,
    pub contact: PartyFacts,
    pub architecture: Fact,
    pub architecture_text: Option<&'a str>,
    pub architecture_url: Option<&'a str>,
    pub sign_language: Fact,
}

impl<'a> AccessibilityView<'a> {
    /// `doc`: the statement, whose front matter holds its own dates.
    pub fn new(config: &'a Config, doc: Option<&Document>) -> Self {
        let a11y = &config.accessibility;
        let prepared = doc.and_then(|d| d.published);
        let reviewed = doc.and_then(|d| d.updated);
        Self {
            site_published: config.fact("accessibility.site_published"),
            site_updated: config.fact("accessibility.site_updated"),
            prepared: prepared.map(|d| d.to_string()),
            prepared_pl: prepared.map(date_pl),
            reviewed: reviewed.map(|d| d.to_string()),
            reviewed_pl: reviewed.map(date_pl),
            contact: PartyFacts::of(config, "accessibility.contact"),
            architecture: config.fact("accessibility.architecture"),
            architecture_text: a11y
                .architecture
                .as_deref()
                .filter(|t| !t.trim().is_empty()),
            architecture_url: a11y
                .architecture_url
                .as_deref()
                .filter(|t| !t.trim().is_empty()),
            sign_language: config.fact("accessibility.sign_language"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_by_their_dotted_path() {
        let text = "\
title: A
# privacy: in a comment
privacy:
  controller:
    name: Gmina
    # address: to fill in
    address:
  dpo:
    email: iod@example.org
menu:
  - title: Kontakt
    url: /kontakt/
accessibility:
  contact:
    name:
";
        let lines = key_lines(text);
        assert_eq!(lines.get("privacy.controller.name"), Some(&5));
        assert_eq!(lines.get("privacy.controller.address"), Some(&7));
        assert_eq!(lines.get("privacy.dpo.email"), Some(&9));
        assert_eq!(lines.get("accessibility.contact.name"), Some(&15));
        assert_eq!(lines.get("menu.title"), None);
    }

    #[test]
    fn the_workspaces_periods_read_after_przez() {
        assert_eq!(duration_pl(Duration::minutes(15)), "15 minut");
        assert_eq!(duration_pl(Duration::minutes(2)), "2 minuty");
        assert_eq!(duration_pl(Duration::hours(10)), "10 godzin");
        assert_eq!(duration_pl(Duration::hours(1)), "1 godzinę");
    }

    #[test]
    fn days_take_the_polish_plural() {
        assert_eq!(days_pl(1), "1 dzień");
        assert_eq!(days_pl(35), "35 dni");
        assert_eq!(days_pl(365), "365 dni");
    }
}
