//! Traffic generators: one per application message class, each with its own RNG stream, so
//! changing one class's rate never moves another's draws (nor the mesh). A generator says
//! when the next message is published, by whom, and how large its payload is.

use crate::ids::{ClassId, PeerId, SimTime};
use crate::rng::{sample_exp, sample_lognormal, SimRng};
use crate::units::Rate;
use rand::distributions::{Distribution, WeightedIndex};
use rand::Rng;

crate::word_enum!(
    /// Whether a class's rate is each publisher's or the whole network's.
    Per {
        Node = "node",
        Network = "network",
    }
);

crate::word_enum!(
    /// How a class's publications are spaced.
    Arrival {
        Poisson = "poisson",
        Periodic = "periodic",
    }
);

/// Payload size distribution (bytes).
#[derive(Debug, Clone, PartialEq)]
pub enum SizeDist {
    Fixed(u64),
    Uniform {
        min: u64,
        max: u64,
    },
    LogNormal {
        median: u64,
        sigma: f64,
        min: u64,
        max: u64,
    },
    Empirical {
        sizes: Vec<u64>,
        weights: Vec<f64>,
    },
}

impl SizeDist {
    /// Largest payload it can draw.
    pub fn max(&self) -> u64 {
        match self {
            SizeDist::Fixed(v) => *v,
            SizeDist::Uniform { max, .. } | SizeDist::LogNormal { max, .. } => *max,
            SizeDist::Empirical { sizes, .. } => sizes.iter().copied().max().unwrap_or(0),
        }
    }

    /// Mean payload, bytes. For a log-normal, median·e^(σ²/2): its clamping is ignored
    /// (documented by the model).
    pub fn mean(&self) -> f64 {
        match self {
            SizeDist::Fixed(v) => *v as f64,
            SizeDist::Uniform { min, max } => f64::midpoint(*min as f64, *max as f64),
            SizeDist::LogNormal { median, sigma, .. } => {
                *median as f64 * libm::exp(sigma * sigma / 2.0)
            }
            SizeDist::Empirical { sizes, weights } => {
                let w: f64 = weights.iter().sum();
                sizes
                    .iter()
                    .zip(weights)
                    .map(|(s, x)| *s as f64 * x)
                    .sum::<f64>()
                    / w
            }
        }
    }
}

/// What a traffic class publishes: how often, counted how, arriving how, and how large.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub rate: Rate,
    pub per: Per,
    pub arrival: Arrival,
    pub size: SizeDist,
    /// Publications fall in [start, stop): the schedule runs from `start`.
    pub start: SimTime,
    pub stop: Option<SimTime>,
}

enum Schedule {
    /// Poisson arrivals at `rate_per_ns`, publisher uniform among `publishers`.
    Poisson { rate_per_sec: f64 },
    /// Each publisher every `period`, at its own random phase; `order` sorted by phase.
    PeriodicPerNode {
        period: SimTime,
        order: Vec<(SimTime, PeerId)>,
        next: usize,
        cycle: u64,
    },
    /// One message every `period` network-wide, publisher uniform.
    PeriodicNetwork {
        period: SimTime,
        phase: SimTime,
        k: u64,
    },
}

pub struct Generator {
    pub class: ClassId,
    pub topic: crate::ids::TopicId,
    publishers: Vec<PeerId>,
    size: SizeDist,
    weights: Option<WeightedIndex<f64>>,
    schedule: Schedule,
    rng: SimRng,
    /// The next publication, counted from `start`.
    next_at: SimTime,
    next_publisher: PeerId,
    start: SimTime,
    stop: SimTime,
}

fn secs_to_time(s: f64) -> SimTime {
    SimTime((s * 1e9).round().max(1.0) as u64)
}

