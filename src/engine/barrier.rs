//! A reusable barrier for the partitions of a run, stepped window by window. Owns the
//! waiting, nothing of the simulation: whoever calls it decides what a round means.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// A barrier whose waiters spin briefly, then sleep: windows are short (often a millisecond
/// of simulated time, little work) and `std::sync::Barrier` sleeps at once, whose futex
/// wake-up costs more than a typical wait; sleeping after the spin keeps runs with more
/// threads than cores from burning their time slices spinning.
pub struct SpinBarrier {
    n: usize,
    /// Spins before sleeping: long when every thread has a core of its own, short when
    /// threads outnumber cores (a spinner then holds the core a laggard needs).
    spins: u32,
    count: AtomicUsize,
    generation: AtomicUsize,
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
    /// Set when a thread panicked: the others stop waiting for it and panic too, instead of
    /// waiting forever.
    poisoned: AtomicBool,
}

/// Poisons the barrier if the thread holding it unwinds.
pub struct PoisonOnPanic<'a>(pub &'a SpinBarrier);

impl Drop for PoisonOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.poisoned.store(true, Ordering::SeqCst);
            let _held = self.0.lock.lock();
            self.0.wake.notify_all();
        }
    }
}

impl SpinBarrier {
    pub fn new(n: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        SpinBarrier {
            n,
            spins: if n <= cores { 4000 } else { 64 },
            count: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            poisoned: AtomicBool::new(false),
        }
    }

    fn check_poison(&self) {
        if self.poisoned.load(Ordering::SeqCst) {
            panic!("a partition's thread panicked; stopping the others");
        }
    }

    /// Blocks until all `n` threads have called `wait` in this round.
    pub fn wait(&self) {
        let g = self.generation.load(Ordering::SeqCst);
        if self.count.fetch_add(1, Ordering::SeqCst) + 1 == self.n {
            self.count.store(0, Ordering::SeqCst);
            self.generation.fetch_add(1, Ordering::SeqCst);
            if self.sleepers.load(Ordering::SeqCst) > 0 {
                let _held = self.lock.lock().expect("no panics while held");
                self.wake.notify_all();
            }
            return;
        }
        for _ in 0..self.spins {
            if self.generation.load(Ordering::Acquire) != g {
                return;
            }
            std::hint::spin_loop();
        }
        self.check_poison();
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        let mut held = self
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while self.generation.load(Ordering::SeqCst) == g {
            if self.poisoned.load(Ordering::SeqCst) {
                drop(held);
                self.check_poison();
                unreachable!("check_poison panics when poisoned");
            }
            held = self
                .wake
                .wait(held)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        drop(held);
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barrier_releases_everyone_each_round() {
        let b = SpinBarrier::new(3);
        let hits = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    for round in 0..200 {
                        hits.fetch_add(1, Ordering::SeqCst);
                        b.wait();
                        // Everyone has counted this round before anyone passes.
                        assert!(hits.load(Ordering::SeqCst) >= 3 * (round + 1));
                        b.wait();
                    }
                });
            }
        });
        assert_eq!(hits.into_inner(), 600);
    }

    /// A thread that panics does not leave the others waiting forever: they panic too.
    #[test]
    fn a_panicking_thread_poisons_the_barrier() {
        let b = SpinBarrier::new(2);
        let r = std::thread::scope(|s| {
            let waiter = s.spawn(|| b.wait());
            let failer = s.spawn(|| {
                let _poison = PoisonOnPanic(&b);
                panic!("deliberate");
            });
            (waiter.join(), failer.join())
        });
        assert!(r.0.is_err() && r.1.is_err());
    }
}
