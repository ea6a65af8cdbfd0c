//! Spreadsheets are parsed in a child process (the same binary, hidden
//! `sandbox` subcommand) under memory and CPU limits and a wall-clock
//! timeout. calamine can abort the process on crafted files; here that costs
//! a child, and the user gets a clear message (SECURITY.md item 19). CSV is
//! parsed in-process: the csv crate cannot be made to allocate beyond its
//! input.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::Duration;

use importers::ofsted::{self, OfstedFile};
use importers::returns::{self, ReturnsFile};
use importers::{FileError, Format, Limits};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tokio::io::AsyncWriteExt;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::config;

/// Work the child can do.
#[derive(Debug, Serialize, Deserialize)]
pub enum Job {
    Ofsted { format: Format, limits: Limits },
    Returns { format: Format, limits: Limits },
}

#[derive(Debug, Clone)]
pub struct Sandbox {
    executable: PathBuf,
    memory_bytes: u64,
    cpu_seconds: u64,
    timeout: Duration,
    /// At most `uploads.max_parsers` files are parsed at once, so memory
    /// stays bounded however many arrive (each child may use
    /// `parser_memory_mib`).
    parsers: Arc<Semaphore>,
    wait: Duration,
}

const TOO_COSTLY: &str = "The file could not be read safely: it needs more memory or time than this \
     service allows. Check it is the right file, or save it again with only the sheet you need";
const BUSY: &str = "The service is reading other files just now, so this one was not read. \
     Nothing has been saved. Try again in a minute";

impl Sandbox {
    pub fn new(uploads: &config::Uploads) -> Self {
        let executable = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("sufficiency"));
        Sandbox {
            executable,
            memory_bytes: uploads.parser_memory_mib * 1024 * 1024,
            cpu_seconds: uploads.parser_cpu_seconds,
            timeout: Duration::from_secs(uploads.parse_timeout_seconds),
            parsers: Arc::new(Semaphore::new(uploads.max_parsers.max(1))),
            wait: Duration::from_secs(uploads.parser_wait_seconds),
        }
    }

    /// A place among the parsers, waiting briefly for one to finish.
    async fn place(&self) -> Result<SemaphorePermit<'_>, FileError> {
        match tokio::time::timeout(self.wait, self.parsers.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                tracing::warn!("every parser is busy: a file was turned away");
                Err(FileError::new(BUSY))
            }
        }
    }

    /// The binary that holds the `sandbox` subcommand (tests point this at
    /// the built `sufficiency` binary rather than the test harness).
    pub fn with_executable(mut self, executable: PathBuf) -> Self {
        self.executable = executable;
        self
    }

    pub async fn parse_ofsted(
        &self,
        bytes: Vec<u8>,
        format: Format,
        limits: Limits,
    ) -> Result<OfstedFile, FileError> {
        let _place = self.place().await?;
        if format == Format::Csv {
            return tokio::task::spawn_blocking(move || ofsted::parse(&bytes, format, &limits))
                .await
                .map_err(|_| FileError::new(TOO_COSTLY))?;
        }
        self.run(&Job::Ofsted { format, limits }, bytes).await
    }

    pub async fn parse_returns(
        &self,
        bytes: Vec<u8>,
        format: Format,
        limits: Limits,
    ) -> Result<ReturnsFile, FileError> {
        let _place = self.place().await?;
        if format == Format::Csv {
            return tokio::task::spawn_blocking(move || returns::parse(&bytes, format, &limits))
                .await
                .map_err(|_| FileError::new(TOO_COSTLY))?;
        }
        self.run(&Job::Returns { format, limits }, bytes).await
    }

    async fn run<T: DeserializeOwned>(&self, job: &Job, input: Vec<u8>) -> Result<T, FileError> {
        let job = serde_json::to_string(job).map_err(|e| FileError::new(e.to_string()))?;
        let mut command = tokio::process::Command::new(&self.executable);
        command
            .arg("sandbox")
            .arg(job)
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let (memory, cpu) = (self.memory_bytes, self.cpu_seconds);
        // SAFETY: the closure runs in the forked child before exec and calls
        // only setrlimit, which is async-signal-safe.
        unsafe {
            command.pre_exec(move || {
                limit(libc::RLIMIT_AS, memory)?;
                limit(libc::RLIMIT_CPU, cpu)?;
                limit(libc::RLIMIT_CORE, 0)?;
                Ok(())
            });
        }
        let mut child = command.spawn().map_err(|e| {
            tracing::error!(error = %e, executable = %self.executable.display(), "cannot start parser process");
            FileError::new("The file could not be read just now. Try again later")
        })?;
        let mut stdin = child.stdin.take();
        let feed = async move {
            if let Some(stdin) = stdin.as_mut() {
                // The child may exit early (a refused file); a broken pipe is fine.
                let _ = stdin.write_all(&input).await;
                let _ = stdin.shutdown().await;
            }
        };
        let (_, output) = tokio::join!(
            feed,
            tokio::time::timeout(self.timeout, child.wait_with_output())
        );
        let output = match output {
            Ok(Ok(output)) => output,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "parser process failed");
                return Err(FileError::new(TOO_COSTLY));
            }
            Err(_) => {
                tracing::warn!("parser process timed out and was killed");
                return Err(FileError::new(TOO_COSTLY));
            }
        };
        if !output.status.success() {
            tracing::warn!(status = ?output.status, "parser process ended abnormally");
            return Err(FileError::new(TOO_COSTLY));
        }
        serde_json::from_slice::<Result<T, FileError>>(&output.stdout).map_err(|e| {
            tracing::error!(error = %e, "parser process sent unreadable output");
            FileError::new(TOO_COSTLY)
        })?
    }
}

