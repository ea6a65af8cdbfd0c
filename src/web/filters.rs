//! Template helpers: dates and times the GOV.UK way ("14 October 2022",
//! "14 October 2022 at 3:05pm"), in UK time.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike};
use chrono_tz::Europe::London;

// Written out rather than through chrono's `format`, which parses its
// pattern on every call: a search page shows dozens of dates.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn month(date: &impl Datelike) -> &'static str {
    MONTHS[date.month0() as usize]
}

/// `day month year` into a buffer with room for the rest.
fn date_into(date: &impl Datelike, month: &str, room: usize) -> String {
    let mut out = String::with_capacity(room);
    push_integer(&mut out, i64::from(date.day()));
    out.push(' ');
    out.push_str(month);
    out.push(' ');
    push_integer(&mut out, i64::from(date.year()));
    out
}

/// An integer's digits onto `out`. Cheaper than `write!`, which goes
/// through the formatting machinery: a search page writes hundreds.
pub fn push_integer(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_digits(out, n.unsigned_abs());
}

/// A number kept in hundredths, tenths... as decimal text: `scaled` 450000
/// with 2 places is `4500.00`, 23 with 1 place `2.3`.
pub fn fixed_point(scaled: i64, places: u32) -> String {
    let scale = 10u64.pow(places);
    let magnitude = scaled.unsigned_abs();
    let mut out = String::with_capacity(24);
    if scaled < 0 {
        out.push('-');
    }
    push_digits(&mut out, magnitude / scale);
    if places > 0 {
        out.push('.');
        let fraction = magnitude % scale;
        let mut leading = scale / 10;
        while leading > 1 && leading > fraction {
            out.push('0');
            leading /= 10;
        }
        push_digits(&mut out, fraction);
    }
    out
}

fn push_digits(out: &mut String, mut rest: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &d in &digits[start..] {
        out.push(char::from(d));
    }
}

/// "4 October 2022".
pub fn long_date(date: &NaiveDate) -> String {
    date_into(date, month(date), 20)
}

/// "4 Oct 2022", for dense lists.
pub fn short_date(date: &NaiveDate) -> String {
    date_into(date, &month(date)[..3], 12)
}

/// "4 October 2022 at 3:05pm" in UK time; "midday" and "midnight" as words.
pub fn date_time(t: &DateTime<FixedOffset>) -> String {
    let local = t.with_timezone(&London);
    let mut out = date_into(&local, month(&local), 32);
    match (local.hour(), local.minute()) {
        (12, 0) => out.push_str(" at midday"),
        (0, 0) => out.push_str(" at midnight"),
        (_, minute) => {
            let (pm, hour12) = local.hour12();
            out.push_str(" at ");
            push_integer(&mut out, i64::from(hour12));
            out.push_str(if minute < 10 { ":0" } else { ":" });
            push_integer(&mut out, i64::from(minute));
            out.push_str(if pm { "pm" } else { "am" });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_uk_time() {
        assert_eq!(
            long_date(&NaiveDate::from_ymd_opt(2022, 10, 4).unwrap()),
            "4 October 2022"
        );
        let summer = DateTime::parse_from_rfc3339("2026-07-01T14:05:00Z").unwrap();
        assert_eq!(date_time(&summer), "1 July 2026 at 3:05pm");
        let winter = DateTime::parse_from_rfc3339("2026-11-24T09:00:00Z").unwrap();
        assert_eq!(date_time(&winter), "24 November 2026 at 9:00am");
        let noon = DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z").unwrap();
        assert_eq!(date_time(&noon), "24 November 2026 at midday");
        let midnight = DateTime::parse_from_rfc3339("2026-11-24T00:00:00Z").unwrap();
        assert_eq!(date_time(&midnight), "24 November 2026 at midnight");
        let just_after = DateTime::parse_from_rfc3339("2026-11-24T00:07:00Z").unwrap();
        assert_eq!(date_time(&just_after), "24 November 2026 at 12:07am");
        let date = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        assert_eq!(short_date(&date), "30 Sep 2026");
        assert_eq!(long_date(&date), date.format("%-d %B %Y").to_string());
    }

    #[test]
    fn integers_are_written_as_display_writes_them() {
        for n in [0, 7, 10, 99, 100, 4500, -1, -250, i64::MAX, i64::MIN] {
            let mut out = String::from("x");
            push_integer(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
    }

    #[test]
    fn fixed_point_numbers_keep_their_places() {
        assert_eq!(fixed_point(450000, 2), "4500.00");
        assert_eq!(fixed_point(450005, 2), "4500.05");
        assert_eq!(fixed_point(450050, 2), "4500.50");
        assert_eq!(fixed_point(23, 1), "2.3");
        assert_eq!(fixed_point(0, 1), "0.0");
        assert_eq!(fixed_point(-205, 2), "-2.05");
        assert_eq!(fixed_point(7, 0), "7");
    }
}
