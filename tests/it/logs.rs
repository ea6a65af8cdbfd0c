//! SECURITY.md item 4: home addresses never reach the logs, at the service's
//! default log level or with the service's own code logging everything.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;

use crate::support::seed::CANARY_A;
use crate::support::{Persona, TestApp};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

async fn exercise(app: &TestApp) {
    let urn = app.seed.home_a1.clone();
    let mut a = app.signed_in(Persona::ProviderA).await;
    a.get(&format!("/homes/{urn}")).await;
    a.get(&format!("/homes/{urn}/edit")).await;
    a.post_form(
        &format!("/homes/{urn}/edit"),
        &[
            ("name", "Alder House"),
            ("address_line1", CANARY_A),
            ("postcode", "not valid"),
        ],
    )
    .await;
    a.get("/homes/export.csv").await;
    let mut b = app.signed_in(Persona::ProviderB).await;
    b.get(&format!("/homes/{urn}")).await;
    let mut c = app.signed_in(Persona::Commissioner).await;
    c.get(&format!("/homes/{urn}")).await;
    c.get("/homes/export.csv").await;
}

#[tokio::test]
async fn addresses_never_appear_in_the_logs() {
    for filter in [
        sufficiency::cli::DEFAULT_LOG_FILTER,
        "sufficiency=trace,tower_http=trace,sea_orm=warn,sqlx=warn",
    ] {
        let app = TestApp::new().await;
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(captured.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        exercise(&app).await;
        drop(guard);
        let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
        assert!(
            !logs.is_empty() || filter == sufficiency::cli::DEFAULT_LOG_FILTER,
            "nothing was captured with {filter}"
        );
        assert!(
            !logs.contains(CANARY_A),
            "an address reached the logs with {filter}"
        );
    }
}
