//! The draw's page (`lottery.rs`), in Polish for an office worker: where
//! the procedure of docs/lottery.md is, what the next step does and why,
//! and the one form that takes it.

use agora_core::forms::html::escape;
use agora_core::forms::FormDefinition;
use agora_core::lottery::LotteryError;
use agora_core::panel::{SignedIn, StoredList};
use agora_core::polish::count_pl;
use agora_core::routes;
use agora_core::staff::{Mailed, StaffError};

use super::lottery::{site_page, written_seed, DrawnStep, Notice, Step};
use super::pages::{csrf_input, menu, table, PanelPages};

/// The `id` of the seed field, which a refusal links to.
const SEED_FIELD: &str = "seed";

/// The procedure's steps, in order, as the page lists them.
const STEPS: [&str; 4] = [
    "Zamknięcie naboru",
    "Publikacja listy zgłoszeń",
    "Losowanie",
    "Wysłanie wyników",
];

pub(super) struct LotteryPage<'a> {
    pub(super) pages: &'a PanelPages<'a>,
    pub(super) who: &'a SignedIn,
    pub(super) form: &'a FormDefinition,
}

impl LotteryPage<'_> {
    pub(super) fn render(&self, step: &Step, notice: &Notice) -> String {
        let mut main = self.breadcrumbs();
        main.push_str(&self.notice(step, notice));
        main.push_str(&progress(step));
        main.push_str(&match step {
            Step::NoClosingDate => format!("<p>{}</p>\n", escape(&no_closing_date_pl(self.form))),
            Step::Open { closes } => open(closes),
            Step::Unlisted { applications } => self.unlisted(applications),
            Step::Listed { list } => self.listed(list, notice),
            Step::Drawn(drawn) => self.drawn(drawn),
        });
        let title = format!("Losowanie: {}", self.form.title);
        let here = self.path(routes::PANEL_LOTTERY);
        self.pages
            .layout(&title, Some(menu(self.who, &here)), &main)
    }

    /// The address of the draw's page on the site.
    fn site_page(&self) -> String {
        let page = site_page(self.form);
        let slug = page.strip_suffix(".md").unwrap_or(&page);
        format!("{}/{slug}/", self.pages.home.trim_end_matches('/'))
    }

    fn path(&self, route: &str) -> String {
        routes::panel(route, &self.form.id, "")
    }

    fn breadcrumbs(&self) -> String {
        format!(
            "<nav class=\"breadcrumbs\" aria-label=\"Ścieżka\"><ol>\
             <li><a href=\"{panel}\">Pulpit</a></li>\
             <li><a href=\"{form}\">{title}</a></li>\
             <li><a href=\"{here}\" aria-current=\"page\">Losowanie</a></li></ol></nav>\n",
            panel = routes::PANEL,
            form = self.path(routes::PANEL_FORM),
            here = self.path(routes::PANEL_LOTTERY),
            title = escape(&self.form.title),
        )
    }

    /// The answer to what was just done, above the steps.
    fn notice(&self, step: &Step, notice: &Notice) -> String {
        match notice {
            Notice::None => String::new(),
            Notice::Refused { message, seed } => {
                // Linked to the field only where the field is on the page.
                let on_field = seed.is_some()
                    && self.form.capacity.is_some()
                    && matches!(step, Step::Listed { .. });
                refusal(message, on_field)
            }
            Notice::StaleList { .. } => self.stale_list(),
            Notice::Check { seed, written } => self.check(seed, written),
            Notice::Mailed(mailed) => mailed_notice(mailed, step),
            Notice::MailedBefore => {
                status("E-maile z wynikami były już wysłane wcześniej. Nie wysłano ich ponownie.")
            }
            Notice::ListedBefore => {
                status("Lista była już opublikowana wcześniej. Obowiązuje ta lista, bez zmian.")
            }
            Notice::ListReplaced => status(
                "Opublikowano poprawioną listę w miejsce poprzedniej. Poprzednia lista i jej skrót \
                 SHA-256 już nie obowiązują: ogłoś nową listę i jej skrót ponownie (niżej), \
                 zanim ziarno losowania będzie znane.",
            ),
            Notice::PageNotPublished => self.page_not_published(step),
        }
    }

    /// The draw refused a list that no longer matches the applications:
    /// why, and the one way on, a corrected list announced again.
    fn stale_list(&self) -> String {
        format!(
            "<div class=\"error-summary\" aria-labelledby=\"error-summary-title\" role=\"alert\" \
             tabindex=\"-1\" autofocus>\n\
             <h2 class=\"error-summary__title\" id=\"error-summary-title\">Nie wykonano</h2>\n\
             <p>{why}</p>\n\
             <p>Dopóki nic nie wylosowano, możesz opublikować poprawioną listę w miejsce \
             poprzedniej. Będzie miała inny skrót SHA-256, więc poprzednie ogłoszenie przestanie \
             obowiązywać: nową listę (plik lista.txt) i jej skrót trzeba ogłosić ponownie, \
             z wyjaśnieniem, co się zmieniło, zanim ziarno losowania będzie znane. Jeśli \
             zapowiedziane ziarno jest już znane, zapowiedz nowe, z wydarzenia, które nastąpi \
             po ponownym ogłoszeniu listy.</p>\n\
             <form method=\"post\" action=\"{action}\">{csrf}\
             <input type=\"hidden\" name=\"zastap\" value=\"tak\">\n\
             <button type=\"submit\" class=\"button button--warning\">Opublikuj poprawioną \
             listę</button>\n</form>\n</div>\n",
            why = escape(&refusal_pl(&StaffError::StaleList, self.form)),
            action = self.path(routes::PANEL_LOTTERY_LIST),
            csrf = csrf_input(self.who),
        )
    }

    /// The draw is recorded, its page did not reach the site: the same
    /// draw again publishes it (and changes nothing else).
    fn page_not_published(&self, step: &Step) -> String {
        let Step::Drawn(drawn) = step else {
            return String::new();
        };
        format!(
            "<div class=\"error-summary\" aria-labelledby=\"error-summary-title\" role=\"alert\" \
             tabindex=\"-1\" autofocus>\n\
             <h2 class=\"error-summary__title\" id=\"error-summary-title\">Strona z wynikiem \
             nie trafiła na stronę programu</h2>\n\
             <p>Losowanie jest zapisane i ważne. Nie udało się tylko opublikować strony z wynikiem. \
             Spróbuj ponownie za chwilę: przycisk publikuje tę samą stronę i niczego nie losuje.</p>\n\
             <form method=\"post\" action=\"{action}\">{csrf}\
             <input type=\"hidden\" name=\"seed\" value=\"{seed}\">\
             <input type=\"hidden\" name=\"confirm\" value=\"tak\">\n\
             <button type=\"submit\" class=\"button\">Opublikuj stronę z wynikiem</button>\n\
             </form>\n</div>\n",
            action = self.path(routes::PANEL_LOTTERY_DRAW),
            csrf = csrf_input(self.who),
            seed = escape(&drawn.record.seed),
        )
    }

    /// The seed to confirm: shown as the result will write it, with what
    /// is easy to miss in it.
    fn check(&self, seed: &str, written: &str) -> String {
        let mut warnings = String::new();
        if seed.trim() != seed {
            warnings.push_str(
                "<li>Ziarno zaczyna się albo kończy spacją. Spacja też jest częścią ziarna: \
                 sprawdź, czy tak je zapowiedziano.</li>\n",
            );
        }
        if !seed.is_ascii() {
            warnings.push_str(
                "<li>Ziarno zawiera znaki spoza podstawowego alfabetu łacińskiego (polskie litery, \
                 cudzysłowy drukarskie, długie myślniki). Można je wpisać na kilka sposobów, a każdy \
                 daje inne losowanie: porównaj je z zapowiedzią bardzo dokładnie.</li>\n",
            );
        }
        if !warnings.is_empty() {
            warnings = format!("<ul>\n{warnings}</ul>\n");
        }
        format!(
            "<div class=\"notice lottery-check\" role=\"region\" aria-labelledby=\"check-title\" \
             tabindex=\"-1\" autofocus>\n\
             <h2 class=\"notice-title\" id=\"check-title\">Sprawdź ziarno przed losowaniem</h2>\n\
             <p>Tak zapisze je plik z wynikiem (w cudzysłowie; niewidoczne znaki jako kody):</p>\n\
             <pre><code>{written}</code></pre>\n{warnings}\
             <p>Porównaj je znak po znaku z zapowiedzią. Losowanie odbywa się raz: \
             po naciśnięciu przycisku wynik zostaje zapisany na stałe.</p>\n\
             <form method=\"post\" action=\"{action}\">{csrf}\
             <input type=\"hidden\" name=\"seed\" value=\"{seed}\">\
             <input type=\"hidden\" name=\"confirm\" value=\"tak\">\n\
             <button type=\"submit\" class=\"button button--warning\">Losuj tym ziarnem</button>\n\
             </form>\n<p>Jeśli ziarno się nie zgadza, popraw je w formularzu niżej.</p>\n</div>\n",
            written = escape(written),
            action = self.path(routes::PANEL_LOTTERY_DRAW),
            csrf = csrf_input(self.who),
            seed = escape(seed),
        )
    }

    fn unlisted(&self, applications: &Result<usize, String>) -> String {
        let mut html = "<h2>Opublikuj listę zgłoszeń</h2>\n".to_owned();
        let count = match applications {
            Ok(count) => *count,
            Err(why) => {
                html.push_str(&format!("<p>{}</p>\n", escape(why)));
                return html;
            }
        };
        html.push_str(&format!(
            "<p>Nabór jest zamknięty. Na listę do losowania trafiają zgłoszenia potwierdzone \
             do chwili zamknięcia naboru, tylko ich numery, bez imion i adresów. Liczba zgłoszeń \
             na liście: {count}. {places}</p>\n\
             <p>Zanim ją opublikujesz, sprawdź, czy zgłoszenia spełniają warunki udziału \
             i czy nikt nie zgłosił się dwa razy (jedna osoba, dwa numery). Listę publikuje \
             się raz; zastąpić ją można tylko przed losowaniem, gdy przestanie zgadzać się \
             ze zgłoszeniami, i wtedy trzeba ją ogłosić ponownie.</p>\n",
            places = self.places_sentence(),
        ));
        html.push_str(&format!(
            "<form method=\"post\" action=\"{}\">{}\n\
             <button type=\"submit\" class=\"button\">Opublikuj listę</button>\n</form>\n",
            self.path(routes::PANEL_LOTTERY_LIST),
            csrf_input(self.who),
        ));
        html
    }

    fn places_sentence(&self) -> String {
        match self.form.capacity {
            Some(places) => format!(
                "Do rozlosowania: {}.",
                count_pl(i64::from(places), "miejsce", "miejsca", "miejsc")
            ),
            None => {
                "Formularz nie podaje liczby miejsc (pole capacity): bez niej nie można losować."
                    .to_owned()
            }
        }
    }

    fn listed(&self, list: &StoredList, notice: &Notice) -> String {
        let mut html = format!(
            "<h2>Ogłoś listę, a potem losuj</h2>\n<dl class=\"lottery-facts\">\n\
             <dt>Opublikowano</dt><dd>{at} ({by})</dd>\n\
             <dt>Zgłoszeń na liście</dt><dd>{count}</dd>\n\
             <dt>Skrót SHA-256 listy</dt><dd><code class=\"lottery-hash\">{sha}</code></dd>\n\
             <dt>Miejsc</dt><dd>{places}</dd>\n</dl>\n\
             <p><a href=\"{download}\" download>Pobierz listę (lista.txt)</a></p>\n",
            at = escape(&self.pages.time(list.published_at)),
            by = escape(&list.published_by),
            count = references_in(list),
            sha = escape(&list.sha256),
            places = self
                .form
                .capacity
                .map_or_else(|| "nie podano".to_owned(), |c| c.to_string()),
            download = self.path(routes::PANEL_LOTTERY_LIST),
        );
        html.push_str(&self.announcement());
        html.push_str(&self.seed_form(notice));
        html
    }

    /// What to announce before the seed can be known (docs/lottery.md).
    fn announcement(&self) -> String {
        let places = self.form.capacity.map_or_else(
            || "liczbę miejsc".to_owned(),
            |c| format!("liczbę miejsc ({c})"),
        );
        format!(
            "<h3>Co ogłosić przed losowaniem</h3>\n\
             <p>Zanim ziarno będzie znane (najpóźniej dzień przed wydarzeniem, z którego \
             pochodzi), opublikuj w aktualności i na stronie warsztatów:</p>\n<ul>\n\
             <li>plik lista.txt jako plik do pobrania, nie wklejony w treść: skrót liczy się \
             z dokładnej zawartości pliku;</li>\n\
             <li>jego skrót SHA-256 (wyżej);</li>\n<li>{places};</li>\n\
             <li>skąd weźmiecie ziarno losowania i dokładnie jak je zapiszecie, z przykładem, \
             oraz co zrobicie, jeśli to źródło zawiedzie;</li>\n\
             <li>datę losowania i miejsce publikacji wyniku.</li>\n</ul>\n\
             <p>Poproś osoby zgłoszone, by sprawdziły, czy ich numer jest na liście, i napisały \
             przed losowaniem, jeśli go nie ma.</p>\n"
        )
    }

    /// The seed field: as typed after a refusal or a check.
    fn seed_form(&self, notice: &Notice) -> String {
        if self.form.capacity.is_none() {
            return format!("<p>{}</p>\n", escape(&self.places_sentence()));
        }
        let (typed, refused) = match notice {
            Notice::Refused {
                seed: Some(seed),
                message,
            } => (seed.as_str(), Some(message)),
            Notice::Check { seed, .. } | Notice::StaleList { seed } => (seed.as_str(), None),
            _ => ("", None),
        };
        let (class, invalid, error) = match refused {
            Some(message) => (
                "field field--error",
                format!(" aria-invalid=\"true\" aria-describedby=\"{SEED_FIELD}-hint {SEED_FIELD}-error\""),
                format!(
                    "<p class=\"error-message\" id=\"{SEED_FIELD}-error\">\
                     <span class=\"visually-hidden\">Błąd: </span>{}</p>\n",
                    escape(message)
                ),
            ),
            None => ("field", format!(" aria-describedby=\"{SEED_FIELD}-hint\""), String::new()),
        };
        format!(
            "<h3>Losowanie</h3>\n\
             <div class=\"notice notice-moved\"><p><strong>Losowanie odbywa się tylko raz.</strong> \
             Jego wynik zostaje zapisany i nie można go zmienić ani powtórzyć z innym ziarnem. \
             Losuj dopiero wtedy, gdy lista była ogłoszona, a ziarno jest już znane.</p></div>\n\
             <form method=\"post\" action=\"{action}\" class=\"agora-form\">{csrf}\n\
             <div class=\"{class}\">\n\
             <label class=\"label\" for=\"{SEED_FIELD}\">Ziarno losowania</label>\n\
             <p class=\"hint\" id=\"{SEED_FIELD}-hint\">Ziarno to tekst zapowiedziany przed \
             losowaniem, wzięty z publicznego wydarzenia, którego wyniku nikt nie znał w chwili \
             publikacji listy, na przykład wyniki Lotto z danego dnia: \
             <code>Lotto 2026-03-14: 3 11 19 24 38 45</code>. Wpisz je dokładnie tak, jak je \
             zapowiedziano: każda wielka litera, spacja (także na początku i na końcu) czy \
             inny znak daje inne losowanie. Miejsc do rozlosowania: {places}.</p>\n{error}\
             <input class=\"input\" id=\"{SEED_FIELD}\" name=\"seed\" type=\"text\" \
             autocomplete=\"off\" spellcheck=\"false\" value=\"{typed}\"{invalid}>\n</div>\n\
             <button type=\"submit\" class=\"button\">Sprawdź ziarno</button>\n</form>\n",
            action = self.path(routes::PANEL_LOTTERY_DRAW),
            csrf = csrf_input(self.who),
            places = self.form.capacity.unwrap_or(0),
            typed = escape(typed),
        )
    }

    fn drawn(&self, drawn: &DrawnStep) -> String {
        let record = &drawn.record;
        let seed = match &drawn.result {
            Some(result) => written_seed(result),
            None => serde_json::to_string(&record.seed).unwrap_or_default(),
        };
        let applicants = record.winners.len() + record.reserve.len();
        let mut html = format!(
            "<h2>Wynik losowania</h2>\n<dl class=\"lottery-facts\">\n\
             <dt>Losowanie</dt><dd>{at}</dd>\n\
             <dt>Ziarno</dt><dd><code>{seed}</code></dd>\n\
             <dt>Skrót SHA-256 listy</dt><dd><code class=\"lottery-hash\">{sha}</code></dd>\n\
             <dt>Miejsc</dt><dd>{places}</dd>\n<dt>Zgłoszeń</dt><dd>{applicants}</dd>\n</dl>\n",
            at = escape(&self.pages.time(record.drawn_at)),
            seed = escape(&seed),
            sha = escape(&record.list_sha256),
            places = record.places,
        );
        html.push_str(&self.result_files(drawn));
        html.push_str(&ranking_tables(&record.winners, &record.reserve));
        html.push_str(&self.mailing(drawn));
        html
    }

    fn result_files(&self, drawn: &DrawnStep) -> String {
        if drawn.result.is_none() {
            return "<p>To losowanie przeprowadzono poleceniem agora lottery draw z listą, której \
                    panel nie zna: plik z wynikiem i e-maile do uczestników daje to polecenie.</p>\n"
                .to_owned();
        }
        let list = if drawn.list.is_some() {
            format!(
                "<li><a href=\"{}\" download>Pobierz listę (lista.txt)</a></li>\n",
                self.path(routes::PANEL_LOTTERY_LIST)
            )
        } else {
            String::new()
        };
        format!(
            "<ul class=\"actions\">\n<li><a href=\"{result}\" download>Pobierz wynik (wynik.txt)</a></li>\n\
             {list}</ul>\n\
             <p>Strona z wynikiem (numery zgłoszeń, skrót listy i ziarno) trafia na stronę \
             programu: <a href=\"{site}\">{site}</a>. Na serwerze w chmurze pojawia się po \
             przebudowie strony, zwykle w kilka minut.</p>\n\
             <p>Opublikuj plik wynik.txt tego samego dnia, obok listy, z ziarnem dokładnie takim jak \
             wyżej i odnośnikiem do jego źródła (np. strony z wynikami Lotto). Każdy może powtórzyć \
             losowanie i porównać wynik: jak, opisuje strona o losowaniu.</p>\n",
            result = self.path(routes::PANEL_LOTTERY_RESULT),
            site = escape(&self.site_page()),
        )
    }

    fn mailing(&self, drawn: &DrawnStep) -> String {
        let mut html = "<h2>Powiadom uczestników</h2>\n".to_owned();
        if let Some(at) = drawn.mailed_at {
            html.push_str(&format!(
                "<p>E-maile z wynikami wysłano {}.</p>\n",
                escape(&self.pages.time(at))
            ));
            return html;
        }
        if drawn.result.is_none() {
            return String::new();
        }
        html.push_str(&format!(
            "<p>Każda osoba z listy dostanie e-mail z numerem swojego zgłoszenia i wynikiem: \
             przyznane miejsce albo pozycję na liście rezerwowej, oraz jak zrezygnować. \
             E-maile wysyła się raz; ponowne naciśnięcie przycisku niczego nie wyśle.</p>\n\
             <form method=\"post\" action=\"{}\">{}\n\
             <button type=\"submit\" class=\"button\">Wyślij e-maile z wynikami</button>\n</form>\n",
            self.path(routes::PANEL_LOTTERY_MAIL),
            csrf_input(self.who),
        ));
        html
    }
}

