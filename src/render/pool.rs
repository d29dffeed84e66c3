//! The drawing pool: a few low-priority threads that draw pictures off the async workers.
//!
//! One thread per core, started on first use, each lowered to the least CPU priority the
//! OS offers a normal thread (nice 19 on Linux), so that request handling always wins the
//! CPU and a flood of issue requests cannot stall other routes, while drawing still uses
//! every spare cycle. At most two jobs per thread are queued (the next picture is waiting
//! when one finishes, so no thread idles between them); further callers wait
//! asynchronously, in order, for at most the pool's `max_wait`: past it the caller is told
//! the pool is busy at once, rather than holding a request for seconds behind a flood.
//! Results come back through a oneshot channel, so any executor can await them. A
//! panicking job is caught: the caller gets `Failed`, the thread lives on.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use std::time::Duration;

use tokio::sync::{Semaphore, oneshot};

type Job = Box<dyn FnOnce() + Send>;

/// Why a job did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PoolError {
    /// No place in the queue within the pool's longest wait.
    Busy,
    /// The job panicked, or the pool could not start.
    Failed,
}

pub(crate) struct RenderPool {
    threads: usize,
    jobs: OnceLock<Sender<Job>>,
    queue: Arc<Semaphore>,
    /// How long a caller may wait for a place in the queue (`None`: as long as it takes).
    max_wait: Option<Duration>,
}

impl RenderPool {
    pub(crate) fn new(max_wait: Option<Duration>) -> Self {
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Self {
            threads,
            jobs: OnceLock::new(),
            queue: Arc::new(Semaphore::new(2 * threads)),
            max_wait,
        }
    }

    /// Runs `job` on a pool thread. The queue slot travels with the job, so a caller that
    /// gives up does not free it early; a job whose caller is gone is skipped.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let acquire = self.queue.clone().acquire_owned();
        // The wait is bounded on a Tokio runtime (its timer); any other executor waits.
        let bound = self
            .max_wait
            .filter(|_| tokio::runtime::Handle::try_current().is_ok());
        let slot = match bound {
            Some(wait) => tokio::time::timeout(wait, acquire)
                .await
                .map_err(|_| PoolError::Busy)?,
            None => acquire.await,
        }
        .map_err(|_| PoolError::Failed)?;
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _slot = slot;
            if tx.is_closed() {
                return;
            }
            if let Ok(value) = catch_unwind(AssertUnwindSafe(job)) {
                let _ = tx.send(value);
            }
        });
        self.sender().send(job).map_err(|_| PoolError::Failed)?;
        rx.await.map_err(|_| PoolError::Failed)
    }

    fn sender(&self) -> &Sender<Job> {
        self.jobs.get_or_init(|| {
            let (tx, rx) = channel::<Job>();
            let rx = Arc::new(Mutex::new(rx));
            for i in 0..self.threads {
                let rx = rx.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("tower-captcha-draw-{i}"))
                    .spawn(move || worker(&rx));
                if let Err(e) = spawned {
                    tracing::error!(error = %e, "tower-captcha: could not start a drawing thread");
                }
            }
            tx
        })
    }
}

/// Takes jobs until the pool (its sender) is dropped.
fn worker(jobs: &Mutex<Receiver<Job>>) {
    if let Err(e) =
        thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min)
    {
        tracing::debug!(error = ?e, "tower-captcha: drawing thread keeps its priority");
    }
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

