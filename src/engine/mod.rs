//! The engine: owns simulated time and event order. Next-event stepping over an
//! [`EventQueue`]; never fixed ticks. The queue implementation is swappable. Knows nothing of
//! gossipsub, networks or scenarios: `sim` builds on it.

pub mod queue;

pub use queue::{EventQueue, HeapQueue, WheelQueue};

mod barrier;

pub use barrier::{PoisonOnPanic, SpinBarrier};
