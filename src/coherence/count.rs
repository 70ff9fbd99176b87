//! Counting the relevant terms (the union of the themes' top terms) and their pairs in whole units
//! and in gensim's boolean sliding windows.
//!
//! gensim (`WordOccurrenceAccumulator`) slides a window over each text one token per step. The
//! first window of a text marks the terms it holds; at each later step the token that left at the
//! left edge is unmarked and the token that entered at the right edge is marked, in that order. A
//! term that leaves while another occurrence of it is still inside is thus unmarked until it
//! enters again; every count below keeps that. A text of `L < w` tokens is one window, an empty
//! text an empty window that still counts in the number of windows.
//!
//! Rather than stepping through every window, a text is reduced to its hits (positions of
//! relevant terms), each hit to two events (marked when it enters, unmarked when it leaves), and
//! each term to the intervals of windows in which it is marked. A term's count is the length of its
//! intervals, a pair's the length of their overlap: the work grows with the hits, not with
//! tokens × window size.

use std::hash::BuildHasher;

use rayon::prelude::*;
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use super::Texts;

/// No interval open.
const NONE: u32 = u32::MAX;

/// Occurrence counts of the relevant terms and their pairs under one way of counting (whole units,
/// or windows of one size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Documents (units) or windows counted.
    pub total: u64,
    /// Per relevant term, the documents or windows in which it is marked.
    pub occurrences: Vec<u64>,
    /// Per pair of terms that share a theme, the documents or windows in which both are.
    pub pairs: Vec<u64>,
}

impl Counts {
    fn zero(terms: usize, pairs: usize) -> Self {
        Counts {
            total: 0,
            occurrences: vec![0; terms],
            pairs: vec![0; pairs],
        }
    }

    fn add(&mut self, other: &Counts) {
        self.total += other.total;
        for (a, b) in self.occurrences.iter_mut().zip(&other.occurrences) {
            *a += b;
        }
        for (a, b) in self.pairs.iter_mut().zip(&other.pairs) {
            *a += b;
        }
    }
}

/// Every count the three measures need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AllCounts {
    /// Whole units (boolean documents), for `u_mass`.
    pub docs: Counts,
    /// Sliding windows of each of [`Counter::windows`]' sizes.
    pub windows: [Counts; 2],
}

impl AllCounts {
    fn zero(terms: usize, pairs: usize) -> Self {
        AllCounts {
            docs: Counts::zero(terms, pairs),
            windows: [Counts::zero(terms, pairs), Counts::zero(terms, pairs)],
        }
    }

    fn add(mut self, other: AllCounts) -> Self {
        self.docs.add(&other.docs);
        for (a, b) in self.windows.iter_mut().zip(&other.windows) {
            a.add(b);
        }
        self
    }
}

/// The relevant terms, the pairs to count, and the window sizes.
#[derive(Debug)]
pub(crate) struct Counter {
    /// One-word terms → id.
    words: FxHashMap<String, u32>,
    /// Which words may be one of `words`.
    filter: Filter,
    /// Multi-word terms → id.
    ngrams: FxHashMap<String, u32>,
    /// First words of the multi-word terms.
    ngram_first: FxHashSet<String>,
    /// Most words in a term.
    max_n: usize,
    /// Each theme's terms as ids, in rank order.
    pub topics: Vec<Vec<u32>>,
    /// Pair `(a, b)` with `a < b` → its slot in [`Counts::pairs`].
    slots: FxHashMap<(u32, u32), u32>,
    /// Per term `a`, `(b, slot)` of its pairs with `b > a`: `partners[offsets[a]..offsets[a+1]]`.
    offsets: Vec<u32>,
    partners: Vec<(u32, u32)>,
    /// Window sizes.
    windows: [usize; 2],
}

