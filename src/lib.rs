//! themata finds the themes in a body of text.
//!
//! The pipeline, one module per stage, data flowing one way:
//! [`ingest`] → [`units`] → [`vectorize`] → [`reduce`] → [`cluster`] → [`themes`] →
//! [`report`] / [`chart`].
#![deny(missing_docs)]

pub mod cluster;
pub mod error;
pub mod eval;
pub mod reduce;
pub mod sparse;

pub use error::{Error, Result};
