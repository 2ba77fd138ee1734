//! Gossipsub v1.0/v1.1 with v1.2 IDONTWANT, as a sans-IO peer state machine
//! (<https://github.com/libp2p/specs/tree/master/pubsub/gossipsub>).

mod assist;
pub mod config;
pub mod gossip;
pub mod mcache;
pub mod mesh;
mod messages;
pub mod peer;
pub mod presets;
pub mod rpc;
pub mod seen;

pub(crate) use config::gossipsub_params;
pub use config::{
    GossipsubConfig, HeartbeatPhase, HeartbeatRpcs, IdontwantWhen, IwantOnce, PruneAt,
    SubscribeGraft, MAX_TRANSMIT, PARAMS,
};
pub use peer::{Peer, PeerEvent, Transmit};
pub use presets::{preset, preset_source, rule_source, Preset, PRESETS, RULES};
pub use rpc::{Envelope, PayloadKind, RpcPart, Transport, WakuEnvelope, WireCtx};
