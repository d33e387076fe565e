//! The pages of pre-verification (`ideas.rs`), in Polish: the list of
//! ideas with its filter, and one idea with its history and the step
//! open to the account now (the office's assignment and sending the last
//! answer again, the unit's answer), after a refused step with why and
//! what was typed.

use std::fmt::Write as _;

use agora_core::forms::html::escape;
use agora_core::forms::{Field, FormDefinition};
use agora_core::ideas::mail::zloty_pl;
use agora_core::ideas::pipeline;
use agora_core::ideas::record::COMMENT_MAX_CHARS;
use agora_core::ideas::{Answer, Event, Outcome, Part, Stage, Units};
use agora_core::panel::SignedIn;
use agora_core::polish::ideas_pl;
use agora_core::registration::{Registration, Status};
use agora_core::routes;

use super::ideas::{district_of, AnswerForm, AssignForm, Idea, IdeaForm, IdeasQuery, Viewer};
use super::pages::{
    csrf_input, error_message, error_summary, menu, status_notice, table, PanelPages,
};
use super::registrations_pages::shown;

/// The ideas of one form that the list shows, and how many the filter
/// left out.
pub(super) struct Listing {
    pub(super) idea_form: IdeaForm,
    pub(super) ideas: Vec<Idea>,
    pub(super) left_out: usize,
}

/// What a step did, said on the idea's page after it (`?zrobione=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Done {
    Assigned,
    /// Assigned to a unit without an expert's account: no one was told.
    AssignedToNoOne,
    /// Assigned, but an expert's e-mail failed.
    AssignedUntold,
    Answered,
    /// Answered, but the resident's e-mail failed.
    AnsweredUnmailed,
    /// The last answer e-mailed to the resident again, with a new link.
    Resent,
    /// The new link saved, but the resident's e-mail failed again.
    ResentUnmailed,
}

impl Done {
    const ALL: [Self; 7] = [
        Self::Assigned,
        Self::AssignedToNoOne,
        Self::AssignedUntold,
        Self::Answered,
        Self::AnsweredUnmailed,
        Self::Resent,
        Self::ResentUnmailed,
    ];

    pub(super) fn assigned(told: usize, untold: usize) -> Self {
        match (told, untold) {
            (0, 0) => Self::AssignedToNoOne,
            (_, 0) => Self::Assigned,
            _ => Self::AssignedUntold,
        }
    }

    pub(super) fn answered(mailed: bool) -> Self {
        if mailed {
            Self::Answered
        } else {
            Self::AnsweredUnmailed
        }
    }

    pub(super) fn resent(mailed: bool) -> Self {
        if mailed {
            Self::Resent
        } else {
            Self::ResentUnmailed
        }
    }

