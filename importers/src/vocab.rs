//! The domain's vocabulary as types that parse at the boundary: a value of
//! one of these types is valid by construction. Each enumeration has a stable
//! `code` (what the database stores), a `label` (what people read) and a
//! parser for the spellings Ofsted and spreadsheets use.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a value did not parse; the message is written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// Lower-cases, trims and collapses runs of whitespace, and folds the
/// typographic apostrophes and dashes people paste in.
pub fn normalise(text: &str) -> String {
    let folded: String = text
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '`' => '\'',
            '\u{2013}' | '\u{2014}' => '-',
            '\u{a0}' => ' ',
            c => c,
        })
        .collect();
    folded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal, $label:literal, [$($alias:literal),*];)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Stable identifier stored in the database and used in URLs and APIs.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Wording shown to people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            /// Accepts the code, the label or a known alias, in any case.
            pub fn parse_loose(text: &str) -> Option<Self> {
                let wanted = normalise(text);
                $(
                    if wanted == $code || wanted == normalise($label) $(|| wanted == $alias)* {
                        return Some($name::$variant);
                    }
                )+
                None
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }

        impl FromStr for $name {
            type Err = Invalid;
            fn from_str(s: &str) -> Result<Self, Invalid> {
                Self::parse_loose(s).ok_or_else(|| {
                    let choices: Vec<&str> = Self::ALL.iter().map(|v| v.label()).collect();
                    Invalid(format!("'{}' is not one of: {}", s.trim(), choices.join("; ")))
                })
            }
        }
    };
}

vocabulary! {
    /// Ofsted's provision types, with "Children's Home" and "Children's home"
    /// as one, plus supported lodgings (a supported-accommodation category
    /// councils commission separately).
    ProvisionType {
        ChildrensHome => "childrens_home", "Children's home", [];
        SecureChildrensHome => "secure_childrens_home", "Secure children's home", [];
        ResidentialSpecialSchoolChildrensHome => "residential_special_school_childrens_home",
            "Residential special school (registered as a children's home)", [];
        ResidentialSpecialSchool => "residential_special_school", "Residential special school", [];
        ResidentialFamilyCentre => "residential_family_centre", "Residential family centre", [];
        IndependentFosteringAgency => "independent_fostering_agency", "Independent fostering agency", ["ifa"];
        SupportedAccommodation => "supported_accommodation", "Supported accommodation", [];
        SupportedLodgings => "supported_lodgings", "Supported lodgings", [];
        BoardingSchool => "boarding_school", "Boarding school", [];
        FurtherEducationCollege => "further_education_college",
            "Further education college with residential accommodation", [];
        ResidentialHolidayScheme => "residential_holiday_scheme",
            "Residential holiday scheme for disabled children", [];
        VoluntaryAdoptionAgency => "voluntary_adoption_agency", "Voluntary adoption agency", [];
        AdoptionSupportAgency => "adoption_support_agency", "Adoption support agency", [];
        SecureTrainingCentre => "secure_training_centre", "Secure training centre", [];
    }
}

impl ProvisionType {
    /// Registered at provider level, with no fixed places from Ofsted.
    pub fn has_no_fixed_places(self) -> bool {
        matches!(
            self,
            Self::IndependentFosteringAgency
                | Self::SupportedAccommodation
                | Self::SupportedLodgings
        )
    }

    /// Inspected on the supported-accommodation three-outcome scale.
    pub fn uses_supported_accommodation_scale(self) -> bool {
        matches!(self, Self::SupportedAccommodation | Self::SupportedLodgings)
    }
}

vocabulary! {
    /// Ownership sector as Ofsted records it.
    Sector {
        Private => "private", "Private", [];
        Voluntary => "voluntary", "Voluntary", [];
        LocalAuthority => "local_authority", "Local authority", [];
        HealthAuthority => "health_authority", "Health authority", [];
        Academy => "academy", "Academy", [];
    }
}

vocabulary! {
    RegistrationStatus {
        Active => "active", "Active", [];
        Suspended => "suspended", "Suspended", [];
        Resigned => "resigned", "Resigned", [];
        Cancelled => "cancelled", "Cancelled", [];
        Closed => "closed", "Closed", [];
        RegistrationPending => "registration_pending", "Registration pending", ["pending"];
    }
}

