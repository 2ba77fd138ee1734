//! Per-link latency sampling and region placement. A link's one-way latency is drawn once,
//! from the link's own position in a dedicated RNG stream.

use crate::ids::SimTime;
use crate::rng::{sample_lognormal, sample_normal, SimRng};
use rand::Rng;

/// One-way latency of a link, drawn once per connection.
#[derive(Debug, Clone, PartialEq)]
pub enum LatencySpec {
    Fixed(SimTime),
    Uniform {
        min: SimTime,
        max: SimTime,
    },
    Normal {
        mean: SimTime,
        std_dev: SimTime,
        floor: SimTime,
    },
    LogNormal {
        median: SimTime,
        sigma: f64,
        floor: SimTime,
    },
    /// Nodes placed in regions by weight; a link's latency is half the regions' round trip.
    Regions {
        names: Vec<String>,
        rtt_ms: Vec<Vec<f64>>,
        weights: Vec<f64>,
        floor: SimTime,
    },
}

/// Counts per bucket that add up to `n` exactly (largest remainder), for weights `w`.
pub fn apportion(n: u32, w: &[f64]) -> Vec<u32> {
    let total: f64 = w.iter().sum();
    let exact: Vec<f64> = w.iter().map(|x| x / total * f64::from(n)).collect();
    let mut c: Vec<u32> = exact.iter().map(|e| e.floor() as u32).collect();
    // Rounding may put the floors a little above n: take the excess back from the largest.
    let mut over = c
        .iter()
        .map(|&x| u64::from(x))
        .sum::<u64>()
        .saturating_sub(u64::from(n));
    while over > 0 {
        let i = (0..c.len())
            .max_by_key(|&i| (c[i], std::cmp::Reverse(i)))
            .expect("weights");
        c[i] -= 1;
        over -= 1;
    }
    let mut left = n - c.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..w.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        c[i] += 1;
        left -= 1;
    }
    c
}

/// Assigns each of `n` nodes a bucket so that bucket sizes follow `weights` exactly, in
/// random order.
pub fn assign(n: u32, weights: &[f64], rng: &mut SimRng) -> Vec<u16> {
    let counts = apportion(n, weights);
    let mut v: Vec<u16> = counts
        .iter()
        .enumerate()
        .flat_map(|(i, &c)| std::iter::repeat_n(i as u16, c as usize))
        .collect();
    rand::seq::SliceRandom::shuffle(&mut v[..], rng);
    v
}

/// Draws one link's latency. `ra`, `rb`: the endpoints' regions (used by `Regions`).
pub fn sample(spec: &LatencySpec, ra: u16, rb: u16, rng: &mut SimRng) -> SimTime {
    let ns = |ms: f64| SimTime((ms * 1e6).max(0.0).round() as u64);
    match spec {
        LatencySpec::Fixed(v) => *v,
        LatencySpec::Uniform { min, max } => SimTime(rng.gen_range(min.0..=max.0)),
        LatencySpec::Normal {
            mean,
            std_dev,
            floor,
        } => ns(sample_normal(
            rng,
            mean.as_millis_f64(),
            std_dev.as_millis_f64(),
        ))
        .max(*floor),
        LatencySpec::LogNormal {
            median,
            sigma,
            floor,
        } => ns(sample_lognormal(rng, median.as_millis_f64(), *sigma)).max(*floor),
        LatencySpec::Regions { rtt_ms, floor, .. } => {
            ns(rtt_ms[ra as usize][rb as usize] / 2.0).max(*floor)
        }
    }
}
