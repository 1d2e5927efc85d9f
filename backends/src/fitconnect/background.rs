//! Worker threads for the work that follows a request but that no citizen
//! waits for: signing the event log (`signer.rs`) and the subscriber's
//! decryption, checks and rejections (`subscriber.rs`). They run at a lower
//! OS priority ([`NICE`]) than the server's own threads, so while requests
//! are in flight the requests get the cores first; when nothing else runs,
//! these threads get every core. Nothing is skipped or weakened here: the
//! same work runs, only later.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use crate::ApiError;

/// The `nice` value of the worker threads unless `BUERGERAMT_BACKGROUND_NICE`
/// (0–19) says otherwise (0 is the server's; 10 gives a busy request thread
/// about nine tenths of a contended core). On a machine shared with other
/// busy processes the workers yield to those as well: 0 turns this off.
pub const NICE: i32 = 10;

fn nice() -> i32 {
    std::env::var("BUERGERAMT_BACKGROUND_NICE")
        .ok()
        .and_then(|v| v.trim().parse::<i32>().ok())
        .filter(|n| (0..=19).contains(n))
        .unwrap_or(NICE)
}

type Job = Box<dyn FnOnce() + Send>;

fn queue() -> &'static Mutex<Sender<Job>> {
    static QUEUE: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let n = std::thread::available_parallelism()
            .map(std::num::NonZeroUsize::get)
            .unwrap_or(1);
        for i in 0..n {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("fit-background-{i}"))
                .spawn(move || work(&rx));
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "a FIT-Connect background thread did not start");
            }
        }
        Mutex::new(tx)
    })
}

fn work(rx: &Mutex<Receiver<Job>>) {
    lower_priority();
    loop {
        // A poisoned lock only means a panic elsewhere; the queue still works.
        let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
        let Ok(job) = job else { return };
        // A panicking job loses its answer (the caller sees an error), not
        // the thread.
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux the nice value is per thread: `who` is this thread's id.
    // SAFETY: plain system calls without pointers.
    let nice = nice();
    if nice == 0 {
        return;
    }
    let done = unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS as _, tid, nice)
    };
    if done != 0 {
        tracing::warn!("a FIT-Connect background thread keeps the normal priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// Runs `f` on a background thread and waits for its result.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    queue()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .send(job)
        .map_err(|_| ApiError::Internal("no FIT-Connect background thread".into()))?;
    rx.await
        .map_err(|_| ApiError::Internal("a FIT-Connect background job failed".into()))
}
