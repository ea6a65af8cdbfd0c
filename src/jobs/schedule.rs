//! Cron expressions evaluated in UK time. Occurrences are found in
//! Europe/London with its clock changes (croner with chrono-tz), not with
//! an offset fixed at start, so a 08:00 job stays at 08:00 after the clocks
//! go back or forward.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// Parses "sec min hour day-of-month month day-of-week" (seconds optional).
pub fn parse(expression: &str) -> Result<Cron, String> {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .build()
        .parse(expression)
        .map_err(|e| e.to_string())
}

/// The latest time at or before `now` that the schedule names, in UK time.
pub fn latest(cron: &Cron, now: DateTime<Utc>) -> Option<DateTime<Tz>> {
    cron.find_previous_occurrence(&now.with_timezone(&London), true)
        .ok()
}

/// Every time the schedule names in `(from, to]`, in UK time.
pub fn between(cron: &Cron, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Tz>> {
    let mut times = Vec::new();
    let mut at = from.with_timezone(&London);
    while let Ok(next) = cron.find_next_occurrence(&at, false) {
        if next.with_timezone(&Utc) > to {
            break;
        }
        times.push(next);
        at = next;
    }
    times
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_two_oclock_job_runs_once_a_day_across_both_clock_changes() {
        let cron = parse("0 0 2 * * *").unwrap();
        // Spring: clocks go forward at 01:00 GMT on 29 March 2026.
        let spring = between(
            &cron,
            utc("2026-03-27T12:00:00Z"),
            utc("2026-03-31T12:00:00Z"),
        );
        let days: Vec<String> = spring
            .iter()
            .map(|t| t.format("%F %H:%M %Z").to_string())
            .collect();
        assert_eq!(
            days,
            [
                "2026-03-28 02:00 GMT",
                "2026-03-29 02:00 BST",
                "2026-03-30 02:00 BST",
                "2026-03-31 02:00 BST"
            ]
        );
        // Autumn: clocks go back at 02:00 BST on 25 October 2026.
        let autumn = between(
            &cron,
            utc("2026-10-23T12:00:00Z"),
            utc("2026-10-27T12:00:00Z"),
        );
        let days: Vec<String> = autumn
            .iter()
            .map(|t| t.format("%F %H:%M %Z").to_string())
            .collect();
        assert_eq!(
            days,
            [
                "2026-10-24 02:00 BST",
                "2026-10-25 02:00 GMT",
                "2026-10-26 02:00 GMT",
                "2026-10-27 02:00 GMT"
            ]
        );
    }

    #[test]
    fn monday_eight_oclock_is_eight_oclock_uk_time_in_summer_and_winter() {
        let cron = parse("0 0 8 * * Mon").unwrap();
        let summer = latest(&cron, utc("2026-07-01T12:00:00Z")).unwrap();
        assert_eq!(
            summer.with_timezone(&Utc).to_rfc3339(),
            "2026-06-29T07:00:00+00:00"
        );
        let winter = latest(&cron, utc("2026-11-26T12:00:00Z")).unwrap();
        assert_eq!(
            winter.with_timezone(&Utc).to_rfc3339(),
            "2026-11-23T08:00:00+00:00"
        );
        assert_eq!(
            latest(
                &cron,
                London
                    .with_ymd_and_hms(2026, 11, 23, 8, 0, 0)
                    .unwrap()
                    .with_timezone(&Utc)
            ),
            Some(London.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap()),
            "a run is due at its own minute"
        );
    }

    #[test]
    fn bad_expressions_are_refused() {
        assert!(parse("every monday").is_err());
        assert!(parse("0 0 25 * * *").is_err());
    }
}
