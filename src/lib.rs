//! gossipsim: a deterministic discrete-event simulator of gossipsub networks as Waku Relay
//! runs them for Status Communities.
//!
//! The house: the peer is a sans-IO state machine ([`protocol::gossipsub::Peer`]); the engine
//! owns time and event order ([`engine`], [`sim`]); the network owns bytes in flight
//! ([`net`]); accounting is one exhaustive match ([`metrics`]); scenarios are parsed, then
//! validated into typed values ([`scenario`]); runs write tidy CSV ([`report`]).

pub mod cli;
pub mod engine;
pub mod estimate;
pub mod ids;
pub mod message;
pub mod metrics;
pub mod model;
pub mod net;
pub mod output;
pub mod prefetch;
pub mod protocol;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod traffic;
pub mod units;

pub use ids::{ClassId, MsgIdx, PeerId, SimTime, TopicId};
pub use scenario::Scenario;
pub use sim::{RunOutput, Sim};
