//! `gossipsim bench` (the table) and `bench-one` (the child process each row runs in):
//! whole-run benchmarks. Each (scenario, thread count) runs in a child process of its own,
//! so that its peak RSS is its own; the child builds the world, steps it, renders the result
//! files in memory and prints one line of measurements, including a hash of the rendered
//! files, so that a table shows at a glance that 1 and N threads produced the same bytes.
//! Reads the wall clock; the simulation never does.

use crate::estimate::{gib, peak_rss};
use crate::ids::SimTime;
use crate::output::{render_files, Summary};
use crate::rng::fnv1a64;
use crate::scenario::{self, Override, Source};
use crate::sim::{Options, Sim};
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

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
    #[arg(long, allow_hyphen_values = true, value_parser = crate::units::parse_duration)]
    warmup: Option<crate::SimTime>,
    /// Override the measured duration (e.g. "1min") to time a shorter slice.
    #[arg(long, allow_hyphen_values = true, value_parser = crate::units::parse_duration)]
    duration: Option<crate::SimTime>,
    /// Also write the rows to this CSV file.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Time the plain path: settle nothing on arrival, every RPC in the slab (see `run
    /// --no-shortcuts`).
    #[arg(long)]
    no_shortcuts: bool,
    /// Set a scenario key on top of every file (repeatable), e.g. --set nodes=5000.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<Override>,
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
            set,
        } = self;
        let threads: Vec<usize> = threads.into_iter().map(|t| t as usize).collect();
        let slice = Slice { warmup, duration };
        let sources: Vec<Source> = (scenarios.into_iter())
            .map(|p| Source::new(p, set.clone()))
            .collect();
        bench(&sources, &threads, slice, !no_shortcuts, csv.as_deref())
    }
}

/// One benchmark run (what `bench` starts in a child process).
#[derive(Args, Debug)]
pub struct BenchOneArgs {
    scenario: PathBuf,
    #[arg(long, allow_hyphen_values = true, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: u32,
    #[arg(long, allow_hyphen_values = true, value_parser = crate::units::parse_duration)]
    warmup: Option<crate::SimTime>,
    #[arg(long, allow_hyphen_values = true, value_parser = crate::units::parse_duration)]
    duration: Option<crate::SimTime>,
    #[arg(long)]
    no_shortcuts: bool,
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<Override>,
}

impl BenchOneArgs {
    pub fn exec(self) -> Result<()> {
        let BenchOneArgs {
            scenario,
            threads,
            warmup,
            duration,
            no_shortcuts,
            set,
        } = self;
        let slice = Slice { warmup, duration };
        let opts = Options {
            threads: threads as usize,
            shortcuts: !no_shortcuts,
        };
        bench_one(&Source::new(scenario, set), opts, slice)
    }
}

/// What one child measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub nodes: u32,
    pub simulated_s: f64,
    pub threads: usize,
    pub partitions: usize,
    pub build_s: f64,
    pub run_s: f64,
    pub events: u64,
    pub peak_rss: u64,
    pub estimate: u64,
    pub output_hash: u64,
}

impl Measurement {
    fn line(&self) -> String {
        format!(
            "BENCH nodes={} simulated_s={} threads={} partitions={} build_s={:.3} run_s={:.3} events={} peak_rss={} estimate={} output_hash={:016x}",
            self.nodes,
            self.simulated_s,
            self.threads,
            self.partitions,
            self.build_s,
            self.run_s,
            self.events,
            self.peak_rss,
            self.estimate,
            self.output_hash
        )
    }

