//! The pages of a form's registrations (`registrations.rs`): the list
//! with its filter, search and pages, and one registration with its
//! actions. In the theme's look: the residents' form classes for the
//! filter and the actions, the workspace's tables, the site's pagination.

use std::fmt::Write as _;

use agora_core::forms::html::escape;
use agora_core::forms::{Allocation, Field, FieldType, FormDefinition};
use agora_core::panel::SignedIn;
use agora_core::polish::count_pl;
use agora_core::registration::{MailProblem, Registration, Status};
use agora_core::routes;
use agora_core::service::may_resend;

use super::pages::{csrf_input, menu, table, PanelPages};
use super::registrations::{may_mark_bounced, may_withdraw, ListQuery, REASONS};

/// One page of the list: the registrations it shows, and how many there
/// are in all and match the query.
pub(super) struct Listing<'a> {
    pub(super) total: usize,
    pub(super) matching: usize,
    /// This page, from 1, of `pages` (at least 1).
    pub(super) page: usize,
    pub(super) pages: usize,
    pub(super) rows: Vec<&'a Registration>,
}

/// What an action did, said on the registration's page after it
/// (`?zrobione=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Done {
    Withdrawn,
    Resent,
    MarkedBounced,
    /// The action does not apply to the registration as it is now.
    Unchanged,
    /// The person sent the form again at the same moment: ask again.
    Raced,
}

impl Done {
    /// This, if the action `changed` something; else nothing was done.
    pub(super) fn or_unchanged(self, changed: bool) -> Self {
        if changed {
            self
        } else {
            Self::Unchanged
        }
    }

    const ALL: [Self; 5] = [
        Self::Withdrawn,
        Self::Resent,
        Self::MarkedBounced,
        Self::Unchanged,
        Self::Raced,
    ];

    pub(super) fn code(self) -> &'static str {
        match self {
            Self::Withdrawn => "wycofano",
            Self::Resent => "wyslano",
            Self::MarkedBounced => "oznaczono",
            Self::Unchanged => "bez-zmian",
            Self::Raced => "sprobuj-ponownie",
        }
    }

    pub(super) fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|done| done.code() == code)
    }

    fn message(self) -> &'static str {
        match self {
            Self::Withdrawn => {
                "Zgłoszenie wycofano i usunięto dane osobowe. Jeśli ktoś czekał na \
                 miejsce, dostał je i wysłaliśmy mu e-mail."
            }
            Self::Resent => {
                "Wysłano ponownie e-mail z nowymi linkami. Linki z wcześniejszych \
                 wiadomości przestały działać."
            }
            Self::MarkedBounced => {
                "Adres oznaczono jako niedziałający: nie wyślemy na niego więcej wiadomości."
            }
            Self::Unchanged => {
                "Nic nie zmieniono: to działanie nie dotyczy zgłoszenia w tym stanie."
            }
            Self::Raced => {
                "Nic nie wycofano: w tej samej chwili osoba ponownie wysłała formularz. \
                 Spróbuj jeszcze raz."
            }
        }
    }
}

/// The `id` of the first reason, which the error summary links to.
const REASON_FIELD: &str = "powod";

pub(super) fn status_pl(status: Status) -> &'static str {
    match status {
        Status::Pending => "czeka na potwierdzenie",
        Status::Registered => "ma miejsce",
        Status::Waiting => "lista oczekujących",
        Status::Applied => "zgłoszone do losowania",
        Status::Selected => "wylosowane",
        Status::Reserve => "lista rezerwowa",
        Status::Withdrawn => "wycofane",
        Status::Spam => "podejrzenie spamu",
    }
}

fn mail_problem_pl(problem: Option<MailProblem>) -> &'static str {
    match problem {
        Some(MailProblem::Bounced) => "adres nie działa (zwrot)",
        Some(MailProblem::Complained) => "oznaczono nasz e-mail jako spam",
        None => "–",
    }
}

/// A field's stored value as the person saw it: an option by its label
/// (a group of boxes keeps its values joined by commas).
pub(super) fn shown(field: &Field, value: &str) -> String {
    if field.options.is_empty() {
        return value.to_owned();
    }
    let label = |value: &str| {
        field
            .options
            .iter()
            .find(|choice| choice.value == value)
            .map_or_else(|| value.to_owned(), |choice| choice.label.clone())
    };
    if field.kind == FieldType::Checkbox {
        value.split(", ").map(label).collect::<Vec<_>>().join(", ")
    } else {
        label(value)
    }
}

