//! Postcode tables, read as a stream (the ONS Postcode Directory has about
//! 2.7 million rows): full postcodes with coordinates, in Code-Point Open's
//! shape (`postcode,latitude,longitude,...`) or the ONS Postcode Directory's
//! (`pcds`/`pcd`, `lat`, `long`; `99.999999` marks a postcode without
//! coordinates), or postcode-district centroids (`outcode,latitude,longitude`).

use std::io::Read;

use crate::RowError;
use crate::sheet::FileError;
use crate::vocab::{District, Postcode};

/// What the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Postcodes,
    Districts,
}

/// A place the file gives coordinates for.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    Postcode(Postcode),
    District(District),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub place: Place,
    pub latitude: f64,
    pub longitude: f64,
}

/// What reading the whole file found, besides the rows handed over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub rows: usize,
    /// Rows with no coordinates (the ONS directory's terminated or
    /// non-geographic postcodes): skipped, not errors.
    pub without_coordinates: usize,
    /// At most the first 1,000 problems.
    pub errors: Vec<RowError>,
    pub error_count: usize,
}

/// Great Britain and Northern Ireland, generously: anything outside is a
/// mistake (swapped columns, eastings in a latitude column).
fn in_uk(latitude: f64, longitude: f64) -> bool {
    (49.0..=61.5).contains(&latitude) && (-9.0..=2.5).contains(&longitude)
}

fn find(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    headers
        .iter()
        .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
}

/// Reads the file, handing each located place to `each` (which may batch
/// them into a database). Stops with an error only when the file is not a
/// postcode table at all.
pub fn read(
    reader: impl Read,
    mut each: impl FnMut(Located),
) -> Result<(Kind, Outcome), FileError> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| FileError::new(format!("The file could not be read as CSV ({e})")))?
        .clone();
    let lat = find(&headers, &["latitude", "lat"]);
    let lon = find(&headers, &["longitude", "long", "lon"]);
    let (kind, key) = match (
        find(&headers, &["postcode", "pcds", "pcd", "pcd2"]),
        find(&headers, &["outcode", "district", "postcode_district"]),
    ) {
        (Some(i), _) => (Kind::Postcodes, i),
        (None, Some(i)) => (Kind::Districts, i),
        (None, None) => {
            return Err(FileError::new(
                "The file has no postcode column: it needs a heading row with postcode (or pcds), latitude (or lat) and longitude (or long), or outcode, latitude and longitude",
            ));
        }
    };
    let (Some(lat), Some(lon)) = (lat, lon) else {
        return Err(FileError::new(
            "The file has no latitude and longitude columns (latitude/lat and longitude/long)",
        ));
    };
    let mut outcome = Outcome::default();
    let mut record = csv::StringRecord::new();
    let mut line = 1usize;
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(FileError::new(format!(
                    "The file stops being valid CSV after row {line} ({e})"
                )));
            }
        }
        line += 1;
        outcome.rows += 1;
        let mut problem = |column: &str, message: String| {
            outcome.error_count += 1;
            if outcome.errors.len() < 1_000 {
                outcome.errors.push(RowError {
                    row: line,
                    column: Some(column.to_string()),
                    message,
                });
            }
        };
        let text = |i: usize| record.get(i).unwrap_or("").trim();
        let (lat_text, lon_text) = (text(lat), text(lon));
        if lat_text.is_empty() || lat_text.starts_with("99.9") {
            outcome.without_coordinates += 1;
            continue;
        }
        let (Ok(latitude), Ok(longitude)) = (lat_text.parse::<f64>(), lon_text.parse::<f64>())
        else {
            problem(
                "latitude",
                format!("'{lat_text}, {lon_text}' are not coordinates"),
            );
            continue;
        };
        if !in_uk(latitude, longitude) {
            problem(
                "latitude",
                format!("{latitude}, {longitude} is not in the United Kingdom"),
            );
            continue;
        }
        let place = match kind {
            Kind::Postcodes => text(key).parse::<Postcode>().map(Place::Postcode),
            Kind::Districts => text(key).parse::<District>().map(Place::District),
        };
        match place {
            Ok(place) => each(Located {
                place,
                latitude,
                longitude,
            }),
            Err(e) => problem(headers.get(key).unwrap_or("postcode"), e.0),
        }
    }
    Ok((kind, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> (Kind, Vec<Located>, Outcome) {
        let mut rows = Vec::new();
        let (kind, outcome) = read(text.as_bytes(), |r| rows.push(r)).expect("reads");
        (kind, rows, outcome)
    }

    #[test]
    fn code_point_open_rows_are_read_and_normalised() {
        let (kind, rows, outcome) = all(
            "postcode,latitude,longitude,eastings\nbh11aa,50.727909,-1.863623,409722\nBH1 1AF,50.72326,-1.8713,409181\n",
        );
        assert_eq!(kind, Kind::Postcodes);
        assert_eq!(outcome.rows, 2);
        assert_eq!(
            rows[0].place,
            Place::Postcode("BH1 1AA".parse().expect("postcode"))
        );
        assert!((rows[1].longitude + 1.8713).abs() < 1e-9);
    }

    #[test]
    fn the_ons_directory_layout_skips_postcodes_without_coordinates() {
        let (kind, rows, outcome) = all(
            "pcd,pcd2,pcds,dointr,doterm,lat,long\nAB1 0AA,AB1  0AA,AB1 0AA,198001,199606,57.101474,-2.242851\nZZ99 3WZ,ZZ99 3WZ,ZZ99 3WZ,,,99.999999,0.000000\n",
        );
        assert_eq!(kind, Kind::Postcodes);
        assert_eq!(rows.len(), 1);
        assert_eq!(outcome.without_coordinates, 1);
    }

    #[test]
    fn district_centroids_are_read() {
        let (kind, rows, _) =
            all("outcode,latitude,longitude,postcode_count\nBH1,50.72,-1.87,500\n");
        assert_eq!(kind, Kind::Districts);
        assert_eq!(
            rows[0].place,
            Place::District("BH1".parse().expect("district"))
        );
    }

    #[test]
    fn bad_rows_are_listed_and_the_rest_read() {
        let (_, rows, outcome) = all(
            "postcode,latitude,longitude\nNOT A CODE,50.7,-1.8\nBH1 1AA,409722,92041\nBH1 1AB,50.7,-1.8\n",
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(outcome.error_count, 2);
        assert_eq!(outcome.errors[0].row, 2);
        assert!(
            outcome.errors[1]
                .message
                .contains("not in the United Kingdom")
        );
    }

    #[test]
    fn a_file_without_postcodes_is_refused() {
        assert!(read("name,age\nSam,3\n".as_bytes(), |_| {}).is_err());
        assert!(read("postcode,x,y\nBH1 1AA,1,2\n".as_bytes(), |_| {}).is_err());
    }
}
