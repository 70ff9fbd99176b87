//! Parallel tokenising and counting: documents in, per-chunk term counts out, then one merged
//! vocabulary.
//!
//! Documents are cut into chunks of consecutive documents (by size, independent of the thread
//! count). Each chunk lowercases its documents once, interns its words to `u32` ids (tokens are
//! borrowed slices of the text, so a token costs a hash lookup and no allocation; its stop-word
//! test and stem are cached with it), forms n-grams as id sequences (a bigram is one `u64` key,
//! never a string) and records per document `(feature, count)` pairs plus per-feature document
//! and total counts. [`merge`] then folds the chunk tables into global ones: keys are split into
//! a fixed number of shards by hash, and each shard is interned in parallel, visiting the chunks
//! in order. Shard of a key, order within a shard and so every id are independent of scheduling.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, Hash};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::Analyzer;
use super::hashing;

/// Marks "no id" in id tables.
const NONE: u32 = u32::MAX;

/// Chunks a corpus is cut into when that keeps them between [`MIN_CHUNK_BYTES`] and
/// [`MAX_CHUNK_BYTES`] of text: enough to balance a few dozen threads, few enough that the merge,
/// which visits every chunk's table, stays short. (20 Newsgroups, 23 MB: 1.5 MB chunks; the merge
/// took 31, 27, 21.5 and 17.5 ms with chunks of 0.25, 0.5, 1 and 2 MB, counting ~70 ms in each
/// case.) The size depends on the corpus only, so the chunks never depend on the thread count
/// (nor does the result depend on the chunks).
const CHUNKS: usize = 16;
/// Bytes of text per distinct raw token a chunk's tables are first sized for, a little below
/// what English text has (20 Newsgroups: a chunk of 1.46 MB holds 31,600 distinct tokens, one
/// per 47 bytes), so that they seldom grow.
const DISTINCT_BYTES: usize = 40;
/// Bytes of text per (document, token) entry a chunk's table is first sized for (20 Newsgroups:
/// one per 12 bytes, stop words included).
const ENTRY_BYTES: usize = 12;
/// The smallest chunk, so per-chunk tables are reused across many documents.
const MIN_CHUNK_BYTES: usize = 512 * 1024;
/// The largest chunk, so two threads' tables stay small next to the corpus.
const MAX_CHUNK_BYTES: usize = 4 << 20;

/// Interns features (sequences of word ids) to dense `u32` ids.
///
/// With words only (`ngram_range` (1, 1)) every feature is one word, interned in the order the
/// words were first met, so its id is its word id: the table then keeps only that identity
/// (`words[f] = f`) and no offsets or unigram index (12 bytes less per feature and chunk; 20
/// Newsgroups has about 400,000 chunk-local features).
#[derive(Default)]
pub(super) struct FeatureTable {
    /// Words only: feature `f` is word `f`.
    identity: bool,
    /// Unigram features, indexed by word id.
    uni: Vec<u32>,
    /// Bigram features keyed by `first << 32 | second`.
    bi: FxHashMap<u64, u32>,
    /// Longer n-grams.
    multi: FxHashMap<Box<[u32]>, u32>,
    /// Word ids of all features, concatenated.
    words: Vec<u32>,
    /// `words[offs[f]..offs[f + 1]]` are feature `f`'s words (not kept when `identity`).
    offs: Vec<usize>,
}

impl FeatureTable {
    /// A table for features of `min_n..=max_n` words.
    fn new((min_n, max_n): (usize, usize)) -> Self {
        FeatureTable {
            identity: (min_n, max_n) == (1, 1),
            offs: vec![0],
            ..Default::default()
        }
    }

    /// Number of features.
    pub(super) fn len(&self) -> usize {
        if self.identity {
            self.words.len()
        } else {
            self.offs.len() - 1
        }
    }

    /// The word ids of feature `f`.
    pub(super) fn key(&self, f: u32) -> &[u32] {
        if self.identity {
            std::slice::from_ref(&self.words[f as usize])
        } else {
            &self.words[self.offs[f as usize]..self.offs[f as usize + 1]]
        }
    }

