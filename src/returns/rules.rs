//! The rules a return must meet, as pure functions. Each problem names the
//! field it is about and says what is wrong and how to fix it.

use importers::vocab::{IsoWeek, Sexes};

use super::{HomeFacts, ReturnInput, VacancyInput};

/// A part of a return a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Capacity,
    Occupied,
    Unavailable,
    UnavailableOtherReason,
    Vacancies,
    Note,
    Beds,
    AvailableFrom,
    Ages,
    Sexes,
    Needs,
    Fee,
    VacancyNote,
}

impl Field {
    /// The form field the error summary links to.
    /// The field's name in the JSON API's body: `occupied_by_council`,
    /// `vacancies[0].beds`.
    pub fn api_name(self, vacancy: Option<usize>) -> String {
        let name = match self {
            Field::Capacity => "capacity",
            Field::Occupied => "occupied_by_council",
            Field::Unavailable => "not_admittable",
            Field::UnavailableOtherReason => "not_admittable.other_reason",
            Field::Vacancies => "vacancies",
            Field::Note => "note",
            Field::Beds => "beds",
            Field::AvailableFrom => "available_from",
            Field::Ages => "min_age",
            Field::Sexes => "sexes",
            Field::Needs => "needs",
            Field::Fee => "weekly_fee",
            Field::VacancyNote => "note",
        };
        match vacancy {
            Some(i) => format!("vacancies[{i}].{name}"),
            None => name.to_string(),
        }
    }

