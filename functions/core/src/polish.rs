//! Polish grammar the site and the forms need: plural forms and dates.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike};

const MONTHS_GENITIVE: [&str; 12] = [
    "stycznia",
    "lutego",
    "marca",
    "kwietnia",
    "maja",
    "czerwca",
    "lipca",
    "sierpnia",
    "września",
    "października",
    "listopada",
    "grudnia",
];

/// "19 lutego 2020".
pub fn date_pl(date: NaiveDate) -> String {
    format!(
        "{} {} {}",
        date.day(),
        MONTHS_GENITIVE[date.month0() as usize],
        date.year()
    )
}

/// "1 marca 2020, 09:00", in the time's own zone.
pub fn date_time_pl<T: TimeZone>(time: DateTime<T>) -> String {
    format!(
        "{}, {:02}:{:02}",
        date_pl(time.date_naive()),
        time.hour(),
        time.minute()
    )
}

/// The Polish plural form for `n`: "1 miejsce", "2 miejsca", "5 miejsc",
/// "22 miejsca", "12 miejsc".
pub fn plural_pl<'a>(n: i64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    let n = n.unsigned_abs();
    if n == 1 {
        one
    } else if (2..=4).contains(&(n % 10)) && !(12..=14).contains(&(n % 100)) {
        few
    } else {
        many
    }
}

/// `n` with its plural form: "5 znaków".
pub fn count_pl(n: i64, one: &str, few: &str, many: &str) -> String {
    format!("{n} {}", plural_pl(n, one, few, many))
}

/// "1 pomysł", "2 pomysły", "5 pomysłów".
pub fn ideas_pl(n: u64) -> String {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    count_pl(n, "pomysł", "pomysły", "pomysłów")
}

/// "1 dzień", "2 dni", "21 dni".
pub fn days_pl(n: i64) -> String {
    count_pl(n, "dzień", "dni", "dni")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polish_plurals() {
        let form = |n| plural_pl(n, "miejsce", "miejsca", "miejsc");
        assert_eq!(form(1), "miejsce");
        assert_eq!(form(2), "miejsca");
        assert_eq!(form(4), "miejsca");
        assert_eq!(form(5), "miejsc");
        assert_eq!(form(12), "miejsc");
        assert_eq!(form(22), "miejsca");
        assert_eq!(form(0), "miejsc");
        assert_eq!(form(112), "miejsc");
        assert_eq!(count_pl(3, "znak", "znaki", "znaków"), "3 znaki");
        assert_eq!(ideas_pl(1), "1 pomysł");
        assert_eq!(ideas_pl(22), "22 pomysły");
        assert_eq!(ideas_pl(5), "5 pomysłów");
        assert_eq!(days_pl(1), "1 dzień");
        assert_eq!(days_pl(21), "21 dni");
    }

    #[test]
    fn dates_read_as_polish_readers_expect() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a valid date");
        assert_eq!(date_pl(date(2020, 2, 19)), "19 lutego 2020");
        assert_eq!(date_pl(date(2023, 9, 1)), "1 września 2023");
    }
}