    fn code(self) -> &'static str {
        match self {
            Self::Assigned => "przekazano",
            Self::AssignedToNoOne => "przekazano-bez-ekspertow",
            Self::AssignedUntold => "przekazano-bez-poczty",
            Self::Answered => "odpowiedziano",
            Self::AnsweredUnmailed => "odpowiedziano-bez-poczty",
            Self::Resent => "wyslano-ponownie",
            Self::ResentUnmailed => "wyslano-ponownie-bez-poczty",
        }
    }

    /// The query of the redirect to the idea's page.
    pub(super) fn query(self) -> String {
        format!("zrobione={}", self.code())
    }

    pub(super) fn read(pairs: &[(String, String)]) -> Option<Self> {
        let (_, code) = pairs.iter().find(|(name, _)| name == "zrobione")?;
        Self::ALL.into_iter().find(|done| done.code() == code)
    }

    fn message(self) -> &'static str {
        match self {
            Self::Assigned => {
                "Przekazano pomysł jednostce. Jej eksperci dostali e-mail z linkiem do pomysłu."
            }
            Self::AssignedToNoOne => {
                "Przekazano pomysł jednostce, ale nie ma ona jeszcze konta eksperta w panelu, \
                 więc nikt nie dostał e-maila. Dodaj konto weryfikatora tej jednostki na \
                 stronie Konta."
            }
            Self::AssignedUntold => {
                "Przekazano pomysł jednostce, ale nie udało się wysłać e-maila do wszystkich \
                 jej ekspertów: daj im znać inną drogą."
            }
            Self::Answered => {
                "Zapisano odpowiedź. Wysłaliśmy ją autorowi pomysłu e-mailem z linkiem do \
                 strony pomysłu."
            }
            Self::AnsweredUnmailed => {
                "Zapisano odpowiedź, ale nie udało się wysłać e-maila do autora pomysłu. \
                 Daj znać biuru programu: wyśle mu ją ponownie."
            }
            Self::Resent => {
                "Wysłano autorowi pomysłu ponownie ostatnią odpowiedź jednostki, z nowym linkiem \
                 do strony pomysłu. Wcześniejsze linki też działają, ale tylko cztery \
                 ostatnio wysłane."
            }
            Self::ResentUnmailed => {
                "Nie udało się wysłać e-maila do autora pomysłu. Spróbuj ponownie później \
                 albo przekaż mu odpowiedź inną drogą."
            }
        }
    }
}

/// What was typed in the form of a refused step.
#[derive(Debug, Clone, Copy)]
pub(super) enum Typed<'a> {
    Assign(&'a AssignForm),
    Answer(&'a AnswerForm),
    /// Sending the last answer again: nothing typed.
    Resend,
}

/// A step refused: what was typed, the part to correct and why.
pub(super) struct Refused<'a> {
    pub(super) typed: Typed<'a>,
    pub(super) part: Part,
    pub(super) message: &'static str,
}

impl Refused<'_> {
    /// The message, if it is about `part`.
    fn about(&self, part: Part) -> Option<&'static str> {
        (self.part == part).then_some(self.message)
    }
}

/// The `id`s of the steps' fields, which a refusal names.
const UNIT_FIELD: &str = "jednostka";
const OUTCOME_FIELD: &str = "wynik";
const COMMENT_FIELD: &str = "komentarz";
const DUPLICATE_FIELD: &str = "duplikat";
const COST_FIELD: &str = "koszt";

/// The field a refusal links to: the first radio button of the outcome;
/// none for the idea itself.
fn field_of(part: Part) -> Option<String> {
    match part {
        Part::Idea => None,
        Part::Unit => Some(UNIT_FIELD.to_owned()),
        Part::Outcome => Some(format!("{OUTCOME_FIELD}-{}", Outcome::ALL[0].as_str())),
        Part::Comment => Some(COMMENT_FIELD.to_owned()),
        Part::DuplicateOf => Some(DUPLICATE_FIELD.to_owned()),
        Part::CostEstimate => Some(COST_FIELD.to_owned()),
    }
}

fn idea_path(form: &FormDefinition, reference: &str) -> String {
    routes::panel(routes::PANEL_IDEA, &form.id, reference)
}

fn selected(yes: bool) -> &'static str {
    if yes {
        " selected"
    } else {
        ""
    }
}

/// The unit `id` by its name, if the list knows it.
fn unit_name(units: &Units, id: &str) -> String {
    escape(units.get(id).map_or(id, |unit| unit.name.as_str()))
}

/// A value of the idea as the resident saw it (an option by its label).
fn value_of(form: &FormDefinition, name: &str, value: &str) -> String {
    match form.field(name) {
        Some(field) => escape(&shown(field, value)),
        None => escape(value),
    }
}

fn facts(items: &[(&str, String)]) -> String {
    let rows: String = items
        .iter()
        .map(|(term, value)| format!("<dt>{}</dt><dd>{value}</dd>\n", escape(term)))
        .collect();
    format!("<dl class=\"form-facts\">\n{rows}</dl>\n")
}

