//! What the privacy notice says of a form: why its data is collected
//! (`purpose`), on which basis of the GDPR (`legal_basis`, with
//! `legal_basis_detail` naming the national law), and who receives it
//! (`recipients`: keys of `privacy.recipients` in `agora.yaml`, which the
//! generator resolves). Every form file declares them next to
//! `retention_days`, and the site's privacy page is rendered from them, so
//! that a form and its notice change in the same commit.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::definition::Consent;
use crate::diagnostics::Diagnostic;
use crate::yaml_lines::Lines;

/// The id of the privacy notice's part about form `form_id`, on the
/// privacy page: the form's RODO line links there.
pub fn notice_anchor(form_id: &str) -> String {
    format!("dane-osobowe-{form_id}")
}

/// A basis of art. 6(1) GDPR (RODO) a public body can rely on for a form.
/// Legitimate interests (f) are left out: art. 6(1) does not let public
/// authorities use it for their tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// (a) the person's consent.
    Consent,
    /// (b) a contract with the person, or steps at their request before one.
    Contract,
    /// (c) a legal obligation of the controller.
    LegalObligation,
    /// (e) a task carried out in the public interest or in the exercise of
    /// official authority.
    PublicTask,
}

impl LegalBasis {
    /// The provision, as Polish notices cite it.
    pub fn article_pl(self) -> &'static str {
        match self {
            Self::Consent => "art. 6 ust. 1 lit. a RODO",
            Self::Contract => "art. 6 ust. 1 lit. b RODO",
            Self::LegalObligation => "art. 6 ust. 1 lit. c RODO",
            Self::PublicTask => "art. 6 ust. 1 lit. e RODO",
        }
    }

    /// What the provision allows, in plain Polish.
    pub fn name_pl(self) -> &'static str {
        match self {
            Self::Consent => "Twoja zgoda",
            Self::Contract => {
                "zawarcie lub wykonanie umowy, której jesteś stroną, albo działania podjęte na Twoje żądanie przed jej zawarciem"
            }
            Self::LegalObligation => "wypełnienie obowiązku prawnego, który ciąży na administratorze",
            Self::PublicTask => "wykonanie zadania realizowanego w interesie publicznym",
        }
    }

    /// A basis that rests on a law, which the notice must name
    /// (art. 6(3) GDPR).
    pub fn needs_law(self) -> bool {
        matches!(self, Self::LegalObligation | Self::PublicTask)
    }
}

/// One recipient of a form's data, by its key in `agora.yaml`
/// (`privacy.recipients`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub key: String,
    /// The 1-based line of the entry in the form file, for errors.
    pub line: Option<usize>,
}

/// A form's facts for the privacy notice, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormPrivacy {
    /// Why the data is collected, in Polish.
    pub purpose: String,
    pub legal_basis: LegalBasis,
    /// The law that sets the task or the obligation, in Polish
    /// (`art. 5a ustawy z dnia 8 marca 1990 r. o samorządzie gminnym`).
    pub legal_basis_detail: Option<String>,
    pub recipients: Vec<Recipient>,
}

/// The keys as a form file holds them, before checking.
#[derive(Debug, Clone, Default)]
pub(super) struct RawPrivacy {
    pub(super) purpose: Option<String>,
    pub(super) legal_basis: Option<LegalBasis>,
    pub(super) legal_basis_detail: Option<String>,
    pub(super) recipients: Option<Vec<String>>,
}

/// What `agora check` shows an editor whose form lacks these keys.
const EXAMPLE: &str = "e.g. `purpose: Przyjęcie zgłoszeń na warsztaty i kontakt z uczestnikami.`, \
     `legal_basis: public_task`, \
     `legal_basis_detail: art. 5a ustawy z dnia 8 marca 1990 r. o samorządzie gminnym`, \
     `recipients: [cloud, email]`; README.md (\"Forms\") explains them";

