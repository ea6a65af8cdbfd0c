//! Scheduled work. Each job's time is a cron expression in config (UK
//! time); each run belongs to a period (a week, a day or a month) and is
//! recorded in `job_runs` under a unique (job, period) key in the same
//! transaction as the emails it queues, so a period's run happens once
//! whatever the number of instances or restarts. Every minute, and once at
//! start, the service runs each job whose latest scheduled time has no run
//! yet and is recent enough to be worth doing (its `catch_up_hours`).
//! Jobs are plain functions; tests call them with any clock.

pub mod chasers;
pub mod digest;
pub mod schedule;
pub mod summary;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use importers::vocab::IsoWeek;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::config::{Schedule, Settings};
use crate::db::entities::job_runs;
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    ReturnRequest,
    ReturnReminder,
    NonFilers,
    VacancyDigest,
    OverdueAlerts,
    MonthlySummary,
    Retention,
}

/// How long one run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Week,
    Day,
    Month,
}

impl Job {
    pub const ALL: [Job; 7] = [
        Job::ReturnRequest,
        Job::ReturnReminder,
        Job::NonFilers,
        Job::VacancyDigest,
        Job::OverdueAlerts,
        Job::MonthlySummary,
        Job::Retention,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::ReturnRequest => "return-request",
            Job::ReturnReminder => "return-reminder",
            Job::NonFilers => "non-filers",
            Job::VacancyDigest => "vacancy-digest",
            Job::OverdueAlerts => "overdue-alerts",
            Job::MonthlySummary => "monthly-summary",
            Job::Retention => "retention",
        }
    }

    pub fn from_name(name: &str) -> Option<Job> {
        Self::ALL.into_iter().find(|j| j.name() == name)
    }

    fn period(self) -> Period {
        match self {
            Job::ReturnRequest | Job::ReturnReminder | Job::NonFilers => Period::Week,
            Job::VacancyDigest | Job::OverdueAlerts | Job::Retention => Period::Day,
            Job::MonthlySummary => Period::Month,
        }
    }

    pub fn schedule(self, settings: &Settings) -> &Schedule {
        let s = &settings.schedules;
        match self {
            Job::ReturnRequest => &s.return_request,
            Job::ReturnReminder => &s.return_reminder,
            Job::NonFilers => &s.non_filers,
            Job::VacancyDigest => &s.vacancy_digest,
            Job::OverdueAlerts => &s.overdue_alerts,
            Job::MonthlySummary => &s.monthly_summary,
            Job::Retention => &s.retention,
        }
    }

    /// The period a run scheduled at `at` (UK time) belongs to, e.g.
    /// `2026-W48`, `2026-11-26` or `2026-11`.
    pub fn period_key(self, at: DateTime<Tz>) -> String {
        let date = at.date_naive();
        match self.period() {
            Period::Week => IsoWeek::containing(date).to_string(),
            Period::Day => date.format("%Y-%m-%d").to_string(),
            Period::Month => date.format("%Y-%m").to_string(),
        }
    }
}

/// A run that is due: its job, its period and when it was scheduled.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    pub job: Job,
    pub period_key: String,
    pub scheduled_for: DateTime<Tz>,
}

impl Due {
    /// The run for the period of `at` (for tests and the command line).
    pub fn at(job: Job, at: DateTime<Utc>) -> Due {
        let local = at.with_timezone(&chrono_tz::Europe::London);
        Due {
            job,
            period_key: job.period_key(local),
            scheduled_for: local,
        }
    }
}

/// Each job's latest scheduled time at or before `now`, if still worth
/// running (no more than its `catch_up_hours` ago).
pub fn due(settings: &Settings, now: DateTime<Utc>) -> Vec<Due> {
    Job::ALL
        .into_iter()
        .filter_map(|job| {
            let schedule = job.schedule(settings);
            let cron = schedule::parse(&schedule.cron).ok()?;
            let at = schedule::latest(&cron, now)?;
            let late = now - at.with_timezone(&Utc);
            (late <= Duration::hours(schedule.catch_up_hours)).then(|| Due {
                job,
                period_key: job.period_key(at),
                scheduled_for: at,
            })
        })
        .collect()
}

