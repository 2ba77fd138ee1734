//! Connection graphs: `random_dial` (nwaku-like: dial `outbound` random peers, accept inbound
//! while under `max_connections`), `shard_aware` (nwaku's sharded peer management: dials per
//! shard a node is in, among that shard's nodes), random `d`-regular graphs (also the static
//! mesh), and a replayed list of connections (`file`). Owns graph construction and its
//! connectivity report; knows nothing of gossipsub: shards are groups of nodes here.

use crate::rng::SimRng;
use petgraph::graph::UnGraph;
use rand::Rng;
use std::sync::Arc;

/// How nodes connect.
#[derive(Debug, Clone, PartialEq)]
pub enum TopologySpec {
    /// Each node dials `outbound` random peers; a node accepts inbound connections while it
    /// has fewer than `max_connections`.
    RandomDial { outbound: u32, max_connections: u32 },
    /// As nwaku's sharded peer manager keeps them: for each shard it is in, a node dials
    /// `outbound / shards` (at least one) random peers of that shard, counting the peers it
    /// already dialled there; it dials nobody outside its shards, so a node in no shard has
    /// no connection. Acceptance as with `RandomDial`.
    ShardAware { outbound: u32, max_connections: u32 },
    /// A random `degree`-regular graph.
    RandomRegular { degree: u32 },
    /// A random `degree`-regular graph whose edges are the mesh: no GRAFT/PRUNE.
    StaticMesh { degree: u32 },
    /// These connections, (dialer, listener), opened in this order (a real network's, or a
    /// run's own: `gossipsim topology`). Checked by [`check_edges`].
    Replay { edges: Arc<Vec<(u32, u32)>> },
}

