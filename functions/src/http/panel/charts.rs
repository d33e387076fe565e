//! The dashboard's charts, drawn on the server as SVG inside the page: no
//! script, no chart library, nothing from another site. Each chart is a
//! `<figure>` whose image is named by a `<title>` stating its main
//! numbers, with a caption, and the same numbers as a table below it; the
//! bars carry their values as text or in the table, never in colour
//! alone. The numbers are `agora_core::panel::charts`'s.
//!
//! Counts only, never a registration's data: showing them is not a view
//! of personal data, so the dashboard writes no line to the audit log.

use std::cmp::Reverse;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};

use agora_core::forms::html::escape;
use agora_core::forms::FormDefinition;
use agora_core::panel::charts::{self, DayCount, FormSeries, Part, DAYS_SHOWN};
use agora_core::polish::{count_pl, date_pl};
use agora_core::store::{Store, StoreError};

use super::pages::table;

/// A form the dashboard charts, with its numbers.
pub(super) struct Charted {
    pub(super) form: Arc<FormDefinition>,
    pub(super) series: FormSeries,
}

/// The charts of the forms that are open or closed lately: one read of
/// each such form's registrations, none of the others'.
pub(super) async fn read<S: Store>(
    store: &S,
    forms: &[Arc<FormDefinition>],
    now: DateTime<Utc>,
) -> Result<Vec<Charted>, StoreError> {
    let mut charted = Vec::new();
    for form in forms.iter().filter(|form| charts::charted(form, now)) {
        let registrations = store.list(&form.id, now).await?;
        let series = charts::series(form, &registrations, now);
        charted.push(Charted {
            form: Arc::clone(form),
            series,
        });
    }
    Ok(charted)
}

/// The dashboard's part with the charts: each charted form's section.
pub(super) fn section(charted: &[Charted]) -> String {
    let mut html = format!(
        "<h2>Zgłoszenia na wykresach</h2>\n\
         <p>Formularze otwarte i zamknięte w ciągu ostatnich {} dni. Liczą się zgłoszenia \
         we wszystkich stanach poza wycofanymi i podejrzanymi o spam (te podajemy osobno), \
         według dnia wysłania.</p>\n",
        charts::RECENTLY_CLOSED_DAYS
    );
    if charted.is_empty() {
        html.push_str(
            "<p>Żaden formularz nie przyjmuje teraz zgłoszeń ani nie zamknął się ostatnio.</p>\n",
        );
    }
    for chart in charted {
        html.push_str(&form_section(chart));
    }
    html
}

fn form_section(chart: &Charted) -> String {
    let Charted { form, series } = chart;
    let id = escape(&form.id);
    let mut html = format!(
        "<section class=\"charts\" aria-labelledby=\"wykresy-{id}\">\n\
         <h3 id=\"wykresy-{id}\">{}</h3>\n<p>{}</p>\n",
        escape(&form.title),
        summary(series)
    );
    if series.counted == 0 {
        html.push_str("<p>Nikt się jeszcze nie zgłosił.</p>\n");
    } else {
        html.push_str(&daily(form, series));
        if let Some(parts) = &series.districts {
            html.push_str(&districts(form, parts));
        }
    }
    html.push_str("</section>\n");
    html
}

/// The totals, in words.
fn summary(series: &FormSeries) -> String {
    let mut text = format!("Zgłoszenia, które się liczą: {}.", series.counted);
    if series.outside > 0 {
        text.push_str(&format!(
            " Z tego {} wysłano przed pierwszym dniem na wykresie \
             (pokazuje on najwyżej {DAYS_SHOWN} ostatnich dni).",
            series.outside
        ));
    }
    text.push_str(&format!(
        " Wycofane: {}. Podejrzane o spam: {}.",
        series.withdrawn, series.spam
    ));
    text
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------
// Registrations per day: vertical bars over the days shown

/// The drawing's units: its `viewBox` is this wide, and a phone shows it
/// about one to one, so that 11 units of text read as 11 pixels.
const WIDTH: f64 = 360.0;
const DAILY_HEIGHT: f64 = 200.0;
const LEFT: f64 = 30.0;
const RIGHT: f64 = 6.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 30.0;

fn daily(form: &FormDefinition, series: &FormSeries) -> String {
    let (Some(first), Some(last)) = (series.days.first(), series.days.last()) else {
        return String::new();
    };
    let id = format!("dni-{}", escape(&form.id));
    let shown: u64 = series.days.iter().map(|d| d.count).sum();
    let mut title = format!(
        "Zgłoszenia dziennie od {} do {}: razem {shown}",
        date_pl(first.day),
        date_pl(last.day)
    );
    if let Some(busiest) = series.busiest() {
        title.push_str(&format!(
            ", najwięcej {} ({})",
            busiest.count,
            date_pl(busiest.day)
        ));
    }
    let rows: String = series
        .days
        .iter()
        .map(|d| {
            format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n",
                date_pl(d.day),
                d.count
            )
        })
        .collect();
    format!(
        "<h4>Dziennie</h4>\n{figure}{numbers}",
        figure = figure(&id, &title, DAILY_HEIGHT, &daily_drawing(&series.days)),
        numbers = numbers(
            &id,
            &format!("Zgłoszenia dziennie – {}", form.title),
            &["Dzień", "Zgłoszenia"],
            &rows
        ),
    )
}