impl RegistrationStatus {
    /// The codes of the open statuses, for database filters.
    pub fn open_codes() -> Vec<&'static str> {
        Self::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| s.code())
            .collect()
    }

    /// Still able to look after children (active or suspended registration).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Active | Self::Suspended | Self::RegistrationPending
        )
    }
}

vocabulary! {
    /// Kinds of inspection event. Only full inspections carry the grades that
    /// make a home's current rating.
    EventType {
        Full => "full", "Full inspection", ["full"];
        Interim => "interim", "Interim inspection", [];
        Assurance => "assurance", "Assurance visit", ["assurance inspection"];
        Monitoring => "monitoring", "Monitoring inspection", ["monitoring visit"];
        Emergency => "emergency", "Emergency inspection", ["sc - emergency inspection", "sc emergency inspection"];
    }
}

vocabulary! {
    /// Which scale a judgement belongs to.
    Scale {
        FourPoint => "four_point", "Ofsted four-point scale", [];
        SupportedAccommodation => "supported_accommodation", "Supported accommodation outcomes", [];
    }
}

vocabulary! {
    /// One judgement: Ofsted's four-point scale, or the three outcomes used for
    /// supported accommodation (a different scale: never compare across them).
    Judgement {
        Outstanding => "outstanding", "Outstanding", [];
        Good => "good", "Good", [];
        RequiresImprovement => "requires_improvement", "Requires improvement to be good",
            ["requires improvement", "ri"];
        Inadequate => "inadequate", "Inadequate", [];
        SaStrong => "sa_strong", "Consistently strong", ["strong"];
        SaInconsistent => "sa_inconsistent", "Inconsistent", [];
        SaWeak => "sa_weak", "Serious or widespread weaknesses", ["serious weaknesses", "widespread weaknesses"];
    }
}

impl Judgement {
    pub fn scale(self) -> Scale {
        match self {
            Self::SaStrong | Self::SaInconsistent | Self::SaWeak => Scale::SupportedAccommodation,
            _ => Scale::FourPoint,
        }
    }

    /// Below the councils' placement bar (Good or better / consistently strong).
    pub fn is_concern(self) -> bool {
        matches!(
            self,
            Self::RequiresImprovement | Self::Inadequate | Self::SaInconsistent | Self::SaWeak
        )
    }

    /// Rank within its scale, best first (0). Used for sorting and minimum-rating filters.
    pub fn rank(self) -> u8 {
        match self {
            Self::Outstanding | Self::SaStrong => 0,
            Self::Good => 1,
            Self::RequiresImprovement | Self::SaInconsistent => 2,
            Self::Inadequate | Self::SaWeak => 3,
        }
    }

    /// Wording short enough for a tag in a table.
    pub fn short_label(self) -> &'static str {
        match self {
            Self::RequiresImprovement => "Requires improvement",
            Self::SaWeak => "Serious weaknesses",
            other => other.label(),
        }
    }

    /// GOV.UK tag colour modifier.
    pub fn tag_class(self) -> &'static str {
        match self {
            Self::Outstanding | Self::SaStrong => "govuk-tag--green",
            Self::Good => "govuk-tag--turquoise",
            Self::RequiresImprovement | Self::SaInconsistent => "govuk-tag--orange",
            Self::Inadequate | Self::SaWeak => "govuk-tag--red",
        }
    }
}

vocabulary! {
    /// Sexes a home (or a vacancy) is registered for.
    Sexes {
        Mixed => "mixed", "Mixed", ["any", "both", "all"];
        Female => "female", "Girls only", ["female", "girls", "girl", "f"];
        Male => "male", "Boys only", ["male", "boys", "boy", "m"];
    }
}

vocabulary! {
    /// Categories of need (the short agreed list in DOMAIN.md).
    Need {
        EmotionalBehavioural => "emotional_behavioural", "Emotional and behavioural difficulties", ["ebd", "sebd"];
        LearningDisability => "learning_disability", "Learning disability", ["ld"];
        Autism => "autism", "Autism", ["asd", "autistic spectrum"];
        PhysicalDisability => "physical_disability", "Physical disability", ["pd"];
        SensoryImpairment => "sensory_impairment", "Sensory impairment", [];
        MentalHealth => "mental_health", "Mental health", [];
        ComplexHealth => "complex_health", "Complex health needs", ["complex health"];
    }
}

