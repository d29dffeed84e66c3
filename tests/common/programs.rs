//! Outside programs (chromedriver, redis-server) for the tests that need them.
//!
//! Without the program, a test prints a clear skip line and passes — except under
//! `CI=true`, where it fails: CI installs every program the suite needs.

use std::net::TcpListener;
use std::path::PathBuf;

/// The program's path, or `None` after printing a skip line (outside CI).
pub fn find(program: &str, test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "{test}: `{program}` is not on PATH, and CI=true requires it (.ci/run installs it)"
            );
        }
        println!("SKIPPED {test}: `{program}` is not on PATH (install it to run this test)");
    }
    found
}

/// A free TCP port on 127.0.0.1, for programs that must be told their port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the child process when dropped, so a failing test leaves nothing running.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
