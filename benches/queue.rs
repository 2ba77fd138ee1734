//! Micro-benchmark of the event queues at the engine's access pattern: a steady population
//! of pending events (one per node plus messages in flight), each pop followed by a push a
//! link latency, a downlink serialization or a heartbeat later. Run: `cargo bench --bench
//! queue`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gossipsim::engine::{EventQueue, HeapQueue, WheelQueue};
use gossipsim::SimTime;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Delays drawn like the engine's: 1–160 ms links, 3–200 µs downlink, 1 s heartbeats.
fn delays(n: usize) -> Vec<u64> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    (0..n)
        .map(|_| match rng.gen_range(0..10) {
            0..=4 => rng.gen_range(1_000_000..160_000_000),
            5..=8 => rng.gen_range(3_000..200_000),
            _ => 1_000_000_000,
        })
        .collect()
}

fn steady<Q: EventQueue<u64>>(q: &mut Q, pending: usize, ops: usize, d: &[u64]) -> u64 {
    for i in 0..pending {
        q.push(SimTime(d[i % d.len()]), i as u64, i as u64);
    }
    let mut acc = 0u64;
    for i in 0..ops {
        let (t, ev) = q.pop().expect("steady population");
        acc = acc.wrapping_add(ev);
        q.push(SimTime(t.0 + d[i % d.len()]), ev, ev);
    }
    acc
}

fn queues(c: &mut Criterion) {
    let d = delays(1 << 16);
    let ops = 200_000;
    let mut g = c.benchmark_group("queue_pop_push");
    g.throughput(Throughput::Elements(ops as u64));
    for pending in [10_000usize, 200_000] {
        g.bench_with_input(BenchmarkId::new("wheel", pending), &pending, |b, &p| {
            b.iter(|| steady(&mut WheelQueue::default(), p, ops, &d));
        });
        g.bench_with_input(BenchmarkId::new("heap", pending), &pending, |b, &p| {
            b.iter(|| steady(&mut HeapQueue::default(), p, ops, &d));
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = queues
}
criterion_main!(benches);
