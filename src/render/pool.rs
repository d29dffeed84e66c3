//! The drawing pool: a few low-priority threads that draw pictures off the async workers.
//!
//! One thread per core, started on first use, each lowered to the least CPU priority the
//! OS offers a normal thread (nice 19 on Linux), so that request handling always wins the
//! CPU and a flood of issue requests cannot stall other routes, while drawing still uses
//! every spare cycle. At most two jobs per thread are queued (the next picture is waiting
//! when one finishes, so no thread idles between them); further callers wait
//! asynchronously, in order — at most `max_waiting` of them: one more is told the pool is
//! busy at once, so that no request is held for seconds behind a flood (the wait is bounded
//! by the queue's length, whatever the executor, with no timer).
//! Results come back through a oneshot channel, so any executor can await them. A
//! panicking job is caught: the caller gets `Failed`, the thread lives on.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, TryAcquireError, oneshot};

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
    /// How many callers may wait for a place in the queue per drawing thread (`None`: any
    /// number).
    max_waiting: Option<usize>,
    /// Callers waiting for a place now.
    waiting: AtomicUsize,
}

/// Counts a waiting caller until dropped (served, or given up).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl RenderPool {
    /// A pool with one thread per core, where at most `waiting_per_thread` callers per
    /// thread wait for a place in the queue.
    pub(crate) fn new(waiting_per_thread: Option<usize>) -> Self {
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Self {
            threads,
            jobs: OnceLock::new(),
            queue: Arc::new(Semaphore::new(2 * threads)),
            max_waiting: waiting_per_thread.map(|n| n.saturating_mul(threads)),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Whether a caller would be told "busy" now (every place taken, and as many waiting as
    /// allowed): a hint, for work that should not be spent on an issue that will not draw.
    pub(crate) fn is_full(&self) -> bool {
        self.queue.available_permits() == 0
            && self
                .max_waiting
                .is_some_and(|max| self.waiting.load(Ordering::Acquire) >= max)
    }

    /// Runs `job` on a pool thread. The queue slot travels with the job, so a caller that
    /// gives up does not free it early; a job whose caller is gone is skipped.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let slot = match self.queue.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(TryAcquireError::Closed) => return Err(PoolError::Failed),
            Err(TryAcquireError::NoPermits) => {
                let waiting = self.waiting.fetch_add(1, Ordering::AcqRel);
                let _waiting = Waiting(&self.waiting);
                if self.max_waiting.is_some_and(|max| waiting >= max) {
                    return Err(PoolError::Busy);
                }
                self.queue
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| PoolError::Failed)?
            }
        };
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
    fn past_the_longest_queue_a_caller_is_told_busy_at_once() {
        // One waiting caller per thread allowed.
        let pool = Arc::new(RenderPool::new(Some(1)));
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
        // As many waiters as allowed, parked after one poll each.
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut waiters: Vec<_> = (0..pool.threads)
            .map(|_| Box::pin(pool.run(|| 3)))
            .collect();
        for w in &mut waiters {
            assert!(w.as_mut().poll(&mut cx).is_pending());
        }
        assert!(pool.is_full());
        // One more: busy, at once.
        assert_eq!(block_on(pool.run(|| 1)), Err(PoolError::Busy));
        // A waiter that gives up frees its place in the line.
        waiters.pop();
        assert!(!pool.is_full());
        for _ in 0..2 * pool.threads {
            release.send(()).unwrap();
        }
        for h in holders {
            h.join().unwrap().unwrap();
        }
        for w in waiters {
            assert_eq!(block_on(w), Ok(3));
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
