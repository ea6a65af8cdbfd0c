//! The search log behind the unmet-demand page: criteria and counts, the
//! origin as a postcode district only, never the child.
//!
//! A search does not wait for its log row. Rows go to one writer task that
//! inserts what arrives within a fifth of a second in one statement, so a
//! busy hour costs a few commits (each a disk sync) instead of one per
//! search. Analytics, not a record anyone filed: a crash loses at most the
//! rows of that moment; a clean shutdown and the unmet-demand page flush
//! them first.

use std::sync::{Arc, OnceLock};

use chrono::Utc;
use importers::vocab::Need;
use sea_orm::sea_query::Query;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait, Value};
use tokio::sync::{Notify, mpsc, oneshot};

use super::{Criteria, Outcome};
use crate::auth::Viewer;
use crate::db::entities::searches;

/// Where a search was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Page,
    Api,
    Export,
}

impl Channel {
    fn code(self) -> &'static str {
        match self {
            Channel::Page => "page",
            Channel::Api => "api",
            Channel::Export => "export",
        }
    }
}

/// Rows per insert at most: 16 columns each, well inside SQLite's 32,766
/// parameters a statement.
const BATCH: usize = 1024;

/// Rows the queue holds before a search waits for the writer.
const QUEUE: usize = 4 * BATCH;

/// How long the writer gathers rows after the first: a busy minute costs a
/// few hundred commits at most, and a crash loses at most this much.
const WINDOW: std::time::Duration = std::time::Duration::from_millis(200);

/// One search's log row: each column with its value.
type Row = [(searches::Column, Value); 17];

enum Command {
    Record(Box<Row>),
    Flush(oneshot::Sender<()>),
}

/// The handle handlers log through; cheap to clone. The writer task starts
/// with the first row.
#[derive(Clone)]
pub struct SearchLog {
    db: DatabaseConnection,
    writer: Arc<Writer>,
}

#[derive(Default)]
struct Writer {
    queue: OnceLock<mpsc::Sender<Command>>,
    /// Ends the writer's gathering early: a flush, or a batch is waiting.
    /// Between those the writer sleeps, instead of waking for every row.
    hurry: Notify,
}

impl SearchLog {
    pub fn new(db: DatabaseConnection) -> Self {
        SearchLog {
            db,
            writer: Arc::default(),
        }
    }

    /// Queues a search's row.
    pub async fn record(&self, viewer: &Viewer, c: &Criteria, outcome: &Outcome, channel: Channel) {
        use searches::Column as C;
        let types: Vec<&str> = c.provision_types.iter().map(|t| t.code()).collect();
        let row: Row = [
            (C::SearchedAt, Utc::now().fixed_offset().into()),
            (C::UserId, viewer.user_id.into()),
            (C::Role, viewer.role.code().into()),
            (C::Channel, channel.code().into()),
            (C::District, c.origin.district.as_str().into()),
            (C::Age, i16::from(c.age).into()),
            (C::Sexes, c.sex.code().into()),
            (C::NeedsMask, Need::mask(&c.needs).into()),
            (C::MaxMiles, (c.max_miles as i32).into()),
            (C::NeededFrom, c.needed_from.into()),
            (C::ProvisionTypes, types.join(",").into()),
            (C::Emergency, c.emergency.into()),
            (C::Solo, c.solo.into()),
            (C::MinRating, c.min_rating.code().into()),
            (C::Results, (outcome.results.len() as i32).into()),
            (C::NearMisses, (outcome.near_misses.len() as i32).into()),
            // Which council searched: its unmet demand is its own.
            (C::CouncilId, viewer.council_id().into()),
        ];
        let queue = self.queue();
        if queue.send(Command::Record(Box::new(row))).await.is_err() {
            tracing::error!("the search log writer has stopped: a search went unlogged");
        } else if queue.capacity() <= QUEUE - BATCH {
            self.writer.hurry.notify_one();
        }
    }

    /// Waits until every row queued before this call is in the database
    /// (the unmet-demand page reads after it; shutdown calls it last).
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.queue().send(Command::Flush(done)).await.is_ok() {
            self.writer.hurry.notify_one();
            let _ = written.await;
        }
    }

    fn queue(&self) -> &mpsc::Sender<Command> {
        self.writer.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            tokio::spawn(write(self.db.clone(), receiver, self.writer.clone()));
            sender
        })
    }
}

/// Waits for a first row, gathers for up to [`WINDOW`] (less if hurried),
/// inserts everything queued by then in one transaction, then answers the
/// flushes that were waiting behind those rows.
async fn write(db: DatabaseConnection, mut queue: mpsc::Receiver<Command>, writer: Arc<Writer>) {
    let mut commands = Vec::new();
    while queue.recv_many(&mut commands, QUEUE).await > 0 {
        let flushing = commands.iter().any(|c| matches!(c, Command::Flush(_)));
        if !flushing && commands.len() < BATCH {
            tokio::select! {
                () = tokio::time::sleep(WINDOW) => {}
                () = writer.hurry.notified() => {}
            }
            // What is queued now, not what keeps arriving while it drains.
            for _ in 0..QUEUE {
                match queue.try_recv() {
                    Ok(command) => commands.push(command),
                    Err(_) => break,
                }
            }
        }
        let mut rows = Vec::with_capacity(commands.len());
        let mut flushed = Vec::new();
        for command in commands.drain(..) {
            match command {
                Command::Record(row) => rows.push(*row),
                Command::Flush(done) => flushed.push(done),
            }
        }
        let count = rows.len();
        if let Err(err) = insert(&db, rows).await {
            tracing::error!(error = %err, rows = count, "could not write the search log");
        }
        for done in flushed {
            let _ = done.send(());
        }
    }
}

/// Inserts the rows in one transaction (one commit, so one disk sync), in
/// statements of up to [`BATCH`] rows.
async fn insert(db: &DatabaseConnection, rows: Vec<Row>) -> Result<(), DbErr> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let columns = first.each_ref().map(|(column, _)| *column);
    let txn = db.begin().await?;
    for batch in rows.chunks(BATCH) {
        let mut insert = Query::insert();
        insert.into_table(searches::Entity).columns(columns);
        for row in batch {
            insert.values_panic(row.iter().map(|(_, value)| value.clone().into()));
        }
        txn.execute(&insert).await?;
    }
    txn.commit().await
}
