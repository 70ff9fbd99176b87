//! Lines of a stream, read in blocks of whole lines.
//!
//! The stream is read straight into one buffer per block and each line is a range of it: no
//! buffer between the decompressor and the block, no allocation per line. (Reading a line at a
//! time into its own `Vec` through a `BufReader` made the reader thread, which also inflates
//! `.gz` input, the slowest part of the JSON Lines ingest; BENCHMARKS.md, "Ingest".)

use std::io::{self, Read};
use std::ops::Range;

/// One line of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    /// Its bytes, `\n` included when there was one, as a range of the block's data.
    Stored(Range<usize>),
    /// A line over the length limit: consumed without being stored; its length in bytes.
    TooLong(usize),
}

/// Whole lines read together: the bytes of the stored ones, and each line with its number.
#[derive(Debug, Default)]
pub(crate) struct LineBlock {
    /// The buffer the block was read into; the block's bytes are `buf[..len]`.
    buf: Vec<u8>,
    len: usize,
    /// Every line of the block in order, with its 1-based number in the stream.
    pub lines: Vec<(usize, Line)>,
}

impl LineBlock {
    /// The stored lines' bytes, back to back.
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The buffer, to be handed back to [`LineBlocks::next_block`] for the next block.
    pub(crate) fn into_buffer(self) -> Vec<u8> {
        self.buf
    }
}

/// Splits a stream into blocks of whole lines of at least `block` bytes each (a block ends at the
/// last line end of the read that brings it to `block` bytes), the last block excepted. A line longer than `limit` bytes is never held whole: it
/// becomes [`Line::TooLong`] as soon as it passes the limit, and the rest of it is skipped.
pub(crate) struct LineBlocks<R> {
    input: R,
    block: usize,
    limit: usize,
    /// The start of an unfinished line, carried into the next block.
    carry: Vec<u8>,
    /// Bytes of an over-long line already dropped (it may run on into the next block).
    skipped: usize,
    line_no: usize,
    eof: bool,
}

impl<R: Read> LineBlocks<R> {
    pub(crate) fn new(input: R, block: usize, limit: usize) -> Self {
        LineBlocks {
            input,
            block: block.max(1),
            limit,
            carry: Vec::new(),
            skipped: 0,
            line_no: 0,
            eof: false,
        }
    }