fn open(closes: &str) -> String {
    format!(
        "<h2>Nabór trwa</h2>\n<p>Nabór trwa do {closes}. Listę do losowania publikuje się po \
         zamknięciu naboru, gdy nikt nie może już się zgłosić ani potwierdzić zgłoszenia. \
         Wróć tu po {closes}: teraz nie ma nic do zrobienia.</p>\n",
        closes = escape(closes)
    )
}

/// The procedure's steps, the current one marked for every reader.
fn progress(step: &Step) -> String {
    let current = match step {
        Step::NoClosingDate | Step::Open { .. } => 0,
        Step::Unlisted { .. } => 1,
        Step::Listed { .. } => 2,
        Step::Drawn(drawn) if drawn.mailed_at.is_none() => 3,
        Step::Drawn(_) => STEPS.len(),
    };
    let items: String = STEPS
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let (state, attribute) = match index.cmp(&current) {
                std::cmp::Ordering::Less => ("zrobione", ""),
                std::cmp::Ordering::Equal => ("teraz", " aria-current=\"step\""),
                std::cmp::Ordering::Greater => ("później", ""),
            };
            format!("<li class=\"lottery-step--{state}\"{attribute}>{name} <span class=\"lottery-step-state\">({state})</span></li>\n")
        })
        .collect();
    format!(
        "<h2 class=\"visually-hidden\">Etapy losowania</h2>\n<ol class=\"lottery-steps\">\n{items}</ol>\n"
    )
}

