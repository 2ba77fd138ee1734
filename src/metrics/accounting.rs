//! Byte accounting, counted where bytes cross the network, through one entry
//! ([`Accounting::on_wire`]) whatever the payload, into counters per node, direction, kind,
//! class and topic. What each byte was for is decided in `kinds`.

use super::kinds::{Cell, Counted, Direction, Kind, Scope, KINDS, STORAGE_ORDER};
use crate::ids::{ClassId, PeerId, TopicId};
use crate::message::MessageTable;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counter {
    /// Bytes on the wire.
    pub bytes: u64,
    /// Items counted: messages, ids, topic entries or frames.
    pub msgs: u64,
    /// Application payload bytes carried (payload kinds only): what the analytical model
    /// calls message size, without the Waku envelope and the pubsub framing.
    pub payload: u64,
}

/// Counters per (node, direction, kind, class or none, topic or none), plus run-wide
/// totals for the conservation check (sent = received + dropped + in flight). Only the
/// (class, topic) combinations a kind can be counted under are stored (see `Kind::scope`):
/// a message's class has one topic, so a kind counted by class and topic keeps a counter
/// per class (linear in classes and topics, never their product).
pub struct Accounting {
    /// The topic of each traffic class.
    class_topic: Vec<TopicId>,
    topics: usize,
    /// Offset of each kind (by `Kind as usize`) in a node's block, in counters.
    base: [usize; KINDS],
    per_node: usize,
    cells: Vec<Counter>,
    pub sent_total: u64,
    pub received_total: u64,
    pub dropped_total: u64,
}

impl Accounting {
    /// Counters for `nodes` nodes, traffic classes on the topics `class_topic`, and
    /// `topics` topics.
    pub fn new(nodes: usize, class_topic: &[TopicId], topics: usize) -> Self {
        let classes = class_topic.len();
        let mut base = [0; KINDS];
        let mut per_node = 0;
        for k in STORAGE_ORDER {
            base[k as usize] = per_node;
            per_node += Self::width(k, classes, topics);
        }
        Accounting {
            class_topic: class_topic.to_vec(),
            topics,
            base,
            per_node,
            cells: vec![Counter::default(); nodes * per_node],
            sent_total: 0,
            received_total: 0,
            dropped_total: 0,
        }
    }

    /// Counters one node keeps for `kind`: per stored (class, topic), in and out.
    fn width(kind: Kind, classes: usize, topics: usize) -> usize {
        2 * match kind.scope() {
            Scope::ClassTopic => classes,
            Scope::Topic => topics,
            Scope::Bare => 1,
        }
    }

    /// Where (node, dir, kind, class, topic) is stored; `None` for a combination the kind
    /// is never counted under.
    #[inline]
    fn index(
        &self,
        node: PeerId,
        dir: Direction,
        kind: Kind,
        class: Option<ClassId>,
        topic: Option<TopicId>,
    ) -> Option<usize> {
        // In and out side by side: a relay counts the copy it received and the copies it
        // forwards in the same cache line.
        let within = match (kind.scope(), class, topic) {
            (Scope::ClassTopic, Some(c), Some(t)) if self.class_topic[c.idx()] == t => c.idx(),
            (Scope::Topic, None, Some(t)) => t.idx(),
            (Scope::Bare, None, None) => 0,
            _ => return None,
        };
        Some(node.idx() * self.per_node + self.base[kind as usize] + 2 * within + dir as usize)
    }

    /// Hints the CPU to load the first lines of `node`'s counters: the kinds counted on
    /// nearly every RPC (see `STORAGE_ORDER`).
    #[inline]
    pub fn prefetch_node(&self, node: PeerId) {
        // The hot kinds are the first four of `STORAGE_ORDER`; the fifth starts after them.
        let hot = self.base[STORAGE_ORDER[4] as usize];
        let at = node.idx() * self.per_node;
        if let Some(c) = self.cells.get(at..at + hot) {
            crate::prefetch::prefetch_slice(c, 3);
        }
    }

    /// Counts a transmission, or some of its items, that `node` sent or received: each
    /// item with its share of the bytes, then `overhead` (0 for items whose transmission is
    /// counted later), and all of it in the run-wide total of its direction. Returns the
    /// bytes counted; per-node counters count only while `measuring`, the totals always.
    /// The one place bytes are counted, whatever the payload.
    #[inline]
    pub fn on_wire<'a>(
        &mut self,
        node: PeerId,
        dir: Direction,
        items: impl IntoIterator<Item = (Counted<'a>, u32)>,
        overhead: u32,
        measuring: bool,
        msgs: &MessageTable,
    ) -> u64 {
        let mut total = u64::from(overhead);
        for (item, share) in items {
            if measuring {
                self.add(node, dir, item.cell(msgs), u64::from(share));
            }
            total += u64::from(share);
        }
        if measuring && overhead > 0 {
            self.add(node, dir, Cell::TRANSPORT, u64::from(overhead));
        }
        match dir {
            Direction::Out => self.sent_total += total,
            Direction::In => self.received_total += total,
        }
        total
    }

