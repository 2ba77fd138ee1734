//! The model's parameters: its published defaults, or derived from a scenario.

use crate::scenario::{Per, Scenario, TopologySpec};

/// Parameters of the analytical model (names as in `waku_scalability/assumptions.py`).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInputs {
    /// S: message size, MB (10^6 B).
    pub message_size_mb: f64,
    /// R: messages published per node per hour.
    pub msgs_per_node_hour: f64,
    /// d: node degree of the d-regular mesh.
    pub degree: f64,
    /// G: size of one IHAVE/IWANT, MB.
    pub gossip_size_mb: f64,
    /// d_lazy: gossip out-degree.
    pub gossip_lazy: f64,
    /// w: history windows advertised (mcache_gossip).
    pub history_gossip: f64,
    /// p: share of IHAVEs answered by an IWANT.
    pub iwant_share: f64,
    /// Case 5: share of big messages (sizes small = S/2, big = 3S keep the mean at S).
    pub big_share: f64,
    /// Case 5: share of later big copies whose IDONTWANT came too late.
    pub idontwant_too_late: f64,
    /// Case 5: IDONTWANT size, MB.
    pub idontwant_size_mb: f64,
    /// Sharding: nodes per shard cap, shards per node.
    pub nodes_per_shard: f64,
    pub shards_per_node: f64,
    /// Latency: delay per hop, seconds.
    pub delay_per_hop_s: f64,
}

impl Default for ModelInputs {
    /// The model's own assumptions (2023 and 2025 share them).
    fn default() -> Self {
        ModelInputs {
            message_size_mb: 0.002,
            msgs_per_node_hour: 5.0,
            degree: 6.0,
            gossip_size_mb: 0.00005,
            gossip_lazy: 6.0,
            history_gossip: 3.0,
            iwant_share: 0.01,
            big_share: 0.2,
            idontwant_too_late: 0.6,
            idontwant_size_mb: 0.00005,
            nodes_per_shard: 10_000.0,
            shards_per_node: 3.0,
            delay_per_hop_s: 0.1,
        }
    }
}

impl ModelInputs {
    /// Case 5's small message: 0.001 MB when S = 0.002 MB.
    pub fn small_size_mb(&self) -> f64 {
        self.message_size_mb * 0.5
    }
    /// Case 5's big message: 0.006 MB when S = 0.002 MB.
    pub fn big_size_mb(&self) -> f64 {
        self.message_size_mb * 3.0
    }

    /// The model's inputs for one topic of a scenario: S = mean application payload of the
    /// topic's traffic, R = messages per subscriber per hour, d = D (or the static degree),
    /// d_lazy and w from the gossipsub parameters. G, p and the case-5/sharding/latency
    /// assumptions stay the model's own. Returns `(inputs, N)`, or `None` if nothing is
    /// published on the topic.
    pub fn for_topic(sc: &Scenario, topic: usize, subscribers: u32) -> Option<(ModelInputs, f64)> {
        let n = f64::from(subscribers);
        let mut per_hour = 0.0;
        let mut bytes_per_hour = 0.0;
        for t in sc.traffic.iter().filter(|t| t.topic.idx() == topic) {
            let publishers = f64::from(sc.selected(&t.publishers));
            let h = match t.per {
                Per::Node => t.rate.per_sec * 3600.0 * publishers,
                Per::Network => t.rate.per_sec * 3600.0,
            };
            per_hour += h;
            bytes_per_hour += h * t.size.mean();
        }
        if per_hour == 0.0 || n == 0.0 {
            return None;
        }
        let g = &sc.gossipsub;
        let degree = match sc.topology {
            TopologySpec::StaticMesh { degree } => f64::from(degree),
            _ => g.mesh_n as f64,
        };
        let inputs = ModelInputs {
            message_size_mb: bytes_per_hour / per_hour / 1e6,
            msgs_per_node_hour: per_hour / n,
            degree,
            gossip_lazy: g.gossip_lazy as f64,
            history_gossip: g.history_gossip as f64,
            ..ModelInputs::default()
        };
        Some((inputs, n))
    }
}
