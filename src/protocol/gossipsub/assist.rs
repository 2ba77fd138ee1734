//! Host assists: what a host may ask of a peer to settle an RPC on its arrival instead of
//! delivering it, and cache hints for the inputs to come. None of this is protocol: a host
//! that never calls these methods gets the same peer behaviour, input by input.
//!
//! The contract. A host may use them only where its downlinks are FIFO, so that it knows
//! at an RPC's arrival the instant `at` of its delivery, and only for RPCs that will be
//! delivered (no disconnection in between):
//! - `known_duplicate` / `known_ihave` answer whether delivering at `at` would change
//!   nothing but the host's counters (and, for IHAVEs, the flood count `ihave_ahead`
//!   records), whatever other inputs come first. They hold because every reader of the
//!   seen cache drops expired entries first.
//! - `idontwant_ahead` and `ihave_ahead` record an RPC's effect ahead of its delivery;
//!   calls come in delivery order, and what they record counts from `at` on.
//! - Where an input falls among the deliveries of its own instant is told by
//!   `set_deliveries_before` before each input; a host that never records ahead need not
//!   call it.
//!
//! The engine's `sim::shortcuts` is the one user; a test there requires identical results
//! with and without it.

use super::peer::{IHaveAhead, Peer};
use super::rpc::RpcPart;
use crate::ids::{MsgIdx, SimTime};
use crate::message::MessageTable;

impl Peer {
    /// Hints the CPU to load what handling an RPC from neighbour `slot` carrying `msg` will
    /// read behind this peer's pointers: the seen-cache word of `msg`, the neighbour's
    /// record, the newest IDONTWANT entry (appended to, or read from, by a forward). For a
    /// host that loaded this peer's `HOT_LINES` an event earlier. Reads only the peer.
    #[inline]
    pub fn prefetch_rpc(&self, slot: u32, msg: Option<MsgIdx>) {
        if let Some(m) = msg {
            self.seen.prefetch(m);
        }
        if let Some(n) = self.nbrs.get(slot as usize) {
            crate::prefetch::prefetch(n);
        }
        if let Some(d) = self.dont_send.back() {
            crate::prefetch::prefetch(d);
        }
    }

    /// Whether `m` is seen now and still will be at `at`, whatever inputs come in between
    /// (its seen entry, made no earlier than its publication, outlives `at`). Every reader
    /// of the seen cache drops expired entries first, so that skipping an input does not
    /// change what a later one sees.
    fn seen_until(&self, m: MsgIdx, at: SimTime, msgs: &MessageTable) -> bool {
        self.seen
            .holds_until(m, at, msgs.get(m).published_at, self.cfg.seen_ttl)
    }

    /// Whether a copy of `m` delivered at `at` (now or later) is sure to be a duplicate
    /// that changes nothing but the host's counters, whatever inputs come in between: `m`
    /// is seen and stays seen until `at`, and `m` is not being validated (a duplicate then
    /// records its sender, to spare it a copy). A host that knows an RPC's delivery instant
    /// on its arrival may then count such copies without delivering them.
    pub fn known_duplicate(&self, m: MsgIdx, at: SimTime, msgs: &MessageTable) -> bool {
        self.seen_until(m, at, msgs) && !self.validating.iter().any(|p| p.msg == m)
    }

    /// Whether an RPC of IHAVEs only (`parts`) delivered at `at` (now or later) is sure
    /// to ask for nothing, whatever inputs come in between: every id it advertises is seen
    /// and stays seen until `at`. Its only effect is then to count its IHAVE groups
    /// against the flood limit (`ihave_ahead`).
    pub fn known_ihave(&self, parts: &[RpcPart], at: SimTime, msgs: &MessageTable) -> bool {
        parts.iter().all(|p| match *p {
            RpcPart::IHave { msg, .. } => self.seen_until(msg, at, msgs),
            _ => false,
        })
    }

    /// Counts the IHAVE groups of `parts` from the neighbour in `slot` towards the
    /// per-heartbeat flood limit as of their delivery at `at`: for a host that settles on
    /// its arrival an RPC of IHAVEs that asks for nothing (`known_ihave`). Exact: the
    /// count is added to the neighbour's before any input later than `at` reads it, and
    /// dropped by a heartbeat after `at` resets the counts (deliveries to one peer never
    /// share an instant). Calls must come in delivery order.
    pub fn ihave_ahead(&mut self, slot: u32, parts: &[RpcPart], at: SimTime) {
        debug_assert!(self.ihave_ahead.back().is_none_or(|d| d.at <= at));
        let groups = super::gossip::ihave_groups(parts);
        self.ihave_ahead.push_back(IHaveAhead { at, slot, groups });
    }

    /// An IDONTWANT for `msg` from the neighbour in `slot`, delivered at `at`. A host that
    /// knows when an RPC made of IDONTWANTs will be delivered (its downlink is FIFO) may
    /// record it as soon as the RPC arrives, sparing itself a delivery event: the entry
    /// counts from `at` on. Calls must come in delivery order.
    pub fn idontwant_ahead(&mut self, slot: u32, msg: MsgIdx, at: SimTime) {
        self.record_idontwant(slot, msg, at);
    }

    /// Tells the peer where the input it is about to handle falls among the deliveries of
    /// its instant: an IDONTWANT recorded ahead and delivered at that same instant counts
    /// if its sender's id is below `below` (a host handling deliveries of one instant in
    /// sender order passes the sender's id + 1 for a delivery, 0 for inputs it handles
    /// before deliveries, `u64::MAX` after). Without a call, everything delivered at the
    /// instant counts.
    pub fn set_deliveries_before(&mut self, below: u64) {
        self.deliveries_before = below;
    }
}
