//! Dates as editors write them and as Polish readers read them.

use agora_core::local_time::{self, Written, FORMAT_HINT};
use chrono::{DateTime, Datelike, NaiveTime, Timelike, Weekday};
use chrono_tz::Tz;

/// Reads a moment as editors write it (`agora_core::local_time`) as a
/// local time of `tz`. A date alone means midnight.
pub fn parse_local(text: &str, tz: Tz) -> Result<DateTime<Tz>, String> {
    let local = match local_time::read(text) {
        Some(Written::Day(day)) => day.and_time(NaiveTime::MIN),
        Some(Written::At(local)) => local,
        None => {
            return Err(format!(
                "`{}` is not a date; write it as {FORMAT_HINT}",
                text.trim()
            ))
        }
    };
    local_time::in_zone(local, tz).ok_or_else(|| {
        format!(
            "`{}` does not exist in time zone {tz} (it falls in a daylight-saving gap)",
            text.trim()
        )
    })
}

fn weekday_pl(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "poniedziałek",
        Weekday::Tue => "wtorek",
        Weekday::Wed => "środa",
        Weekday::Thu => "czwartek",
        Weekday::Fri => "piątek",
        Weekday::Sat => "sobota",
        Weekday::Sun => "niedziela",
    }
}

/// "wtorek, 21 kwietnia 2020, 17:00–20:00"; an event over several days
/// names both ends in full.
pub fn event_when_pl(start: DateTime<Tz>, end: DateTime<Tz>) -> String {
    let day = |t: DateTime<Tz>| format!("{}, {}", weekday_pl(t.weekday()), date_pl(t.date_naive()));
    let time = |t: DateTime<Tz>| format!("{}:{:02}", t.hour(), t.minute());
    if start.date_naive() == end.date_naive() {
        format!("{}, {}–{}", day(start), time(start), time(end))
    } else {
        format!(
            "{}, {} – {}, {}",
            day(start),
            time(start),
            day(end),
            time(end)
        )
    }
}

pub use agora_core::polish::{date_pl, plural_pl};

#[cfg(test)]
mod tests {
    use super::*;

    fn warsaw(text: &str) -> DateTime<Tz> {
        parse_local(text, Tz::Europe__Warsaw).expect("valid test date")
    }

    #[test]
    fn event_times_name_the_weekday_and_the_range() {
        assert_eq!(
            event_when_pl(warsaw("2020-04-21 17:00"), warsaw("2020-04-21 20:00")),
            "wtorek, 21 kwietnia 2020, 17:00–20:00"
        );
        assert_eq!(
            event_when_pl(warsaw("2020-03-28 10:00"), warsaw("2020-03-29 14:30")),
            "sobota, 28 marca 2020, 10:00 – niedziela, 29 marca 2020, 14:30"
        );
    }

    #[test]
    fn local_times_carry_their_offset() {
        assert_eq!(
            warsaw("2020-03-28 10:00").to_rfc3339(),
            "2020-03-28T10:00:00+01:00"
        );
        assert_eq!(
            warsaw("2020-04-04 10:00").to_rfc3339(),
            "2020-04-04T10:00:00+02:00"
        );
        assert_eq!(
            warsaw("2020-02-19").to_rfc3339(),
            "2020-02-19T00:00:00+01:00"
        );
    }

    #[test]
    fn bad_dates_are_refused_with_the_expected_format() {
        let error = parse_local("19.02.2020", Tz::Europe__Warsaw).expect_err("not ISO");
        assert!(error.contains("2020-02-19"), "{error}");
        assert!(parse_local("2020-02-30", Tz::Europe__Warsaw).is_err());
        assert!(parse_local("2020-03-29 02:30", Tz::Europe__Warsaw).is_err());
    }
}
