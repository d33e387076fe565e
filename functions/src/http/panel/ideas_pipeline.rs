//! The office's view of pre-verification (`GET /panel/pomysly/przebieg`):
//! for each form with `preverification:`, its confirmed ideas by district
//! and outcome as charts (the dashboard's bars, `charts.rs`, one chart
//! per outcome) with their tables, by district and stage as a table, and
//! how long the units take to answer, in words and as a table. The
//! numbers are `agora_core::ideas::pipeline`'s.
//!
//! Counts and days only, never an idea's data: as on the dashboard,
//! showing them is not a view of personal data, so the page writes no
//! line to the audit log.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};

use agora_core::forms::html::escape;
use agora_core::forms::FormDefinition;
use agora_core::ideas::pipeline::{self, DistrictTally, Pipeline, Waits, LONG_WAIT_DAYS, STAGES};
use agora_core::ideas::{IdeaRecords, Outcome, Stage};
use agora_core::mail::Mailer;
use agora_core::panel::SignedIn;
use agora_core::polish::{days_pl, ideas_pl};
use agora_core::routes;
use agora_core::store::StoreError;

use super::charts::{by_district, ByDistrict};
use super::guard::OfficePage;
use super::ideas::IdeaStore;
use super::pages::{menu, table, PanelPages};
use super::{answer, store_failed, PanelState};

/// The page's one route, to merge into the workspace's router.
pub(super) fn routes<S: IdeaStore, M: Mailer + 'static>() -> Router<PanelState<S, M>> {
    Router::new().route(routes::PANEL_IDEAS_PIPELINE, get(page::<S, M>))
}

/// `GET /panel/pomysly/przebieg`: the pipeline of every form that takes
/// ideas (office).
async fn page<S: IdeaStore, M: Mailer + 'static>(
    State(state): State<PanelState<S, M>>,
    OfficePage(signed): OfficePage,
) -> Response {
    let now = state.now();
    let mut shown = Vec::new();
    let forms = state.service.forms().into_iter();
    for form in forms.filter(|form| form.preverification.is_some()) {
        match read(state.service.store(), &form, now).await {
            Ok(numbers) => shown.push((form, numbers)),
            Err(error) => return store_failed(&state, &error),
        }
    }
    let page = state.pages().ideas_pipeline(&signed.who, &shown, now);
    answer::html(StatusCode::OK, page)
}

/// One read of the form's registrations and one of its ideas' records.
async fn read<S: IdeaStore>(
    store: &S,
    form: &FormDefinition,
    now: DateTime<Utc>,
) -> Result<Pipeline, StoreError> {
    let registrations = store.list(&form.id, now).await?;
    let records = IdeaRecords::ideas(store, &form.id).await?;
    Ok(pipeline::pipeline(form, &registrations, &records, now))
}

impl PanelPages<'_> {
    /// The pipeline of each form that takes ideas, as of `now`.
    pub(super) fn ideas_pipeline(
        &self,
        who: &SignedIn,
        shown: &[(Arc<FormDefinition>, Pipeline)],
        now: DateTime<Utc>,
    ) -> String {
        let mut main = format!(
            "<p><a href=\"{list}\">Lista pomysłów</a></p>\n\
             <p>Stan na {now}. Liczą się pomysły potwierdzone przez autorów linkiem z e-maila; \
             pomysły wycofane znikają z liczb. Czas oczekiwania biegnie od potwierdzenia pomysłu \
             do pierwszej odpowiedzi jednostki. Za długo czeka pomysł, który czeka na nią dłużej \
             niż {limit}: tyle mają jednostki na obejrzenie miejsca i odpowiedź, a autor na \
             poprawienie pomysłu przed zgłoszeniem projektu.</p>\n",
            list = routes::PANEL_IDEAS,
            now = escape(&self.time(now)),
            limit = days_pl(LONG_WAIT_DAYS),
        );
        if shown.is_empty() {
            main.push_str(
                "<p>Żaden formularz strony nie przyjmuje pomysłów do wstępnej weryfikacji.</p>\n",
            );
        }
        for (form, pipeline) in shown {
            main.push_str(&form_section(form, pipeline));
        }
        let title = "Przebieg wstępnej weryfikacji";
        let nav = menu(who, routes::PANEL_IDEAS_PIPELINE);
        self.layout(title, Some(nav), &main)
    }
}

