//! A real SMTP server on loopback (mailin-embedded) that keeps what it
//! receives, and can be told to refuse mail (421) like a server that is
//! down for maintenance.

use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use mailin_embedded::response::{NO_SERVICE, OK};
use mailin_embedded::{Handler, Response, Server, SslConfig};
use sufficiency::config::{Settings, SmtpSecurity};

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    pub fn message_id(&self) -> Option<String> {
        self.data
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
            .map(|l| l["message-id:".len()..].trim().to_string())
    }
}

#[derive(Clone)]
struct Keeper {
    received: Arc<Mutex<Vec<Received>>>,
    refusing: Arc<AtomicBool>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Keeper {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        if self.refusing.load(Ordering::SeqCst) {
            NO_SERVICE
        } else {
            OK
        }
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let message = Received {
            to: std::mem::take(&mut self.to),
            data: String::from_utf8_lossy(&self.data).into_owned(),
        };
        if let Ok(mut all) = self.received.lock() {
            all.push(message);
        }
        OK
    }
}

pub struct TestSmtp {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    refusing: Arc<AtomicBool>,
}

impl TestSmtp {
    /// Starts a server on a free loopback port (it lives as long as the test
    /// process).
    pub fn start() -> TestSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let refusing = Arc::new(AtomicBool::new(false));
        let keeper = Keeper {
            received: received.clone(),
            refusing: refusing.clone(),
            to: Vec::new(),
            data: Vec::new(),
        };
        let mut server = Server::new(keeper);
        server
            .with_name("localhost")
            .with_ssl(SslConfig::None)
            .expect("no TLS")
            .with_num_threads(8)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        TestSmtp {
            port,
            received,
            refusing,
        }
    }

    pub fn refuse(&self, refusing: bool) {
        self.refusing.store(refusing, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Settings that send to this server.
    pub fn configure(&self, settings: &mut Settings) {
        settings.email.smtp_host = "127.0.0.1".into();
        settings.email.smtp_port = self.port;
        settings.email.smtp_security = SmtpSecurity::None;
    }
}

/// A loopback port nothing listens on: a server that is down.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("address").port()
}