    /// The next block, read into `buf` (whose allocation is reused; its contents are dropped),
    /// or `None` at the end of the stream.
    ///
    /// `buf[..filled]` holds the block's bytes; the rest of `buf` is initialised but stale, and
    /// reads go straight into it. A recycled buffer is thus zeroed once, when it first grows,
    /// not before every read: `read_to_end` into a cleared `Vec` zeroes its spare capacity again
    /// for each block (a fifth of the reader thread's time on 20 Newsgroups, BENCHMARKS.md).
    pub(crate) fn next_block(&mut self, mut buf: Vec<u8>) -> io::Result<Option<LineBlock>> {
        if buf.is_empty() {
            // Zeroed once here (by the allocator, free when the memory is fresh from the OS).
            buf = vec![0; self.block.saturating_add(64 << 10)];
        }
        let mut filled = self.carry.len();
        if buf.len() < filled {
            buf.resize(filled, 0);
        }
        buf[..filled].copy_from_slice(&self.carry);
        self.carry.clear();
        let mut lines = Vec::new();
        // `start`: where the current (unfinished) line starts; `scanned`: bytes known to hold no
        // line end after `start`.
        let (mut start, mut scanned) = (0, filled);
        let skipped = &mut self.skipped;
        loop {
            while let Some(i) = memchr::memchr(b'\n', &buf[scanned..filled]) {
                let end = scanned + i + 1;
                let len = std::mem::take(skipped) + end - start;
                self.line_no += 1;
                if len > self.limit {
                    lines.push((self.line_no, Line::TooLong(len)));
                    buf.copy_within(end..filled, start);
                    filled -= end - start;
                    scanned = start;
                } else {
                    lines.push((self.line_no, Line::Stored(start..end)));
                    (start, scanned) = (end, end);
                }
            }
            if *skipped + filled - start > self.limit {
                // Drop what there is of an over-long line; the rest is dropped as it comes.
                *skipped += filled - start;
                filled = start;
            }
            scanned = filled;
            if self.eof {
                let len = std::mem::take(skipped) + filled - start;
                if len > 0 {
                    self.line_no += 1;
                    lines.push((
                        self.line_no,
                        if len > self.limit {
                            Line::TooLong(len)
                        } else {
                            Line::Stored(start..filled)
                        },
                    ));
                    start = filled;
                }
                break;
            }
            if !lines.is_empty() && filled >= self.block {
                break;
            }
            // Up to the block size, and at least 64 KiB (less for blocks smaller than that) while
            // a line runs on past it.
            let want = (self.block.saturating_sub(filled)).max(self.block.min(64 << 10));
            if buf.len() < filled + want {
                buf.resize(filled + want, 0);
            }
            match self.input.read(&mut buf[filled..filled + want]) {
                Ok(0) => self.eof = true,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.carry.extend_from_slice(&buf[start..filled]);
        Ok((!lines.is_empty()).then_some(LineBlock {
            buf,
            len: start,
            lines,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call, so lines end up split across
    /// reads as well as across blocks.
    struct Trickle<'a> {
        rest: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.rest.len());
            out[..n].copy_from_slice(&self.rest[..n]);
            self.rest = &self.rest[n..];
            Ok(n)
        }
    }

    /// Every line of `input` as (number, text or length when too long), read in blocks of
    /// `block` bytes, `step` bytes per read.
    fn all_lines(
        input: &[u8],
        block: usize,
        limit: usize,
        step: usize,
    ) -> Vec<(usize, Result<String, usize>)> {
        let mut r = LineBlocks::new(Trickle { rest: input, step }, block, limit);
        let mut out = Vec::new();
        while let Some(b) = r.next_block(Vec::new()).unwrap() {
            for (no, line) in &b.lines {
                out.push((
                    *no,
                    match line {
                        Line::Stored(range) => {
                            Ok(String::from_utf8(b.data()[range.clone()].to_vec()).unwrap())
                        }
                        Line::TooLong(n) => Err(*n),
                    },
                ));
            }
        }
        out
    }

    #[test]
    fn lines_across_block_boundaries_come_back_whole_and_numbered() {
        let text = "one\n\nthree is longer\nfour\nlast without end";
        for (block, step) in [(1, 1), (2, 3), (3, 2), (5, 7), (8, 1), (64, 1 << 20)] {
            let got = all_lines(text.as_bytes(), block, 1 << 20, step);
            let want: Vec<(usize, Result<String, usize>)> = [
                "one\n",
                "\n",
                "three is longer\n",
                "four\n",
                "last without end",
            ]
            .iter()
            .enumerate()
            .map(|(i, s)| (i + 1, Ok(s.to_string())))
            .collect();
            assert_eq!(got, want, "block {block}, step {step}");
        }
    }

    #[test]
    fn overlong_lines_are_measured_not_stored() {
        let text = b"short\nmuch too long a line\nok\n1234567\n12345678\nanother far too long one";
        for (block, step) in [(1, 1), (4, 3), (7, 2), (100, 5), (100, 1 << 20)] {
            assert_eq!(
                all_lines(text, block, 8, step),
                [
                    (1, Ok("short\n".to_string())),
                    (2, Err(21)),
                    (3, Ok("ok\n".to_string())),
                    (4, Ok("1234567\n".to_string())),
                    (5, Err(9)),
                    (6, Err(24)),
                ],
                "block {block}, step {step}"
            );
        }
    }

    #[test]
    fn reused_buffers_do_not_leak_old_bytes_and_empty_input_has_no_block() {
        let input = Trickle {
            rest: b"a\nb\n",
            step: 2,
        };
        let mut r = LineBlocks::new(input, 1, 100);
        let first = r.next_block(vec![b'x'; 10]).unwrap().unwrap();
        assert_eq!((first.data(), first.lines.len()), (&b"a\n"[..], 1));
        let second = r.next_block(first.into_buffer()).unwrap().unwrap();
        assert_eq!(second.data(), b"b\n");
        assert_eq!(second.lines, [(2, Line::Stored(0..2))]);
        assert!(r.next_block(second.into_buffer()).unwrap().is_none());
        assert!(
            LineBlocks::new(&b""[..], 8, 8)
                .next_block(Vec::new())
                .unwrap()
                .is_none()
        );
    }
}
