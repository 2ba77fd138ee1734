//! Gossipsub parameters: the validated config every peer holds. Owns validation of
//! parameter consistency (spec v1.1 "Parameters"); knows nothing of TOML. The named sets of
//! values and rules, one per stack, are `presets`'.

use crate::ids::SimTime;

/// Every gossipsub parameter a scenario may set, declared once, in the order tables show
/// them. Invokes the macro `$m` with, per parameter: its doc, its name, its spec symbol or
/// unit for tables (`""` for none), its type in [`GossipsubConfig`] and the type a scenario
/// writes it as (`crate::units::Written`). The config struct, the scenario's `[gossipsub]`
/// table and its overrides, the resolved TOML, `presets` and the README's table all follow
/// from this list; a parameter added here appears in each.
macro_rules! gossipsub_params {
    ($m:ident) => {
        $m! {
            /// spec: D — target mesh degree.
            mesh_n ("D"): usize as usize,
            /// spec: D_low — graft when the mesh is smaller.
            mesh_n_low ("D_low"): usize as usize,
            /// spec: D_high — prune when the mesh is larger.
            mesh_n_high ("D_high"): usize as usize,
            /// spec: D_score — peers kept by score when pruning (no scoring yet: kept at
            /// random).
            retain_scores ("D_score"): usize as usize,
            /// spec: D_out — outbound peers the mesh must keep.
            mesh_outbound_min ("D_out"): usize as usize,
            /// spec: D_lazy — minimum peers to gossip to per heartbeat per topic.
            gossip_lazy ("D_lazy"): usize as usize,
            /// spec: gossip_factor — share of eligible non-mesh peers to gossip to.
            gossip_factor (""): f64 as f64,
            /// spec: heartbeat_interval.
            heartbeat_interval (""): crate::ids::SimTime as crate::units::Duration,
            /// spec: fanout_ttl.
            fanout_ttl (""): crate::ids::SimTime as crate::units::Duration,
            /// spec: mcache_len — heartbeat windows kept in the message cache.
            history_length ("mcache_len"): usize as usize,
            /// spec: mcache_gossip — windows advertised in IHAVE.
            history_gossip (""): usize as usize,
            /// spec: seen_ttl.
            seen_ttl (""): crate::ids::SimTime as crate::units::Duration,
            /// spec v1.1: PruneBackoff.
            prune_backoff (""): crate::ids::SimTime as crate::units::Duration,
            /// spec v1.1: UnsubscribeBackoff.
            unsubscribe_backoff (""): crate::ids::SimTime as crate::units::Duration,
            /// Heartbeats to wait past a backoff before grafting again (rust-libp2p
            /// backoff_slack).
            backoff_slack ("heartbeats"): u32 as u32,
            /// spec v1.1: flood publishing of own messages to all topic peers.
            flood_publish (""): bool as bool,
            /// Most message ids in one IHAVE, and most ids asked from one peer per heartbeat.
            max_ihave_length (""): usize as usize,
            /// Most IHAVE messages accepted from one peer per heartbeat.
            max_ihave_messages (""): usize as usize,
            /// Times a message is served to the same peer through IWANT
            /// (gossip_retransmission).
            gossip_retransmission (""): u32 as u32,
            /// spec v1.2: send IDONTWANT for messages whose data is larger than this (bytes);
            /// `None` ("off") for stacks without v1.2.
            idontwant_threshold (""): Option<u64> as crate::units::SizeOrOff,
            /// How long a received IDONTWANT suppresses forwards of that id.
            idontwant_ttl (""): crate::ids::SimTime as crate::units::Duration,
            /// Largest message data accepted (bytes).
            max_transmit_size (""): u64 as crate::units::Size,
            /// Gossip emission (IHAVE). Off reproduces the model's "no gossip" cases.
            gossip ("emit IHAVE"): bool as bool,
            /// Rule: the heartbeat prunes a mesh `above_d_high` (spec v1.1) or already
            /// `at_d_high`.
            prune_at ("rule"): crate::protocol::gossipsub::PruneAt as crate::protocol::gossipsub::PruneAt,
            /// Rule: a GRAFT from a peer we dialled is accepted even when the mesh holds
            /// D_high (spec v1.1 "Outbound Mesh Quotas").
            graft_outbound_beyond_d_high ("rule"): bool as bool,
            /// Rule: what a SUBSCRIBE from a peer does while our mesh of its topic is below
            /// D_low: nothing until the heartbeat (`none`), GRAFT that peer (`peer`), or
            /// fill the mesh to D at once (`rebalance`).
            subscribe_graft ("rule"): crate::protocol::gossipsub::SubscribeGraft as crate::protocol::gossipsub::SubscribeGraft,
            /// Rule: a GRAFT for a topic we are not in is answered with a PRUNE (else it is
            /// ignored).
            prune_unsubscribed_graft ("rule"): bool as bool,
            /// Rule: which length IDONTWANT's threshold is compared with: the message data
            /// (`data_above`, `data_at_least`) or the whole encoded pubsub message
            /// (`message_above`).
            idontwant_when ("rule"): crate::protocol::gossipsub::IdontwantWhen as crate::protocol::gossipsub::IdontwantWhen,
            /// Rule: IDONTWANT also goes to the recipients of our own publish, ahead of it.
            idontwant_on_publish ("rule"): bool as bool,
            /// Rule: an id asked through IWANT is not asked again within the `heartbeat`,
            /// `until_received` (never again), or is asked of `every_peer` that offers it.
            iwant_once ("rule"): crate::protocol::gossipsub::IwantOnce as crate::protocol::gossipsub::IwantOnce,
            /// Rule: a heartbeat's control messages to one peer go out in one RPC
            /// (`per_peer`), or one RPC per GRAFT, PRUNE and per topic's IHAVE
            /// (`per_control`).
            heartbeat_rpcs ("rule"): crate::protocol::gossipsub::HeartbeatRpcs as crate::protocol::gossipsub::HeartbeatRpcs,
            /// The first heartbeat comes this long after start (plus the phase).
            heartbeat_initial_delay (""): crate::ids::SimTime as crate::units::Duration,
            /// Each node's heartbeat phase: `random` within one interval, or `aligned` (all at
            /// the initial delay).
            heartbeat_phase (""): crate::protocol::gossipsub::HeartbeatPhase as crate::protocol::gossipsub::HeartbeatPhase,
        }
    };
}
pub(crate) use gossipsub_params;