    /// The unigram feature of word `w` (which must have been interned as one).
    fn unigram(&self, w: u32) -> u32 {
        if self.identity {
            w
        } else {
            self.uni[w as usize]
        }
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
        if self.identity {
            let w = key[0];
            if w as usize == self.words.len() {
                self.words.push(w);
            }
            assert!(
                key.len() == 1 && (w as usize) < self.words.len(),
                "words are interned as features in the order they are first met"
            );
            return w;
        }
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

/// Where a chunk's word lives: `(source, start, len)`, source being a document of the chunk or
/// [`NONE`] for the stem arena.
type WordRef = (u32, u32, u32);

/// Counts of one chunk-local feature.
#[derive(Clone, Copy)]
struct FeatureStat {
    /// Documents of the chunk holding it.
    df: u32,
    /// Last document it was seen in ([`NONE`] before any).
    last_doc: u32,
    /// Position of its entry in that document's row.
    slot: u32,
    /// Total count in the chunk. A chunk is under its target size plus its last document, so
    /// this passes `u32` only for a document of over four billion tokens, whose `u32` word
    /// offsets would fail first.
    tf: u32,
}

/// The counts of one chunk of documents.
pub(super) struct ChunkCounts<'a> {
    /// The chunk's documents that needed no lowercasing (the others are emptied once counted).
    texts: Vec<Cow<'a, str>>,
    /// The words that are not slices of `texts`, concatenated: stems (stemming mode), and the
    /// words of documents that had to be lowercased.
    stems: String,
    /// Chunk-local word id → word (after stop words and stemming).
    words: Vec<WordRef>,
    /// Chunk-local features.
    features: FeatureTable,
    /// Per local feature: document frequency and total count in the chunk (and scratch used
    /// while counting), kept together so counting one occurrence touches one cache line.
    stats: Vec<FeatureStat>,
    /// Document `d`'s `(feature, count)` pairs are `entries[indptr[d]..indptr[d + 1]]`.
    indptr: Vec<usize>,
    entries: Vec<(u32, u32)>,
    /// Hashing mode: column and sign of each local feature.
    pub(super) hashed: Option<Vec<(u32, f64)>>,
}

impl ChunkCounts<'_> {
    /// Chunk-local word `w`.
    fn word(&self, w: u32) -> &str {
        let (src, start, len) = self.words[w as usize];
        let (start, end) = (start as usize, start as usize + len as usize);
        if src == NONE {
            &self.stems[start..end]
        } else {
            &self.texts[src as usize][start..end]
        }
    }

    /// Number of documents in the chunk.
    pub(super) fn docs(&self) -> usize {
        self.indptr.len() - 1
    }

    /// The `(local feature, count)` pairs of document `d`, in first-occurrence order.
    pub(super) fn doc(&self, d: usize) -> &[(u32, u32)] {
        &self.entries[self.indptr[d]..self.indptr[d + 1]]
    }

    /// Number of chunk-local features.
    pub(super) fn features(&self) -> usize {
        self.features.len()
    }

    /// Feature `f`'s name: its words joined by single spaces.
    fn name(&self, f: u32) -> String {
        join_words(self.features.key(f).iter().map(|&w| self.word(w)))
    }

