//! The HTML of an idea's private page (`routes::IDEA`), in Polish, in the
//! shell of the functions' other pages: the idea as sent, the units'
//! answers and the resident's reply in the order they came, and the
//! reply's form while one may be sent. No script: the reply is a plain
//! form, its key in a hidden field.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::pages::Pages;
use agora_core::forms::html::{escape, render_error_summary, render_form, FormLinks};
use agora_core::forms::{FieldError, FieldType, FormDefinition, Submission};
use agora_core::ideas::mail::{zloty_pl, KEY_PARAMETER};
use agora_core::ideas::reply::reply_form;
use agora_core::ideas::{Answer, Event, IdeaPage, Refusal, Stage, Units};
use agora_core::polish::date_pl;
use agora_core::routes;

/// What the page shows: the idea, the key that opened it (for the
/// reply's form and the links back) and the units, for their names.
pub(crate) struct IdeaView<'a> {
    pub(crate) form: &'a FormDefinition,
    pub(crate) idea: &'a IdeaPage,
    pub(crate) key: &'a str,
    pub(crate) units: Option<&'a Units>,
}

/// A reply sent with values the form does not take: what was typed and
/// what is wrong.
pub(crate) struct Typed<'a> {
    pub(crate) values: &'a Submission,
    pub(crate) errors: &'a [FieldError],
}

impl IdeaView<'_> {
    /// The page's address with its key.
    pub(crate) fn link(&self) -> String {
        page_link(&self.form.id, &self.idea.registration.reference, self.key)
    }

    /// The zone the form's own dates are written in.
    fn zone(&self) -> Tz {
        self.form.opens.at.timezone()
    }

    fn date(&self, at: DateTime<Utc>) -> String {
        date_pl(at.with_timezone(&self.zone()).date_naive())
    }

    fn unit_name(&self, id: &str) -> String {
        self.units
            .and_then(|units| units.get(id))
            .map_or_else(|| id.to_owned(), |unit| unit.name.clone())
    }

    fn title(&self) -> String {
        let field = self
            .form
            .preverification
            .as_ref()
            .map(|p| p.title_field.as_str())
            .unwrap_or_default();
        self.idea.latest_values().remove(field).unwrap_or_default()
    }
}

/// The page's address with its key: what the e-mail links to.
pub(crate) fn page_link(form_id: &str, reference: &str, key: &str) -> String {
    format!("{}?{KEY_PARAMETER}={key}", routes::idea(form_id, reference))
}

impl Pages<'_> {
    /// The idea's page; `typed`, after a reply the form did not take.
    pub(crate) fn idea(&self, view: &IdeaView<'_>, typed: Option<Typed<'_>>) -> String {
        let failed = typed.as_ref().is_some_and(|t| !t.errors.is_empty());
        let mut main = typed
            .as_ref()
            .map(|t| render_error_summary(t.errors))
            .unwrap_or_default();
        main.push_str(&format!(
            "<h1>Twój pomysł: {}</h1>\n<div class=\"panel\">\n<p>Numer pomysłu</p>\n\
             <p class=\"reference\">{}</p>\n<p>Stan: {}</p>\n</div>\n",
            escape(&view.title()),
            escape(&view.idea.registration.reference),
            escape(view.idea.record.stage().label_pl())
        ));
        main.push_str("<h2>Pomysł, który wysłano</h2>\n");
        let sent = &view.idea.registration.values;
        main.push_str(&values_list(view.form, |name| sent.get(name).cloned()));
        main.push_str(&history(view));
        if view.idea.may_reply() {
            main.push_str(&self.reply_section(view, typed));
        }
        let title = if failed {
            "Błąd: Twój pomysł"
        } else {
            "Twój pomysł"
        };
        self.layout(title, &main)
    }

    fn reply_section(&self, view: &IdeaView<'_>, typed: Option<Typed<'_>>) -> String {
        let latest = Submission::from_pairs(view.idea.latest_values());
        let (values, errors) = match &typed {
            Some(typed) => (typed.values, typed.errors),
            None => (&latest, &[][..]),
        };
        let action = view.link();
        let links = FormLinks {
            action: &action,
            privacy_policy: "",
        };
        let form = render_form(&reply_form(view.form), links, values, errors);
        // The site's form ends with its own button; the reply's carries
        // the key and says what it sends.
        let fields = form
            .rsplit_once("<button")
            .map_or(form.as_str(), |(f, _)| f);
        format!(
            "<h2>Odpowiedz jednostce</h2>\n<p>Możesz raz przesłać poprawioną wersję pomysłu. \
             Jednostka odpowie na nią tak samo jak na pierwszą.</p>\n{fields}\
             <input type=\"hidden\" name=\"{KEY_PARAMETER}\" value=\"{}\">\n\
             <button type=\"submit\" class=\"button\">Wyślij poprawioną wersję</button>\n</form>\n",
            escape(view.key)
        )
    }

    /// The same page for every idea that cannot be shown, whatever the
    /// reason: it tells nobody whether a reference or a key exists.
    pub(crate) fn idea_not_found(&self) -> String {
        self.message(
            "Nie znaleźliśmy pomysłu",
            "Ten link nie otwiera żadnego pomysłu. Sprawdź, czy otwierasz cały link z ostatniego e-maila \
             z odpowiedzią jednostki (czasem program pocztowy dzieli go na dwie linie). \
             Jeśli pomysł został wycofany, jego strony już nie ma.",
        )
    }

    /// A reply that cannot be taken now, with the way back to the page.
    pub(crate) fn idea_refused(&self, link: &str, refusal: Refusal) -> String {
        self.idea_notice("Nie można wysłać odpowiedzi", refusal.message_pl(), link)
    }

    /// Someone changed the idea while the resident wrote.
    pub(crate) fn idea_conflict(&self, link: &str) -> String {
        self.idea_notice(
            "Spróbuj jeszcze raz",
            "W czasie, gdy pisałaś lub pisałeś odpowiedź, pomysł się zmienił. Nic nie zapisaliśmy: \
             otwórz stronę pomysłu jeszcze raz i wyślij odpowiedź ponownie.",
            link,
        )
    }

    /// A reply that tried to change what cannot be changed.
    pub(crate) fn idea_not_revisable(&self, link: &str) -> String {
        self.idea_notice(
            "Tych danych nie można zmienić",
            "W odpowiedzi można zmienić tylko pola formularza na stronie pomysłu. Nic nie zapisaliśmy.",
            link,
        )
    }

    fn idea_notice(&self, title: &str, text: &str, link: &str) -> String {
        self.layout(
            title,
            &format!(
                "<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"{}\">Wróć do strony pomysłu</a></p>\n",
                escape(title),
                escape(text),
                escape(link)
            ),
        )
    }
}

