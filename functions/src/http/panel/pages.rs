//! The workspace's pages, in Polish, in the site's look (the theme's
//! stylesheet through [`super::super::pages::Pages::document`]): a header
//! with the workspace's menu and the sign-out button, one `h1`, tables
//! with captions and headers, forms with labels. No script: every action
//! is a form.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use agora_core::forms::html::escape;
use agora_core::forms::{Allocation, FormDefinition, FormState};
use agora_core::ideas::Unit;
use agora_core::panel::sessions::CSRF_FIELD;
use agora_core::panel::{Account, AuditEntry, Role, SignedIn};
use agora_core::polish::{count_pl, date_time_pl};
use agora_core::routes;
use agora_core::store::Counts;

use super::charts::{self, Charted};
use super::{NewAccount, Refusal};

use super::super::pages::Pages;

/// The page of a request that failed on a bug: no layout and no
/// stylesheet (the settings are not at hand in a panic handler).
pub(crate) fn failed() -> String {
    "<!DOCTYPE html>\n<html lang=\"pl\">\n<head>\n<meta charset=\"utf-8\">\n\
     <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
     <title>Wystąpił błąd – panel</title>\n</head>\n<body>\n<main id=\"main\">\n\
     <h1>Wystąpił błąd</h1>\n<p>Nie udało się wykonać tej operacji. Spróbuj ponownie; \
     jeśli błąd się powtórzy, napisz do zespołu programu.</p>\n\
     <p><a href=\"/panel/\">Wróć do pulpitu</a></p>\n</main>\n</body>\n</html>\n"
        .to_owned()
}

/// The workspace's few rules beyond the theme's, in the theme
/// (`themes/default/static/panel.css`), so that the site's pages do not
/// carry them.
const STYLESHEET: &str = "/panel.css";

pub(crate) struct PanelPages<'a> {
    pub(crate) home: &'a str,
    pub(crate) contact: &'a str,
    pub(crate) timezone: Tz,
}

