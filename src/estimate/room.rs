//! How much memory the machine leaves this process, read from Linux `/proc` and the memory
//! cgroups (what a run's estimate is checked against), and its peak so far. Reads only; every
//! function returns `None` where its file is missing or unreadable.

/// The `field:` line of a /proc file, in kB, as bytes (Linux; `None` where unreadable).
fn proc_kib(path: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text
        .lines()
        .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Memory this process may still use: the least of `MemAvailable` (/proc/meminfo), what
/// its memory cgroups (v1 or v2, every level up to the root) leave below their limits, and
/// what its address-space limit (RLIMIT_AS, /proc/self/limits) leaves above its size now;
/// with which of them it is.
pub fn available_memory() -> Option<(u64, &'static str)> {
    let mut best: Option<(u64, &'static str)> =
        proc_kib("/proc/meminfo", "MemAvailable").map(|b| (b, "available memory"));
    let mut take = |b: u64, why: &'static str| {
        if best.is_none_or(|(x, _)| b < x) {
            best = Some((b, why));
        }
    };
    if let Some(b) = cgroup_room() {
        take(b, "memory its cgroup leaves");
    }
    if let Some(b) = address_space_room() {
        take(b, "address space its RLIMIT_AS leaves");
    }
    best
}

/// A limit file's number; `max` or a number near 2^63 (cgroup v1's "none") is no limit.
fn limit_file(path: &std::path::Path) -> Option<u64> {
    let t = std::fs::read_to_string(path).ok()?;
    let v: u64 = t.trim().parse().ok()?;
    (v < 1 << 62).then_some(v)
}

/// The least room (limit − usage) over this process's memory cgroups and their ancestors.
fn cgroup_room() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let mut room: Option<u64> = None;
    for line in text.lines() {
        let mut f = line.splitn(3, ':');
        let (_, ctrl, path) = (f.next()?, f.next()?, f.next()?);
        let (root, limit, usage) = if ctrl.is_empty() {
            ("/sys/fs/cgroup", "memory.max", "memory.current")
        } else if ctrl.split(',').any(|c| c == "memory") {
            (
                "/sys/fs/cgroup/memory",
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
            )
        } else {
            continue;
        };
        let mut dir = std::path::PathBuf::from(root).join(path.trim_start_matches('/'));
        loop {
            if let Some(l) = limit_file(&dir.join(limit)) {
                let used = limit_file(&dir.join(usage)).unwrap_or(0);
                let r = l.saturating_sub(used);
                room = Some(room.map_or(r, |x| x.min(r)));
            }
            if dir.as_os_str().len() <= root.len() || !dir.pop() {
                break;
            }
        }
    }
    room
}

/// RLIMIT_AS less the address space in use (VmSize), where there is such a limit.
fn address_space_room() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max address space"))?;
    let soft: u64 = line
        .trim_start_matches("Max address space")
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let size = proc_kib("/proc/self/status", "VmSize").unwrap_or(0);
    Some(soft.saturating_sub(size))
}

/// Peak resident memory of this process so far: `VmHWM` of /proc/self/status.
pub fn peak_rss() -> Option<u64> {
    proc_kib("/proc/self/status", "VmHWM")
}