fn form_section(form: &FormDefinition, pipeline: &Pipeline) -> String {
    let id = format!("przebieg-{}", escape(&form.id));
    let total = pipeline.total("Razem");
    let mut html = format!(
        "<section aria-labelledby=\"{id}\">\n<h2 id=\"{id}\">{title}</h2>\n\
         <p>Potwierdzone: {ideas}. Czeka na potwierdzenie autora: {unconfirmed}.</p>\n",
        title = escape(&form.title),
        ideas = ideas_pl(total.ideas),
        unconfirmed = ideas_pl(pipeline.unconfirmed),
    );
    if total.ideas > 0 {
        html.push_str(&by_outcome(form, pipeline, &total));
        html.push_str(&by_stage(form, pipeline, &total));
        html.push_str(&waits(form, pipeline));
    }
    html.push_str("</section>\n");
    html
}

/// A chart of each outcome given and of the ideas without an answer,
/// the outcomes given to none named in a sentence, and the table of all.
fn by_outcome(form: &FormDefinition, pipeline: &Pipeline, total: &DistrictTally) -> String {
    let mut html = String::from("<h3>Według dzielnic i odpowiedzi jednostek</h3>\n");
    let mut given_to_none = Vec::new();
    for outcome in Outcome::ALL {
        if total.with_outcome(outcome) == 0 {
            given_to_none.push(format!("„{}”", outcome.label_pl()));
            continue;
        }
        let counted = format!("Pomysły z odpowiedzią „{}”", outcome.label_pl());
        let heading = format!("Odpowiedź: {}", outcome.label_pl());
        let chart = chart(form, outcome.as_str(), &heading, &counted);
        html.push_str(&by_district(
            &chart,
            &pipeline.parts(|d| d.with_outcome(outcome)),
        ));
    }
    if total.unanswered() > 0 {
        let chart = chart(form, "bez", "Bez odpowiedzi", "Pomysły bez odpowiedzi");
        html.push_str(&by_district(
            &chart,
            &pipeline.parts(DistrictTally::unanswered),
        ));
    }
    if !given_to_none.is_empty() {
        let _ = writeln!(
            html,
            "<p>Bez wykresu, bo żaden pomysł nie ma takiej ostatniej odpowiedzi: {}.</p>",
            given_to_none.join(", ")
        );
    }
    let mut headers = vec!["Dzielnica", "Pomysły"];
    headers.extend(Outcome::ALL.map(Outcome::label_pl));
    headers.push("bez odpowiedzi");
    let row = |d: &DistrictTally| {
        let mut numbers: Vec<u64> = d.by_outcome.to_vec();
        numbers.push(d.unanswered());
        numbers
    };
    let caption = format!(
        "Pomysły według dzielnic i ostatniej odpowiedzi – {}",
        form.title
    );
    html.push_str(&tally_table(
        &format!("odpowiedzi-{}", escape(&form.id)),
        &caption,
        &headers,
        pipeline,
        total,
        row,
    ));
    html
}

/// The words of the chart of form `form`'s ideas `what` (a code, unique
/// in the form's section).
fn chart<'a>(
    form: &'a FormDefinition,
    what: &str,
    heading: &'a str,
    counted: &'a str,
) -> ByDistrict<'a> {
    ByDistrict {
        id: format!("przebieg-{}-{what}", escape(&form.id)),
        heading,
        counted,
        column: "Pomysły",
        form_title: &form.title,
    }
}

