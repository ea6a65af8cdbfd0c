//! Dates in JSON answers, written as whole strings. chrono's serde impls
//! hand serde_json a `Display` through `collect_str`, which serde_json
//! escapes one character at a time: on the search API, ten results' dates
//! cost more than the rest of the answer. Same text as chrono's: `2026-11-24`
//! and RFC 3339 with `Z` for UTC (use with `#[serde(serialize_with)]`).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, SecondsFormat};
use serde::Serializer;

/// `2026-11-24`.
pub fn date<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    match iso_date(*date) {
        // Only ASCII digits and dashes are written.
        Some(text) => s.serialize_str(std::str::from_utf8(&text).unwrap_or_default()),
        // Years outside 0..=9999 (never entered here): chrono's own form.
        None => s.collect_str(date),
    }
}

/// `2026-11-24` or `null`.
pub fn optional_date<S: Serializer>(date: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match date {
        Some(d) => self::date(d, s),
        None => s.serialize_none(),
    }
}

/// `2026-11-24T09:30:00Z`, `2026-07-01T14:05:00.5+01:00`.
pub fn date_time<S: Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// The date's ten bytes, on the stack.
fn iso_date(date: NaiveDate) -> Option<[u8; 10]> {
    let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    let mut out = *b"0000-00-00";
    let mut put = |at: usize, width: u32, value: u32| {
        for i in 0..width {
            out[at + (width - 1 - i) as usize] = b'0' + (value / 10u32.pow(i) % 10) as u8;
        }
    };
    put(0, 4, year);
    put(5, 2, date.month());
    put(8, 2, date.day());
    Some(out)
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    #[derive(Serialize)]
    struct Ours {
        #[serde(serialize_with = "super::date")]
        date: chrono::NaiveDate,
        #[serde(serialize_with = "super::optional_date")]
        maybe: Option<chrono::NaiveDate>,
        #[serde(serialize_with = "super::date_time")]
        at: chrono::DateTime<chrono::FixedOffset>,
    }

    #[derive(Serialize)]
    struct Chronos {
        date: chrono::NaiveDate,
        maybe: Option<chrono::NaiveDate>,
        at: chrono::DateTime<chrono::FixedOffset>,
    }

    fn both(
        date: chrono::NaiveDate,
        maybe: Option<chrono::NaiveDate>,
        at: &str,
    ) -> (String, String) {
        let at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
        (
            serde_json::to_string(&Ours { date, maybe, at }).unwrap(),
            serde_json::to_string(&Chronos { date, maybe, at }).unwrap(),
        )
    }

    #[test]
    fn writes_what_chrono_writes() {
        let mut day = chrono::NaiveDate::from_ymd_opt(1999, 12, 25).unwrap();
        let times = [
            "2026-11-24T09:30:00Z",
            "2026-07-01T14:05:00.5+01:00",
            "2026-03-29T00:59:59.123456789-05:30",
        ];
        for i in 0..1500 {
            let (ours, chronos) = both(day, (i % 2 == 0).then_some(day), times[i % 3]);
            assert_eq!(ours, chronos);
            day += chrono::Duration::days(7);
        }
        for (y, m, d) in [
            (1, 1, 1),
            (999, 9, 9),
            (9999, 12, 31),
            (10000, 1, 1),
            (-5, 3, 4),
        ] {
            let day = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let (ours, chronos) = both(day, None, times[0]);
            assert_eq!(ours, chronos);
        }
    }
}
