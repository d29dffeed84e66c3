//! A throwaway `redis-server` on a free port, persistence off, stopped on drop.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::programs::{self, KillOnDrop};

pub struct RedisServer {
    pub port: u16,
    program: std::path::PathBuf,
    child: Option<KillOnDrop>,
}

impl RedisServer {
    /// Starts a server, or returns `None` after a skip line when `redis-server` is missing
    /// (outside CI; under `CI=true` a missing program fails the test).
    pub fn start(test: &str) -> Option<Self> {
        let program = programs::find("redis-server", test)?;
        let mut server = Self {
            port: programs::free_port(),
            program,
            child: None,
        };
        server.restart();
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (as a crash would).
    pub fn stop(&mut self) {
        self.child = None;
    }

    /// Starts the server again on the same port and waits until it answers `PING`.
    pub fn restart(&mut self) {
        let child = Command::new(&self.program)
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(["--dir", &std::env::temp_dir().display().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(KillOnDrop(child));
        let start = Instant::now();
        while !self.pings() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server did not answer PING"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn pings(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }
}