impl PanelPages<'_> {
    /// The ideas the account sees, by form, with the filter.
    pub(super) fn ideas(
        &self,
        who: &SignedIn,
        viewer: &Viewer,
        query: &IdeasQuery,
        listings: &[Listing],
    ) -> String {
        let mut main = match viewer {
            Viewer::Office => format!(
                "<p>Pomysły wysłane do wstępnej weryfikacji i potwierdzone przez autorów. \
                 Przekaż każdy jednostce weryfikującej; jej eksperci odpowiedzą w panelu.</p>\n\
                 <p><a href=\"{}\">Przebieg wstępnej weryfikacji: liczby według dzielnic \
                 i odpowiedzi, czas oczekiwania</a></p>\n",
                routes::PANEL_IDEAS_PIPELINE
            ),
            Viewer::Unit(unit) => format!(
                "<p>Pomysły, które biuro przekazało Twojej jednostce: {}. Odpowiedz na te, \
                 które czekają na odpowiedź.</p>\n",
                unit_name(&units_of(listings), unit)
            ),
        };
        if listings.is_empty() {
            main.push_str(
                "<p>Żaden formularz strony nie przyjmuje pomysłów do wstępnej weryfikacji. \
                 Redakcja strony wskazuje go kluczem <code>preverification:</code> w pliku \
                 formularza.</p>\n",
            );
            return self.layout("Pomysły", Some(menu(who, routes::PANEL_IDEAS)), &main);
        }
        main.push_str(&filter_form(query, listings));
        for (index, listing) in listings.iter().enumerate() {
            main.push_str(&self.ideas_table(&format!("pomysly-{}", index + 1), listing));
        }
        self.layout("Pomysły", Some(menu(who, routes::PANEL_IDEAS)), &main)
    }

    /// An idea's row of the list: its reference (the link to its page),
    /// title, district, stage, unit and when it last changed.
    fn idea_row(&self, idea_form: &IdeaForm, idea: &Idea) -> String {
        let (form, units) = (&idea_form.form, &idea_form.units);
        let registration = &idea.registration;
        let named = |field: Option<&String>, value: Option<&str>| match (field, value) {
            (Some(field), Some(value)) => value_of(form, field, value),
            _ => "–".to_owned(),
        };
        let settings = form.preverification.as_ref();
        let title = registration
            .values
            .get(settings.map_or("", |p| p.title_field.as_str()));
        let changed = idea.record.events.last().map(Event::at);
        let date = changed.or(registration.confirmed_at);
        format!(
            "<tr><th scope=\"row\"><a href=\"{path}\">{reference}</a></th><td>{title}</td>\
             <td>{district}</td><td>{stage}</td><td>{unit}</td><td>{date}</td></tr>\n",
            path = idea_path(form, &registration.reference),
            reference = escape(&registration.reference),
            title = title.map_or_else(|| "–".to_owned(), |t| escape(t)),
            district = named(
                settings.map(|p| &p.district_field),
                district_of(form, registration)
            ),
            stage = idea.record.stage().label_pl(),
            unit = idea
                .record
                .unit()
                .map_or_else(|| "–".to_owned(), |u| unit_name(units, u)),
            date = escape(&self.time(date.unwrap_or(registration.created_at))),
        )
    }

    /// One form's ideas under its title: how many, and the table (its
    /// caption short, as a long one would be cut off where the table
    /// scrolls on a phone).
    fn ideas_table(&self, id: &str, listing: &Listing) -> String {
        let form = &listing.idea_form.form;
        let count = |n: usize| ideas_pl(u64::try_from(n).unwrap_or(u64::MAX));
        let mut html = format!("<h2>{}</h2>\n", escape(&form.title));
        if listing.ideas.is_empty() {
            html.push_str("<p>Nie ma pomysłów, które pasują do tych warunków.</p>\n");
        } else {
            let rows: String = listing
                .ideas
                .iter()
                .map(|idea| self.idea_row(&listing.idea_form, idea))
                .collect();
            let _ = writeln!(html, "<p>{}</p>", count(listing.ideas.len()));
            html.push_str(&table(
                id,
                "Pomysły",
                &[
                    "Numer",
                    "Tytuł",
                    "Dzielnica",
                    "Etap",
                    "Jednostka",
                    "Ostatnia zmiana",
                ],
                &rows,
            ));
        }
        if listing.left_out > 0 {
            let _ = writeln!(html, "<p>Filtr pominął {}.</p>", count(listing.left_out));
        }
        html
    }

    /// One idea: its facts, what it says now, its history and the step
    /// open to the account.
    pub(super) fn idea(
        &self,
        who: &SignedIn,
        viewer: &Viewer,
        (idea_form, idea): (&IdeaForm, &Idea),
        done: Option<Done>,
        refused: Option<Refused<'_>>,
    ) -> String {
        let (form, units) = (&idea_form.form, &idea_form.units);
        let mut main = String::new();
        if let Some(refused) = &refused {
            let field = field_of(refused.part);
            main.push_str(&error_summary(
                "Nie zapisano",
                field.as_deref(),
                refused.message,
            ));
        }
        if let Some(done) = done {
            main.push_str(&status_notice(done.message()));
        }
        let _ = writeln!(
            main,
            "<p><a href=\"{}\">Wszystkie pomysły</a></p>",
            routes::PANEL_IDEAS
        );
        let record = &idea.record;
        main.push_str(&facts(&[
            ("Numer pomysłu", escape(&record.reference)),
            ("Formularz", escape(&form.title)),
            ("Etap", record.stage().label_pl().to_owned()),
            (
                "Jednostka",
                record
                    .unit()
                    .map_or_else(|| "–".to_owned(), |u| unit_name(units, u)),
            ),
            (
                "Potwierdzono",
                idea.registration
                    .confirmed_at
                    .map_or_else(|| "–".to_owned(), |at| escape(&self.time(at))),
            ),
        ]));
        main.push_str(&idea_values(form, idea));
        main.push_str(&self.history(form, units, idea));
        main.push_str(&match viewer {
            Viewer::Office => {
                resend_form(who, (form, idea))
                    + &assign_form(who, (idea_form, idea), refused.as_ref())
            }
            Viewer::Unit(unit) => answer_form(who, (form, idea), unit, refused.as_ref()),
        });
        let title = format!("Pomysł {}", record.reference);
        self.layout(&title, Some(menu(who, routes::PANEL_IDEAS)), &main)
    }

    /// What happened to the idea, oldest first.
    fn history(&self, form: &FormDefinition, units: &Units, idea: &Idea) -> String {
        if idea.record.events.is_empty() {
            return "<h2>Historia</h2>\n<p>Pomysł czeka na przekazanie jednostce.</p>\n".to_owned();
        }
        let mut items = String::new();
        for event in &idea.record.events {
            let when = escape(&self.time(event.at()));
            let what = match event {
                Event::Assigned { unit, by, .. } => format!(
                    "<p>Przekazanie jednostce: {} ({}).</p>",
                    unit_name(units, unit),
                    escape(by)
                ),
                Event::Answered(answer) => answered(units, answer),
                Event::Revised { fields, .. } => revised(form, &idea.registration, fields),
            };
            let _ = writeln!(items, "<li><p><strong>{when}</strong></p>{what}</li>");
        }
        format!("<h2>Historia</h2>\n<ol>\n{items}</ol>\n")
    }
}

