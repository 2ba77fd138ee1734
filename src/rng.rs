//! Deterministic random streams. One master seed; every consumer (peer, link sampler, traffic
//! generator, topology builder) gets its own named ChaCha stream derived from it, so changing
//! one consumer's draws never shifts another's. Never uses `thread_rng`, `StdRng` or
//! `rand::random`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The PRNG every part of the simulator uses: portable and stable across platforms/versions.
pub type SimRng = ChaCha8Rng;

/// FNV-1a over bytes: a stable, dependency-free mixer for stream names and run ids (std's
/// `DefaultHasher` is not guaranteed stable across Rust releases).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// SplitMix64's finalizer: a bijective 64-bit mixer.
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform draw in [0, 1) that is a pure function of `(seed, a, b)`: for decisions that
/// must not depend on the order in which threads make them (e.g. loss of the `b`-th
/// transmission of sender `a`).
#[inline]
pub fn hash_unit(seed: u64, a: u64, b: u64) -> f64 {
    let h = mix64(mix64(mix64(seed) ^ a) ^ b);
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Derives named sub-streams from the master seed.
#[derive(Clone, Copy, Debug)]
pub struct Streams {
    master: u64,
}

impl Streams {
    pub fn new(master: u64) -> Self {
        Streams { master }
    }

    /// The stream called `name`, instance `index` (e.g. `("peer", 17)`).
    pub fn stream(&self, name: &str, index: u64) -> SimRng {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&self.master.to_le_bytes());
        seed[8..16].copy_from_slice(&fnv1a64(name.as_bytes()).to_le_bytes());
        seed[16..24].copy_from_slice(&index.to_le_bytes());
        seed[24..32].copy_from_slice(&0x6f73_7369_7073_696du64.to_le_bytes());
        ChaCha8Rng::from_seed(seed)
    }
}

// Continuous samplers. They use the pure-Rust `libm` for ln/exp/cos so that results are
// bit-identical on every platform (the system libm behind `f64::ln` is not guaranteed to be).

/// A uniform draw in (0, 1]: never 0, so its logarithm is finite.
fn open_unit(rng: &mut SimRng) -> f64 {
    1.0 - rng.gen::<f64>()
}

/// Exponential with the given rate (mean 1/rate).
pub fn sample_exp(rng: &mut SimRng, rate: f64) -> f64 {
    -libm::log(open_unit(rng)) / rate
}

/// Standard normal (Box–Muller, one of the pair).
pub fn sample_std_normal(rng: &mut SimRng) -> f64 {
    let r = libm::sqrt(-2.0 * libm::log(open_unit(rng)));
    r * libm::cos(2.0 * std::f64::consts::PI * rng.gen::<f64>())
}

/// Normal with mean `mu` and standard deviation `sigma`.
pub fn sample_normal(rng: &mut SimRng, mu: f64, sigma: f64) -> f64 {
    mu + sigma * sample_std_normal(rng)
}

/// Log-normal with the given median and sigma of the underlying normal.
pub fn sample_lognormal(rng: &mut SimRng, median: f64, sigma: f64) -> f64 {
    median * libm::exp(sigma * sample_std_normal(rng))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samplers_have_the_right_moments() {
        let mut r = Streams::new(5).stream("t", 0);
        let n = 200_000;
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let e: Vec<f64> = (0..n).map(|_| sample_exp(&mut r, 4.0)).collect();
        assert!((mean(&e) - 0.25).abs() < 0.005);
        let z: Vec<f64> = (0..n).map(|_| sample_normal(&mut r, 3.0, 2.0)).collect();
        let m = mean(&z);
        let var = z.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
        assert!((m - 3.0).abs() < 0.02 && (var.sqrt() - 2.0).abs() < 0.02);
        let mut l: Vec<f64> = (0..n)
            .map(|_| sample_lognormal(&mut r, 50.0, 0.5))
            .collect();
        l.sort_by(f64::total_cmp);
        assert!((l[n / 2] - 50.0).abs() < 1.0, "median {}", l[n / 2]);
    }

    #[test]
    fn streams_are_independent_and_reproducible() {
        let s = Streams::new(42);
        let a: u64 = s.stream("peer", 1).gen();
        let a2: u64 = s.stream("peer", 1).gen();
        let b: u64 = s.stream("peer", 2).gen();
        let c: u64 = s.stream("traffic", 1).gen();
        let d: u64 = Streams::new(43).stream("peer", 1).gen();
        assert_eq!(a, a2);
        assert!(a != b && a != c && a != d);
    }
}
