//! Units as researchers write them in scenario files: durations ("50ms", "2min"), sizes
//! ("2KiB", "2000B", "1.5MB"), bandwidths ("10Mbit/s", "1MB/s") and rates ("5/hour", "1/s").
//! Owns parsing and canonical printing (so a resolved scenario round-trips); knows nothing of
//! scenarios or the simulation.

use crate::ids::SimTime;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// Splits "12.5ms" into (12.5, "ms"); whitespace between number and unit is allowed.
fn split_number(s: &str) -> Option<(f64, &str)> {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == '_'))
        .map_or(s.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let num: f64 = s[..end].replace('_', "").parse().ok()?;
    if !num.is_finite() {
        return None;
    }
    Some((num, s[end..].trim()))
}

/// Parses a duration. Units: ns, us (µs), ms, s, min, h. A bare "0" is zero.
pub fn parse_duration(s: &str) -> Result<SimTime, String> {
    let err = || {
        format!("invalid duration \"{s}\" (expected a number and a unit: ns, us, ms, s, min, h)")
    };
    let (n, unit) = split_number(s).ok_or_else(err)?;
    let scale = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" | "sec" => 1e9,
        "min" | "m" => 60e9,
        "h" | "hour" => 3600e9,
        "" if n == 0.0 => 1.0,
        _ => return Err(err()),
    };
    let ns = n * scale;
    if ns > crate::ids::MAX_DURATION.0 as f64 {
        return Err(format!(
            "duration \"{s}\" is above the longest the engine represents ({}h, about 36 years)",
            crate::ids::MAX_DURATION.0 / 3_600_000_000_000
        ));
    }
    Ok(SimTime(ns.round() as u64))
}

/// The largest size a scenario may write (2^53 B: exact in a 64-bit float, and far above
/// anything a run can send).
pub const MAX_SIZE: u64 = 1 << 53;
/// The fastest link (1 Pbit/s).
pub const MAX_BPS: u64 = 1_000_000_000_000_000;

/// Parses a byte size. Units: B, KB/MB/GB (powers of 1000), KiB/MiB/GiB (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let err = || format!("invalid size \"{s}\" (expected e.g. \"2000B\", \"2KiB\", \"1.5MB\")");
    let (n, unit) = split_number(s).ok_or_else(err)?;
    let scale = match unit {
        "B" | "" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(err()),
    };
    if unit.is_empty() && n != 0.0 {
        return Err(err());
    }
    let v = n * scale;
    if v > MAX_SIZE as f64 {
        return Err(format!(
            "size \"{s}\" is above the largest the engine represents ({} = 2^53 B)",
            fmt_size(MAX_SIZE)
        ));
    }
    if v.fract() != 0.0 && v > 1.0 {
        // Sizes are whole bytes; round rather than refuse "1.5KiB".
        return Ok(v.round() as u64);
    }
    Ok(v as u64)
}

/// Parses a bandwidth into bits per second. Units: bit/s, kbit/s, Mbit/s, Gbit/s (also bps,
/// kbps, Mbps, Gbps) and byte rates B/s, KB/s, MB/s, GB/s.
pub fn parse_bandwidth(s: &str) -> Result<u64, String> {
    let err = || {
        format!("invalid bandwidth \"{s}\" (expected e.g. \"10Mbit/s\", \"1Gbit/s\", \"2MB/s\")")
    };
    let (n, unit) = split_number(s).ok_or_else(err)?;
    let scale = match unit {
        "bit/s" | "bps" => 1.0,
        "kbit/s" | "Kbit/s" | "kbps" => 1e3,
        "Mbit/s" | "Mbps" => 1e6,
        "Gbit/s" | "Gbps" => 1e9,
        "B/s" => 8.0,
        "KB/s" | "kB/s" => 8e3,
        "MB/s" => 8e6,
        "GB/s" => 8e9,
        _ => return Err(err()),
    };
    let v = (n * scale).round();
    if v > MAX_BPS as f64 {
        return Err(format!(
            "bandwidth \"{s}\" is above the fastest link the engine represents (1 Pbit/s)"
        ));
    }
    if v < 1.0 {
        return Err(format!("bandwidth \"{s}\" must be positive"));
    }
    Ok(v as u64)
}

/// An event rate: count per unit of time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// Events per second.
    pub per_sec: f64,
}

/// Parses a rate: "5/hour", "1/s", "10/min", "0.5/day".
pub fn parse_rate(s: &str) -> Result<Rate, String> {
    let err = || format!("invalid rate \"{s}\" (expected e.g. \"5/hour\", \"1/s\", \"10/min\")");
    let (num, unit) = s.split_once('/').ok_or_else(err)?;
    let (n, rest) = split_number(num).ok_or_else(err)?;
    if !rest.is_empty() {
        return Err(err());
    }
    let secs = match unit.trim() {
        "s" | "sec" | "second" => 1.0,
        "min" | "minute" => 60.0,
        "h" | "hour" => 3600.0,
        "day" => 86400.0,
        _ => return Err(err()),
    };
    Ok(Rate { per_sec: n / secs })
}

/// Canonical size string (exact, for the resolved scenario).
pub fn fmt_size(bytes: u64) -> String {
    for (unit, scale) in [("MiB", 1u64 << 20), ("KiB", 1 << 10)] {
        if bytes >= scale && bytes.is_multiple_of(scale) {
            return format!("{}{unit}", bytes / scale);
        }
    }
    format!("{bytes}B")
}