    /// [`Accounting::on_wire`] for a transmission of one item (a forward, the bulk of a
    /// run's transmissions), without the walk over items.
    #[inline]
    pub fn on_wire_one(
        &mut self,
        node: PeerId,
        dir: Direction,
        (item, share): (Counted<'_>, u32),
        overhead: u32,
        measuring: bool,
        msgs: &MessageTable,
    ) -> u64 {
        if measuring {
            self.add(node, dir, item.cell(msgs), u64::from(share));
            if overhead > 0 {
                self.add(node, dir, Cell::TRANSPORT, u64::from(overhead));
            }
        }
        let total = u64::from(share) + u64::from(overhead);
        match dir {
            Direction::Out => self.sent_total += total,
            Direction::In => self.received_total += total,
        }
        total
    }

    /// Counts one item (a message, an id, a topic, a frame) of `bytes` bytes.
    #[inline]
    pub fn add(&mut self, node: PeerId, dir: Direction, cell: Cell, bytes: u64) {
        let i = self
            .index(node, dir, cell.kind, cell.class, cell.topic)
            .expect("classify gives every kind its scope");
        let c = &mut self.cells[i];
        c.bytes += bytes;
        c.msgs += 1;
        c.payload += cell.payload;
    }

    pub fn get(
        &self,
        node: PeerId,
        dir: Direction,
        kind: Kind,
        class: Option<ClassId>,
        topic: Option<TopicId>,
    ) -> Counter {
        self.index(node, dir, kind, class, topic)
            .map_or_else(Counter::default, |i| self.cells[i])
    }

    /// Bytes of counters per node for `classes` traffic classes and `topics` topics, for
    /// memory estimates.
    pub fn bytes_per_node(classes: usize, topics: usize) -> u64 {
        let counters: usize = Kind::ALL
            .iter()
            .map(|&k| Self::width(k, classes, topics))
            .sum();
        (counters * std::mem::size_of::<Counter>()) as u64
    }

    /// Copies the counters of node `src` of `from` (a partition's table, with the same
    /// classes and topics) into node `dst` of this table. Run-wide totals are merged apart,
    /// once per table, by [`Accounting::add_totals`].
    pub fn copy_node(&mut self, dst: PeerId, from: &Accounting, src: PeerId) {
        debug_assert_eq!(
            (&self.class_topic, self.topics),
            (&from.class_topic, from.topics)
        );
        let k = self.per_node;
        self.cells[dst.idx() * k..(dst.idx() + 1) * k]
            .copy_from_slice(&from.cells[src.idx() * k..(src.idx() + 1) * k]);
    }

    /// Adds another table's run-wide conservation totals to this one's.
    pub fn add_totals(&mut self, from: &Accounting) {
        self.sent_total += from.sent_total;
        self.received_total += from.received_total;
        self.dropped_total += from.dropped_total;
    }

    /// Every non-zero cell of `node`, in a fixed order.
    pub fn node_cells(
        &self,
        node: PeerId,
    ) -> impl Iterator<Item = (Direction, Kind, Option<ClassId>, Option<TopicId>, Counter)> + '_
    {
        let dirs = [Direction::In, Direction::Out];
        dirs.into_iter().flat_map(move |d| {
            Kind::ALL.into_iter().flat_map(move |k| {
                // What the kind's scope stores, by class, then topic, then neither.
                let stored: Box<dyn Iterator<Item = (Option<ClassId>, Option<TopicId>)>> =
                    match k.scope() {
                        Scope::ClassTopic => Box::new(
                            self.class_topic
                                .iter()
                                .enumerate()
                                .map(|(c, &t)| (Some(ClassId(c as u16)), Some(t))),
                        ),
                        Scope::Topic => {
                            Box::new((0..self.topics).map(|t| (None, Some(TopicId(t as u16)))))
                        }
                        Scope::Bare => Box::new(std::iter::once((None, None))),
                    };
                stored.filter_map(move |(class, topic)| {
                    let v = self.get(node, d, k, class, topic);
                    (v.msgs > 0).then_some((d, k, class, topic, v))
                })
            })
        })
    }

    /// Bytes of `node` in `dir`, summed over kinds matching `pred` (all classes and topics).
    pub fn node_bytes(&self, node: PeerId, dir: Direction, pred: impl Fn(Kind) -> bool) -> u64 {
        self.node_cells(node)
            .filter(|(d, k, ..)| *d == dir && pred(*k))
            .map(|(.., v)| v.bytes)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{MsgIdx, SimTime};
    use crate::message::{Message, MessageTable};
    use crate::metrics::kinds::classify;
    use crate::protocol::gossipsub::{PayloadKind, RpcPart};

    fn every_part(msg: MsgIdx, topic: TopicId) -> Vec<RpcPart> {
        let mut parts = vec![
            RpcPart::Subscribe {
                topic,
                subscribe: true,
            },
            RpcPart::IHave { topic, msg },
            RpcPart::IWant { msg },
            RpcPart::IDontWant { msg },
            RpcPart::Graft { topic },
            RpcPart::Prune {
                topic,
                backoff_secs: 60,
            },
        ];
        for kind in [
            PayloadKind::Published,
            PayloadKind::Forwarded,
            PayloadKind::IWantServed,
        ] {
            parts.push(RpcPart::Message { msg, kind, hops: 1 });
        }
        parts
    }

    /// A message of each class, its topic `class_topic`'s.
    fn one_message_per_class(class_topic: &[TopicId]) -> MessageTable {
        let mut msgs = MessageTable::default();
        for (c, &topic) in class_topic.iter().enumerate() {
            msgs.push(Message {
                topic,
                class: ClassId(c as u16),
                publisher: PeerId(0),
                published_at: SimTime::ZERO,
                payload_len: 100 + c as u32,
                data_len: 200,
            });
        }
        msgs
    }

    /// Every cell `classify` can produce is stored, for every class and topic, and reads
    /// back what was added; every other combination reads zero.
    #[test]
    fn every_classified_cell_is_stored_apart() {
        // Three classes on two topics (a class has one topic; a topic may carry several).
        let class_topic = [TopicId(1), TopicId(0), TopicId(1)];
        let (classes, topics) = (class_topic.len(), 2);
        let msgs = one_message_per_class(&class_topic);
        let mut acct = Accounting::new(3, &class_topic, topics);
        let mut expect = std::collections::BTreeMap::new();
        let mut bytes = 1;
        for (m, meta) in msgs.iter() {
            for part in every_part(m, meta.topic) {
                for dup in [false, true] {
                    let cell = classify(&part, dup, &msgs);
                    for dir in [Direction::In, Direction::Out] {
                        acct.add(PeerId(1), dir, cell, bytes);
                        let e = expect
                            .entry((dir, cell.kind, cell.class, cell.topic))
                            .or_insert(Counter::default());
                        e.bytes += bytes;
                        e.msgs += 1;
                        e.payload += cell.payload;
                        bytes += 1;
                    }
                }
            }
        }
        acct.add(PeerId(1), Direction::Out, Cell::TRANSPORT, 7);
        let t = expect
            .entry((Direction::Out, Kind::Transport, None, None))
            .or_insert(Counter::default());
        t.bytes += 7;
        t.msgs += 1;
        // Read back in the report's order: exactly the cells added, nothing else.
        let got: Vec<_> = acct
            .node_cells(PeerId(1))
            .map(|(d, k, c, t, v)| ((d, k, c, t), v))
            .collect();
        let mut want: Vec<_> = expect.into_iter().collect();
        want.sort_by_key(|((d, k, c, t), _)| {
            (
                *d,
                *k,
                c.map_or(classes, ClassId::idx),
                t.map_or(topics, TopicId::idx),
            )
        });
        assert_eq!(got, want);
        assert_eq!(acct.node_cells(PeerId(0)).count(), 0);
        assert_eq!(acct.node_cells(PeerId(2)).count(), 0);
        assert_eq!(
            acct.get(
                PeerId(1),
                Direction::In,
                Kind::Graft,
                Some(ClassId(0)),
                Some(TopicId(0))
            ),
            Counter::default()
        );
        // Nor is a class counted on a topic it is not on.
        assert_eq!(
            acct.get(
                PeerId(1),
                Direction::In,
                Kind::Forwarded,
                Some(ClassId(0)),
                Some(TopicId(0))
            ),
            Counter::default()
        );
        assert_eq!(
            Accounting::bytes_per_node(classes, topics),
            (acct.cells.len() / 3 * std::mem::size_of::<Counter>()) as u64
        );
    }

    /// A node's block copies whole into another table.
    #[test]
    fn copy_node_moves_one_block() {
        let mut msgs = MessageTable::default();
        let m = msgs.push(Message {
            topic: TopicId(0),
            class: ClassId(0),
            publisher: PeerId(0),
            published_at: SimTime::ZERO,
            payload_len: 10,
            data_len: 20,
        });
        let mut a = Accounting::new(2, &[TopicId(0)], 1);
        let cell = classify(&RpcPart::IDontWant { msg: m }, false, &msgs);
        a.add(PeerId(1), Direction::In, cell, 5);
        let mut b = Accounting::new(4, &[TopicId(0)], 1);
        b.copy_node(PeerId(3), &a, PeerId(1));
        let got: Vec<_> = b.node_cells(PeerId(3)).collect();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].4.bytes, 5);
        assert_eq!(b.node_cells(PeerId(1)).count(), 0);
    }
}