impl Counter {
    /// Ids for the terms of `topics`, and slots for every pair of distinct terms in a topic.
    pub fn new(topics: &[Vec<&str>], windows: [usize; 2]) -> Self {
        let mut ids: FxHashMap<&str, u32> = FxHashMap::default();
        let topics: Vec<Vec<u32>> = topics
            .iter()
            .map(|t| {
                t.iter()
                    .map(|&term| {
                        let next = ids.len() as u32;
                        *ids.entry(term).or_insert(next)
                    })
                    .collect()
            })
            .collect();
        let (mut words, mut ngrams) = (FxHashMap::default(), FxHashMap::default());
        let mut ngram_first = FxHashSet::default();
        let mut max_n = 1;
        for (&term, &id) in &ids {
            let n = term.split(' ').count();
            if n > 1 {
                max_n = max_n.max(n);
                ngram_first.insert(term.split(' ').next().unwrap_or("").to_owned());
                ngrams.insert(term.to_owned(), id);
            } else {
                words.insert(term.to_owned(), id);
            }
        }
        let filter = Filter::new(words.keys().map(String::as_str), words.len());
        let mut slots: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        for t in &topics {
            for (i, &a) in t.iter().enumerate() {
                for &b in &t[i + 1..] {
                    if a != b {
                        let next = slots.len() as u32;
                        slots.entry((a.min(b), a.max(b))).or_insert(next);
                    }
                }
            }
        }
        let mut by_first: Vec<((u32, u32), u32)> = slots.iter().map(|(&p, &s)| (p, s)).collect();
        by_first.sort_unstable();
        let mut offsets = vec![0u32; ids.len() + 1];
        for &((a, _), _) in &by_first {
            offsets[a as usize + 1] += 1;
        }
        for i in 0..ids.len() {
            offsets[i + 1] += offsets[i];
        }
        let partners = by_first.iter().map(|&((_, b), s)| (b, s)).collect();
        Counter {
            words,
            filter,
            ngrams,
            ngram_first,
            max_n,
            topics,
            slots,
            offsets,
            partners,
            windows,
        }
    }

    fn terms(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The count of `a` and `b` together in `c` (of `a` alone when they are the same term).
    pub fn co_occurrences(&self, c: &Counts, a: u32, b: u32) -> u64 {
        if a == b {
            return c.occurrences[a as usize];
        }
        let slot = self.slots[&(a.min(b), a.max(b))];
        c.pairs[slot as usize]
    }

    fn partners(&self, a: u32) -> &[(u32, u32)] {
        &self.partners[self.offsets[a as usize] as usize..self.offsets[a as usize + 1] as usize]
    }

    /// Counts every text, in parallel; the sums are integers, so the result does not depend on
    /// how the texts were shared out.
    pub fn count<T: Texts + ?Sized>(&self, texts: &T) -> AllCounts {
        let (terms, pairs) = (self.terms(), self.partners.len());
        (0..texts.len())
            .into_par_iter()
            .with_min_len(64)
            .fold(
                || Scratch::new(terms, pairs),
                |mut s, i| {
                    s.text(self, texts, i);
                    s
                },
            )
            .map(|s| s.counts)
            .reduce(|| AllCounts::zero(terms, pairs), AllCounts::add)
    }
}

/// A bit per hash bucket of a set of words, set where a word of the set falls: most words of a
/// text are no top term, and one bit read says so for nearly all of them (a hash-map lookup costs
/// several times more). At least 64 buckets a word, so about 1.5 % of other words pass.
#[derive(Debug)]
struct Filter {
    bits: Vec<u64>,
    shift: u32,
}

impl Filter {
    fn new<'a>(words: impl Iterator<Item = &'a str>, n: usize) -> Self {
        let buckets = (n * 64).next_power_of_two().max(1 << 12);
        let mut f = Filter {
            bits: vec![0; buckets / 64],
            shift: 64 - buckets.trailing_zeros(),
        };
        for w in words {
            let b = f.bucket(w);
            f.bits[b / 64] |= 1 << (b % 64);
        }
        f
    }

