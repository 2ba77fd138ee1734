//! The events of a run and their order at one instant. Owns the event type and the key
//! that orders events of one instant; what an event does belongs to `partition`.
//!
//! The queue orders events by (time, key). The key is a function of the event alone (its
//! target peer, its kind's rank, then the sender for a transmission or the message for a
//! publication or validation), never of which partition or thread pushed it first: that is
//! what makes a run's output independent of the number of partitions.

use super::carries::Carries;
use super::flight::Payload;
use crate::ids::{MsgIdx, PeerId, SimTime, MAX_NODES};
use crate::protocol::waku::LightRpc;

// Order of the events of one peer at one instant. The application's inputs come first (its
// publication, then a validation it finished), then deliveries by sender, then arrivals
// (they only book the downlink: their delivery is later), and the heartbeat last, so that it
// sees everything its instant delivered. What is settled on arrival relies on this order to
// tell which inputs of an instant a delivery counted ahead is already visible to (see
// `shortcuts::deliveries_before`).
pub(super) const RANK_PUBLISH: u64 = 0;
pub(super) const RANK_VALIDATED: u64 = 1;
pub(super) const RANK_DELIVER: u64 = 2;
pub(super) const RANK_ARRIVE: u64 = 3;
pub(super) const RANK_HEARTBEAT: u64 = 4;
// A Waku timer has the heartbeat's rank, after the heartbeat (`disc` 1); a transmission
// arrives and is delivered at these ranks by sender whatever it carries (a sender's uplink
// and a receiver's downlink are FIFO, so two never share an instant).

/// Orders events of one instant: by target peer, then kind, then `disc` (the sender for a
/// transmission, the message for publish and validation).
#[inline]
pub(super) fn key(target: PeerId, rank: u64, disc: u64) -> u64 {
    debug_assert!(target.0 < MAX_NODES && disc < (1 << 37));
    (u64::from(target.0) << 40) | (rank << 37) | disc
}

/// What an arrival carries: a gossipsub RPC in its slot of the slab, with its bytes on the
/// wire, or a forward of one message or a Waku RPC inline (sized where they land). 12
/// bytes: its tag is a niche of the Waku RPC's, which is why a forward's sender slot is 16
/// bits (a slot beyond takes the slab).
#[derive(Clone, Copy, Debug)]
pub(super) enum Landing {
    Rpc {
        slot: u32,
        bytes: u32,
    },
    /// A forwarded message alone in its RPC, inline (see `forward`).
    Forward {
        hops: u16,
        from_slot: u16,
        msg: MsgIdx,
    },
    Waku(LightRpc),
}

/// An event. Small and `Copy`: the queue holds millions. Peers are local indices of the
/// partition that holds the event. Its tag is a byte of its own (`repr(u8)`, each variant's
/// fields laid out in the order written), so that telling events apart is one compare, not
/// the decoding of a niche inside a payload.
#[derive(Clone, Copy, Debug)]
#[repr(u8)]
pub(super) enum Event {
    Heartbeat(u32),
    /// The first byte of a transmission reaches `to`'s downlink; its last byte at `last`.
    /// `carries`: what a gossipsub RPC may settle on arrival (`Other` for a Waku RPC).
    Arrive {
        carries: Carries,
        to: u32,
        from: PeerId,
        what: Landing,
        last: SimTime,
    },
    /// A transmission has fully arrived at `to`.
    Deliver {
        to: u32,
        from: PeerId,
        what: Payload,
    },
    /// `peer` finished validating `msg`.
    Validated {
        peer: u32,
        msg: MsgIdx,
    },
    /// `peer` publishes `msg`.
    Publish {
        peer: u32,
        msg: MsgIdx,
    },
    /// Node `peer`'s Waku timer (its light client's pings, its store client's checks).
    LightTimer(u32),
}

// The queue holds millions of events: a landing stays 12 bytes, an event 32.
const _: () = assert!(std::mem::size_of::<Landing>() == 12);

#[cfg(test)]
mod tests {
    use super::*;

    /// The queue holds millions of events: a Waku RPC travels inline without making an
    /// arrival larger than a gossipsub RPC's.
    #[test]
    fn an_event_is_32_bytes() {
        assert_eq!(std::mem::size_of::<Event>(), 32);
    }

    /// Peer first, then rank, then the discriminator: the order the ranks document.
    #[test]
    fn keys_order_by_peer_then_rank_then_sender() {
        let k = |p, r, d| key(PeerId(p), r, d);
        assert!(k(1, RANK_HEARTBEAT, 9) < k(2, RANK_PUBLISH, 0));
        assert!(k(1, RANK_PUBLISH, 1 << 36) < k(1, RANK_VALIDATED, 0));
        assert!(k(1, RANK_VALIDATED, 5) < k(1, RANK_DELIVER, 0));
        assert!(k(1, RANK_DELIVER, 3) < k(1, RANK_DELIVER, 4));
        assert!(k(1, RANK_DELIVER, (1 << 37) - 1) < k(1, RANK_ARRIVE, 0));
        assert!(k(1, RANK_ARRIVE, 7) < k(1, RANK_HEARTBEAT, 0));
        assert!(k(MAX_NODES - 1, RANK_HEARTBEAT, 0) > k(MAX_NODES - 2, RANK_HEARTBEAT, 0));
    }
}