/// Every unit the listings know, for naming a verifier's own.
fn units_of(listings: &[Listing]) -> Units {
    Units {
        units: listings
            .iter()
            .flat_map(|l| l.idea_form.units.units.iter().cloned())
            .collect(),
        example: false,
    }
}

/// The list's filter: a GET form, so that it works without a script and
/// its address can be kept.
fn filter_form(query: &IdeasQuery, listings: &[Listing]) -> String {
    let mut stages = format!(
        "<option value=\"\"{}>wszystkie</option>\n",
        selected(query.stage.is_none())
    );
    for stage in pipeline::STAGES {
        let code = stage.as_str();
        let _ = writeln!(
            stages,
            "<option value=\"{code}\"{}>{}</option>",
            selected(query.stage == Some(code)),
            stage.label_pl()
        );
    }
    let mut districts = format!(
        "<option value=\"\"{}>wszystkie</option>\n",
        selected(query.district.is_empty())
    );
    for choice in district_choices(listings) {
        let _ = writeln!(
            districts,
            "<option value=\"{}\"{}>{}</option>",
            escape(&choice.value),
            selected(query.district == choice.value),
            escape(&choice.label)
        );
    }
    format!(
        "<form method=\"get\" action=\"{action}\" class=\"agora-form\" role=\"search\" \
         aria-label=\"Wybór pomysłów\">\n\
         <div class=\"field\"><label class=\"label\" for=\"etap\">Etap</label>\n\
         <select class=\"select\" id=\"etap\" name=\"etap\">\n{stages}</select></div>\n\
         <div class=\"field\"><label class=\"label\" for=\"dzielnica\">Dzielnica</label>\n\
         <select class=\"select\" id=\"dzielnica\" name=\"dzielnica\">\n{districts}</select></div>\n\
         <button type=\"submit\" class=\"button\">Pokaż</button>\n</form>\n",
        action = routes::PANEL_IDEAS,
    )
}