/// The fields the list shows: who the person is (the first two text
/// fields, such as a name or an organisation) and how to reach them (the
/// first e-mail field), in the form's order.
fn columns(form: &FormDefinition) -> Vec<&Field> {
    let texts = form.fields.iter().filter(|f| f.kind == FieldType::Text);
    let email = form.fields.iter().find(|f| f.kind == FieldType::Email);
    let chosen: Vec<&str> = texts
        .take(2)
        .chain(email)
        .map(|f| f.name.as_str())
        .collect();
    form.fields
        .iter()
        .filter(|f| chosen.contains(&f.name.as_str()))
        .collect()
}

/// The list's address with its query: the status, the search and the page.
fn list_path(form: &FormDefinition, query: &ListQuery, page: usize) -> String {
    let mut path = routes::panel(routes::PANEL_FORM, &form.id, "");
    let mut parts = Vec::new();
    if let Some(status) = query.status {
        parts.push(format!("stan={}", status.as_str()));
    }
    if !query.search.is_empty() {
        parts.push(format!("szukaj={}", percent_encoded(&query.search)));
    }
    if page > 1 {
        parts.push(format!("strona={page}"));
    }
    if !parts.is_empty() {
        path.push('?');
        path.push_str(&parts.join("&"));
    }
    path
}

/// `text` as a query value: every byte but letters, digits and `-._~`
/// as `%XX` (the search may hold anything, Polish letters too).
fn percent_encoded(text: &str) -> String {
    text.bytes().fold(String::new(), |mut out, byte| {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
        out
    })
}

fn registration_path(form: &FormDefinition, reference: &str) -> String {
    routes::panel(routes::PANEL_REGISTRATION, &form.id, reference)
}

fn dash_or(value: Option<String>) -> String {
    value.map_or_else(|| "–".to_owned(), |value| escape(&value))
}

