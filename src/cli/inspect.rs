//! The commands that look without running: `validate` (a scenario and its memory
//! estimate), `model` (the analytical model's loads), `presets` (every preset's values),
//! `topology` (the connections a run opens, as a file `topology.kind = "file"` replays).

use super::threads_or_all;
use crate::protocol::gossipsub::{preset, preset_source, rule_source, PRESETS};
use crate::scenario::{self, Override};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// Check a scenario without running it.
#[derive(Args, Debug)]
pub struct ValidateArgs {
    scenario: PathBuf,
    /// Set a scenario key on top of the file (repeatable), e.g. --set gossipsub.mesh_n=8;
    /// validated like the file.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<Override>,
    /// Threads the run would use (default: the cores idle now, at least one), for the
    /// memory estimate.
    #[arg(long, allow_hyphen_values = true, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    /// Refuse, as `run` would, above this estimated peak memory (default: the memory
    /// available now, within this process's cgroup and address-space limits).
    #[arg(long, allow_hyphen_values = true, value_parser = crate::units::parse_size)]
    memory_limit: Option<u64>,
}

impl ValidateArgs {
    pub fn exec(self) -> Result<()> {
        let scenario = self.scenario;
        let sc = scenario::load_with(&scenario, &self.set)?;
        let threads = threads_or_all(self.threads);
        // Everything `run` checks before it simulates: the memory gate, then the topology
        // and services built with the run's own draws.
        crate::estimate::check(&sc, threads, 1, self.memory_limit)?;
        let peering = crate::sim::peering(&sc)?;
        let est = crate::estimate::estimate(&sc, threads);
        outln!(
            "{}: ok ({} nodes, {} topic(s), {} traffic class(es), preset {}, {} measured after {} warm-up; estimated peak memory {})",
            scenario.display(),
            sc.nodes,
            sc.topics.len(),
            sc.traffic.len(),
            sc.preset,
            sc.duration,
            sc.warmup,
            crate::estimate::gib(est.total()),
        );
        let terms: Vec<String> = est
            .terms
            .iter()
            .map(|(name, b)| format!("{name} {:.1} MiB", b / f64::from(1u32 << 20)))
            .collect();
        outln!("  memory estimate by term: {}", terms.join(", "));
        let ev = crate::estimate::events(&sc);
        let terms: Vec<String> = ev
            .terms
            .iter()
            .filter(|t| t.1 > 0.0)
            .map(|(name, x)| format!("{name} {}", crate::estimate::fmt_count(*x)))
            .collect();
        outln!(
            "  estimated events: {} ({}); about {} of wall clock on {threads} thread(s) at {:.0} ns per event",
            crate::estimate::fmt_count(ev.total()),
            terms.join(", "),
            crate::estimate::fmt_wall(ev.wall_seconds(threads)),
            crate::estimate::NS_PER_EVENT,
        );
        let (lo, mean, hi) = peering.degree;
        outln!(
            "  connections: {} (per relay: {lo} to {hi}, mean {mean:.1})",
            peering.connections
        );
        for (t, p) in sc.topics.iter().zip(peering.topics) {
            if p.components > 1 {
                let hint = match sc.topology {
                    crate::scenario::TopologySpec::ShardAware { .. } => {
                        "its nodes have too few dials or too little room to reach one another"
                    }
                    _ => "peering ignores topics; topology.kind = \"shard_aware\" dials per shard as nwaku does",
                };
                outln!(
                    "  warning: topic {}: its {} nodes make {} separate groups of connections, so its mesh cannot be connected ({hint})",
                    t.name, p.nodes, p.components
                );
            } else {
                outln!("  topic {}: {} nodes, connected", t.name, p.nodes);
            }
        }
        Ok(())
    }
}

