//! RPCs on the wire: the slab of a partition's in-flight RPCs (one cache line each) and the
//! hand-over record of an RPC bound for another partition. Owns the slots' lifetime (taken
//! at a send, freed at a delivery, a loss or a settling on arrival); what an RPC means
//! belongs to the peer and accounting.

use crate::ids::{MsgIdx, PeerId, SimTime};
use crate::prefetch::prefetch;
use crate::protocol::gossipsub::RpcPart;
use crate::protocol::waku::LightRpc;
use smallvec::SmallVec;

/// Parts an RPC slot keeps room for when freed (most RPCs have one or a few).
const MAX_KEPT_PARTS: usize = 8;

/// An RPC on the wire: 64 bytes, with up to two parts (nearly every RPC but a heartbeat's
/// IHAVE) and their shares inline.
#[derive(Default)]
pub(super) struct InFlight {
    /// The sender's slot among the receiver's neighbours.
    pub from_slot: u32,
    pub parts: SmallVec<[RpcPart; 2]>,
    /// Bytes of each part on the wire (they add up to the RPC's size: see `rpc_size`).
    pub shares: SmallVec<[u32; 4]>,
    /// Transport overhead bytes (its own accounting kind).
    pub overhead: u32,
    /// Bytes on the wire: RPC + overhead (below `max_transmit_size` plus control parts).
    pub bytes: u32,
}

/// A slot of the RPC slab: one cache line each (the RPC is unaligned where it travels
/// between partitions, so that a handover moves 64 bytes, not 128).
#[derive(Default)]
#[repr(align(64))]
struct Slot(InFlight);

/// A transmission to a peer of another partition, handed over between windows.
pub(super) struct Outgoing {
    pub first: SimTime,
    pub last: SimTime,
    pub to: PeerId,
    pub from: PeerId,
    pub what: Carried,
}

/// What a transmission carries: a gossipsub RPC, or a light protocol's.
pub(super) enum Carried {
    Rpc(InFlight),
    /// A forward of one message, inline (see `forward`).
    Forward {
        hops: u16,
        from_slot: u16,
        msg: MsgIdx,
    },
    Light(LightRpc),
}

/// What a transmission carries while it is in its sender's partition: a gossipsub RPC in
/// its slot of the slab, or a light protocol's inline. The one thing the wire path asks of
/// a payload.
#[derive(Clone, Copy, Debug)]
pub(super) enum Payload {
    Rpc(u32),
    /// A forward of one message, inline (see `forward`): `from_slot` is its sender's slot
    /// among the receiver's neighbours.
    Forward {
        hops: u16,
        from_slot: u16,
        msg: MsgIdx,
    },
    Light(LightRpc),
}

/// A partition's RPCs in flight, by slot. Slots are reused last-in first-out.
#[derive(Default)]
pub(super) struct Flights {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

impl std::ops::Index<u32> for Flights {
    type Output = InFlight;
    #[inline]
    fn index(&self, slot: u32) -> &InFlight {
        &self.slots[slot as usize].0
    }
}

impl std::ops::IndexMut<u32> for Flights {
    #[inline]
    fn index_mut(&mut self, slot: u32) -> &mut InFlight {
        &mut self.slots[slot as usize].0
    }
}

impl Flights {
    /// A free slot (its old contents still there, to be overwritten).
    #[inline]
    pub fn alloc(&mut self) -> u32 {
        // The next slot to be reused is cold by now: load it while this one is filled.
        if let Some(&next) = self.free.get(self.free.len().wrapping_sub(2)) {
            prefetch(&self.slots[next as usize]);
        }
        self.free.pop().unwrap_or_else(|| {
            self.slots.push(Slot::default());
            (self.slots.len() - 1) as u32
        })
    }

    /// Frees a slot. A slot that carried a big RPC (a heartbeat's IHAVE ids, one part per
    /// id) gives its buffers back: kept, every slot would ratchet up to the largest RPC it
    /// ever carried, and the slab is as large as the RPCs in flight at the busiest moment.
    pub fn release(&mut self, slot: u32) {
        let f = &mut self.slots[slot as usize].0;
        if f.parts.capacity() > MAX_KEPT_PARTS {
            f.parts = SmallVec::new();
            f.shares = SmallVec::new();
        }
        self.free.push(slot);
    }

    /// Moves the RPC out of `slot` (bound for another partition) and frees the slot.
    pub fn take(&mut self, slot: u32) -> InFlight {
        let f = std::mem::take(&mut self.slots[slot as usize].0);
        self.free.push(slot);
        f
    }

    /// Puts an RPC handed over from another partition into a slot of this one.
    pub fn put(&mut self, flight: InFlight) -> u32 {
        let slot = self.alloc();
        self.slots[slot as usize].0 = flight;
        slot
    }

    /// Hints the CPU to load `slot`.
    #[inline]
    pub fn prefetch(&self, slot: u32) {
        prefetch(&self.slots[slot as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RPC slot is one cache line (the point of keeping parts inline).
    #[test]
    fn an_rpc_slot_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<InFlight>(), 64);
        assert_eq!(std::mem::size_of::<Slot>(), 64);
        assert_eq!(std::mem::align_of::<Slot>(), 64);
    }

    /// Freed slots come back last-in first-out; a handed-over RPC keeps its contents.
    #[test]
    fn slots_are_reused_and_rpcs_move_whole() {
        let mut f = Flights::default();
        let (a, b) = (f.alloc(), f.alloc());
        assert_ne!(a, b);
        f[a].bytes = 77;
        f.release(a);
        assert_eq!(f.alloc(), a);
        f[b].overhead = 5;
        let moved = f.take(b);
        assert_eq!((moved.overhead, f[b].overhead), (5, 0));
        assert_eq!(f.put(moved), b);
        assert_eq!(f[b].overhead, 5);
    }
}