/// The table of the ideas by district and stage.
fn by_stage(form: &FormDefinition, pipeline: &Pipeline, total: &DistrictTally) -> String {
    let mut headers = vec!["Dzielnica", "Pomysły"];
    headers.extend(STAGES.iter().map(Stage::label_pl));
    let caption = format!("Pomysły według dzielnic i etapu – {}", form.title);
    format!(
        "<h3>Według dzielnic i etapu</h3>\n{}",
        tally_table(
            &format!("etapy-{}", escape(&form.id)),
            &caption,
            &headers,
            pipeline,
            total,
            |d| d.by_stage.to_vec()
        )
    )
}

/// A table of a row of numbers (`row`) per district, after the number
/// of the district's ideas, and the total last.
fn tally_table(
    id: &str,
    caption: &str,
    headers: &[&str],
    pipeline: &Pipeline,
    total: &DistrictTally,
    row: impl Fn(&DistrictTally) -> Vec<u64>,
) -> String {
    let mut rows = String::new();
    for district in pipeline.districts.iter().chain([total]) {
        let cells: String = row(district)
            .iter()
            .map(|n| format!("<td>{n}</td>"))
            .collect();
        let _ = writeln!(
            rows,
            "<tr><th scope=\"row\">{}</th><td>{}</td>{cells}</tr>",
            escape(&district.label),
            district.ideas
        );
    }
    table(id, caption, headers, &rows)
}

/// How long the units took to answer and how long the others wait, in
/// words and as a table.
fn waits(form: &FormDefinition, pipeline: &Pipeline) -> String {
    let answered = &pipeline.answered;
    let waiting = &pipeline.waiting;
    let mut html = String::from("<h3>Czas oczekiwania na odpowiedź</h3>\n<ul>\n");
    let _ = writeln!(
        html,
        "<li>Z odpowiedzią jednostki: {}.{}</li>",
        ideas_pl(answered.ideas),
        in_words(answered, "Od potwierdzenia do pierwszej odpowiedzi")
    );
    let _ = writeln!(
        html,
        "<li>Bez odpowiedzi: {}.{}</li>",
        ideas_pl(waiting.ideas),
        in_words(waiting, "Czas oczekiwania do dziś")
    );
    html.push_str("</ul>\n");
    let limit = format!("Dłużej niż {}", days_pl(LONG_WAIT_DAYS));
    let headers = ["Pomysły", "Ile", "Mediana", "Najdłużej", limit.as_str()];
    let rows = [
        (
            "z odpowiedzią: od potwierdzenia do pierwszej odpowiedzi",
            answered,
        ),
        ("bez odpowiedzi: od potwierdzenia do dziś", waiting),
    ]
    .map(|(which, waits)| {
        format!(
            "<tr><th scope=\"row\">{which}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            waits.ideas,
            days_or_dash(waits.median_days),
            days_or_dash(waits.longest_days),
            waits.over_limit
        )
    })
    .concat();
    let caption = format!("Czas oczekiwania na odpowiedź jednostki – {}", form.title);
    html.push_str(&table(
        &format!("czas-{}", escape(&form.id)),
        &caption,
        &headers,
        &rows,
    ));
    html
}

/// ` {what}: mediana …, najdłużej …; dłużej niż 14 dni: …`, or nothing
/// when there is no wait to tell.
fn in_words(waits: &Waits, what: &str) -> String {
    let (Some(median), Some(longest)) = (waits.median_days, waits.longest_days) else {
        return String::new();
    };
    format!(
        " {what}: mediana {}, najdłużej {}; dłużej niż {}: {}.",
        days_pl(median),
        days_pl(longest),
        days_pl(LONG_WAIT_DAYS),
        ideas_pl(waits.over_limit)
    )
}

fn days_or_dash(days: Option<i64>) -> String {
    days.map_or_else(|| "–".to_owned(), days_pl)
}
