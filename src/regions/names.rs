//! Councils by ONS code: the code's shape, and the name a code stands for
//! (the boundaries file names districts, unitaries, metropolitan and London
//! boroughs; the 21 county councils, which have no boundary of their own
//! there, are listed here).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// An English council's ONS code: E06 unitary, E08 metropolitan borough,
/// E09 London borough, E10 county; the children's services authorities.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OnsCode(String);

impl OnsCode {
    pub fn parse(text: &str) -> Result<OnsCode, String> {
        let code = text.trim().to_uppercase();
        let shaped = code.len() == 9
            && code.is_ascii()
            && ["E06", "E08", "E09", "E10"].contains(&&code[..3])
            && code[3..].bytes().all(|b| b.is_ascii_digit());
        if shaped {
            Ok(OnsCode(code))
        } else {
            Err(format!(
                "'{}' is not a council's ONS code: enter 9 characters such as E06000058 \
                 (E06, E08, E09 or E10 and six digits)",
                text.trim()
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OnsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// County councils in England (ONS, April 2023).
pub const COUNTY_COUNCILS: [(&str, &str); 21] = [
    ("E10000003", "Cambridgeshire"),
    ("E10000006", "Cumbria"),
    ("E10000007", "Derbyshire"),
    ("E10000008", "Devon"),
    ("E10000011", "East Sussex"),
    ("E10000012", "Essex"),
    ("E10000013", "Gloucestershire"),
    ("E10000014", "Hampshire"),
    ("E10000015", "Hertfordshire"),
    ("E10000016", "Kent"),
    ("E10000017", "Lancashire"),
    ("E10000018", "Leicestershire"),
    ("E10000019", "Lincolnshire"),
    ("E10000020", "Norfolk"),
    ("E10000024", "Nottinghamshire"),
    ("E10000025", "Oxfordshire"),
    ("E10000029", "Suffolk"),
    ("E10000030", "Surrey"),
    ("E10000031", "Warwickshire"),
    ("E10000032", "West Sussex"),
    ("E10000034", "Worcestershire"),
];

/// Names by code, from a boundaries GeoJSON (features' `areacd`/`areanm`)
/// and the county councils.
#[derive(Debug, Default, Clone)]
pub struct CouncilNames(HashMap<String, String>);

impl CouncilNames {
    /// The county councils and whatever the file names; a missing or
    /// unreadable file gives the counties alone.
    pub fn load(boundaries: &Path) -> CouncilNames {
        let mut names: HashMap<String, String> = COUNTY_COUNCILS
            .iter()
            .map(|(code, name)| (code.to_string(), name.to_string()))
            .collect();
        let features = std::fs::read(boundaries)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok());
        let features = features
            .as_ref()
            .and_then(|v| v.get("features"))
            .and_then(|f| f.as_array());
        for feature in features.into_iter().flatten() {
            let properties = &feature["properties"];
            if let (Some(code), Some(name)) =
                (properties["areacd"].as_str(), properties["areanm"].as_str())
            {
                names.insert(code.to_string(), name.to_string());
            }
        }
        CouncilNames(names)
    }

    /// One council's name, when it is known already.
    pub fn single(code: &OnsCode, name: &str) -> CouncilNames {
        CouncilNames(HashMap::from([(code.to_string(), name.to_string())]))
    }

    pub fn name(&self, code: &OnsCode) -> Option<&str> {
        self.0.get(code.as_str()).map(String::as_str)
    }
}

/// The key a council's name is matched by, folding the ways ONS and Ofsted
/// spell the same council: "Bristol, City of" and "Bristol", "County Durham"
/// and "Durham", "&" and "and".
pub fn council_key(name: &str) -> String {
    let key = crate::organisations::name_key(name);
    let key = key.strip_suffix(" city of").unwrap_or(&key);
    let key = key.strip_prefix("county ").unwrap_or(key);
    let key = key.strip_prefix("city of ").unwrap_or(key);
    key.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_a_councils_code_in_capitals() {
        assert_eq!(OnsCode::parse(" e06000058 ").unwrap().as_str(), "E06000058");
        assert_eq!(OnsCode::parse("E10000014").unwrap().as_str(), "E10000014");
        for wrong in [
            "",
            "E0600005",
            "E07000091",
            "W06000001",
            "E06-00058",
            "E0600005８",
        ] {
            assert!(OnsCode::parse(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn ons_and_ofsted_spellings_match() {
        assert_eq!(council_key("Bristol, City of"), council_key("Bristol"));
        assert_eq!(council_key("County Durham"), council_key("Durham"));
        assert_eq!(council_key("City of London"), council_key("London"));
        assert_eq!(
            council_key("Bournemouth, Christchurch & Poole"),
            council_key("Bournemouth, Christchurch and Poole")
        );
        assert_ne!(council_key("Dorset"), council_key("Somerset"));
    }

    #[test]
    fn names_come_from_the_boundaries_and_the_counties() {
        let names = CouncilNames::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/geo/council_boundaries.geojson"),
        );
        let name = |c: &str| names.name(&OnsCode::parse(c).unwrap()).map(str::to_string);
        assert_eq!(name("E06000059").as_deref(), Some("Dorset"));
        assert_eq!(name("E10000014").as_deref(), Some("Hampshire"));
        assert_eq!(name("E08000025"), None);
    }
}
