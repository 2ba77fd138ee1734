//! World building for light clients and store clients: which service nodes each light
//! client uses (drawn within the services' filter slots), which store node each store
//! client asks, the links to them and their latencies, and each partition's light
//! clients, services, store clients and stores. Its own streams, so that a scenario's
//! relays draw the same with these as without.

use super::streams::Stream;
use super::waku::WakuLinks;
use super::SimError;
use crate::ids::{PeerId, SimTime, TopicId};
use crate::net::{latency, Links};
use crate::protocol::waku::{LightClient, Service, Store, StoreClient, WakuNode};
use crate::rng::Streams;
use crate::scenario::Scenario;
use rand::Rng;
use std::collections::BTreeMap;

/// Each node's service nodes (a light client's; empty for a relay), drawn client by client
/// in id order among its service class's nodes with a filter slot left.
pub(super) fn assign(
    sc: &Scenario,
    node_class: &[u16],
    st: &Streams,
) -> Result<Vec<Vec<PeerId>>, SimError> {
    let n = sc.nodes as usize;
    let mut out = vec![Vec::new(); n];
    if !sc.has_waku() {
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
        .map(|&c| sc.node_classes[usize::from(c)].role.filter_slots())
        .collect();
    for v in 0..n {
        let class = &sc.node_classes[usize::from(node_class[v])];
        let Some(&l) = class.role.light() else {
            continue;
        };
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

/// A link: its two ends and its one-way latency.
type LinkSpec = (u32, u32, SimTime);

/// Each store client's store node, drawn uniformly among its store class's nodes, client
/// by client in id order.
pub(super) fn stores(sc: &Scenario, node_class: &[u16], st: &Streams) -> Vec<Option<PeerId>> {
    let mut rng = Stream::StorePeers.of(st, 0);
    let mut of_class: Vec<Vec<u32>> = vec![Vec::new(); sc.node_classes.len()];
    for (v, &c) in node_class.iter().enumerate() {
        of_class[usize::from(c)].push(v as u32);
    }
    node_class
        .iter()
        .map(|&c| {
            let q = sc.node_classes[usize::from(c)].store?;
            let pool = &of_class[q.store];
            Some(PeerId(pool[rng.gen_range(0..pool.len())]))
        })
        .collect()
}

/// The links light clients reach their services over and store clients their stores:
/// the relay connection's where the two are connected already (a relay class with light
/// topics may be a neighbour of its service), else a link of their own with its own
/// latency draw (drawn either way, so that one pair's reuse moves no other's draw).
/// Returns every such link, for the light rows, and those `relay` lacks.
pub(super) fn links(
    sc: &Scenario,
    services: &[Vec<PeerId>],
    stores: &[Option<PeerId>],
    relay: &Links,
    region: &[u16],
    st: &Streams,
) -> (Vec<LinkSpec>, Vec<LinkSpec>) {
    let (mut rows, mut fresh) = (Vec::new(), Vec::new());
    let mut add = |c: usize, s: PeerId, rng: &mut crate::rng::SimRng| {
        let drawn = latency::sample(&sc.latency, region[c], region[s.idx()], rng);
        let lat = relay.latency(PeerId(c as u32), s).unwrap_or_else(|| {
            fresh.push((c as u32, s.0, drawn));
            drawn
        });
        rows.push((c as u32, s.0, lat));
    };
    let mut rng = Stream::ServiceLatency.of(st, 0);
    for (c, ss) in services.iter().enumerate() {
        for &s in ss {
            add(c, s, &mut rng);
        }
    }
    let mut rng = Stream::StoreLatency.of(st, 0);
    for (c, s) in stores.iter().enumerate() {
        // A store that is also a service of the client is asked over that link.
        if let Some(s) = s.filter(|s| !services[c].contains(s)) {
            add(c, s, &mut rng);
        }
    }
    (rows, fresh)
}

/// Each node's service and store links, (other end, latency) sorted by the other end
/// (empty without light or store clients).
pub(super) fn rows(sc: &Scenario, links: &[(u32, u32, SimTime)]) -> Vec<Vec<(PeerId, SimTime)>> {
    if !sc.has_waku() {
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

/// Who each node is to the request-response protocols.
pub(super) struct Roles<'a> {
    pub node_class: &'a [u16],
    pub subscribed: &'a [Vec<bool>],
    /// A light client's service nodes.
    pub services: &'a [Vec<PeerId>],
    /// Whether a node serves a light client.
    pub serves: &'a [bool],
    /// A store client's store node.
    pub stores: &'a [Option<PeerId>],
    /// Per store node: its clients and the page size each asks for.
    pub limits: &'a BTreeMap<PeerId, Vec<(PeerId, u32)>>,
}

/// Per store node: its clients and the page size each asks for.
pub(super) fn limits(
    sc: &Scenario,
    node_class: &[u16],
    stores: &[Option<PeerId>],
) -> BTreeMap<PeerId, Vec<(PeerId, u32)>> {
    let mut out: BTreeMap<PeerId, Vec<(PeerId, u32)>> = BTreeMap::new();
    for (c, s) in stores.iter().enumerate() {
        if let (Some(s), Some(q)) = (s, sc.node_classes[usize::from(node_class[c])].store) {
            out.entry(*s).or_default().push((PeerId(c as u32), q.page));
        }
    }
    out
}

/// Whether each node is some light client's service node.
pub(super) fn serving(n: usize, services: &[Vec<PeerId>]) -> Vec<bool> {
    let mut out = vec![false; n];
    for s in services.iter().flatten() {
        out[s.idx()] = true;
    }
    out
}

/// The Waku machines of `nodes` (one partition's, in id order; `None` for a node that runs
/// none): each light client with its services, topics and first ping; each node that
/// serves a client with its service; each store client with its store, topics and first
/// check; each store node with its archive. With them, their links, taken from `rows`.
pub(super) fn waku_nodes(
    sc: &Scenario,
    nodes: &[PeerId],
    who: &Roles<'_>,
    rows: &mut [Vec<(PeerId, SimTime)>],
    st: &Streams,
) -> (Vec<Option<WakuNode>>, WakuLinks) {
    if !sc.has_waku() {
        return (nodes.iter().map(|_| None).collect(), WakuLinks::default());
    }
    let (mut machines, mut out) = (Vec::new(), WakuLinks::default());
    for &v in nodes {
        let class = &sc.node_classes[usize::from(who.node_class[v.idx()])];
        let topics: Vec<TopicId> = (0..sc.topics.len())
            .filter(|&t| who.subscribed[t][v.idx()])
            .map(|t| TopicId(t as u16))
            .collect();
        let client = class.role.light().map(|l| {
            let first = Stream::LightPhase
                .of(st, u64::from(v.0))
                .gen_range(0..l.filter_ping.0.max(1));
            LightClient::new(
                who.services[v.idx()].clone(),
                topics
                    .iter()
                    .filter(|&&t| !class.relays_on(t))
                    .map(|&t| (t, sc.content_topics[t.idx()]))
                    .collect(),
                l.lightpush_peers as usize,
                l.filter_ping,
                SimTime(first),
            )
        });
        let store_client = class.store.zip(who.stores[v.idx()]).map(|(q, s)| {
            let first = Stream::StorePhase
                .of(st, u64::from(v.0))
                .gen_range(0..q.interval.0.max(1));
            StoreClient::new(s, topics.clone(), q.interval, SimTime(first))
        });
        let store = class.role.retention().map(|retention| {
            let own = class.topics.as_deref().unwrap_or_default();
            let limits = who.limits.get(&v).cloned().unwrap_or_default();
            Store::new(sc.topics.len(), own, retention, limits)
        });
        let w = WakuNode {
            client,
            service: who.serves[v.idx()].then(|| Service::new(sc.topics.len())),
            store_client,
            store,
        };
        machines.push(w.runs_any().then_some(w));
        out.served.push((0, 0));
        out.links.push(std::mem::take(&mut rows[v.idx()]));
    }
    (machines, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A service or store that is a relay neighbour is reached over that connection (its
    /// latency, no second link); the others get links of their own.
    #[test]
    fn relay_neighbours_are_reached_over_their_connection() {
        let sc = crate::scenario::parse_str(
            "nodes = 4\n[topology]\noutbound = 1\n[[traffic]]\nclass = \"c\"\nrate = \"1/hour\"\nsize = \"10B\"\n",
            "s.toml",
            "s",
            None,
        )
        .unwrap();
        let relay = Links::new(4, &[(0, 1, SimTime(7)), (2, 3, SimTime(9))]);
        let services = vec![vec![PeerId(1), PeerId(2)], vec![], vec![], vec![]];
        let stores = vec![Some(PeerId(2)), None, None, Some(PeerId(2))];
        let (rows, fresh) = links(&sc, &services, &stores, &relay, &[0; 4], &Streams::new(1));
        assert_eq!(rows.len(), 3, "0-1 and 0-2 (also 0's store), 3-2");
        assert_eq!(rows[0], (0, 1, SimTime(7)));
        assert_eq!(rows[2], (3, 2, SimTime(9)));
        assert_eq!(fresh, vec![rows[1]], "only 0-2 is new");
    }
}
