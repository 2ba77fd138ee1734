//! `gossipsim report`: figures (SVG and PNG) and one self-contained `report.html` for a run
//! folder or a sweep folder, read from its CSV files only (and `scenario.resolved.toml`,
//! shown as it is). Writes into a report folder, each file atomically; the same folder gives
//! the same bytes. Here: what kind of folder, reading CSV rows, HTML helpers; `run.rs` a
//! run's page, `sweep.rs` a sweep's, `chart.rs` the drawing.

mod chart;
mod run;
mod sweep;

pub use chart::{Bars, Chart, Line, Plot};

use super::{invalid, Doing, ReportError};
use serde::de::DeserializeOwned;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Writes the report of `dir` (a run's or a sweep's folder) into `out` (default `dir/report`); returns
/// the files written, `report.html` first.
pub fn report(dir: &Path, out: Option<&Path>) -> Result<Vec<PathBuf>, ReportError> {
    let out = out.map_or_else(|| dir.join("report"), Path::to_path_buf);
    if dir.join("sweep.csv").is_file() {
        super::verify::verify(dir, &["sweep.csv", "sweep-stats.csv"])?;
        write(&out, &sweep::page(dir)?)
    } else if dir.join("summary.csv").is_file() {
        super::verify::verify_run(dir)?;
        write(&out, &run::page(dir)?)
    } else {
        Err(invalid!(
            "{}: neither a run's folder (summary.csv) nor a sweep's (sweep.csv)",
            dir.display()
        ))
    }
}

/// A finished page: its HTML and the figures it shows.
struct Page {
    html: String,
    figures: Figures,
}

/// A page's figures, each drawn as SVG once: inline on the page and as its file.
#[derive(Default)]
struct Figures(Vec<(Chart, String)>);

impl Figures {
    /// `c` inline with its caption and links to its files; its SVG is kept for the file.
    fn add(&mut self, c: Chart, caption: &str) -> Result<String, ReportError> {
        let svg = c.svg().map_err(ReportError::Invalid)?;
        let html = figure(&c.name, &svg, caption);
        self.0.push((c, svg));
        Ok(html)
    }
}

/// The name a resolved scenario gives itself (its `name = "…"` line).
fn scenario_name(resolved: &str) -> Option<String> {
    resolved
        .lines()
        .find_map(|l| l.strip_prefix("name = "))
        .map(|n| n.trim_matches('"').to_string())
}

/// Writes the page and its figures as one folder: into a temporary folder beside `out`,
/// then put in place of a previous report whole (see `folder`), so that a report killed
/// half-way, or on a full disk, leaves the previous one, never figures of two runs.
fn write(out: &Path, page: &Page) -> Result<Vec<PathBuf>, ReportError> {
    let target =
        crate::output::folder::reserve_for(out, crate::output::folder::Holds::Report, false)?;
    let mut files = vec![("report.html".to_string(), page.html.clone().into_bytes())];
    for (c, svg) in &page.figures.0 {
        let png = c.png().map_err(ReportError::Invalid)?;
        files.push((format!("{}.svg", c.name), svg.clone().into_bytes()));
        files.push((format!("{}.png", c.name), png));
    }
    let named: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let dir = target.commit_files(&named)?;
    Ok(files.into_iter().map(|f| dir.join(f.0)).collect())
}

/// Every row of a CSV file the run wrote, typed; an error names the file and line.
fn rows<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<Vec<T>, ReportError> {
    let path = dir.join(name);
    let mut r = csv::Reader::from_path(&path).doing(|| format!("reading {}", path.display()))?;
    r.deserialize()
        .map(|row| {
            row.map_err(|e| {
                let line = e
                    .position()
                    .map_or(String::new(), |p| format!(":{}", p.line()));
                invalid!("{}{line}: {e}", path.display())
            })
        })
        .collect()
}

/// `s` with HTML's special characters escaped.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            c => o.push(c),
        }
    }
    o
}

/// An HTML table: a header row and body rows (cells already escaped where needed).
fn table(head: &[&str], body: &[Vec<String>]) -> String {
    let mut t = String::from("<table><thead><tr>");
    for h in head {
        let _ = write!(t, "<th>{}</th>", esc(h));
    }
    t.push_str("</tr></thead><tbody>");
    for r in body {
        t.push_str("<tr>");
        for c in r {
            let _ = write!(t, "<td>{c}</td>");
        }
        t.push_str("</tr>");
    }
    t.push_str("</tbody></table>\n");
    t
}

/// A figure inline: its SVG, a caption, and links to the files beside the page.
fn figure(name: &str, svg: &str, caption: &str) -> String {
    // The SVG's own XML declaration has no place inside HTML.
    let svg = svg.trim_start_matches(|c| c != '<');
    let svg = match svg.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(rest, |x| x.1),
        None => svg,
    };
    format!(
        "<figure id=\"{name}\">{svg}<figcaption>{cap} <a href=\"{name}.svg\">SVG</a> · <a href=\"{name}.png\">PNG</a></figcaption></figure>\n",
        cap = esc(caption)
    )
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:1em 0;font-size:.9em;display:block;overflow-x:auto;max-width:100%}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}\
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}\
figure{margin:1.5em 0}figure svg{width:100%;height:auto}figcaption{font-size:.9em;color:#555}\
pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:.85em}";

/// The page around `body`.
fn html(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head>\n<body>\n<h1>{t}</h1>\n{body}<p><small>gossipsim {v}: every number on this page is read from the folder's CSV files.</small></p>\n</body></html>\n",
        t = esc(title),
        v = env!("CARGO_PKG_VERSION")
    )
}

/// A number with `d` decimals.
fn num(x: f64, d: usize) -> String {
    format!("{x:.d$}")
}
