//! What a run writes: the summary a researcher pastes and the tidy CSV files plots read
//! (`render`, `summary`), the folder they go into whole or not at all (`folder`), and the one
//! policy for every file the program writes (`path`). Every file holds only deterministic
//! values (no wall-clock figures), so that the same scenario and seed give byte-identical
//! files. What reads result files back (compare, report pages) is `report`'s.

pub mod folder;
pub mod path;
mod render;
mod summary;

use crate::scenario::{Scenario, ScenarioError};
use crate::sim::SimError;

pub use path::write_file;
pub use render::{render_files, RESULT_FILES};
pub use summary::{Summary, SummaryRow};

/// What a report could not do. Each message names the file (and line) or the run; a
/// cause, where there is one, follows as the error's source.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A results or baseline file whose contents are not what gossipsim writes, or a
    /// request that cannot be answered.
    #[error("{0}")]
    Invalid(String),
    /// Doing `what` failed because of `source`.
    #[error("{what}")]
    Because {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Number(#[from] std::num::ParseFloatError),
}

/// `ReportError::Invalid` from a format string.
macro_rules! invalid {
    ($($t:tt)*) => {
        $crate::output::ReportError::Invalid(format!($($t)*))
    };
}
pub(crate) use invalid;

/// Says what was being done when an error happened.
pub(crate) trait Doing<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, ReportError>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Doing<T> for Result<T, E> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, ReportError> {
        self.map_err(|e| ReportError::Because {
            what: what(),
            source: Box::new(e),
        })
    }
}

/// The stable id of a run: a hash of the resolved scenario (which includes the seed).
pub fn run_id(sc: &Scenario) -> String {
    run_id_of(&sc.resolved_toml)
}

/// The run id of a resolved scenario's text.
pub fn run_id_of(resolved_toml: &str) -> String {
    format!("{:016x}", crate::rng::fnv1a64(resolved_toml.as_bytes()))
}