    fn parse(line: &str) -> Option<Measurement> {
        let rest = line.strip_prefix("BENCH ")?;
        let get = |k: &str| {
            rest.split(' ')
                .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('='))
        };
        Some(Measurement {
            nodes: get("nodes")?.parse().ok()?,
            simulated_s: get("simulated_s")?.parse().ok()?,
            threads: get("threads")?.parse().ok()?,
            partitions: get("partitions")?.parse().ok()?,
            build_s: get("build_s")?.parse().ok()?,
            run_s: get("run_s")?.parse().ok()?,
            events: get("events")?.parse().ok()?,
            peak_rss: get("peak_rss")?.parse().ok()?,
            estimate: get("estimate")?.parse().ok()?,
            output_hash: u64::from_str_radix(get("output_hash")?, 16).ok()?,
        })
    }

    /// Build + run: what a user waits for before the report.
    pub fn wall_s(&self) -> f64 {
        self.build_s + self.run_s
    }
}

/// Warm-up and measured-duration overrides, to time a shorter slice of a workload.
#[derive(Debug, Clone, Copy, Default)]
pub struct Slice {
    pub warmup: Option<SimTime>,
    pub duration: Option<SimTime>,
}

/// Loads `path` with the slice's overrides.
fn load(path: &Source, slice: Slice) -> Result<scenario::Scenario> {
    if slice.duration == Some(SimTime::ZERO) {
        bail!("--duration must be greater than zero");
    }
    let sc = path.load()?;
    Ok(if slice.warmup.is_some() || slice.duration.is_some() {
        sc.with_times(slice.warmup, slice.duration)
    } else {
        sc
    })
}

/// The child: one measured run, printed as one `BENCH` line.
pub fn bench_one(path: &Source, opts: Options, slice: Slice) -> Result<()> {
    let sc = Arc::new(load(path, slice)?);
    let threads = opts.threads;
    let est = crate::estimate::check(&sc, threads, 1, None)?;
    let t0 = Instant::now();
    let sim = Sim::with_options(sc.clone(), opts)?;
    let partitions = sim.partitions();
    let build_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let out = sim.run(&mut |_, _| {});
    let run_s = t1.elapsed().as_secs_f64();
    let summary = Summary::new(&sc, &out);
    let mut h = 0u64;
    for (name, bytes) in render_files(&sc, &out, &summary) {
        h = h.rotate_left(5) ^ fnv1a64(name.as_bytes()) ^ fnv1a64(&bytes);
    }
    let m = Measurement {
        nodes: sc.nodes,
        simulated_s: sc.end().as_secs_f64(),
        threads,
        partitions,
        build_s,
        run_s,
        events: out.events,
        peak_rss: peak_rss().unwrap_or(0),
        estimate: est,
        output_hash: h,
    };
    outln!("{}", m.line());
    Ok(())
}

/// The parent: runs every (scenario, threads) pair in a child and prints the table.
/// `shortcuts` false times the plain path (its output hash differs by the events count).
pub fn bench(
    paths: &[Source],
    threads: &[usize],
    slice: Slice,
    shortcuts: bool,
    csv_out: Option<&Path>,
) -> Result<()> {
    let exe = std::env::current_exe().context("locating the gossipsim binary")?;
    // Check every scenario, and that it fits, before the first long run starts.
    for p in paths {
        let sc = load(p, slice)?;
        for &t in threads {
            crate::estimate::check(&sc, t, 1, None)?;
        }
    }
    outln!(
        "{:<22} {:>8} {:>8} {:>3} {:>9} {:>9} {:>13} {:>8} {:>8} {:>10} {:>10}  output hash",
        "workload",
        "nodes",
        "sim s",
        "thr",
        "wall s",
        "sim/wall",
        "events",
        "M ev/s",
        "ns/ev",
        "peak RSS",
        "estimate"
    );
    let mut rows = Vec::new();
    for p in paths {
        let name = scenario::name_from_path(&p.path);
        for &t in threads {
            let m = run_child(&exe, p, t, slice, shortcuts)?;
            print_row(&name, &m)?;
            rows.push(BenchCsv::new(&name, &m));
        }
    }
    if let Some(path) = csv_out {
        let mut w = csv::Writer::from_writer(Vec::new());
        for r in &rows {
            w.serialize(r)?;
        }
        let bytes = w.into_inner().context("writing the benchmark CSV")?;
        crate::output::write_file(path, &bytes)?;
    }
    Ok(())
}

