//! The functions' own HTML pages, in Polish: one `h1` each, the contact
//! address and a link back to the site. They look like the site's pages:
//! the same classes and the theme's own stylesheet (`style.css` at the
//! site's address, the same origin as `/api/*`), and no script.

use super::Action;
use agora_core::forms::html::{
    escape, render_error_summary, render_form, FormLinks, PRIVACY_POLICY_PATH,
};
use agora_core::forms::{Allocation, FieldError, FormDefinition, Moment, Submission};
use agora_core::polish::count_pl;
use agora_core::registration::{Registration, Status};
use agora_core::routes;
use axum::http::Uri;

/// The theme's stylesheet, under the site's path.
const STYLESHEET: &str = "/style.css";

/// What every page needs from the site's settings.
pub(crate) struct Pages<'a> {
    /// The site's address; its home page is linked from every page.
    pub(crate) home: &'a str,
    pub(crate) contact: &'a str,
}

impl Pages<'_> {
    fn home_url(&self) -> String {
        format!("{}/", self.home.trim_end_matches('/'))
    }

    pub(super) fn layout(&self, title: &str, main: &str) -> String {
        let home = escape(&self.home_url());
        let contact = escape(self.contact);
        self.document(
            title,
            &format!(
                "<header class=\"site-header\"><div class=\"container\">\
                 <a class=\"site-title\" href=\"{home}\">Strona główna</a></div></header>\n\
                 <main id=\"main\" class=\"container\">\n{main}</main>\n\
                 <footer class=\"site-footer\"><div class=\"container\">\n\
                 <p>Pytania? Napisz do nas: <a href=\"mailto:{contact}\">{contact}</a></p>\n\
                 <p><a href=\"{home}\">Wróć na stronę główną</a></p>\n\
                 </div></footer>\n"
            ),
        )
    }

    /// A page with a title and a text only: no header or footer.
    pub(crate) fn simple_page(&self, title: &str, main: &str) -> String {
        self.document(
            title,
            &format!(
                "<main id=\"main\" class=\"container\">\n<h1>{}</h1>\n{main}</main>\n",
                escape(title)
            ),
        )
    }

    fn document(&self, title: &str, body: &str) -> String {
        self.document_with(title, &[], body)
    }

    /// A page with the theme's stylesheet and `more` of the theme's
    /// stylesheets after it (paths under the site, like `/panel.css`).
    pub(crate) fn document_with(&self, title: &str, more: &[&str], body: &str) -> String {
        // Linked from the page's own origin, which is the site's behind
        // CloudFront and under `agora serve`, so that the policy
        // `style-src 'self'` always allows them.
        let base = site_path(self.home);
        let links: String = std::iter::once(STYLESHEET)
            .chain(more.iter().copied())
            .map(|sheet| {
                format!(
                    "<link rel=\"stylesheet\" href=\"{}\">\n",
                    escape(&format!("{base}{sheet}"))
                )
            })
            .collect();
        format!(
            "<!DOCTYPE html>\n<html lang=\"pl\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"robots\" content=\"noindex\">\n\
             <title>{}</title>\n{links}</head>\n<body>\n{body}</body>\n</html>\n",
            escape(title),
        )
    }

    fn form(&self, form: &FormDefinition, values: &Submission, errors: &[FieldError]) -> String {
        let privacy_policy = format!("{}{PRIVACY_POLICY_PATH}", self.home.trim_end_matches('/'));
        let links = FormLinks {
            action: &form_path(form),
            privacy_policy: &privacy_policy,
        };
        render_form(form, links, values, errors)
    }

    /// The form again after an invalid submission: the error summary,
    /// then every field with what the person typed and its message.
    pub(crate) fn form_again(
        &self,
        form: &FormDefinition,
        submission: &Submission,
        errors: &[FieldError],
    ) -> String {
        let mut main = render_error_summary(errors);
        main.push_str(&format!("<h1>{}</h1>\n", escape(&form.title)));
        if let Some(description) = &form.description {
            main.push_str(&format!("<p class=\"lead\">{}</p>\n", escape(description)));
        }
        main.push_str(&self.form(form, submission, errors));
        self.layout(&format!("Błąd: {}", form.title), &main)
    }

    /// A page that explains why a submission was not stored, with the
    /// form filled in again so that nothing typed is lost.
    fn notice_with_form(
        &self,
        title: &str,
        notice: &str,
        form: Option<(&FormDefinition, &Submission)>,
    ) -> String {
        let mut main = format!(
            "<h1>{}</h1>\n<div class=\"notice\">\n{notice}</div>\n",
            escape(title)
        );
        if let Some((form, submission)) = form {
            main.push_str(&format!("<h2>{}</h2>\n", escape(&form.title)));
            main.push_str(&self.form(form, submission, &[]));
        }
        self.layout(title, &main)
    }

    /// After a submission to a form without double opt-in: the reference
    /// and what happens next.
    pub(crate) fn received(&self, form: &FormDefinition, registration: &Registration) -> String {
        let mut main = format!(
            "<h1>Dziękujemy za zgłoszenie</h1>\n<p>{}</p>\n{}",
            escape(&form.title),
            reference_panel(&registration.reference)
        );
        // Suspected spam reads as any undecided registration.
        if !matches!(registration.status, Status::Pending | Status::Spam) {
            main.push_str(&format!(
                "<p>{}</p>\n",
                escape(&decision(form, registration.status, registration.position))
            ));
        }
        if let Some(next) = &form.next_steps {
            main.push_str(&format!("<h2>Co dalej?</h2>\n<p>{}</p>\n", escape(next)));
        }
        main.push_str("<p>Zapisz numer zgłoszenia – przyda się, gdy będziesz do nas pisać.</p>\n");
        self.layout("Dziękujemy za zgłoszenie", &main)
    }

    /// After a submission whose reference comes by e-mail: the same page
    /// for a new registration and a repeated one, so it tells nobody
    /// whether an address was registered before.
    pub(crate) fn sent(&self, form: &FormDefinition) -> String {
        let mut main = format!(
            "<h1>Dziękujemy za zgłoszenie</h1>\n<p>{}</p>\n",
            escape(&form.title)
        );
        if form.double_opt_in {
            main.push_str(
                "<h2>Potwierdź zgłoszenie</h2>\n<p>Wysłaliśmy e-mail na podany adres. \
                 Jest w nim numer zgłoszenia i link, którym trzeba je potwierdzić – \
                 bez potwierdzenia nie będzie brane pod uwagę.</p>\n",
            );
        } else {
            main.push_str("<p>Wysłaliśmy e-mail z numerem zgłoszenia na podany adres.</p>\n");
        }
        main.push_str(
            "<h2>Nie widzisz wiadomości?</h2>\n<p>Zajrzyj do folderu ze spamem. \
             Jeśli jej tam nie ma, wyślij formularz jeszcze raz z tym samym adresem e-mail: \
             nie powstanie drugie zgłoszenie, a my wyślemy nowe linki.</p>\n",
        );
        if let Some(next) = &form.next_steps {
            main.push_str(&format!("<h2>Co dalej?</h2>\n<p>{}</p>\n", escape(next)));
        }
        self.layout("Dziękujemy za zgłoszenie", &main)
    }

    /// The page a confirmation or withdrawal link opens: a button, since a
    /// GET never changes anything.
    pub(crate) fn link(&self, form: &FormDefinition, action: Action, token: &str) -> String {
        let (title, text, button, class) = match action {
            Action::Confirm => (
                "Potwierdź zgłoszenie",
                "Aby Twoje zgłoszenie było brane pod uwagę, potwierdź je przyciskiem poniżej.".to_owned(),
                "Potwierdź zgłoszenie",
                "button",
            ),
            Action::Withdraw => (
                "Wycofaj zgłoszenie",
                format!(
                    "Po wycofaniu usuniemy dane osobowe podane w zgłoszeniu{}. \
                     Tego nie można cofnąć: aby znów wziąć udział, trzeba będzie wysłać nowe zgłoszenie, \
                     dopóki nabór jest otwarty.",
                    match form.allocation {
                        Allocation::FirstCome => ", a Twoje miejsce zwolnimy – dostanie je pierwsza osoba z listy oczekujących",
                        Allocation::Lottery => ", a zgłoszenie nie weźmie udziału w losowaniu (jeśli masz już miejsce, zwolnimy je dla kolejnej osoby z listy rezerwowej)",
                    }
                ),
                "Wycofaj zgłoszenie",
                "button button--warning",
            ),
        };
        let main = format!(
            "<h1>{title}</h1>\n<p>Formularz: {}</p>\n<p>{}</p>\n\
             <form method=\"post\" action=\"{}\">\n\
             <input type=\"hidden\" name=\"token\" value=\"{}\">\n\
             <button type=\"submit\" class=\"{class}\">{button}</button>\n</form>\n",
            escape(&form.title),
            escape(&text),
            escape(&action_path(form, action)),
            escape(token)
        );
        self.layout(title, &main)
    }

    pub(crate) fn unknown_token(&self, form: &FormDefinition, action: Action) -> String {
        let text = match action {
            Action::Confirm => {
                "Ten link nie pasuje do żadnego zgłoszenia czekającego na potwierdzenie. \
                 Sprawdź, czy otwierasz cały link z e-maila (czasem program pocztowy dzieli go na dwie linie). \
                 Jeśli zgłoszenie zostało wycofane, trzeba wysłać je ponownie."
            }
            Action::Withdraw => {
                "Ten link nie pasuje do żadnego zgłoszenia albo zgłoszenie zostało już wycofane. \
                 Sprawdź, czy otwierasz cały link z e-maila."
            }
        };
        self.layout(
            "Nie znaleźliśmy zgłoszenia",
            &format!(
                "<h1>Nie znaleźliśmy zgłoszenia</h1>\n<p>Formularz: {}</p>\n<p>{text}</p>\n",
                escape(&form.title)
            ),
        )
    }

    /// The confirmation page: the reference (shown here first on a form
    /// with double opt-in), the decision and what happens next.
    pub(crate) fn confirmed(&self, form: &FormDefinition, registration: &Registration) -> String {
        let mut main = format!(
            "<h1>Zgłoszenie potwierdzone</h1>\n<p>{}</p>\n{}<p>{}</p>\n\
             <p>Wysłaliśmy Ci też e-mail z tą informacją.</p>\n",
            escape(&form.title),
            reference_panel(&registration.reference),
            escape(
                &if agora_core::service::confirmed_too_late(form, registration) {
                    agora_core::service::late_for_draw(form)
                } else {
                    decision(form, registration.status, registration.position)
                }
            )
        );
        if let Some(next) = &form.next_steps {
            main.push_str(&format!("<h2>Co dalej?</h2>\n<p>{}</p>\n", escape(next)));
        }
        main.push_str("<p>Zapisz numer zgłoszenia – przyda się, gdy będziesz do nas pisać.</p>\n");
        self.layout("Zgłoszenie potwierdzone", &main)
    }

    pub(crate) fn withdrawn(&self, form: &FormDefinition) -> String {
        let main = format!(
            "<h1>Zgłoszenie wycofane</h1>\n<p>{}</p>\n\
             <p>Usunęliśmy dane osobowe podane w zgłoszeniu, a miejsce przekazaliśmy dalej.</p>\n\
             <p>Jeśli zmienisz zdanie, możesz zgłosić się ponownie, dopóki nabór jest otwarty.</p>\n",
            escape(&form.title)
        );
        self.layout("Zgłoszenie wycofane", &main)
    }

    /// Too early: the form comes back filled in, to send again later.
    pub(crate) fn not_open_yet(
        &self,
        form: &FormDefinition,
        submission: &Submission,
        opens: Moment,
    ) -> String {
        self.notice_with_form(
            "Nabór jeszcze się nie rozpoczął",
            &format!(
                "<p>Zgłoszenia „{}” przyjmujemy od {}. Nie zapisaliśmy tego zgłoszenia – wyślij je ponownie po otwarciu naboru. Twoje odpowiedzi są niżej.</p>\n",
                escape(&form.title),
                opens.pl()
            ),
            Some((form, submission)),
        )
    }

    pub(crate) fn closed(&self, form: &FormDefinition, closes: Option<Moment>) -> String {
        self.notice_with_form(
            "Nabór jest zamknięty",
            &format!(
                "<p>{} Tego zgłoszenia nie zapisaliśmy.</p>\n",
                escape(&closed_text(form, closes))
            ),
            None,
        )
    }

    pub(crate) fn cancelled(&self, form: &FormDefinition) -> String {
        self.notice_with_form(
            "Nabór odwołany",
            &format!(
                "<p>{} Tego zgłoszenia nie zapisaliśmy.</p>\n",
                escape(&cancelled_text(form))
            ),
            None,
        )
    }

    /// A form sent without a fill-time stamp, as it is when the page's
    /// script did not run: nothing is stored; the form comes back as
    /// typed, with a stamp, to be sent once more.
    pub(crate) fn send_again(&self, form: &FormDefinition, submission: &Submission) -> String {
        self.notice_with_form(
            "Sprawdź odpowiedzi i wyślij ponownie",
            &format!("<p>{SEND_AGAIN}</p>\n"),
            Some((form, submission)),
        )
    }

    pub(crate) fn rate_limited(
        &self,
        form: &FormDefinition,
        submission: &Submission,
        retry_after_seconds: u64,
    ) -> String {
        self.notice_with_form(
            "Zbyt wiele zgłoszeń",
            &format!(
                "<p>Z tego adresu sieciowego wysłano w ostatnich minutach zbyt wiele zgłoszeń. \
                 Tego zgłoszenia nie zapisaliśmy. Spróbuj ponownie za {} – formularz poniżej zachował to, co wpisano.</p>\n",
                minutes_pl(retry_after_seconds)
            ),
            Some((form, submission)),
        )
    }

    pub(crate) fn unavailable(&self, form: Option<(&FormDefinition, &Submission)>) -> String {
        let again = if form.is_some() {
            " Formularz poniżej zachował to, co wpisano."
        } else {
            ""
        };
        self.notice_with_form(
            "Nie udało się zapisać",
            &format!(
                "<p>Chwilowo nie możemy niczego zapisać. <strong>Nic nie zostało zapisane</strong> – \
                 spróbuj ponownie za około pół minuty.{again}</p>\n\
                 <p>Jeśli problem się powtarza, napisz do nas: <a href=\"mailto:{contact}\">{contact}</a>.</p>\n",
                contact = escape(self.contact)
            ),
            form,
        )
    }

    pub(crate) fn internal_error(&self) -> String {
        self.message(
            "Wystąpił błąd",
            &format!(
                "Coś poszło nie tak po naszej stronie. Spróbuj ponownie za chwilę; jeśli problem się powtarza, napisz do nas: {}.",
                self.contact
            ),
        )
    }

    pub(crate) fn unknown_form(&self) -> String {
        self.message(
            "Nie ma takiego formularza",
            "Nie znaleźliśmy formularza pod tym adresem. Mógł zostać usunięty albo adres jest niepełny.",
        )
    }

    pub(crate) fn not_found(&self) -> String {
        self.message(
            "Nie ma takiej strony",
            "Nie znaleźliśmy strony pod tym adresem. Sprawdź, czy adres jest pełny.",
        )
    }

    pub(crate) fn message(&self, title: &str, text: &str) -> String {
        self.layout(
            title,
            &format!("<h1>{}</h1>\n<p>{}</p>\n", escape(title), escape(text)),
        )
    }
}