impl PanelPages<'_> {
    fn site(&self) -> Pages<'_> {
        Pages {
            home: self.home,
            contact: self.contact,
        }
    }

    /// A page of the workspace; `nav` is the signed-in account's [`menu`].
    pub(super) fn layout(&self, title: &str, nav: Option<String>, main: &str) -> String {
        let nav = nav.unwrap_or_default();
        self.site().document_with(
            &format!("{title} – panel"),
            &[STYLESHEET],
            &format!(
                "<a class=\"skip-link\" href=\"#main\">Przejdź do treści</a>\n\
                 <header class=\"site-header\"><div class=\"container\">\n\
                 <a class=\"site-title\" href=\"{panel}\">Panel programu</a>\n{nav}</div></header>\n\
                 <main id=\"main\" class=\"container\">\n<h1>{title}</h1>\n{main}</main>\n\
                 <footer class=\"site-footer\"><div class=\"container\">\n\
                 <p>Pomoc: <a href=\"mailto:{contact}\">{contact}</a></p>\n\
                 </div></footer>\n",
                panel = routes::PANEL,
                title = escape(title),
                contact = escape(self.contact),
            ),
        )
    }

    pub(super) fn time(&self, at: DateTime<Utc>) -> String {
        date_time_pl(at.with_timezone(&self.timezone))
    }

    pub(crate) fn sign_in(&self, signed_out: bool, typed: &str, problem: Option<&str>) -> String {
        let mut main = String::new();
        if signed_out {
            main.push_str("<div class=\"notice\" role=\"status\"><p>Wylogowano.</p></div>\n");
        }
        main.push_str(
            "<p>Panel jest dla pracowników biura budżetu obywatelskiego, ekspertów \
             jednostek weryfikujących i ambasadorów. Podaj służbowy adres e-mail: \
             wyślemy na niego link do logowania.</p>\n",
        );
        // Marked as the residents' forms mark a field, and focused, so
        // that the message is read with the field.
        let (field_class, invalid, error) = match problem {
            Some(problem) => (
                "field field--error",
                " aria-invalid=\"true\" aria-describedby=\"email-error\" autofocus",
                format!(
                    "<p class=\"error-message\" id=\"email-error\">\
                     <span class=\"visually-hidden\">Błąd: </span>{}</p>\n",
                    escape(problem)
                ),
            ),
            None => ("field", "", String::new()),
        };
        main.push_str(&format!(
            "<form method=\"post\" action=\"{action}\" class=\"agora-form\">\n\
             <div class=\"{field_class}\">\n\
             <label class=\"label\" for=\"email\">Adres e-mail</label>\n{error}\
             <input class=\"input\" id=\"email\" name=\"email\" type=\"email\" \
             autocomplete=\"email\" required value=\"{typed}\"{invalid}>\n</div>\n\
             <button type=\"submit\" class=\"button\">Wyślij link</button>\n</form>\n",
            action = routes::PANEL_SIGN_IN,
            typed = escape(typed),
        ));
        self.layout("Logowanie", None, &main)
    }

    pub(crate) fn link_sent(&self) -> String {
        self.layout(
            "Sprawdź skrzynkę",
            None,
            &format!(
                "<p>Jeśli ten adres ma konto w panelu, wysłaliśmy na niego link do \
                 logowania. Link działa jeden raz i tylko przez krótki czas.</p>\n\
                 <p>Nie ma wiadomości? Sprawdź folder ze spamem albo \
                 <a href=\"{}\">poproś o nowy link</a>.</p>\n",
                routes::PANEL_SIGN_IN
            ),
        )
    }

    pub(crate) fn too_many_links(&self, retry_after_seconds: u64) -> String {
        let minutes = i64::try_from(retry_after_seconds.div_ceil(60)).unwrap_or(15);
        self.layout(
            "Zbyt wiele prób",
            None,
            &format!(
                "<p>Poproszono o zbyt wiele linków. Spróbuj ponownie za {}.</p>\n",
                count_pl(minutes, "minutę", "minuty", "minut")
            ),
        )
    }

    /// The sign-in link's page: signing in takes a press of the button.
    pub(crate) fn link(&self, token: &str) -> String {
        self.layout(
            "Logowanie do panelu",
            None,
            &format!(
                "<p>Naciśnij przycisk, aby się zalogować.</p>\n\
                 <form method=\"post\" action=\"{action}\">\n\
                 <input type=\"hidden\" name=\"token\" value=\"{token}\">\n\
                 <button type=\"submit\" class=\"button\">Zaloguj się</button>\n</form>\n",
                action = routes::PANEL_LINK,
                token = escape(token),
            ),
        )
    }

    pub(crate) fn link_refused(&self) -> String {
        self.layout(
            "Ten link już nie działa",
            None,
            &format!(
                "<p>Link do logowania działa jeden raz i tylko przez krótki czas. \
                 Ten został już użyty albo wygasł.</p>\n\
                 <p><a href=\"{}\">Poproś o nowy link</a>.</p>\n",
                routes::PANEL_SIGN_IN
            ),
        )
    }

    /// The workspace's one page for what is not there: a form, a
    /// registration (or no longer: erased after its retention period) or a
    /// file not made yet.
    pub(crate) fn not_found(&self, who: &SignedIn) -> String {
        self.layout(
            "Nie znaleziono",
            Some(menu(who, "")),
            &format!(
                "<p>Nie ma takiego formularza, zgłoszenia ani pliku. Zgłoszenie mogło zostać \
                 usunięte po okresie przechowywania danych.</p>\n\
                 <p><a href=\"{}\">Wróć do pulpitu</a></p>\n",
                routes::PANEL
            ),
        )
    }

    pub(crate) fn forbidden(&self) -> String {
        self.layout(
            "Brak dostępu",
            None,
            &format!(
                "<p>To konto nie ma dostępu do tej strony albo formularz wygasł. \
                 Wróć do <a href=\"{}\">pulpitu</a> i spróbuj ponownie.</p>\n",
                routes::PANEL
            ),
        )
    }

    /// A POST whose body is not the form of the page it came from.
    pub(crate) fn unreadable_form(&self) -> String {
        self.layout(
            "Nie udało się odczytać formularza",
            None,
            &format!(
                "<p>Przesłany formularz był niekompletny albo uszkodzony. Nic nie zostało \
                 zmienione. Wróć do <a href=\"{}\">pulpitu</a> i spróbuj ponownie.</p>\n",
                routes::PANEL
            ),
        )
    }

    pub(crate) fn unavailable(&self) -> String {
        self.layout(
            "Chwilowy problem",
            None,
            "<p>Nie udało się teraz wykonać tej operacji. Nic nie zostało zmienione. \
             Spróbuj ponownie za chwilę.</p>\n",
        )
    }

    /// The dashboard: office sees every form with its counts, and the
    /// charts of those open or closed lately; a verifier, the way to the
    /// ideas of their unit and how many are `waiting` for its answer.
    pub(crate) fn dashboard(
        &self,
        who: &SignedIn,
        forms: &[(Arc<FormDefinition>, Counts)],
        charted: &[Charted],
        waiting: usize,
        now: DateTime<Utc>,
    ) -> String {
        let mut main = format!(
            "<p>Zalogowano jako {} ({}).</p>\n",
            escape(&who.account.email),
            who.account.role.label_pl().to_lowercase()
        );
        match who.account.role {
            Role::Office => {
                main.push_str(&forms_table(forms, now));
                main.push_str(&charts::section(charted));
            }
            Role::Verifier => main.push_str(&format!(
                "<p><a href=\"{}\">Pomysły przekazane Twojej jednostce</a>. \
                 Czekających na odpowiedź: {waiting}.</p>\n",
                routes::PANEL_IDEAS
            )),
            Role::Ambassador => main.push_str(&format!(
                "<p><a href=\"{}\">Osoby, które dołączyły do procesu w Twoim obszarze</a></p>\n",
                routes::PANEL_AREA
            )),
        }
        self.layout("Pulpit", Some(menu(who, routes::PANEL)), &main)
    }

    /// The accounts and the form to add one; after a refused addition,
    /// the reason first (linked to its field) and the form as typed.
    pub(crate) fn accounts(
        &self,
        who: &SignedIn,
        office: &[String],
        stored: &[Account],
        units: &[Unit],
        refused: Option<(&NewAccount, Refusal)>,
    ) -> String {
        let mut main = String::new();
        if let Some((_, refusal)) = refused {
            let summary = error_summary("Nie dodano konta", Some(refusal.field), refusal.message);
            main.push_str(&summary);
        }
        main.push_str(&accounts_table(who, office, stored, &|at| self.time(at)));
        main.push_str(&add_account_form(who, units, refused));
        self.layout("Konta", Some(menu(who, routes::PANEL_ACCOUNTS)), &main)
    }

    pub(crate) fn audit(&self, who: &SignedIn, lines: &[AuditEntry]) -> String {
        let mut rows = String::new();
        for line in lines {
            let cell = |value: &Option<String>| escape(value.as_deref().unwrap_or("–"));
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&self.time(line.at)),
                escape(&line.actor),
                escape(line.action.label_pl()),
                cell(&line.form_id),
                cell(&line.reference),
                cell(&line.detail),
            ));
        }
        let mut main = "<p>Każda czynność w panelu, najnowsze na górze. Dziennik nie zawiera \
                        danych osobowych zgłoszeń, tylko ich numery.</p>\n"
            .to_owned();
        main.push_str(&table(
            "dziennik",
            "Dziennik zdarzeń",
            &["Kiedy", "Kto", "Co", "Formularz", "Zgłoszenie", "Szczegóły"],
            &rows,
        ));
        self.layout(
            "Dziennik zdarzeń",
            Some(menu(who, routes::PANEL_AUDIT)),
            &main,
        )
    }
}

