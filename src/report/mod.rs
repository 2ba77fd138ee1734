//! What reads a run's or a sweep's result folder back: the check that a folder is what its
//! manifest says (`verify`), simulated vs the analytical model (`compare`), and the figures
//! and page of `gossipsim report` (`page`). It reads CSV files only and never names the
//! engine (`tests/layers.rs` checks); what writes them is `output`'s.

pub mod compare;
pub mod page;
pub mod verify;

pub use crate::output::ReportError;
pub(crate) use crate::output::{invalid, Doing};
