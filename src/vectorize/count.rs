//! Parallel tokenising and counting: documents in, per-chunk term counts out, then one merged
//! vocabulary.
//!
//! Documents are cut into chunks of consecutive documents (by size, independent of the thread
//! count). Each chunk interns its words to `u32` ids (a raw token is looked up once per chunk; its
//! stop-word test and stem are cached with it), forms n-grams as id sequences (a bigram is one
//! `u64` key, never a string) and records per document `(feature, count)` pairs plus per-feature
//! document and total counts. [`merge`] then folds the chunk tables into one global table in chunk
//! order, so ids, and everything built from them, do not depend on scheduling.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::Analyzer;
use super::hashing;

/// Marks "no id" in id tables.
const NONE: u32 = u32::MAX;

/// Target size of a chunk in bytes of text: small enough to balance two to a few dozen threads on
/// a 20 MB corpus, large enough that per-chunk tables are reused across many documents.
const CHUNK_BYTES: usize = 512 * 1024;

/// Interns features (sequences of word ids) to dense `u32` ids.
#[derive(Default)]
pub(super) struct FeatureTable {
    /// Unigram features, indexed by word id.
    uni: Vec<u32>,
    /// Bigram features keyed by `first << 32 | second`.
    bi: FxHashMap<u64, u32>,
    /// Longer n-grams.
    multi: FxHashMap<Box<[u32]>, u32>,
    /// Word ids of all features, concatenated.
    words: Vec<u32>,
    /// `words[offs[f]..offs[f + 1]]` are feature `f`'s words.
    offs: Vec<usize>,
}

impl FeatureTable {
    fn new() -> Self {
        FeatureTable {
            offs: vec![0],
            ..Default::default()
        }
    }

    /// Number of features.
    pub(super) fn len(&self) -> usize {
        self.offs.len() - 1
    }

    /// The word ids of feature `f`.
    pub(super) fn key(&self, f: u32) -> &[u32] {
        &self.words[self.offs[f as usize]..self.offs[f as usize + 1]]
    }

    fn push(&mut self, key: &[u32]) -> u32 {
        let id = self.len() as u32;
        self.words.extend_from_slice(key);
        self.offs.push(self.words.len());
        id
    }

    /// The id of the feature `key`, adding it if new.
    #[inline]
    fn intern(&mut self, key: &[u32]) -> u32 {
        match key.len() {
            1 => {
                let w = key[0] as usize;
                if w >= self.uni.len() {
                    self.uni.resize(w + 1, NONE);
                }
                if self.uni[w] == NONE {
                    self.uni[w] = self.push(key);
                }
                self.uni[w]
            }
            2 => {
                let k = (u64::from(key[0]) << 32) | u64::from(key[1]);
                let next = self.len() as u32;
                let id = *self.bi.entry(k).or_insert(next);
                if id == next {
                    self.push(key);
                }
                id
            }
            _ => {
                if let Some(&id) = self.multi.get(key) {
                    return id;
                }
                let id = self.push(key);
                self.multi.insert(key.into(), id);
                id
            }
        }
    }
}

/// The counts of one chunk of documents.
pub(super) struct ChunkCounts {
    /// Chunk-local word id → word (after stop words and stemming).
    words: Vec<Box<str>>,
    /// Chunk-local features.
    features: FeatureTable,
    /// Per local feature: number of documents of the chunk holding it.
    df: Vec<u32>,
    /// Per local feature: total count in the chunk.
    tf: Vec<u64>,
    /// Document `d`'s `(feature, count)` pairs are `entries[indptr[d]..indptr[d + 1]]`.
    indptr: Vec<usize>,
    entries: Vec<(u32, u32)>,
    /// Hashing mode: column and sign of each local feature.
    pub(super) hashed: Option<Vec<(u32, f64)>>,
}

impl ChunkCounts {
    /// Number of documents in the chunk.
    pub(super) fn docs(&self) -> usize {
        self.indptr.len() - 1
    }

    /// The `(local feature, count)` pairs of document `d`, in first-occurrence order.
    pub(super) fn doc(&self, d: usize) -> &[(u32, u32)] {
        &self.entries[self.indptr[d]..self.indptr[d + 1]]
    }

    /// Feature `f`'s name: its words joined by single spaces.
    fn name(&self, f: u32) -> String {
        join_words(
            self.features
                .key(f)
                .iter()
                .map(|&w| &*self.words[w as usize]),
        )
    }
}

fn join_words<'a>(mut words: impl Iterator<Item = &'a str>) -> String {
    let mut s = String::new();
    if let Some(w) = words.next() {
        s.push_str(w);
    }
    for w in words {
        s.push(' ');
        s.push_str(w);
    }
    s
}

/// Splits `docs` into chunks of about [`CHUNK_BYTES`] and counts each in parallel; chunk order is
/// document order.
pub(super) fn count_chunks(
    docs: &[&str],
    analyzer: &Analyzer,
    hashing: Option<usize>,
) -> Vec<ChunkCounts> {
    let mut bounds = vec![0];
    let mut bytes = 0;
    for (i, d) in docs.iter().enumerate() {
        bytes += d.len() + 1;
        if bytes >= CHUNK_BYTES {
            bounds.push(i + 1);
            bytes = 0;
        }
    }
    if *bounds.last().expect("bounds starts with 0") != docs.len() || docs.is_empty() {
        bounds.push(docs.len());
    }
    bounds
        .par_windows(2)
        .map(|w| count_chunk(&docs[w[0]..w[1]], analyzer, hashing))
        .collect()
}

