//! Text to terms: lowercasing, the token pattern, stop words, stemming and word n-grams, exactly in
//! the order scikit-learn's `TfidfVectorizer` analyzer applies them.
//!
//! One document's text goes in; its terms come out (unigrams first, then bigrams, and so on, as
//! `_word_ngrams` lists them). The default token pattern `(?u)\b\w\w+\b` is matched by a
//! hand-written scanner rather than the `regex` crate, for speed and because Python's `\w` in
//! str patterns is `str.isalnum()` or `_` (Unicode general categories `L*` and `N*`, plus `_`),
//! which is narrower than the `regex` crate's `\w` (that one also counts marks and all connector
//! punctuation). Any other pattern goes to the `regex` crate, with scikit-learn's rule that a
//! pattern with one capture group yields the group.

use std::borrow::Cow;

use regex::Regex;
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashSet;
use unicode_general_category::{GeneralCategory, get_general_category};

use super::stop_words;
use super::{StopWords, TfidfParams};
use crate::{Error, Result};

/// scikit-learn's default `token_pattern`.
pub const DEFAULT_TOKEN_PATTERN: &str = r"(?u)\b\w\w+\b";

/// `ASCII_WORD[b]` is true when the ASCII byte `b` is a Python `\w` character.
static ASCII_WORD: [bool; 128] = {
    let mut t = [false; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    t
};

/// Whether `c` is a word character for Python's `re` in str mode: `c.isalnum() or c == '_'`.
///
/// CPython's `isalnum` is `isalpha` (categories Lu, Ll, Lt, Lm, Lo) or `isdecimal`/`isdigit`/
/// `isnumeric`; over all of Unicode the latter three select exactly Nd, Nl and No (checked
/// exhaustively against Python 3.11 when this was written), so the test is "L* or N* or `_`".
#[inline]
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return ASCII_WORD[c as usize];
    }
    use GeneralCategory::*;
    matches!(
        get_general_category(c),
        UppercaseLetter
            | LowercaseLetter
            | TitlecaseLetter
            | ModifierLetter
            | OtherLetter
            | DecimalNumber
            | LetterNumber
            | OtherNumber
    )
}

/// Calls `f` with every maximal run of two or more word characters in `text`: the matches of
/// `(?u)\b\w\w+\b`, in order.
///
/// Where the CPU has AVX2, stretches of 32 ASCII bytes are classified at once and their runs
/// found from the bit mask ([`scan_words_avx2`]); other text goes character by character. Both
/// give the same tokens (`simd_scanner_gives_the_tokens_of_the_scalar_one`).
#[inline]
pub fn scan_words<'t>(text: &'t str, f: impl FnMut(&'t str)) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { scan_words_avx2(text, f) };
    }
    scan_words_scalar(text, f)
}

/// A run of word characters being scanned: where it starts (a byte offset) and how many
/// characters it has so far (0 = not in a run).
#[derive(Clone, Copy)]
struct Run {
    start: usize,
    chars: usize,
}

impl Run {
    /// Steps over the character at byte `i` of `text` (a char boundary), ending the current run
    /// there if it is not a word character; returns the character's length in bytes.
    #[inline(always)]
    fn step<'t>(&mut self, text: &'t str, i: usize, f: &mut impl FnMut(&'t str)) -> usize {
        let b = text.as_bytes()[i];
        let (word, len) = if b < 0x80 {
            (ASCII_WORD[b as usize], 1)
        } else {
            // `i` is always on a char boundary: we only ever step by whole characters.
            match text[i..].chars().next() {
                Some(c) => (is_word_char(c), c.len_utf8()),
                None => unreachable!("i < text.len()"),
            }
        };
        if word {
            if self.chars == 0 {
                self.start = i;
            }
            self.chars += 1;
        } else {
            if self.chars >= 2 {
                f(&text[self.start..i]);
            }
            self.chars = 0;
        }
        len
    }

    /// Ends the text: the run in progress, if long enough, is the last token.
    #[inline(always)]
    fn finish<'t>(self, text: &'t str, f: &mut impl FnMut(&'t str)) {
        if self.chars >= 2 {
            f(&text[self.start..]);
        }
    }
}