    #[inline]
    fn bucket(&self, w: &str) -> usize {
        (FxBuildHasher.hash_one(w) >> self.shift) as usize
    }

    #[inline]
    fn may_hold(&self, w: &str) -> bool {
        let b = self.bucket(w);
        self.bits[b / 64] & (1 << (b % 64)) != 0
    }
}

/// One worker's counts and buffers.
struct Scratch {
    counts: AllCounts,
    /// `(position, term)` of the relevant terms in the current text, by position.
    hits: Vec<(u32, u32)>,
    /// The current text's words (only when some term has several words).
    words: Vec<String>,
    joined: String,
    /// `seen[a] == stamp` when term `a` occurs in the current text.
    seen: Vec<u32>,
    stamp: u32,
    /// The distinct terms of the current text.
    present: Vec<u32>,
    /// Per term, the window its open interval started at, or [`NONE`].
    since: Vec<u32>,
    /// `(term, first window, end window)` of the current text, sorted by term.
    intervals: Vec<(u32, u32, u32)>,
    /// Per present term, its range in `intervals`.
    range: Vec<(u32, u32)>,
}

impl Scratch {
    fn new(terms: usize, pairs: usize) -> Self {
        Scratch {
            counts: AllCounts::zero(terms, pairs),
            hits: Vec::new(),
            words: Vec::new(),
            joined: String::new(),
            seen: vec![0; terms],
            stamp: 0,
            present: Vec::new(),
            since: vec![NONE; terms],
            intervals: Vec::new(),
            range: vec![(0, 0); terms],
        }
    }

    /// Counts text `i`.
    fn text<T: Texts + ?Sized>(&mut self, c: &Counter, texts: &T, i: usize) {
        let len = self.find_hits(c, texts, i);
        self.stamp += 1;
        self.present.clear();
        for &(_, a) in &self.hits {
            if self.seen[a as usize] != self.stamp {
                self.seen[a as usize] = self.stamp;
                self.present.push(a);
            }
        }
        // Whole units: each present term and pair once.
        count_once(
            c,
            &self.present,
            &self.seen,
            self.stamp,
            &mut self.counts.docs,
        );
        for (k, &w) in c.windows.iter().enumerate() {
            let counts = &mut self.counts.windows[k];
            if len < w {
                // gensim: the whole text is one window (an empty one when the text is empty).
                count_once(c, &self.present, &self.seen, self.stamp, counts);
            } else {
                self.slide(c, len, w, k);
            }
        }
    }

    /// Fills `hits` with text `i`'s relevant terms; returns its length in words.
    fn find_hits<T: Texts + ?Sized>(&mut self, c: &Counter, texts: &T, i: usize) -> usize {
        self.hits.clear();
        // Positions are u32: a unit of 4 billion words would not fit in memory to begin with.
        let mut pos = 0u32;
        if c.ngrams.is_empty() {
            let hits = &mut self.hits;
            texts.for_each_word(i, |w| {
                if c.filter.may_hold(w)
                    && let Some(&id) = c.words.get(w)
                {
                    hits.push((pos, id));
                }
                pos += 1;
            });
            return pos as usize;
        }
        let mut n = 0;
        texts.for_each_word(i, |w| {
            if n < self.words.len() {
                self.words[n].clear();
                self.words[n].push_str(w);
            } else {
                self.words.push(w.to_owned());
            }
            n += 1;
        });
        let words = &self.words[..n];
        for (p, w) in words.iter().enumerate() {
            if let Some(&id) = c.words.get(w.as_str()) {
                self.hits.push((p as u32, id));
            }
            if !c.ngram_first.contains(w.as_str()) {
                continue;
            }
            self.joined.clear();
            self.joined.push_str(w);
            for next in words.iter().skip(p + 1).take(c.max_n - 1) {
                self.joined.push(' ');
                self.joined.push_str(next);
                if let Some(&id) = c.ngrams.get(self.joined.as_str()) {
                    self.hits.push((p as u32, id));
                }
            }
        }
        n
    }

