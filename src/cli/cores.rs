//! How many threads a run takes by default: the cores this process may use that are idle
//! now. A run's partitions meet at a barrier every window (often a millisecond of simulated
//! time), so a thread that waits for a core holds every other thread at the next window: on
//! a machine whose other cores are busy, more threads than idle cores run slower than one.
//! Reads the machine's load (Linux `/proc/stat`) over a short span; nothing it reads reaches
//! a result (results do not depend on the thread count).

use std::time::Duration;

/// How long the load is sampled before a run: `/proc/stat` counts in ticks of 10 ms, so this
/// gives each core ten ticks to tell busy from idle.
const SAMPLE: Duration = Duration::from_millis(100);

/// An idle share of a core this large counts as a core: a thread with at least ~0.7 of a
/// core to itself still gains more than its barrier waits cost on the shipped workloads.
const ROUND_UP: f64 = 0.3;

/// The default thread count on `cores` usable cores: those idle now, at least one. Where
/// the load cannot be read (not Linux), every usable core.
pub(super) fn default_threads(cores: usize) -> usize {
    if cores <= 1 {
        return cores.max(1);
    }
    idle_cores(SAMPLE).map_or(cores, |idle| threads_for(idle, cores))
}

/// Threads for `idle` idle cores out of `cores` usable ones: a core's share of at least
/// `1 - ROUND_UP` counts as a core; at least one, at most `cores`.
fn threads_for(idle: f64, cores: usize) -> usize {
    ((idle + ROUND_UP).floor() as usize).clamp(1, cores)
}

/// Cores of the machine idle over `span` (idle and I/O-wait time over all time, times the
/// machine's cores); `None` where `/proc/stat` cannot be read or nothing was counted.
fn idle_cores(span: Duration) -> Option<f64> {
    let (total0, idle0, cpus) = read_stat()?;
    std::thread::sleep(span);
    let (total1, idle1, _) = read_stat()?;
    let total = total1.checked_sub(total0)?;
    let idle = idle1.checked_sub(idle0)?;
    (total > 0).then(|| idle as f64 / total as f64 * cpus as f64)
}

/// From `/proc/stat`: all CPU time so far, its idle part (idle + iowait), and the number of
/// CPUs listed.
fn read_stat() -> Option<(u64, u64, usize)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    parse_stat(&text)
}

fn parse_stat(text: &str) -> Option<(u64, u64, usize)> {
    let mut lines = text.lines();
    let first = lines.next()?;
    let mut fields = first.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    let v: Vec<u64> = fields
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    if v.len() < 5 {
        return None;
    }
    let cpus = lines
        .filter(|l| {
            l.strip_prefix("cpu")
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        })
        .count();
    Some((v.iter().sum(), v[3] + v[4], cpus.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_totals_and_the_cpus() {
        let text = "cpu  100 5 50 800 20 1 2 3 0 0\ncpu0 50 2 25 400 10 0 1 1 0 0\ncpu1 50 3 25 400 10 1 1 2 0 0\nintr 1 2\n";
        assert_eq!(parse_stat(text), Some((981, 820, 2)));
        assert_eq!(parse_stat("intr 1 2\n"), None);
        assert_eq!(parse_stat("cpu 1 2\n"), None);
    }

    /// A busy other core leaves one thread, an idle machine every core; 0.7 of a core
    /// counts as one, less does not.
    #[test]
    fn idle_cores_make_the_threads() {
        assert_eq!(threads_for(1.0, 2), 1);
        assert_eq!(threads_for(2.0, 2), 2);
        assert_eq!(threads_for(1.7, 2), 2);
        assert_eq!(threads_for(1.65, 2), 1);
        assert_eq!(threads_for(0.0, 2), 1);
        assert_eq!(threads_for(15.9, 4), 4);
        assert_eq!(default_threads(1), 1);
    }
}