/// The menu of a signed-in account, `here` marked as the current page,
/// and its sign-out buttons (forms with the CSRF token: signing out
/// changes something). In the site's header, with its classes.
pub(super) fn menu(who: &SignedIn, here: &str) -> String {
    let mut pages = vec![(routes::PANEL, "Pulpit")];
    match who.account.role {
        Role::Office => {
            pages.push((routes::PANEL_IDEAS, "Pomysły"));
            pages.push((routes::PANEL_AMBASSADORS, "Ambasadorzy"));
            pages.push((routes::PANEL_ACCOUNTS, "Konta"));
            pages.push((routes::PANEL_AUDIT, "Dziennik"));
        }
        Role::Ambassador => pages.push((routes::PANEL_AREA, "Mój obszar")),
        Role::Verifier => pages.push((routes::PANEL_IDEAS, "Pomysły")),
    }
    let links: String = pages
        .into_iter()
        .map(|(path, label)| {
            let current = if path == here {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!("<li><a href=\"{path}\"{current}>{label}</a></li>\n")
        })
        .collect();
    format!(
        "<nav class=\"site-nav\" aria-label=\"Menu panelu\"><ul>\n{links}</ul></nav>\n\
         <div class=\"actions\">\n\
         <form method=\"post\" action=\"{out}\">{csrf}\
         <button type=\"submit\" class=\"button button--secondary\">Wyloguj</button></form>\n\
         <form method=\"post\" action=\"{everywhere}\">{csrf}\
         <button type=\"submit\" class=\"button button--secondary\">Wyloguj na wszystkich urządzeniach</button></form>\n\
         </div>\n",
        out = routes::PANEL_SIGN_OUT,
        everywhere = routes::PANEL_SIGN_OUT_EVERYWHERE,
        csrf = csrf_input(who),
    )
}

pub(super) fn csrf_input(who: &SignedIn) -> String {
    format!(
        "<input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{}\">",
        escape(&who.csrf)
    )
}

pub(super) fn state_pl(state: FormState) -> &'static str {
    match state {
        FormState::Upcoming => "przed otwarciem",
        FormState::Open => "otwarty",
        FormState::Closed => "zamknięty",
        FormState::Cancelled => "odwołany",
    }
}