/// Canonical bandwidth string (exact).
pub fn fmt_bandwidth(bps: u64) -> String {
    for (unit, scale) in [
        ("Gbit/s", 1_000_000_000u64),
        ("Mbit/s", 1_000_000),
        ("kbit/s", 1_000),
    ] {
        if bps.is_multiple_of(scale) {
            return format!("{}{unit}", bps / scale);
        }
    }
    format!("{bps}bit/s")
}

/// A value as a scenario writes it, and the value it stands for: what lets one declaration of
/// a parameter give its TOML field, its override and its resolved form.
pub trait Written: Sized {
    type Value;
    /// The value written.
    fn value(self) -> Self::Value;
    /// How `v` is written.
    fn written(v: Self::Value) -> Self;
    /// As a table shows it (the string a scenario would hold, without quotes).
    fn show(&self) -> String;
}

/// Numbers and booleans are written as themselves.
macro_rules! written_as_itself {
    ($($t:ty),*) => {$(
        impl Written for $t {
            type Value = $t;
            fn value(self) -> $t {
                self
            }
            fn written(v: $t) -> Self {
                v
            }
            fn show(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

written_as_itself!(usize, u32, f64, bool);

macro_rules! string_unit {
    ($name:ident, $inner:ty, $parse:expr, $fmt:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct $name(pub $inner);
        impl Written for $name {
            type Value = $inner;
            fn value(self) -> $inner {
                self.0
            }
            fn written(v: $inner) -> Self {
                $name(v)
            }
            fn show(&self) -> String {
                $fmt(self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $parse(&s).map($name).map_err(de::Error::custom)
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&$fmt(self.0))
            }
        }
    };
}

string_unit!(
    Duration,
    SimTime,
    parse_duration,
    |t: SimTime| t.to_string(),
    "A duration written as a string (\"50ms\")."
);
string_unit!(
    Size,
    u64,
    parse_size,
    fmt_size,
    "A byte size written as a string (\"2KiB\")."
);
string_unit!(
    Bandwidth,
    u64,
    parse_bandwidth,
    fmt_bandwidth,
    "A bandwidth in bit/s written as a string (\"10Mbit/s\")."
);
string_unit!(
    RateStr,
    Rate,
    parse_rate,
    |r: Rate| format!("{}/s", r.per_sec),
    "A rate written as a string (\"5/hour\")."
);

/// A byte size, or "off" (`None`): e.g. `idontwant_threshold = "512B"`.
fn parse_size_or_off(s: &str) -> Result<Option<u64>, String> {
    if s == "off" {
        return Ok(None);
    }
    parse_size(s)
        .map(Some)
        .map_err(|e| format!("{e}, or \"off\""))
}

fn fmt_size_or_off(v: Option<u64>) -> String {
    v.map_or_else(|| "off".into(), fmt_size)
}

string_unit!(
    SizeOrOff,
    Option<u64>,
    parse_size_or_off,
    fmt_size_or_off,
    "A byte size written as a string, or \"off\"."
);

/// An enum written as one of its words (`prune_at = "at_d_high"`): declares it, its words
/// and how it reads and writes in a scenario. An unknown word is refused naming the words.
#[macro_export]
macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $( $(#[$vdoc:meta])* $v:ident = $word:literal ),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $( $(#[$vdoc])* $v ),+ }
        impl $name {
            /// Every word, in declaration order.
            pub const WORDS: &'static [&'static str] = &[$( $word ),+];
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$( $name::$v ),+];
            /// The variant written `w`, if any.
            pub fn from_word(w: &str) -> Option<$name> {
                match w { $( $word => Some($name::$v), )+ _ => None }
            }
            pub fn word(self) -> &'static str {
                match self { $( $name::$v => $word ),+ }
            }
        }
        impl $crate::units::Written for $name {
            type Value = $name;
            fn value(self) -> $name { self }
            fn written(v: $name) -> Self { v }
            fn show(&self) -> String { self.word().to_string() }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                match s.as_str() {
                    $( $word => Ok($name::$v), )+
                    other => Err(serde::de::Error::custom(format!(
                        "\"{other}\" is not one of {}",
                        Self::WORDS.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(", ")
                    ))),
                }
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.word())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("50ms").unwrap(), SimTime::from_millis(50));
        assert_eq!(parse_duration("2min").unwrap(), SimTime::from_secs(120));
        assert_eq!(parse_duration("1.5s").unwrap(), SimTime::from_millis(1500));
        assert_eq!(parse_duration("1h").unwrap(), SimTime::from_secs(3600));
        assert_eq!(parse_duration("0").unwrap(), SimTime::ZERO);
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-5s").is_err());
        assert_eq!(SimTime::from_millis(1500).to_string(), "1500ms");
        assert_eq!(SimTime::from_secs(120).to_string(), "2min");
    }

    #[test]
    fn sizes_bandwidths_rates() {
        assert_eq!(parse_size("2KiB").unwrap(), 2048);
        assert_eq!(parse_size("2KB").unwrap(), 2000);
        assert_eq!(parse_size("150 KiB").unwrap(), 150 * 1024);
        assert!(parse_size("12").is_err());
        assert_eq!(parse_bandwidth("10Mbit/s").unwrap(), 10_000_000);
        assert_eq!(parse_bandwidth("1MB/s").unwrap(), 8_000_000);
        assert!(parse_bandwidth("0Mbit/s").is_err());
        assert!((parse_rate("5/hour").unwrap().per_sec - 5.0 / 3600.0).abs() < 1e-12);
        assert!(parse_rate("5 per hour").is_err());
        assert_eq!(fmt_size(2048), "2KiB");
        assert_eq!(fmt_bandwidth(10_000_000), "10Mbit/s");
    }
}
