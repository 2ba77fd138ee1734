//! Memory a run will need, estimated before it starts from the scenario alone: per-node state
//! × nodes plus what grows with the message rate (seen cache, message cache, IDONTWANT lists,
//! events in flight) plus per-message tables and the rendered output. The constants are the
//! sizes of the structures (allocator overhead included) and were checked against measured
//! peak RSS (README, "Performance"). `run` refuses a scenario whose estimate exceeds the
//! memory available, instead of being killed halfway.

use crate::metrics::Accounting;
use crate::scenario::{Per, Scenario, TopologySpec};

/// Peer state that does not grow with traffic: the struct, its two ChaCha streams, buffers.
const PEER_FIXED: f64 = 1700.0;
/// Per connection, on each side: neighbour record with its topic list and IDONTWANT deque
/// header, sorted index entry, CSR link (id + latency).
const PER_CONNECTION: f64 = 190.0;
/// Interfaces, partition maps, received/duplicate counters, world tables.
const NODE_TABLES: f64 = 80.0;
/// A seen-cache or IDONTWANT entry (id, expiry) in a deque that grows by doubling.
const TIMED_ENTRY: f64 = 16.0 * 1.5;
/// A queued event, and an RPC in flight (its slot, parts and shares).
const EVENT: f64 = 56.0;
const FLIGHT: f64 = 120.0;
/// Per message: its table entry, and delivery statistics per partition and merged.
const MESSAGE: f64 = 32.0;
const MESSAGE_STATS: f64 = 48.0;
/// The rendered per-node CSV files, held in memory until written atomically.
const OUTPUT_PER_NODE: f64 = 1600.0;

/// An estimate, term by term (bytes).
#[derive(Debug, Clone)]
pub struct Estimate {
    pub terms: Vec<(&'static str, f64)>,
}

impl Estimate {
    pub fn total(&self) -> u64 {
        self.terms.iter().map(|t| t.1).sum::<f64>() as u64
    }
}

/// Estimates the peak memory of running `sc` on `threads` threads.
pub fn estimate(sc: &Scenario, threads: usize) -> Estimate {
    let n = f64::from(sc.nodes);
    let g = &sc.gossipsub;
    let conns = match sc.topology {
        TopologySpec::RandomDial {
            outbound,
            max_connections,
        } => f64::from((2 * outbound).min(max_connections)),
        TopologySpec::RandomRegular { degree } | TopologySpec::StaticMesh { degree } => {
            f64::from(degree)
        }
    };
    // Messages per second on each topic, and per second reaching an average node.
    let mut topic_rate = vec![0.0f64; sc.topics.len()];
    for t in &sc.traffic {
        topic_rate[t.topic.idx()] += match t.per {
            Per::Node => t.rate.per_sec * f64::from(sc.selected(&t.publishers)),
            Per::Network => t.rate.per_sec,
        };
    }
    let seen_rate: f64 = sc
        .topics
        .iter()
        .zip(&topic_rate)
        .map(|(spec, r)| r * f64::from(sc.selected(&spec.subscribers)) / n)
        .sum();
    let total_msgs: f64 = topic_rate.iter().sum::<f64>() * sc.measure_end().as_secs_f64();
    let hb = g.heartbeat_interval.as_secs_f64();
    let mesh = g.mesh_n as f64;
    let idontwant = if g.idontwant_threshold.is_some() {
        n * mesh * seen_rate * g.idontwant_ttl.as_secs_f64() * TIMED_ENTRY
    } else {
        0.0
    };
    // Copies in flight: each node sends about D copies of each message it sees, each on the
    // wire for a few hundred milliseconds (uplink queue + latency + downlink).
    let in_flight = n * seen_rate * (mesh + 1.0) * 0.3 * (2.0 * EVENT + FLIGHT);
    let partitions = threads.max(1) as f64;
    Estimate {
        terms: vec![
            (
                "peers",
                n * (PEER_FIXED + conns * PER_CONNECTION + NODE_TABLES),
            ),
            (
                "seen cache",
                n * (seen_rate * g.seen_ttl.as_secs_f64() * TIMED_ENTRY + total_msgs / 8.0),
            ),
            (
                "message cache",
                n * seen_rate * g.history_length as f64 * hb * 8.0 * 1.5,
            ),
            ("idontwant lists", idontwant),
            (
                "counters",
                2.0 * n * Accounting::bytes_per_node(sc.traffic.len(), sc.topics.len()) as f64,
            ),
            ("events", n * 2.0 * EVENT + in_flight),
            (
                "messages",
                total_msgs * (MESSAGE + MESSAGE_STATS * (partitions + 1.0)),
            ),
            ("output files", n * OUTPUT_PER_NODE),
        ],
    }
}

/// Memory this process may still use: `MemAvailable` of /proc/meminfo (Linux); `None` where
/// it cannot be read.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Peak resident memory of this process so far (`VmHWM` of /proc/self/status, Linux).
pub fn peak_rss() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Bytes as GiB with two decimals.
pub fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}
