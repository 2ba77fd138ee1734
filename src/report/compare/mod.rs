//! Simulated vs model, term by term. Reads a finished run's files only (scenario.resolved.toml,
//! bandwidth.csv, mesh.csv, latency.csv), computes the model for the same parameters, and
//! explains, term by term, where the model's assumptions do not hold. Writes `compare.csv`.

mod explain;

use super::{invalid, Doing, ReportError};
use crate::metrics::{Direction, Kind};
use crate::model::{load, mbps, Case, ModelInputs, Terms, Version};
use crate::scenario::{self, Scenario};
use explain::Facts;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

type Result<T> = std::result::Result<T, ReportError>;

/// Simulated per-node ingress of one topic, MB/h, by the model's terms (+ what it ignores).
#[derive(Default, Debug, Clone)]
struct SimTerms {
    payload_mesh: f64,
    payload_iwant: f64,
    framing: f64,
    ihave: f64,
    iwant: f64,
    idontwant: f64,
    control: f64,
    /// Payload copies received per node per hour, IHAVE ids per node per hour.
    copies: f64,
    ihave_ids: f64,
    iwant_ids: f64,
}

/// One row of compare.csv.
pub struct Row {
    pub metric: String,
    pub kind: String,
    pub direction: &'static str,
    pub simulated: f64,
    pub model: f64,
    pub explanation: String,
}

impl Row {
    pub fn rel_err(&self) -> f64 {
        rel(self.simulated, self.model)
    }
}

