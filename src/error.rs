//! The library's error type: every failure a user can cause names the file, record or key at fault.
//!
//! Exit codes are decided from it in one place ([`Error::exit_code`]): 2 for bad usage, input or
//! configuration, 1 for internal faults and for a batch some of whose jobs failed.

use std::path::PathBuf;

/// Everything that can go wrong in themata's library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path at fault.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An input file, or one record in it, is malformed.
    #[error("{path}{}: {message}", record.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    Input {
        /// The input file.
        path: PathBuf,
        /// Where in the file (`line 12`, `record 7`), if known.
        record: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The corpus has nothing left to analyse.
    #[error("{0}")]
    EmptyCorpus(String),
    /// A configuration key has a wrong type or an out-of-range value, or is unknown.
    #[error("config {file}: {message}")]
    Config {
        /// The config file (or `command line`).
        file: String,
        /// What is wrong, naming the key and the allowed range.
        message: String,
    },
    /// An algorithm parameter is out of range (linfa's `ParamGuard` style).
    #[error("invalid parameter `{name}`: {message}")]
    Param {
        /// The parameter's name as the user spells it.
        name: &'static str,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The request does not fit the data (e.g. more clusters than units).
    #[error("{0}")]
    Usage(String),
    /// Some jobs of a `themata batch` failed; the others completed and the index lists them all.
    #[error("{} of {total} jobs failed: {}; see {}", failed.len(), failed.join(", "), index.display())]
    JobsFailed {
        /// The failed jobs' names, in job file order.
        failed: Vec<String>,
        /// Jobs in the batch.
        total: usize,
        /// The batch's index.html.
        index: PathBuf,
    },
    /// A bug or an unexpected fault inside themata.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Builds an [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Builds an [`Error::Param`].
    pub fn param(name: &'static str, message: impl Into<String>) -> Self {
        Error::Param {
            name,
            message: message.into(),
        }
    }

    /// The process exit code this error maps to: 2 for bad usage or input, 1 for internal faults
    /// and for a batch with failed jobs.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Internal(_) | Error::JobsFailed { .. } => 1,
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::Interrupted => 1,
            _ => 2,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
