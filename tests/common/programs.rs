//! Outside programs (chromedriver, redis-server) for the tests that need them.
//!
//! Without the program, a test prints a clear skip line (visible in `cargo test`'s output,
//! not captured) and passes — except under `CI=true`, where it fails: CI installs every
//! program the suite needs.

use std::net::TcpListener;
use std::path::PathBuf;

/// The program's path, or `None` after printing a skip line (outside CI).
pub fn find(program: &str, test: &str) -> Option<PathBuf> {
    find_any(&[program], test)
}

/// The path of the first of `names` found on `PATH` (e.g. the names one browser goes by),
/// or `None` after printing a skip line once none is found (outside CI; under `CI=true` a
/// missing program fails the test).
pub fn find_any(names: &[&str], test: &str) -> Option<PathBuf> {
    find_any_in(names, test, std::env::var("CI").is_ok_and(|v| v == "true"))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// [`find_any`] with the CI setting given, and the failure it calls for under CI as an
/// error instead of a panic.
pub fn find_any_in(names: &[&str], test: &str, ci: bool) -> Result<Option<PathBuf>, String> {
    let found = names.iter().find_map(|name| on_path(name));
    if found.is_none() {
        let names = names.join("` or `");
        if ci {
            return Err(format!(
                "{test}: `{names}` is not on PATH, and CI=true requires it (.ci/run installs it)"
            ));
        }
        // Straight to the terminal, past the test harness's capture, so that a skip shows
        // in `cargo test`'s output without `--nocapture`.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: `{names}` is not on PATH (install it to run this test)"
        );
    }
    Ok(found)
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
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

/// Runs `cmd`, failing the test with its output when it fails.
pub fn run(cmd: &mut std::process::Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `package` (e.g. `axe-core@4`) from npm, installed once into `dir` of the tests' temp dir
/// (one install at a time: tests that need one run side by side); its folder under
/// `node_modules`, or `None` after a skip line without `npm` (outside CI).
pub fn npm_package(package: &str, dir: &str, test: &str) -> Option<PathBuf> {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let npm = find("npm", test)?;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir);
    let name = package.rsplit_once('@').map_or(package, |(name, _)| name);
    let installed = dir.join("node_modules").join(name);
    let _one_at_a_time = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !installed.join("package.json").is_file() {
        std::fs::create_dir_all(&dir).unwrap();
        run(
            std::process::Command::new(npm)
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    "--prefix",
                ])
                .arg(&dir)
                .arg(package),
            &format!("npm install {package}"),
        );
    }
    Some(installed)
}
