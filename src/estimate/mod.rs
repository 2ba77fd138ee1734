//! Memory a run will need, estimated before it starts from the scenario alone: per-node state
//! × nodes plus what grows with the message rate (seen cache, message cache, IDONTWANT lists,
//! events in flight) plus per-message tables and the rendered output. The constants are the
//! sizes of the structures (allocator overhead included) and were checked against measured
//! peak RSS (README, "Performance"). `run` refuses a scenario whose estimate exceeds the
//! memory available (read in `room.rs`), instead of being killed halfway.

mod events;
mod room;

pub use events::{events, fmt_count, fmt_wall, EventEstimate, NS_PER_EVENT};
pub use room::{available_memory, peak_rss};

use crate::ids::TopicId;
use crate::metrics::Accounting;
use crate::protocol::gossipsub::GossipsubConfig;
use crate::scenario::{Per, Scenario, Selector, TopologySpec};

/// Peer state that does not grow with traffic: the struct, its two (boxed) ChaCha streams,
/// buffers; of them ~90 B for the IHAVE groups counted ahead of their delivery (a FIFO of a
/// heartbeat's worth of 16-byte entries).
const PEER_FIXED: f64 = 1840.0;
/// Per connection, on each side: neighbour record with its topic list, sorted index entry,
/// slot-table entry (latency + reverse slot).
const PER_CONNECTION: f64 = 160.0;
/// Interfaces, partition maps, received/duplicate counters, world tables.
const NODE_TABLES: f64 = 80.0;
/// A seen-cache entry (id, expiry to the ms) or an IDONTWANT entry (id, neighbour slot,
/// delivery instant) in a per-peer deque that grows by doubling (slack ×1.3 and ×1.5).
const SEEN_ENTRY: f64 = 8.0 * 1.3;
const IDONTWANT_ENTRY: f64 = 16.0 * 1.5;
/// An id in a heartbeat's gossip batch (kept buffers: the batch and the RPC parts).
const GOSSIP_ID: f64 = 2.0 * 24.0;
/// Peak RSS against the sum of live allocations (allocator slack, fragmentation, code and
/// stacks). Calibrated on a 10K-node run when the timing wheel's buffers still grew over a
/// long run, and kept since: the estimate gates a refusal, so it errs high (README,
/// "Performance", says by how much on each workload).
const ALLOCATOR: f64 = 1.65;
/// A queued event, and an RPC in flight (its 64-byte slot, parts inline, free-list entry).
const EVENT: f64 = 56.0;
const FLIGHT: f64 = 80.0;
/// The process itself before any state: its code and libraries paged in, the runtime, and
/// each thread's stack; not subject to the allocator's factor.
const PROGRAM: f64 = 8.0 * 1024.0 * 1024.0;
const THREAD: f64 = 1024.0 * 1024.0;
/// Per message: its table entry, and delivery statistics per partition and merged; and per
/// partition its forwards' size (see `sim/forward.rs`).
const MESSAGE: f64 = 32.0;
const MESSAGE_STATS: f64 = 48.0;
const FORWARD_SIZE: f64 = 8.0;
/// The rendered per-node CSV files, held in memory until written atomically: a node's
/// rows of `nodes.csv`, and (apart) its `bandwidth.csv` and `mesh.csv` rows, each of these
/// its fixed columns plus its names.
const OUTPUT_PER_NODE: f64 = 400.0;
const BANDWIDTH_ROW: f64 = 56.0;
const MESH_ROW: f64 = 48.0;
/// Kinds counted per message class, in and out: payloads and their control ids (no
/// duplicates out), and with light clients their pushes too; and per topic
/// (subscriptions, mesh control, store).
const CLASS_KINDS: f64 = 7.0 + 6.0;
const LIGHT_CLASS_KINDS: f64 = 4.0;
const TOPIC_KINDS: f64 = 2.0 * 5.0;
/// One group of deliveries (a topic × receiver class): a latency histogram of 3 significant
/// digits in µs, which grows to the largest latency recorded (at most the run's length):
/// 1024 counters of 8 bytes per power of two above 2048 µs, and one set more.
fn delivery_group(sc: &Scenario) -> f64 {
    let end_us = (sc.end().0 / 1000).max(2048) as f64;
    ((end_us / 2048.0).log2().ceil() + 2.0) * 1024.0 * 8.0
}