fn refusal(message: &str, on_field: bool) -> String {
    let message = escape(message);
    let line = if on_field {
        format!("<a href=\"#{SEED_FIELD}\">{message}</a>")
    } else {
        message
    };
    format!(
        "<div class=\"error-summary\" aria-labelledby=\"error-summary-title\" role=\"alert\" \
         tabindex=\"-1\" autofocus>\n\
         <h2 class=\"error-summary__title\" id=\"error-summary-title\">Nie wykonano</h2>\n\
         <p>{line}</p>\n</div>\n"
    )
}

fn status(message: &str) -> String {
    format!(
        "<div class=\"notice\" role=\"status\"><p>{}</p></div>\n",
        escape(message)
    )
}

/// How the e-mails went; failed ones by reference, and only references
/// of this draw (the address bar carried them).
fn mailed_notice(mailed: &Mailed, step: &Step) -> String {
    let drawn: Vec<&String> = match step {
        Step::Drawn(drawn) => drawn
            .record
            .winners
            .iter()
            .chain(&drawn.record.reserve)
            .collect(),
        _ => Vec::new(),
    };
    let failed: Vec<String> = mailed
        .failed
        .iter()
        .filter(|(reference, _)| drawn.contains(&reference))
        .map(|(reference, _)| escape(reference))
        .collect();
    let mut html = format!(
        "<div class=\"notice\" role=\"status\"><p>Wysłano {} z {} e-maili z wynikami.</p>\n",
        mailed.sent, mailed.people
    );
    if !failed.is_empty() {
        html.push_str(&format!(
            "<p>Nie udało się wysłać e-maila do zgłoszeń: {}. Powiadom te osoby inaczej \
             (np. telefonicznie); losowanie pozostaje ważne.</p>\n",
            failed.join(", ")
        ));
    }
    html.push_str("</div>\n");
    html
}