impl std::fmt::Debug for RenderPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderPool")
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::block_on;

    #[test]
    fn runs_jobs_on_named_threads_and_every_thread_survives_a_panic() {
        let pool = Arc::new(RenderPool::new(None));
        assert_eq!(
            block_on(pool.run(|| -> u8 { panic!("a drawing bug") })),
            Err(PoolError::Failed)
        );
        // Jobs that overlap in time land on different threads: all of them still run.
        let names: std::collections::BTreeSet<String> = (0..2 * pool.threads)
            .map(|_| {
                let pool = pool.clone();
                std::thread::spawn(move || {
                    block_on(pool.run(|| {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        std::thread::current().name().map(str::to_owned)
                    }))
                    .ok()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .filter_map(|t| t.join().ok().flatten().flatten())
            .collect();
        assert_eq!(names.len(), pool.threads, "{names:?}");
        assert!(names.iter().all(|n| n.starts_with("tower-captcha-draw-")));
    }

    #[test]
    fn a_full_queue_answers_busy_after_the_longest_wait() {
        let pool = Arc::new(RenderPool::new(Some(std::time::Duration::from_millis(50))));
        // Every queue place taken by a job that waits for the gate.
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(Mutex::new(gate));
        let holders: Vec<_> = (0..2 * pool.threads)
            .map(|_| {
                let (pool, gate) = (pool.clone(), gate.clone());
                std::thread::spawn(move || {
                    block_on(pool.run(move || {
                        let _ = gate.lock().unwrap().recv();
                    }))
                })
            })
            .collect();
        while pool.queue.available_permits() > 0 {
            std::thread::yield_now();
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let asked = std::time::Instant::now();
        assert_eq!(rt.block_on(pool.run(|| 1)), Err(PoolError::Busy));
        let waited = asked.elapsed();
        assert!(
            waited >= std::time::Duration::from_millis(50)
                && waited < std::time::Duration::from_secs(2),
            "{waited:?}"
        );
        for _ in 0..2 * pool.threads {
            release.send(()).unwrap();
        }
        for h in holders {
            h.join().unwrap().unwrap();
        }
        assert_eq!(
            block_on(pool.run(|| 2)),
            Ok(2),
            "served again once there is room"
        );
    }

    /// Records, when dropped, the name of the thread it was dropped on.
    struct DropProbe(Arc<Mutex<Vec<String>>>);

    impl Drop for DropProbe {
        fn drop(&mut self) {
            let name = std::thread::current().name().unwrap_or("").to_owned();
            self.0.lock().unwrap().push(name);
        }
    }

    #[test]
    fn abandoned_jobs_keep_their_slot_and_are_skipped() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let pool = Arc::new(RenderPool::new(None));
        let threads = pool.threads;
        // Keep every drawing thread busy: each blocker holds a queue slot while it runs.
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(Mutex::new(gate));
        let started = Arc::new(AtomicUsize::new(0));
        let blockers: Vec<_> = (0..threads)
            .map(|_| {
                let (pool, gate, started) = (pool.clone(), gate.clone(), started.clone());
                std::thread::spawn(move || {
                    block_on(pool.run(move || {
                        started.fetch_add(1, SeqCst);
                        let _ = gate.lock().unwrap().recv();
                    }))
                })
            })
            .collect();
        while started.load(SeqCst) < threads {
            std::thread::yield_now();
        }
        // Start many jobs and give each up after one poll.
        let drops = Arc::new(Mutex::new(Vec::new()));
        let ran = Arc::new(AtomicUsize::new(0));
        for _ in 0..1_000 {
            let (probe, ran) = (DropProbe(drops.clone()), ran.clone());
            let fut = pool.run(move || {
                let _probe = &probe;
                ran.fetch_add(1, SeqCst);
            });
            let mut fut = std::pin::pin!(fut);
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            let _ = fut.as_mut().poll(&mut cx);
        }
        for _ in 0..threads {
            release.send(()).unwrap();
        }
        for b in blockers {
            b.join().unwrap().unwrap();
        }
        // Drain: jobs are taken in order, so once these ran every queued job was taken.
        for _ in 0..threads {
            assert_eq!(block_on(pool.run(|| 7)), Ok(7));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        // A job reached the queue iff its closure was dropped on a drawing thread.
        let queued = drops
            .lock()
            .unwrap()
            .iter()
            .filter(|n| n.starts_with("tower-captcha-draw-"))
            .count();
        assert!(
            queued <= threads,
            "{queued} abandoned jobs were queued past the {threads} free slots"
        );
        assert!(queued > 0, "some abandoned jobs did reach the queue");
        assert_eq!(ran.load(SeqCst), 0, "abandoned jobs were drawn");
    }
}