    /// Feature `f`'s name, borrowed when it is one word, else written into `buf`.
    pub(super) fn name_in<'s>(&'s self, f: u32, buf: &'s mut String) -> &'s str {
        let key = self.features.key(f);
        if let [w] = key {
            return self.word(*w);
        }
        buf.clear();
        for (i, &w) in key.iter().enumerate() {
            if i > 0 {
                buf.push(' ');
            }
            buf.push_str(self.word(w));
        }
        buf
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

/// The chunk size for `docs` (see [`CHUNKS`]).
pub(super) fn chunk_bytes(docs: &[&str]) -> usize {
    let total: usize = docs.iter().map(|d| d.len() + 1).sum();
    (total / CHUNKS).clamp(MIN_CHUNK_BYTES, MAX_CHUNK_BYTES)
}

/// Splits `docs` into chunks of about `chunk_bytes` of text and counts each in parallel; chunk
/// order is document order.
pub(super) fn count_chunks<'a>(
    docs: &[&'a str],
    analyzer: &Analyzer,
    hashing: Option<usize>,
    chunk_bytes: usize,
) -> Vec<ChunkCounts<'a>> {
    let mut bounds = vec![0];
    let mut bytes = 0;
    for (i, d) in docs.iter().enumerate() {
        bytes += d.len() + 1;
        if bytes >= chunk_bytes {
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

/// A raw token as a hash key: hashed as a `str` is, compared without a `memcmp` call for
/// tokens of up to 16 bytes (two overlapping word loads a side), which most are. (Each lookup
/// of a seen token compares it once; those `memcmp` calls were 4 % of the vectorizer's
/// instructions on 5,000 documents of 20 Newsgroups, by callgrind.)
#[derive(Clone, Copy)]
struct Token<'a>(&'a str);

impl Hash for Token<'_> {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.hash(h);
    }
}

impl PartialEq for Token<'_> {
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        let n = a.len();
        if n != b.len() {
            return false;
        }
        let word =
            |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
        let half =
            |s: &[u8], i: usize| u32::from_le_bytes(s[i..i + 4].try_into().expect("4 bytes"));
        match n {
            8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
            4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
            0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
            _ => a == b,
        }
    }
}

impl Eq for Token<'_> {}