/// An estimate, term by term (bytes).
#[derive(Debug, Clone)]
pub struct Estimate {
    pub terms: Vec<(&'static str, f64)>,
}

impl Estimate {
    /// The peak: the program, and the simulation's state or the report phase (counters,
    /// messages and the rendered files, once the peers are gone), whichever is larger.
    pub fn total(&self) -> u64 {
        let get = |name: &str| self.terms.iter().find(|t| t.0 == name).map_or(0.0, |t| t.1);
        let sim: f64 = self
            .terms
            .iter()
            .filter(|t| t.0 != "output files" && t.0 != "program")
            .map(|t| t.1)
            .sum();
        let report = get("output files") + get("counters") + get("messages");
        (get("program") + sim.max(report)) as u64
    }
}

/// Estimates the peak memory of running `sc` on `threads` threads: as if every node ran
/// the class parameters that need the most (on the safe side for a gate).
pub fn estimate(sc: &Scenario, threads: usize) -> Estimate {
    sc.node_classes
        .iter()
        .map(|c| estimate_with(sc, &c.gossipsub, threads))
        .max_by_key(Estimate::total)
        .unwrap_or_else(|| estimate_with(sc, &sc.gossipsub, threads))
}

/// The estimate with every node running `g`.
fn estimate_with(sc: &Scenario, g: &GossipsubConfig, threads: usize) -> Estimate {
    let n = f64::from(sc.nodes);
    let (conns, max_peers) = connections(sc);
    let (seen_rate, all_rate) = rates(sc);
    let total_msgs = all_rate * sc.measure_end().as_secs_f64();
    let hb = g.heartbeat_interval.as_secs_f64();
    let mesh = g.mesh_n as f64;
    // IDONTWANTs from each mesh peer, kept for their TTL (cleared at heartbeats).
    let idontwant = if g.idontwant_threshold.is_some() {
        n * (mesh + 1.0) * seen_rate * (g.idontwant_ttl.as_secs_f64() + hb) * IDONTWANT_ENTRY
    } else {
        0.0
    };
    let in_flight = in_flight(sc, g, seen_rate);
    let gossip = if g.gossip {
        n * (g.gossip_lazy as f64) * g.history_gossip as f64 * hb * seen_rate * GOSSIP_ID
    } else {
        0.0
    };
    let partitions = threads.max(1) as f64;
    let end = sc.end().as_secs_f64();
    let windows = (g.history_length as f64).min(end / hb + 1.0);
    Estimate {
        terms: vec![
            (
                "peers",
                n * (PEER_FIXED + conns * PER_CONNECTION + NODE_TABLES),
            ),
            (
                // The FIFO of entries, and a bitset over the indices of every message
                // published (any topic) within about one TTL.
                "seen cache",
                n * g.seen_ttl.as_secs_f64() * (seen_rate * SEEN_ENTRY + all_rate / 8.0 * 1.5),
            ),
            (
                // The windows a run opens (one per heartbeat, up to history_length; a deque
                // that doubles, and a window that held entries keeps room for four), and the
                // entries of the history, no longer than the run.
                "message cache",
                n * (windows * (2.0 * 24.0 + 32.0)
                    + seen_rate * (g.history_length as f64 * hb).min(end) * 8.0 * 2.0),
            ),
            ("idontwant lists", idontwant),
            ("gossip buffers", gossip),
            (
                // Per partition, and (several partitions) merged at the end.
                "counters",
                if threads > 1 { 2.0 } else { 1.0 }
                    * n
                    * Accounting::bytes_per_node(sc.traffic.len(), sc.topics.len()) as f64,
            ),
            ("events", n * 2.0 * EVENT + in_flight + timers(sc)),
            (
                "messages",
                total_msgs
                    * (MESSAGE + MESSAGE_STATS * (partitions + 1.0) + FORWARD_SIZE * partitions),
            ),
            (
                // A bit per node per message (which receivers had it), a pointer per
                // message per partition: kept to the end of the run.
                "delivery receipts",
                total_msgs * (n / 8.0 + 16.0 * partitions),
            ),
            (
                // Per partition, and the run's own.
                "delivery groups",
                (partitions + 1.0) * fillable_groups(sc) * delivery_group(sc),
            ),
            (
                "output files",
                n * output_per_node(sc, total_msgs, max_peers),
            ),
        ]
        .into_iter()
        .map(|(name, b)| (name, b * ALLOCATOR))
        .chain([("program", PROGRAM + THREAD * partitions)])
        .collect(),
    }
}

/// Connections per node: on average, and the most a node may have.
fn connections(sc: &Scenario) -> (f64, f64) {
    match &sc.topology {
        TopologySpec::RandomDial { .. } | TopologySpec::ShardAware { .. } => {
            // A node has its own dials plus about the mean dials of the others, up to its
            // cap; averaged over the classes by their shares.
            let dial = |c: &crate::scenario::NodeClass| {
                c.dial
                    .expect("validated: where nodes dial every class has its dials")
            };
            let total: f64 = sc.node_classes.iter().map(|c| c.share).sum();
            let mean_out: f64 = sc
                .node_classes
                .iter()
                .map(|c| c.share * f64::from(dial(c).0))
                .sum::<f64>()
                / total;
            let mean = sc
                .node_classes
                .iter()
                .map(|c| {
                    let (out, max) = dial(c);
                    c.share * (f64::from(out) + mean_out).min(f64::from(max))
                })
                .sum::<f64>()
                / total;
            let most = sc
                .node_classes
                .iter()
                .map(|c| f64::from(dial(c).1))
                .fold(0.0, f64::max);
            (mean, most)
        }
        TopologySpec::RandomRegular { .. }
        | TopologySpec::StaticMesh { .. }
        | TopologySpec::Replay { .. } => {
            let (mean, most) = sc
                .topology
                .degree(sc.nodes)
                .expect("a topology where nodes do not dial knows its degrees");
            (mean, f64::from(most))
        }
    }
}

/// Messages per second reaching an average node, and published on all topics. (A
/// publication sent in segments is that many messages.)
fn rates(sc: &Scenario) -> (f64, f64) {
    let n = f64::from(sc.nodes);
    let mut topic_rate = vec![0.0f64; sc.topics.len()];
    for t in &sc.traffic {
        topic_rate[t.topic.idx()] += messages_per_publication(t)
            * match t.per {
                Per::Node => t.rate.per_sec * f64::from(sc.selected(&t.publishers)),
                Per::Network => t.rate.per_sec,
            };
    }
    let seen_rate: f64 = sc
        .topics
        .iter()
        .enumerate()
        .zip(&topic_rate)
        .map(|((t, _), r)| r * f64::from(sc.subscribers(TopicId(t as u16))) / n)
        .sum();
    (seen_rate, topic_rate.iter().sum())
}

/// Bytes of the copies in flight at the busiest moment.
fn in_flight(sc: &Scenario, g: &GossipsubConfig, seen_rate: f64) -> f64 {
    let n = f64::from(sc.nodes);
    let mesh = g.mesh_n as f64;
    // Copies in flight: each node sends about D copies (and as many IDONTWANTs) of each
    // message it sees, each queued and on the wire for a few hundred milliseconds.
    let in_flight = n * seen_rate * (mesh + 1.0) * 0.5 * (2.0 * EVENT + FLIGHT);
    // A publication sent in segments is a burst of messages at one instant, which may all
    // be in flight at once: every node's copies to up to D_high peers of every segment.
    let burst = sc
        .traffic
        .iter()
        .filter_map(|t| t.segment.as_ref().map(|s| s.split(t.size.max()).count()))
        .max()
        .unwrap_or(0) as f64;
    in_flight + burst * n * (g.mesh_n_high as f64 + 1.0) * (2.0 * EVENT + FLIGHT)
}

/// Light clients' and store clients' requests in flight: a ping to each service, a query
/// per topic, each an event and a flight until its answer is back (the floors of their
/// periods, 1 s, keep that to about one each); and their timers.
fn timers(sc: &Scenario) -> f64 {
    sc.node_classes
        .iter()
        .map(|c| {
            let pings = c
                .role
                .light()
                .map_or(0.0, |l| f64::from(l.service_peers) + 1.0);
            let checks = c.store.as_ref().map_or(0.0, |_| {
                (c.topics.as_ref().map_or(sc.topics.len(), Vec::len) + 1) as f64
            });
            f64::from(c.count) * (pings + checks) * (2.0 * EVENT + FLIGHT)
        })
        .sum()
}

/// Delivery groups (topic × receiver class) that a node may fill: a class's listed topics,
/// relayed or followed, and for the classes that list none what each topic's rule may pick.
/// (A group is allocated at its first delivery.) Linear in classes and topics.
fn fillable_groups(sc: &Scenario) -> f64 {
    let classes = &sc.node_classes;
    let listed: usize = classes
        .iter()
        .filter(|c| c.count > 0)
        .map(|c| c.topics.as_ref().map_or(0, Vec::len) + c.role.light_topics().len())
        .sum();
    let pool = classes
        .iter()
        .filter(|c| c.count > 0 && c.topics.is_none())
        .count();
    let picked: usize = sc
        .topics
        .iter()
        .map(|t| match &t.subscribers {
            Selector::All => pool,
            Selector::Fraction(_) => {
                pool.min(crate::scenario::rule_picks(classes, &t.subscribers) as usize)
            }
            Selector::Classes(ks) => ks
                .iter()
                .filter(|&&k| classes[k].count > 0 && classes[k].topics.is_none())
                .count(),
        })
        .sum();
    (listed + picked) as f64
}

/// Messages one publication of `t` makes, on average (at most): one, or its segments
/// with their parity. The mean of ceil(payload / segment) is below mean / segment + 1;
/// a clamped log-normal's mean below its mean plus its floor.
fn messages_per_publication(t: &crate::scenario::TrafficClass) -> f64 {
    let Some(seg) = &t.segment else {
        return 1.0;
    };
    if let crate::scenario::SizeDist::Fixed(v) = t.size {
        return seg.split(v).count() as f64;
    }
    let mean = match &t.size {
        crate::scenario::SizeDist::LogNormal { min, max, .. } => {
            (t.size.mean() + *min as f64).min(*max as f64)
        }
        d => d.mean(),
    };
    (mean / seg.size.max(1) as f64 + 1.0) * (1.0 + seg.parity)
}

/// Bytes of one node's rows in the rendered files, on average: a `bandwidth.csv` row per
/// counter it can fill, a `mesh.csv` row per topic. A node counts the messages of the
/// topics it is in (relayed or followed), no more than the run's messages, and per topic
/// what it and its peers (at most `max_peers`) are in.
fn output_per_node(sc: &Scenario, total_msgs: f64, max_peers: f64) -> f64 {
    let longest = |names: &mut dyn Iterator<Item = usize>| names.max().unwrap_or(0) as f64;
    let class_name = longest(&mut sc.traffic.iter().map(|t| t.name.len()));
    let topic_name = longest(&mut sc.topics.iter().map(|t| t.name.len()));
    let n = f64::from(sc.nodes);
    let topics = sc.topics.len() as f64;
    // Nodes in each topic, relaying or following by filter.
    let mut members: Vec<f64> = (0..sc.topics.len())
        .map(|t| f64::from(sc.subscribers(TopicId(t as u16))))
        .collect();
    for c in &sc.node_classes {
        for t in c.role.light_topics() {
            members[t.idx()] += f64::from(c.count);
        }
    }
    let mut classes_on = vec![0.0f64; sc.topics.len()];
    for t in &sc.traffic {
        classes_on[t.topic.idx()] += 1.0;
    }
    let class_seen: f64 = members
        .iter()
        .zip(&classes_on)
        .map(|(m, c)| m * c)
        .sum::<f64>()
        / n;
    let topics_in = members.iter().sum::<f64>() / n;
    let light = sc.node_classes.iter().any(|c| c.role.light().is_some());
    let kinds = CLASS_KINDS + if light { LIGHT_CLASS_KINDS } else { 0.0 };
    let class_rows = kinds
        * (sc.traffic.len() as f64)
            .min(class_seen)
            .min(total_msgs.max(1.0));
    let topic_rows = TOPIC_KINDS * topics.min(topics_in * (max_peers + 1.0));
    let rows = class_rows + topic_rows + 4.0;
    OUTPUT_PER_NODE
        + rows * (BANDWIDTH_ROW + class_name + topic_name)
        + topics * (MESH_ROW + topic_name)
}

/// A run refused for memory: what it would need against what it may use.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{scenario}: {nodes} node(s) need an estimated {need}{runs} ({terms}), more than the {limit_of} of {limit}; use fewer nodes, a shorter run, or more memory")]
pub struct MemoryRefused {
    pub scenario: String,
    pub nodes: u32,
    /// All sizes as `gib` writes them.
    pub need: String,
    /// " for N runs at once", or empty for one.
    pub runs: String,
    /// The terms of at least 5% of one run's estimate.
    pub terms: String,
    /// "--memory-limit", "available memory", or the cgroup or RLIMIT_AS limit.
    pub limit_of: &'static str,
    pub limit: String,
}

/// Refuses, before anything is built, a run whose estimated peak memory (`runs` at once)
/// exceeds `limit` (default: the memory available now). Returns the estimate of one run.
pub fn check(
    sc: &Scenario,
    threads: usize,
    runs: usize,
    limit: Option<u64>,
) -> Result<u64, Box<MemoryRefused>> {
    let est = estimate(sc, threads);
    let total = est.total();
    let need = total.saturating_mul(runs as u64);
    let (limit, limit_of) = match limit {
        Some(l) => (l, "--memory-limit"),
        None => match available_memory() {
            Some(a) => a,
            None => return Ok(total),
        },
    };
    if need > limit {
        let terms: Vec<String> = est
            .terms
            .iter()
            .filter(|t| t.1 >= 0.05 * total as f64)
            .map(|(name, b)| format!("{name} {}", gib(*b as u64)))
            .collect();
        return Err(Box::new(MemoryRefused {
            scenario: sc.name.clone(),
            nodes: sc.nodes,
            need: gib(need),
            runs: if runs > 1 {
                format!(" for {runs} runs at once")
            } else {
                String::new()
            },
            terms: terms.join(", "),
            limit_of,
            limit: gib(limit),
        }));
    }
    Ok(total)
}

/// Bytes as GiB with two decimals.
pub fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_str;

