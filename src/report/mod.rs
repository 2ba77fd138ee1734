//! Simulate, then report: turns a [`RunOutput`] into the summary a researcher pastes and the
//! tidy CSV files plots read. Every file is written atomically (temp file + rename, under the one policy of [`output`]), and
//! holds only deterministic values (no wall-clock figures), so that the same scenario and
//! seed give byte-identical files.

pub mod check;
pub mod compare;
pub mod folder;
pub mod output;
pub mod page;
mod render;
mod summary;

use crate::scenario::{Scenario, ScenarioError};
use crate::sim::SimError;

pub use output::write_file;
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
        $crate::report::ReportError::Invalid(format!($($t)*))
    };
}
pub(crate) use invalid;

/// Says what was being done when an error happened.
trait Doing<T> {
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
