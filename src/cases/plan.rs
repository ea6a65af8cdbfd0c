//! Improvement plans: the dates and summary on the case, and PDF files
//! stored in the database (transactional with the case, backed up with it,
//! never on a path a URL can reach) and served only to council staff and the
//! home's provider, as attachments.

use blake2::{Blake2s256, Digest};
use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::{CaseDetail, audit_case};
use crate::audit::{self, Change};
use crate::auth::Viewer;
use crate::db::entities::{case_files, monitoring_cases};
use crate::error::{Error, Result};

/// A stored plan file, without its content.
#[derive(Debug, Clone, PartialEq, sea_orm::FromQueryResult)]
pub struct PlanFile {
    pub id: i64,
    pub case_id: i64,
    pub file_name: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub uploaded_at: chrono::DateTime<chrono::FixedOffset>,
}

impl PlanFile {
    pub fn size_text(&self) -> String {
        let kb = (self.size_bytes as f64 / 1024.0).ceil();
        if kb < 1024.0 {
            format!("{kb:.0} KB")
        } else {
            format!("{:.1} MB", kb / 1024.0)
        }
    }
}

pub async fn list(conn: &impl ConnectionTrait, case_id: i64) -> Result<Vec<PlanFile>> {
    Ok(case_files::Entity::find()
        .select_only()
        .columns([
            case_files::Column::Id,
            case_files::Column::CaseId,
            case_files::Column::FileName,
            case_files::Column::SizeBytes,
            case_files::Column::UploadedBy,
            case_files::Column::UploadedAt,
        ])
        .filter(case_files::Column::CaseId.eq(case_id))
        .order_by_desc(case_files::Column::Id)
        .into_model::<PlanFile>()
        .all(conn)
        .await?)
}

/// What the plan form says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanDetails {
    pub requested_on: Option<NaiveDate>,
    pub received_on: Option<NaiveDate>,
    pub summary: Option<String>,
    /// An https link to the plan where it is kept elsewhere.
    pub url: Option<url::Url>,
}

/// Saves the plan's details. The provider and council staff may.
pub async fn save(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    detail: &CaseDetail,
    input: PlanDetails,
) -> Result<monitoring_cases::Model> {
    may_change(viewer, detail)?;
    if let (Some(requested), Some(received)) = (input.requested_on, input.received_on)
        && received < requested
    {
        return Err(Error::field(
            "received_on",
            "The date the plan was received must be on or after the date it was requested",
        ));
    }
    let case = &detail.case;
    let mut model = case.clone().into_active_model();
    // Only council staff request plans.
    if viewer.is_council() {
        model.plan_requested_on = Set(input.requested_on);
    }
    model.plan_received_on = Set(input.received_on);
    model.plan_summary = Set(input.summary);
    model.plan_url = Set(input.url.map(|u| u.to_string()));
    model.updated_at = Set(Utc::now().fixed_offset());
    let updated = model.update(conn).await?;
    audit_case(conn, viewer, case, &updated, "Improvement plan updated").await?;
    Ok(updated)
}

fn may_change(viewer: &Viewer, detail: &CaseDetail) -> Result<()> {
    let allowed = viewer.role.edits_market() || viewer.belongs_to(detail.home.provider_id);
    if !allowed {
        return Err(Error::Forbidden);
    }
    if !detail.is_open() {
        return Err(Error::BadRequest("This case is closed".into()));
    }
    Ok(())
}

/// Why a file is not an acceptable plan, in words for the user.
pub fn check_pdf(name: &str, bytes: &[u8], max_bytes: usize) -> Result<(), String> {
    if bytes.is_empty() {
        return Err("The selected file is empty".into());
    }
    if bytes.len() > max_bytes {
        return Err(format!(
            "The file must be smaller than {} MB",
            max_bytes / (1024 * 1024)
        ));
    }
    if !name.to_ascii_lowercase().ends_with(".pdf") {
        return Err("The selected file must be a PDF".into());
    }
    // The content must be a PDF whatever the name or the browser's type say.
    if !bytes.starts_with(b"%PDF-") {
        return Err(
            "The selected file is not a PDF: save or export it as PDF and try again".into(),
        );
    }
    Ok(())
}

/// A file name safe for a Content-Disposition header and a page.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .take(120)
        .collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.len() <= 4 {
        "improvement-plan.pdf".into()
    } else {
        cleaned
    }
}

pub async fn store(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    detail: &CaseDetail,
    name: &str,
    bytes: Vec<u8>,
    max_bytes: usize,
) -> Result<i64> {
    may_change(viewer, detail)?;
    check_pdf(name, &bytes, max_bytes).map_err(|m| Error::field("file", m))?;
    let file_name = clean_name(name);
    let checksum = format!("{:x}", Blake2s256::digest(&bytes));
    let size = bytes.len() as i64;
    let row = case_files::ActiveModel {
        case_id: Set(detail.case.id),
        file_name: Set(file_name.clone()),
        content_type: Set("application/pdf".into()),
        size_bytes: Set(size),
        checksum: Set(checksum.clone()),
        content: Set(bytes),
        uploaded_by: Set(viewer.display_name.clone()),
        uploaded_at: Set(Utc::now().fixed_offset()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    audit::record(
        conn,
        viewer,
        Change::created(
            "case_file",
            row.id,
            serde_json::json!({"case_id": detail.case.id, "file_name": file_name, "size_bytes": size, "checksum": checksum}),
        )
        .summary(format!("Improvement plan uploaded: {file_name}")),
    )
    .await?;
    Ok(row.id)
}

/// A plan file's name and content, if it belongs to the case.
pub async fn content(
    conn: &impl ConnectionTrait,
    case_id: i64,
    file_id: i64,
) -> Result<(String, Vec<u8>)> {
    let file = case_files::Entity::find_by_id(file_id)
        .filter(case_files::Column::CaseId.eq(case_id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((file.file_name, file.content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_pdfs_within_the_limit_are_accepted() {
        assert!(check_pdf("plan.pdf", b"%PDF-1.7 ...", 100).is_ok());
        assert!(check_pdf("plan.PDF", b"%PDF-1.4", 100).is_ok());
        assert!(
            check_pdf("plan.pdf", b"<html>", 100)
                .unwrap_err()
                .contains("not a PDF")
        );
        assert!(check_pdf("plan.exe", b"%PDF-1.4", 100).is_err());
        assert!(check_pdf("plan.pdf", b"", 100).is_err());
        assert!(
            check_pdf("plan.pdf", &[b'%'; 200], 100)
                .unwrap_err()
                .contains("smaller than")
        );
    }

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(clean_name("../../etc/plan v2.pdf"), "plan v2.pdf");
        assert_eq!(clean_name("C:\\x\\\"quote\".pdf"), "quote.pdf");
        assert_eq!(clean_name("<>.pdf"), "improvement-plan.pdf");
    }
}
