//! Data files a scenario refers to: latency matrices (`models/latency/*.csv`), empirical
//! size distributions (`models/sizes/*.csv`) and replayed connections (`edges.csv`). Errors
//! name the file and line. Relative paths
//! are looked up next to the scenario file first, then in the current directory.

use std::path::{Path, PathBuf};

/// A data-file error: `file[:line]: message`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}{}: {msg}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct FileError {
    pub file: String,
    pub line: Option<usize>,
    pub msg: String,
}

/// The largest input file gossipsim reads (scenario, sweep, model or data file): 64 MiB.
pub const MAX_INPUT: u64 = 64 << 20;

/// The bytes of an input file: a regular file (a device or FIFO would be read forever) of at
/// most [`MAX_INPUT`] bytes, read with that limit whatever its size says.
pub fn read_input(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(Error::new(ErrorKind::InvalidInput, "not a regular file"));
    }
    let too_big = || {
        Error::new(
            ErrorKind::InvalidData,
            format!(
                "larger than the {} MiB an input file may have",
                MAX_INPUT >> 20
            ),
        )
    };
    if meta.len() > MAX_INPUT {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(too_big());
    }
    Ok(bytes)
}

/// [`read_input`] as UTF-8 text.
pub fn read_input_text(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_input(path)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

pub fn resolve_path(name: &str, scenario_dir: Option<&Path>) -> Result<PathBuf, FileError> {
    let p = Path::new(name);
    let mut tried = Vec::new();
    let mut candidates = Vec::new();
    if let Some(dir) = scenario_dir.filter(|_| p.is_relative()) {
        candidates.push(dir.join(p));
    }
    candidates.push(p.to_path_buf());
    for c in candidates {
        match std::fs::metadata(&c) {
            Ok(m) if m.is_file() => return Ok(c),
            // There, but not a file to read: say what it is, not "not found".
            Ok(m) => {
                return Err(FileError {
                    file: name.into(),
                    line: None,
                    msg: format!(
                        "{} is {}, not a data file",
                        c.display(),
                        if m.is_dir() {
                            "a folder"
                        } else {
                            "not a regular file (a device, pipe or socket)"
                        }
                    ),
                })
            }
            Err(_) => tried.push(c.display().to_string()),
        }
    }
    Err(FileError {
        file: name.into(),
        line: None,
        msg: format!("file not found (looked at {})", tried.join(", ")),
    })
}

/// A data file's CSV reader, over its bytes read whole (with the input limit).
type DataReader = csv::Reader<std::io::Cursor<Vec<u8>>>;

/// Opens a CSV data file (`#` starts a comment line) and reads its header row.
fn read(
    name: &str,
    dir: Option<&Path>,
) -> Result<(String, csv::StringRecord, DataReader), FileError> {
    let path = resolve_path(name, dir)?;
    let err = |line, msg: String| FileError {
        file: name.into(),
        line,
        msg,
    };
    let f = std::io::Cursor::new(read_input(&path).map_err(|e| err(None, e.to_string()))?);
    let mut rdr = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(f);
    let headers = rdr
        .headers()
        .map_err(|e| err(Some(1), e.to_string()))?
        .clone();
    Ok((name.to_string(), headers, rdr))
}

/// A record, or the CSV error with its line.
fn record(file: &str, rec: csv::Result<csv::StringRecord>) -> Result<csv::StringRecord, FileError> {
    rec.map_err(|e| FileError {
        file: file.into(),
        line: e.position().map(|p| p.line() as usize),
        msg: e.to_string(),
    })
}

fn row_err(file: &str, rec: &csv::StringRecord, msg: String) -> FileError {
    FileError {
        file: file.into(),
        line: rec.position().map(|p| p.line() as usize),
        msg,
    }
}

/// A square matrix of round-trip times in ms: header `region,<r1>,<r2>,...`, then one row
/// per region in the same order.
pub fn read_latency_matrix(
    name: &str,
    dir: Option<&Path>,
) -> Result<(Vec<String>, Vec<Vec<f64>>), FileError> {
    let (file, headers, mut rdr) = read(name, dir)?;
    let names: Vec<String> = headers.iter().skip(1).map(str::to_string).collect();
    if names.is_empty() {
        return Err(FileError {
            file,
            line: Some(1),
            msg: "header must be `region,<name>,<name>,...`".into(),
        });
    }
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = record(&file, rec)?;
        let want = names.get(i).ok_or_else(|| {
            row_err(
                &file,
                &rec,
                format!("more rows than the {} regions in the header", names.len()),
            )
        })?;
        if rec.get(0) != Some(want.as_str()) {
            return Err(row_err(
                &file,
                &rec,
                format!(
                    "row {} must be region \"{want}\" (same order as the header), got \"{}\"",
                    i + 1,
                    rec.get(0).unwrap_or("")
                ),
            ));
        }
        let mut row = Vec::new();
        for (j, cell) in rec.iter().skip(1).enumerate() {
            let v: f64 = cell.parse().map_err(|_| {
                row_err(
                    &file,
                    &rec,
                    format!("column {}: \"{cell}\" is not a number of ms", names[j]),
                )
            })?;
            if !(v.is_finite() && v >= 0.0) {
                return Err(row_err(
                    &file,
                    &rec,
                    format!("column {}: latency must be >= 0, got {v}", names[j]),
                ));
            }
            row.push(v);
        }
        rows.push(row);
    }
    if rows.len() != names.len() {
        return Err(FileError {
            file,
            line: None,
            msg: format!("{} rows for {} regions", rows.len(), names.len()),
        });
    }
    Ok((names, rows))
}