    /// Counts the `len - w + 1` windows of `w` words of the current text into window counts `k`.
    fn slide(&mut self, c: &Counter, len: usize, w: usize, k: usize) {
        let n_windows = (len - w + 1) as u32;
        let counts = &mut self.counts.windows[k];
        counts.total += u64::from(n_windows);
        self.intervals.clear();
        // A hit at position p is marked from window max(0, p - w + 1) (the first window, or the
        // one it enters at the right edge) and unmarked from window p + 1 (it left at the left
        // edge); at the same window gensim unmarks before it marks.
        let marks = self
            .hits
            .iter()
            .map(|&(p, a)| (p.saturating_sub(w as u32 - 1), a));
        let mut unmarks = self
            .hits
            .iter()
            .map(|&(p, a)| (p + 1, a))
            .take_while(|&(t, _)| t < n_windows)
            .peekable();
        for (t, a) in marks {
            while let Some(&(u, b)) = unmarks.peek().filter(|&&(u, _)| u <= t) {
                close(&mut self.since, &mut self.intervals, b, u);
                unmarks.next();
            }
            let s = &mut self.since[a as usize];
            if *s == NONE {
                *s = t;
            }
        }
        for (u, b) in unmarks {
            close(&mut self.since, &mut self.intervals, b, u);
        }
        for &a in &self.present {
            close(&mut self.since, &mut self.intervals, a, n_windows);
        }
        self.intervals.sort_unstable();
        let mut start = 0;
        while start < self.intervals.len() {
            let a = self.intervals[start].0;
            let mut end = start;
            let mut marked = 0u64;
            while end < self.intervals.len() && self.intervals[end].0 == a {
                marked += u64::from(self.intervals[end].2 - self.intervals[end].1);
                end += 1;
            }
            counts.occurrences[a as usize] += marked;
            self.range[a as usize] = (start as u32, end as u32);
            start = end;
        }
        for &a in &self.present {
            let (s, e) = self.range[a as usize];
            let ia = &self.intervals[s as usize..e as usize];
            for &(b, slot) in c.partners(a) {
                if self.seen[b as usize] == self.stamp {
                    let (s, e) = self.range[b as usize];
                    counts.pairs[slot as usize] +=
                        overlap(ia, &self.intervals[s as usize..e as usize]);
                }
            }
        }
    }
}

/// Ends term `a`'s open interval, if any, at window `t`.
#[inline]
fn close(since: &mut [u32], intervals: &mut Vec<(u32, u32, u32)>, a: u32, t: u32) {
    let s = std::mem::replace(&mut since[a as usize], NONE);
    if s != NONE && s < t {
        intervals.push((a, s, t));
    }
}

/// Counts one document (or one window) holding the `present` terms.
fn count_once(c: &Counter, present: &[u32], seen: &[u32], stamp: u32, counts: &mut Counts) {
    counts.total += 1;
    for &a in present {
        counts.occurrences[a as usize] += 1;
        for &(b, slot) in c.partners(a) {
            if seen[b as usize] == stamp {
                counts.pairs[slot as usize] += 1;
            }
        }
    }
}

/// Windows in both of two sorted lists of disjoint intervals.
fn overlap(a: &[(u32, u32, u32)], b: &[(u32, u32, u32)]) -> u64 {
    let (mut i, mut j, mut n) = (0, 0, 0u64);
    while i < a.len() && j < b.len() {
        let (lo, hi) = (a[i].1.max(b[j].1), a[i].2.min(b[j].2));
        if lo < hi {
            n += u64::from(hi - lo);
        }
        if a[i].2 < b[j].2 {
            i += 1;
        } else {
            j += 1;
        }
    }
    n
}