    /// The field's id on the return form.
    pub fn form_id(self, vacancy: Option<usize>) -> String {
        let base = match self {
            Field::Capacity => "capacity",
            Field::Occupied => "occupied",
            Field::Unavailable => "unavailable",
            Field::UnavailableOtherReason => "unavailable_other_reason",
            Field::Vacancies => "v0_beds",
            Field::Note => "note",
            Field::Beds => "beds",
            Field::AvailableFrom => "available_day",
            Field::Ages => "min_age",
            Field::Sexes => "sexes",
            Field::Needs => "needs",
            Field::Fee => "fee",
            Field::VacancyNote => "vnote",
        };
        match vacancy {
            Some(i) => format!("v{i}_{base}"),
            None => base.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    /// Which vacancy group (0-based), for vacancy fields.
    pub vacancy: Option<usize>,
    pub message: String,
}

fn problem(field: Field, vacancy: Option<usize>, message: impl Into<String>) -> Problem {
    Problem {
        field,
        vacancy,
        message: message.into(),
    }
}

pub const MAX_NOTE: usize = 2000;
pub const MAX_FEE_PENCE: i64 = 5_000_000; // £50,000 a week
const MAX_WEEKS_AHEAD: i64 = 26;

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Every problem with a return for `home` and `week`; empty when it is fine.
pub fn check(input: &ReturnInput, home: &HomeFacts, week: IsoWeek) -> Vec<Problem> {
    let mut out = Vec::new();
    let occupied = input.occupied();
    let unavailable = input.unavailable.total();
    let described = input.vacant_beds();
    match home.places {
        Some(places) => {
            if occupied > places {
                out.push(problem(
                    Field::Occupied,
                    None,
                    format!("Beds occupied ({occupied}) is more than registered places ({places}). Check the numbers of children living there"),
                ));
            } else if occupied + unavailable > places {
                out.push(problem(
                    Field::Unavailable,
                    None,
                    format!(
                        "Beds occupied ({occupied}) and not admittable ({unavailable}) add up to more than registered places ({places})"
                    ),
                ));
            } else {
                let admittable = places - occupied - unavailable;
                if described != admittable {
                    out.push(problem(
                        Field::Vacancies,
                        None,
                        format!(
                            "{} {} admittable ({places} places − {occupied} occupied − {unavailable} not admittable): describe {} in the vacancies, not {}. A vacant bed that cannot take a child now is not admittable",
                            plural(admittable, "bed", "beds"),
                            if admittable == 1 { "is" } else { "are" },
                            admittable,
                            described
                        ),
                    ));
                }
            }
        }
        None => match input.capacity {
            None => out.push(problem(
                Field::Capacity,
                None,
                "Enter how many carers or units you have for children this week (0 if none)",
            )),
            Some(capacity) => {
                if occupied > capacity {
                    out.push(problem(
                        Field::Occupied,
                        None,
                        format!("Places occupied ({occupied}) is more than the carers or units you have ({capacity})"),
                    ));
                } else if occupied + unavailable + described > capacity {
                    out.push(problem(
                        Field::Vacancies,
                        None,
                        format!(
                            "Occupied ({occupied}), not admittable ({unavailable}) and vacant ({described}) add up to more than the carers or units you have ({capacity})"
                        ),
                    ));
                }
            }
        },
    }
    if input.unavailable.other > 0
        && input
            .unavailable
            .other_reason
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
    {
        out.push(problem(
            Field::UnavailableOtherReason,
            None,
            "Say why the other beds cannot take a child",
        ));
    }
    if input
        .unavailable
        .other_reason
        .as_deref()
        .is_some_and(|r| r.chars().count() > 200)
    {
        out.push(problem(
            Field::UnavailableOtherReason,
            None,
            "The reason must be 200 characters or fewer",
        ));
    }
    if input
        .note
        .as_deref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE)
    {
        out.push(problem(
            Field::Note,
            None,
            format!("The note must be {MAX_NOTE} characters or fewer"),
        ));
    }
    for (i, v) in input.vacancies.iter().enumerate() {
        check_vacancy(&mut out, i, v, home, week);
    }
    out
}

fn check_vacancy(
    out: &mut Vec<Problem>,
    i: usize,
    v: &VacancyInput,
    home: &HomeFacts,
    week: IsoWeek,
) {
    let at = Some(i);
    if v.beds == 0 {
        out.push(problem(
            Field::Beds,
            at,
            "Enter how many beds this vacancy is for (1 or more)",
        ));
    }
    let latest = week.monday() + chrono::Duration::weeks(MAX_WEEKS_AHEAD);
    if v.available_from > latest {
        out.push(problem(
            Field::AvailableFrom,
            at,
            "The date a bed is available from must be within 6 months of the week of the return",
        ));
    }
    if v.min_age > v.max_age {
        out.push(problem(
            Field::Ages,
            at,
            format!(
                "Youngest age ({}) must not be more than oldest age ({})",
                v.min_age, v.max_age
            ),
        ));
    } else if v.max_age > 25 {
        out.push(problem(Field::Ages, at, "Ages must be between 0 and 25"));
    } else if let (Some(lo), Some(hi)) = (home.min_age, home.max_age)
        && (v.min_age < lo || v.max_age > hi)
    {
        out.push(problem(
            Field::Ages,
            at,
            format!(
                "Ages {} to {} are outside the ages this home is registered for ({lo} to {hi})",
                v.min_age, v.max_age
            ),
        ));
    }
    match home.sexes {
        Some(Sexes::Female) if v.sexes != Sexes::Female => out.push(problem(
            Field::Sexes,
            at,
            "This home is registered for girls only",
        )),
        Some(Sexes::Male) if v.sexes != Sexes::Male => out.push(problem(
            Field::Sexes,
            at,
            "This home is registered for boys only",
        )),
        _ => {}
    }
    if !home.needs.is_empty() {
        let outside: Vec<&str> = v
            .needs
            .iter()
            .filter(|n| !home.needs.contains(n))
            .map(|n| n.label())
            .collect();
        if !outside.is_empty() {
            out.push(problem(
                Field::Needs,
                at,
                format!("This home's statement of purpose does not cover: {}. Change the home's details first if it now does", outside.join(", ")),
            ));
        }
    }
    if v.weekly_fee.is_some_and(|f| f.0 > MAX_FEE_PENCE) {
        out.push(problem(
            Field::Fee,
            at,
            "The weekly fee looks too high: enter the fee in pounds per week, like 4500.00",
        ));
    }
    if v.note
        .as_deref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE)
    {
        out.push(problem(
            Field::VacancyNote,
            at,
            format!("The vacancy note must be {MAX_NOTE} characters or fewer"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use importers::vocab::{Need, Pence};

    use super::*;
    use crate::returns::{Occupancy, Unavailable};

    fn home(places: Option<u32>) -> HomeFacts {
        HomeFacts {
            urn: "SC100001".into(),
            name: "Oak".into(),
            provision_type: None,
            places,
            min_age: Some(11),
            max_age: Some(17),
            sexes: Some(Sexes::Mixed),
            needs: vec![Need::EmotionalBehavioural, Need::Autism],
        }
    }

    fn vacancy(beds: u32) -> VacancyInput {
        VacancyInput {
            beds,
            available_from: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            min_age: 12,
            max_age: 16,
            sexes: Sexes::Mixed,
            needs: vec![Need::Autism],
            emergency: true,
            solo_only: false,
            weekly_fee: Some(Pence(450_000)),
            note: None,
        }
    }

    fn week() -> IsoWeek {
        "2026-W48".parse().unwrap()
    }

    /// Beds occupied by a member council's children and by others'.
    fn occupied(member: u32, outside: u32) -> Occupancy {
        Occupancy::from_host_and_other(Some(1), member, outside)
    }

    fn messages(input: &ReturnInput, facts: &HomeFacts) -> Vec<String> {
        check(input, facts, week())
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    #[test]
    fn a_consistent_return_passes() {
        let input = ReturnInput {
            occupied: occupied(1, 1),
            unavailable: Unavailable {
                staffing: 1,
                ..Default::default()
            },
            vacancies: vec![vacancy(1)],
            ..Default::default()
        };
        assert!(check(&input, &home(Some(4)), week()).is_empty());
    }

    #[test]
    fn occupied_cannot_exceed_places() {
        let input = ReturnInput {
            occupied: occupied(3, 2),
            ..Default::default()
        };
        assert_eq!(
            messages(&input, &home(Some(4)))[0],
            "Beds occupied (5) is more than registered places (4). Check the numbers of children living there"
        );
    }

    #[test]
    fn vacancies_must_match_what_is_left() {
        let input = ReturnInput {
            occupied: occupied(1, 0),
            vacancies: vec![vacancy(1)],
            ..Default::default()
        };
        let m = messages(&input, &home(Some(4)));
        assert!(
            m[0].starts_with(
                "3 beds are admittable (4 places − 1 occupied − 0 not admittable): describe 3"
            ),
            "{m:?}"
        );
        let too_many = ReturnInput {
            occupied: occupied(4, 0),
            unavailable: Unavailable {
                works: 1,
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(
            messages(&too_many, &home(Some(4)))[0]
                .contains("add up to more than registered places (4)")
        );
    }

    #[test]
    fn other_reasons_need_words() {
        let input = ReturnInput {
            occupied: occupied(3, 0),
            unavailable: Unavailable {
                other: 1,
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            messages(&input, &home(Some(4))),
            vec!["Say why the other beds cannot take a child"]
        );
    }

    #[test]
    fn fostering_states_capacity() {
        let mut input = ReturnInput {
            occupied: occupied(2, 0),
            vacancies: vec![vacancy(1)],
            ..Default::default()
        };
        assert!(messages(&input, &home(None))[0].starts_with("Enter how many carers or units"));
        input.capacity = Some(3);
        assert!(check(&input, &home(None), week()).is_empty());
        input.capacity = Some(2);
        assert!(
            messages(&input, &home(None))[0].contains("more than the carers or units you have (2)")
        );
    }

    #[test]
    fn each_vacancy_must_fit_the_home() {
        let mut v = vacancy(1);
        v.min_age = 8;
        v.needs = vec![Need::MentalHealth];
        v.weekly_fee = Some(Pence(45_000_000));
        v.available_from = NaiveDate::from_ymd_opt(2027, 12, 1).unwrap();
        let input = ReturnInput {
            occupied: occupied(3, 0),
            vacancies: vec![v],
            ..Default::default()
        };
        let problems = check(&input, &home(Some(4)), week());
        let fields: Vec<Field> = problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec![Field::AvailableFrom, Field::Ages, Field::Needs, Field::Fee]
        );
        assert!(problems.iter().all(|p| p.vacancy == Some(0)));
        let mut girls = home(Some(4));
        girls.sexes = Some(Sexes::Female);
        assert_eq!(
            messages(
                &ReturnInput {
                    occupied: occupied(3, 0),
                    vacancies: vec![vacancy(1)],
                    ..Default::default()
                },
                &girls
            ),
            vec!["This home is registered for girls only"]
        );
    }
}
