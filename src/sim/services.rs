//! World building for light clients: which service nodes each client uses (drawn within
//! the services' filter slots), the service links and their latencies, and each
//! partition's light clients and services. Its own streams, so that a scenario's relays
//! draw the same with light clients as without.

use super::build::Stream;
use super::light::LightNodes;
use super::SimError;
use crate::ids::{PeerId, SimTime, TopicId};
use crate::net::latency;
use crate::protocol::waku::{LightClient, Service};
use crate::rng::Streams;
use crate::scenario::{Role, Scenario};
use rand::Rng;

/// Each node's service nodes (a light client's; empty for a relay), drawn client by client
/// in id order among its service class's nodes with a filter slot left.
pub(super) fn assign(
    sc: &Scenario,
    node_class: &[u16],
    st: &Streams,
) -> Result<Vec<Vec<PeerId>>, SimError> {
    let n = sc.nodes as usize;
    let mut out = vec![Vec::new(); n];
    if !sc.has_light() {
        return Ok(out);
    }
    let mut rng = Stream::ServicePeers.of(st, 0);
    // Per service class: its nodes with a slot left, and each node's slots left.
    let mut open: Vec<Vec<u32>> = vec![Vec::new(); sc.node_classes.len()];
    for (v, &c) in node_class.iter().enumerate() {
        open[usize::from(c)].push(v as u32);
    }
    let mut left: Vec<u32> = node_class
        .iter()
        .map(|&c| sc.node_classes[usize::from(c)].filter_slots)
        .collect();
    for v in 0..n {
        let class = &sc.node_classes[usize::from(node_class[v])];
        let Some(l) = class.light else { continue };
        let pool = &mut open[l.service];
        let mut mine: Vec<PeerId> = Vec::with_capacity(l.service_peers as usize);
        while mine.len() < l.service_peers as usize {
            let Some(i) = pick(pool, &mine, &mut rng) else {
                return Err(SimError::Service(format!(
                    "node {v} of class \"{}\" finds no service node of class \"{}\" with a free filter slot that it does not use already",
                    class.name, sc.node_classes[l.service].name
                )));
            };
            let s = pool[i];
            mine.push(PeerId(s));
            left[s as usize] -= 1;
            if left[s as usize] == 0 {
                pool.swap_remove(i);
            }
        }
        mine.sort_unstable();
        out[v] = mine;
    }
    Ok(out)
}

/// A random index of `pool` whose node is not in `mine`: a few blind draws (`mine` is a
/// handful among many), then a draw among those left.
fn pick(pool: &[u32], mine: &[PeerId], rng: &mut crate::rng::SimRng) -> Option<usize> {
    if pool.is_empty() {
        return None;
    }
    for _ in 0..32 {
        let i = rng.gen_range(0..pool.len());
        if !mine.contains(&PeerId(pool[i])) {
            return Some(i);
        }
    }
    let free: Vec<usize> = (0..pool.len())
        .filter(|&i| !mine.contains(&PeerId(pool[i])))
        .collect();
    (!free.is_empty()).then(|| free[rng.gen_range(0..free.len())])
}

/// Each (client, service) link with its one-way latency, in client order.
pub(super) fn links(
    sc: &Scenario,
    services: &[Vec<PeerId>],
    region: &[u16],
    st: &Streams,
) -> Vec<(u32, u32, SimTime)> {
    let mut rng = Stream::ServiceLatency.of(st, 0);
    services
        .iter()
        .enumerate()
        .flat_map(|(c, ss)| ss.iter().map(move |s| (c as u32, s.0)))
        .map(|(c, s)| {
            let (rc, rs) = (region[c as usize], region[s as usize]);
            (c, s, latency::sample(&sc.latency, rc, rs, &mut rng))
        })
        .collect()
}

/// Each node's service links, (other end, latency) sorted by the other end (empty without
/// light clients).
pub(super) fn rows(sc: &Scenario, links: &[(u32, u32, SimTime)]) -> Vec<Vec<(PeerId, SimTime)>> {
    if !sc.has_light() {
        return Vec::new();
    }
    let mut by_node: Vec<Vec<(PeerId, SimTime)>> = vec![Vec::new(); sc.nodes as usize];
    for &(c, s, lat) in links {
        by_node[c as usize].push((PeerId(s), lat));
        by_node[s as usize].push((PeerId(c), lat));
    }
    for row in &mut by_node {
        row.sort_unstable_by_key(|l| l.0);
    }
    by_node
}

/// The light clients and services among `nodes` (one partition's, in id order): each
/// client with its services, topics and first ping; each node that serves a client with its
/// service; their service links, taken from `rows`.
pub(super) fn light_nodes(
    sc: &Scenario,
    nodes: &[PeerId],
    node_class: &[u16],
    subscribed: &[Vec<bool>],
    rows: &mut [Vec<(PeerId, SimTime)>],
    st: &Streams,
) -> LightNodes {
    if !sc.has_light() {
        return LightNodes::default();
    }
    // Content topics per topic: one per application class published there.
    let mut content = vec![0u16; sc.topics.len()];
    for t in &sc.traffic {
        content[t.topic.idx()] += 1;
    }
    let mut out = LightNodes::default();
    for &v in nodes {
        let class = &sc.node_classes[usize::from(node_class[v.idx()])];
        let row = std::mem::take(&mut rows[v.idx()]);
        let client = class.light.map(|l| {
            let topics = (0..sc.topics.len())
                .filter(|&t| subscribed[t][v.idx()])
                .map(|t| (TopicId(t as u16), content[t].max(1)))
                .collect();
            let first = Stream::LightPhase
                .of(st, u64::from(v.0))
                .gen_range(0..l.filter_ping.0.max(1));
            LightClient::new(
                row.iter().map(|x| x.0).collect(),
                topics,
                l.lightpush_peers as usize,
                l.filter_ping,
                SimTime(first),
            )
        });
        let serves = class.role == Role::Relay && !row.is_empty();
        out.service
            .push(serves.then(|| Service::new(sc.topics.len())));
        out.client.push(client);
        out.links.push(row);
    }
    out
}
