use askama::Template;
use importers::vocab::{Judgement, Need, ProvisionType, Sexes};

use super::params::SearchParams;
use super::{Criteria, Hit, MinRating, Outcome};
use crate::web::export::{ExportCell, Table};
use crate::web::filters::fixed_point;
use crate::web::forms::FormErrors;
use crate::web::page::PageContext;
use crate::web::pagination::Pagination;

/// What a page or a download shows of a result's vacancy and home.
#[derive(Debug, Clone)]
pub struct HitRow<'a> {
    pub urn: &'a str,
    pub home: &'a str,
    pub provider: Option<&'a str>,
    /// Who to ask: the home's own placements contact, else its provider's.
    pub contact: crate::organisations::contact::Contact,
    pub type_label: &'static str,
    pub locality: Option<&'a str>,
    pub beds: i32,
    pub available_from: String,
    pub ages: String,
    pub sexes: &'static str,
    pub needs: Vec<&'static str>,
    pub emergency: bool,
    pub solo_only: bool,
    pub fee: Option<String>,
    pub rating: Option<Judgement>,
    pub rating_date: Option<String>,
    pub flagged: bool,
    pub open_case: bool,
}

pub fn hit_row(h: &Hit) -> HitRow<'_> {
    let v = &h.vacancy;
    HitRow {
        urn: &h.home.urn,
        home: &h.home.name,
        provider: h.provider.as_deref().map(|p| p.name.as_str()),
        contact: crate::organisations::contact::Contact::for_home(&h.home, h.provider.as_deref()),
        type_label: crate::homes::type_label(&h.home.provision_type),
        locality: h.home.locality.as_deref(),
        beds: v.beds,
        available_from: crate::web::filters::short_date(&v.available_from),
        ages: format!("{} to {}", v.min_age, v.max_age),
        sexes: Sexes::from_code(&v.sexes)
            .map(Sexes::label)
            .unwrap_or("Mixed"),
        needs: Need::from_mask(v.needs_mask)
            .into_iter()
            .map(Need::label)
            .collect(),
        emergency: v.emergency,
        solo_only: v.solo_only,
        fee: v
            .weekly_fee_pence
            .map(|p| importers::vocab::Pence(p).to_string()),
        rating: h.rating,
        rating_date: h.rating_date.as_ref().map(crate::web::filters::short_date),
        flagged: h.flagged,
        open_case: h.open_case,
    }
}

/// A result or near miss on the search page: its vacancy and home, and
/// what belongs to this search.
#[derive(Debug, Clone)]
pub struct PageHit<'a> {
    pub v: HitRow<'a>,
    pub note: Option<&'a str>,
    pub miles: String,
    pub reason: Option<String>,
    pub updated: &'a str,
    pub stale: bool,
}

pub fn page_hit<'a>(h: &'a Hit, c: &Criteria) -> PageHit<'a> {
    PageHit {
        v: hit_row(h),
        note: h.vacancy.note.as_deref(),
        miles: tenths(h.miles),
        reason: h.miss.as_ref().map(|m| m.reason(c)),
        updated: &h.updated,
        stale: h.stale,
    }
}

/// Miles to one decimal place, rounded as the API rounds them (`2.3`).
fn tenths(miles: f64) -> String {
    // Saturates: never negative, and no home is 10^17 miles away.
    fixed_point((miles * 10.0).round() as i64, 1)
}

#[derive(Template)]
#[template(path = "search/search.html")]
pub struct SearchPage<'a> {
    pub page: PageContext,
    pub query: SearchParams,
    pub errors: FormErrors,
    pub searched: bool,
    pub results: Vec<PageHit<'a>>,
    pub near_misses: Vec<PageHit<'a>>,
    pub near_miss_total: usize,
    pub pagination: Option<Pagination>,
    pub near_pagination: Option<Pagination>,
    pub export_query: String,
    pub origin_note: Option<String>,
    /// The placements market's kinds of home, offered as criteria.
    pub types: Vec<ProvisionType>,
}

impl SearchPage<'_> {
    pub fn new(page: PageContext, query: SearchParams, types: Vec<ProvisionType>) -> Self {
        SearchPage {
            page,
            query,
            types,
            errors: FormErrors::default(),
            searched: false,
            results: Vec::new(),
            near_misses: Vec::new(),
            near_miss_total: 0,
            pagination: None,
            near_pagination: None,
            export_query: String::new(),
            origin_note: None,
        }
    }
    pub fn sexes(&self) -> Vec<(String, String)> {
        vec![
            ("female".into(), "Girl".into()),
            ("male".into(), "Boy".into()),
        ]
    }
    pub fn needs(&self) -> &'static [Need] {
        Need::ALL
    }
    pub fn ratings(&self) -> [MinRating; 4] {
        MinRating::ALL
    }
    pub fn below_good(&self) -> bool {
        MinRating::from_code(self.query.rating_or_default()).is_some_and(MinRating::is_below_good)
    }
    pub fn needed_from_parts(&self) -> [String; 3] {
        if self.query.from_day.is_empty()
            && self.query.from_month.is_empty()
            && self.query.from_year.is_empty()
        {
            crate::web::forms::date_parts(Some(chrono::Utc::now().date_naive()))
        } else {
            [
                self.query.from_day.clone(),
                self.query.from_month.clone(),
                self.query.from_year.clone(),
            ]
        }
    }
}

/// Results and near misses as one table for Excel.
pub fn export(outcome: &Outcome, c: &Criteria) -> Table {
    let rows = outcome
        .results
        .iter()
        .chain(outcome.near_misses.iter())
        .map(|h| {
            let r = hit_row(h);
            vec![
                ExportCell::from(match h.miss.as_ref() {
                    None => "Fits".to_string(),
                    Some(miss) => format!("Near miss: {}", miss.reason(c)),
                }),
                r.urn.into(),
                r.home.into(),
                r.provider.into(),
                r.contact.summary().into(),
                r.type_label.into(),
                r.locality.into(),
                ExportCell::Number((h.miles * 10.0).round() / 10.0),
                i64::from(r.beds).into(),
                h.vacancy.available_from.to_string().into(),
                r.ages.into(),
                r.sexes.into(),
                r.needs.join("; ").into(),
                if r.emergency { "Yes" } else { "No" }.into(),
                if r.solo_only { "Yes" } else { "No" }.into(),
                h.fee()
                    .map(|p| ExportCell::Number(p.0 as f64 / 100.0))
                    .unwrap_or(ExportCell::Empty),
                r.rating
                    .map(|j| j.short_label().to_string())
                    .unwrap_or_else(|| "Not rated".into())
                    .into(),
                r.rating_date.into(),
                if r.flagged { "Yes" } else { "No" }.into(),
                h.updated.as_ref().into(),
                if h.stale { "Yes" } else { "No" }.into(),
            ]
        })
        .collect();
    Table {
        headers: vec![
            "Fit",
            "URN",
            "Home",
            "Provider",
            "Provider contact",
            "Type",
            "Locality",
            "Miles",
            "Beds",
            "Available from",
            "Ages",
            "Can take",
            "Needs",
            "Emergency",
            "Solo only",
            "Weekly fee (£)",
            "Rating",
            "Rating date",
            "Flagged",
            "Last updated",
            "Stale",
        ],
        rows,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn miles_show_one_decimal_place() {
        assert_eq!(super::tenths(0.0), "0.0");
        assert_eq!(super::tenths(0.04), "0.0");
        assert_eq!(super::tenths(2.25), "2.3");
        assert_eq!(super::tenths(19.96), "20.0");
        assert_eq!(super::tenths(104.51), "104.5");
    }
}
