//! Dates as editors write them and as Polish readers read them.

use chrono::{
    DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Weekday,
};
use chrono_tz::Tz;

/// Parses `2020-02-19`, `2020-02-19 09:30` or `2020-02-19T09:30[:00]` as a
/// local time of `tz`. A date alone means midnight.
pub fn parse_local(text: &str, tz: Tz) -> Result<DateTime<Tz>, String> {
    let text = text.trim();
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.and_time(NaiveTime::MIN))
        })
        .map_err(|_| {
            format!("`{text}` is not a date; write it as 2020-02-19 or 2020-02-19 17:00")
        })?;
    tz.from_local_datetime(&naive).earliest().ok_or_else(|| {
        format!("`{text}` does not exist in time zone {tz} (it falls in a daylight-saving gap)")
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