crate::word_enum!(
    /// When the heartbeat prunes (see `prune_at`).
    PruneAt {
        /// mesh > D_high.
        AboveDHigh = "above_d_high",
        /// mesh >= D_high.
        AtDHigh = "at_d_high",
    }
);
crate::word_enum!(
    /// What a peer's SUBSCRIBE does while the mesh is below D_low (see `subscribe_graft`).
    SubscribeGraft {
        None = "none",
        Peer = "peer",
        Rebalance = "rebalance",
    }
);
crate::word_enum!(
    /// What IDONTWANT's threshold is compared with (see `idontwant_when`).
    IdontwantWhen {
        DataAbove = "data_above",
        DataAtLeast = "data_at_least",
        MessageAbove = "message_above",
    }
);
crate::word_enum!(
    /// How long an id asked through IWANT is not asked again (see `iwant_once`).
    IwantOnce {
        Heartbeat = "heartbeat",
        UntilReceived = "until_received",
        EveryPeer = "every_peer",
    }
);
crate::word_enum!(
    /// How a heartbeat's control messages are put into RPCs (see `heartbeat_rpcs`).
    HeartbeatRpcs {
        PerPeer = "per_peer",
        PerControl = "per_control",
    }
);
crate::word_enum!(
    /// Heartbeat phases across nodes (see `heartbeat_phase`).
    HeartbeatPhase {
        Random = "random",
        Aligned = "aligned",
    }
);