/// The units' answers and the resident's reply, oldest first, and what
/// comes next.
fn history(view: &IdeaView<'_>) -> String {
    let mut html = String::from("<h2>Historia pomysłu</h2>\n");
    for event in &view.idea.record.events {
        match event {
            Event::Answered(answer) => html.push_str(&answered(view, answer)),
            Event::Revised { fields, at } => {
                html.push_str(&format!(
                    "<div class=\"panel\">\n<h3>{}: Twoja poprawiona wersja</h3>\n",
                    view.date(*at)
                ));
                html.push_str(&values_list(view.form, |name| fields.get(name).cloned()));
                html.push_str("</div>\n");
            }
            Event::Assigned { .. } => {}
        }
    }
    if let Some(next) = what_next(&view.idea.record.stage()) {
        html.push_str(&format!("<p>{next}</p>\n"));
    }
    html
}

/// What the resident waits for; nothing while the reply's form is there
/// to say it.
fn what_next(stage: &Stage) -> Option<&'static str> {
    match stage {
        Stage::New | Stage::WithUnit { revised: false, .. } => {
            Some("Jednostka jeszcze nie odpowiedziała. Gdy odpowie, napiszemy do Ciebie.")
        }
        Stage::WithUnit { revised: true, .. } => {
            Some("Jednostka oceni Twoją poprawioną wersję. Gdy odpowie, napiszemy do Ciebie.")
        }
        Stage::Settled => Some("To ostateczna odpowiedź jednostki na poprawioną wersję pomysłu."),
        Stage::Answered => None,
    }
}

fn answered(view: &IdeaView<'_>, answer: &Answer) -> String {
    let mut facts = vec![("Ocena", answer.outcome.label_pl().to_owned())];
    if !answer.comment.trim().is_empty() {
        facts.push(("Komentarz", answer.comment.trim().to_owned()));
    }
    if let Some(other) = &answer.duplicate_of {
        facts.push(("Powtarza pomysł numer", other.clone()));
    }
    if let Some(cost) = answer.cost_estimate {
        // On a page an amount never breaks across lines.
        let amount = zloty_pl(cost).replace(' ', "\u{a0}");
        facts.push(("Szacunkowy koszt według jednostki", amount));
    }
    format!(
        "<div class=\"panel\">\n<h3>{}: {}</h3>\n{}</div>\n",
        view.date(answer.at),
        escape(&view.unit_name(&answer.unit)),
        facts_list(&facts)
    )
}

/// The form's fields that describe the idea, by label, with the value
/// `value` gives: its contact fields stay off a page reached by a link
/// that can be forwarded. A choice shows its label.
fn values_list(form: &FormDefinition, value: impl Fn(&str) -> Option<String>) -> String {
    let facts: Vec<(&str, String)> = form
        .fields
        .iter()
        .filter(|f| !matches!(f.kind, FieldType::Email | FieldType::Tel))
        .filter_map(|field| {
            let value = value(&field.name)?;
            let shown = field
                .options
                .iter()
                .find(|choice| choice.value == value)
                .map_or(value, |choice| choice.label.clone());
            let shown = if shown.trim().is_empty() {
                "(nie podano)".to_owned()
            } else {
                shown
            };
            Some((field.label.as_str(), shown))
        })
        .collect();
    facts_list(&facts)
}

fn facts_list(facts: &[(&str, String)]) -> String {
    let items: String = facts
        .iter()
        .map(|(term, text)| {
            format!(
                "<dt>{}</dt>\n<dd>{}</dd>\n",
                escape(term),
                escape(text).replace('\n', "<br>\n")
            )
        })
        .collect();
    format!("<dl class=\"event-details\">\n{items}</dl>\n")
}