fn count_chunk(docs: &[&str], an: &Analyzer, hashing: Option<usize>) -> ChunkCounts {
    // Raw token → word id, or NONE for a stop word.
    let mut raw: FxHashMap<Box<str>, u32> = FxHashMap::default();
    // Stemmed word → word id (only when stemming: otherwise a raw token is its own word).
    let mut stemmed: FxHashMap<Box<str>, u32> = FxHashMap::default();
    let mut words: Vec<Box<str>> = Vec::new();
    let mut features = FeatureTable::new();
    let mut df: Vec<u32> = Vec::new();
    let mut tf: Vec<u64> = Vec::new();
    // Per local feature: last document it was seen in, and its entry's position there.
    let mut last_doc: Vec<u32> = Vec::new();
    let mut slot: Vec<usize> = Vec::new();
    let mut indptr = Vec::with_capacity(docs.len() + 1);
    indptr.push(0);
    let mut entries: Vec<(u32, u32)> = Vec::new();
    let mut seq: Vec<u32> = Vec::new();
    let (min_n, max_n) = an.ngram_range();

    for (d, doc) in docs.iter().enumerate() {
        seq.clear();
        an.for_each_token(doc, &mut |tok| {
            let id = match raw.get(tok) {
                Some(&id) => id,
                None => {
                    let id = if an.is_stop_word(tok) {
                        NONE
                    } else if an.stems() {
                        let s = an.stem(tok);
                        match stemmed.get(&*s) {
                            Some(&id) => id,
                            None => {
                                let id = words.len() as u32;
                                words.push(s.as_ref().into());
                                stemmed.insert(s.as_ref().into(), id);
                                id
                            }
                        }
                    } else {
                        words.push(tok.into());
                        (words.len() - 1) as u32
                    };
                    raw.insert(tok.into(), id);
                    id
                }
            };
            if id != NONE {
                seq.push(id);
            }
        });
        for n in min_n..=max_n.min(seq.len()) {
            for key in seq.windows(n) {
                let f = features.intern(key) as usize;
                if f == df.len() {
                    df.push(0);
                    tf.push(0);
                    last_doc.push(NONE);
                    slot.push(0);
                }
                tf[f] += 1;
                if last_doc[f] == d as u32 {
                    entries[slot[f]].1 += 1;
                } else {
                    last_doc[f] = d as u32;
                    slot[f] = entries.len();
                    entries.push((f as u32, 1));
                    df[f] += 1;
                }
            }
        }
        indptr.push(entries.len());
    }
    let mut chunk = ChunkCounts {
        words,
        features,
        df,
        tf,
        indptr,
        entries,
        hashed: None,
    };
    if let Some(n) = hashing {
        chunk.hashed = Some(
            (0..chunk.features.len() as u32)
                .map(|f| hashing::column_and_sign(&chunk.name(f), n))
                .collect(),
        );
    }
    chunk
}

/// The corpus-wide feature table.
pub(super) struct Merged<'c> {
    /// Global word id → word.
    words: Vec<&'c str>,
    /// Global features (sequences of global word ids).
    features: FeatureTable,
    /// Per global feature: document frequency.
    pub(super) df: Vec<u32>,
    /// Per global feature: total count.
    pub(super) tf: Vec<u64>,
    /// Per chunk: local feature id → global feature id.
    pub(super) remap: Vec<Vec<u32>>,
}

impl Merged<'_> {
    /// Global feature `g`'s name.
    pub(super) fn name(&self, g: u32) -> String {
        join_words(self.features.key(g).iter().map(|&w| self.words[w as usize]))
    }
}

/// Merges chunk tables in chunk order into global ids, summing document and total counts.
pub(super) fn merge(chunks: &[ChunkCounts]) -> Merged<'_> {
    let mut word_ids: FxHashMap<&str, u32> = FxHashMap::default();
    let mut words: Vec<&str> = Vec::new();
    let mut features = FeatureTable::new();
    let mut df: Vec<u32> = Vec::new();
    let mut tf: Vec<u64> = Vec::new();
    let mut remap = Vec::with_capacity(chunks.len());
    let mut key = Vec::new();
    for chunk in chunks {
        let word_map: Vec<u32> = chunk
            .words
            .iter()
            .map(|w| {
                *word_ids.entry(&**w).or_insert_with(|| {
                    words.push(&**w);
                    (words.len() - 1) as u32
                })
            })
            .collect();
        let mut fmap = Vec::with_capacity(chunk.features.len());
        for f in 0..chunk.features.len() as u32 {
            key.clear();
            key.extend(chunk.features.key(f).iter().map(|&w| word_map[w as usize]));
            let g = features.intern(&key) as usize;
            if g == df.len() {
                df.push(0);
                tf.push(0);
            }
            df[g] += chunk.df[f as usize];
            tf[g] += chunk.tf[f as usize];
            fmap.push(g as u32);
        }
        remap.push(fmap);
    }
    Merged {
        words,
        features,
        df,
        tf,
        remap,
    }
}
