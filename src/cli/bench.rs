//! `gossipsim bench` (the table) and `bench-one` (the child process each row runs in).

use crate::sim::Options;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// Whole-run benchmark: each scenario at each thread count in a child process; prints
/// wall clock, simulated s per wall s, events/s, ns/event, peak RSS, the memory estimate
/// and a hash of the output files (equal hashes: byte-identical results).
#[derive(Args, Debug)]
pub struct BenchArgs {
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
    /// Thread counts to run each scenario with, e.g. "1,2".
    #[arg(long, value_delimiter = ',', default_value = "1,2",
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Vec<u32>,
    /// Override the warm-up (e.g. "10s") to time a shorter slice.
    #[arg(long, value_parser = crate::units::parse_duration)]
    warmup: Option<crate::SimTime>,
    /// Override the measured duration (e.g. "1min") to time a shorter slice.
    #[arg(long, value_parser = crate::units::parse_duration)]
    duration: Option<crate::SimTime>,
    /// Also write the rows to this CSV file.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Time the plain path: settle nothing on arrival (see `run --no-shortcuts`).
    #[arg(long)]
    no_shortcuts: bool,
}

impl BenchArgs {
    pub fn exec(self) -> Result<()> {
        let BenchArgs {
            scenarios,
            threads,
            warmup,
            duration,
            csv,
            no_shortcuts,
        } = self;
        let threads: Vec<usize> = threads.into_iter().map(|t| t as usize).collect();
        let slice = crate::bench::Slice { warmup, duration };
        crate::bench::bench(&scenarios, &threads, slice, !no_shortcuts, csv.as_deref())
    }
}

/// One benchmark run (what `bench` starts in a child process).
#[derive(Args, Debug)]
pub struct BenchOneArgs {
    scenario: PathBuf,
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: u32,
    #[arg(long, value_parser = crate::units::parse_duration)]
    warmup: Option<crate::SimTime>,
    #[arg(long, value_parser = crate::units::parse_duration)]
    duration: Option<crate::SimTime>,
    #[arg(long)]
    no_shortcuts: bool,
}

impl BenchOneArgs {
    pub fn exec(self) -> Result<()> {
        let BenchOneArgs {
            scenario,
            threads,
            warmup,
            duration,
            no_shortcuts,
        } = self;
        let slice = crate::bench::Slice { warmup, duration };
        let opts = Options {
            threads: threads as usize,
            shortcuts: !no_shortcuts,
        };
        crate::bench::bench_one(&scenario, opts, slice)
    }
}