/// Runs `bench-one` on `p` with `t` threads in a child process and reads its measurement.
fn run_child(
    exe: &Path,
    p: &Source,
    t: usize,
    slice: Slice,
    shortcuts: bool,
) -> Result<Measurement> {
    let mut cmd = Command::new(exe);
    cmd.arg("bench-one")
        .arg(&p.path)
        .arg("--threads")
        .arg(t.to_string());
    for o in &p.sets {
        cmd.arg("--set").arg(format!("{}={}", o.path, o.value));
    }
    if let Some(w) = slice.warmup {
        cmd.arg("--warmup").arg(format!("{}ns", w.0));
    }
    if let Some(d) = slice.duration {
        cmd.arg("--duration").arg(format!("{}ns", d.0));
    }
    if !shortcuts {
        cmd.arg("--no-shortcuts");
    }
    let out = cmd
        .output()
        .with_context(|| format!("running {}", p.path.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let Some(m) = stdout.lines().find_map(Measurement::parse) else {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!(
            "{} with {t} thread(s): {}",
            p.path.display(),
            err.lines()
                .last()
                .map_or("the run printed no measurement", |l| l
                    .trim_start_matches("error: "))
        );
    };
    Ok(m)
}

/// One line of the printed table.
fn print_row(name: &str, m: &Measurement) -> Result<()> {
    let wall = m.wall_s();
    outln!(
        "{:<22} {:>8} {:>8.0} {:>3} {:>9.2} {:>9.2} {:>13} {:>8.2} {:>8.0} {:>10} {:>10}  {:016x}",
        name,
        m.nodes,
        m.simulated_s,
        m.threads,
        wall,
        m.simulated_s / wall,
        m.events,
        m.events as f64 / m.run_s / 1e6,
        m.run_s * 1e9 / m.events.max(1) as f64,
        gib(m.peak_rss),
        gib(m.estimate),
        m.output_hash
    );
    Ok(())
}

/// One row of `--csv`.
#[derive(serde::Serialize)]
struct BenchCsv {
    workload: String,
    nodes: u32,
    /// As `f64` prints it ("90", not serde's "90.0").
    simulated_s: String,
    threads: usize,
    partitions: usize,
    build_s: String,
    run_s: String,
    events: u64,
    events_per_s: String,
    ns_per_event: String,
    peak_rss_bytes: u64,
    estimate_bytes: u64,
    output_hash: String,
}

impl BenchCsv {
    fn new(name: &str, m: &Measurement) -> Self {
        BenchCsv {
            workload: name.to_string(),
            nodes: m.nodes,
            simulated_s: m.simulated_s.to_string(),
            threads: m.threads,
            partitions: m.partitions,
            build_s: format!("{:.3}", m.build_s),
            run_s: format!("{:.3}", m.run_s),
            events: m.events,
            events_per_s: format!("{:.0}", m.events as f64 / m.run_s),
            ns_per_event: format!("{:.1}", m.run_s * 1e9 / m.events.max(1) as f64),
            peak_rss_bytes: m.peak_rss,
            estimate_bytes: m.estimate,
            output_hash: format!("{:016x}", m.output_hash),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measurement_line_round_trips() {
        let m = Measurement {
            nodes: 10_000,
            simulated_s: 3600.0,
            threads: 2,
            partitions: 2,
            build_s: 0.5,
            run_s: 100.25,
            events: 123_456_789,
            peak_rss: 1 << 30,
            estimate: 3 << 29,
            output_hash: 0xdead_beef_0123_4567,
        };
        assert_eq!(Measurement::parse(&m.line()), Some(m));
        assert_eq!(Measurement::parse("something else"), None);
    }
}
