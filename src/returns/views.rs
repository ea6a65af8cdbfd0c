use askama::Template;
use chrono::{DateTime, Utc};
use importers::vocab::{IsoWeek, Need, ProvisionType, Sexes};

use super::board::{Board, Row};
use super::form::ReturnForm;
use super::{HomeFacts, Status};
use crate::db::entities::{homes, returns};
use crate::web::forms::FormErrors;
use crate::web::page::PageContext;
use crate::web::pagination::Pagination;

pub fn week_label(week: IsoWeek) -> String {
    format!("week beginning {}", week.monday().format("%A %-d %B %Y"))
}

pub fn due_label(due: DateTime<Utc>) -> String {
    crate::web::filters::date_time(&due.fixed_offset())
}

#[derive(Template)]
#[template(path = "returns/form.html")]
pub struct FormPage {
    pub page: PageContext,
    pub facts: HomeFacts,
    pub week: IsoWeek,
    pub due: DateTime<Utc>,
    pub status: Status,
    pub form: ReturnForm,
    pub errors: FormErrors,
    /// The region's councils, a line each for beds their children occupy.
    pub members: Vec<crate::regions::Member>,
    /// The week the figures were copied from, when not this week's own.
    pub prefilled_from: Option<IsoWeek>,
    pub current_version: Option<i32>,
}

impl FormPage {
    pub fn groups(&self) -> Vec<usize> {
        (0..self.form.groups()).collect()
    }

    pub fn needs(&self) -> &'static [Need] {
        Need::ALL
    }

    pub fn sexes(&self) -> &'static [Sexes] {
        Sexes::ALL
    }

    pub fn v(&self, i: &usize, field: &str) -> String {
        self.form.get(&format!("v{i}_{field}")).to_string()
    }

    pub fn v_checked(&self, i: &usize, field: &str, value: &str) -> bool {
        self.form.checked(&format!("v{i}_{field}"), value)
    }

    pub fn v_error(&self, i: &usize, field: &str) -> Option<&str> {
        self.errors.get(&format!("v{i}_{field}"))
    }

    /// The first occupied field with an error, for the fieldset's message.
    pub fn occupied_error(&self) -> Option<&str> {
        self.errors.get("occupied").or_else(|| {
            self.members
                .iter()
                .find_map(|m| self.errors.get(&m.occupied_field()))
                .or_else(|| self.errors.get("occupied_outside_region"))
        })
    }

    pub fn can_add(&self) -> bool {
        self.form.groups() < super::form::MAX_GROUPS
    }
}

#[derive(Template)]
#[template(path = "returns/history.html")]
pub struct HistoryPage {
    pub page: PageContext,
    pub home: homes::Model,
    pub versions: Vec<returns::Model>,
    pub can_file: bool,
}

impl HistoryPage {
    pub fn week(r: &returns::Model) -> String {
        IsoWeek::containing(r.week_start).to_string()
    }

    pub fn unavailable(r: &returns::Model) -> i32 {
        r.unavailable_staffing
            + r.unavailable_works
            + r.unavailable_matching
            + r.unavailable_registration
            + r.unavailable_other
    }

    pub fn source(r: &returns::Model) -> &'static str {
        super::Source::label(&r.source)
    }
}

/// The filters of the board, as the query string carries them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct BoardQuery {
    pub week: String,
    pub council: String,
    pub locality: String,
    #[serde(rename = "type")]
    pub provision_type: String,
    /// The provider's id (from a link or the picker)...
    pub provider: String,
    /// ...or its name as typed.
    pub provider_name: String,
    /// The page of the table (the totals are of every page).
    pub page: crate::web::pagination::PageNumber,
}

impl BoardQuery {
    /// The board's filters for `week` (this board's by default), without
    /// the page: another week or a download starts from the top.
    pub fn href(&self, path: &str, week: Option<IsoWeek>) -> String {
        let mut pairs = self.pairs();
        if let Some(week) = week {
            pairs[0].1 = week.to_string();
        }
        let pairs = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        format!("{path}?{}", crate::web::query_string(pairs))
    }