impl PanelPages<'_> {
    /// The form's registrations: links to the exports (and the draw), the
    /// filter, the count, one page of the table and the way to the others.
    pub(super) fn registrations(
        &self,
        who: &SignedIn,
        form: &FormDefinition,
        query: &ListQuery,
        listing: &Listing<'_>,
    ) -> String {
        let mut main = format!("<p><a href=\"{}\">Wróć do pulpitu</a></p>\n", routes::PANEL);
        main.push_str(&downloads(form));
        main.push_str(&filter_form(form, query));
        main.push_str(&count_line(query, listing));
        if listing.rows.is_empty() {
            main.push_str("<p>Nie ma zgłoszeń, które pasują do tych warunków.</p>\n");
        } else {
            main.push_str(&self.registrations_table(form, listing));
            main.push_str(&pagination(form, query, listing));
        }
        let here = routes::panel(routes::PANEL_FORM, &form.id, "");
        let title = format!("Zgłoszenia: {}", form.title);
        self.layout(&title, Some(menu(who, &here)), &main)
    }

    fn registrations_table(&self, form: &FormDefinition, listing: &Listing<'_>) -> String {
        let columns = columns(form);
        let mut rows = String::new();
        for registration in &listing.rows {
            let _ = write!(
                rows,
                "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td>{}</td>",
                registration_path(form, &registration.reference),
                escape(&registration.reference),
                status_pl(registration.status),
                dash_or(registration.position.map(|p| p.to_string())),
            );
            for field in &columns {
                let value = registration.values.get(&field.name);
                rows.push_str(&format!(
                    "<td>{}</td>",
                    dash_or(value.map(|v| shown(field, v)))
                ));
            }
            let _ = writeln!(
                rows,
                "<td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&self.time(registration.created_at)),
                dash_or(registration.confirmed_at.map(|at| self.time(at))),
                mail_problem_pl(registration.mail_problem),
            );
        }
        let mut headers = vec!["Numer", "Stan", "Pozycja"];
        headers.extend(columns.iter().map(|field| field.label.as_str()));
        headers.extend(["Zgłoszono", "Potwierdzono", "Poczta"]);
        let caption = if listing.pages > 1 {
            format!("Zgłoszenia, strona {} z {}", listing.page, listing.pages)
        } else {
            "Zgłoszenia".to_owned()
        };
        table("zgloszenia", &caption, &headers, &rows)
    }

    /// One registration: its facts, its data by label, its consents and
    /// what staff may do with it now.
    pub(super) fn registration(
        &self,
        who: &SignedIn,
        form: &FormDefinition,
        registration: &Registration,
        done: Option<Done>,
        reason_missing: bool,
    ) -> String {
        let mut main = String::new();
        if reason_missing {
            main.push_str(&format!(
                "<div class=\"error-summary\" aria-labelledby=\"error-summary-title\" \
                 role=\"alert\" tabindex=\"-1\" autofocus>\n\
                 <h2 class=\"error-summary__title\" id=\"error-summary-title\">\
                 Nie wycofano zgłoszenia</h2>\n<p><a href=\"#{REASON_FIELD}\">{NO_REASON}</a></p>\n</div>\n"
            ));
        }
        if let Some(done) = done {
            let _ = writeln!(
                main,
                "<div class=\"notice\" role=\"status\"><p>{}</p></div>",
                escape(done.message())
            );
        }
        let _ = writeln!(
            main,
            "<p><a href=\"{}\">Wszystkie zgłoszenia: {}</a></p>",
            routes::panel(routes::PANEL_FORM, &form.id, ""),
            escape(&form.title)
        );
        main.push_str(&self.registration_facts(form, registration));
        main.push_str(&values(form, registration));
        main.push_str(&self.registration_consents(form, registration));
        main.push_str(&actions(who, form, registration, reason_missing));
        let title = format!("Zgłoszenie {}", registration.reference);
        self.layout(&title, Some(menu(who, "")), &main)
    }

    fn registration_facts(&self, form: &FormDefinition, registration: &Registration) -> String {
        let mut facts = vec![
            ("Formularz", escape(&form.title)),
            ("Stan", status_pl(registration.status).to_owned()),
            (
                "Pozycja na liście",
                dash_or(registration.position.map(|p| p.to_string())),
            ),
            ("Zgłoszono", escape(&self.time(registration.created_at))),
            (
                "Potwierdzono",
                dash_or(registration.confirmed_at.map(|at| self.time(at))),
            ),
            (
                "Poczta",
                mail_problem_pl(registration.mail_problem).to_owned(),
            ),
            (
                "Dane zostaną usunięte",
                escape(&self.time(registration.expires_at)),
            ),
        ];
        if let Some(spam) = &registration.spam {
            facts.push(("Dlaczego podejrzenie spamu", escape(spam)));
        }
        definition_list(&facts)
    }

    fn registration_consents(&self, form: &FormDefinition, registration: &Registration) -> String {
        let mut rows = String::new();
        for given in &registration.consents {
            let text = form
                .consents
                .iter()
                .find(|consent| consent.name == given.name)
                .map_or(given.name.as_str(), |consent| consent.text.as_str());
            let _ = writeln!(
                rows,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
                escape(text),
                escape(&given.version),
                escape(&self.time(given.given_at)),
            );
        }
        if rows.is_empty() {
            return "<h2>Zgody</h2>\n<p>Brak zapisanych zgód.</p>\n".to_owned();
        }
        format!(
            "<h2>Zgody</h2>\n{}",
            table(
                "zgody",
                "Udzielone zgody",
                &["Zgoda", "Wersja treści", "Kiedy"],
                &rows
            )
        )
    }
}

const NO_REASON: &str = "Wybierz powód wycofania zgłoszenia.";

fn definition_list(items: &[(&str, String)]) -> String {
    let mut list = "<dl class=\"form-facts\">\n".to_owned();
    for (term, description) in items {
        let _ = writeln!(list, "<dt>{}</dt><dd>{description}</dd>", escape(term));
    }
    list.push_str("</dl>\n");
    list
}

/// The data the person gave, each field by its label; of a withdrawn
/// registration, that it is erased.
fn values(form: &FormDefinition, registration: &Registration) -> String {
    let mut html = "<h2>Dane z formularza</h2>\n".to_owned();
    if registration.status == Status::Withdrawn {
        html.push_str("<p>Zgłoszenie wycofano: dane osobowe zostały usunięte.</p>\n");
        return html;
    }
    let items: Vec<(&str, String)> = form
        .fields
        .iter()
        .map(|field| {
            let value = registration.values.get(&field.name);
            (
                field.label.as_str(),
                dash_or(value.map(|v| shown(field, v))),
            )
        })
        .collect();
    html.push_str(&definition_list(&items));
    html
}

