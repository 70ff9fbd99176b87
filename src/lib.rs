//! themata finds the themes in a body of text.
//!
//! The pipeline, one module per stage, data flowing one way:
//! [`ingest`] → [`units`] → [`vectorize`] → [`reduce`] → [`cluster`] → [`themes`] →
//! [`coherence`] → [`timeline`] → [`report`] / [`chart`]. [`pipeline`] runs the stages in order;
//! [`cmd`] holds the subcommands the binary dispatches to.
#![deny(missing_docs)]

pub mod assign;
pub mod batch;
pub mod bench;
pub mod chart;
pub mod cluster;
pub mod cmd;
pub mod coherence;
pub mod compare;
pub mod config;
pub mod error;
pub mod eval;
pub mod ingest;
mod kernels;
pub mod model;
pub mod pipeline;
pub mod reduce;
pub mod report;
pub mod rundir;
pub mod sparse;
pub mod themes;
pub mod timeline;
pub mod units;
pub mod vectorize;

#[cfg(test)]
mod testdata;

pub use error::{Error, Result};
