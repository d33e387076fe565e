//! The ambassadors' pages of the workspace, in Polish: the office's list
//! of applications with what was decided and whether the public list is
//! on the site, one application with its decision form, and the
//! ambassador's own area.

use agora_core::forms::html::escape;
use agora_core::forms::FormDefinition;
use agora_core::panel::ambassadors::{decision_pl, Joined, Standing, MESSAGE_MAX_CHARS};
use agora_core::panel::{Appointment, Decision, SignedIn};
use agora_core::polish::count_pl;
use agora_core::registration::Registration;
use agora_core::routes;

use super::ambassadors::DecisionForm;
use super::pages::{csrf_input, menu, table, PanelPages};
use super::registrations_pages::shown;
use super::Refusal;

/// An application as the office sees it.
pub(super) struct Application {
    pub(super) registration: Registration,
    pub(super) decision: Option<Appointment>,
    pub(super) standing: Standing,
}

impl Application {
    pub(super) fn new(registration: Registration, decision: Option<Appointment>) -> Self {
        let standing = Standing::of(&registration, decision.as_ref().map(|d| d.decision));
        Self {
            registration,
            decision,
            standing,
        }
    }
}

/// What the list reports after an action.
pub(super) struct Outcome {
    /// The decision just saved.
    pub(super) saved: Option<Decision>,
    /// Whether the public list reached the site (when it was published).
    pub(super) published: Option<bool>,
    /// Whether the applicant's e-mail went.
    pub(super) mailed: bool,
    /// Since when the public list may be out of date (a publishing after
    /// a withdrawal or an erasure failed), as the page says it.
    pub(super) outdated_since: Option<String>,
}

/// A decision refused: what was typed, and why.
pub(super) struct Refused<'a> {
    pub(super) typed: &'a DecisionForm,
    pub(super) why: Refusal,
}

/// The decision form's fields, which a refusal names: the radio buttons'
/// `id`s start with the first.
pub(super) const DECISION_FIELD: &str = "decision";
pub(super) const MESSAGE_FIELD: &str = "message";

fn decision_path(reference: &str) -> String {
    routes::panel(routes::PANEL_AMBASSADOR_DECISION, "", reference)
}

/// The fields the list shows: those the public list may show and the
/// area, in the form's order.
fn columns(form: &FormDefinition) -> Vec<&agora_core::forms::Field> {
    let area = form.ambassadors.as_ref().map(|a| a.area_field.as_str());
    form.fields
        .iter()
        .filter(|f| f.published_with.is_some() || Some(f.name.as_str()) == area)
        .collect()
}

/// Whether the person gave every consent the public list needs.
fn consented(form: &FormDefinition, registration: &Registration) -> bool {
    form.fields
        .iter()
        .filter_map(|f| f.published_with.as_deref())
        .all(|consent| registration.consents.iter().any(|c| c.name == consent))
}

fn value(field: &agora_core::forms::Field, registration: &Registration) -> String {
    registration
        .values
        .get(&field.name)
        .map_or_else(|| "–".to_owned(), |v| escape(&shown(field, v)))
}

