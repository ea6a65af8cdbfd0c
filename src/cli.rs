//! The `sufficiency` command line.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::{self, StartError};
use crate::auth::{Role, Viewer, passwords};
use crate::config::Settings;
use crate::sandbox::Sandbox;
use crate::{db, demo, ofsted, organisations, users};

#[derive(Debug, Parser)]
#[command(
    name = "sufficiency",
    version,
    about = "Children's placement sufficiency for English councils: homes, Ofsted ratings and vacancies"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service (migrates the database first).
    Serve {
        /// Address to listen on, overriding the configuration (e.g. 0.0.0.0:8080).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Build a fresh demo database from the committed extract of real Ofsted
    /// data, print the demo sign-ins and serve it.
    Demo {
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// The SQLite file to (re)create.
        #[arg(long, default_value = "data/demo.sqlite")]
        database: PathBuf,
        /// Build the database and exit without serving.
        #[arg(long)]
        build_only: bool,
    },
    /// Apply database migrations.
    Migrate,
    /// Copy the database to FILE while the service runs: a consistent
    /// snapshot (SQLite: VACUUM INTO; PostgreSQL: pg_dump --format=custom).
    Backup {
        /// A new file; an existing one is never overwritten.
        file: PathBuf,
    },
    /// Import data from files.
    Import {
        #[command(subcommand)]
        what: Import,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        what: User,
    },
    /// Manage the region's member councils.
    Council {
        #[command(subcommand)]
        what: Council,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        what: Token,
    },
    /// Build the "national x2" benchmark dataset on an empty database (see
    /// docs/performance.md): real settings from Ofsted's national file, then
    /// synthetic ones, and years of weekly returns.
    BenchData {
        /// Ofsted's national provider file.
        #[arg(
            long,
            default_value = "../shared/data/ofsted/providers_at_31_march_2023.csv"
        )]
        ofsted: PathBuf,
        /// District centres (outcode,latitude,longitude).
        #[arg(long, default_value = "data/demo/geo/outcode_centroids_GB.csv")]
        districts: PathBuf,
        #[arg(long, default_value_t = 15_000)]
        settings: usize,
        #[arg(long, default_value_t = 6_000)]
        providers: usize,
        #[arg(long, default_value_t = 5)]
        years: i64,
        /// Make every English council with children's services a member
        /// (a national deployment), named from this boundaries GeoJSON.
        #[arg(long)]
        every_council_from: Option<PathBuf>,
    },
    /// Internal: parse an untrusted file in a resource-limited child process.
    #[command(hide = true)]
    Sandbox { job: String },
}

