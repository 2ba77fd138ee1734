//! How a run is cut and stepped: partitions of contiguous node ids, stepped in parallel
//! through conservative time windows. A window is no longer than the smallest latency of a
//! link between two partitions (the lookahead), so nothing one partition sends during a
//! window can reach another before the window ends. Between windows the master fires due
//! publications and every cross-partition transmission is handed to its receiver's
//! partition. Owns windows and hand-over; what happens inside a window is `partition`'s.

use super::event::Event;
use super::flight::Outgoing;
use super::partition::{Ctx, Layout, Partition};
use super::publisher::{publish_event, Publisher};
use super::{Progress, Sim};
use crate::engine::{EventQueue, PoisonOnPanic, SpinBarrier};
use crate::ids::SimTime;
use crate::message::MessageTable;
use crate::net::Links;
use crate::scenario::Scenario;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

/// Longest window, when no link crosses partitions (one partition): bounds the work between
/// two progress reports, nothing else.
pub(super) const MAX_WINDOW: SimTime = SimTime(100_000_000);

/// Shortest window worth stepping in parallel: partitions meet at every window, so a cut
/// whose shortest link is a few nanoseconds would meet billions of times in a simulated
/// hour and never finish. Below it a run goes on one partition (results do not depend on
/// the partitions).
pub(super) const MIN_WINDOW: SimTime = SimTime(1_000_000);

/// Cuts the nodes into `parts` partitions of contiguous ids; returns each node's partition.
/// Ids carry no locality (topologies and regions are drawn at random), so each partition
/// gets a fair share of every burst of traffic; windows are then as long as the shortest
/// link. (Whole regions per partition allow longer windows but were measured slower: a
/// message floods its own region first, so the load of one window sits in one partition.)
pub(super) fn partition(n: usize, parts: usize) -> Vec<u16> {
    (0..n).map(|v| (v * parts / n) as u16).collect()
}

/// Shortest latency of a link between two partitions (`None`: no such link).
pub(super) fn cut_latency(links: &Links, part: &[u16]) -> Option<SimTime> {
    links
        .iter()
        .filter(|(a, b, _)| part[a.idx()] != part[b.idx()])
        .map(|(_, _, l)| l)
        .min()
}

/// The end of the next window, or `None` when the run is over: a window starts at the
/// earliest pending event or publication and lasts one lookahead.
fn window_end(
    sc: &Scenario,
    publisher: &Publisher,
    lookahead: SimTime,
    next_event: Option<SimTime>,
) -> Option<SimTime> {
    let end = sc.end();
    let t0 = match (next_event, publisher.next_at(sc)) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    (t0 <= end).then(|| (t0 + lookahead).min(end + SimTime(1)))
}

/// Moves every cross-partition transmission into its receiver's queue (serially: for setup
/// and the one-partition loop).
pub(super) fn hand_over(parts: &mut [Partition], part: &[u16], local: &[u32]) {
    for i in 0..parts.len() {
        for d in 0..parts.len() {
            let mut out = std::mem::take(&mut parts[i].outbox[d]);
            for o in out.drain(..) {
                debug_assert_eq!(usize::from(part[o.to.idx()]), d);
                parts[d].accept(o, local);
            }
            parts[i].outbox[d] = out;
        }
    }
}

const STOP: u64 = u64::MAX;

/// What the threads of a parallel run share: the barrier, the mailboxes between
/// partitions, the publications due in each, each one's next event time, the window's end.
struct Shared<'a> {
    p: usize,
    barrier: SpinBarrier,
    /// Transmissions from partition `src` to `dst` at `src * p + dst`.
    mail: Vec<Mutex<Vec<Outgoing>>>,
    pubs: Vec<Mutex<Vec<(SimTime, u64, Event)>>>,
    peeks: Vec<AtomicU64>,
    until: AtomicU64,
    msgs: RwLock<MessageTable>,
    events: AtomicU64,
    sc: &'a Scenario,
    layout: &'a Layout,
}