macro_rules! config_struct {
    ($( $(#[$doc:meta])* $f:ident ($label:literal): $cfg:ty as $raw:ty ),* $(,)?) => {
        /// Validated gossipsub parameters. Names follow the spec / rust-libp2p.
        #[derive(Clone, Debug, PartialEq)]
        pub struct GossipsubConfig {
            $( $(#[$doc])* pub $f: $cfg, )*
            /// Heartbeat mesh maintenance (GRAFT/PRUNE). Off only for a static mesh, where
            /// the connections are the mesh: set by the topology, not a `[gossipsub]` key.
            pub mesh_maintenance: bool,
        }

        /// The parameters a scenario may set, in declaration order: (name, spec symbol or
        /// unit, `""` for none).
        pub const PARAMS: &[(&str, &str)] = &[$( (stringify!($f), $label) ),*];
    };
}

gossipsub_params!(config_struct);

/// A parameter combination the spec forbids; names the parameter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{param}: {reason}")]
pub struct ConfigError {
    pub param: &'static str,
    pub reason: String,
}

impl GossipsubConfig {
    /// Checks the constraints the spec and implementations impose.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_mesh()?;
        self.validate_rest()
    }

    /// The mesh degrees' constraints.
    fn validate_mesh(&self) -> Result<(), ConfigError> {
        let err = |param, reason: String| Err(ConfigError { param, reason });
        if self.mesh_n == 0 {
            return err("mesh_n", "must be at least 1".into());
        }
        if !(self.mesh_n_low <= self.mesh_n && self.mesh_n <= self.mesh_n_high) {
            return err(
                "mesh_n",
                format!(
                    "needs mesh_n_low <= mesh_n <= mesh_n_high, got {} <= {} <= {}",
                    self.mesh_n_low, self.mesh_n, self.mesh_n_high
                ),
            );
        }
        if self.mesh_maintenance
            && !(self.mesh_outbound_min < self.mesh_n_low.max(1)
                && self.mesh_outbound_min <= self.mesh_n / 2)
        {
            return err(
                "mesh_outbound_min",
                format!(
                    "needs mesh_outbound_min < mesh_n_low and <= mesh_n/2, got {} with mesh_n_low {} and mesh_n {}",
                    self.mesh_outbound_min, self.mesh_n_low, self.mesh_n
                ),
            );
        }
        if self.retain_scores > self.mesh_n {
            return err(
                "retain_scores",
                format!(
                    "must be <= mesh_n ({}), got {}",
                    self.mesh_n, self.retain_scores
                ),
            );
        }
        Ok(())
    }

    /// Gossip, timing, history and size constraints.
    fn validate_rest(&self) -> Result<(), ConfigError> {
        let err = |param, reason: String| Err(ConfigError { param, reason });
        if !(0.0..=1.0).contains(&self.gossip_factor) {
            return err(
                "gossip_factor",
                format!("must be within [0, 1], got {}", self.gossip_factor),
            );
        }
        if self.heartbeat_interval < MIN_HEARTBEAT {
            return err(
                "heartbeat_interval",
                format!(
                    "must be at least {MIN_HEARTBEAT}, got {} (every node runs mesh maintenance and gossip at each one; stacks use 0.7-1 s)",
                    self.heartbeat_interval
                ),
            );
        }
        if self.history_length == 0 {
            return err("history_length", "must be at least 1".into());
        }
        if self.history_gossip > self.history_length {
            return err(
                "history_gossip",
                format!(
                    "must be <= history_length ({}), got {}",
                    self.history_length, self.history_gossip
                ),
            );
        }
        if self.seen_ttl == SimTime::ZERO {
            return err("seen_ttl", "must be positive".into());
        }
        if self.max_ihave_length == 0 {
            return err("max_ihave_length", "must be at least 1".into());
        }
        if self.max_transmit_size == 0 {
            return err("max_transmit_size", "must be positive".into());
        }
        if self.max_transmit_size > MAX_TRANSMIT {
            return err(
                "max_transmit_size",
                format!(
                    "{} is above the largest the engine sizes ({}: a store page of 100 such messages must fit its 32-bit RPC sizes)",
                    crate::units::fmt_size(self.max_transmit_size),
                    crate::units::fmt_size(MAX_TRANSMIT)
                ),
            );
        }
        Ok(())
    }
}

/// The shortest heartbeat accepted: a hundredth of the shortest any stack ships (Ethereum's
/// 0.7 s is the shortest), so that a sweep can go far below them, while a run's heartbeat
/// events (nodes × run length / interval) stay countable; 1 µs did not finish.
pub const MIN_HEARTBEAT: SimTime = SimTime(10_000_000);

/// The largest `max_transmit_size` (16 MiB): RPC sizes are 32-bit, and the largest RPCs
/// hold a store page (100 messages) or an IWANT answer (checked against the traffic).
pub const MAX_TRANSMIT: u64 = 16 << 20;

#[cfg(test)]
mod tests {
    use super::super::presets::preset;

    #[test]
    fn inconsistent_degrees_are_refused() {
        let mut c = preset("nwaku").unwrap();
        c.mesh_n_low = 7;
        assert_eq!(c.validate().unwrap_err().param, "mesh_n");
        let mut c = preset("nwaku").unwrap();
        c.mesh_outbound_min = 4;
        assert_eq!(c.validate().unwrap_err().param, "mesh_outbound_min");
    }
}
