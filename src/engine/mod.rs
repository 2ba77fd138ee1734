//! The engine: owns simulated time and event order. Next-event stepping over an
//! [`EventQueue`]; never fixed ticks. The queue implementation is swappable.

pub mod queue;

pub use queue::{EventQueue, HeapQueue, WheelQueue};

mod prefetch;

pub use prefetch::{prefetch, prefetch_lines, prefetch_slice};