/// The districts the forms' district fields offer, each once.
fn district_choices(listings: &[Listing]) -> Vec<&agora_core::forms::Choice> {
    let mut choices: Vec<&agora_core::forms::Choice> = Vec::new();
    for listing in listings {
        let form = &listing.idea_form.form;
        let field: Option<&Field> = form
            .preverification
            .as_ref()
            .and_then(|p| form.field(&p.district_field));
        for choice in field.map(|f| f.options.as_slice()).unwrap_or_default() {
            if !choices.iter().any(|c| c.value == choice.value) {
                choices.push(choice);
            }
        }
    }
    choices
}

/// The idea as it reads now: the resident's revision over what they sent.
fn idea_values(form: &FormDefinition, idea: &Idea) -> String {
    let revision = idea.record.revision();
    let items: Vec<(&str, String)> = form
        .fields
        .iter()
        .map(|field| {
            let value = revision
                .and_then(|r| r.get(&field.name))
                .or_else(|| idea.registration.values.get(&field.name));
            let value = value.filter(|v| !v.is_empty());
            (
                field.label.as_str(),
                value.map_or_else(|| "–".to_owned(), |v| value_of(form, &field.name, v)),
            )
        })
        .collect();
    let heading = if revision.is_some() {
        "<h2>Pomysł (wersja poprawiona)</h2>\n"
    } else {
        "<h2>Pomysł</h2>\n"
    };
    format!("{heading}{}", facts(&items))
}

fn answered(units: &Units, answer: &Answer) -> String {
    let mut items = Vec::new();
    if !answer.comment.is_empty() {
        items.push(("Komentarz", escape(&answer.comment)));
    }
    if let Some(other) = &answer.duplicate_of {
        items.push(("Powtarza pomysł", escape(other)));
    }
    if let Some(cost) = answer.cost_estimate {
        items.push(("Szacunkowy koszt", zloty_pl(cost)));
    }
    format!(
        "<p>Odpowiedź jednostki {} ({}): {}.</p>\n{}",
        unit_name(units, &answer.unit),
        escape(&answer.by),
        answer.outcome.label_pl(),
        if items.is_empty() {
            String::new()
        } else {
            facts(&items)
        }
    )
}