/// An empirical size distribution: header `size_bytes,weight`.
pub fn read_size_distribution(
    name: &str,
    dir: Option<&Path>,
) -> Result<(Vec<u64>, Vec<f64>), FileError> {
    let (file, headers, mut rdr) = read(name, dir)?;
    if headers.iter().collect::<Vec<_>>() != ["size_bytes", "weight"] {
        return Err(FileError {
            file,
            line: Some(1),
            msg: "header must be `size_bytes,weight`".into(),
        });
    }
    let (mut sizes, mut weights) = (Vec::new(), Vec::new());
    for rec in rdr.records() {
        let rec = record(&file, rec)?;
        let s: u64 = rec[0].parse().map_err(|_| {
            row_err(
                &file,
                &rec,
                format!("size_bytes: \"{}\" is not a whole number of bytes", &rec[0]),
            )
        })?;
        let w: f64 = rec[1].parse().map_err(|_| {
            row_err(
                &file,
                &rec,
                format!("weight: \"{}\" is not a number", &rec[1]),
            )
        })?;
        if !(w.is_finite() && w >= 0.0) {
            return Err(row_err(
                &file,
                &rec,
                format!("weight must be >= 0, got {w}"),
            ));
        }
        sizes.push(s);
        weights.push(w);
    }
    if !weights.iter().sum::<f64>().is_finite() {
        return Err(FileError {
            file,
            line: None,
            msg: "the weights add up to more than a 64-bit float holds; scale them down".into(),
        });
    }
    if weights.iter().sum::<f64>() <= 0.0 {
        return Err(FileError {
            file,
            line: None,
            msg: "no rows with a positive weight".into(),
        });
    }
    Ok((sizes, weights))
}

/// A list of connections: header `dialer,listener`, one row per connection of 0-based node
/// indices, the dialer first. Checked against `nodes` by `topology::check_edges`; errors
/// name the line.
pub fn read_edges(
    name: &str,
    dir: Option<&Path>,
    nodes: u32,
) -> Result<Vec<(u32, u32)>, FileError> {
    let (file, headers, mut rdr) = read(name, dir)?;
    if headers.iter().collect::<Vec<_>>() != ["dialer", "listener"] {
        return Err(FileError {
            file,
            line: Some(1),
            msg: "header must be `dialer,listener`".into(),
        });
    }
    let (mut edges, mut lines) = (Vec::new(), Vec::new());
    for rec in rdr.records() {
        let rec = record(&file, rec)?;
        let mut ends = [0u64; 2];
        for (k, col) in ["dialer", "listener"].into_iter().enumerate() {
            ends[k] = rec[k].parse().map_err(|_| {
                row_err(
                    &file,
                    &rec,
                    format!("{col}: \"{}\" is not a node index (0, 1, ...)", &rec[k]),
                )
            })?;
        }
        edges.push((ends[0], ends[1]));
        lines.push(rec.position().map_or(0, |p| p.line() as usize));
    }
    crate::net::topology::check_edges(nodes, &edges, |i| format!("line {}", lines[i])).map_err(
        |(i, msg)| FileError {
            file: file.clone(),
            line: i.map(|i| lines[i]),
            msg,
        },
    )
}
