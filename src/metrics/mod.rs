//! Metrics: byte accounting by node × direction × kind × class × topic (`accounting.rs`,
//! what each byte was for in `kinds.rs`), and
//! per-message delivery, latency and hop statistics (`delivery.rs`). Counts only what the
//! engine reports; never decides anything.

pub mod accounting;
pub mod delivery;
pub mod kinds;

pub use accounting::Accounting;
pub use delivery::{Delivery, Group, MsgStats, Receipts};
pub use kinds::{Counted, Direction, Kind, KINDS};