/// [`scan_words`] one character at a time.
#[inline]
fn scan_words_scalar<'t>(text: &'t str, mut f: impl FnMut(&'t str)) {
    let mut run = Run { start: 0, chars: 0 };
    let mut i = 0;
    while i < text.len() {
        i += run.step(text, i, &mut f);
    }
    run.finish(text, &mut f);
}

/// [`scan_words`] 32 bytes at a time where they are all ASCII: one comparison per class gives
/// the word bytes as a bit mask, whose runs of ones are the words (a run still open at the end
/// of a block carries over to the next). A block holding a non-ASCII byte is stepped through
/// character by character, as the scalar scanner does, with the same run state.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn scan_words_avx2<'t>(text: &'t str, mut f: impl FnMut(&'t str)) {
    use std::arch::x86_64::*;
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut run = Run { start: 0, chars: 0 };
    let mut i = 0;
    while i + 32 <= n {
        // SAFETY: bytes i..i + 32 lie inside `text`.
        let v = unsafe { _mm256_loadu_si256(bytes.as_ptr().add(i).cast()) };
        if _mm256_movemask_epi8(v) != 0 {
            // A non-ASCII byte: step through the block (possibly a few bytes past it, to the end
            // of its last character) one character at a time.
            let end = i + 32;
            while i < end {
                i += run.step(text, i, &mut f);
            }
            continue;
        }
        // ASCII only (so signed comparisons order bytes as unsigned ones): digits, letters of
        // either case (`| 0x20` folds upper onto lower case), and `_`.
        let digit = _mm256_and_si256(
            _mm256_cmpgt_epi8(v, _mm256_set1_epi8(b'0' as i8 - 1)),
            _mm256_cmpgt_epi8(_mm256_set1_epi8(b'9' as i8 + 1), v),
        );
        let folded = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
        let letter = _mm256_and_si256(
            _mm256_cmpgt_epi8(folded, _mm256_set1_epi8(b'a' as i8 - 1)),
            _mm256_cmpgt_epi8(_mm256_set1_epi8(b'z' as i8 + 1), folded),
        );
        let under = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'_' as i8));
        let word = _mm256_or_si256(_mm256_or_si256(digit, letter), under);
        let m = _mm256_movemask_epi8(word) as u32;
        let mut pos = 0;
        if run.chars > 0 {
            // The run open from before goes on to the first non-word byte.
            let gap = !m;
            if gap == 0 {
                run.chars += 32;
                i += 32;
                continue;
            }
            pos = gap.trailing_zeros();
            run.chars += pos as usize;
            if run.chars >= 2 {
                f(&text[run.start..i + pos as usize]);
            }
            run.chars = 0;
        }
        while pos < 32 {
            let words = m >> pos;
            if words == 0 {
                break;
            }
            let s = pos + words.trailing_zeros();
            let gaps = !m >> s;
            if gaps == 0 {
                // Runs to the end of the block: carried over.
                run = Run {
                    start: i + s as usize,
                    chars: (32 - s) as usize,
                };
                break;
            }
            let e = s + gaps.trailing_zeros();
            if e - s >= 2 {
                f(&text[i + s as usize..i + e as usize]);
            }
            pos = e;
        }
        i += 32;
    }
    while i < n {
        i += run.step(text, i, &mut f);
    }
    run.finish(text, &mut f);
}

/// How tokens are cut out of (lowercased) text.
#[derive(Debug, Clone)]
enum Tokenizer {
    /// The default pattern, by [`scan_words`].
    Words,
    /// Any other pattern; `group` when it has one capture group, whose text is the token.
    Regex { re: Regex, group: bool },
}

/// Whether `token` is in scikit-learn's English list: one hash of at most 16 bytes, one table
/// read and at most one comparison ([`StopTable`]). This runs for every token (vectorizing, naming
/// themes and scoring coherence): on 20 Newsgroups (3.6 million tokens, one thread) tokenising
/// and checking stop words took 95 ms with the hash set this replaces, 77 ms with the table;
/// the check is the largest single cost of the coherence stage.
#[inline]
fn english_stop_word(token: &str) -> bool {
    static TABLE: std::sync::OnceLock<StopTable> = std::sync::OnceLock::new();
    TABLE
        .get_or_init(|| StopTable::new(stop_words::ENGLISH))
        .contains(token)
}

