//! Stage timings for profiling: with `INVENTORY_GEN_TIMINGS` set in the environment, [`mark`]
//! prints to stderr how long the stage that just ended took (and the time since the start);
//! otherwise it does nothing. Used by `benches/bench.py` and when profiling by hand.

use std::sync::Mutex;
use std::time::Instant;

static LAST: Mutex<Option<(Instant, Instant)>> = Mutex::new(None);

fn enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("INVENTORY_GEN_TIMINGS").is_some())
}

/// Starts the clock.
pub fn start() {
    if enabled()
        && let Ok(mut last) = LAST.lock()
    {
        let now = Instant::now();
        *last = Some((now, now));
    }
}

/// Reports that `stage` ended now.
pub fn mark(stage: &str) {
    if !enabled() {
        return;
    }
    if let Ok(mut last) = LAST.lock() {
        let now = Instant::now();
        let (start, previous) = last.unwrap_or((now, now));
        eprintln!(
            "timing: {stage:<10} {:>8.1} ms (at {:.1} ms, {} MiB resident)",
            (now - previous).as_secs_f64() * 1000.0,
            (now - start).as_secs_f64() * 1000.0,
            resident_mib()
        );
        *last = Some((start, now));
    }
}

/// The process's resident memory, from `/proc/self/statm` (0 where there is none).
fn resident_mib() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    pages * 4096 / (1024 * 1024)
}

/// Reports that `event` happened now, on another thread: the time since the start only.
pub fn note(event: &str) {
    if !enabled() {
        return;
    }
    if let Ok(last) = LAST.lock() {
        let now = Instant::now();
        let start = last.map(|(s, _)| s).unwrap_or(now);
        eprintln!(
            "timing: {event:<10}             (at {:.1} ms)",
            (now - start).as_secs_f64() * 1000.0
        );
    }
}