/// Print the analytical model's loads for a scenario's parameters.
#[derive(Args, Debug)]
pub struct ModelArgs {
    scenario: PathBuf,
    /// Set a scenario key on top of the file (repeatable), e.g. --set gossipsub.mesh_n=8;
    /// validated like the file.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<Override>,
    /// Model version (default: both).
    #[arg(long, value_parser = ["2023", "2025"])]
    version: Option<String>,
    /// Node counts to evaluate (default: the scenario's relays in the topic); at least 2,
    /// since the model's terms divide by N − 1.
    #[arg(long, allow_hyphen_values = true, num_args = 1.., value_parser = clap::value_parser!(u64).range(2..))]
    nodes: Vec<u64>,
    /// Topic (index in the scenario) whose traffic sets S and R.
    #[arg(long, allow_hyphen_values = true, default_value_t = 0)]
    topic: usize,
}

impl ModelArgs {
    pub fn exec(self) -> Result<()> {
        let ModelArgs {
            scenario,
            version,
            nodes,
            topic,
            set,
        } = self;
        let sc = scenario::load_with(&scenario, &set)?;
        if topic >= sc.topics.len() {
            anyhow::bail!(
                "--topic {topic}: the scenario has {} topic(s)",
                sc.topics.len()
            );
        }
        let subscribers = sc.relays_in(crate::ids::TopicId(topic as u16));
        let Some((p, n)) = crate::model::ModelInputs::for_topic(&sc, topic, subscribers) else {
            anyhow::bail!(
                "{}: no traffic on topic {}",
                scenario.display(),
                sc.topics[topic].name
            );
        };
        let versions: Vec<_> = match version.as_deref() {
            Some(v) => vec![crate::model::Version::parse(v).expect("clap checked the value")],
            None => vec![crate::model::Version::V2023, crate::model::Version::V2025],
        };
        let ns: Vec<f64> = if nodes.is_empty() {
            vec![n]
        } else {
            nodes.iter().map(|&x| x as f64).collect()
        };
        out!("{}", crate::model::table::render(&p, &versions, &ns));
        Ok(())
    }
}

/// List the gossipsub presets and their values.
#[derive(Args, Debug)]
pub struct PresetsArgs {
    /// One Markdown table of every preset (the README's).
    #[arg(long)]
    markdown: bool,
}

impl PresetsArgs {
    pub fn exec(self) -> Result<()> {
        if self.markdown {
            out!("{}", scenario::validate::presets_markdown());
            return Ok(());
        }
        for name in PRESETS {
            let cfg = preset(name).expect("listed presets exist");
            outln!("[gossipsub]  # preset \"{name}\": {}", preset_source(name));
            // Each rule with where its stack's source says so.
            for line in scenario::validate::gossipsub_toml(name, &cfg).lines() {
                let key = line.split(" = ").next().unwrap_or("");
                match rule_source(name, key) {
                    Some(src) => outln!("{line}  # {src}"),
                    None => outln!("{line}"),
                }
            }
            outln!("");
        }
        Ok(())
    }
}

/// Write the connections a run of a scenario opens at t = 0 as CSV (`dialer,listener`, in
/// the order they open): the file `topology.kind = "file"` replays.
#[derive(Args, Debug)]
pub struct TopologyArgs {
    scenario: PathBuf,
    /// Set a scenario key on top of the file (repeatable); validated like the file.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<Override>,
    /// Write here instead of to standard output (a regular file, replaced atomically; a named
    /// pipe or `-`, written through).
    #[arg(long, short)]
    out: Option<PathBuf>,
}

impl TopologyArgs {
    pub fn exec(self) -> Result<()> {
        let sc = scenario::load_with(&self.scenario, &self.set)?;
        let graph = crate::sim::connections(&sc)?;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["dialer", "listener"])?;
        for &(a, b) in &graph.edges {
            w.write_record([a.to_string(), b.to_string()])?;
        }
        let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        match self.out {
            Some(path) => crate::output::write_file(&path, &bytes)?,
            None => out!("{}", String::from_utf8(bytes).expect("digits and commas")),
        }
        Ok(())
    }
}
