//! The e-mails of pre-verification: a verifying unit's experts told that
//! an idea waits for their answer (naming no resident, nor what the idea
//! says: they read it in the workspace, where each view is logged), and
//! the resident told the unit's answer, with the link to the idea's
//! private page.

use super::{IdeaRecord, Outcome, Stage};
use crate::forms::FormDefinition;
use crate::mail::{Email, Regarding};
use crate::registration::Registration;
use crate::routes;
use crate::service::{resident_address, signature, Settings};

/// The query key of the private page's link that holds its key.
pub const KEY_PARAMETER: &str = "klucz";

/// An amount in złoty as Polish writes it: from five digits on, in
/// groups of three parted by a space ("5000 zł", "120 000 zł").
pub fn zloty_pl(amount: u64) -> String {
    let digits = amount.to_string();
    if digits.len() < 5 {
        return format!("{digits} zł");
    }
    let mut grouped = String::new();
    for (n, digit) in digits.chars().enumerate() {
        if n > 0 && (digits.len() - n).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(digit);
    }
    format!("{grouped} zł")
}

/// The address of an idea's page in the workspace.
pub fn panel_link(settings: &Settings, form_id: &str, reference: &str) -> String {
    format!(
        "{}{}",
        settings.public_url.trim_end_matches('/'),
        routes::panel(routes::PANEL_IDEA, form_id, reference)
    )
}

/// The link to an idea's private page that `key` opens.
pub fn private_link(settings: &Settings, form_id: &str, reference: &str, key: &str) -> String {
    format!(
        "{}{}?{KEY_PARAMETER}={key}",
        settings.public_url.trim_end_matches('/'),
        routes::idea(form_id, reference)
    )
}

/// The e-mail to `verifier`, the `n`th expert account of the unit that
/// has `record`'s idea now, saying that it waits for their answer: the
/// form, the idea's reference and the link to it in the workspace.
pub fn unit_notice(
    form: &FormDefinition,
    record: &IdeaRecord,
    verifier: &str,
    n: usize,
    settings: &Settings,
) -> Email {
    let what = match record.stage() {
        Stage::WithUnit { revised: true, .. } => {
            "Autor pomysłu przesłał jego poprawioną wersję: czeka ona na ponowną odpowiedź \
             Twojej jednostki"
        }
        _ => "Biuro programu przekazało Twojej jednostce pomysł do wstępnej weryfikacji",
    };
    Email {
        to: verifier.to_owned(),
        subject: format!("Pomysł do wstępnej weryfikacji: {}", record.reference),
        body: format!(
            "{what} (formularz „{title}”).\n\nNumer pomysłu: {reference}\n\n\
             Pomysł, jego historię i formularz odpowiedzi znajdziesz w panelu:\n{link}\n\n\
             Ze względu na ochronę danych osobowych ta wiadomość nie zawiera treści pomysłu \
             ani danych jego autora.\n{signature}",
            title = form.title,
            reference = record.reference,
            link = panel_link(settings, &form.id, &record.reference),
            signature = signature(&settings.contact_email),
        ),
        // Unique per save of the record and expert: the outbox names files by it.
        tag: format!("{}-jednostka-{}-{n}", record.reference, record.version),
        // To staff: a bounce of their address is not the resident's.
        regarding: None,
    }
}

/// The e-mail telling the resident the last answer of `record` (given by
/// `unit_name`), with the link that `key` opens; `None` without an
/// address to send to.
pub fn answer_email(
    form: &FormDefinition,
    registration: &Registration,
    record: &IdeaRecord,
    unit_name: &str,
    key: &str,
    settings: &Settings,
) -> Option<Email> {
    let to = resident_address(form, registration)?;
    let answer = record.answers().last()?;
    let mut said = format!(
        "Odpowiedź jednostki ({unit_name}): {}.\n",
        answer.outcome.label_pl()
    );
    let comment = answer.comment.trim();
    if !comment.is_empty() {
        said.push_str(&format!("\nKomentarz jednostki:\n\n{comment}\n"));
    }
    if let (Outcome::Duplicate, Some(other)) = (answer.outcome, &answer.duplicate_of) {
        said.push_str(&format!("\nPomysł powtarza pomysł o numerze {other}.\n"));
    }
    if let Some(cost) = answer.cost_estimate {
        said.push_str(&format!(
            "\nSzacunkowy koszt według jednostki: {}.\n",
            zloty_pl(cost)
        ));
    }
    Some(Email {
        to,
        subject: format!(
            "Odpowiedź na Twój pomysł {} – {}",
            record.reference, form.title
        ),
        body: format!(
            "{title}\n\nNumer pomysłu: {reference}\n\n{said}\n\
             Odpowiedź i historię pomysłu zobaczysz na stronie:\n{link}\n\
             Ten link jest tylko dla Ciebie: nie przekazuj go nikomu.\n\n{next}\n{signature}",
            title = form.title,
            reference = record.reference,
            link = private_link(settings, &form.id, &record.reference, key),
            next = next_step(form, record),
            signature = signature(&settings.contact_email),
        ),
        tag: format!("{}-odpowiedz-{}", record.reference, record.version),
        regarding: Some(Regarding::of(registration)),
    })
}

/// What the resident may do after the answer.
fn next_step(form: &FormDefinition, record: &IdeaRecord) -> &'static str {
    let revisable = form
        .preverification
        .as_ref()
        .is_some_and(|p| !p.revisable.is_empty());
    match record.stage() {
        Stage::Answered if revisable => {
            "Możesz raz odpowiedzieć: na tej stronie wyślesz poprawioną wersję pomysłu, \
             a jednostka oceni ją ponownie."
        }
        Stage::Settled => "To ostateczna odpowiedź jednostki na poprawioną wersję pomysłu.",
        _ => "To odpowiedź jednostki na Twój pomysł.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands_from_five_digits() {
        assert_eq!(zloty_pl(0), "0 zł");
        assert_eq!(zloty_pl(5000), "5000 zł");
        assert_eq!(zloty_pl(12_000), "12 000 zł");
        assert_eq!(zloty_pl(120_000), "120 000 zł");
        assert_eq!(zloty_pl(1_200_000), "1 200 000 zł");
    }
}
