use askama::Template;
use chrono::NaiveDate;
use importers::vocab::Judgement;

use super::CaseDetail;
use super::forms::ConcernForm;
use super::list::CaseRow;
use super::routes::ListQuery;
use crate::db::entities::{homes, monitoring_cases};
use crate::web::forms::FormErrors;
use crate::web::page::PageContext;
use crate::web::pagination::Pagination;

#[derive(Template)]
#[template(path = "cases/list.html")]
pub struct ListPage {
    pub page: PageContext,
    pub rows: Vec<CaseRow>,
    pub total: u64,
    pub overdue_count: usize,
    pub ours_count: usize,
    /// Cases shown, by the home's current rating and by escalation level.
    pub by_rating: Vec<(String, usize)>,
    pub by_level: Vec<(String, usize)>,
    pub pagination: Pagination,
    pub export_query: String,
    pub query: ListQuery,
    pub today: NaiveDate,
    pub levels: Vec<String>,
    pub is_council: bool,
    /// Admins and commissioners may import Ofsted's file.
    pub can_import: bool,
}

impl ListPage {
    pub fn level_name(&self, level: &i16) -> &str {
        crate::config::level_name(&self.levels, *level)
    }
    pub fn ratings(&self) -> &'static [Judgement] {
        Judgement::ALL
    }
}

#[derive(Template)]
#[template(path = "cases/show.html")]
pub struct ShowPage {
    pub page: PageContext,
    pub d: CaseDetail,
    /// Largest improvement-plan PDF accepted.
    pub max_plan_bytes: usize,
    pub rating: Option<Judgement>,
    pub our_children: bool,
    pub next_meeting_due: NaiveDate,
    /// Council editors on an open case.
    pub can_manage: bool,
    /// Council editors or the home's provider, on an open case.
    pub can_update: bool,
    pub levels: Vec<String>,
    /// Who may own the case, and the owner's name.
    pub owners: Vec<(String, String)>,
    /// Other member councils monitoring the same home (council staff only).
    pub elsewhere: Vec<super::OtherMonitoring>,
    pub owner_name: Option<String>,
    pub today: NaiveDate,
    pub errors: FormErrors,
    pub values: std::collections::BTreeMap<String, String>,
}

impl ShowPage {
    /// The owner chosen in a form that failed, else the case's owner.
    pub fn owner_value(&self) -> String {
        self.value(
            "owner_user_id",
            self.d.case.owner_user_id.map(|id| id.to_string()),
        )
    }

    /// What the user typed in a form that failed, else the stored value.
    pub fn value(&self, field: &str, stored: Option<String>) -> String {
        self.values
            .get(field)
            .cloned()
            .or(stored)
            .unwrap_or_default()
    }
    pub fn date_value(&self, field: &str) -> [String; 3] {
        self.date_of(field, &None)
    }
    pub fn date_of(&self, field: &str, stored: &Option<NaiveDate>) -> [String; 3] {
        let parts = crate::web::forms::date_parts(*stored);
        ["day", "month", "year"]
            .iter()
            .zip(parts)
            .map(|(part, stored)| self.value(&format!("{field}_{part}"), Some(stored)))
            .collect::<Vec<_>>()
            .try_into()
            .unwrap_or_default()
    }
    pub fn level_name(&self, level: &i16) -> &str {
        crate::config::level_name(&self.levels, *level)
    }
    pub fn level_choices(&self) -> Vec<(String, String)> {
        self.levels
            .iter()
            .enumerate()
            .map(|(i, name)| (i.to_string(), name.clone()))
            .collect()
    }
    pub fn meeting_overdue(&self) -> bool {
        self.d.is_open() && self.next_meeting_due < self.today
    }
    pub fn overdue(&self, action: &crate::db::entities::case_actions::Model) -> bool {
        self.d.is_open() && super::activity::is_overdue(action, self.today)
    }
    pub fn action_statuses(&self) -> Vec<(String, String)> {
        super::activity::ActionStatus::ALL
            .iter()
            .map(|s| (s.code().to_string(), s.label().to_string()))
            .collect()
    }
    pub fn owners(&self) -> Vec<(String, String)> {
        vec![
            ("provider".into(), "Provider".into()),
            ("council".into(), "Council".into()),
        ]
    }
    pub fn rags(&self) -> Vec<(String, String)> {
        super::activity::Rag::ALL
            .iter()
            .map(|r| (r.code().to_string(), r.label().to_string()))
            .collect()
    }
    /// Why the case was opened: for one opened automatically, the inspection
    /// behind it as it stands now (a report confirmed since reads so).
    pub fn reason_note(&self) -> Option<String> {
        let case = &self.d.case;
        match &self.d.opened_for {
            Some(i) if case.opened_by == super::OPENED_AUTOMATICALLY => {
                match crate::quality::flag_of(i) {
                    Some(flag) => Some(super::opening_note(i, flag)),
                    None => case.reason_note.clone(),
                }
            }
            _ => case.reason_note.clone(),
        }
    }

    pub fn max_plan_mb(&self) -> usize {
        self.max_plan_bytes / (1024 * 1024)
    }

    /// The rating, its source and any report awaiting confirmation.
    pub fn rating_words(&self) -> String {
        crate::quality::rating_in_words(
            &self.d.home.registration_status,
            self.d.current.as_ref(),
            self.d.pending.as_ref(),
        )
    }

    /// A report the case's closing would rest on: awaiting confirmation,
    /// and lifting the home's flag once confirmed.
    pub fn report_to_confirm(&self) -> Option<&crate::db::entities::inspections::Model> {
        self.d
            .pending
            .as_ref()
            .filter(|p| crate::quality::would_lift_flag(self.d.current.as_ref(), p))
    }

    pub fn judgement_label(code: &Option<String>) -> &'static str {
        code.as_deref()
            .and_then(Judgement::from_code)
            .map(|j| j.short_label())
            .unwrap_or("no overall judgement")
    }

    pub fn source(&self) -> &'static str {
        self.d
            .current
            .as_ref()
            .map(|i| crate::quality::source_label(&i.source, i.verified))
            .unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "cases/new.html")]
pub struct NewPage {
    pub page: PageContext,
    pub home: homes::Model,
    pub open: Option<monitoring_cases::Model>,
    pub form: ConcernForm,
    pub errors: FormErrors,
}

impl NewPage {
    pub fn reasons(&self) -> Vec<(String, String)> {
        super::Reason::CONCERNS
            .iter()
            .map(|r| (r.code().to_string(), r.label().to_string()))
            .collect()
    }
}
