//! Bounds on what is read from one input, enforced while it is read rather than after.
//!
//! In: a stream (a file, a decompressor). Out: the same bytes, until more than a limit have passed
//! since a mark; then an I/O error carrying [`OverCap`], which the caller turns into an error
//! naming the file. A `.gz` input is capped as a whole (`ingest.max_decompressed_bytes`: a small
//! file cannot inflate into more than memory holds), a CSV input record by record (the mark
//! follows each record's end, so a record that never ends, as after an unterminated quote, is
//! refused before the CSV parser has buffered the rest of the file).

use std::io::{self, BufRead, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;

/// A byte offset in a stream, shared between a [`Capped`] reader and whoever moves it (the CSV
/// reader, after each record); one left at 0 caps the whole stream. Atomic only so that a capped
/// stream can be read on another thread (`.gz` input is inflated on the JSON Lines reader thread).
#[derive(Debug, Clone, Default)]
pub(crate) struct Mark(Arc<AtomicU64>);

impl Mark {
    /// Moves the mark to byte `offset` of the stream.
    pub(crate) fn set(&self, offset: u64) {
        self.0.store(offset, Ordering::Relaxed);
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A reader that fails once more than `limit` bytes have been read past its [`Mark`].
pub(crate) struct Capped<R> {
    inner: R,
    read: u64,
    mark: Mark,
    limit: u64,
}

/// What one record of a `.gz` input counts against `ingest.max_decompressed_bytes` besides its
/// bytes: roughly what a unit costs a run in memory beyond its text (its article's fields, its
/// LSA row of 110 f32 and the copies made of it, its clustering state). Without it, a bomb of tiny records inflating
/// to less than the cap still fills memory: 4.2 GB of 26-byte records took a run past 22 GB.
pub(crate) const RECORD_COST: u64 = 2048;

/// The payload of the I/O error a [`Capped`] reader fails with.
#[derive(Debug)]
pub(crate) struct OverCap {
    /// The limit that was passed, in bytes.
    pub limit: u64,
}

impl std::fmt::Display for OverCap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {} read", size(self.limit))
    }
}

impl std::error::Error for OverCap {}

impl<R> Capped<R> {
    /// `inner`, failing once more than `limit` bytes have been read past `mark`.
    pub(crate) fn new(inner: R, limit: u64, mark: Mark) -> Self {
        Capped {
            inner,
            read: 0,
            mark,
            limit,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read.saturating_sub(self.mark.get()) > self.limit {
            return Err(io::Error::other(OverCap { limit: self.limit }));
        }
        Ok(n)
    }
}

/// The [`OverCap`] an I/O error carries, if it is a [`Capped`] reader's.
pub(crate) fn over_cap(e: &io::Error) -> Option<&OverCap> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<OverCap>())
}

/// A `.gz` stream's decompressed bytes, failing once more than `limit` have come out of it
/// (`0`: no limit). Concatenated members are read as one stream, as `gzip -d` does.
pub(crate) fn gunzip<'a>(input: impl BufRead + Send + 'a, limit: u64) -> Box<dyn Read + Send + 'a> {
    let inflated = flate2::bufread::MultiGzDecoder::new(input);
    if limit == 0 {
        Box::new(inflated)
    } else {
        Box::new(Capped::new(inflated, limit, Mark::default()))
    }
}

/// The error for a `.gz` input that inflates past `ingest.max_decompressed_bytes`, or
/// [`Error::Io`] for any other read error of `path`.
pub(crate) fn gz_read_error(path: &Path, e: io::Error) -> Error {
    match over_cap(&e) {
        Some(cap) => Error::Input {
            path: path.into(),
            record: None,
            message: format!(
                "decompresses to more than {}, counting {RECORD_COST} bytes per record besides \
                 its text (ingest.max_decompressed_bytes = {}); if the file is genuine, raise \
                 that key in a --config file (0 = no limit)",
                size(cap.limit),
                cap.limit
            ),
        },
        None => Error::io(path, e),
    }
}

/// `bytes` for a message: whole bytes below 1 KiB, else KiB, MiB or GiB with one decimal.
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [(&str, u32); 3] = [("GiB", 30), ("MiB", 20), ("KiB", 10)];
    for (name, shift) in UNITS {
        if bytes >= 1 << shift {
            return format!("{:.1} {name}", bytes as f64 / (1u64 << shift) as f64);
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_fails_only_past_the_limit_since_the_mark() {
        let mark = Mark::default();
        let mut r = Capped::new(&[7u8; 100][..], 40, mark.clone());
        let mut buf = [0u8; 30];
        assert_eq!(r.read(&mut buf).unwrap(), 30);
        mark.set(30);
        assert_eq!(r.read(&mut buf).unwrap(), 30);
        let e = r.read(&mut buf).unwrap_err();
        assert_eq!(over_cap(&e).map(|c| c.limit), Some(40));
    }

    #[test]
    fn gunzip_stops_at_the_limit_and_zero_means_none() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&[0u8; 10_000]).unwrap();
        let gz = gz.finish().unwrap();
        let mut out = Vec::new();
        let e = gunzip(&gz[..], 9_999).read_to_end(&mut out).unwrap_err();
        let msg = gz_read_error(Path::new("b.jsonl.gz"), e).to_string();
        assert!(
            msg.starts_with("b.jsonl.gz: decompresses to more than 9.8 KiB")
                && msg.contains("ingest.max_decompressed_bytes = 9999"),
            "{msg}"
        );
        out.clear();
        gunzip(&gz[..], 10_000).read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 10_000);
        out.clear();
        gunzip(&gz[..], 0).read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 10_000);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(512), "512 bytes");
        assert_eq!(size(64 << 20), "64.0 MiB");
        assert_eq!(size(4 << 30), "4.0 GiB");
    }
}
