use askama::Template;
use importers::vocab::{
    Contract, Judgement, Need, ProvisionType, RegistrationStatus, Sector, Sexes,
};

use super::form::HomeForm;
use super::{HomeDetail, HomeRow};
use crate::web::forms::FormErrors;
use crate::web::page::PageContext;
use crate::web::pagination::Pagination;

/// The filters and sort of the homes list, as the query string carries them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    #[serde(rename = "type")]
    pub provision_type: String,
    pub rating: String,
    pub locality: String,
    pub provider: String,
    pub owner: String,
    pub council: String,
    pub status: String,
    pub q: String,
    pub sort: String,
    pub dir: String,
    pub page: crate::web::pagination::PageNumber,
}

impl ListQuery {
    pub fn pairs(&self) -> Vec<(String, String)> {
        vec![
            ("type".into(), self.provision_type.clone()),
            ("rating".into(), self.rating.clone()),
            ("locality".into(), self.locality.clone()),
            ("provider".into(), self.provider.clone()),
            ("owner".into(), self.owner.clone()),
            ("council".into(), self.council.clone()),
            ("status".into(), self.status.clone()),
            ("q".into(), self.q.clone()),
            ("sort".into(), self.sort.clone()),
            ("dir".into(), self.dir.clone()),
        ]
    }

    /// True when the list is narrowed by anything the user chose.
    pub fn has_filters(&self) -> bool {
        [
            &self.provision_type,
            &self.rating,
            &self.locality,
            &self.provider,
            &self.owner,
            &self.council,
            &self.status,
            &self.q,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }

    pub fn query_string(&self, overrides: &[(&str, &str)]) -> String {
        let pairs = self.pairs();
        crate::web::query_string(pairs.iter().map(|(k, v)| {
            let v = overrides
                .iter()
                .find(|(o, _)| o == k)
                .map(|(_, v)| *v)
                .unwrap_or(v.as_str());
            (k.as_str(), v)
        }))
    }
}

pub const RATING_OPTIONS: [(&str, &str); 8] = [
    (
        "flagged",
        "Flagged (below good, or an inadequate judgement area)",
    ),
    ("good_or_better", "Good or better"),
    (
        "below_good",
        "Below good (requires improvement or inadequate)",
    ),
    ("outstanding", "Outstanding"),
    ("good", "Good"),
    ("requires_improvement", "Requires improvement to be good"),
    ("inadequate", "Inadequate"),
    ("not_inspected", "Not yet inspected"),
];

#[derive(Template)]
#[template(path = "homes/list.html")]
pub struct ListPage {
    pub page: PageContext,
    pub rows: Vec<HomeRow>,
    pub pagination: Pagination,
    pub query: ListQuery,
    pub types: &'static [ProvisionType],
    pub ratings: &'static [(&'static str, &'static str)],
    pub localities: Vec<String>,
    pub councils: Vec<(i64, String)>,
    /// The provider the list is limited to, when it is.
    pub provider_name: Option<String>,
    pub can_add: bool,
    pub is_council: bool,
}

impl ListPage {
    pub fn sort_href(&self, key: &str) -> String {
        let dir = if self.query.sort == key && self.query.dir != "desc" {
            "desc"
        } else {
            "asc"
        };
        format!(
            "/homes?{}",
            self.query
                .query_string(&[("sort", key), ("dir", dir), ("page", "")])
        )
    }

    pub fn aria_sort(&self, key: &str) -> &'static str {
        let current = if self.query.sort.is_empty() {
            "name"
        } else {
            self.query.sort.as_str()
        };
        match (current == key, self.query.dir == "desc") {
            (true, true) => "descending",
            (true, false) => "ascending",
            _ => "none",
        }
    }

    pub fn export_href(&self) -> String {
        format!(
            "/homes/export.csv?{}",
            self.query.query_string(&[("page", "")])
        )
    }

