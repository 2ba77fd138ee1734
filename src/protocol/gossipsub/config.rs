//! Gossipsub parameters: the validated config every peer holds, and the named presets of
//! `docs/sources.md` §1. Owns validation of parameter consistency (spec v1.1
//! "Parameters"); knows nothing of TOML.

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
        }
    };
}
pub(crate) use gossipsub_params;

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
        if !(0.0..=1.0).contains(&self.gossip_factor) {
            return err(
                "gossip_factor",
                format!("must be within [0, 1], got {}", self.gossip_factor),
            );
        }
        if self.heartbeat_interval == SimTime::ZERO {
            return err("heartbeat_interval", "must be positive".into());
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

/// The largest `max_transmit_size` (16 MiB): RPC sizes are 32-bit, and the largest RPCs
/// hold a store page (100 messages) or an IWANT answer (checked against the traffic).
pub const MAX_TRANSMIT: u64 = 16 << 20;

/// Named parameter sets, one per stack. Values from `docs/sources.md` §1.
pub const PRESETS: &[&str] = &[
    "nwaku",
    "nwaku-2023",
    "go-waku",
    "go-libp2p",
    "rust-libp2p",
    "spec-v1.1",
];

/// The preset called `name`, or `None` if there is none.
pub fn preset(name: &str) -> Option<GossipsubConfig> {
    let s = SimTime::from_secs;
    // spec v1.1 defaults; each stack below changes what differs.
    let spec = GossipsubConfig {
        mesh_n: 6,
        mesh_n_low: 4,
        mesh_n_high: 12,
        retain_scores: 4,
        mesh_outbound_min: 2,
        gossip_lazy: 6,
        gossip_factor: 0.25,
        heartbeat_interval: s(1),
        fanout_ttl: s(60),
        history_length: 5,
        history_gossip: 3,
        seen_ttl: s(120),
        prune_backoff: s(60),
        unsubscribe_backoff: s(10),
        backoff_slack: 1,
        flood_publish: true,
        max_ihave_length: 5000,
        max_ihave_messages: 10,
        gossip_retransmission: 3,
        idontwant_threshold: None,
        idontwant_ttl: s(3),
        max_transmit_size: 1 << 20,
        mesh_maintenance: true,
        gossip: true,
    };
    let cfg = match name {
        "spec-v1.1" => spec,
        "nwaku" => GossipsubConfig {
            mesh_n_high: 8,
            retain_scores: 6,
            mesh_outbound_min: 3,
            history_length: 6,
            unsubscribe_backoff: s(5),
            idontwant_threshold: Some(512),
            max_transmit_size: 150 * 1024,
            ..spec
        },
        "nwaku-2023" => GossipsubConfig {
            retain_scores: 6,
            mesh_outbound_min: 3,
            history_length: 6,
            unsubscribe_backoff: s(5),
            idontwant_threshold: None,
            ..spec
        },
        "go-waku" => GossipsubConfig {
            mesh_outbound_min: 3,
            history_length: 6,
            unsubscribe_backoff: s(5),
            ..spec
        },
        "go-libp2p" => GossipsubConfig {
            mesh_n_low: 5,
            flood_publish: false,
            idontwant_threshold: Some(1024),
            ..spec
        },
        "rust-libp2p" => GossipsubConfig {
            mesh_n_low: 5,
            seen_ttl: s(60),
            idontwant_threshold: Some(1000),
            max_transmit_size: 64 * 1024,
            ..spec
        },
        _ => return None,
    };
    Some(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid() {
        for name in PRESETS {
            let cfg = preset(name).unwrap();
            cfg.validate()
                .unwrap_or_else(|e| panic!("preset {name}: {e}"));
        }
        assert!(preset("nope").is_none());
    }

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
