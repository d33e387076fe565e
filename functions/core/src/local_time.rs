//! Local times as editors write them, read one way everywhere: pages'
//! front matter, `agora.yaml`, form files and `--now`. `2020-02-19` (a day
//! alone), `2020-02-19 09:30` or `2020-02-19T09:30`, with or without
//! seconds.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// What an editor wrote: a day alone, or a day and a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Day(NaiveDate),
    At(NaiveDateTime),
}

/// How a moment is written, for error messages.
pub const FORMAT_HINT: &str = "2020-02-19 or 2020-02-19 17:00";

const WITH_TIME: [&str; 4] = [
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
];

/// Reads a day or a day and a time; `None` for anything else.
pub fn read(text: &str) -> Option<Written> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(Written::Day(day));
    }
    WITH_TIME
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(Written::At)
}

/// The moment `local` names in `tz`: the earlier one in an autumn hour
/// that happens twice, `None` in a spring hour that never happens.
pub fn in_zone(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Tz>> {
    tz.from_local_datetime(&local).earliest()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_times_in_every_accepted_form() {
        let day = NaiveDate::from_ymd_opt(2020, 2, 19).expect("a day");
        assert_eq!(read(" 2020-02-19 "), Some(Written::Day(day)));
        let at = day.and_hms_opt(9, 30, 0).expect("a time");
        for text in [
            "2020-02-19 09:30",
            "2020-02-19T09:30",
            "2020-02-19 09:30:00",
            "2020-02-19T09:30:00",
        ] {
            assert_eq!(read(text), Some(Written::At(at)), "{text}");
        }
        for text in ["19.02.2020", "2020-02-30", "2020-02-19 25:00", ""] {
            assert_eq!(read(text), None, "{text}");
        }
    }

    #[test]
    fn a_spring_gap_names_no_moment() {
        let gap = NaiveDate::from_ymd_opt(2020, 3, 29)
            .and_then(|d| d.and_hms_opt(2, 30, 0))
            .expect("a local time");
        assert_eq!(in_zone(gap, Tz::Europe__Warsaw), None);
    }
}
