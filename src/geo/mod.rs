//! Offline geocoding: a postcode's coordinates come from the imported
//! postcode table, or failing that its district's centroid; a home's
//! position is its postcode's. Distances are great-circle miles.

use std::collections::HashMap;

use importers::postcodes::{self, Kind, Located, Place};
use importers::vocab::{District, Postcode};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use crate::db::entities::{homes, postcode_districts, postcodes as postcode_rows};
use crate::error::Result;

/// A point on the map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub latitude: f64,
    pub longitude: f64,
}

impl Point {
    /// Great-circle distance in miles (haversine; Earth's mean radius).
    pub fn miles_to(self, other: Point) -> f64 {
        const EARTH_RADIUS_MILES: f64 = 3958.8;
        let (la1, la2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let dla = la2 - la1;
        let dlo = (other.longitude - self.longitude).to_radians();
        let a = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_MILES * a.sqrt().asin()
    }

    /// Latitude and longitude bounds of every point within `miles`.
    pub fn bounds(self, miles: f64) -> Bounds {
        let dlat = miles / 69.0;
        let dlon = miles / (69.17 * self.latitude.to_radians().cos().max(0.01));
        Bounds {
            min_latitude: self.latitude - dlat,
            max_latitude: self.latitude + dlat,
            min_longitude: self.longitude - dlon,
            max_longitude: self.longitude + dlon,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min_latitude: f64,
    pub max_latitude: f64,
    pub min_longitude: f64,
    pub max_longitude: f64,
}

/// How exactly a place was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Postcode,
    /// The postcode is not in the table: its district's centre.
    District,
}

/// Where a search starts: a full postcode or just a district.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub district: District,
    pub point: Point,
    pub precision: Precision,
    pub label: String,
}

/// A postcode's position, or its district's centre.
pub async fn locate_postcode(
    conn: &impl ConnectionTrait,
    postcode: &Postcode,
) -> Result<Option<(Point, Precision)>> {
    if let Some(row) = postcode_rows::Entity::find_by_id(postcode.as_str().to_string())
        .one(conn)
        .await?
    {
        let point = Point {
            latitude: row.latitude,
            longitude: row.longitude,
        };
        return Ok(Some((point, Precision::Postcode)));
    }
    Ok(locate_district(conn, &postcode.district_code())
        .await?
        .map(|p| (p, Precision::District)))
}

pub async fn locate_district(
    conn: &impl ConnectionTrait,
    district: &District,
) -> Result<Option<Point>> {
    Ok(
        postcode_districts::Entity::find_by_id(district.as_str().to_string())
            .one(conn)
            .await?
            .map(|row| Point {
                latitude: row.latitude,
                longitude: row.longitude,
            }),
    )
}

/// The search origin a user typed: a full postcode, or a district.
pub async fn origin(conn: &impl ConnectionTrait, text: &str) -> Result<Option<Origin>, String> {
    let text = text.trim();
    if let Ok(postcode) = text.parse::<Postcode>() {
        return match locate_postcode(conn, &postcode).await {
            Ok(Some((point, precision))) => Ok(Some(Origin {
                district: postcode.district_code(),
                point,
                precision,
                label: postcode.as_str().to_string(),
            })),
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        };
    }
    if let Ok(district) = text.parse::<District>() {
        return match locate_district(conn, &district).await {
            Ok(Some(point)) => Ok(Some(Origin {
                label: district.as_str().to_string(),
                district,
                point,
                precision: Precision::District,
            })),
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        };
    }
    Err(format!(
        "'{text}' is not a UK postcode or postcode district, like BH12 3AB or BH12"
    ))
}

/// What an import of a postcode table did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostcodeImport {
    pub kind: Option<Kind>,
    pub saved: usize,
    pub outcome: postcodes::Outcome,
    pub homes_located: u64,
}

const BATCH: usize = 2_000;

async fn save(conn: &DatabaseConnection, batch: &mut Vec<Located>) -> Result<usize> {
    let mut codes = Vec::new();
    let mut districts = Vec::new();
    for located in batch.drain(..) {
        match located.place {
            Place::Postcode(p) => codes.push(postcode_rows::ActiveModel {
                postcode: Set(p.as_str().to_string()),
                latitude: Set(located.latitude),
                longitude: Set(located.longitude),
            }),
            Place::District(d) => districts.push(postcode_districts::ActiveModel {
                district: Set(d.as_str().to_string()),
                latitude: Set(located.latitude),
                longitude: Set(located.longitude),
            }),
        }
    }
    let n = codes.len() + districts.len();
    // Re-importing a newer edition replaces positions.
    if !codes.is_empty() {
        postcode_rows::Entity::insert_many(codes)
            .on_conflict(
                OnConflict::column(postcode_rows::Column::Postcode)
                    .update_columns([
                        postcode_rows::Column::Latitude,
                        postcode_rows::Column::Longitude,
                    ])
                    .to_owned(),
            )
            .exec(conn)
            .await?;
    }
    if !districts.is_empty() {
        postcode_districts::Entity::insert_many(districts)
            .on_conflict(
                OnConflict::column(postcode_districts::Column::District)
                    .update_columns([
                        postcode_districts::Column::Latitude,
                        postcode_districts::Column::Longitude,
                    ])
                    .to_owned(),
            )
            .exec(conn)
            .await?;
    }
    Ok(n)
}

