//! Reading homes, always scoped to what the viewer may see.

use importers::vocab::{Judgement, Need, RegistrationStatus};
use sea_orm::sea_query::{Alias, CaseStatement, Expr, Func, IntoCondition};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, ExprTrait, JoinType, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationDef, Select,
};

use super::{Filter, HomeDetail, HomeRow, RatingFilter, Sort, SortKey, StatusFilter};
use crate::auth::Viewer;
use crate::db::entities::{council_contracts, home_needs, homes, inspections, organisations};
use crate::error::{Error, Result};
use crate::web::export::{ExportCell, Table};
use crate::web::pagination::PageNumber;

const PROVIDER: &str = "provider";
const COUNCIL: &str = "council";
const CURRENT: &str = "current_inspection";

fn provider_join() -> RelationDef {
    homes::Entity::belongs_to(organisations::Entity)
        .from(homes::Column::ProviderId)
        .to(organisations::Column::Id)
        .into()
}

fn council_join() -> RelationDef {
    homes::Entity::belongs_to(organisations::Entity)
        .from(homes::Column::HostCouncilId)
        .to(organisations::Column::Id)
        .into()
}

/// The home's current rating: its inspection marked current.
pub fn current_inspection_join() -> RelationDef {
    homes::Entity::belongs_to(inspections::Entity)
        .from(homes::Column::Id)
        .to(inspections::Column::HomeId)
        .on_condition(|_, right| {
            Expr::col((right, inspections::Column::IsCurrent))
                .eq(true)
                .into_condition()
        })
        .into()
}

/// Providers see their own organisation's homes only.
pub fn visible_to(viewer: &Viewer) -> Condition {
    if viewer.is_council() {
        Condition::all()
    } else {
        match viewer.organisation_id {
            Some(org) => Condition::all().add(homes::Column::ProviderId.eq(org)),
            None => Condition::all().add(Expr::val(false)),
        }
    }
}

