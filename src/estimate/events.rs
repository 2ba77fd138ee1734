//! Events a run will process, estimated before it starts from the scenario alone, term by
//! term: the copies of each message every node in its topic receives, the IDONTWANTs it
//! answers them with, every node's heartbeats and the gossip they send, light clients'
//! pushes, pings and lightpushes, and store checks. With a rate of events per second of wall
//! clock it says how long a run takes, so that `validate` shows what a scenario costs in time
//! beside what it costs in memory. Reads the scenario only.

use crate::ids::TopicId;
use crate::protocol::gossipsub::GossipsubConfig;
use crate::scenario::{Per, Scenario};

/// Events per RPC that crosses a link: its first byte arriving and its last. A copy of a
/// message already seen, an IDONTWANT and an IHAVE are settled at their first byte
/// (`sim/shortcuts.rs`), one event; a first copy takes two and its validation one more.
const PER_RPC: f64 = 2.0;
const SETTLED: f64 = 1.0;
const FIRST_COPY: f64 = 2.0;
/// Events per request/response exchange (a ping, a lightpush, a store query): two RPCs.
const PER_EXCHANGE: f64 = 2.0 * PER_RPC;
/// Wall-clock nanoseconds per event on one thread on the 2-core VM the README's
/// "Performance" tables were measured on (its measured range is 150-630 ns).
pub const NS_PER_EVENT: f64 = 400.0;
/// The speed-up of a second thread measured there (1.6-1.9); more threads are taken at the
/// same rate per doubling.
const SPEEDUP_PER_DOUBLING: f64 = 1.7;

/// An estimate of the events of a run, term by term.
#[derive(Debug, Clone)]
pub struct EventEstimate {
    pub terms: Vec<(&'static str, f64)>,
}

impl EventEstimate {
    pub fn total(&self) -> f64 {
        self.terms.iter().map(|t| t.1).sum()
    }

    /// Seconds of wall clock on `threads` threads at [`NS_PER_EVENT`].
    pub fn wall_seconds(&self, threads: usize) -> f64 {
        let speedup = SPEEDUP_PER_DOUBLING.powf((threads.max(1) as f64).log2());
        self.total() * NS_PER_EVENT * 1e-9 / speedup
    }
}

/// The events of a run of `sc`: a central estimate (not a bound), each class's gossipsub
/// parameters weighted by its share of the nodes.
pub fn events(sc: &Scenario) -> EventEstimate {
    let total: f64 = sc.node_classes.iter().map(|c| f64::from(c.count)).sum();
    if sc.node_classes.is_empty() || total == 0.0 {
        return events_with(sc, &sc.gossipsub);
    }
    let mut terms: Vec<(&'static str, f64)> = Vec::new();
    for c in &sc.node_classes {
        let w = f64::from(c.count) / total;
        for (i, (name, x)) in events_with(sc, &c.gossipsub).terms.into_iter().enumerate() {
            match terms.get_mut(i) {
                Some(t) => t.1 += w * x,
                None => terms.push((name, w * x)),
            }
        }
    }
    EventEstimate { terms }
}

fn events_with(sc: &Scenario, g: &GossipsubConfig) -> EventEstimate {
    let end = sc.end().as_secs_f64();
    let n = f64::from(sc.nodes);
    let d = g.mesh_n as f64;
    // Messages over the run on each topic (a publication in segments is that many), and the
    // size of one, for the IDONTWANT threshold.
    let mut published = 0.0;
    let mut receptions = 0.0;
    let mut idontwants = 0.0;
    let mut pushes = 0.0;
    let mut lightpushes = 0.0;
    for t in &sc.traffic {
        let publishers = f64::from(sc.selected(&t.publishers));
        let per_sec = match t.per {
            Per::Node => t.rate.per_sec * publishers,
            Per::Network => t.rate.per_sec,
        };
        // Its window [start, stop), within the run.
        let stop = t
            .stop
            .map_or(end, crate::ids::SimTime::as_secs_f64)
            .min(end);
        let active = stop - t.start.as_secs_f64();
        let msgs = per_sec * active.max(0.0) * super::messages_per_publication(t);
        let relays = f64::from(sc.relays_in(t.topic));
        let followers = f64::from(sc.subscribers(t.topic)) - relays;
        published += msgs;
        // Each relay takes about D copies, one of them first.
        receptions += msgs * relays * (d * SETTLED + FIRST_COPY);
        if g.idontwant_threshold.is_some_and(|th| t.size.max() > th) {
            idontwants += msgs * relays * d * SETTLED;
        }
        let light = light_of(sc, t.topic);
        pushes += msgs * followers * light.0 * PER_RPC;
        // Light publishers send each publication to their lightpush peers.
        lightpushes +=
            msgs * (1.0 - relays / (relays + followers).max(1.0)) * light.1 * PER_EXCHANGE;
    }
    let hb = g.heartbeat_interval.as_secs_f64();
    let beats = n * end / hb;
    // Each heartbeat may send IHAVE to D_lazy peers (when there is something to advertise).
    let gossip = if g.gossip {
        beats * g.gossip_lazy as f64 * SETTLED
    } else {
        0.0
    };
    let mut pings = 0.0;
    let mut checks = 0.0;
    for c in &sc.node_classes {
        let count = f64::from(c.count);
        if let Some(l) = c.role.light() {
            pings += count * f64::from(l.service_peers) * end / l.filter_ping.as_secs_f64()
                * PER_EXCHANGE;
        }
        if let Some(s) = &c.store {
            let topics =
                c.topics.as_ref().map_or(sc.topics.len(), Vec::len) + c.role.light_topics().len();
            checks += count * topics as f64 * end / s.interval.as_secs_f64() * PER_EXCHANGE;
        }
    }
    EventEstimate {
        terms: vec![
            ("publications", published),
            ("copies received", receptions),
            ("idontwant", idontwants),
            ("heartbeats", beats),
            ("gossip", gossip),
            ("filter pushes", pushes),
            ("lightpushes", lightpushes),
            ("filter pings", pings),
            ("store checks", checks),
        ],
    }
}

/// For topic `t`: the most service peers a light follower of it has, and the most
/// lightpush peers (0 where nobody follows it by filter).
fn light_of(sc: &Scenario, t: TopicId) -> (f64, f64) {
    sc.node_classes
        .iter()
        .filter(|c| c.count > 0)
        .filter_map(|c| c.role.light().filter(|_| !c.relays_on(t)))
        .fold((0.0, 0.0), |(s, p), l| {
            (
                s.max(f64::from(l.service_peers)),
                p.max(f64::from(l.lightpush_peers)),
            )
        })
}

/// A number of events as people say it (1.2 M, 3.4 B).
pub fn fmt_count(x: f64) -> String {
    match x {
        x if x >= 1e9 => format!("{:.1} B", x / 1e9),
        x if x >= 1e6 => format!("{:.1} M", x / 1e6),
        x if x >= 1e3 => format!("{:.1} K", x / 1e3),
        x => format!("{x:.0}"),
    }
}

/// Seconds as people say them (45 s, 12 min, 3.2 h).
pub fn fmt_wall(s: f64) -> String {
    match s {
        s if s >= 7200.0 => format!("{:.1} h", s / 3600.0),
        s if s >= 120.0 => format!("{:.0} min", s / 60.0),
        s if s >= 10.0 => format!("{s:.0} s"),
        s => format!("{s:.1} s"),
    }
}