    pub fn without_provider_href(&self) -> String {
        format!(
            "/homes?{}",
            self.query.query_string(&[("provider", ""), ("page", "")])
        )
    }
}

#[derive(Template)]
#[template(path = "homes/show.html")]
pub struct ShowPage {
    pub page: PageContext,
    pub d: HomeDetail,
    pub returns: crate::returns::summary::Summary,
    /// The home's open monitoring case, if any.
    pub case: Option<crate::db::entities::monitoring_cases::Model>,
    pub flag: Option<crate::quality::Flag>,
    /// Admins and commissioners: confirm reports, open cases.
    pub council_editor: bool,
}

impl ShowPage {
    pub fn judgement(code: &Option<String>) -> Option<Judgement> {
        code.as_deref().and_then(Judgement::from_code)
    }

    pub fn event_label(code: &str) -> &'static str {
        importers::vocab::EventType::from_code(code)
            .map(|e| e.label())
            .unwrap_or("Inspection")
    }

    pub fn source_label(i: &crate::db::entities::inspections::Model) -> &'static str {
        crate::quality::source_label(&i.source, i.verified)
    }

    pub fn rating_state(&self) -> String {
        crate::quality::RatingState::of(&self.d.home.registration_status, self.d.current()).label()
    }

    /// Who to ask about this home's vacancies.
    pub fn contact(&self) -> crate::organisations::contact::Contact {
        crate::organisations::contact::Contact::for_home(&self.d.home, self.d.provider.as_ref())
    }

    /// The contact shown is the provider's, the home having none of its own.
    pub fn contact_is_providers(&self) -> bool {
        crate::organisations::contact::Contact::of_home(&self.d.home).is_empty()
    }

    /// Whether the home is registered this week, so files a return for it.
    pub fn files_this_week(&self) -> bool {
        super::was_registered_during(&self.d.home, self.returns.this_week)
    }

    /// A report awaiting confirmation that does not count yet.
    pub fn pending(&self) -> Option<&crate::db::entities::inspections::Model> {
        crate::quality::pending_report(&self.d.inspections)
    }

    /// The rating, its source and any report awaiting confirmation, in words.
    pub fn rating_words(&self) -> String {
        crate::quality::rating_in_words(
            &self.d.home.registration_status,
            self.d.current(),
            self.pending(),
        )
    }

    pub fn sexes_label(&self) -> &'static str {
        self.d
            .home
            .sexes
            .as_deref()
            .and_then(Sexes::from_code)
            .map(Sexes::label)
            .unwrap_or("Not recorded")
    }

    /// How the viewer's council buys places here (spot unless it has a
    /// contract).
    pub fn contract_label(&self) -> &'static str {
        self.d
            .contract
            .as_ref()
            .and_then(|c| Contract::from_code(&c.contract))
            .unwrap_or(Contract::Spot)
            .label()
    }

    pub fn block_beds(&self) -> Option<i32> {
        self.d.contract.as_ref().and_then(|c| c.block_beds)
    }

    pub fn sector_label(&self) -> &'static str {
        crate::organisations::sector_label(self.d.home.sector.as_deref())
    }

    pub fn age_range(&self) -> String {
        match (self.d.home.min_age, self.d.home.max_age) {
            (Some(a), Some(b)) => format!("{a} to {b}"),
            (Some(a), None) => format!("{a} and over"),
            (None, Some(b)) => format!("up to {b}"),
            (None, None) => "Not recorded".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "homes/form.html")]
pub struct FormPage {
    pub page: PageContext,
    pub form: HomeForm,
    pub errors: FormErrors,
    /// `None` when adding a home.
    pub urn: Option<String>,
    pub types: &'static [ProvisionType],
    pub sectors: &'static [Sector],
    pub statuses: &'static [RegistrationStatus],
    pub sexes: &'static [Sexes],
    pub needs: &'static [Need],
    pub contracts: &'static [Contract],
    pub localities: Vec<String>,
    pub councils: Vec<(i64, String)>,
}