/// The bars, the scale at the left and some days below.
fn daily_drawing(days: &[DayCount]) -> String {
    let top = nice_ceiling(days.iter().map(|d| d.count).max().unwrap_or(0));
    let plot_height = DAILY_HEIGHT - TOP - BOTTOM;
    let base = TOP + plot_height;
    let slot = (WIDTH - LEFT - RIGHT) / days.len() as f64;
    let mut svg = String::new();
    for tick in ticks(top) {
        let y = base - plot_height * tick as f64 / top as f64;
        svg.push_str(&format!(
            "<line class=\"chart-grid\" x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"chart-text\" x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{tick}</text>\n",
            x2 = WIDTH - RIGHT,
            tx = LEFT - 4.0,
            ty = y + 4.0,
        ));
    }
    // A label every few days, so that they never overlap on a phone.
    let every = days.len().div_ceil(6);
    for (index, day) in days.iter().enumerate() {
        let x = LEFT + slot * index as f64;
        let height = plot_height * day.count as f64 / top as f64;
        if day.count > 0 {
            svg.push_str(&format!(
                "<rect class=\"chart-bar\" x=\"{bx:.1}\" y=\"{by:.1}\" width=\"{bw:.1}\" height=\"{height:.1}\">\
                 <title>{}: {}</title></rect>\n",
                date_pl(day.day),
                day.count,
                bx = x + slot * 0.15,
                by = base - height,
                bw = slot * 0.7,
            ));
        }
        if index % every == 0 {
            svg.push_str(&format!(
                "<text class=\"chart-text\" x=\"{cx:.1}\" y=\"{ly}\" text-anchor=\"middle\">{}.{:02}</text>\n",
                day.day.day(),
                day.day.month(),
                cx = x + slot / 2.0,
                ly = base + 16.0,
            ));
        }
    }
    svg.push_str(&format!(
        "<line class=\"chart-axis\" x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{base}\" y2=\"{base}\"/>\n",
        x2 = WIDTH - RIGHT
    ));
    svg
}

/// The top of the scale: the smallest 1, 2 or 5 times a power of ten
/// at or above `max` (at least 1), so that the scale reads in round steps.
fn nice_ceiling(max: u64) -> u64 {
    let mut power = 1;
    loop {
        for step in [1, 2, 5] {
            if step * power >= max {
                return step * power;
            }
        }
        power *= 10;
    }
}

/// The scale's marks: 0, the middle when it is whole, the top.
fn ticks(top: u64) -> Vec<u64> {
    if top.is_multiple_of(2) {
        vec![0, top / 2, top]
    } else {
        vec![0, top]
    }
}

// ---------------------------------------------------------------------------
// By district: a horizontal bar per district, its name above, its number after

const ROW: f64 = 30.0;
/// Room after the longest bar for its number.
const VALUE_ROOM: f64 = 40.0;

fn districts(form: &FormDefinition, parts: &[Part]) -> String {
    let chart = ByDistrict {
        id: format!("dzielnice-{}", escape(&form.id)),
        heading: "Według dzielnic",
        counted: "Zgłoszenia",
        column: "Zgłoszenia",
        form_title: &form.title,
    };
    by_district(&chart, parts)
}