fn rows_query(viewer: &Viewer, filter: &Filter) -> Select<homes::Entity> {
    let mut query = homes::Entity::find()
        .select_only()
        .columns([
            homes::Column::Id,
            homes::Column::Urn,
            homes::Column::Name,
            homes::Column::ProvisionType,
            homes::Column::RegistrationStatus,
            homes::Column::RegisteredPlaces,
            homes::Column::Locality,
            homes::Column::Sector,
            homes::Column::ProviderId,
            homes::Column::HostCouncilId,
            homes::Column::AddressLine1,
            homes::Column::AddressLine2,
            homes::Column::Town,
            homes::Column::Postcode,
        ])
        .column_as(
            Expr::col((Alias::new(PROVIDER), organisations::Column::Name)),
            "provider_name",
        )
        .column_as(
            Expr::col((Alias::new(COUNCIL), organisations::Column::Name)),
            "council_name",
        )
        .column_as(
            Expr::col((Alias::new(CURRENT), inspections::Column::Overall)),
            "rating",
        )
        .column_as(
            Expr::col((Alias::new(CURRENT), inspections::Column::InspectionDate)),
            "rating_date",
        )
        .column_as(crate::quality::flagged_expr(CURRENT), "flagged")
        .join_as(JoinType::LeftJoin, provider_join(), Alias::new(PROVIDER))
        .join_as(JoinType::LeftJoin, council_join(), Alias::new(COUNCIL))
        .join_as(
            JoinType::LeftJoin,
            current_inspection_join(),
            Alias::new(CURRENT),
        )
        .filter(visible_to(viewer));
    if let Some(t) = filter.provision_type {
        query = query.filter(homes::Column::ProvisionType.eq(t.code()));
    }
    if let Some(locality) = &filter.locality {
        query = query.filter(homes::Column::Locality.eq(locality.as_str()));
    }
    if let Some(id) = filter.provider_id {
        query = query.filter(homes::Column::ProviderId.eq(id));
    }
    if let Some(id) = filter.council_id {
        query = query.filter(homes::Column::HostCouncilId.eq(id));
    }
    let open = RegistrationStatus::open_codes();
    query = match filter.status {
        StatusFilter::Open => query.filter(homes::Column::RegistrationStatus.is_in(open)),
        StatusFilter::Closed => query.filter(homes::Column::RegistrationStatus.is_not_in(open)),
        StatusFilter::All => query,
    };
    if let Some(owner) = &filter.owner {
        let key = crate::organisations::name_key(owner);
        query = query.filter(
            Expr::col((Alias::new(PROVIDER), organisations::Column::NameKey))
                .like(format!("%{key}%")),
        );
    }
    if let Some(q) = &filter.q {
        let q = q.trim();
        query = query.filter(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col((homes::Entity, homes::Column::Name))))
                        .like(format!("%{}%", q.to_lowercase())),
                )
                .add(homes::Column::Urn.eq(q.to_ascii_uppercase())),
        );
    }
    match filter.flagged {
        Some(true) => query = query.filter(crate::quality::flagged_condition(CURRENT)),
        // Through CASE: a plain NOT would drop homes whose grades are NULL.
        Some(false) => query = query.filter(crate::quality::flagged_expr(CURRENT).eq(false)),
        None => {}
    }
    if let Some(rating) = filter.rating {
        let overall = Expr::col((Alias::new(CURRENT), inspections::Column::Overall));
        let codes = |js: &[Judgement]| js.iter().map(|j| j.code().to_string()).collect::<Vec<_>>();
        let condition: Condition = match rating {
            RatingFilter::Is(j) => overall.eq(j.code()).into_condition(),
            RatingFilter::GoodOrBetter => overall
                .is_in(codes(&[
                    Judgement::Outstanding,
                    Judgement::Good,
                    Judgement::SaStrong,
                ]))
                .into_condition(),
            RatingFilter::BelowGood => overall
                .is_in(codes(&[
                    Judgement::RequiresImprovement,
                    Judgement::Inadequate,
                    Judgement::SaInconsistent,
                    Judgement::SaWeak,
                ]))
                .into_condition(),
            RatingFilter::NotInspected => overall.is_null().into_condition(),
            RatingFilter::Flagged => crate::quality::flagged_condition(CURRENT),
        };
        query = query.filter(condition);
    }
    query
}

/// Rank for sorting by rating: best first, unrated last.
fn rating_rank() -> CaseStatement {
    let overall = || Expr::col((Alias::new(CURRENT), inspections::Column::Overall));
    let mut case = CaseStatement::new();
    for j in Judgement::ALL {
        case = case.case(overall().eq(j.code()), Expr::val(i32::from(j.rank())));
    }
    case.finally(Expr::val(9))
}

fn sorted(query: Select<homes::Entity>, sort: Sort) -> Select<homes::Entity> {
    let order = if sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let name = Expr::col((homes::Entity, homes::Column::Name));
    let query = match sort.key {
        SortKey::Name => query,
        SortKey::Urn => query.order_by(homes::Column::Urn, order.clone()),
        SortKey::Type => query.order_by(homes::Column::ProvisionType, order.clone()),
        SortKey::Rating => query.order_by(Expr::Case(Box::new(rating_rank())), order.clone()),
        SortKey::Places => query.order_by(homes::Column::RegisteredPlaces, order.clone()),
        SortKey::Provider => query.order_by(
            Expr::col((Alias::new(PROVIDER), organisations::Column::Name)),
            order.clone(),
        ),
        SortKey::Council => query.order_by(
            Expr::col((Alias::new(COUNCIL), organisations::Column::Name)),
            order.clone(),
        ),
        SortKey::Inspected => query.order_by(
            Expr::col((Alias::new(CURRENT), inspections::Column::InspectionDate)),
            order.clone(),
        ),
    };
    // Name, then URN, break ties so pages are stable.
    let name_order = if sort.key == SortKey::Name {
        order
    } else {
        Order::Asc
    };
    query
        .order_by(name, name_order)
        .order_by_asc(homes::Column::Urn)
}