fn ranking_tables(winners: &[String], reserve: &[String]) -> String {
    let rows = |references: &[String]| -> String {
        references
            .iter()
            .enumerate()
            .map(|(index, reference)| {
                format!(
                    "<tr><td>{}</td><th scope=\"row\">{}</th></tr>\n",
                    index + 1,
                    escape(reference)
                )
            })
            .collect()
    };
    let mut html = table(
        "miejsca",
        "Miejsca przyznane w losowaniu",
        &["Miejsce", "Numer zgłoszenia"],
        &rows(winners),
    );
    if reserve.is_empty() {
        html.push_str("<p>Lista rezerwowa jest pusta: miejsca dostali wszyscy.</p>\n");
    } else {
        html.push_str(&table(
            "rezerwa",
            "Lista rezerwowa, w kolejności",
            &["Pozycja", "Numer zgłoszenia"],
            &rows(reserve),
        ));
    }
    html
}

fn references_in(list: &StoredList) -> usize {
    // The header and the form's line come before the references.
    list.text.lines().count().saturating_sub(2)
}

/// A refusal as the office reads it: what happened and what to do.
pub(super) fn refusal_pl(error: &StaffError, form: &FormDefinition) -> String {
    match error {
        StaffError::NotLottery { .. } => "Ten formularz nie przydziela miejsc w losowaniu.".to_owned(),
        StaffError::StillOpen { .. } => "Nabór jeszcze trwa: listę publikuje się i losuje dopiero po jego zamknięciu.".to_owned(),
        StaffError::NoClosingDate { .. } => no_closing_date_pl(form),
        StaffError::StaleList => "Opublikowana lista różni się od potwierdzonych zgłoszeń w bazie (na przykład ktoś wycofał zgłoszenie po publikacji), więc losowanie z niej byłoby nieważne. Nic nie wylosowano.".to_owned(),
        StaffError::DrawnAlready { drawn_at, seed, .. } => drawn_already_pl(drawn_at, seed),
        StaffError::Lottery(error) => lottery_refusal_pl(error, form),
        StaffError::Store(_) | StaffError::Export(_) => "Nie udało się teraz wykonać tej operacji. Spróbuj ponownie za chwilę.".to_owned(),
    }
}