/// An undirected connection graph; each edge remembers who dialled.
#[derive(Debug, Clone)]
pub struct Graph {
    pub nodes: u32,
    /// (dialer, listener).
    pub edges: Vec<(u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TopologyError {
    #[error("topology: could not build a {degree}-regular graph on {nodes} nodes after {tries} attempts")]
    Regular { nodes: u32, degree: u32, tries: u32 },
}

impl TopologySpec {
    /// Every node's (outbound, max_connections) for the topologies where nodes dial.
    pub fn dials(&self) -> Option<(u32, u32)> {
        match *self {
            TopologySpec::RandomDial {
                outbound,
                max_connections,
            }
            | TopologySpec::ShardAware {
                outbound,
                max_connections,
            } => Some((outbound, max_connections)),
            TopologySpec::RandomRegular { .. }
            | TopologySpec::StaticMesh { .. }
            | TopologySpec::Replay { .. } => None,
        }
    }

    /// Every node's (mean, most) connections, as far as the spec says before a graph is
    /// drawn (`None` where nodes dial: their classes' dials say).
    pub fn degree(&self, nodes: u32) -> Option<(f64, u32)> {
        match self {
            TopologySpec::RandomDial { .. } | TopologySpec::ShardAware { .. } => None,
            TopologySpec::RandomRegular { degree } | TopologySpec::StaticMesh { degree } => {
                Some((f64::from(*degree), *degree))
            }
            TopologySpec::Replay { edges } => {
                let g = Graph {
                    nodes,
                    edges: edges.to_vec(),
                };
                let most = g.degrees().into_iter().max().unwrap_or(0);
                Some((2.0 * edges.len() as f64 / f64::from(nodes.max(1)), most))
            }
        }
    }
}

/// Where a list of connections is at fault (the connection's position; none for the whole
/// list), and why.
pub type EdgeFault = (Option<usize>, String);

/// Checks a list of connections (dialer, listener) on `nodes` nodes: each end a node,
/// no node connected to itself, no two connections between the same nodes (either
/// direction: one connection carries both ways), every node connected (a node the list
/// never names would take no part). A refusal gives the position of the connection at
/// fault in the list (0-based; none for a fault of the whole list) and why; `at` names a
/// position in the words of where the list came from (a file's line, a key's index).
pub fn check_edges(
    nodes: u32,
    edges: &[(u64, u64)],
    at: impl Fn(usize) -> String,
) -> Result<Vec<(u32, u32)>, EdgeFault> {
    let fault = |i: usize, msg: String| Err((Some(i), msg));
    let mut out = Vec::with_capacity(edges.len());
    for (i, &(a, b)) in edges.iter().enumerate() {
        for (end, v) in [("dialer", a), ("listener", b)] {
            if v >= u64::from(nodes) {
                return fault(
                    i,
                    format!("{end} {v} is not a node (nodes are 0 to {})", nodes - 1),
                );
            }
        }
        if a == b {
            return fault(i, format!("node {a} connects to itself"));
        }
        out.push((a as u32, b as u32));
    }
    // Duplicates: sort the unordered pairs with their positions; neighbours that agree
    // are the same connection twice. The later one is named, with the first.
    let mut pairs: Vec<((u32, u32), usize)> = out
        .iter()
        .enumerate()
        .map(|(i, &(a, b))| ((a.min(b), a.max(b)), i))
        .collect();
    pairs.sort_unstable();
    if let Some(w) = pairs
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .min_by_key(|w| w[1].1)
    {
        let ((a, b), first) = w[0];
        return fault(
            w[1].1,
            format!(
                "nodes {a} and {b} are connected twice (first at {})",
                at(first)
            ),
        );
    }
    let g = Graph { nodes, edges: out };
    if let Some(v) = g.degrees().iter().position(|&d| d == 0) {
        return Err((
            None,
            format!(
                "node {v} has no connection ({} connections on {nodes} nodes: a node the list never names takes no part)",
                g.edges.len()
            ),
        ));
    }
    Ok(g.edges)
}

/// Which shards (groups) each node is in: `of_node[v]` sorted, `members[s]` sorted.
#[derive(Debug, Clone, Default)]
pub struct Shards {
    pub of_node: Vec<Vec<u16>>,
    pub members: Vec<Vec<u32>>,
}

impl Shards {
    /// From one membership mask per shard.
    pub fn from_masks(nodes: u32, masks: &[Vec<bool>]) -> Shards {
        let mut of_node = vec![Vec::new(); nodes as usize];
        let members = masks
            .iter()
            .enumerate()
            .map(|(s, mask)| {
                (0..nodes)
                    .filter(|&v| mask[v as usize])
                    .inspect(|&v| of_node[v as usize].push(s as u16))
                    .collect()
            })
            .collect();
        Shards { of_node, members }
    }

    fn has(&self, v: u32, s: u16) -> bool {
        self.of_node[v as usize].binary_search(&s).is_ok()
    }
}

impl Graph {
    /// Connected components among `members` (sorted) over the edges between them: how
    /// many pieces a shard's nodes make of their own connections (0 without members).
    pub fn components_among(&self, members: &[u32]) -> usize {
        let inside = |v: u32| members.binary_search(&v).is_ok();
        let idx = |v: u32| members.binary_search(&v).expect("a member");
        let mut uf = petgraph::unionfind::UnionFind::<usize>::new(members.len());
        for &(a, b) in &self.edges {
            if inside(a) && inside(b) {
                uf.union(idx(a), idx(b));
            }
        }
        let mut roots: Vec<usize> = (0..members.len()).map(|i| uf.find(i)).collect();
        roots.sort_unstable();
        roots.dedup();
        roots.len()
    }

    pub fn degrees(&self) -> Vec<u32> {
        let mut d = vec![0u32; self.nodes as usize];
        for &(a, b) in &self.edges {
            d[a as usize] += 1;
            d[b as usize] += 1;
        }
        d
    }

    /// Number of connected components (petgraph).
    pub fn components(&self) -> usize {
        let mut g = UnGraph::<(), ()>::with_capacity(self.nodes as usize, self.edges.len());
        for _ in 0..self.nodes {
            g.add_node(());
        }
        g.extend_with_edges(self.edges.iter().map(|&(a, b)| (a, b)));
        petgraph::algo::connected_components(&g)
    }
}

/// The graph of `spec` on `nodes` nodes. `dial`: where nodes dial, each node's own
/// (outbound, max_connections) where they differ by node (empty: the spec's for all);
/// `shards`: who is in which shard (read by `shard_aware` only).
pub fn build(
    spec: &TopologySpec,
    nodes: u32,
    dial: &[(u32, u32)],
    shards: &Shards,
    rng: &mut SimRng,
) -> Result<Graph, TopologyError> {
    let limits = |v: u32| {
        dial.get(v as usize)
            .copied()
            .or(spec.dials())
            .expect("dial limits only where nodes dial")
    };
    match *spec {
        TopologySpec::RandomDial { .. } => Ok(random_dial(nodes, limits, rng)),
        TopologySpec::ShardAware { .. } => Ok(shard_aware(nodes, limits, shards, rng)),
        TopologySpec::RandomRegular { degree } | TopologySpec::StaticMesh { degree } => {
            random_regular(nodes, degree, rng)
        }
        TopologySpec::Replay { ref edges } => Ok(Graph {
            nodes,
            edges: edges.to_vec(),
        }),
    }
}

/// Nodes, in random order, each dial random peers until they have their `outbound`
/// outbound connections (or give up after many refusals); a peer accepts while under its
/// `max`. `limits(v)`: node `v`'s (outbound, max).
fn random_dial(n: u32, limits: impl Fn(u32) -> (u32, u32), rng: &mut SimRng) -> Graph {
    let mut adj: Vec<Vec<u32>> = vec![Vec::new(); n as usize];
    let mut edges = Vec::new();
    let mut order: Vec<u32> = (0..n).collect();
    rand::seq::SliceRandom::shuffle(&mut order[..], rng);
    for &a in &order {
        let (outbound, max) = limits(a);
        let mut dialled = 0;
        let mut attempts = 0;
        while dialled < outbound && attempts < outbound * 50 && (adj[a as usize].len() as u32) < max
        {
            attempts += 1;
            let b = rng.gen_range(0..n);
            if b == a || adj[b as usize].len() as u32 >= limits(b).1 || adj[a as usize].contains(&b)
            {
                continue;
            }
            adj[a as usize].push(b);
            adj[b as usize].push(a);
            edges.push((a, b));
            dialled += 1;
        }
    }
    Graph { nodes: n, edges }
}

/// Nodes, in random order, each go through their shards and dial random peers of each
/// until they have dialled `max(1, outbound / shards)` peers in it (a peer dialled for an
/// earlier shard counts for every shard it is in), or give up after many refusals; a peer
/// accepts while under its `max`. A node dials only nodes of its shards, so every
/// connection joins nodes that share a shard (nwaku's metadata check drops the others).
fn shard_aware(
    n: u32,
    limits: impl Fn(u32) -> (u32, u32),
    shards: &Shards,
    rng: &mut SimRng,
) -> Graph {
    let mut adj: Vec<Vec<u32>> = vec![Vec::new(); n as usize];
    let mut edges = Vec::new();
    let mut order: Vec<u32> = (0..n).collect();
    rand::seq::SliceRandom::shuffle(&mut order[..], rng);
    let mut dialled: Vec<u32> = Vec::new();
    for &a in &order {
        let (outbound, max) = limits(a);
        let mine = &shards.of_node[a as usize];
        let per_shard = (outbound / mine.len().max(1) as u32).max(1);
        dialled.clear();
        for &s in mine {
            let pool = &shards.members[usize::from(s)];
            let mut have = dialled.iter().filter(|&&b| shards.has(b, s)).count() as u32;
            let mut attempts = 0;
            while have < per_shard
                && attempts < per_shard * 50
                && (adj[a as usize].len() as u32) < max
            {
                attempts += 1;
                let b = pool[rng.gen_range(0..pool.len())];
                if b == a
                    || adj[b as usize].len() as u32 >= limits(b).1
                    || adj[a as usize].contains(&b)
                {
                    continue;
                }
                adj[a as usize].push(b);
                adj[b as usize].push(a);
                edges.push((a, b));
                dialled.push(b);
                have += 1;
            }
        }
    }
    Graph { nodes: n, edges }
}

/// A uniform-ish random d-regular graph: random stub matching that refuses self-loops and
/// double edges (Steger–Wormald), restarting when stuck.
fn random_regular(n: u32, d: u32, rng: &mut SimRng) -> Result<Graph, TopologyError> {
    const TRIES: u32 = 100;
    'attempt: for _ in 0..TRIES {
        let mut stubs: Vec<u32> = (0..n)
            .flat_map(|v| std::iter::repeat_n(v, d as usize))
            .collect();
        let mut adj: Vec<Vec<u32>> = vec![Vec::with_capacity(d as usize); n as usize];
        let mut edges = Vec::with_capacity((n as usize * d as usize) / 2);
        let ok = |adj: &Vec<Vec<u32>>, a: u32, b: u32| a != b && !adj[a as usize].contains(&b);
        while !stubs.is_empty() {
            let mut found = None;
            for _ in 0..64 {
                let i = rng.gen_range(0..stubs.len());
                let j = rng.gen_range(0..stubs.len());
                if i != j && ok(&adj, stubs[i], stubs[j]) {
                    found = Some((i, j));
                    break;
                }
            }
            if found.is_none() {
                // Few stubs left: search exhaustively, then give up on this attempt.
                'search: for i in 0..stubs.len() {
                    for j in i + 1..stubs.len() {
                        if ok(&adj, stubs[i], stubs[j]) {
                            found = Some((i, j));
                            break 'search;
                        }
                    }
                }
            }
            let Some((i, j)) = found else {
                continue 'attempt;
            };
            let (a, b) = (stubs[i], stubs[j]);
            adj[a as usize].push(b);
            adj[b as usize].push(a);
            edges.push((a, b));
            let (hi, lo) = if i > j { (i, j) } else { (j, i) };
            stubs.swap_remove(hi);
            stubs.swap_remove(lo);
        }
        return Ok(Graph { nodes: n, edges });
    }
    Err(TopologyError::Regular {
        nodes: n,
        degree: d,
        tries: TRIES,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Streams;

    #[test]
    fn regular_graph_is_regular_and_simple() {
        let mut rng = Streams::new(7).stream("topology", 0);
        let g = random_regular(1000, 6, &mut rng).unwrap();
        assert!(g.degrees().iter().all(|&d| d == 6));
        let mut e: Vec<(u32, u32)> = g.edges.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect();
        e.sort_unstable();
        e.dedup();
        assert_eq!(e.len(), 3000, "no double edges");
        assert!(g.edges.iter().all(|&(a, b)| a != b));
        assert_eq!(g.components(), 1);
    }

    #[test]
    fn random_dial_respects_limits() {
        let mut rng = Streams::new(7).stream("topology", 0);
        let g = random_dial(500, |_| (8, 20), &mut rng);
        let deg = g.degrees();
        assert!(deg.iter().all(|&d| d <= 20));
        let mean = f64::from(deg.iter().sum::<u32>()) / 500.0;
        assert!(mean > 15.0, "most dials succeed: mean degree {mean}");
        assert_eq!(g.components(), 1);
    }

    /// Nodes dial and accept within their own limits: a tenth of the nodes dialling 30 with
    /// room for 60 end with at least their dials; the rest stay within their cap of 20.
    #[test]
    fn random_dial_keeps_each_node_within_its_own_limits() {
        let mut rng = Streams::new(7).stream("topology", 0);
        let limits = |v: u32| {
            if v.is_multiple_of(10) {
                (30, 60)
            } else {
                (5, 20)
            }
        };
        let g = random_dial(1000, limits, &mut rng);
        let deg = g.degrees();
        for (v, &d) in deg.iter().enumerate() {
            let (out, max) = limits(v as u32);
            assert!(d <= max, "node {v}: {d} > {max}");
            if v.is_multiple_of(10) {
                assert!(d >= out, "node {v} made its {out} dials: {d}");
            }
        }
        let big = deg.iter().step_by(10).map(|&d| f64::from(d)).sum::<f64>() / 100.0;
        assert!(big > 30.0, "dialling nodes also take inbound: mean {big}");
    }

    /// Shard-aware dials join only nodes that share a shard, keep a fifth-of-the-nodes
    /// shard in one piece among its own nodes (random dials leave it in pieces), stay
    /// within every cap, and leave a node of no shard unconnected.
    #[test]
    fn shard_aware_keeps_each_shard_connected() {
        let n = 1000;
        let masks: Vec<Vec<bool>> = vec![
            (0..n).map(|v| v % 50 != 7).collect(),
            (0..n).map(|v| v % 5 == 0).collect(),
        ];
        let shards = Shards::from_masks(n, &masks);
        let mut rng = Streams::new(7).stream("topology", 0);
        let g = shard_aware(n, |_| (10, 30), &shards, &mut rng);
        for &(a, b) in &g.edges {
            let common = shards.of_node[a as usize].iter().any(|s| shards.has(b, *s));
            assert!(common, "{a}-{b} share no shard");
        }
        let deg = g.degrees();
        assert!(deg.iter().all(|&d| d <= 30));
        for v in (0..n).filter(|v| v % 50 == 7) {
            assert_eq!(deg[v as usize], 0, "node {v} is in no shard");
        }
        assert_eq!(g.components_among(&shards.members[0]), 1);
        assert_eq!(g.components_among(&shards.members[1]), 1);
        let mut rng = Streams::new(7).stream("topology", 0);
        let random = random_dial(n, |_| (10, 30), &mut rng);
        assert!(
            random.components_among(&shards.members[1]) > 1,
            "random dials leave the small shard in pieces"
        );
    }
}