pub async fn list(
    db: &DatabaseConnection,
    viewer: &Viewer,
    filter: &Filter,
    sort: Sort,
    page: PageNumber,
    per_page: u64,
) -> Result<(Vec<HomeRow>, u64)> {
    let total = rows_query(viewer, filter).count(db).await?;
    let page = page.within(total, per_page);
    let rows = sorted(rows_query(viewer, filter), sort)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .into_model::<HomeRow>()
        .all(db)
        .await?;
    Ok((rows, total))
}

/// The list as a spreadsheet-ready table. Addresses are included: the list
/// is already limited to homes the viewer may see in full.
pub async fn export_table(
    db: &DatabaseConnection,
    viewer: &Viewer,
    filter: &Filter,
    sort: Sort,
) -> Result<Table> {
    let rows = sorted(rows_query(viewer, filter), sort)
        .into_model::<HomeRow>()
        .all(db)
        .await?;
    Ok(Table {
        headers: vec![
            "URN",
            "Name",
            "Provision type",
            "Registration status",
            "Registered places",
            "Provider",
            "Sector",
            "Host council",
            "Locality",
            "Rating",
            "Rating date",
            "Flagged",
            "Address line 1",
            "Address line 2",
            "Town",
            "Postcode",
        ],
        rows: rows
            .into_iter()
            .map(|r| {
                vec![
                    ExportCell::from(r.urn.clone()),
                    r.name.clone().into(),
                    r.type_label().into(),
                    r.status_label().into(),
                    r.registered_places.into(),
                    r.provider_name.clone().into(),
                    crate::organisations::sector_label(r.sector.as_deref()).into(),
                    r.council_name.clone().into(),
                    r.locality.clone().into(),
                    r.judgement().map(|j| j.label().to_string()).into(),
                    r.rating_date
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .into(),
                    if r.flagged { "Yes" } else { "No" }.into(),
                    r.address_line1.clone().into(),
                    r.address_line2.clone().into(),
                    r.town.clone().into(),
                    r.postcode.clone().into(),
                ]
            })
            .collect(),
    })
}

pub async fn find_detail(
    db: &DatabaseConnection,
    viewer: &Viewer,
    urn: &str,
) -> Result<HomeDetail> {
    let home = homes::Entity::find()
        .filter(homes::Column::Urn.eq(urn.trim().to_ascii_uppercase()))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let owner = viewer.belongs_to(home.provider_id);
    if !viewer.is_council() && !owner {
        return Err(Error::Forbidden);
    }
    let provider = match home.provider_id {
        Some(id) => organisations::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let council = match home.host_council_id {
        Some(id) => organisations::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let needs = home_needs::Entity::find()
        .filter(home_needs::Column::HomeId.eq(home.id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|n| Need::from_code(&n.need))
        .collect();
    let inspections = inspections::Entity::find()
        .filter(inspections::Column::HomeId.eq(home.id))
        .order_by_desc(inspections::Column::InspectionDate)
        .order_by_desc(inspections::Column::Id)
        .all(db)
        .await?;
    // How the viewer's council buys its places: that council's own.
    let contract = match viewer.council_id() {
        Some(council) => {
            council_contracts::Entity::find()
                .filter(council_contracts::Column::CouncilId.eq(council))
                .filter(council_contracts::Column::HomeId.eq(home.id))
                .one(db)
                .await?
        }
        None => None,
    };
    Ok(HomeDetail {
        contract,
        show_address: viewer.is_council() || owner,
        can_edit: viewer.role.edits_market() || owner,
        home,
        provider,
        council,
        needs,
        inspections,
    })
}

/// Councils that host at least one home, for the filter.
pub async fn council_choices(db: &DatabaseConnection) -> Result<Vec<(i64, String)>> {
    let hosts = homes::Entity::find()
        .select_only()
        .column(homes::Column::HostCouncilId)
        .distinct()
        .filter(homes::Column::HostCouncilId.is_not_null())
        .into_query();
    let rows: Vec<(i64, String)> = organisations::Entity::find()
        .select_only()
        .columns([organisations::Column::Id, organisations::Column::Name])
        .filter(organisations::Column::Id.in_subquery(hosts))
        .order_by_asc(organisations::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows)
}
