//! Protocol state machines. Each is sans-IO: no clock, no global RNG, no sockets.

pub mod gossipsub;
pub mod node;
pub mod waku;
