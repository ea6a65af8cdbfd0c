//! Template helpers: dates and times the GOV.UK way ("14 October 2022",
//! "14 October 2022 at 3:05pm"), in UK time.

use chrono::{DateTime, FixedOffset, NaiveDate};
use chrono_tz::Europe::London;

pub fn long_date(date: &NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

pub fn date_time(t: &DateTime<FixedOffset>) -> String {
    let local = t.with_timezone(&London);
    let time = match local.format("%H:%M").to_string().as_str() {
        "12:00" => "midday".to_string(),
        "00:00" => "midnight".to_string(),
        _ => local.format("%-I:%M%P").to_string(),
    };
    format!("{} at {time}", local.format("%-d %B %Y"))
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
    }
}