/// The forms with their counts; each form's title leads to its
/// registrations, a lottery form's also to its draw.
fn forms_table(forms: &[(Arc<FormDefinition>, Counts)], now: DateTime<Utc>) -> String {
    let mut rows = String::new();
    for (form, counts) in forms {
        let capacity = form
            .capacity
            .map_or_else(|| "bez limitu".to_owned(), |c| c.to_string());
        rows.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            form_links(form),
            state_pl(form.state_at(&now)),
            escape(&window_pl(form, now)),
            capacity,
            counts.pending,
            counts.taken,
            counts.waiting,
            counts.applied,
        ));
    }
    table(
        "formularze",
        "Formularze i zgłoszenia",
        &[
            "Formularz",
            "Stan",
            "Przyjmuje zgłoszenia",
            "Miejsca",
            "Czeka na potwierdzenie",
            "Z miejscem",
            "Lista rezerwowa",
            "Do losowania",
        ],
        &rows,
    )
}

fn form_links(form: &FormDefinition) -> String {
    let mut links = format!(
        "<a href=\"{}\">{}</a>",
        routes::panel(routes::PANEL_FORM, &form.id, ""),
        escape(&form.title)
    );
    if form.allocation == Allocation::Lottery {
        links.push_str(&format!(
            "<br><a href=\"{}\">Losowanie<span class=\"visually-hidden\">: {}</span></a>",
            routes::panel(routes::PANEL_LOTTERY, &form.id, ""),
            escape(&form.title)
        ));
    }
    links
}

/// When the form takes registrations, in Polish. A form known only to
/// have closed by some day (`closed_by`) says so, rather than "od …" as
/// if it were still open.
fn window_pl(form: &FormDefinition, now: DateTime<Utc>) -> String {
    let opens = form.opens.pl();
    match (&form.closes, &form.closed_by) {
        (Some(closes), _) => format!("{opens} – {}", closes.pl()),
        (None, Some(by)) if by.at <= now => {
            format!("od {opens} (zamknięty najpóźniej {})", by.pl())
        }
        (None, Some(by)) => format!("od {opens} (zamknie się najpóźniej {})", by.pl()),
        (None, None) => format!("od {opens}"),
    }
}