impl PanelPages<'_> {
    fn decided(&self, decision: Option<&Appointment>) -> String {
        decision.map_or_else(
            || "–".to_owned(),
            |d| {
                format!(
                    "{}, {}",
                    escape(&d.decided_by),
                    escape(&self.time(d.decided_at))
                )
            },
        )
    }

    /// The office's list of applications, after an action with its outcome.
    pub(super) fn ambassadors(
        &self,
        who: &SignedIn,
        form: &FormDefinition,
        applications: &[Application],
        outcome: Outcome,
    ) -> String {
        let mut main = outcome_notice(who, &outcome);
        main.push_str(&format!(
            "<p>Zgłoszenia z formularza „{}”. Powołać można osobę, która potwierdziła \
             zgłoszenie. Na publicznej liście są tylko powołani ambasadorzy, którzy zgodzili \
             się na publikację, i tylko dane objęte tą zgodą.</p>\n<p>{}.</p>\n",
            escape(&form.title),
            count_pl(
                i64::try_from(applications.len()).unwrap_or(i64::MAX),
                "zgłoszenie",
                "zgłoszenia",
                "zgłoszeń"
            ),
        ));
        let fields = columns(form);
        let mut rows = String::new();
        for application in applications {
            let registration = &application.registration;
            let cells: String = fields
                .iter()
                .map(|f| format!("<td>{}</td>", value(f, registration)))
                .collect();
            rows.push_str(&format!(
                "<tr><th scope=\"row\"><a href=\"{path}\">{reference}</a></th>{cells}\
                 <td>{consent}</td><td>{standing}</td><td>{decided}</td></tr>\n",
                path = decision_path(&registration.reference),
                reference = escape(&registration.reference),
                consent = if consented(form, registration) {
                    "tak"
                } else {
                    "nie"
                },
                standing = application.standing.label_pl(),
                decided = self.decided(application.decision.as_ref()),
            ));
        }
        let mut headers = vec!["Zgłoszenie"];
        headers.extend(fields.iter().map(|f| f.label.as_str()));
        headers.extend(["Zgoda na publikację", "Stan", "Ostatnia decyzja"]);
        main.push_str(&table(
            "zgloszenia",
            "Zgłoszenia na ambasadorów",
            &headers,
            &rows,
        ));
        self.layout(
            "Ambasadorzy",
            Some(menu(who, routes::PANEL_AMBASSADORS)),
            &main,
        )
    }

    /// One application, its facts and the decisions open to the office;
    /// after a refused decision, why first and the form as typed.
    pub(super) fn application(
        &self,
        who: &SignedIn,
        form: &FormDefinition,
        application: &Application,
        refused: Option<Refused<'_>>,
    ) -> String {
        let registration = &application.registration;
        let mut main = String::new();
        if let Some(refused) = &refused {
            let field = match refused.why.field {
                DECISION_FIELD => format!("{DECISION_FIELD}-{}", first_choice(application)),
                other => other.to_owned(),
            };
            main.push_str(&format!(
                "<div class=\"error-summary\" aria-labelledby=\"error-summary-title\" \
                 role=\"alert\" tabindex=\"-1\" autofocus>\n\
                 <h2 class=\"error-summary__title\" id=\"error-summary-title\">\
                 Nie zapisano decyzji</h2>\n<p><a href=\"#{field}\">{}</a></p>\n</div>\n",
                escape(refused.why.message)
            ));
        }
        let mut facts = vec![
            ("Numer zgłoszenia", escape(&registration.reference)),
            ("Stan", application.standing.label_pl().to_owned()),
            (
                "Ostatnia decyzja",
                self.decided(application.decision.as_ref()),
            ),
            (
                "Zgoda na publikację",
                if consented(form, registration) {
                    "tak"
                } else {
                    "nie"
                }
                .to_owned(),
            ),
        ];
        facts.extend(
            form.fields
                .iter()
                .map(|f| (f.label.as_str(), value(f, registration))),
        );
        main.push_str(&definition_list(&facts));
        main.push_str(&decision_form(who, application, refused.as_ref()));
        main.push_str(&format!(
            "<p><a href=\"{}\">Wróć do listy zgłoszeń</a></p>\n",
            routes::PANEL_AMBASSADORS
        ));
        self.layout(
            &format!("Zgłoszenie {}", registration.reference),
            Some(menu(who, routes::PANEL_AMBASSADORS)),
            &main,
        )
    }

    pub(super) fn no_ambassadors_form(&self, who: &SignedIn) -> String {
        self.layout(
            "Ambasadorzy",
            Some(menu(who, routes::PANEL_AMBASSADORS)),
            "<p>Żaden formularz strony nie przyjmuje zgłoszeń na ambasadorów. Redakcja \
             strony wskazuje go kluczem <code>ambassadors:</code> w pliku formularza.</p>\n",
        )
    }

    /// The people who joined the process in the ambassador's `area`.
    pub(super) fn area(&self, who: &SignedIn, area: &str, joined: &[Joined<'_>]) -> String {
        let mut main = format!(
            "<p>Osoby, które potwierdziły zgłoszenie do procesu w Twoim obszarze ({}). \
             Skontaktuj się z nimi w sprawie spotkań mieszkańców. Ich dane służą tylko \
             temu: nie przekazuj ich dalej.</p>\n",
            escape(area)
        );
        if joined.iter().all(|j| j.registrations.is_empty()) {
            main.push_str("<p>Nikt jeszcze nie dołączył do procesu w Twoim obszarze.</p>\n");
        }
        for (index, group) in joined.iter().enumerate() {
            main.push_str(&self.joined_table(&format!("obszar-{}", index + 1), group));
        }
        self.layout("Mój obszar", Some(menu(who, routes::PANEL_AREA)), &main)
    }

    fn joined_table(&self, id: &str, joined: &Joined<'_>) -> String {
        let mut rows = String::new();
        for registration in &joined.registrations {
            let cells: String = joined
                .form
                .fields
                .iter()
                .map(|f| format!("<td>{}</td>", contact_value(f, registration)))
                .collect();
            rows.push_str(&format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td>{cells}</tr>\n",
                escape(&registration.reference),
                registration
                    .confirmed_at
                    .map_or_else(|| "–".to_owned(), |at| escape(&self.time(at))),
            ));
        }
        let mut headers = vec!["Zgłoszenie", "Potwierdzono"];
        headers.extend(joined.form.fields.iter().map(|f| f.label.as_str()));
        let caption = format!(
            "{} ({})",
            joined.form.title,
            count_pl(
                i64::try_from(joined.registrations.len()).unwrap_or(i64::MAX),
                "osoba",
                "osoby",
                "osób"
            )
        );
        table(id, &caption, &headers, &rows)
    }
}

