//! The traffic side of a run's master: fires publications in time order, numbers the
//! messages, and keeps what only it knows of each (expected receivers, inside the
//! measurement window or not). It never touches a peer: a publication leaves it as an event
//! for the publisher's partition.

use super::event::{key, Event, RANK_PUBLISH};
use super::World;
use crate::ids::{ClassId, MsgIdx, PeerId, SimTime, TopicId};
use crate::message::{Message, MessageTable};
use crate::metrics::Delivery;
use crate::scenario::{Audience, Scenario};
use crate::traffic::Generator;

pub(super) struct Publisher {
    pub gens: Vec<Generator>,
    pub delivery: Delivery,
}

impl Publisher {
    /// When the next publication is due, if inside the publishing period.
    pub fn next_at(&self, sc: &Scenario) -> Option<SimTime> {
        self.gens
            .iter()
            .map(Generator::next_at)
            .filter(|&t| t < sc.measure_end())
            .min()
    }

    /// Fires every publication due before `until`: the message gets its index here, in time
    /// order (generator order at equal times), and `sink` gets (publisher, time, message).
    pub fn fire_due(
        &mut self,
        sc: &Scenario,
        world: &World,
        msgs: &mut MessageTable,
        until: SimTime,
        mut sink: impl FnMut(PeerId, SimTime, MsgIdx),
    ) {
        let stop = sc.measure_end().min(until);
        loop {
            let Some((k, at)) = self
                .gens
                .iter()
                .enumerate()
                .map(|(k, g)| (k, g.next_at()))
                .filter(|&(_, at)| at < stop)
                .min_by_key(|&(k, at)| (at, k))
            else {
                return;
            };
            let g = &mut self.gens[k];
            let (who, payload) = g.fire();
            let (class, topic) = (g.class, g.topic);
            let parts: Vec<u64> = match sc.traffic[class.idx()].segment {
                Some(s) => s.split(payload).collect(),
                None => vec![payload],
            };
            for payload in parts {
                self.publish(sc, world, msgs, (class, topic, who, at), payload, &mut sink);
            }
        }
    }

    /// One message of `payload` bytes of `class` on `topic`, by `who` at `at`.
    fn publish(
        &mut self,
        sc: &Scenario,
        world: &World,
        msgs: &mut MessageTable,
        (class, topic, who, at): (ClassId, TopicId, PeerId, SimTime),
        payload: u64,
        sink: &mut impl FnMut(PeerId, SimTime, MsgIdx),
    ) {
        let payload = payload as u32;
        let m = msgs.push(Message {
            topic,
            class,
            publisher: who,
            published_at: at,
            payload_len: payload,
            data_len: sc.wire.data_len(payload),
        });
        let t = topic.idx();
        let (receivers, own) = match sc.traffic[class.idx()].to {
            Audience::All => (&world.class_subscribers, world.subscribed[t][who.idx()]),
            Audience::Relays => (&world.class_relays, world.relaying[t][who.idx()]),
        };
        let classes = self.delivery.classes;
        let receivers = &receivers[t * classes..(t + 1) * classes];
        let expected = receivers.iter().sum::<u32>() - u32::from(own);
        let measured = sc.measuring(at);
        self.delivery.on_publish(m, expected, measured);
        if measured {
            let mine = usize::from(world.node_class[who.idx()]);
            for (c, &r) in receivers.iter().enumerate() {
                let n = r - u32::from(own && c == mine);
                let g = self.delivery.group(t, c);
                self.delivery.expect(g, n);
            }
        }
        sink(who, at, m);
    }
}

/// The event a publication becomes in its publisher's partition.
pub(super) fn publish_event(who: PeerId, local: &[u32], m: MsgIdx) -> (u64, Event) {
    (
        key(who, RANK_PUBLISH, u64::from(m.0)),
        Event::Publish {
            peer: local[who.idx()],
            msg: m,
        },
    )
}