vocabulary! {
    /// How the council buys places in a home.
    Contract {
        Spot => "spot", "Spot purchase", ["spot"];
        Block => "block", "Block contract", ["block"];
        Framework => "framework", "Framework", [];
    }
}

/// A string newtype parsed by its `FromStr`: serde, `String` conversions,
/// `as_str` and `Display` come from here, so each type says only what it
/// accepts.
macro_rules! parsed_string {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Invalid;
            fn try_from(s: String) -> Result<Self, Invalid> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

parsed_string!(
    /// Ofsted's unique reference number: `SC` and six digits (older settings) or
    /// seven digits. Text, never a number: leading zeros and the prefix matter.
    Urn
);

impl FromStr for Urn {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        let t = s.trim().to_ascii_uppercase();
        let digits = |d: &str, n: usize| d.len() == n && d.bytes().all(|b| b.is_ascii_digit());
        let valid = match t.strip_prefix("SC") {
            Some(rest) => digits(rest, 6),
            None => digits(&t, 7),
        };
        if valid {
            Ok(Urn(t))
        } else {
            Err(Invalid(format!(
                "'{}' is not an Ofsted URN: use SC and 6 digits (SC123456) or 7 digits (1234567)",
                s.trim()
            )))
        }
    }
}

parsed_string!(
    /// A UK postcode, normalised to upper case with one space before the inward
    /// code (`BH1 1AA`).
    Postcode
);

impl Postcode {
    /// The outward code (district), e.g. `BH1` of `BH1 1AA`.
    pub fn district(&self) -> &str {
        self.0.split(' ').next().unwrap_or(&self.0)
    }
}

impl Postcode {
    /// The district as its own type.
    pub fn district_code(&self) -> District {
        District(self.district().to_string())
    }
}

/// An outward code's shape: A9, A99, AA9, AA99, A9A or AA9A (upper case).
fn is_outward_code(text: &str) -> bool {
    let shape: String = text
        .chars()
        .map(|c| match c {
            '0'..='9' => '9',
            'A'..='Z' => 'A',
            _ => '?',
        })
        .collect();
    matches!(
        shape.as_str(),
        "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A"
    )
}

parsed_string!(
    /// A postcode district (outward code), e.g. `BH12`: where a search starts
    /// when only the area is known, and what the search log keeps.
    District
);

impl FromStr for District {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        let compact: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if is_outward_code(&compact) {
            Ok(District(compact))
        } else {
            Err(Invalid(format!(
                "'{}' is not a postcode district, like BH12",
                s.trim()
            )))
        }
    }
}