/// The path of the site's address on its host, without the query or the
/// trailing slash: `` for `https://example.org/`, `/budzet` for
/// `https://example.org/budzet/` or `/budzet/`. An address that does not
/// parse is taken as the host's root.
fn site_path(home: &str) -> String {
    home.parse::<Uri>()
        .map(|uri| uri.path().trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

/// The panel that shows a registration's reference.
fn reference_panel(reference: &str) -> String {
    format!(
        "<div class=\"panel\">\n<p>Numer zgłoszenia</p>\n<p class=\"reference\">{}</p>\n</div>\n",
        escape(reference)
    )
}

/// Where a form is submitted.
pub(crate) fn form_path(form: &FormDefinition) -> String {
    routes::form(&form.id)
}

fn action_path(form: &FormDefinition, action: Action) -> String {
    match action {
        Action::Confirm => routes::confirm(&form.id),
        Action::Withdraw => routes::withdraw(&form.id),
    }
}

/// Why a closed form took nothing; a lottery form's places are drawn.
pub(crate) fn closed_text(form: &FormDefinition, closes: Option<Moment>) -> String {
    let mut text = match closes {
        Some(closes) => format!(
            "Nabór „{}” jest zamknięty: zgłoszenia przyjmowaliśmy do {}.",
            form.title,
            closes.pl()
        ),
        None => format!("Nabór „{}” jest zamknięty.", form.title),
    };
    if form.allocation == Allocation::Lottery {
        text.push_str(" Miejsca przydzielimy w losowaniu spośród przyjętych zgłoszeń.");
    }
    text
}

pub(crate) fn cancelled_text(form: &FormDefinition) -> String {
    let reason = form.cancelled.as_deref().unwrap_or_default().trim();
    format!("Nabór „{}” został odwołany. {reason}", form.title)
        .trim_end()
        .to_owned()
}

/// What a registration's status means for the person, in Polish.
pub(crate) fn decision(form: &FormDefinition, status: Status, position: Option<u64>) -> String {
    let at = |position: Option<u64>| {
        position
            .map(|p| format!(", na pozycji {p}"))
            .unwrap_or_default()
    };
    match status {
        Status::Registered if form.capacity.is_some() => "Masz zapewnione miejsce.".to_owned(),
        Status::Registered => "Twoje zgłoszenie jest przyjęte.".to_owned(),
        Status::Waiting => format!(
            "Wszystkie miejsca są już zajęte. Jesteś na liście oczekujących{}. Jeśli ktoś zrezygnuje, napiszemy do Ciebie.",
            at(position)
        ),
        Status::Applied => format!(
            "Twoje zgłoszenie weźmie udział w losowaniu miejsc po zamknięciu naboru{}. O wyniku napiszemy do Ciebie.",
            form.closes
                .map(|closes| format!(" ({})", closes.pl()))
                .unwrap_or_default()
        ),
        Status::Selected => "Masz miejsce przyznane w losowaniu.".to_owned(),
        Status::Reserve => format!(
            "Jesteś na liście rezerwowej{}. Jeśli zwolni się miejsce, napiszemy do Ciebie.",
            at(position)
        ),
        Status::Pending | Status::Spam => "Zgłoszenie czeka na potwierdzenie.".to_owned(),
        Status::Withdrawn => "To zgłoszenie zostało wycofane.".to_owned(),
    }
}

/// What a person whose form came without a fill-time stamp is asked.
pub(crate) const SEND_AGAIN: &str = "Zgłoszenie nie jest jeszcze zapisane. Sprawdź odpowiedzi i wyślij formularz jeszcze raz – ten dodatkowy krok chroni nabór przed zgłoszeniami wysyłanymi automatycznie. Twoje odpowiedzi są zachowane.";

/// `za 5 minut`, rounded up to whole minutes.
pub(crate) fn minutes_pl(seconds: u64) -> String {
    let minutes = i64::try_from(seconds.div_ceil(60).max(1)).unwrap_or(i64::MAX);
    count_pl(minutes, "minutę", "minuty", "minut")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polish_minutes() {
        assert_eq!(minutes_pl(30), "1 minutę");
        assert_eq!(minutes_pl(125), "3 minuty");
        assert_eq!(minutes_pl(600), "10 minut");
    }

    #[test]
    fn a_page_is_polish_with_one_heading_and_the_sites_stylesheet_only() {
        let pages = Pages {
            home: "https://example.org/",
            contact: "kontakt@example.org",
        };
        let html = pages.message("Tytuł <b>", "Tekst & więcej");
        assert!(html.contains("<html lang=\"pl\">"));
        assert_eq!(html.matches("<h1>").count(), 1);
        assert!(html.contains("<h1>Tytuł &lt;b&gt;</h1>"));
        assert!(html.contains("href=\"https://example.org/\""));
        assert!(html.contains("mailto:kontakt@example.org"));
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/style.css\">"));
        assert_eq!(html.matches("<link").count(), 1);
        assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("<style"));
    }

    #[test]
    fn the_sites_path_drops_the_host_the_query_and_the_trailing_slash() {
        for (home, path) in [
            ("https://example.org", ""),
            ("https://example.org/", ""),
            ("http://127.0.0.1:8080/", ""),
            ("https://example.org/budzet", "/budzet"),
            ("https://example.org/budzet/", "/budzet"),
            ("https://example.org/budzet/?lang=pl", "/budzet"),
            ("https://example.org/a/b?x=1&y=2", "/a/b"),
            ("/budzet/", "/budzet"),
            ("/budzet?lang=pl", "/budzet"),
            ("/", ""),
            ("", ""),
        ] {
            assert_eq!(site_path(home), path, "{home}");
        }
    }

    #[test]
    fn the_stylesheet_is_linked_under_the_sites_path() {
        for (home, linked) in [
            ("https://example.org", "/style.css"),
            ("https://example.org/budzet/", "/budzet/style.css"),
            ("http://127.0.0.1:8080/", "/style.css"),
        ] {
            let pages = Pages {
                home,
                contact: "kontakt@example.org",
            };
            let html = pages.simple_page("Tytuł", "<p>Tekst</p>");
            assert!(
                html.contains(&format!("<link rel=\"stylesheet\" href=\"{linked}\">")),
                "{home}: {html}"
            );
        }
    }
}