    fn scenario(body: &str) -> Scenario {
        let src = format!("nodes = 200\n[time]\nwarmup = \"1s\"\nduration = \"1min\"\n{body}");
        parse_str(&src, "t.toml", "t", None).expect("a valid scenario")
    }

    fn topics(n: usize) -> String {
        (0..n)
            .map(|i| format!("[[topic]]\nname = \"t{i}\"\n"))
            .collect()
    }

    /// A group exists where a node can fill it: classes listing one topic each fill one
    /// group each; classes in every topic fill topics × classes of them.
    #[test]
    fn delivery_groups_are_those_a_node_can_fill() {
        let listed: String = (0..40)
            .map(|i| {
                format!(
                    "[[node_class]]\nname = \"c{i}\"\ntopics = [\"t{}\"]\n",
                    i % 20
                )
            })
            .collect();
        assert_eq!(fillable_groups(&scenario(&(topics(20) + &listed))), 40.0);
        let everywhere: String = (0..4)
            .map(|i| format!("[[node_class]]\nname = \"c{i}\"\n"))
            .collect();
        assert_eq!(fillable_groups(&scenario(&(topics(5) + &everywhere))), 20.0);
    }

    /// A segmented publication is its segments and parity; a publication of a size up to
    /// one segment is one message.
    #[test]
    fn a_segmented_publication_counts_as_its_messages() {
        let traffic = |size: &str| {
            let sc = scenario(&format!("[[traffic]]\nclass = \"file\"\nrate = \"1/s\"\nper = \"network\"\nsize = {size}\nsegment = \"4KB\"\nparity = 0.125\n"));
            messages_per_publication(&sc.traffic[0])
        };
        // 128 data segments and 16 parity ones.
        assert_eq!(traffic("\"512KB\""), 144.0);
        assert_eq!(traffic("\"4KB\""), 1.0);
        // A distribution: at least its mean in segments, plus parity.
        let mean = traffic("{ dist = \"uniform\", min = \"1KB\", max = \"1023KB\" }");
        assert!(mean >= 128.0 * 1.125, "{mean}");
    }

    /// Output rows follow what a node sees: many topics with one class each cost a node the
    /// rows of its own topics, not of every class in the run.
    #[test]
    fn output_rows_follow_the_topics_a_node_is_in() {
        let traffic: String = (0..100)
            .map(|i| format!("[[traffic]]\nclass = \"c{i}\"\ntopic = \"t{i}\"\nrate = \"1/s\"\nper = \"network\"\nsize = \"2000B\"\n"))
            .collect();
        let own = |subscribers: &str| {
            let ts: String = (0..100)
                .map(|i| format!("[[topic]]\nname = \"t{i}\"\nsubscribers = {subscribers}\n"))
                .collect();
            let sc = scenario(&(ts + &traffic));
            output_per_node(&sc, 1e6, 20.0)
        };
        let (few, all) = (own("{ fraction = 0.01 }"), own("\"all\""));
        assert!(few * 5.0 < all, "{few} vs {all}");
    }
}