/// (simulated − model) / model; 0 when both are 0, infinite when only the model is.
fn rel(s: f64, m: f64) -> f64 {
    if m != 0.0 {
        (s - m) / m
    } else if s == 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

pub struct Comparison {
    pub rows: Vec<Row>,
    pub text: String,
}

fn read_csv(dir: &Path, name: &str) -> Result<csv::Reader<std::fs::File>> {
    let p = dir.join(name);
    csv::Reader::from_path(&p).doing(|| format!("reading {}", p.display()))
}

fn col(h: &csv::StringRecord, name: &str, file: &str) -> Result<usize> {
    h.iter()
        .position(|c| c == name)
        .ok_or_else(|| invalid!("{file}: no column `{name}`"))
}

/// The default model case for a scenario: case 3 without gossip, else case 4.
pub fn default_case(sc: &Scenario) -> Case {
    if sc.gossipsub.gossip {
        Case::Case4
    } else {
        Case::Case3
    }
}

/// What the model leaves out of this run: light clients, store, classes' own parameters.
fn notes(text: &mut String, sc: &Scenario) {
    let light: Vec<&str> = sc
        .node_classes
        .iter()
        .filter(|c| c.role.word() == crate::scenario::RoleWord::Light)
        .map(|c| c.name.as_str())
        .collect();
    if !light.is_empty() {
        let _ = writeln!(
            text,
            "note: the model has no light clients: class(es) {} (filter, lightpush) are left out; the terms below are per relay, without the light protocols' bytes (filter_subscribe, filter_push, lightpush) that service nodes also carry",
            light.join(", ")
        );
    }
    if sc.node_classes.iter().any(|c| c.store.is_some()) {
        let _ = writeln!(
            text,
            "note: the model has no store: the terms below leave out store queries and responses (store_query, store_response)"
        );
    }
    let own: Vec<&str> = sc
        .node_classes
        .iter()
        .filter(|c| c.role.relays() && c.gossipsub != sc.gossipsub)
        .map(|c| c.name.as_str())
        .collect();
    if !own.is_empty() {
        let _ = writeln!(
            text,
            "note: node class(es) {} run their own gossipsub parameters; the model takes the scenario's (D = {}) for every node",
            own.join(", "),
            sc.gossipsub.mesh_n
        );
    }
}

/// Compares the run in `dir` with the model.
pub fn compare(
    dir: &Path,
    version: Version,
    case: Option<Case>,
    tolerance: f64,
) -> Result<Comparison> {
    let (sc, case) = load_run(dir, version, case)?;
    let hours = sc.duration.as_secs_f64() / 3600.0;
    let meshes = read_meshes(dir, &sc)?;
    let msgs = read_measured(dir, &sc)?;
    let (sim, transport_total) = read_ingress(dir, &sc)?;
    let mut out = Comparison {
        rows: Vec::new(),
        text: String::new(),
    };
    let _ = writeln!(
        out.text,
        "compare · {} · seed {} · model {} {} · per-node ingress, MB/h (1 MB = 10^6 B)",
        sc.name,
        sc.seed,
        version.name(),
        case.name()
    );
    notes(&mut out.text, &sc);
    let (mut total_sim, mut total_model) = (0.0, 0.0);
    for t in 0..sc.topics.len() {
        let Some((p, n)) = ModelInputs::for_topic(&sc, t, meshes.subs[t]) else {
            continue;
        };
        let measured = Measured {
            sc: &sc,
            t,
            hours,
            subs: meshes.subs[t],
            mesh_sum: meshes.mesh_sum[t],
            peers_sum: meshes.peers_sum[t],
            msgs: msgs[t],
        };
        let (s, m) = out.topic(&measured, &sim[t], &p, n, version, case);
        total_sim += s;
        total_model += m;
    }
    out.totals(
        &sc,
        total_sim,
        total_model,
        transport_total / f64::from(sc.nodes) / 1e6 / hours,
    );
    let _ = writeln!(
        out.text,
        "\nwithin tolerance ±{:.1}%: {} of {} rows",
        tolerance * 100.0,
        out.rows.iter().filter(|r| within(r, tolerance)).count(),
        out.rows.len()
    );
    Ok(out)
}

/// The scenario of the run in `dir` and the case to compare with (checked against the
/// model version).
fn load_run(dir: &Path, version: Version, case: Option<Case>) -> Result<(Scenario, Case)> {
    let resolved = dir.join("scenario.resolved.toml");
    if !resolved.is_file() {
        return Err(invalid!(
            "{}: not a results directory (no scenario.resolved.toml)",
            dir.display()
        ));
    }
    super::verify::verify_run(dir)?;
    let sc = scenario::load(&resolved)?;
    let case = case.unwrap_or_else(|| default_case(&sc));
    if !case.in_version(version) {
        return Err(invalid!(
            "{} is not part of the {} model",
            case.name(),
            version.name()
        ));
    }
    if !matches!(
        case,
        Case::Case1 | Case::Case2 | Case::Case3 | Case::Case4 | Case::Case5
    ) {
        return Err(invalid!("compare takes a single-shard case (case1..case5); sharding cases are sums of them: compare each topic instead"));
    }
    Ok((sc, case))
}

/// Per topic: subscribers, and the sums of their mesh degrees and topic peers (mesh.csv).
struct Meshes {
    subs: Vec<u32>,
    mesh_sum: Vec<f64>,
    peers_sum: Vec<f64>,
}

fn topic_idx(sc: &Scenario, name: &str) -> Option<usize> {
    sc.topics.iter().position(|t| t.name == name)
}

fn read_meshes(dir: &Path, sc: &Scenario) -> Result<Meshes> {
    let topics = sc.topics.len();
    // Subscribers, mesh degree and topic peers per topic (mesh.csv).
    let mut subs = vec![0u32; topics];
    let mut mesh_sum = vec![0f64; topics];
    let mut peers_sum = vec![0f64; topics];
    let mut rdr = read_csv(dir, "mesh.csv")?;
    let h = rdr.headers()?.clone();
    let (ct, cs, cm, cp) = (
        col(&h, "topic", "mesh.csv")?,
        col(&h, "subscribed", "mesh.csv")?,
        col(&h, "mesh_degree", "mesh.csv")?,
        col(&h, "topic_peers", "mesh.csv")?,
    );
    for rec in rdr.records() {
        let rec = rec?;
        let Some(t) = topic_idx(sc, &rec[ct]) else {
            return Err(invalid!("mesh.csv: unknown topic {}", &rec[ct]));
        };
        if &rec[cs] == "true" {
            subs[t] += 1;
            mesh_sum[t] += rec[cm].parse::<f64>()?;
            peers_sum[t] += rec[cp].parse::<f64>()?;
        }
    }

    Ok(Meshes {
        subs,
        mesh_sum,
        peers_sum,
    })
}

/// Messages published in the window, per topic (latency.csv).
fn read_measured(dir: &Path, sc: &Scenario) -> Result<Vec<u64>> {
    let topics = sc.topics.len();
    // Messages published in the window per topic (latency.csv).
    let mut msgs = vec![0u64; topics];
    let mut rdr = read_csv(dir, "latency.csv")?;
    let h = rdr.headers()?.clone();
    let (lt, lm) = (
        col(&h, "topic", "latency.csv")?,
        col(&h, "measured", "latency.csv")?,
    );
    for rec in rdr.records() {
        let rec = rec?;
        if &rec[lm] == "true" {
            let Some(t) = topic_idx(sc, &rec[lt]) else {
                return Err(invalid!("latency.csv: unknown topic {}", &rec[lt]));
            };
            msgs[t] += 1;
        }
    }

    Ok(msgs)
}

/// Ingress bytes per topic by the model's terms, and transport bytes in all (bandwidth.csv).
fn read_ingress(dir: &Path, sc: &Scenario) -> Result<(Vec<SimTerms>, f64)> {
    let topics = sc.topics.len();
    // Ingress bytes per topic and kind (bandwidth.csv).
    let mut sim = vec![SimTerms::default(); topics];
    let mut transport_total = 0f64;
    let mut rdr = read_csv(dir, "bandwidth.csv")?;
    let h = rdr.headers()?.clone();
    let f = "bandwidth.csv";
    let (cd, ck, ctp, cb, cn, cpl) = (
        col(&h, "direction", f)?,
        col(&h, "kind", f)?,
        col(&h, "topic", f)?,
        col(&h, "bytes", f)?,
        col(&h, "msgs", f)?,
        col(&h, "payload_bytes", f)?,
    );
    for rec in rdr.records() {
        let rec = rec?;
        if &rec[cd] != Direction::In.name() {
            continue;
        }
        let bytes: f64 = rec[cb].parse()?;
        let items: f64 = rec[cn].parse()?;
        let payload: f64 = rec[cpl].parse()?;
        let Some(kind) = Kind::from_name(&rec[ck]) else {
            return Err(invalid!("bandwidth.csv: unknown kind {}", &rec[ck]));
        };
        if kind == Kind::Transport {
            transport_total += bytes;
            continue;
        }
        let Some(t) = topic_idx(sc, &rec[ctp]) else {
            continue;
        };
        let s = &mut sim[t];
        match kind {
            Kind::Published | Kind::Forwarded | Kind::Duplicate => {
                s.payload_mesh += payload;
                s.framing += bytes - payload;
                s.copies += items;
            }
            Kind::IWantServed => {
                s.payload_iwant += payload;
                s.framing += bytes - payload;
                s.copies += items;
            }
            Kind::IHave => {
                s.ihave += bytes;
                s.ihave_ids += items;
            }
            Kind::IWant => {
                s.iwant += bytes;
                s.iwant_ids += items;
            }
            Kind::IDontWant => s.idontwant += bytes,
            Kind::Graft | Kind::Prune | Kind::Subscribe => s.control += bytes,
            // The model has no light clients: their protocols are not its terms (the
            // comparison says so when a scenario has light nodes).
            Kind::FilterSubscribe
            | Kind::FilterPush
            | Kind::Lightpush
            | Kind::StoreQuery
            | Kind::StoreResponse => {}
            Kind::Transport => unreachable!("counted above"),
        }
    }

    Ok((sim, transport_total))
}

/// What the run measured of one topic, besides its bytes.
struct Measured<'a> {
    sc: &'a Scenario,
    t: usize,
    hours: f64,
    subs: u32,
    mesh_sum: f64,
    peers_sum: f64,
    msgs: u64,
}