fn accounts_table(
    who: &SignedIn,
    office: &[String],
    stored: &[Account],
    time: &dyn Fn(DateTime<Utc>) -> String,
) -> String {
    let mut rows = String::new();
    for email in office {
        rows.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>Biuro</td><td>–</td>\
             <td>z konfiguracji strony</td><td>–</td></tr>\n",
            escape(email)
        ));
    }
    for account in stored {
        let added = match (&account.added_by, account.added_at) {
            (Some(by), Some(at)) => format!("{}, {}", escape(by), escape(&time(at))),
            _ => "–".to_owned(),
        };
        rows.push_str(&format!(
            "<tr><th scope=\"row\">{email}</th><td>{role}</td><td>{area}</td><td>{added}</td>\
             <td><form method=\"post\" action=\"{remove}\">{csrf}\
             <input type=\"hidden\" name=\"email\" value=\"{email}\">\
             <button type=\"submit\" class=\"button button--warning\">Usuń konto \
             <span class=\"visually-hidden\">{email}</span></button></form></td></tr>\n",
            email = escape(&account.email),
            role = account.role.label_pl(),
            area = escape(account.area.as_deref().unwrap_or("–")),
            remove = routes::PANEL_ACCOUNT_REMOVE,
            csrf = csrf_input(who),
        ));
    }
    table(
        "konta",
        "Konta z dostępem do panelu",
        &["Adres", "Rola", "Obszar", "Dodane przez", "Działania"],
        &rows,
    )
}

/// A table in a box that scrolls sideways on a narrow screen: a region
/// named by the caption, focusable so that the keyboard scrolls it too.
pub(super) fn table(id: &str, caption: &str, headers: &[&str], rows: &str) -> String {
    let headers: String = headers
        .iter()
        .map(|header| format!("<th scope=\"col\">{}</th>", escape(header)))
        .collect();
    format!(
        "<div class=\"table-scroll\" role=\"region\" aria-labelledby=\"{id}\" tabindex=\"0\">\
         <table>\n<caption id=\"{id}\">{caption}</caption>\n\
         <thead><tr>{headers}</tr></thead>\n<tbody>\n{rows}</tbody>\n</table></div>\n",
        caption = escape(caption),
    )
}

/// The box above a refused form: `title`, and `message` linking to the
/// field whose `id` is `target`, if it names one. As the residents' forms
/// do: focused, so that it is read first.
pub(super) fn error_summary(title: &str, target: Option<&str>, message: &str) -> String {
    let message = match target {
        Some(field) => format!("<a href=\"#{field}\">{}</a>", escape(message)),
        None => escape(message),
    };
    format!(
        "<div class=\"error-summary\" aria-labelledby=\"error-summary-title\" \
         role=\"alert\" tabindex=\"-1\" autofocus>\n\
         <h2 class=\"error-summary__title\" id=\"error-summary-title\">\
         {}</h2>\n<p>{message}</p>\n</div>\n",
        escape(title)
    )
}

/// What a step just did, above the page, read out when it shows.
pub(super) fn status_notice(message: &str) -> String {
    format!(
        "<div class=\"notice\" role=\"status\"><p>{}</p></div>\n",
        escape(message)
    )
}

/// A refused field's message, above its control, which names it by its
/// `id` (`{field}-error`) in `aria-describedby`.
pub(super) fn error_message(field: &str, message: &str) -> String {
    format!(
        "<p class=\"error-message\" id=\"{field}-error\">\
         <span class=\"visually-hidden\">Błąd: </span>{}</p>\n",
        escape(message)
    )
}

/// The `id`s of the add-an-account form's fields, which a refusal names.
pub(crate) const EMAIL_FIELD: &str = "new-email";
pub(crate) const ROLE_FIELD: &str = "new-role";
pub(crate) const AREA_FIELD: &str = "new-area";
pub(crate) const UNIT_FIELD: &str = "new-unit";