fn count_chunk<'a>(docs: &[&'a str], an: &Analyzer, hashing: Option<usize>) -> ChunkCounts<'a> {
    let mut texts: Vec<Cow<'a, str>> = docs.iter().map(|d| an.lowered(d)).collect();
    // Sized for the chunk up front (about one distinct word per DISTINCT_BYTES of text, one
    // entry per ENTRY_BYTES), so the tables rarely grow and rehash or copy themselves.
    let bytes: usize = docs.iter().map(|d| d.len()).sum();
    let mut stems = String::new();
    let mut words: Vec<WordRef> = Vec::with_capacity(bytes / DISTINCT_BYTES);
    let mut features = FeatureTable::new(an.ngram_range());
    let mut stats: Vec<FeatureStat> = Vec::with_capacity(bytes / DISTINCT_BYTES);
    // Per local feature: last document it was seen in, and its entry's position there.
    let mut indptr = Vec::with_capacity(docs.len() + 1);
    indptr.push(0);
    let mut entries: Vec<(u32, u32)> = Vec::with_capacity(bytes / ENTRY_BYTES);
    let mut seq: Vec<u32> = Vec::new();
    let (min_n, max_n) = an.ngram_range();
    {
        // Raw token (borrowed from `texts`) → word id, or NONE for a stop word.
        let mut raw: FxHashMap<Token<'_>, u32> =
            FxHashMap::with_capacity_and_hasher(bytes / DISTINCT_BYTES, Default::default());
        // Stem → word id (stemming mode only).
        let mut stemmed: FxHashMap<Box<str>, u32> = FxHashMap::default();
        for (d, text) in texts.iter().enumerate() {
            seq.clear();
            let base = text.as_ptr() as usize;
            an.for_each_raw_token(text, |tok| {
                let id = match raw.get(&Token(tok)) {
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
                                    words.push((NONE, stems.len() as u32, s.len() as u32));
                                    stems.push_str(&s);
                                    stemmed.insert(s.as_ref().into(), id);
                                    id
                                }
                            }
                        } else {
                            // Tokens are slices of `text`, except a regex's empty "" group.
                            let start = if tok.is_empty() {
                                0
                            } else {
                                tok.as_ptr() as usize - base
                            };
                            words.push((d as u32, start as u32, tok.len() as u32));
                            (words.len() - 1) as u32
                        };
                        raw.insert(Token(tok), id);
                        id
                    }
                };
                if id != NONE {
                    seq.push(id);
                }
            });
            let row_start = entries.len();
            for n in min_n..=max_n.min(seq.len()) {
                for key in seq.windows(n) {
                    let f = features.intern(key) as usize;
                    if f == stats.len() {
                        stats.push(FeatureStat {
                            df: 0,
                            last_doc: NONE,
                            slot: 0,
                            tf: 0,
                        });
                    }
                    let st = &mut stats[f];
                    st.tf += 1;
                    if st.last_doc == d as u32 {
                        // `slot` is relative to the document's first entry.
                        entries[row_start + st.slot as usize].1 += 1;
                    } else {
                        st.last_doc = d as u32;
                        st.slot = (entries.len() - row_start) as u32;
                        entries.push((f as u32, 1));
                        st.df += 1;
                    }
                }
            }
            indptr.push(entries.len());
        }
    }
    // The words of documents that had to be lowercased move into the arena, and those copies
    // go: a chunk keeps only its distinct words, not a lowercased copy of its text, until the
    // merge, and the next chunk reuses the copies' memory (20 Newsgroups: peak RSS 250 → 230 MB
    // and 6,000 fewer first-touch page faults).
    for w in &mut words {
        let (d, start, len) = *w;
        if d != NONE
            && let Cow::Owned(text) = &texts[d as usize]
        {
            let (a, b) = (start as usize, start as usize + len as usize);
            *w = (NONE, stems.len() as u32, len);
            stems.push_str(&text[a..b]);
        }
    }
    for t in &mut texts {
        if let Cow::Owned(_) = t {
            *t = Cow::Borrowed("");
        }
    }
    // The tables were sized for the text up front and live until the merge, beside every other
    // chunk's: what they did not use goes back (on a corpus of hundreds of chunks it adds up).
    fn trim<T>(v: &mut Vec<T>) {
        if v.capacity() > v.len() + v.len() / 8 {
            v.shrink_to_fit();
        }
    }
    trim(&mut words);
    trim(&mut stats);
    trim(&mut entries);
    let mut chunk = ChunkCounts {
        texts,
        stems,
        words,
        features,
        stats,
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

/// A global key of a longer n-gram (three or more words).
type LongKey = Box<[u32]>;

/// Packs a unigram or bigram of global word ids in a `u64` (a unigram's second slot is [`NONE`]).
fn short_key(words: &[u32]) -> u64 {
    match *words {
        [a] => (u64::from(a) << 32) | u64::from(NONE),
        [a, b, ..] => (u64::from(a) << 32) | u64::from(b),
        [] => u64::MAX,
    }
}

/// Number of shards in the parallel merge; fixed so ids do not depend on the thread count.
const SHARDS: usize = 64;

/// The shard of a key. The Fx hash is remixed (MurmurHash3's 64-bit finaliser) first: raw Fx
/// hashes of packed unigram keys vary in few bits, and the shard must not reuse the bits the
/// shard's own hash table indexes by.
fn shard_of<K: Hash>(k: &K) -> usize {
    let mut h = rustc_hash::FxBuildHasher.hash_one(k);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    (h >> 58) as usize % SHARDS
}

/// Result of [`sharded_merge`]: global keys in id order, summed df and tf, and per chunk the
/// local → global id map.
struct MergeOut<K> {
    keys: Vec<K>,
    df: Vec<u32>,
    tf: Vec<u64>,
    remap: Vec<Vec<u32>>,
}

/// Interns the keys of all chunks into global ids, summing df and tf of equal keys.
///
/// `key(c, i, push)` pushes chunk `c`'s local item `i`'s key; `weight(c, i)` gives its (df, tf).
/// Keys are bucketed by shard per chunk (in parallel), then shards are interned in parallel,
/// each visiting the chunks in order, so the result is the same for any thread count.
fn sharded_merge<K, G, W>(sizes: &[usize], key: G, weight: W) -> MergeOut<K>
where
    K: Hash + Eq + Clone + Send + Sync,
    G: Fn(usize, u32) -> K + Sync,
    W: Fn(usize, u32) -> (u32, u64) + Sync,
{
    let buckets: Vec<Vec<Vec<(u32, K)>>> = (0..sizes.len())
        .into_par_iter()
        .map(|c| {
            let cap = sizes[c] / SHARDS * 5 / 4 + 4;
            let mut b: Vec<Vec<(u32, K)>> = (0..SHARDS).map(|_| Vec::with_capacity(cap)).collect();
            for i in 0..sizes[c] as u32 {
                let k = key(c, i);
                b[shard_of(&k)].push((i, k));
            }
            b
        })
        .collect();
    let mut per_shard: Vec<Vec<Vec<(u32, K)>>> = (0..SHARDS)
        .map(|_| Vec::with_capacity(sizes.len()))
        .collect();
    for chunk_buckets in buckets {
        for (s, list) in chunk_buckets.into_iter().enumerate() {
            per_shard[s].push(list);
        }
    }
    // Per shard: its keys, sums, and per chunk the (local id, shard id) pairs.
    type Shard<K> = (Vec<K>, Vec<u32>, Vec<u64>, Vec<Vec<(u32, u32)>>);
    let shards: Vec<Shard<K>> = per_shard
        .into_par_iter()
        .map(|lists| {
            let mut map: FxHashMap<K, u32> = FxHashMap::default();
            let (mut keys, mut df, mut tf) = (Vec::new(), Vec::new(), Vec::new());
            let mut assign = Vec::with_capacity(lists.len());
            for (c, list) in lists.into_iter().enumerate() {
                let mut a = Vec::with_capacity(list.len());
                for (i, k) in list {
                    let next = keys.len() as u32;
                    let id = match map.entry(k) {
                        Entry::Occupied(e) => *e.get(),
                        Entry::Vacant(e) => {
                            keys.push(e.key().clone());
                            e.insert(next);
                            df.push(0);
                            tf.push(0);
                            next
                        }
                    };
                    let (d, t) = weight(c, i);
                    df[id as usize] += d;
                    tf[id as usize] += t;
                    a.push((i, id));
                }
                assign.push(a);
            }
            (keys, df, tf, assign)
        })
        .collect();
    let mut offsets = Vec::with_capacity(SHARDS);
    let mut total = 0u32;
    for s in &shards {
        offsets.push(total);
        total += s.0.len() as u32;
    }
    let remap: Vec<Vec<u32>> = (0..sizes.len())
        .into_par_iter()
        .map(|c| {
            let mut r = vec![NONE; sizes[c]];
            for (s, shard) in shards.iter().enumerate() {
                for &(i, id) in &shard.3[c] {
                    r[i as usize] = offsets[s] + id;
                }
            }
            r
        })
        .collect();
    let mut out = MergeOut {
        keys: Vec::with_capacity(total as usize),
        df: Vec::with_capacity(total as usize),
        tf: Vec::with_capacity(total as usize),
        remap,
    };
    for (keys, df, tf, _) in shards {
        out.keys.extend(keys);
        out.df.extend(df);
        out.tf.extend(tf);
    }
    out
}

/// Global feature keys: packed `u64`s when no n-gram is longer than two words, slices otherwise.
enum Keys {
    Short(Vec<u64>),
    Long(Vec<LongKey>),
}

/// The corpus-wide feature table.
pub(super) struct Merged<'c> {
    /// Global word id → word.
    words: Vec<&'c str>,
    /// Global features.
    keys: Keys,
    /// Per global feature: document frequency.
    pub(super) df: Vec<u32>,
    /// Per global feature: total count.
    pub(super) tf: Vec<u64>,
    /// Per chunk: local feature id → global feature id.
    pub(super) remap: Vec<Vec<u32>>,
}

