//! A throwaway Redis Cluster: three primaries and three replicas (`redis-server
//! --cluster-enabled yes`, joined by `redis-cli --cluster create`) on free ports, persistence
//! off, in a directory of its own; every node is stopped and the directory removed on drop.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::programs::{self, KillOnDrop};

/// How long a node may be unreachable before the cluster fails it over (ms).
pub const NODE_TIMEOUT_MS: u64 = 1_000;

pub struct RedisCluster {
    pub nodes: Vec<Node>,
    server: PathBuf,
    cli: PathBuf,
    dir: PathBuf,
}

pub struct Node {
    pub port: u16,
    child: Option<KillOnDrop>,
}

impl RedisCluster {
    /// Starts six nodes and joins them into a cluster, or returns `None` after a skip line
    /// when `redis-server` or `redis-cli` is missing (outside CI; under `CI=true` a missing
    /// program fails the test).
    pub fn start(test: &str) -> Option<Self> {
        let server = programs::find("redis-server", test)?;
        let cli = programs::find("redis-cli", test)?;
        static CLUSTERS: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tower-captcha-cluster-{}-{}",
            std::process::id(),
            CLUSTERS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("cluster directory");
        let mut cluster = Self {
            nodes: Vec::new(),
            server,
            cli,
            dir,
        };
        for port in cluster_ports(6) {
            let child = cluster.spawn(port);
            cluster.nodes.push(Node {
                port,
                child: Some(child),
            });
        }
        for node in &cluster.nodes {
            cluster.wait_for(node.port, "PING", |reply| reply.contains("PONG"));
        }
        let addresses: Vec<String> = cluster
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let mut create = Command::new(&cluster.cli);
        create
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"]);
        let (ok, out) = run_bounded(create, Duration::from_secs(60));
        assert!(ok, "redis-cli --cluster create failed: {out}");
        cluster.wait_until_ok(Duration::from_secs(30));
        Some(cluster)
    }

    /// Starts the node on `port`; its cluster configuration (`nodes-<port>.conf`) lives in
    /// the cluster's directory, so a node started again rejoins as it was (a replica, if
    /// another took over meanwhile).
    fn spawn(&self, port: u16) -> KillOnDrop {
        let child = Command::new(&self.server)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--cluster-enabled", "yes"])
            .args(["--cluster-config-file", &format!("nodes-{port}.conf")])
            .args(["--cluster-node-timeout", &NODE_TIMEOUT_MS.to_string()])
            // A replica may always take over, however long it was out of touch.
            .args(["--cluster-replica-validity-factor", "0"])
            .args(["--save", "", "--appendonly", "no"])
            // A replica that (re)joins is synced at once, not after the default 5 s.
            .args(["--repl-diskless-sync-delay", "0"])
            .args(["--dir", &self.dir.display().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        KillOnDrop(child)
    }

    /// Starts a killed node again (as a supervisor restarting a crashed process would), and
    /// waits until it answers.
    pub fn restart(&mut self, port: u16) {
        let child = self.spawn(port);
        if let Some(node) = self.nodes.iter_mut().find(|n| n.port == port) {
            node.child = Some(child);
        }
        self.wait_for(port, "PING", |reply| reply.contains("PONG"));
    }

    /// One URL per node, for `RedisStore::connect_cluster`.
    pub fn urls(&self) -> Vec<String> {
        self.live()
            .map(|n| format!("redis://127.0.0.1:{}", n.port))
            .collect()
    }

    fn live(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.child.is_some())
    }

    /// Runs `redis-cli -p port args…` (for at most 10 s) and returns what it printed.
    pub fn cli(&self, port: u16, args: &[&str]) -> String {
        let mut cli = Command::new(&self.cli);
        cli.args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(args);
        run_bounded(cli, Duration::from_secs(10)).1
    }

    fn wait_for(&self, port: u16, command: &str, ok: impl Fn(&str) -> bool) {
        let start = Instant::now();
        let args: Vec<&str> = command.split(' ').collect();
        while !ok(&self.cli(port, &args)) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "node {port} did not answer `{command}` as expected"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until every live node reports the cluster healthy, every slot served, and
    /// every primary has a replica in sync (or `timeout` passes: then it panics).
    pub fn wait_until_ok(&self, timeout: Duration) {
        let start = Instant::now();
        loop {
            let healthy = self.live().all(|n| {
                let info = self.cli(n.port, &["CLUSTER", "INFO"]);
                info.contains("cluster_state:ok") && info.contains("cluster_slots_ok:16384")
            });
            let primaries = self.primaries();
            let replicated = primaries.len() == 3
                && primaries.iter().all(|&p| {
                    let info = self.cli(p, &["INFO", "replication"]);
                    info.contains("connected_slaves:1") && info.contains("state=online")
                });
            if healthy && replicated {
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "cluster not healthy after {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The ports of the live primaries, as a live node sees them.
    pub fn primaries(&self) -> Vec<u16> {
        let Some(any) = self.live().next() else {
            return Vec::new();
        };
        let nodes = self.cli(any.port, &["CLUSTER", "NODES"]);
        let mut ports: Vec<u16> = nodes
            .lines()
            .filter(|l| {
                let flags = l.split(' ').nth(2).unwrap_or("");
                flags.contains("master") && !flags.contains("fail")
            })
            .filter_map(|l| {
                let addr = l.split(' ').nth(1)?;
                addr.split(['@', ','])
                    .next()?
                    .rsplit(':')
                    .next()?
                    .parse()
                    .ok()
            })
            .filter(|p| self.live().any(|n| n.port == *p))
            .collect();
        ports.sort_unstable();
        ports
    }

    /// Kills node `port` (as a crash would).
    pub fn kill(&mut self, port: u16) {
        if let Some(node) = self.nodes.iter_mut().find(|n| n.port == port) {
            node.child = None;
        }
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        self.nodes.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `n` free ports whose cluster bus ports (port + 10 000) are free too, no port being
/// another's bus port.
fn cluster_ports(n: usize) -> Vec<u16> {
    let mut ports: Vec<u16> = Vec::new();
    while ports.len() < n {
        let port = programs::free_port();
        let bus_free =
            port < 55_000 && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok();
        let clashes = ports
            .iter()
            .any(|&p| p == port || p + 10_000 == port || port + 10_000 == p);
        if bus_free && !clashes {
            ports.push(port);
        }
    }
    ports
}

/// Runs `command` (stdin closed) for at most `limit`, then kills it: whether it succeeded,
/// and what it printed.
fn run_bounded(mut command: Command, limit: Duration) -> (bool, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-cli runs");
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() < limit => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        use std::io::Read;
        let _ = stdout.read_to_string(&mut out);
    }
    (status.is_some_and(|s| s.success()), out)
}