/// A perfect hash table of a fixed list of short words: the hash's seed is the first one under
/// which no two words share a slot, so a word's slot holds either it or nothing, and one
/// comparison of two integers and a length tells which.
struct StopTable {
    /// The words' [`Key`]s.
    keys: Vec<Key>,
    /// Per slot, 1 + the index in `keys` of the word hashed there, or 0.
    slots: Vec<u16>,
    seed: u64,
}

/// A word of at most 16 bytes read as integers that determine it: its first and last 8 bytes
/// (overlapping, or fewer of them for a shorter word) and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    lo: u64,
    hi: u64,
    len: usize,
}

impl Key {
    /// `w`'s key; `w` has at most [`StopTable::MAX_LEN`] bytes. Reads whole integers, never a
    /// copy into a buffer (which stalled on store forwarding).
    #[inline]
    fn of(w: &[u8]) -> Key {
        let len = w.len();
        let u32_at = |i: usize| u64::from(u32::from_le_bytes([w[i], w[i + 1], w[i + 2], w[i + 3]]));
        let u64_at =
            |i: usize| u64::from_le_bytes(w[i..i + 8].try_into().expect("a slice of 8 bytes"));
        let (lo, hi) = match len {
            0 => (0, 0),
            1..=3 => (
                u64::from(w[0]) | u64::from(w[len / 2]) << 8 | u64::from(w[len - 1]) << 16,
                0,
            ),
            4..=8 => (u32_at(0) | u32_at(len - 4) << 32, 0),
            _ => (u64_at(0), u64_at(len - 8)),
        };
        Key { lo, hi, len }
    }
}

impl StopTable {
    /// Slots: 2^13, 26 times the 318 English words; a seed that separates them all is found in a
    /// few hundred tries (about a millisecond, once per process).
    const BITS: u32 = 13;
    /// Longest word a table holds.
    const MAX_LEN: usize = 16;

    fn new(words: &[&str]) -> Self {
        assert!(
            words.len() < usize::from(u16::MAX) && words.iter().all(|w| w.len() <= Self::MAX_LEN),
            "a stop table holds fewer than 65,535 words of at most 16 bytes"
        );
        let keys: Vec<Key> = words.iter().map(|w| Key::of(w.as_bytes())).collect();
        let mut slots = vec![0u16; 1 << Self::BITS];
        for seed in 0u64.. {
            slots.iter_mut().for_each(|s| *s = 0);
            let mut separated = true;
            for (i, k) in keys.iter().enumerate() {
                let s = &mut slots[Self::slot(k, seed)];
                if *s != 0 {
                    separated = false;
                    break;
                }
                *s = i as u16 + 1;
            }
            if separated {
                return StopTable { keys, slots, seed };
            }
        }
        unreachable!("some seed separates the words")
    }

