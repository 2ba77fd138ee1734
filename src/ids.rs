//! Dense integer identifiers and simulated time. Owns the newtypes every other module shares;
//! holds no logic beyond conversions.

use std::fmt;

/// Largest node count: the engine's event key packs a peer id in 24 bits, and scenario
/// validation refuses more.
pub const MAX_NODES: u32 = 1 << 24;

/// A node in the simulated network, dense in `0..nodes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PeerId(pub u32);

/// A pubsub topic (shard), dense in `0..topics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TopicId(pub u16);

/// A published message, dense in creation order. On the wire it is a 32-byte id; inside the
/// simulator it indexes the message table and the seen bitsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MsgIdx(pub u32);

/// An application message class (chat, community_description, ...), dense in `0..classes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ClassId(pub u16);

impl PeerId {
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}
impl TopicId {
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}
impl MsgIdx {
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}
impl ClassId {
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

/// Simulated time (or a duration) in integer nanoseconds. Never a float: event order must not
/// depend on rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);
    pub const fn from_nanos(n: u64) -> Self {
        SimTime(n)
    }
    pub const fn from_micros(n: u64) -> Self {
        SimTime(n * 1_000)
    }
    pub const fn from_millis(n: u64) -> Self {
        SimTime(n * 1_000_000)
    }
    pub const fn from_secs(n: u64) -> Self {
        SimTime(n * 1_000_000_000)
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    #[inline]
    pub fn saturating_add(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
    #[inline]
    pub fn saturating_sub(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(d.0))
    }
}

/// Saturating: every input duration is at most [`MAX_DURATION`], so a sum reaches the far
/// end only for a derived instant (a backlog, a sample of a long-tailed latency) that lies
/// beyond any run's end, and an instant past the end never happens either way. Wrapping
/// instead would make such a copy arrive at once.
impl std::ops::Add for SimTime {
    type Output = SimTime;
    #[inline]
    fn add(self, rhs: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

/// The longest duration a scenario may write (2^60 ns, about 36 years): three of them (the
/// warm-up, measurement and drain) and more still fit in the engine's 64-bit nanoseconds.
pub const MAX_DURATION: SimTime = SimTime(1 << 60);

/// The canonical duration string ("90s", "2min", "1500us"): the largest unit that divides it
/// exactly, as the resolved scenario writes it.
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        if ns == 0 {
            return write!(f, "0s");
        }
        for (unit, scale) in [
            ("h", 3_600_000_000_000u64),
            ("min", 60_000_000_000),
            ("s", 1_000_000_000),
            ("ms", 1_000_000),
            ("us", 1_000),
        ] {
            if ns.is_multiple_of(scale) {
                return write!(f, "{}{unit}", ns / scale);
            }
        }
        write!(f, "{ns}ns")
    }
}