impl SimTerms {
    /// Per subscriber per hour (bytes as MB/h; counts as counts/h).
    fn per_node_hour(&self, subs: u32, hours: f64) -> SimTerms {
        let subs = f64::from(subs);
        let per_node = |x: f64| x / subs / 1e6 / hours;
        SimTerms {
            payload_mesh: per_node(self.payload_mesh),
            payload_iwant: per_node(self.payload_iwant),
            framing: per_node(self.framing),
            ihave: per_node(self.ihave),
            iwant: per_node(self.iwant),
            idontwant: per_node(self.idontwant),
            control: per_node(self.control),
            copies: self.copies / subs / hours,
            ihave_ids: self.ihave_ids / subs / hours,
            iwant_ids: self.iwant_ids / subs / hours,
        }
    }
}

impl Comparison {
    /// The rows and lines of topic `m.t` (`sim`: its ingress in all, `p` and `n` the model's
    /// inputs for it); returns its simulated and model totals.
    fn topic(
        &mut self,
        m: &Measured<'_>,
        sim: &SimTerms,
        p: &ModelInputs,
        n: f64,
        version: Version,
        case: Case,
    ) -> (f64, f64) {
        let s = sim.per_node_hour(m.subs, m.hours);
        let model: Terms = load(case, version, p, n).expect("case checked against version");
        let facts = Facts {
            sc: m.sc,
            p,
            n,
            version,
            case,
            mesh_mean: m.mesh_sum / f64::from(m.subs),
            peers_mean: m.peers_sum / f64::from(m.subs),
            msgs_per_node_hour: m.msgs as f64 / n / m.hours,
        };
        let name = &m.sc.topics[m.t].name;
        let _ = writeln!(
            self.text,
            "\ntopic {name}: N = {n:.0} · S = {:.0} B · R = {:.3}/node/h (simulated {:.3}) · d = {} · mesh degree mean {:.2} · topic peers mean {:.1}",
            p.message_size_mb * 1e6,
            p.msgs_per_node_hour,
            facts.msgs_per_node_hour,
            p.degree,
            facts.mesh_mean,
            facts.peers_mean
        );
        let _ = writeln!(
            self.text,
            "  {:<22} {:>12} {:>12} {:>9}  why they differ",
            "term", "simulated", "model", "rel err"
        );
        let terms = facts.terms(&s, &model);
        let mut sum_s = 0.0;
        for (kind, sv, mv, why) in terms {
            let unit_row = kind == "messages";
            let label = if unit_row { "messages/node/h" } else { kind };
            if !unit_row {
                sum_s += sv;
            }
            self.push(format!("topic:{name}"), kind, sv, mv, why, label);
        }
        let total = model.total();
        self.push(
            format!("topic:{name}"),
            "total",
            sum_s,
            total,
            String::new(),
            "",
        );
        (sum_s, total)
    }