#[derive(Debug, Subcommand)]
pub enum Import {
    /// Import Ofsted's provider-level data ("providers at 31 March" or
    /// "inspections in year"), as CSV, XLSX or ODS; prints a summary.
    Ofsted {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Import postcode positions for distances: a `postcode,latitude,longitude`
    /// CSV (Code-Point Open shape), the ONS Postcode Directory CSV, or
    /// district centroids (`outcode,latitude,longitude`); then place homes.
    Postcodes {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum Council {
    /// Make a council a member of the region, by its ONS code (e.g.
    /// E06000059); its name comes from the boundaries file or the list of
    /// county councils, and an organisation of that name is reused.
    Add {
        #[arg(long)]
        code: String,
    },
    /// Take a council out of the region (not the last one, nor one with
    /// active users).
    Remove {
        #[arg(long)]
        code: String,
    },
    /// List the member councils.
    List,
}

#[derive(Debug, Subcommand)]
pub enum Token {
    /// Create an API token for a user and print it (it is not stored, only its hash).
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long, default_value = "Created on the command line")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum User {
    /// Create a user. The password is asked for, or read from standard input.
    Add {
        #[arg(long)]
        email: String,
        /// admin, commissioner, placements or provider.
        #[arg(long)]
        role: Role,
        /// The user's organisation, by exact name or id: required for
        /// providers; for council staff, their member council (needed when
        /// the region has more than one).
        #[arg(long)]
        org: Option<String>,
        /// Full name (defaults to the email address).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

pub async fn run(command: Command, mut settings: Settings) -> Result<(), StartError> {
    match command {
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                settings.server.listen = listen;
            }
            app::serve(settings).await
        }
        Command::Demo {
            listen,
            database,
            build_only,
        } => {
            if let Some(listen) = listen {
                settings.server.listen = listen;
                settings.server.public_url = demo::public_url(&settings.server, listen);
            }
            demo::run(settings, &database, build_only).await
        }
        Command::Migrate => {
            let db = db::connect(&settings.database).await?;
            db::prepare(&db, &settings).await?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::Backup { file } => {
            let db = db::connect(&settings.database).await?;
            let started = std::time::Instant::now();
            db::backup::backup(&db, &settings.database.url, &file)
                .await
                .map_err(|e| StartError::Other(format!("No backup was made: {e}")))?;
            println!(
                "Backed up to {} in {:.1} s.",
                file.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Import {
            what: Import::Ofsted { files },
        } => import_ofsted(settings, files).await,
        Command::Import {
            what: Import::Postcodes { files },
        } => import_postcodes(settings, files).await,
        Command::User {
            what:
                User::Add {
                    email,
                    role,
                    org,
                    name,
                    password_stdin,
                },
        } => add_user(settings, email, role, org, name, password_stdin).await,
        Command::Token {
            what: Token::Create { email, name },
        } => create_token(settings, email, name).await,
        Command::Council { what } => council(settings, what).await,
        Command::BenchData {
            ofsted,
            districts,
            settings: target_settings,
            providers,
            years,
            every_council_from,
        } => {
            let db = db::connect(&settings.database).await?;
            db::prepare(&db, &settings).await?;
            crate::bench_data::build(
                &db,
                &settings,
                &ofsted,
                &districts,
                crate::bench_data::Targets {
                    settings: target_settings,
                    providers,
                    years,
                    every_council_from,
                },
            )
            .await
        }
        Command::Sandbox { .. } => Err(StartError::Other(
            "the sandbox runs before the runtime starts".into(),
        )),
    }
}

async fn import_ofsted(settings: Settings, files: Vec<PathBuf>) -> Result<(), StartError> {
    let db = db::connect(&settings.database).await?;
    db::prepare(&db, &settings).await?;
    let sandbox = Sandbox::new(&settings.uploads);
    let viewer = Viewer::system("command line import");
    let mut failed = false;
    for path in files {
        println!("== {}", path.display());
        let started = std::time::Instant::now();
        match ofsted::read_file(&path, &sandbox).await {
            Err(e) => {
                println!("Not imported: {e}");
                failed = true;
            }
            Ok(file) => match ofsted::import(&db, &viewer, &file, &settings).await {
                Ok(summary) => {
                    print!("{summary}");
                    println!("Took {:.2?}", started.elapsed());
                }
                Err(e) => {
                    println!("Not imported: {e}");
                    failed = true;
                }
            },
        }
    }
    if failed {
        Err(StartError::Other("some files were not imported".into()))
    } else {
        Ok(())
    }
}

async fn import_postcodes(settings: Settings, files: Vec<PathBuf>) -> Result<(), StartError> {
    let db = db::connect(&settings.database).await?;
    db::prepare(&db, &settings).await?;
    let mut failed = false;
    for path in files {
        println!("== {}", path.display());
        let started = std::time::Instant::now();
        let outcome = match std::fs::File::open(&path) {
            Err(e) => Err(e.to_string()),
            Ok(file) => {
                // A line per 100,000 saved: the whole country takes a while.
                let mut reported = 0;
                let progress = |saved: usize| {
                    if saved / 100_000 > reported {
                        reported = saved / 100_000;
                        eprintln!("  {saved} saved ({:.0?})", started.elapsed());
                    }
                };
                crate::geo::import_postcodes_reporting(&db, std::io::BufReader::new(file), progress)
                    .await
            }
        };
        match outcome {
            Ok(done) => {
                let what = match done.kind {
                    Some(importers::postcodes::Kind::Districts) => "district centres",
                    _ => "postcodes",
                };
                println!(
                    "Saved {} {what} from {} rows ({} without coordinates skipped); {} homes placed",
                    done.saved,
                    done.outcome.rows,
                    done.outcome.without_coordinates,
                    done.homes_located
                );
                if done.outcome.error_count > 0 {
                    println!("Rows not imported: {}", done.outcome.error_count);
                    for e in done.outcome.errors.iter().take(50) {
                        println!("  {e}");
                    }
                }
                println!("Took {:.2?}", started.elapsed());
            }
            Err(e) => {
                println!("Not imported: {e}");
                failed = true;
            }
        }
    }
    if failed {
        Err(StartError::Other("some files were not imported".into()))
    } else {
        Ok(())
    }
}

async fn council(settings: Settings, what: Council) -> Result<(), StartError> {
    use crate::regions::{self, Added, CouncilNames, OnsCode};
    let db = db::connect(&settings.database).await?;
    db::prepare(&db, &settings).await?;
    let viewer = Viewer::system("command line");
    let parse = |code: &str| OnsCode::parse(code).map_err(StartError::Other);
    let refused = |e: crate::error::Error| match e {
        crate::error::Error::Invalid(errors) => StartError::Other(errors.summary()),
        other => StartError::Other(other.public_message().1),
    };
    match what {
        Council::Add { code } => {
            let code = parse(&code)?;
            let names = CouncilNames::load(&settings.map.boundaries_file);
            let (member, added) = db::in_write_transaction(&db, async |txn| {
                regions::add(txn, &viewer, &code, &names, None, Vec::new()).await
            })
            .await
            .map_err(refused)?;
            match added {
                Added::Added => println!("Added {} ({code}) to the region.", member.name),
                Added::AlreadyMember => println!("{} ({code}) is already a member.", member.name),
            }
        }
        Council::Remove { code } => {
            let code = parse(&code)?;
            let member = regions::members(&db)
                .await?
                .into_iter()
                .find(|m| m.ons_code.as_deref() == Some(code.as_str()))
                .ok_or_else(|| StartError::Other(format!("{code} is not a member council")))?;
            let removed = db::in_write_transaction(&db, async |txn| {
                regions::remove(txn, &viewer, member.id).await
            })
            .await
            .map_err(refused)?;
            println!("Removed {} ({code}) from the region.", removed.name);
        }
        Council::List => {
            for m in regions::members(&db).await? {
                println!(
                    "{}\t{}\t{} localities",
                    m.ons_code.as_deref().unwrap_or("-"),
                    m.name,
                    m.localities.len()
                );
            }
        }
    }
    Ok(())
}

async fn create_token(settings: Settings, email: String, name: String) -> Result<(), StartError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = db::connect(&settings.database).await?;
    db::prepare(&db, &settings).await?;
    let user = crate::db::entities::users::Entity::find()
        .filter(crate::db::entities::users::Column::Email.eq(crate::auth::normalise_email(&email)))
        .filter(crate::db::entities::users::Column::Active.eq(true))
        .one(&db)
        .await?
        .ok_or_else(|| StartError::Other(format!("no active user has the email {email}")))?;
    let txn = db::begin_write(&db).await?;
    let (token, _) =
        crate::auth::tokens::create(&txn, &Viewer::system("command line"), user.id, &name).await?;
    txn.commit().await?;
    println!("{token}");
    eprintln!(
        "Token for {} created. It is shown only now: store it safely.",
        user.email
    );
    Ok(())
}

async fn add_user(
    settings: Settings,
    email: String,
    role: Role,
    org: Option<String>,
    name: Option<String>,
    password_stdin: bool,
) -> Result<(), StartError> {
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Password again: ")?;
        if first != second {
            return Err(StartError::Other("the passwords do not match".into()));
        }
        first
    };
    let db = db::connect(&settings.database).await?;
    db::prepare(&db, &settings).await?;
    passwords::init(&settings.auth);
    let organisation_id = match org {
        None => None,
        Some(text) => match organisations::find_by_name_or_id(&db, &text).await {
            Ok(Some(o)) => Some(o.id),
            Ok(None) => {
                return Err(StartError::Other(format!(
                    "no organisation is named '{text}'"
                )));
            }
            Err(e) => return Err(StartError::Other(e.public_message().1)),
        },
    };
    let new = users::NewUser {
        display_name: name.unwrap_or_else(|| email.clone()),
        email,
        role,
        organisation: organisation_id
            .filter(|_| !role.is_council())
            .map(organisations::pick::Pick::id)
            .unwrap_or_default(),
        council: organisation_id.filter(|_| role.is_council()),
        regional_lead: false,
        password,
    };
    match users::create(&db, &Viewer::system("command line"), new, &settings).await {
        Ok(user) => {
            println!("Created {} ({}).", user.email, role.label());
            Ok(())
        }
        Err(crate::error::Error::Invalid(errors)) => Err(StartError::Other(
            errors
                .iter()
                .map(|(f, m)| format!("{f}: {m}"))
                .collect::<Vec<_>>()
                .join("; "),
        )),
        Err(e) => Err(StartError::Other(e.to_string())),
    }
}

/// What is logged unless `RUST_LOG` says otherwise. SQL statements (which
/// carry values, such as addresses) are never logged at this level.
pub const DEFAULT_LOG_FILTER: &str = "sufficiency=info,tower_http=info,sea_orm=warn,sqlx=warn";

/// Parses the command line, runs the sandbox child synchronously, and
/// everything else on a Tokio runtime.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Command::Sandbox { job } = &cli.command {
        return crate::sandbox::run_child(job);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| DEFAULT_LOG_FILTER.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