fn add_account_form(
    who: &SignedIn,
    units: &[Unit],
    refused: Option<(&NewAccount, Refusal)>,
) -> String {
    let typed = |value: fn(&NewAccount) -> &String| {
        refused.map_or_else(String::new, |(form, _)| escape(value(form)))
    };
    // The refused field: marked invalid, described by its message.
    let mark = |field: &str| match refused {
        Some((_, refusal)) if refusal.field == field => {
            format!(" aria-invalid=\"true\" aria-describedby=\"{field}-error\"")
        }
        _ => String::new(),
    };
    let message = |field: &str| match refused {
        Some((_, refusal)) if refusal.field == field => error_message(field, refusal.message),
        _ => String::new(),
    };
    let ambassador = refused.is_some_and(|(form, _)| form.role == "ambassador");
    // The area's hint describes it always, its message when refused.
    let area_attributes = match refused {
        Some((_, refusal)) if refusal.field == AREA_FIELD => {
            format!(" aria-invalid=\"true\" aria-describedby=\"new-area-hint {AREA_FIELD}-error\"")
        }
        _ => " aria-describedby=\"new-area-hint\"".to_owned(),
    };
    format!(
        "<h2>Dodaj konto</h2>\n\
         <p>Konta biura są w konfiguracji strony (plik agora.yaml). Tu dodasz eksperta \
         jednostki weryfikującej albo powołanego ambasadora.</p>\n\
         <form method=\"post\" action=\"{action}\" class=\"agora-form\">{csrf}\n\
         <div class=\"field\"><label class=\"label\" for=\"{EMAIL_FIELD}\">Adres e-mail</label>\n\
         {email_error}<input class=\"input\" id=\"{EMAIL_FIELD}\" name=\"email\" type=\"email\" \
         autocomplete=\"off\" required value=\"{email}\"{email_mark}></div>\n\
         <div class=\"field\"><label class=\"label\" for=\"{ROLE_FIELD}\">Rola</label>\n\
         {role_error}<select class=\"select\" id=\"{ROLE_FIELD}\" name=\"role\"{role_mark}>\n\
         <option value=\"verifier\">Weryfikator</option>\n\
         <option value=\"ambassador\"{selected}>Ambasador</option>\n</select></div>\n\
         <div class=\"field\"><label class=\"label\" for=\"{AREA_FIELD}\">Obszar ambasadora</label>\n\
         <p class=\"hint\" id=\"new-area-hint\">Numer dzielnicy, np. XIII; \
         dla weryfikatora zostaw puste.</p>\n\
         {area_error}<input class=\"input\" id=\"{AREA_FIELD}\" name=\"area\" type=\"text\" \
         value=\"{area}\"{area_attributes}></div>\n\
         {unit}\
         <button type=\"submit\" class=\"button\">Dodaj konto</button>\n</form>\n",
        action = routes::PANEL_ACCOUNTS,
        csrf = csrf_input(who),
        email = typed(|form| &form.email),
        email_mark = mark(EMAIL_FIELD),
        email_error = message(EMAIL_FIELD),
        role_mark = mark(ROLE_FIELD),
        role_error = message(ROLE_FIELD),
        selected = if ambassador { " selected" } else { "" },
        area = typed(|form| &form.area),
        area_error = message(AREA_FIELD),
        unit = unit_field(units, refused),
    )
}

/// The verifier's unit: a choice of the units of the forms that take
/// ideas (none without them), kept as chosen after a refusal.
fn unit_field(units: &[Unit], refused: Option<(&NewAccount, Refusal)>) -> String {
    if units.is_empty() {
        return String::new();
    }
    let chosen = refused.map_or("", |(form, _)| form.unit.trim());
    let mut options = "<option value=\"\">Wybierz jednostkę</option>\n".to_owned();
    for unit in units {
        options.push_str(&format!(
            "<option value=\"{}\"{}>{}</option>\n",
            escape(&unit.id),
            if chosen == unit.id { " selected" } else { "" },
            escape(&unit.name)
        ));
    }
    let (error, attributes) = match refused {
        Some((_, refusal)) if refusal.field == UNIT_FIELD => (
            error_message(UNIT_FIELD, refusal.message),
            format!(
                " aria-invalid=\"true\" aria-describedby=\"{UNIT_FIELD}-hint {UNIT_FIELD}-error\""
            ),
        ),
        _ => (
            String::new(),
            format!(" aria-describedby=\"{UNIT_FIELD}-hint\""),
        ),
    };
    format!(
        "<div class=\"field\"><label class=\"label\" for=\"{UNIT_FIELD}\">Jednostka weryfikatora</label>\n\
         <p class=\"hint\" id=\"{UNIT_FIELD}-hint\">Jednostka, której pomysły ekspert zobaczy \
         i oceni; dla ambasadora zostaw bez wyboru.</p>\n\
         {error}<select class=\"select\" id=\"{UNIT_FIELD}\" name=\"unit\"{attributes}>\n\
         {options}</select></div>\n"
    )
}