/// Streams a postcode table into the database in batches, then places
/// every home whose postcode it now knows. The file is parsed on a blocking
/// thread and handed over a bounded channel, so memory stays flat however
/// large the table (the ONS directory has 2.7 million rows).
pub async fn import_postcodes(
    db: &DatabaseConnection,
    reader: impl std::io::Read + Send + 'static,
) -> Result<PostcodeImport, String> {
    import_postcodes_reporting(db, reader, |_| {}).await
}

/// [`import_postcodes`], telling `saved_so_far` the running count after
/// each batch, for progress on a file of millions of rows.
pub async fn import_postcodes_reporting(
    db: &DatabaseConnection,
    reader: impl std::io::Read + Send + 'static,
    mut saved_so_far: impl FnMut(usize),
) -> Result<PostcodeImport, String> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<Located>>(4);
    let parser = tokio::task::spawn_blocking(move || {
        let mut pending = Vec::with_capacity(BATCH);
        let result = postcodes::read(reader, |row| {
            pending.push(row);
            if pending.len() == BATCH {
                // A closed channel means the saver failed; it reports why.
                let _ = sender.blocking_send(std::mem::take(&mut pending));
            }
        });
        let _ = sender.blocking_send(pending);
        result
    });
    let mut saved = 0;
    while let Some(mut batch) = receiver.recv().await {
        saved += save(db, &mut batch).await.map_err(|e| e.to_string())?;
        saved_so_far(saved);
    }
    let (kind, outcome) = parser
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.message)?;
    let homes_located = locate_homes(db, None).await.map_err(|e| e.to_string())?;
    Ok(PostcodeImport {
        kind: Some(kind),
        saved,
        outcome,
        homes_located,
    })
}

/// Positions for these postcodes, in a few queries: exact where the table
/// has the postcode, else the district's centre.
pub async fn locate_many(
    conn: &impl ConnectionTrait,
    postcodes: &[Postcode],
) -> Result<HashMap<String, Point>> {
    let mut found = HashMap::new();
    let codes: Vec<String> = postcodes.iter().map(|p| p.as_str().to_string()).collect();
    for chunk in codes.chunks(500) {
        for row in postcode_rows::Entity::find()
            .filter(postcode_rows::Column::Postcode.is_in(chunk.iter().cloned()))
            .all(conn)
            .await?
        {
            found.insert(
                row.postcode,
                Point {
                    latitude: row.latitude,
                    longitude: row.longitude,
                },
            );
        }
    }
    let missing: Vec<&Postcode> = postcodes
        .iter()
        .filter(|p| !found.contains_key(p.as_str()))
        .collect();
    let districts: Vec<String> = missing
        .iter()
        .map(|p| p.district_code().as_str().to_string())
        .collect();
    let mut centres = HashMap::new();
    for chunk in districts.chunks(500) {
        for row in postcode_districts::Entity::find()
            .filter(postcode_districts::Column::District.is_in(chunk.iter().cloned()))
            .all(conn)
            .await?
        {
            centres.insert(
                row.district,
                Point {
                    latitude: row.latitude,
                    longitude: row.longitude,
                },
            );
        }
    }
    for p in missing {
        if let Some(point) = centres.get(p.district_code().as_str()) {
            found.insert(p.as_str().to_string(), *point);
        }
    }
    Ok(found)
}

/// Sets the position of homes (all, or those given) from their postcodes;
/// a home whose postcode is unknown gets its district's centre, and one
/// without a known postcode or district keeps no position (it is left out
/// of distance searches rather than placed at a false zero). Returns how
/// many positions changed.
pub async fn locate_homes(conn: &impl ConnectionTrait, ids: Option<&[i64]>) -> Result<u64> {
    let mut found = Vec::new();
    match ids {
        None => found = homes::Entity::find().all(conn).await?,
        Some(ids) => {
            for chunk in ids.chunks(500) {
                found.extend(
                    homes::Entity::find()
                        .filter(homes::Column::Id.is_in(chunk.iter().copied()))
                        .all(conn)
                        .await?,
                );
            }
        }
    }
    let postcode_of = |h: &homes::Model| {
        h.postcode
            .as_deref()
            .and_then(|p| p.parse::<Postcode>().ok())
    };
    let mut distinct: Vec<Postcode> = found.iter().filter_map(postcode_of).collect();
    distinct.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    distinct.dedup();
    let points = locate_many(conn, &distinct).await?;
    let mut changed = 0;
    for home in &found {
        let target = postcode_of(home).and_then(|p| points.get(p.as_str()).copied());
        let current = match (home.latitude, home.longitude) {
            (Some(latitude), Some(longitude)) => Some(Point {
                latitude,
                longitude,
            }),
            _ => None,
        };
        if target == current {
            continue;
        }
        homes::Entity::update_many()
            .col_expr(homes::Column::Latitude, target.map(|p| p.latitude).into())
            .col_expr(homes::Column::Longitude, target.map(|p| p.longitude).into())
            .filter(homes::Column::Id.eq(home.id))
            .exec(conn)
            .await?;
        changed += 1;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_great_circle_miles() {
        let bournemouth = Point {
            latitude: 50.7192,
            longitude: -1.8808,
        };
        let southampton = Point {
            latitude: 50.9097,
            longitude: -1.4044,
        };
        let d = bournemouth.miles_to(southampton);
        assert!((d - 24.0).abs() < 1.0, "{d}");
        assert_eq!(bournemouth.miles_to(bournemouth), 0.0);
        let b = bournemouth.bounds(10.0);
        assert!(b.min_latitude < 50.6 && b.max_latitude > 50.8);
    }
}
