//! Report stage: the run's result as files a person or a program reads.
//!
//! In: the [`RunReport`] assembled by the pipeline. Out: `run.json`, `assignments.csv`,
//! `themes.md` and `report.html`, written into a [`RunDir`](crate::rundir::RunDir).

pub mod html;
pub mod model;

pub use model::*;