/// A chart of one number by district, in its words.
pub(super) struct ByDistrict<'a> {
    /// The stem of its elements' ids, unique on the page.
    pub(super) id: String,
    /// The heading above it.
    pub(super) heading: &'a str,
    /// What it counts, as its title begins: "Zgłoszenia".
    pub(super) counted: &'a str,
    /// The header of the table's column of numbers.
    pub(super) column: &'a str,
    /// The form's title, which ends the table's caption.
    pub(super) form_title: &'a str,
}

/// A heading, a horizontal bar per district and the table of the numbers.
pub(super) fn by_district(chart: &ByDistrict<'_>, parts: &[Part]) -> String {
    let with_any = parts.iter().filter(|p| p.count > 0).count();
    let mut title = format!(
        "{} według dzielnic: {} z {}",
        chart.counted,
        count_pl(
            as_i64(with_any as u64),
            "dzielnica",
            "dzielnice",
            "dzielnic"
        ),
        parts.len()
    );
    // The first of equals, in the data file's order.
    let most = parts
        .iter()
        .filter(|p| p.count > 0)
        .min_by_key(|p| Reverse(p.count));
    if let Some(most) = most {
        title.push_str(&format!(", najwięcej {} ({})", most.count, most.label));
    }
    let rows: String = parts
        .iter()
        .map(|p| {
            format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n",
                escape(&p.label),
                p.count
            )
        })
        .collect();
    let height = ROW * parts.len() as f64 + 6.0;
    format!(
        "<h4>{heading}</h4>\n{figure}{numbers}",
        heading = escape(chart.heading),
        figure = figure(&chart.id, &title, height, &districts_drawing(parts)),
        numbers = numbers(
            &chart.id,
            &format!("{} według dzielnic – {}", chart.counted, chart.form_title),
            &["Dzielnica", chart.column],
            &rows
        ),
    )
}

fn districts_drawing(parts: &[Part]) -> String {
    let most = parts.iter().map(|p| p.count).max().unwrap_or(0).max(1);
    let room = WIDTH - VALUE_ROOM;
    let mut svg = String::new();
    for (index, part) in parts.iter().enumerate() {
        let y = ROW * index as f64;
        let width = room * part.count as f64 / most as f64;
        svg.push_str(&format!(
            "<text class=\"chart-text\" x=\"0\" y=\"{ly:.1}\">{label}</text>\n\
             <rect class=\"chart-bar\" x=\"0\" y=\"{by:.1}\" width=\"{width:.1}\" height=\"10\"/>\
             <text class=\"chart-text chart-value\" x=\"{vx:.1}\" y=\"{vy:.1}\">{count}</text>\n",
            label = escape(&part.label),
            ly = y + 12.0,
            by = y + 16.0,
            vx = width + 4.0,
            vy = y + 25.0,
            count = part.count,
        ));
    }
    svg
}

// ---------------------------------------------------------------------------
// What both charts share

/// A chart: the drawing named by its `<title>` (which states the main
/// numbers), a caption that says the table has them all. Scaled to the
/// column's width by its `viewBox`.
fn figure(id: &str, title: &str, height: f64, drawing: &str) -> String {
    format!(
        "<figure class=\"chart\">\n\
         <svg role=\"img\" aria-labelledby=\"{id}-tytul\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" focusable=\"false\">\n\
         <title id=\"{id}-tytul\">{title}.</title>\n{drawing}</svg>\n\
         <figcaption>{title}. Wszystkie liczby są w tabeli pod wykresem.</figcaption>\n\
         </figure>\n",
        title = escape(title),
    )
}

/// The chart's numbers as a table, folded under a summary so that the
/// dashboard stays short; open without script, by keyboard too.
fn numbers(id: &str, caption: &str, headers: &[&str], rows: &str) -> String {
    format!(
        "<details class=\"chart-numbers\">\n<summary>Tabela: {}</summary>\n{}</details>\n",
        escape(caption),
        table(&format!("{id}-tabela"), caption, headers, rows)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_rounds_up_to_one_two_or_five() {
        let tops: Vec<u64> = [0, 1, 2, 3, 5, 7, 11, 49, 51, 999]
            .into_iter()
            .map(nice_ceiling)
            .collect();
        assert_eq!(tops, [1, 1, 2, 5, 5, 10, 20, 50, 100, 1000]);
        assert_eq!(ticks(10), [0, 5, 10]);
        assert_eq!(ticks(5), [0, 5]);
    }
}