/// Checks a form's privacy keys. `error` makes a problem of this form's
/// file; a missing key is reported at `retention_days`, where it belongs.
pub(super) fn check(
    raw: RawPrivacy,
    consents: &[Consent],
    lines: &Lines<'_>,
    error: &dyn Fn(Option<usize>, String, &str) -> Diagnostic,
) -> Result<FormPrivacy, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let here = lines.key("retention_days");
    let mut missing = |key: &str, what: &str| {
        problems.push(error(
            here,
            format!("the form does not say {what}: `{key}` is missing"),
            &format!("add `{key}` next to retention_days; the privacy page lists it for this form ({EXAMPLE})"),
        ));
    };
    let purpose = raw.purpose.filter(|p| !p.trim().is_empty());
    if purpose.is_none() {
        missing("purpose", "why it collects personal data");
    }
    if raw.legal_basis.is_none() {
        missing(
            "legal_basis",
            "on which basis of the GDPR it processes personal data",
        );
    }
    if raw.recipients.is_none() {
        missing("recipients", "who receives its data");
    }
    let detail = raw.legal_basis_detail.filter(|d| !d.trim().is_empty());
    if let Some(basis) = raw.legal_basis {
        if basis.needs_law() && detail.is_none() {
            problems.push(error(
                lines.key("legal_basis"),
                format!("`legal_basis: {}` rests on a law, which the form does not name", key_of(basis)),
                "add `legal_basis_detail:` naming the provision in Polish, e.g. `art. 5a ustawy z dnia 8 marca 1990 r. o samorządzie gminnym`",
            ));
        }
        problems.extend(check_consent_wording(basis, consents, lines, error));
    }
    let mut recipients = Vec::new();
    if let Some(keys) = raw.recipients {
        if keys.is_empty() {
            problems.push(error(
                lines.key("recipients"),
                "`recipients` is empty".to_owned(),
                "name who receives the data, as keys of `privacy.recipients` in agora.yaml (the cloud provider at least), e.g. `recipients: [cloud, email]`",
            ));
        }
        for (index, key) in keys.into_iter().enumerate() {
            let line = lines.in_item("recipients", index, "");
            if !is_key(&key) {
                problems.push(error(
                    line,
                    format!("`{key}` cannot name a recipient"),
                    "name a key of `privacy.recipients` in agora.yaml: lowercase letters, digits, `_` and `-`",
                ));
            } else if recipients.iter().any(|r: &Recipient| r.key == key) {
                problems.push(error(
                    line,
                    format!("the recipient `{key}` is listed twice"),
                    "",
                ));
            }
            recipients.push(Recipient { key, line });
        }
    }
    match (purpose, raw.legal_basis) {
        (Some(purpose), Some(legal_basis)) if problems.is_empty() => Ok(FormPrivacy {
            purpose: purpose.trim().to_owned(),
            legal_basis,
            legal_basis_detail: detail.map(|d| d.trim().to_owned()),
            recipients,
        }),
        _ => Err(problems),
    }
}

/// A required box is the basis itself only on a form whose basis is
/// consent; on any other it acknowledges the notice, and wording it as
/// consent ("Wyrażam zgodę…") tells residents something untrue.
fn check_consent_wording(
    basis: LegalBasis,
    consents: &[Consent],
    lines: &Lines<'_>,
    error: &dyn Fn(Option<usize>, String, &str) -> Diagnostic,
) -> Vec<Diagnostic> {
    let required = || consents.iter().enumerate().filter(|(_, c)| c.required);
    if basis == LegalBasis::Consent {
        if required().next().is_none() {
            return vec![error(
                lines.key("legal_basis"),
                "`legal_basis: consent`, but the form asks for no required consent".to_owned(),
                "add the consent under `consents:` with `required: true`, or name the basis the processing really rests on",
            )];
        }
        return Vec::new();
    }
    required()
        .filter(|(_, consent)| asks_for_consent(&consent.text))
        .map(|(index, consent)| {
            error(
                lines.in_item("consents", index, "text"),
                format!(
                    "the required box `{}` is worded as consent, but the form's legal_basis is {}: ticking it gives no consent",
                    consent.name,
                    key_of(basis)
                ),
                "word it as an acknowledgement, e.g. „Zapoznałam/Zapoznałem się z informacją o przetwarzaniu moich danych osobowych.”, and change its `version`; or, if consent really is the basis, set `legal_basis: consent`",
            )
        })
        .collect()
}

/// Whether a box's text asks for consent: "zgoda", "zgodę", "zgadzam
/// się" (not "zgodnie z", "in accordance with").
pub fn asks_for_consent(text: &str) -> bool {
    static WORDS: OnceLock<Option<Regex>> = OnceLock::new();
    WORDS
        .get_or_init(|| Regex::new(r"(?i)\b(zgod[aęyą]|zgód|zgadzam)\b").ok())
        .as_ref()
        .is_some_and(|words| words.is_match(text))
}

fn key_of(basis: LegalBasis) -> &'static str {
    match basis {
        LegalBasis::Consent => "consent",
        LegalBasis::Contract => "contract",
        LegalBasis::LegalObligation => "legal_obligation",
        LegalBasis::PublicTask => "public_task",
    }
}

fn is_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_wording_is_told_from_in_accordance_with() {
        assert!(asks_for_consent("Wyrażam zgodę na przetwarzanie"));
        assert!(asks_for_consent("Zgadzam się na opublikowanie"));
        assert!(asks_for_consent("ZGODA na kontakt"));
        assert!(!asks_for_consent(
            "Zapoznałam/Zapoznałem się z informacją, zgodnie z którą…"
        ));
    }

    #[test]
    fn bases_cite_their_article() {
        assert_eq!(
            LegalBasis::PublicTask.article_pl(),
            "art. 6 ust. 1 lit. e RODO"
        );
        assert!(LegalBasis::PublicTask.needs_law());
        assert!(!LegalBasis::Consent.needs_law());
    }
}
