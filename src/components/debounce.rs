//! A small debouncer for "results as you type": each call cancels the
//! previous pending one, so only the last input within the delay runs.

use std::time::Duration;

use leptos::leptos_dom::helpers::{set_timeout_with_handle, TimeoutHandle};
use leptos::prelude::*;

/// Delay between the last keystroke and the request.
pub const TYPING_DELAY: Duration = Duration::from_millis(250);

#[derive(Clone, Copy)]
pub struct Debouncer {
    pending: StoredValue<Option<TimeoutHandle>>,
}

impl Debouncer {
    pub fn new() -> Self {
        let pending = StoredValue::new(None::<TimeoutHandle>);
        on_cleanup(move || {
            if let Some(Some(h)) = pending.try_get_value() {
                h.clear();
            }
        });
        Debouncer { pending }
    }

    /// Runs `f` after [`TYPING_DELAY`] unless called again before.
    pub fn call(&self, f: impl FnOnce() + 'static) {
        self.cancel();
        let pending = self.pending;
        let handle = set_timeout_with_handle(
            move || {
                pending.try_set_value(None);
                f();
            },
            TYPING_DELAY,
        )
        .ok();
        self.pending.try_set_value(handle);
    }

    /// Drops a pending call (e.g. when the form is submitted right away).
    pub fn cancel(&self) {
        if let Some(Some(h)) = self.pending.try_get_value() {
            h.clear();
        }
        self.pending.try_set_value(None);
    }
}

impl Default for Debouncer {
    fn default() -> Self {
        Self::new()
    }
}

/// Keeps the [`web_sys::AbortController`] of the latest request; starting a
/// new one aborts the one before, so stale answers never arrive.
#[derive(Clone, Copy)]
pub struct LatestRequest {
    current: StoredValue<Option<web_sys::AbortController>, LocalStorage>,
}

impl LatestRequest {
    pub fn new() -> Self {
        let current = StoredValue::new_local(None::<web_sys::AbortController>);
        on_cleanup(move || {
            if let Some(Some(c)) = current.try_get_value() {
                c.abort();
            }
        });
        LatestRequest { current }
    }

    /// Aborts the previous request and returns the signal for the next one.
    pub fn start(&self) -> Option<web_sys::AbortSignal> {
        let next = web_sys::AbortController::new().ok();
        let signal = next.as_ref().map(|c| c.signal());
        let previous = self
            .current
            .try_update_value(|c| std::mem::replace(c, next))
            .flatten();
        if let Some(p) = previous {
            p.abort();
        }
        signal
    }
}

impl Default for LatestRequest {
    fn default() -> Self {
        Self::new()
    }
}