/// Runs `due` unless its period already has a run. Returns the number of
/// emails queued, or `None` when another run (another instance, an earlier
/// start) had it.
pub async fn run(
    db: &DatabaseConnection,
    settings: &Settings,
    due: &Due,
    now: DateTime<Utc>,
) -> Result<Option<usize>> {
    let txn = crate::db::begin_write(db).await?;
    // The claim: on PostgreSQL a second instance waits here on the unique
    // index until the first commits, then finds the row and stops.
    let claimed = job_runs::Entity::insert(job_runs::ActiveModel {
        job: Set(due.job.name().into()),
        period_key: Set(due.period_key.clone()),
        started_at: Set(now.fixed_offset()),
        emails_queued: Set(0),
        caught_up: Set(now - due.scheduled_for.with_timezone(&Utc) > Duration::minutes(5)),
        ..Default::default()
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            job_runs::Column::Job,
            job_runs::Column::PeriodKey,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if claimed == 0 {
        return Ok(None);
    }
    let queued = execute(&txn, settings, due, now).await?;
    job_runs::Entity::update_many()
        .col_expr(
            job_runs::Column::EmailsQueued,
            sea_orm::sea_query::Expr::value(queued as i32),
        )
        .filter(job_runs::Column::Job.eq(due.job.name()))
        .filter(job_runs::Column::PeriodKey.eq(due.period_key.as_str()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some(queued))
}

async fn execute(
    txn: &sea_orm::DatabaseTransaction,
    settings: &Settings,
    due: &Due,
    now: DateTime<Utc>,
) -> Result<usize> {
    let local_date = due.scheduled_for.date_naive();
    let week = IsoWeek::containing(local_date);
    match due.job {
        Job::ReturnRequest => chasers::requests(txn, settings, week, now, false).await,
        Job::ReturnReminder => chasers::requests(txn, settings, week, now, true).await,
        Job::NonFilers => chasers::non_filers(txn, settings, week, now).await,
        Job::VacancyDigest => digest::send(txn, settings, local_date, now).await,
        Job::OverdueAlerts => crate::quality::alerts::overdue(txn, settings, local_date, now).await,
        Job::MonthlySummary => summary::send(txn, settings, local_date, now).await,
        Job::Retention => retention(txn, now).await,
    }
}

/// Deletes what no longer needs keeping (SECURITY.md item 24): expired
/// email links, delivered emails after 90 days, search logs after two years.
async fn retention(txn: &sea_orm::DatabaseTransaction, now: DateTime<Utc>) -> Result<usize> {
    use crate::db::entities::{outbox_emails, searches};
    let links = crate::email::links::delete_expired(txn, now).await?;
    let emails = outbox_emails::Entity::delete_many()
        .filter(outbox_emails::Column::Status.eq("sent"))
        .filter(outbox_emails::Column::SentAt.lt((now - Duration::days(90)).fixed_offset()))
        .exec(txn)
        .await?;
    let searches = searches::Entity::delete_many()
        .filter(searches::Column::SearchedAt.lt((now - Duration::days(730)).fixed_offset()))
        .exec(txn)
        .await?;
    tracing::info!(
        links,
        emails = emails.rows_affected,
        searches = searches.rows_affected,
        "retention"
    );
    Ok(0)
}

/// Runs every due job once (those another instance ran are skipped), and
/// sends the bed-request reminders that have come due.
pub async fn tick(db: &DatabaseConnection, settings: &Settings, now: DateTime<Utc>) {
    match crate::requests::reminders::send_due(db, settings, now).await {
        Ok(0) => {}
        Ok(queued) => tracing::info!(queued, "bed request reminders queued"),
        Err(e) => {
            tracing::error!(error = %e, "bed request reminders failed; tried again next minute")
        }
    }
    for due in due(settings, now) {
        match run(db, settings, &due, now).await {
            Ok(Some(queued)) => tracing::info!(
                job = due.job.name(),
                period = %due.period_key,
                queued,
                "scheduled run done"
            ),
            // Claimed already: run for this period by this or another instance.
            Ok(None) => tracing::debug!(
                job = due.job.name(),
                period = %due.period_key,
                "scheduled run already done for this period"
            ),
            Err(e) => tracing::error!(
                job = due.job.name(),
                period = %due.period_key,
                error = %e,
                "scheduled run failed; it will be tried again next minute"
            ),
        }
    }
}

/// Starts the scheduler: a catch-up tick straight away (in the background),
/// then one at the start of every minute.
pub async fn start(
    db: DatabaseConnection,
    settings: std::sync::Arc<Settings>,
) -> std::result::Result<tokio_cron_scheduler::JobScheduler, String> {
    use tokio_cron_scheduler::{Job as CronJob, JobScheduler};
    // Catching up may take a while on a large database: not before serving.
    {
        let (db, settings) = (db.clone(), settings.clone());
        tokio::spawn(async move { tick(&db, &settings, Utc::now()).await });
    }
    let scheduler = JobScheduler::new().await.map_err(|e| e.to_string())?;
    let every_minute = CronJob::new_async("0 * * * * *", move |_, _| {
        let db = db.clone();
        let settings = settings.clone();
        Box::pin(async move { tick(&db, &settings, Utc::now()).await })
    })
    .map_err(|e| e.to_string())?;
    scheduler
        .add(every_minute)
        .await
        .map_err(|e| e.to_string())?;
    scheduler.start().await.map_err(|e| e.to_string())?;
    Ok(scheduler)
}

/// Recent runs, newest first, for the admin page.
pub async fn recent_runs(db: &DatabaseConnection, limit: u64) -> Result<Vec<job_runs::Model>> {
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(job_runs::Entity::find()
        .order_by_desc(job_runs::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Whether a run exists for a job and period.
pub async fn has_run(db: &DatabaseConnection, job: Job, period_key: &str) -> Result<bool> {
    Ok(job_runs::Entity::find()
        .filter(job_runs::Column::Job.eq(job.name()))
        .filter(job_runs::Column::PeriodKey.eq(period_key))
        .one(db)
        .await?
        .is_some())
}