/// The resident's reply: each field they changed, as it was and is.
fn revised(
    form: &FormDefinition,
    registration: &Registration,
    fields: &std::collections::BTreeMap<String, String>,
) -> String {
    let mut changed = String::new();
    for (name, now) in fields {
        let before = registration.values.get(name).map_or("", String::as_str);
        if before == now {
            continue;
        }
        let label = form.field(name).map_or(name.as_str(), |f| f.label.as_str());
        let _ = writeln!(
            changed,
            "<dt>{}</dt><dd>Było: {}<br>Jest: {}</dd>",
            escape(label),
            dash_or(form, name, before),
            dash_or(form, name, now),
        );
    }
    if changed.is_empty() {
        return "<p>Autor odpowiedział, nie zmieniając treści pomysłu.</p>".to_owned();
    }
    format!(
        "<p>Autor przesłał poprawioną wersję pomysłu. Zmienił:</p>\n\
         <dl class=\"form-facts\">\n{changed}</dl>\n"
    )
}

fn dash_or(form: &FormDefinition, name: &str, value: &str) -> String {
    if value.is_empty() {
        "–".to_owned()
    } else {
        value_of(form, name, value)
    }
}

/// The version the page shows, which a step's form sends back.
fn version_input(idea: &Idea) -> String {
    format!(
        "<input type=\"hidden\" name=\"wersja\" value=\"{}\">",
        idea.record.version
    )
}

/// A control's attributes: described by its hint and, when refused,
/// marked invalid and described by its message too.
fn described(field: &str, refused: bool) -> String {
    if refused {
        format!(" aria-invalid=\"true\" aria-describedby=\"{field}-hint {field}-error\"")
    } else {
        format!(" aria-describedby=\"{field}-hint\"")
    }
}

/// The office's step: the units to give the idea to, while it may go to one.
fn assign_form(
    who: &SignedIn,
    (idea_form, idea): (&IdeaForm, &Idea),
    refused: Option<&Refused<'_>>,
) -> String {
    let (form, units) = (&idea_form.form, &idea_form.units);
    let record = &idea.record;
    let why_not = if record.stage() == Stage::Settled {
        Some("Pomysł ma ostateczną odpowiedź: nic więcej się z nim nie dzieje.")
    } else if idea.registration.status != Status::Registered {
        Some("Autor nie potwierdził jeszcze pomysłu linkiem z e-maila: przekażesz go po potwierdzeniu.")
    } else if units.units.is_empty() {
        Some(
            "Nie udało się odczytać listy jednostek weryfikujących. Napisz do administratora \
             strony.",
        )
    } else {
        None
    };
    let heading = if record.unit().is_some() {
        "Przekaż innej jednostce"
    } else {
        "Przekaż jednostce"
    };
    if let Some(why) = why_not {
        return format!("<h2>{heading}</h2>\n<p>{why}</p>\n");
    }
    let typed = match refused.map(|r| r.typed) {
        Some(Typed::Assign(typed)) => typed.jednostka.trim(),
        _ => "",
    };
    let problem = refused.and_then(|r| r.about(Part::Unit));
    let mut options = "<option value=\"\">Wybierz jednostkę</option>\n".to_owned();
    for unit in &units.units {
        let _ = writeln!(
            options,
            "<option value=\"{}\"{}>{}</option>",
            escape(&unit.id),
            selected(typed == unit.id),
            escape(&unit.name)
        );
    }
    format!(
        "<h2>{heading}</h2>\n\
         <form method=\"post\" action=\"{action}\" class=\"agora-form\">{csrf}{version}\n\
         <div class=\"field\"><label class=\"label\" for=\"{UNIT_FIELD}\">Jednostka weryfikująca</label>\n\
         <p class=\"hint\" id=\"{UNIT_FIELD}-hint\">Jej eksperci dostaną e-mail z linkiem do \
         pomysłu; e-mail nie zawiera danych autora, które zobaczą dopiero w panelu.</p>\n{error}\
         <select class=\"select\" id=\"{UNIT_FIELD}\" name=\"jednostka\" required{marks}>\n\
         {options}</select></div>\n\
         <button type=\"submit\" class=\"button\">Przekaż</button>\n</form>\n",
        action = routes::panel(routes::PANEL_IDEA_ASSIGN, &form.id, &record.reference),
        csrf = csrf_input(who),
        version = version_input(idea),
        error = problem.map_or_else(String::new, |m| error_message(UNIT_FIELD, m)),
        marks = described(UNIT_FIELD, problem.is_some()),
    )
}