impl Shared<'_> {
    /// Partition `w`'s share of a window, from release (C) to posted next-event time (B);
    /// false once the run is over.
    fn step(&self, w: usize, part: &mut Partition) -> bool {
        let _poison = PoisonOnPanic(&self.barrier);
        self.barrier.wait(); // C
        let u = self.until.load(Ordering::Acquire);
        if u == STOP {
            return false;
        }
        for (t, k, ev) in self.pubs[w].lock().expect("no panics while held").drain(..) {
            part.queue.push(t, k, ev);
        }
        {
            let guard = self.msgs.read().expect("no panics while held");
            let cx = Ctx::new(self.sc, self.layout, &guard);
            let before = part.events;
            part.run_window(SimTime(u), &cx);
            self.events
                .fetch_add(part.events - before, Ordering::Relaxed);
        }
        for d in 0..self.p {
            if !part.outbox[d].is_empty() {
                let mut m = self.mail[w * self.p + d]
                    .lock()
                    .expect("no panics while held");
                std::mem::swap(&mut *m, &mut part.outbox[d]);
            }
        }
        self.barrier.wait(); // A
        for src in 0..self.p {
            let mut m = self.mail[src * self.p + w]
                .lock()
                .expect("no panics while held");
            for o in m.drain(..) {
                part.accept(o, &self.layout.local);
            }
        }
        let next = part.queue.peek_time().map_or(STOP, |t| t.0);
        self.peeks[w].store(next, Ordering::Release);
        self.barrier.wait(); // B
        true
    }
}

impl Sim {
    /// One partition: windows one after the other on the calling thread.
    pub(super) fn run_one(&mut self, progress: Progress<'_>) {
        loop {
            let next = self.parts[0].queue.peek_time();
            let Some(until) = window_end(&self.sc, &self.publisher, self.lookahead, next) else {
                break;
            };
            let (part, local) = (&mut self.parts[0], &self.layout.local);
            self.publisher.fire_due(
                &self.sc,
                &self.world,
                &mut self.msgs,
                until,
                |who, at, m| {
                    let (k, ev) = publish_event(who, local, m);
                    part.queue.push(at, k, ev);
                },
            );
            let cx = Ctx::new(&self.sc, &self.layout, &self.msgs);
            self.parts[0].run_window(until, &cx);
            progress(until.saturating_sub(SimTime(1)), self.parts[0].events);
        }
    }

    /// One thread per partition, all stepping the same window, three barriers a window:
    /// (A) every partition has stepped and posted its outgoing transmissions; (B) every
    /// partition has taken its incoming ones and posted its next event time; then the
    /// master (the calling thread, partition 0) fires due publications and sets the next
    /// window, and (C) releases everyone into it.
    pub(super) fn run_parallel(&mut self, progress: Progress<'_>) {
        let p = self.parts.len();
        let shared = Shared {
            p,
            barrier: SpinBarrier::new(p),
            mail: (0..p * p).map(|_| Mutex::new(Vec::new())).collect(),
            pubs: (0..p).map(|_| Mutex::new(Vec::new())).collect(),
            peeks: (0..p).map(|_| AtomicU64::new(STOP)).collect(),
            until: AtomicU64::new(STOP),
            msgs: RwLock::new(std::mem::take(&mut self.msgs)),
            events: AtomicU64::new(0),
            sc: &self.sc,
            layout: &self.layout,
        };
        let (world, publisher) = (&self.world, &mut self.publisher);
        let lookahead = self.lookahead;
        let mut next_event = self
            .parts
            .iter_mut()
            .filter_map(|s| s.queue.peek_time())
            .min();
        let (first, rest) = self.parts.split_at_mut(1);
        std::thread::scope(|scope| {
            for (i, part) in rest.iter_mut().enumerate() {
                let shared = &shared;
                scope.spawn(move || while shared.step(i + 1, part) {});
            }
            loop {
                // Serial section: every other thread waits at C.
                match window_end(shared.sc, publisher, lookahead, next_event) {
                    None => shared.until.store(STOP, Ordering::Release),
                    Some(u) => {
                        let mut table = shared.msgs.write().expect("no panics while held");
                        publisher.fire_due(shared.sc, world, &mut table, u, |who, at, m| {
                            let (k, ev) = publish_event(who, &shared.layout.local, m);
                            shared.pubs[usize::from(shared.layout.part[who.idx()])]
                                .lock()
                                .expect("no panics while held")
                                .push((at, k, ev));
                        });
                        shared.until.store(u.0, Ordering::Release);
                        let done = shared.events.load(Ordering::Relaxed);
                        progress(u.saturating_sub(SimTime(1)), done);
                    }
                }
                if !shared.step(0, &mut first[0]) {
                    break;
                }
                next_event = shared
                    .peeks
                    .iter()
                    .map(|x| x.load(Ordering::Acquire))
                    .min()
                    .filter(|&t| t != STOP)
                    .map(SimTime);
            }
        });
        self.msgs = shared.msgs.into_inner().expect("no panics while held");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_contiguous_and_balanced() {
        let p = partition(10, 3);
        assert_eq!(p, vec![0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
        assert_eq!(partition(5, 1), vec![0; 5]);
    }
}