fn downloads(form: &FormDefinition) -> String {
    let export = routes::panel(routes::PANEL_EXPORT, &form.id, "");
    let mut links = format!(
        "<ul>\n<li><a href=\"{export}?format=csv\">Pobierz zgłoszenia jako CSV (dla Excela)</a></li>\n\
         <li><a href=\"{export}?format=json\">Pobierz zgłoszenia jako JSON</a></li>\n"
    );
    if form.allocation == Allocation::Lottery {
        let _ = writeln!(
            links,
            "<li><a href=\"{}\">Losowanie miejsc</a></li>",
            routes::panel(routes::PANEL_LOTTERY, &form.id, "")
        );
    }
    links.push_str("</ul>\n");
    links
}

/// The filter: a GET form, so that it works without a script and its
/// address can be kept.
fn filter_form(form: &FormDefinition, query: &ListQuery) -> String {
    let mut options = format!(
        "<option value=\"\"{}>wszystkie</option>\n",
        if query.status.is_none() {
            " selected"
        } else {
            ""
        }
    );
    for status in ALL_STATUSES {
        let selected = if query.status == Some(status) {
            " selected"
        } else {
            ""
        };
        let _ = writeln!(
            options,
            "<option value=\"{}\"{selected}>{}</option>",
            status.as_str(),
            status_pl(status)
        );
    }
    format!(
        "<form method=\"get\" action=\"{action}\" class=\"agora-form\" role=\"search\" \
         aria-label=\"Wybór zgłoszeń\">\n\
         <div class=\"field\"><label class=\"label\" for=\"stan\">Stan</label>\n\
         <select class=\"select\" id=\"stan\" name=\"stan\">\n{options}</select></div>\n\
         <div class=\"field\"><label class=\"label\" for=\"szukaj\">Szukaj</label>\n\
         <p class=\"hint\" id=\"szukaj-hint\">Numer zgłoszenia albo fragment danych, \
         np. nazwiska lub adresu e-mail.</p>\n\
         <input class=\"input\" type=\"search\" id=\"szukaj\" name=\"szukaj\" \
         value=\"{search}\" aria-describedby=\"szukaj-hint\"></div>\n\
         <button type=\"submit\" class=\"button\">Pokaż</button>\n</form>\n",
        action = routes::panel(routes::PANEL_FORM, &form.id, ""),
        search = escape(&query.search),
    )
}

const ALL_STATUSES: [Status; 8] = [
    Status::Pending,
    Status::Registered,
    Status::Waiting,
    Status::Applied,
    Status::Selected,
    Status::Reserve,
    Status::Withdrawn,
    Status::Spam,
];

fn count_line(query: &ListQuery, listing: &Listing<'_>) -> String {
    let count = |n: usize| {
        count_pl(
            i64::try_from(n).unwrap_or(i64::MAX),
            "zgłoszenie",
            "zgłoszenia",
            "zgłoszeń",
        )
    };
    if query.status.is_none() && query.search.is_empty() {
        format!("<p>{}</p>\n", count(listing.total))
    } else {
        format!(
            "<p>Pasuje {} (spośród {}).</p>\n",
            count(listing.matching),
            listing.total
        )
    }
}

fn pagination(form: &FormDefinition, query: &ListQuery, listing: &Listing<'_>) -> String {
    if listing.pages < 2 {
        return String::new();
    }
    let mut items = String::new();
    if listing.page > 1 {
        let _ = writeln!(
            items,
            "<li><a href=\"{}\" rel=\"prev\">Poprzednia strona</a></li>",
            escape(&list_path(form, query, listing.page - 1))
        );
    }
    let _ = writeln!(
        items,
        "<li class=\"pagination-current\">Strona {} z {}</li>",
        listing.page, listing.pages
    );
    if listing.page < listing.pages {
        let _ = writeln!(
            items,
            "<li><a href=\"{}\" rel=\"next\">Następna strona</a></li>",
            escape(&list_path(form, query, listing.page + 1))
        );
    }
    format!("<nav class=\"pagination\" aria-label=\"Strony listy\"><ul>\n{items}</ul></nav>\n")
}