impl Merged<'_> {
    /// Global feature `g`'s name: its words joined by single spaces.
    pub(super) fn name(&self, g: u32) -> String {
        match &self.keys {
            Keys::Short(k) => {
                let k = k[g as usize];
                let (a, b) = ((k >> 32) as u32, k as u32);
                let first = self.words[a as usize];
                if b == NONE {
                    first.to_owned()
                } else {
                    let second = self.words[b as usize];
                    let mut s = String::with_capacity(first.len() + 1 + second.len());
                    s.push_str(first);
                    s.push(' ');
                    s.push_str(second);
                    s
                }
            }
            Keys::Long(k) => join_words(k[g as usize].iter().map(|&w| self.words[w as usize])),
        }
    }
}

/// Merges the chunks' words, then their features (as global word-id keys), summing document and
/// total counts. With words only (`ngram_range` (1, 1)) a feature is its word: the words are
/// merged with their features' counts and the second merge is skipped (the same vocabulary and
/// counts; the merge took half as long on 20 Newsgroups).
pub(super) fn merge<'c>(chunks: &'c [ChunkCounts<'_>], ngram_range: (usize, usize)) -> Merged<'c> {
    let word_sizes: Vec<usize> = chunks.iter().map(|c| c.words.len()).collect();
    if ngram_range == (1, 1) {
        // Every word of a chunk formed its own unigram feature (stop words are not words).
        let words = sharded_merge(
            &word_sizes,
            |c, w| chunks[c].word(w),
            |c, w| {
                let st = &chunks[c].stats[chunks[c].features.unigram(w) as usize];
                (st.df, u64::from(st.tf))
            },
        );
        let remap = chunks
            .par_iter()
            .zip(&words.remap)
            .map(|(chunk, wmap)| {
                (0..chunk.features.len() as u32)
                    .map(|f| wmap[chunk.features.key(f)[0] as usize])
                    .collect()
            })
            .collect();
        let keys = (0..words.keys.len() as u32)
            .map(|g| short_key(&[g]))
            .collect();
        return Merged {
            words: words.keys,
            keys: Keys::Short(keys),
            df: words.df,
            tf: words.tf,
            remap,
        };
    }
    let max_n = ngram_range.1;
    let words = sharded_merge(&word_sizes, |c, w| chunks[c].word(w), |_, _| (0, 0));
    let wmap = &words.remap;
    let sizes: Vec<usize> = chunks.iter().map(|c| c.features.len()).collect();
    let weight = |c: usize, f: u32| {
        let st = &chunks[c].stats[f as usize];
        (st.df, u64::from(st.tf))
    };
    let global = |c: usize, f: u32, buf: &mut [u32; 2]| {
        let key = chunks[c].features.key(f);
        for (slot, &w) in buf.iter_mut().zip(key) {
            *slot = wmap[c][w as usize];
        }
        key.len().min(2)
    };
    let (keys, df, tf, remap) = if max_n <= 2 {
        let m = sharded_merge(
            &sizes,
            |c, f| {
                let mut buf = [0u32; 2];
                let n = global(c, f, &mut buf);
                short_key(&buf[..n])
            },
            weight,
        );
        (Keys::Short(m.keys), m.df, m.tf, m.remap)
    } else {
        let m = sharded_merge(
            &sizes,
            |c, f| -> LongKey {
                chunks[c]
                    .features
                    .key(f)
                    .iter()
                    .map(|&w| wmap[c][w as usize])
                    .collect()
            },
            weight,
        );
        (Keys::Long(m.keys), m.df, m.tf, m.remap)
    };
    Merged {
        words: words.keys,
        keys,
        df,
        tf,
        remap,
    }
}

#[cfg(test)]
mod tests {
    use super::Token;

    #[test]
    fn tokens_are_equal_exactly_when_their_bytes_are() {
        // Every length around the word sizes, and a difference at every position (the
        // overlapping loads must cover each byte once at least).
        for n in 0..=24usize {
            let a: String = (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            assert!(Token(&a) == Token(&a.clone()), "length {n}");
            for p in 0..n {
                let mut b = a.clone().into_bytes();
                b[p] = b'Z';
                let b = String::from_utf8(b).unwrap();
                assert!(Token(&a) != Token(&b), "length {n}, byte {p}");
            }
            let longer = format!("{a}x");
            assert!(Token(&a) != Token(&longer), "length {n} against {}", n + 1);
        }
    }
}