fn limit(resource: libc::__rlimit_resource_t, value: u64) -> std::io::Result<()> {
    let rlim = libc::rlimit {
        rlim_cur: value,
        rlim_max: value,
    };
    // SAFETY: plain system call with a valid pointer to a local struct.
    if unsafe { libc::setrlimit(resource, &rlim) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The child's side: read the file from stdin, do the job, write the result
/// as JSON to stdout. Runs before any async runtime starts.
pub fn run_child(job: &str) -> ExitCode {
    let Ok(job) = serde_json::from_str::<Job>(job) else {
        return ExitCode::from(2);
    };
    let mut input = Vec::new();
    if std::io::stdin().read_to_end(&mut input).is_err() {
        return ExitCode::from(2);
    }
    let output = match job {
        Job::Ofsted { format, limits } => {
            serde_json::to_vec(&ofsted::parse(&input, format, &limits))
        }
        Job::Returns { format, limits } => {
            serde_json::to_vec(&returns::parse(&input, format, &limits))
        }
    };
    match output {
        Ok(bytes) if std::io::stdout().write_all(&bytes).is_ok() => ExitCode::SUCCESS,
        _ => ExitCode::from(3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox(max_parsers: usize) -> Sandbox {
        let uploads = config::Uploads {
            max_file_bytes: 1024,
            max_rows: 10,
            parse_timeout_seconds: 5,
            parser_memory_mib: 64,
            parser_cpu_seconds: 5,
            max_parsers,
            parser_wait_seconds: 0,
        };
        Sandbox::new(&uploads)
    }

    #[tokio::test]
    async fn a_file_arriving_while_every_parser_is_busy_is_turned_away_with_a_reason() {
        let sandbox = sandbox(1);
        let csv = b"URN,Beds\n".to_vec();
        let running = sandbox.place().await.expect("the one parser");
        let refused = sandbox
            .parse_returns(csv.clone(), Format::Csv, Limits::default())
            .await
            .unwrap_err();
        assert!(
            refused.message.contains("Try again in a minute"),
            "{refused}"
        );
        drop(running);
        let answer = sandbox
            .parse_returns(csv, Format::Csv, Limits::default())
            .await;
        assert!(
            answer.is_ok()
                || !answer
                    .unwrap_err()
                    .message
                    .contains("Try again in a minute"),
            "once the parser is free the file is read"
        );
    }
}