    #[inline]
    fn slot(k: &Key, seed: u64) -> usize {
        let h = (k.lo ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (k.hi ^ k.len as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        (h.wrapping_mul(0x1656_67B1_9E37_79F9) >> (64 - Self::BITS)) as usize
    }

    #[inline]
    fn contains(&self, token: &str) -> bool {
        if token.len() > Self::MAX_LEN {
            return false;
        }
        let k = Key::of(token.as_bytes());
        match self.slots[Self::slot(&k, self.seed)] {
            0 => false,
            i => self.keys[usize::from(i) - 1] == k,
        }
    }
}

/// The stop-word set in use.
#[derive(Debug, Clone)]
enum StopSet {
    None,
    English,
    Custom(FxHashSet<String>),
}

/// A prepared analyzer: the compiled token pattern, the stop-word set and the stemmer, built once
/// from [`TfidfParams`] and then applied to any number of documents (it is `Sync`).
#[derive(Clone)]
pub struct Analyzer {
    tokenizer: Tokenizer,
    lowercase: bool,
    stop: StopSet,
    stemmer: Option<std::sync::Arc<Stemmer>>,
    ngram_range: (usize, usize),
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("tokenizer", &self.tokenizer)
            .field("lowercase", &self.lowercase)
            .field("stop", &self.stop)
            .field("stem", &self.stemmer.is_some())
            .field("ngram_range", &self.ngram_range)
            .finish()
    }
}

/// Compiles a non-default token pattern, checking scikit-learn's rule of at most one capture group.
pub(crate) fn compile_pattern(pattern: &str) -> Result<Option<(Regex, bool)>> {
    if pattern == DEFAULT_TOKEN_PATTERN || pattern == r"\b\w\w+\b" {
        return Ok(None);
    }
    let re = Regex::new(pattern).map_err(|e| {
        Error::param(
            "token_pattern",
            format!("not a valid regular expression: {e}"),
        )
    })?;
    let groups = re.captures_len() - 1;
    if groups > 1 {
        return Err(Error::param(
            "token_pattern",
            format!("has {groups} capture groups; at most 1 is allowed (its text is the token)"),
        ));
    }
    Ok(Some((re, groups == 1)))
}

impl Analyzer {
    /// Builds the analyzer for `params`: compiles the token pattern and loads the stop words (a
    /// stop-word file is read here: one word per line, surrounding whitespace and blank lines
    /// ignored, words taken as written, not lowercased, as scikit-learn takes a list).
    pub fn new(params: &TfidfParams) -> Result<Self> {
        params.check()?;
        let tokenizer = match compile_pattern(&params.token_pattern)? {
            None => Tokenizer::Words,
            Some((re, group)) => Tokenizer::Regex { re, group },
        };
        let stop = match &params.stop_words {
            StopWords::None => StopSet::None,
            StopWords::English => StopSet::English,
            StopWords::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
                StopSet::Custom(
                    text.lines()
                        .map(str::trim)
                        .filter(|w| !w.is_empty())
                        .map(str::to_owned)
                        .collect(),
                )
            }
        };
        Ok(Analyzer {
            tokenizer,
            lowercase: params.lowercase,
            stop,
            stemmer: params
                .stem
                .then(|| std::sync::Arc::new(Stemmer::create(Algorithm::English))),
            ngram_range: params.ngram_range,
        })
    }

    /// The `(min_n, max_n)` n-gram range.
    pub fn ngram_range(&self) -> (usize, usize) {
        self.ngram_range
    }

    /// `text` lowercased as Python's `str.lower` would (borrowed when nothing changes).
    ///
    /// Full Unicode lowercasing can change characters' categories and count (`İ` becomes `i` + a
    /// combining dot, which is not `\w`), so it must happen on the whole text before
    /// tokenising, as in scikit-learn; for ASCII text the cheap ASCII mapping is the same thing.
    pub fn lowered<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if !self.lowercase {
            Cow::Borrowed(text)
        } else if text.is_ascii() {
            if text.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(text.to_ascii_lowercase())
            } else {
                Cow::Borrowed(text)
            }
        } else {
            Cow::Owned(text.to_lowercase())
        }
    }

    /// Calls `f` with each token of already-[lowered](Self::lowered) text, before stop words and
    /// stemming. Tokens are slices of `lowered` (or empty).
    #[inline]
    pub fn for_each_raw_token<'t>(&self, lowered: &'t str, mut f: impl FnMut(&'t str)) {
        match &self.tokenizer {
            Tokenizer::Words => scan_words(lowered, f),
            Tokenizer::Regex { re, group: true } => {
                // Python's findall gives "" for a group that did not take part in the match.
                for caps in re.captures_iter(lowered) {
                    f(caps.get(1).map_or("", |m| m.as_str()));
                }
            }
            Tokenizer::Regex { re, group: false } => {
                for m in re.find_iter(lowered) {
                    f(m.as_str());
                }
            }
        }
    }

    /// Calls `f` with each token of `text` after lowercasing and the token pattern, before stop
    /// words and stemming.
    pub fn for_each_token(&self, text: &str, f: impl FnMut(&str)) {
        let lowered = self.lowered(text);
        self.for_each_raw_token(&lowered, f);
    }

    /// Whether `token` is a stop word.
    #[inline]
    pub fn is_stop_word(&self, token: &str) -> bool {
        match &self.stop {
            StopSet::None => false,
            StopSet::English => english_stop_word(token),
            StopSet::Custom(set) => set.contains(token),
        }
    }

    /// `token` stemmed when stemming is on, else unchanged.
    #[inline]
    pub fn stem<'a>(&self, token: &'a str) -> Cow<'a, str> {
        match &self.stemmer {
            Some(s) => s.stem(token),
            None => Cow::Borrowed(token),
        }
    }

    /// Whether stemming is on.
    pub fn stems(&self) -> bool {
        self.stemmer.is_some()
    }

    /// The words of `text`: tokens with stop words removed, then stemmed.
    pub fn words(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_token(text, |t| {
            if !self.is_stop_word(t) {
                out.push(self.stem(t).into_owned());
            }
        });
        out
    }

    /// The terms of `text` in scikit-learn's order: all unigrams, then all bigrams, and so on up to
    /// `max_n` (only those within the n-gram range), n-grams joined with one space.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let words = self.words(text);
        let (min_n, max_n) = self.ngram_range;
        if min_n == 1 && max_n == 1 {
            return words;
        }
        let mut out = Vec::new();
        for n in min_n..=max_n.min(words.len()) {
            for w in words.windows(n) {
                out.push(w.join(" "));
            }
        }
        out
    }
}