    /// Adds a row, and its line when `label` is not empty (the total's line says more).
    fn push(&mut self, metric: String, kind: &str, sim: f64, model: f64, why: String, label: &str) {
        let row = Row {
            metric,
            kind: kind.to_string(),
            direction: "in",
            simulated: sim,
            model,
            explanation: why,
        };
        if label.is_empty() {
            let _ = writeln!(
                self.text,
                "  {:<22} {:>12.3} {:>12.3} {:>9}  ({:.3} vs {:.3} Mbit/s; in+out ≈ {:.3} vs {:.3})",
                "total",
                sim,
                model,
                fmt_err(rel(sim, model)),
                mbps(sim),
                mbps(model),
                2.0 * mbps(sim),
                2.0 * mbps(model)
            );
        } else {
            let _ = writeln!(
                self.text,
                "  {:<22} {:>12.3} {:>12.3} {:>9}  {}",
                label,
                sim,
                model,
                fmt_err(row.rel_err()),
                row.explanation
            );
        }
        self.rows.push(row);
    }

    /// The all-topics total (with more than one topic) and the transport row (`transport`:
    /// MB/h per node, when any).
    fn totals(&mut self, sc: &Scenario, total_sim: f64, total_model: f64, transport: f64) {
        if sc.topics.len() > 1 {
            let _ = writeln!(self.text, "\nall topics, per node in all of them: simulated {total_sim:.3} MB/h vs model {total_model:.3} ({}): {:.3} vs {:.3} Mbit/s in, {:.3} vs {:.3} in+out", fmt_err(rel(total_sim, total_model)), mbps(total_sim), mbps(total_model), 2.0 * mbps(total_sim), 2.0 * mbps(total_model));
            self.rows.push(Row {
                metric: "all_topics".into(),
                kind: "total".into(),
                direction: "in",
                simulated: total_sim,
                model: total_model,
                explanation: "sum over topics of the per-topic case".into(),
            });
        }
        if transport > 0.0 {
            let _ = writeln!(
                self.text,
                "transport overhead (not modelled): {transport:.3} MB/h per node"
            );
            self.rows.push(Row {
                metric: "all_topics".into(),
                kind: "transport".into(),
                direction: "in",
                simulated: transport,
                model: 0.0,
                explanation: "muxer, encryption and TCP/IP headers: outside the model".into(),
            });
        }
    }
}

fn fmt_err(e: f64) -> String {
    if e.is_infinite() {
        "n/a".into()
    } else {
        format!("{:+.2}%", e * 100.0)
    }
}

pub fn within(r: &Row, tolerance: f64) -> bool {
    r.rel_err().abs() <= tolerance
}

/// Writes compare.csv into `dir` (atomically).
pub fn write_csv(dir: &Path, c: &Comparison, tolerance: f64) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "metric",
        "kind",
        "direction",
        "simulated",
        "model",
        "rel_err",
        "within_tolerance",
        "explanation",
    ])?;
    for r in &c.rows {
        let e = r.rel_err();
        w.write_record([
            r.metric.as_str(),
            r.kind.as_str(),
            r.direction,
            &format!("{:.6}", r.simulated),
            &format!("{:.6}", r.model),
            &if e.is_finite() {
                format!("{e:.6}")
            } else {
                "inf".into()
            },
            &within(r, tolerance).to_string(),
            r.explanation.as_str(),
        ])?;
    }
    let bytes = w.into_inner().expect("writing to memory");
    crate::output::write_file(&dir.join("compare.csv"), &bytes)
}

/// Rows keyed for tests.
pub fn by_key(c: &Comparison) -> BTreeMap<(String, String), (f64, f64)> {
    c.rows
        .iter()
        .map(|r| ((r.metric.clone(), r.kind.clone()), (r.simulated, r.model)))
        .collect()
}
