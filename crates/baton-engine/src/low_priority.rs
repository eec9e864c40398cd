//! Background work at a lower scheduling priority. On a laptop short of CPU (a busy fleet, a
//! build running), the polls and the writer they wait on should go first: a late poll is a gap
//! in what Baton saw, while a late detector run only finds the same things a moment later,
//! from everything stored meanwhile. The detectors run on a thread of their own with a nice
//! value of [`NICENESS`] (Linux; elsewhere at the usual priority).

use crate::error::EngineError;

/// How much lower than the rest of Baton the detectors run (nice +5: about a third of the CPU
/// share of a thread at the usual priority, when both want it).
const NICENESS: i32 = 5;

/// Lowers the calling thread's priority (on Linux the nice value is per thread).
#[cfg(target_os = "linux")]
fn lower_this_thread() {
    // SAFETY: gettid and setpriority take plain integers and touch no memory of ours.
    let failed = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, NICENESS) != 0
    };
    if failed {
        tracing::debug!(
            error = %std::io::Error::last_os_error(),
            "cannot lower the detector thread's priority"
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_thread() {}

/// Runs `work` on a new thread named `name` at the lower priority, and waits for it.
pub(crate) async fn run<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, EngineError> {
    let (done, outcome) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            lower_this_thread();
            let _ = done.send(work());
        })
        .map_err(|err| EngineError::Internal(format!("cannot start a {name} thread: {err}")))?;
    outcome
        .await
        .map_err(|_| EngineError::Internal(format!("the {name} thread stopped (it panicked)")))
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn work_runs_on_its_own_lower_priority_thread() {
        let (name, nice) = super::run("baton-test-low", || {
            let name = std::thread::current().name().map(str::to_owned);
            #[cfg(target_os = "linux")]
            // SAFETY: as above; getpriority returns the nice value.
            let nice =
                unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) };
            #[cfg(not(target_os = "linux"))]
            let nice = super::NICENESS;
            (name, nice)
        })
        .await
        .unwrap();
        assert_eq!(name.as_deref(), Some("baton-test-low"));
        assert!(nice >= super::NICENESS, "nice {nice}");
        let failed = super::run("baton-test-low", || panic!("boom")).await;
        assert!(matches!(
            failed,
            Err(crate::error::EngineError::Internal(_))
        ));
    }
}