    /// The filters as pairs (the week first), for links and page links.
    pub fn pairs(&self) -> Vec<(String, String)> {
        [
            ("week", &self.week),
            ("council", &self.council),
            ("locality", &self.locality),
            ("type", &self.provision_type),
            ("provider", &self.provider),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
    }
}

#[derive(Template)]
#[template(path = "returns/board.html")]
pub struct BoardPage {
    pub page: PageContext,
    pub board: Board,
    pub pagination: Pagination,
    pub query: BoardQuery,
    pub council: String,
    pub councils: Vec<(i64, String)>,
    pub localities: Vec<String>,
    pub types: Vec<ProvisionType>,
    /// The provider named in the filter fits none or several.
    pub provider_error: Option<String>,
    pub is_current_week: bool,
}

impl BoardPage {
    /// The filter's problem, as form errors for the page's error summary.
    pub fn filter_errors(&self) -> FormErrors {
        let mut errors = FormErrors::default();
        if let Some(message) = &self.provider_error {
            errors.add("provider", message.clone());
        }
        errors
    }

    pub fn prev_href(&self) -> String {
        self.query.href("/returns", Some(self.board.week.plus(-1)))
    }

    pub fn next_href(&self) -> String {
        self.query.href("/returns", Some(self.board.week.plus(1)))
    }

    pub fn export_href(&self, format: &str) -> String {
        self.query
            .href(&format!("/returns/export.{format}"), Some(self.board.week))
    }

    pub fn week_label(&self) -> String {
        week_label(self.board.week)
    }

    pub fn due_label(&self) -> String {
        due_label(self.board.due)
    }
}

/// One of a provider's homes on "Your homes this week".
#[derive(Debug, Clone)]
pub struct ProviderRow {
    pub row: Row,
    /// The latest earlier return, which "No change" would copy.
    pub previous: Option<returns::Model>,
}

impl ProviderRow {
    pub fn can_copy(&self) -> bool {
        !self.row.status.is_filed() && self.previous.is_some()
    }

    /// The return the "Last return" column shows: this week's once filed,
    /// else the latest earlier one.
    pub fn last(&self) -> Option<&returns::Model> {
        self.row.ret.as_ref().or(self.previous.as_ref())
    }

    pub fn last_week(&self) -> String {
        self.last()
            .map(|r| IsoWeek::containing(r.week_start).to_string())
            .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "returns/provider.html")]
pub struct ProviderPage {
    pub page: PageContext,
    pub organisation_name: String,
    pub week: IsoWeek,
    pub due: DateTime<Utc>,
    pub rows: Vec<ProviderRow>,
    pub is_current_week: bool,
}

impl ProviderPage {
    pub fn any_copyable(&self) -> bool {
        self.rows.iter().any(ProviderRow::can_copy)
    }

    pub fn filed(&self) -> usize {
        self.rows.iter().filter(|r| r.row.status.is_filed()).count()
    }

    pub fn week_label(&self) -> String {
        week_label(self.week)
    }

    pub fn due_label(&self) -> String {
        due_label(self.due)
    }
}

#[derive(Template)]
#[template(path = "returns/upload.html")]
pub struct UploadPage {
    pub page: PageContext,
    pub error: Option<String>,
    pub max_mb: usize,
    pub max_rows: usize,
    pub week: IsoWeek,
}

#[derive(Template)]
#[template(path = "returns/preview.html")]
pub struct PreviewPage {
    pub page: PageContext,
    pub id: String,
    pub upload: super::upload::Upload,
}

impl PreviewPage {
    pub fn pending(&self) -> bool {
        self.upload.record.status == "pending"
    }

    /// Returns the upload would file or amend.
    pub fn changed(&self) -> usize {
        self.upload.preview.returns.len() - self.unchanged()
    }

    /// Rows the same as the return already filed.
    pub fn unchanged(&self) -> usize {
        self.upload
            .preview
            .returns
            .iter()
            .filter(|r| r.unchanged())
            .count()
    }
}

/// "No change for all homes", before anything is filed: the homes it will
/// file with the figures it will copy, and those it cannot.
#[derive(Template)]
#[template(path = "returns/no_change_all.html")]
pub struct NoChangeAllPage {
    pub page: PageContext,
    pub week: IsoWeek,
    /// Homes with an earlier return, and that return.
    pub copyable: Vec<(crate::db::entities::homes::Model, returns::Model)>,
    /// Homes with no earlier return to copy.
    pub without: Vec<crate::db::entities::homes::Model>,
}

impl NoChangeAllPage {
    pub fn week_label(&self) -> String {
        week_label(self.week)
    }

    pub fn week_of(r: &returns::Model) -> IsoWeek {
        IsoWeek::containing(r.week_start)
    }
}