/// A value as the ambassador needs it: an address to write to as a link.
fn contact_value(field: &agora_core::forms::Field, registration: &Registration) -> String {
    match registration.values.get(&field.name) {
        Some(address) if field.kind == agora_core::forms::FieldType::Email => {
            format!("<a href=\"mailto:{0}\">{0}</a>", escape(address))
        }
        _ => value(field, registration),
    }
}

fn first_choice(application: &Application) -> &'static str {
    application
        .standing
        .choices()
        .first()
        .map_or("", |d| d.as_str())
}

/// What the last action came to, above the list: a status, or what did
/// not reach the site with the button to publish again.
fn outcome_notice(who: &SignedIn, outcome: &Outcome) -> String {
    let mut lines = Vec::new();
    if let Some(decision) = outcome.saved {
        lines.push(format!(
            "Zapisano decyzję: {}.",
            decision_pl(decision).to_lowercase()
        ));
        lines.push(if outcome.mailed {
            "Wysłaliśmy ją e-mailem osobie zgłaszającej razem z Twoją wiadomością.".to_owned()
        } else {
            "Nie udało się wysłać e-maila do osoby zgłaszającej: przekaż jej decyzję inną drogą."
                .to_owned()
        });
    }
    match (outcome.published, &outcome.outdated_since) {
        (Some(false), _) => return not_published(who, &lines),
        (_, Some(since)) => {
            lines.push(format!(
                "Publiczna lista ambasadorów może być nieaktualna od {}: nie udało się jej \
                 opublikować po wycofaniu zgłoszenia albo usunięciu danych.",
                escape(since)
            ));
            return not_published(who, &lines);
        }
        (Some(true), None) => lines.push("Lista ambasadorów na stronie jest aktualna.".to_owned()),
        (None, None) => {}
    }
    if lines.is_empty() {
        return String::new();
    }
    format!(
        "<div class=\"notice\" role=\"status\"><p>{}</p></div>\n",
        lines.join(" ")
    )
}

fn not_published(who: &SignedIn, lines: &[String]) -> String {
    let saved = if lines.is_empty() {
        String::new()
    } else {
        format!("<p>{}</p>\n", lines.join(" "))
    };
    format!(
        "<div class=\"notice notice-moved\" role=\"alert\">\n\
         <h2 class=\"notice-title\">Lista ambasadorów nie jest jeszcze na stronie</h2>\n{saved}\
         <p>Decyzje są zapisane, ale nie udało się opublikować aktualnej listy na stronie. \
         Spróbuj ponownie; jeśli to nie pomoże, napisz do administratora strony.</p>\n\
         <form method=\"post\" action=\"{action}\">{csrf}\
         <button type=\"submit\" class=\"button\">Opublikuj listę ponownie</button></form>\n</div>\n",
        action = routes::PANEL_AMBASSADORS,
        csrf = csrf_input(who),
    )
}