/// The terms of one document under `params` (after lowercasing, the token pattern, stop words,
/// stemming and n-grams), in scikit-learn's order.
///
/// Builds an [`Analyzer`] on every call; to analyze many documents build one and call
/// [`Analyzer::terms`].
///
/// ```
/// use themata::vectorize::{tokenize, TfidfParams, StopWords};
/// let params = TfidfParams { stop_words: StopWords::English, ngram_range: (1, 2), ..Default::default() };
/// assert_eq!(tokenize("The Cat sat on the mat", &params).unwrap(),
///            ["cat", "sat", "mat", "cat sat", "sat mat"]);
/// ```
pub fn tokenize(text: &str, params: &TfidfParams) -> Result<Vec<String>> {
    Ok(Analyzer::new(params)?.terms(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stop_table_holds_exactly_the_english_list() {
        let set: FxHashSet<&str> = stop_words::ENGLISH.iter().copied().collect();
        let mut probes: Vec<String> = vec![String::new(), "x".repeat(17), "a".repeat(16)];
        for w in stop_words::ENGLISH {
            assert!(english_stop_word(w), "{w}");
            probes.extend([
                format!("{w}s"),
                format!("x{w}"),
                w[1..].to_string(),
                w.to_uppercase(),
            ]);
        }
        for w in include_str!("../../seeds/000_515a5261be1ee8fb.txt").split_whitespace() {
            probes.push(w.to_lowercase());
        }
        for p in &probes {
            assert_eq!(english_stop_word(p), set.contains(p.as_str()), "{p:?}");
        }
    }

    fn scan(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        scan_words(text, |t| v.push(t));
        v
    }

    fn toks(text: &str) -> Vec<String> {
        tokenize(text, &TfidfParams::default()).unwrap()
    }

    #[test]
    fn scanner_takes_runs_of_two_or_more_word_chars() {
        assert_eq!(
            scan("a bc d_e f1 -- x9y __ é"),
            ["bc", "d_e", "f1", "x9y", "__"]
        );
        assert_eq!(scan(""), Vec::<&str>::new());
        assert_eq!(scan("ab"), ["ab"]);
        assert_eq!(scan("it's e-mail"), ["it", "mail"]);
    }

    #[test]
    fn simd_scanner_gives_the_tokens_of_the_scalar_one() {
        use rand::{Rng, SeedableRng};
        // ASCII word and non-word bytes, two-, three- and four-byte word characters, a
        // combining mark (not a word character) and a non-word symbol, in texts long enough to
        // cross several 32-byte blocks, runs ending exactly at block edges included.
        // Eight ASCII word characters (the ends of each range among them), then ASCII that is
        // not, the bytes just outside those ranges included (@ [ ` { / :, DEL, a control byte).
        let alphabet = [
            "a", "Z", "_", "7", "0", "9", "z", "A", " ", ".", "-", "\n", "@", "[", "`", "{", "/",
            ":", "\u{7f}", "\u{1}", "é", "İ", "\u{301}", "日", "𝔘", "€",
        ];
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let mut texts: Vec<String> = (0..3000)
            .map(|_| {
                let len = rng.gen_range(0..160);
                let ascii_only = rng.gen_bool(0.5);
                (0..len)
                    .map(|_| {
                        let top = if ascii_only { 20 } else { alphabet.len() };
                        alphabet[rng.gen_range(0..top)]
                    })
                    .collect()
            })
            .collect();
        // Runs of every length that matters, at every offset in a block, ending in ASCII, in a
        // non-ASCII word character and in the end of the text.
        for pad in 0..40 {
            for len in [1, 2, 3, 31, 32, 33, 63, 64, 65, 97] {
                let (sp, w) = (" ".repeat(pad), "w".repeat(len));
                texts.push(format!("{sp}{w} x"));
                texts.push(format!("{sp}{w}é{w} x"));
                texts.push(format!("{sp}{w}\u{301}{w}"));
                texts.push(format!("{sp}{w}"));
            }
        }
        for t in &texts {
            let mut scalar = Vec::new();
            scan_words_scalar(t, |w| scalar.push(w));
            assert_eq!(scan(t), scalar, "{t:?}");
        }
    }

    #[test]
    fn scanner_uses_python_word_chars_not_regex_crate_ones() {
        // Combining acute (Mn) breaks a word in Python's `\w`, unlike the regex crate's `\w`.
        assert_eq!(scan("cafe\u{301}s"), ["cafe"]);
        // Letters of other scripts, letter numbers and other numbers are word characters.
        assert_eq!(
            scan("naïve Ελλάδα 東京 Ⅻⅻ ½¾ ٣٤"),
            ["naïve", "Ελλάδα", "東京", "Ⅻⅻ", "½¾", "٣٤"]
        );
        // Connector punctuation other than `_` (U+203F) is not, nor are symbols.
        assert_eq!(scan("ab\u{203f}cd x€y"), ["ab", "cd"]);
    }

    #[test]
    fn lowercasing_happens_before_tokenising() {
        // `İ` lowercases to `i` + U+0307 (a mark), which splits the word, as in Python.
        assert_eq!(toks("İstanbul"), ["stanbul"]);
        assert_eq!(toks("ΑΣ ΣΑΣ"), ["ας", "σας"]);
        assert_eq!(toks("Hello WORLD"), ["hello", "world"]);
        let keep = TfidfParams {
            lowercase: false,
            ..Default::default()
        };
        assert_eq!(tokenize("Hello WORLD", &keep).unwrap(), ["Hello", "WORLD"]);
    }

    #[test]
    fn stop_words_go_before_ngrams() {
        let p = TfidfParams {
            stop_words: StopWords::English,
            ngram_range: (2, 3),
            ..Default::default()
        };
        assert_eq!(
            tokenize("cats and dogs ate", &p).unwrap(),
            ["cats dogs", "dogs ate", "cats dogs ate"]
        );
    }

    #[test]
    fn stemming_follows_stop_words() {
        let p = TfidfParams {
            stem: true,
            stop_words: StopWords::English,
            ..Default::default()
        };
        assert_eq!(
            tokenize("running runners are running", &p).unwrap(),
            ["run", "runner", "run"]
        );
    }

    #[test]
    fn custom_pattern_with_group_yields_the_group() {
        let p = TfidfParams {
            token_pattern: r"#(\w+)".into(),
            ..Default::default()
        };
        assert_eq!(tokenize("a #Tag and #x", &p).unwrap(), ["tag", "x"]);
        let p = TfidfParams {
            token_pattern: r"\S+".into(),
            ..Default::default()
        };
        assert_eq!(tokenize("a b-c", &p).unwrap(), ["a", "b-c"]);
    }

    #[test]
    fn pattern_with_two_groups_is_rejected() {
        let p = TfidfParams {
            token_pattern: r"(a)(b)".into(),
            ..Default::default()
        };
        assert!(matches!(
            Analyzer::new(&p),
            Err(Error::Param {
                name: "token_pattern",
                ..
            })
        ));
    }
}
