//! Last-resort fault handling for the binary: a panic anywhere (a bug) ends as one line on
//! stderr and exit code 1, never a backtrace dump, unless `RUST_BACKTRACE` asks for one.
//!
//! The hook only prints; `main` catches the unwinding panic so that destructors still run (an
//! unfinished [`crate::rundir::RunDir`] removes its temporary folder) before exiting.

use std::sync::atomic::{AtomicBool, Ordering};

static REPORTED: AtomicBool = AtomicBool::new(false);

/// Installs the panic hook: the first panic prints `themata: internal error: <message> (at
/// file:line)`; later ones (other worker threads failing in turn) print nothing.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if REPORTED.swap(true, Ordering::SeqCst) {
            return;
        }
        let message = panic_message(info.payload());
        let at = info
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("themata: internal error: {message}{at}; this is a bug, please report it");
        let wants_trace = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
        if wants_trace {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
    }));
}

/// A panic's message on one line (`panic` when its payload is not text).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
        .replace('\n', " ")
}

/// Exit code of a run that panicked.
pub const PANIC_EXIT_CODE: i32 = 1;

/// Panics when `THEMATA_INJECT_PANIC` is set, in a worker thread of the pool, so tests can check
/// how a bug deep in the pipeline ends. Only in debug builds; release builds ignore it.
pub fn inject_panic_for_tests() {
    if cfg!(debug_assertions) && std::env::var_os("THEMATA_INJECT_PANIC").is_some() {
        let _ = super::with_threads(2, || {
            use rayon::prelude::*;
            (0..4).into_par_iter().for_each(|i| {
                if i == 3 {
                    panic!("injected panic (THEMATA_INJECT_PANIC)");
                }
            });
            Ok(())
        });
    }
}