/// The message of a refused field and its attributes: marked invalid,
/// described by its hint (the message's own) and the message.
fn error_of(field: &str, problem: Option<&str>) -> (String, String) {
    let hint = if field == MESSAGE_FIELD {
        format!("{MESSAGE_FIELD}-hint ")
    } else {
        String::new()
    };
    match problem {
        Some(message) => (
            format!(
                "<p class=\"error-message\" id=\"{field}-error\">\
                 <span class=\"visually-hidden\">Błąd: </span>{}</p>\n",
                escape(message)
            ),
            // A fieldset (the decision) takes no aria-invalid: its message describes it.
            if field == MESSAGE_FIELD {
                format!(" aria-invalid=\"true\" aria-describedby=\"{hint}{field}-error\"")
            } else {
                format!(" aria-describedby=\"{field}-error\"")
            },
        ),
        None if hint.is_empty() => (String::new(), String::new()),
        None => (
            String::new(),
            format!(" aria-describedby=\"{}\"", hint.trim_end()),
        ),
    }
}

fn definition_list(items: &[(&str, String)]) -> String {
    let rows: String = items
        .iter()
        .map(|(term, value)| format!("<dt>{}</dt><dd>{value}</dd>\n", escape(term)))
        .collect();
    format!("<dl class=\"facts\">\n{rows}</dl>\n")
}

/// The decisions open now as radio buttons, and the message to send
/// with the chosen one.
fn decision_form(
    who: &SignedIn,
    application: &Application,
    refused: Option<&Refused<'_>>,
) -> String {
    let choices = application.standing.choices();
    if choices.is_empty() {
        return "<h2>Decyzja</h2>\n<p>Zgłoszenie zostało wycofane: nie ma już o czym decydować.</p>\n"
            .to_owned();
    }
    let typed = refused.map(|r| r.typed);
    let chosen = typed.map_or("", |t| t.decision.as_str());
    let problem = |field: &str| {
        refused
            .filter(|r| r.why.field == field)
            .map(|r| r.why.message)
    };
    let (decision_error, decision_mark) = error_of(DECISION_FIELD, problem(DECISION_FIELD));
    let (message_error, message_mark) = error_of(MESSAGE_FIELD, problem(MESSAGE_FIELD));
    let radios: String = choices
        .iter()
        .map(|decision| {
            let value = decision.as_str();
            format!(
                "<div class=\"choice\"><input type=\"radio\" id=\"{DECISION_FIELD}-{value}\" \
                 name=\"decision\" value=\"{value}\" required{checked}>\
                 <label for=\"{DECISION_FIELD}-{value}\">{label}</label></div>\n",
                checked = if chosen == value { " checked" } else { "" },
                label = decision_pl(*decision),
            )
        })
        .collect();
    format!(
        "<h2>Decyzja</h2>\n\
         <form method=\"post\" action=\"{action}\" class=\"agora-form\">{csrf}\n\
         <fieldset class=\"fieldset\"{decision_mark}>\n\
         <legend class=\"legend\">Co postanawiasz?</legend>\n{decision_error}\
         <div class=\"choices\">\n{radios}</div>\n</fieldset>\n\
         <div class=\"field\"><label class=\"label\" for=\"{MESSAGE_FIELD}\">\
         Wiadomość do osoby zgłaszającej (opcjonalnie)</label>\n\
         <p class=\"hint\" id=\"{MESSAGE_FIELD}-hint\">Wyślemy ją e-mailem razem z decyzją. \
         Panel jej nie zapisuje. Najwyżej {MESSAGE_MAX_CHARS} znaków.</p>\n{message_error}\
         <textarea class=\"textarea\" id=\"{MESSAGE_FIELD}\" name=\"message\" rows=\"6\"{message_mark}>\n\
         {message}</textarea></div>\n\
         <button type=\"submit\" class=\"button\">Zapisz decyzję i wyślij e-mail</button>\n</form>\n",
        action = decision_path(&application.registration.reference),
        csrf = csrf_input(who),
        message = escape(typed.map_or("", |t| t.message.as_str())),
    )
}