impl FromStr for Postcode {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        let compact: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let invalid = || Invalid(format!("'{}' is not a UK postcode, like BH1 1AA", s.trim()));
        if compact == "GIR0AA" {
            return Ok(Postcode("GIR 0AA".into()));
        }
        if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
            return Err(invalid());
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        let inward_ok = {
            let b = inward.as_bytes();
            b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic()
        };
        if inward_ok && is_outward_code(outward) {
            Ok(Postcode(format!("{outward} {inward}")))
        } else {
            Err(invalid())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urns_keep_prefix_and_digits() {
        assert_eq!("sc123456".parse::<Urn>().unwrap().as_str(), "SC123456");
        assert_eq!(" 2638338 ".parse::<Urn>().unwrap().as_str(), "2638338");
        for bad in [
            "",
            "SC12345",
            "SC1234567",
            "123456",
            "12345678",
            "AB123456",
            "SC12345X",
        ] {
            assert!(bad.parse::<Urn>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn postcodes_normalise() {
        assert_eq!("bh11aa".parse::<Postcode>().unwrap().as_str(), "BH1 1AA");
        assert_eq!(
            "SW1A  2AA".parse::<Postcode>().unwrap().as_str(),
            "SW1A 2AA"
        );
        assert_eq!("m1 1ae".parse::<Postcode>().unwrap().district(), "M1");
        for bad in [
            "", "BH1", "12345", "BH1 1A", "BHH1 1AA", "BH1 AAA", "REDACTED",
        ] {
            assert!(bad.parse::<Postcode>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn ofsted_spellings_parse() {
        assert_eq!(
            ProvisionType::parse_loose("Children's Home"),
            Some(ProvisionType::ChildrensHome)
        );
        assert_eq!(
            ProvisionType::parse_loose("children\u{2019}s home"),
            Some(ProvisionType::ChildrensHome)
        );
        assert_eq!(
            ProvisionType::parse_loose(
                "Residential special school (registered as a children's home)"
            ),
            Some(ProvisionType::ResidentialSpecialSchoolChildrensHome)
        );
        assert_eq!(
            EventType::parse_loose("SC \u{2013} Emergency inspection"),
            Some(EventType::Emergency)
        );
        assert_eq!(
            Judgement::parse_loose("Requires improvement to be good"),
            Some(Judgement::RequiresImprovement)
        );
        assert_eq!(
            Sector::parse_loose("Local Authority"),
            Some(Sector::LocalAuthority)
        );
        assert!("Excellent".parse::<Judgement>().is_err());
    }

    #[test]
    fn supported_accommodation_scale_is_distinct() {
        assert_eq!(Judgement::SaWeak.scale(), Scale::SupportedAccommodation);
        assert_eq!(Judgement::Inadequate.scale(), Scale::FourPoint);
        assert!(Judgement::SaInconsistent.is_concern());
        assert!(!Judgement::Good.is_concern());
    }
}

vocabulary! {
    /// Why a vacant bed cannot take a child now.
    UnavailableReason {
        Staffing => "staffing", "Staffing", ["staff"];
        Works => "works", "Refurbishment or works", ["refurbishment", "repairs"];
        Matching => "matching", "Matching or impact risk", ["impact risk", "matching risk"];
        Registration => "registration", "Awaiting Ofsted registration change", ["ofsted registration"];
        Other => "other", "Other", [];
    }
}

impl Need {
    /// One bit per need, so a set of needs is one integer (and "covers these
    /// needs" is one bitwise test in SQL).
    pub fn bit(self) -> i64 {
        1 << Need::ALL.iter().position(|n| *n == self).unwrap_or(0)
    }

    pub fn mask(needs: &[Need]) -> i64 {
        needs.iter().fold(0, |m, n| m | n.bit())
    }

    pub fn from_mask(mask: i64) -> Vec<Need> {
        Need::ALL
            .iter()
            .copied()
            .filter(|n| mask & n.bit() != 0)
            .collect()
    }
}

/// An ISO 8601 week, Monday to Sunday, written `2026-W48`. A weekly return
/// describes the position on its Monday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IsoWeek {
    year: i32,
    week: u32,
}

impl IsoWeek {
    /// The week a date falls in.
    pub fn containing(date: chrono::NaiveDate) -> IsoWeek {
        let w = chrono::Datelike::iso_week(&date);
        IsoWeek {
            year: w.year(),
            week: w.week(),
        }
    }

    pub fn monday(self) -> chrono::NaiveDate {
        chrono::NaiveDate::from_isoywd_opt(self.year, self.week, chrono::Weekday::Mon)
            .unwrap_or(chrono::NaiveDate::MIN)
    }

    pub fn sunday(self) -> chrono::NaiveDate {
        self.monday() + chrono::Duration::days(6)
    }

    pub fn plus(self, weeks: i64) -> IsoWeek {
        IsoWeek::containing(self.monday() + chrono::Duration::weeks(weeks))
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn number(self) -> u32 {
        self.week
    }
}

impl FromStr for IsoWeek {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        let t = s.trim().to_ascii_uppercase();
        let invalid = || {
            Invalid(format!(
                "'{}' is not a week: write it like 2026-W48",
                s.trim()
            ))
        };
        let (year, week) = t.split_once("-W").ok_or_else(invalid)?;
        let (year, week): (i32, u32) = (
            year.parse().map_err(|_| invalid())?,
            week.parse().map_err(|_| invalid())?,
        );
        if !(2000..=2100).contains(&year) {
            return Err(invalid());
        }
        match chrono::NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon) {
            Some(_) => Ok(IsoWeek { year, week }),
            None => Err(Invalid(format!("{year} has no week {week}"))),
        }
    }
}

impl TryFrom<String> for IsoWeek {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        s.parse()
    }
}

impl From<IsoWeek> for String {
    fn from(w: IsoWeek) -> String {
        w.to_string()
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

/// An amount of money in whole pence. Parses "£1,234.50", "1234.5", "1234".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Pence(pub i64);

impl FromStr for Pence {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        let invalid = || {
            Invalid(format!(
                "'{}' is not an amount in pounds, like 4500.00",
                s.trim()
            ))
        };
        let t: String = s
            .trim()
            .trim_start_matches('£')
            .chars()
            .filter(|c| *c != ',' && !c.is_whitespace())
            .collect();
        let (pounds, pence) = match t.split_once('.') {
            Some((p, d)) if d.len() <= 2 && d.bytes().all(|b| b.is_ascii_digit()) => {
                (p, format!("{d:0<2}").parse::<i64>().map_err(|_| invalid())?)
            }
            Some(_) => return Err(invalid()),
            None => (t.as_str(), 0),
        };
        if pounds.is_empty() || !pounds.bytes().all(|b| b.is_ascii_digit()) || pounds.len() > 9 {
            return Err(invalid());
        }
        let pounds: i64 = pounds.parse().map_err(|_| invalid())?;
        Ok(Pence(pounds * 100 + pence))
    }
}

impl fmt::Display for Pence {
    /// `£4,500.00`, written right to left into a buffer on the stack (a
    /// search page shows dozens of fees).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // 19 digits, 6 commas, the point and two decimals fit.
        let mut text = [0u8; 32];
        let mut start = text.len();
        let mut put = |byte: u8| {
            start -= 1;
            text[start] = byte;
        };
        let magnitude = self.0.unsigned_abs();
        put(b'0' + (magnitude % 10) as u8);
        put(b'0' + (magnitude / 10 % 10) as u8);
        put(b'.');
        let mut pounds = magnitude / 100;
        let mut written = 0;
        loop {
            if written > 0 && written % 3 == 0 {
                put(b',');
            }
            put(b'0' + (pounds % 10) as u8);
            written += 1;
            pounds /= 10;
            if pounds == 0 {
                break;
            }
        }
        if self.0 < 0 {
            f.write_str("-")?;
        }
        f.write_str("£")?;
        // Only ASCII digits, commas and a point were written.
        f.write_str(std::str::from_utf8(&text[start..]).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod return_vocabulary_tests {
    use super::*;

    #[test]
    fn iso_weeks_parse_and_step() {
        let w: IsoWeek = "2026-w48".parse().unwrap();
        assert_eq!(w.to_string(), "2026-W48");
        assert_eq!(
            w.monday(),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
        assert_eq!(w.plus(6).to_string(), "2027-W01");
        assert_eq!(
            IsoWeek::containing(chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()).to_string(),
            "2026-W53"
        );
        assert!("2026-W54".parse::<IsoWeek>().is_err(), "2026 has 53 weeks");
        assert!("2026-48".parse::<IsoWeek>().is_err());
    }

    #[test]
    fn money_parses_in_pounds_and_prints_in_pounds() {
        assert_eq!("£4,500.50".parse::<Pence>().unwrap(), Pence(450_050));
        assert_eq!("4500.5".parse::<Pence>().unwrap(), Pence(450_050));
        assert_eq!("4500".parse::<Pence>().unwrap(), Pence(450_000));
        for bad in ["", "-5", "4500.505", "four", "1e5", "£"] {
            assert!(bad.parse::<Pence>().is_err(), "{bad}");
        }
        assert_eq!(Pence(123_456_789).to_string(), "£1,234,567.89");
        for (pence, text) in [
            (0, "£0.00"),
            (5, "£0.05"),
            (99_999, "£999.99"),
            (100_000, "£1,000.00"),
            (450_050, "£4,500.50"),
            (100_000_000, "£1,000,000.00"),
            (-450, "-£4.50"),
            (i64::MIN, "-£92,233,720,368,547,758.08"),
        ] {
            assert_eq!(Pence(pence).to_string(), text);
        }
    }

    #[test]
    fn need_masks_round_trip() {
        let needs = vec![Need::Autism, Need::MentalHealth];
        assert_eq!(Need::from_mask(Need::mask(&needs)), needs);
        assert_eq!(Need::mask(&[]), 0);
    }
}