impl Generator {
    /// `publishers` must be non-empty (validation guarantees it).
    pub fn new(
        class: ClassId,
        topic: crate::ids::TopicId,
        spec: Pattern,
        publishers: Vec<PeerId>,
        mut rng: SimRng,
    ) -> Self {
        assert!(
            !publishers.is_empty(),
            "validated scenarios have non-empty publisher sets"
        );
        let n = publishers.len() as f64;
        let schedule = match (spec.arrival, spec.per) {
            (Arrival::Poisson, Per::Node) => Schedule::Poisson {
                rate_per_sec: spec.rate.per_sec * n,
            },
            (Arrival::Poisson, Per::Network) => Schedule::Poisson {
                rate_per_sec: spec.rate.per_sec,
            },
            (Arrival::Periodic, Per::Node) => {
                let period = secs_to_time(1.0 / spec.rate.per_sec);
                let mut order: Vec<(SimTime, PeerId)> = publishers
                    .iter()
                    .map(|&p| (SimTime(rng.gen_range(0..period.0)), p))
                    .collect();
                order.sort_unstable();
                Schedule::PeriodicPerNode {
                    period,
                    order,
                    next: 0,
                    cycle: 0,
                }
            }
            (Arrival::Periodic, Per::Network) => {
                let period = secs_to_time(1.0 / spec.rate.per_sec);
                Schedule::PeriodicNetwork {
                    period,
                    phase: SimTime(rng.gen_range(0..period.0)),
                    k: 0,
                }
            }
        };
        let weights = match &spec.size {
            SizeDist::Empirical { weights, .. } => Some(
                WeightedIndex::new(weights.iter().copied())
                    .expect("validated: some positive weight"),
            ),
            _ => None,
        };
        let mut g = Generator {
            class,
            topic,
            publishers,
            size: spec.size,
            weights,
            schedule,
            rng,
            next_at: SimTime::ZERO,
            next_publisher: PeerId(0),
            start: spec.start,
            stop: spec.stop.unwrap_or(SimTime::MAX),
        };
        g.advance(SimTime::ZERO);
        g
    }

    /// When the next message is due (never, past `stop`).
    pub fn next_at(&self) -> SimTime {
        let at = self.start.saturating_add(self.next_at);
        if at < self.stop {
            at
        } else {
            SimTime::MAX
        }
    }

    /// Takes the due message (publisher, payload bytes) and schedules the one after it.
    pub fn fire(&mut self) -> (PeerId, u64) {
        let who = self.next_publisher;
        let size = self.sample_size();
        let now = self.next_at;
        self.advance(now);
        (who, size)
    }

    fn advance(&mut self, now: SimTime) {
        match &mut self.schedule {
            Schedule::Poisson { rate_per_sec } => {
                let dt = sample_exp(&mut self.rng, *rate_per_sec);
                self.next_at = now + secs_to_time(dt);
                self.next_publisher = self.publishers[self.rng.gen_range(0..self.publishers.len())];
            }
            Schedule::PeriodicPerNode {
                period,
                order,
                next,
                cycle,
            } => {
                let (phase, p) = order[*next];
                self.next_at = SimTime(phase.0.saturating_add(cycle.saturating_mul(period.0)));
                self.next_publisher = p;
                *next += 1;
                if *next == order.len() {
                    *next = 0;
                    *cycle += 1;
                }
            }
            Schedule::PeriodicNetwork { period, phase, k } => {
                self.next_at = SimTime(phase.0.saturating_add(k.saturating_mul(period.0)));
                *k += 1;
                self.next_publisher = self.publishers[self.rng.gen_range(0..self.publishers.len())];
            }
        }
    }

    fn sample_size(&mut self) -> u64 {
        match &self.size {
            SizeDist::Fixed(v) => *v,
            SizeDist::Uniform { min, max } => self.rng.gen_range(*min..=*max),
            SizeDist::LogNormal {
                median,
                sigma,
                min,
                max,
            } => (sample_lognormal(&mut self.rng, *median as f64, *sigma).round() as u64)
                .clamp(*min, *max),
            SizeDist::Empirical { sizes, .. } => {
                sizes[self
                    .weights
                    .as_ref()
                    .expect("empirical has weights")
                    .sample(&mut self.rng)]
            }
        }
    }
}
