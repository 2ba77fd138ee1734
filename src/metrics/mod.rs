//! Metrics: byte accounting by node × direction × kind × class × topic (`accounting.rs`), and
//! per-message delivery, latency and hop statistics (`delivery.rs`). Counts only what the
//! engine reports; never decides anything.

pub mod accounting;
pub mod delivery;

pub use accounting::{Accounting, Counted, Direction, Kind, KINDS};
pub use delivery::{Delivery, Group, MsgStats, Receipts};
