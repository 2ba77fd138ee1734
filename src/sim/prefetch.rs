//! Cache hints for the event loop: asks the CPU to start loading what the coming events
//! will read. Hints only: nothing is read into the run, and removing every call changes no
//! output byte. Each event touches cache lines scattered over memory: its RPC's slot, its
//! peer, interfaces and counts, and, behind the peer's pointers, a seen-cache word, a
//! neighbour record, the IDONTWANT FIFO's tail.

use super::carries::Carries;
use super::event::{Event, Landing};
use super::flight::Payload;
use super::partition::Partition;
use crate::ids::PeerId;
use crate::prefetch::prefetch;
use crate::protocol::gossipsub::RpcPart;

impl Partition {
    /// In two stages: the lines whose addresses are known from the event alone two events
    /// ahead, those behind pointers (read from lines loaded a stage earlier) one event
    /// ahead. The first stage is repeated for the next event, which was not always second a
    /// step ago (pushed since, or the first of a bucket): a hint for lines already on their
    /// way costs little.
    #[inline]
    pub(super) fn prefetch_next(&self) {
        if let Some(ev) = self.queue.peek_second() {
            self.prefetch_direct(ev);
        }
        let Some(ev) = self.queue.peek_next() else {
            return;
        };
        self.prefetch_direct(ev);
        if let Event::Deliver {
            to,
            what: Payload::Forward { from_slot, msg, .. },
            ..
        }
        | Event::Arrive {
            to,
            what: Landing::Forward { from_slot, msg, .. },
            ..
        } = *ev
        {
            if let Some(peer) = self.stacks.relay(to as usize) {
                peer.prefetch_rpc(u32::from(from_slot), Some(msg));
            }
            return;
        }
        if let Event::Deliver {
            to,
            what: Payload::Rpc(slot),
            ..
        }
        | Event::Arrive {
            to,
            carries: Carries::IDontWant | Carries::Messages | Carries::IHave,
            what: Landing::Rpc { slot, .. },
            ..
        } = *ev
        {
            let f = &self.flights[slot];
            let msg = match f.parts.first() {
                Some(&RpcPart::Message { msg, .. } | &RpcPart::IHave { msg, .. }) => Some(msg),
                _ => None,
            };
            if let Some(peer) = self.stacks.relay(to as usize) {
                peer.prefetch_rpc(f.from_slot, msg);
            }
        }
    }

    /// The first stage of `prefetch_next`: lines whose addresses the event gives.
    #[inline]
    fn prefetch_direct(&self, ev: &Event) {
        match *ev {
            Event::Arrive {
                to,
                carries,
                what: Landing::Rpc { slot, .. },
                ..
            } => {
                self.ifs.prefetch(to as usize);
                if carries != Carries::Other {
                    // Settled on arrival, it may read what a delivery reads.
                    self.flights.prefetch(slot);
                    self.stacks.prefetch(to as usize);
                    self.acct.prefetch_node(PeerId(to));
                    if carries == Carries::Messages {
                        prefetch(&self.tally[to as usize]);
                    }
                }
            }
            Event::Deliver {
                to,
                what: Payload::Rpc(slot),
                ..
            } => {
                self.flights.prefetch(slot);
                self.stacks.prefetch(to as usize);
                prefetch(&self.tally[to as usize]);
                self.acct.prefetch_node(PeerId(to));
            }
            // A forward is in its event: what it may read is its receiver's.
            Event::Arrive {
                to,
                what: Landing::Forward { .. },
                ..
            } => {
                self.ifs.prefetch(to as usize);
                self.stacks.prefetch(to as usize);
                self.acct.prefetch_node(PeerId(to));
                prefetch(&self.tally[to as usize]);
            }
            Event::Deliver {
                to,
                what: Payload::Forward { .. },
                ..
            } => {
                self.stacks.prefetch(to as usize);
                prefetch(&self.tally[to as usize]);
                self.acct.prefetch_node(PeerId(to));
            }
            Event::Heartbeat(p)
            | Event::Validated { peer: p, .. }
            | Event::Publish { peer: p, .. } => {
                self.stacks.prefetch(p as usize);
            }
            // Waku RPCs are rare next to relay traffic: nothing worth a hint.
            Event::Arrive {
                what: Landing::Waku(_),
                ..
            }
            | Event::Deliver {
                what: Payload::Light(_),
                ..
            }
            | Event::LightTimer(_) => {}
        }
    }
}
