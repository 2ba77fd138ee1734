//! What is settled on arrival: RPCs whose delivery would change nothing but counters (or
//! would only record what the peer can record ahead), handled when their first byte reaches
//! the receiver's downlink, so that they need no delivery event. A second implementation of
//! three protocol rules, kept exact: the downlink is FIFO, so an RPC's delivery instant is
//! known at its arrival, and the peer's host-assist methods (`protocol::gossipsub::assist`)
//! say when settling early is indistinguishable from delivering.
//!
//! Switched off (`Partition::shortcuts` false, `--no-shortcuts`), every RPC takes the plain
//! path: arrival, then delivery through `Peer::handle_rpc_from_slot`. A test runs scenarios
//! both ways and requires identical result files, the event count aside. Whatever these
//! rules assume must be respected by features that come later: churn must not settle a copy
//! whose sender may disconnect before its delivery, and must drop the entries and counts
//! recorded ahead for a neighbour that disconnects before they are delivered.

use super::carries::Carries;
use super::event::Event;
use super::partition::{Ctx, Partition};
use crate::ids::{PeerId, SimTime};
use crate::metrics::{Counted, Direction};
use crate::protocol::gossipsub::RpcPart;

impl Partition {
    /// Settles on its arrival the RPC in `slot` to local peer `to`, delivered at `done`, if
    /// what it carries allows; returns whether it did (then it needs no delivery event). An
    /// RPC delivered after the end stays in flight: it goes the usual way.
    #[inline]
    pub(super) fn settle_on_arrival(
        &mut self,
        to: u32,
        slot: u32,
        carries: Carries,
        done: SimTime,
        cx: &Ctx<'_>,
    ) -> bool {
        done <= cx.sc.end()
            && match carries {
                Carries::IDontWant => self.settle_idontwants_on_arrival(to, slot, done, cx),
                Carries::Messages => self.settle_duplicates_on_arrival(to, slot, done, cx),
                Carries::IHave => self.settle_ihaves_on_arrival(to, slot, done, cx),
                Carries::Other => false,
            }
    }

    /// Tells the peer of `ev` where its input falls among the deliveries of its instant, so
    /// that what was recorded ahead of a delivery at that same instant counts only if the
    /// event order (see `event`'s ranks) puts that delivery first: inputs ranked before
    /// deliveries see none, a delivery those of lower senders and its own, a heartbeat all.
    /// Without shortcuts nothing is recorded ahead, and the peer's default (everything
    /// recorded so far was delivered) holds.
    #[inline]
    pub(super) fn before_input(&mut self, ev: &Event) {
        if !self.shortcuts {
            return;
        }
        let (p, below) = match *ev {
            Event::Publish { peer, .. } | Event::Validated { peer, .. } => (peer, 0),
            Event::Deliver { to, from, .. } => (to, u64::from(from.0) + 1),
            Event::Heartbeat(p) | Event::LightTimer(p) => (p, u64::MAX),
            Event::Arrive { .. } => return,
        };
        if let Some(peer) = self.stacks.relay_mut(p as usize) {
            peer.set_deliveries_before(below);
        }
    }

    /// Records the IDONTWANTs of the RPC in `slot` at its receiver `to` as soon as the RPC
    /// arrives, to take effect when it is delivered at `done`, and counts their bytes
    /// received. Exact: the downlink is FIFO, so `done` is known at arrival and grows with
    /// arrival order, and the peer lets an entry count only from `done` on (see
    /// `Peer::idontwant_ahead`). Returns whether that was the whole RPC (nearly always:
    /// IDONTWANTs travel alone); then it needs no delivery event.
    fn settle_idontwants_on_arrival(
        &mut self,
        to: u32,
        slot: u32,
        done: SimTime,
        cx: &Ctx<'_>,
    ) -> bool {
        let f = &mut self.flights[slot];
        let is_idw = |p: &RpcPart| matches!(p, RpcPart::IDontWant { .. });
        let whole = f.parts.iter().all(is_idw);
        let taken = f.parts.iter().zip(&f.shares).filter(|(p, _)| is_idw(p));
        let overhead = if whole { f.overhead } else { 0 };
        let counted = self.acct.on_wire(
            PeerId(to),
            Direction::In,
            taken.map(|(p, &s)| (Counted::Part(p, false), s)),
            overhead,
            cx.measuring(done),
            cx.msgs,
        );
        if whole {
            for p in &f.parts {
                if let RpcPart::IDontWant { msg } = *p {
                    self.stacks
                        .relay_mut(to as usize)
                        .expect("gossipsub RPCs reach relays only")
                        .idontwant_ahead(f.from_slot, msg, done);
                }
            }
            self.flights.release(slot);
            return true;
        }
        // The rest is delivered as usual.
        let mut kept = 0;
        for i in 0..f.parts.len() {
            let (part, share) = (f.parts[i], f.shares[i]);
            if let RpcPart::IDontWant { msg } = part {
                self.stacks
                    .relay_mut(to as usize)
                    .expect("gossipsub RPCs reach relays only")
                    .idontwant_ahead(f.from_slot, msg, done);
            } else {
                f.parts[kept] = part;
                f.shares[kept] = share;
                kept += 1;
            }
        }
        f.parts.truncate(kept);
        f.shares.truncate(kept);
        f.bytes -= counted as u32;
        false
    }

    /// Handles on its arrival an RPC of messages that `to` has all seen and will still
    /// have seen when it is delivered at `done`: its delivery would change nothing but
    /// counters (see `Peer::known_duplicate`), so they are counted now and it needs no
    /// delivery event. In a mesh of degree D a node gets each message from several
    /// neighbours, many after the first copy was delivered. Returns whether it was one.
    fn settle_duplicates_on_arrival(
        &mut self,
        to: u32,
        slot: u32,
        done: SimTime,
        cx: &Ctx<'_>,
    ) -> bool {
        let peer = self
            .stacks
            .relay(to as usize)
            .expect("gossipsub RPCs reach relays only");
        let known = self.flights[slot].parts.iter().all(|p| match *p {
            RpcPart::Message { msg, .. } => peer.known_duplicate(msg, done, cx.msgs),
            _ => false,
        });
        if known {
            self.count_in(to, slot, done, |_, _| true, cx);
            self.flights.release(slot);
        }
        known
    }

    /// Handles on its arrival an RPC of IHAVEs whose every id `to` has seen and will still
    /// have seen when it is delivered at `done`: its delivery would ask for nothing (see
    /// `Peer::known_ihave`), so its groups are counted towards the flood limit as of
    /// `done` and its bytes now, and it needs no delivery event (every node sends an IHAVE
    /// to D_lazy peers each heartbeat). Returns whether it was one.
    fn settle_ihaves_on_arrival(
        &mut self,
        to: u32,
        slot: u32,
        done: SimTime,
        cx: &Ctx<'_>,
    ) -> bool {
        let f = &self.flights[slot];
        let peer = self
            .stacks
            .relay_mut(to as usize)
            .expect("gossipsub RPCs reach relays only");
        if !peer.known_ihave(&f.parts, done, cx.msgs) {
            return false;
        }
        peer.ihave_ahead(f.from_slot, &f.parts, done);
        self.count_in(to, slot, done, |_, _| false, cx);
        self.flights.release(slot);
        true
    }
}