/// What staff may do with the registration now, each a form with the
/// session's CSRF token; a withdrawn one offers nothing.
fn actions(
    who: &SignedIn,
    form: &FormDefinition,
    registration: &Registration,
    reason_missing: bool,
) -> String {
    let reference = &registration.reference;
    let mut html = "<h2>Działania</h2>\n".to_owned();
    if !may_withdraw(registration) {
        html.push_str("<p>Tego zgłoszenia nie można już zmienić.</p>\n");
        return html;
    }
    if may_resend(registration) {
        let _ = writeln!(
            html,
            "<form method=\"post\" action=\"{}\" class=\"agora-form\">{}\n\
             <p>Osoba nie ma e-maila z linkami? Wyślemy go ponownie z nowymi linkami; \
             poprzednie przestaną działać.</p>\n\
             <button type=\"submit\" class=\"button\">Wyślij ponownie e-mail z linkami</button>\n</form>",
            routes::panel(routes::PANEL_REGISTRATION_RESEND, &form.id, reference),
            csrf_input(who),
        );
    }
    if may_mark_bounced(registration) {
        let _ = writeln!(
            html,
            "<form method=\"post\" action=\"{}\" class=\"agora-form\">{}\n\
             <p>Wiadomości wracają albo osoba zgłosiła, że adres nie działa? \
             Po oznaczeniu nie wyślemy na niego więcej wiadomości.</p>\n\
             <button type=\"submit\" class=\"button button--secondary\">Oznacz adres jako niedziałający</button>\n</form>",
            routes::panel(routes::PANEL_REGISTRATION_BOUNCED, &form.id, reference),
            csrf_input(who),
        );
    }
    html.push_str(&withdraw_form(who, form, registration, reason_missing));
    html
}

/// Withdrawing at the person's request: a reason from the list is
/// required (no free text: the log keeps its code).
fn withdraw_form(
    who: &SignedIn,
    form: &FormDefinition,
    registration: &Registration,
    reason_missing: bool,
) -> String {
    let (field_class, described, error, invalid) = if reason_missing {
        (
            "field field--error",
            "powod-hint powod-error",
            format!(
                "<p class=\"error-message\" id=\"powod-error\">\
                 <span class=\"visually-hidden\">Błąd: </span>{NO_REASON}</p>\n"
            ),
            " aria-invalid=\"true\"",
        )
    } else {
        ("field", "powod-hint", String::new(), "")
    };
    let mut choices = String::new();
    for (index, reason) in REASONS.iter().enumerate() {
        let id = if index == 0 {
            REASON_FIELD.to_owned()
        } else {
            format!("{REASON_FIELD}-{}", index + 1)
        };
        let _ = writeln!(
            choices,
            "<div class=\"choice\"><input type=\"radio\" id=\"{id}\" name=\"powod\" \
             value=\"{}\"{invalid}><label for=\"{id}\">{}</label></div>",
            reason.code, reason.label
        );
    }
    format!(
        "<form method=\"post\" action=\"{action}\" class=\"agora-form\" novalidate>{csrf}\n\
         <div class=\"{field_class}\"><fieldset class=\"fieldset\" aria-describedby=\"{described}\">\n\
         <legend class=\"legend\">Powód wycofania</legend>\n\
         <p class=\"hint\" id=\"powod-hint\">Wycofaj zgłoszenie tylko na prośbę tej osoby. \
         Jej dane osobowe zostaną usunięte, a miejsce dostanie pierwsza osoba z listy \
         oczekujących (wyślemy jej e-mail).</p>\n{error}\
         <div class=\"choices\">\n{choices}</div>\n</fieldset></div>\n\
         <button type=\"submit\" class=\"button button--warning\">Wycofaj zgłoszenie</button>\n</form>\n",
        action = routes::panel(routes::PANEL_REGISTRATION_WITHDRAW, &form.id, &registration.reference),
        csrf = csrf_input(who),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_kept_in_the_links_encoded() {
        assert_eq!(percent_encoded("Łucja K-1"), "%C5%81ucja%20K-1");
        assert_eq!(percent_encoded("a&b=c"), "a%26b%3Dc");
    }

    #[test]
    fn notices_round_trip_by_code() {
        for done in Done::ALL {
            assert_eq!(Done::parse(done.code()), Some(done));
        }
        assert_eq!(Done::parse("cokolwiek"), None);
    }
}