/// The office's other step, once the idea has an answer: the last one
/// e-mailed to the resident again with a new link to the idea's page
/// (for an e-mail that failed, or a link lost).
fn resend_form(who: &SignedIn, (form, idea): (&FormDefinition, &Idea)) -> String {
    let Some(last) = idea.record.answers().last() else {
        return String::new();
    };
    if idea.registration.status != Status::Registered {
        return String::new();
    }
    let heading = "<h2>Odpowiedź dla autora</h2>\n";
    if idea.registration.mail_problem.is_some() {
        return format!(
            "{heading}<p>Adres e-mail autora oznaczono jako niedziałający: odpowiedzi nie można \
             wysłać ponownie. Przekaż ją autorowi inną drogą.</p>\n"
        );
    }
    format!(
        "{heading}<p>Jeśli autor nie dostał e-maila z odpowiedzią jednostki ({outcome}) albo \
         zgubił link do strony pomysłu, wyślij mu ją ponownie z nowym linkiem. Wcześniejsze \
         linki też działają, ale tylko cztery ostatnio wysłane.</p>\n\
         <form method=\"post\" action=\"{action}\" class=\"agora-form\">{csrf}{version}\n\
         <button type=\"submit\" class=\"button\">Wyślij odpowiedź ponownie</button>\n</form>\n",
        outcome = last.outcome.label_pl(),
        action = routes::panel(routes::PANEL_IDEA_RESEND, &form.id, &idea.record.reference),
        csrf = csrf_input(who),
        version = version_input(idea),
    )
}