pub(super) fn drawn_already_pl(drawn_at: &str, seed: &str) -> String {
    format!(
        "Ten formularz został już rozlosowany ({drawn_at}, ziarno {}). Losowanie odbywa się raz: nie można go powtórzyć ani zmienić ziarna.",
        serde_json::to_string(seed).unwrap_or_default()
    )
}

fn lottery_refusal_pl(error: &LotteryError, form: &FormDefinition) -> String {
    match error {
        LotteryError::EmptySeed => "Wpisz ziarno losowania: pole jest puste albo zawiera same spacje.".to_owned(),
        LotteryError::SeedHasNul => "Ziarno zawiera niewidoczny znak NUL, którego nikt nie wpisze, sprawdzając losowanie. Wpisz ziarno zwykłym tekstem, tak jak je zapowiedziano.".to_owned(),
        LotteryError::NoPlaces => format!(
            "Formularz nie podaje liczby miejsc, więc nie wiadomo, ile miejsc losować. Poproś osobę, która redaguje stronę, o wpisanie jej w polu capacity pliku content/forms/{}.yaml.",
            form.id
        ),
        LotteryError::EmptyList => "Nie ma potwierdzonych zgłoszeń: nie ma kogo losować.".to_owned(),
        LotteryError::DuplicateReference { reference } => format!(
            "Numer zgłoszenia {reference} jest na liście dwa razy. Wyjaśnij podwójne zgłoszenie, zanim opublikujesz listę."
        ),
        other => format!("Lista zgłoszeń jest nieprawidłowa ({other}). Napisz do administratora strony."),
    }
}

/// What to fix when a lottery form has no closing date.
pub(super) fn no_closing_date_pl(form: &FormDefinition) -> String {
    format!(
        "Formularz nie ma daty zamknięcia naboru. Na liście do losowania są tylko zgłoszenia potwierdzone przed zamknięciem naboru, więc ta chwila musi być znana. Poproś osobę, która redaguje stronę, o wpisanie w pliku content/forms/{}.yaml pola closes z datą i godziną zamknięcia naboru (na przykład closes: 2020-03-20 23:59).",
        form.id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_step_is_marked_once() {
        let html = progress(&Step::Unlisted {
            applications: Ok(3),
        });
        assert_eq!(html.matches("aria-current=\"step\"").count(), 1);
        assert!(html.contains("Zamknięcie naboru <span class=\"lottery-step-state\">(zrobione)"));
        assert!(html.contains("aria-current=\"step\">Publikacja listy zgłoszeń"));
    }

    #[test]
    fn a_refusal_links_to_the_seed_only_when_it_is_about_it() {
        assert!(refusal("Wpisz ziarno", true).contains("href=\"#seed\""));
        assert!(!refusal("Nabór trwa", false).contains("href="));
    }
}