/// The unit's step: the answer's form, while the idea waits for the unit.
fn answer_form(
    who: &SignedIn,
    (form, idea): (&FormDefinition, &Idea),
    unit: &str,
    refused: Option<&Refused<'_>>,
) -> String {
    let waiting =
        matches!(idea.record.stage(), Stage::WithUnit { unit: ref theirs, .. } if theirs == unit);
    if !waiting {
        return "<h2>Odpowiedź</h2>\n<p>Pomysł nie czeka teraz na odpowiedź Twojej jednostki.</p>\n"
            .to_owned();
    }
    let empty = AnswerForm::default();
    let typed = match refused.map(|r| r.typed) {
        Some(Typed::Answer(typed)) => typed,
        _ => &empty,
    };
    let problem = |part| refused.and_then(|r| r.about(part));
    let error = |field, part| problem(part).map_or_else(String::new, |m| error_message(field, m));
    let outcome_problem = problem(Part::Outcome);
    let radios = outcome_radios(typed.wynik.trim());
    format!(
        "<h2>Odpowiedź</h2>\n\
         <form method=\"post\" action=\"{action}\" class=\"agora-form\">{csrf}{version}\n\
         <fieldset class=\"fieldset\"{outcome_marks}>\n\
         <legend class=\"legend\">Odpowiedź jednostki</legend>\n{outcome_error}\
         <div class=\"choices\">\n{radios}</div>\n</fieldset>\n\
         <div class=\"field\"><label class=\"label\" for=\"{COMMENT_FIELD}\">Komentarz</label>\n\
         <p class=\"hint\" id=\"{COMMENT_FIELD}-hint\">Co zmienić albo dlaczego; przy odpowiedzi \
         „{go}” opcjonalnie. Autor przeczyta go w e-mailu i na stronie pomysłu. Najwyżej \
         {COMMENT_MAX_CHARS} znaków.</p>\n{comment_error}\
         <textarea class=\"textarea\" id=\"{COMMENT_FIELD}\" name=\"komentarz\" rows=\"6\"{comment_marks}>\n\
         {comment}</textarea></div>\n\
         <div class=\"field\"><label class=\"label\" for=\"{DUPLICATE_FIELD}\">Numer pomysłu, \
         który ten powtarza</label>\n\
         <p class=\"hint\" id=\"{DUPLICATE_FIELD}-hint\">Tylko przy odpowiedzi „{duplicate}”, \
         np. K7QX-M3PA.</p>\n{duplicate_error}\
         <input class=\"input\" id=\"{DUPLICATE_FIELD}\" name=\"duplikat\" type=\"text\" \
         autocomplete=\"off\" value=\"{duplicate_typed}\"{duplicate_marks}></div>\n\
         <div class=\"field\"><label class=\"label\" for=\"{COST_FIELD}\">Szacunkowy koszt \
         (zł, opcjonalnie)</label>\n\
         <p class=\"hint\" id=\"{COST_FIELD}-hint\">W pełnych złotych, np. 120000.</p>\n{cost_error}\
         <input class=\"input\" id=\"{COST_FIELD}\" name=\"koszt\" type=\"text\" \
         inputmode=\"numeric\" autocomplete=\"off\" value=\"{cost}\"{cost_marks}></div>\n\
         <button type=\"submit\" class=\"button\">Wyślij odpowiedź</button>\n</form>\n",
        action = routes::panel(routes::PANEL_IDEA_ANSWER, &form.id, &idea.record.reference),
        csrf = csrf_input(who),
        version = version_input(idea),
        // A fieldset takes no aria-invalid: its message describes it.
        outcome_marks = outcome_problem.map_or_else(String::new, |_| {
            format!(" aria-describedby=\"{OUTCOME_FIELD}-error\"")
        }),
        outcome_error = error(OUTCOME_FIELD, Part::Outcome),
        go = Outcome::GoAhead.label_pl(),
        duplicate = Outcome::Duplicate.label_pl(),
        comment_error = error(COMMENT_FIELD, Part::Comment),
        comment_marks = described(COMMENT_FIELD, problem(Part::Comment).is_some()),
        comment = escape(&typed.komentarz),
        duplicate_error = error(DUPLICATE_FIELD, Part::DuplicateOf),
        duplicate_marks = described(DUPLICATE_FIELD, problem(Part::DuplicateOf).is_some()),
        duplicate_typed = escape(typed.duplikat.trim()),
        cost_error = error(COST_FIELD, Part::CostEstimate),
        cost_marks = described(COST_FIELD, problem(Part::CostEstimate).is_some()),
        cost = escape(typed.koszt.trim()),
    )
}

/// The outcomes as radio buttons, `chosen` checked.
fn outcome_radios(chosen: &str) -> String {
    let mut radios = String::new();
    for outcome in Outcome::ALL {
        let value = outcome.as_str();
        let id = format!("{OUTCOME_FIELD}-{value}");
        let checked = if chosen == value { " checked" } else { "" };
        let _ = writeln!(
            radios,
            "<div class=\"choice\"><input type=\"radio\" id=\"{id}\" name=\"wynik\" \
             value=\"{value}\" required{checked}><label for=\"{id}\">{}</label></div>",
            capitalised(outcome.label_pl())
        );
    }
    radios
}

/// `text` with its first letter in upper case.
fn capitalised(text: &str) -> String {
    let mut letters = text.chars();
    letters.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(letters).collect()
    })
}

#[cfg(test)]
mod tests {
    use agora_core::ideas::record::PAGE_KEYS_KEPT;

    #[test]
    fn the_pages_count_the_links_that_open_an_idea_as_the_record_keeps_them() {
        assert_eq!(PAGE_KEYS_KEPT, 4, "the office's page says \"cztery\"");
    }
}
