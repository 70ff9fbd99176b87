//! Coherence stage: how well each theme's top terms hang together in the corpus, and how distinct
//! the themes' terms are.
//!
//! In: the units' texts, the vectorizer's parameters (its analyser makes the tokens: lowercased,
//! the token pattern, stop words removed, stemmed when the vectorizer stems) and each theme's top
//! terms. Out: per theme gensim's `c_npmi`, `c_v` and `u_mass` ([`Coherence`]), their means and
//! the topic diversity ([`Summary`]).
//!
//! The measures are gensim's `CoherenceModel`'s, step for step (`gensim/topic_coherence/`):
//! - `u_mass`: boolean documents (a unit is a document), `one_pre` segmentation (each term
//!   against every better-ranked one), log conditional probability;
//! - `c_npmi`: boolean sliding windows of 10 tokens, `one_one` segmentation (every ordered pair),
//!   normalised PMI;
//! - `c_v`: boolean sliding windows of 110 tokens, `one_set` segmentation (each term against the
//!   whole top list), NPMI context vectors compared by cosine.
//!
//! gensim's sliding windows are kept as they are, quirks included: a text shorter than the window
//! is one window, an empty text is a window with nothing in it, tokens that are no top term keep
//! their place in the windows, and when a token leaves a window by its left edge it is marked
//! absent even if another occurrence of it is still inside ([`count`] says more). Counting happens
//! only for the relevant terms (the union of the themes' top terms), in parallel over units, in
//! integers, so the scores are identical whatever the thread count.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::vectorize::{Analyzer, TfidfParams};

mod count;

pub use count::Counts;

/// Window of `c_npmi` (and gensim's `c_uci`), in tokens.
pub const NPMI_WINDOW: usize = 10;
/// Window of `c_v`, in tokens.
pub const CV_WINDOW: usize = 110;
/// gensim's `EPSILON`, added to joint probabilities before their logarithm.
const EPSILON: f64 = 1e-12;
/// Most top terms per theme that may be scored: the pairs counted grow with its square.
pub const MAX_TOP_N: usize = 50;

/// How the tokens are made, for run.json and `themata eval`.
pub const TOKENS: &str = "each unit's words as the vectorizer's analyser makes them (lowercased, \
    token pattern, stop words removed, stemmed when vectorize.stem is on; words outside the \
    vocabulary keep their place in the windows)";

/// One theme's coherence, as gensim's `CoherenceModel` scores its top terms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coherence {
    /// Mean normalised PMI over all ordered pairs of top terms (windows of 10 tokens); −1 to 1.
    pub c_npmi: f64,
    /// Mean cosine between each top term's NPMI context vector and the whole list's (windows of
    /// 110 tokens).
    pub c_v: f64,
    /// Mean log conditional probability of each term given each better-ranked term (whole
    /// units); 0 is best, more negative is worse.
    pub u_mass: f64,
}

/// The run's coherence: means over the scored themes, topic diversity and how they were scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Arithmetic means over the themes that could be scored (gensim's aggregation).
    pub mean: Coherence,
    /// Unique terms among all themes' top `top_n` terms, divided by how many terms that is
    /// (`top_n` × themes): 1 when no two themes share a term, 1/k when all k lists are the same.
    pub diversity: f64,
    /// Top terms scored per theme (fewer for a theme with fewer top terms).
    pub top_n: usize,
    /// Themes scored: those with at least two top terms that occur in the units.
    pub themes_scored: usize,
    /// A theme whose `c_npmi` is below this is marked "low coherence" (`themes.low_coherence`).
    pub low_coherence: f64,
    /// Window sizes, in tokens: `c_npmi`'s and `c_v`'s.
    pub windows: [usize; 2],
    /// The tokens the terms were counted in.
    pub tokens: String,
}

impl Summary {
    /// Whether a theme with these scores is below the low-coherence threshold.
    pub fn is_low(&self, c: &Coherence) -> bool {
        c.c_npmi < self.low_coherence
    }
}

/// What [`score`] returns: each theme's scores (`None` for a theme with fewer than two top terms
/// that occur in the units, which gensim cannot score) and the summary (`None` when no theme could
/// be scored).
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Per theme, in the order given.
    pub themes: Vec<Option<Coherence>>,
    /// Means, diversity and how they were scored.
    pub summary: Option<Summary>,
}

/// Parameters of the coherence stage (from `[themes]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoherenceParams {
    /// Top terms scored per theme, 1 to [`MAX_TOP_N`] (0 turns scoring off).
    pub top_n: usize,
    /// The `c_npmi` below which a theme is marked "low coherence".
    pub low_coherence: f64,
}

impl From<&crate::themes::ThemeParams> for CoherenceParams {
    fn from(p: &crate::themes::ThemeParams) -> Self {
        CoherenceParams {
            top_n: p.coherence_top_n,
            low_coherence: p.low_coherence,
        }
    }
}

impl CoherenceParams {
    /// Checks the ranges, naming the config key at fault.
    pub fn check(&self) -> Result<()> {
        if self.top_n > MAX_TOP_N {
            return Err(Error::param(
                "themes.coherence_top_n",
                format!(
                    "{} is above {MAX_TOP_N}; allowed are 0..={MAX_TOP_N}",
                    self.top_n
                ),
            ));
        }
        if !(-1.0..=1.0).contains(&self.low_coherence) {
            return Err(Error::param(
                "themes.low_coherence",
                format!(
                    "{} is not a c_npmi; allowed are -1 to 1",
                    self.low_coherence
                ),
            ));
        }
        Ok(())
    }
}

/// Texts as sequences of words, the way coherence reads them.
pub trait Texts: Sync {
    /// Number of texts.
    fn len(&self) -> usize;
    /// Whether there are no texts.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Calls `f` with each word of text `i`, in order.
    fn for_each_word(&self, i: usize, f: impl FnMut(&str));
}

/// Texts tokenised by a vectorizer's analyser: its words (before n-grams), stop words removed.
#[derive(Debug, Clone, Copy)]
pub struct Analysed<'a> {
    /// The analyser.
    pub analyzer: &'a Analyzer,
    /// The texts.
    pub texts: &'a [&'a str],
}

impl Texts for Analysed<'_> {
    fn len(&self) -> usize {
        self.texts.len()
    }

    #[inline]
    fn for_each_word(&self, i: usize, mut f: impl FnMut(&str)) {
        let an = self.analyzer;
        an.for_each_token(self.texts[i], |t| {
            if !an.is_stop_word(t) {
                f(&an.stem(t));
            }
        });
    }
}

/// Pre-tokenised texts.
impl<S: AsRef<str> + Sync> Texts for [Vec<S>] {
    fn len(&self) -> usize {
        <[Vec<S>]>::len(self)
    }

    fn for_each_word(&self, i: usize, mut f: impl FnMut(&str)) {
        for w in &self[i] {
            f(w.as_ref());
        }
    }
}

/// Scores each theme's top terms (`terms[t]`, best first) on the units' `texts` tokenised by the
/// vectorizer's analyser for `vectorize` (the entry point of the stage).
///
/// ```
/// use themata::coherence::{of_units, CoherenceParams};
/// use themata::vectorize::{StopWords, TfidfParams};
/// let texts = ["the cat sat with the dog", "a cat and a dog", "stocks and bonds fell", "bonds rose"];
/// let vectorize = TfidfParams { stop_words: StopWords::English, ..Default::default() };
/// let params = CoherenceParams { top_n: 10, low_coherence: 0.05 };
/// let s = of_units(&texts, &vectorize, &[vec!["cat", "dog"], vec!["bonds", "stocks"]], &params)?;
/// assert!(s.themes[0].unwrap().c_npmi > 0.0);
/// assert_eq!(s.summary.unwrap().diversity, 1.0);
/// # Ok::<(), themata::Error>(())
/// ```
pub fn of_units<S: AsRef<str>>(
    texts: &[&str],
    vectorize: &TfidfParams,
    terms: &[Vec<S>],
    params: &CoherenceParams,
) -> Result<Scored> {
    let analyzer = Analyzer::new(vectorize)?;
    score(
        &Analysed {
            analyzer: &analyzer,
            texts,
        },
        terms,
        params,
    )
}

/// [`of_units`] for the themes of the themes stage, with the `[themes]` settings.
pub fn of_themes(
    texts: &[&str],
    vectorize: &TfidfParams,
    themes: &[crate::themes::Theme],
    params: &crate::themes::ThemeParams,
) -> Result<Scored> {
    let terms: Vec<Vec<&str>> = themes
        .iter()
        .map(|t| t.terms.iter().map(|(term, _)| term.as_str()).collect())
        .collect();
    of_units(texts, vectorize, &terms, &params.into())
}

/// Scores each theme's top terms (`terms[t]`, best first; the first `params.top_n` are scored)
/// on `texts`: [`Coherence`] per theme, means and diversity.
///
/// A multi-word term (an n-gram of the vocabulary) occurs where its words follow one another, and
/// counts in the windows where it starts. A top term that occurs in no text is left out of its
/// theme, as gensim leaves out a word its dictionary lacks.
pub fn score<T: Texts + ?Sized, S: AsRef<str>>(
    texts: &T,
    terms: &[Vec<S>],
    params: &CoherenceParams,
) -> Result<Scored> {
    params.check()?;
    let k = terms.len();
    if params.top_n == 0 || terms.iter().all(|t| t.is_empty()) {
        return Ok(Scored {
            themes: vec![None; k],
            summary: None,
        });
    }
    let topics: Vec<Vec<&str>> = terms
        .iter()
        .map(|t| t.iter().take(params.top_n).map(|s| s.as_ref()).collect())
        .collect();
    let counter = count::Counter::new(&topics, [NPMI_WINDOW, CV_WINDOW]);
    let counts = counter.count(texts);
    let themes: Vec<Option<Coherence>> = counter
        .topics
        .par_iter()
        .map(|topic| {
            // Terms that never occur are dropped, as gensim's dictionary drops them.
            let topic: Vec<u32> = topic
                .iter()
                .copied()
                .filter(|&w| counts.docs.occurrences[w as usize] > 0)
                .collect();
            (topic.len() >= 2).then(|| Coherence {
                c_npmi: c_npmi(&topic, &counter, &counts.windows[0]),
                c_v: c_v(&topic, &counter, &counts.windows[1]),
                u_mass: u_mass(&topic, &counter, &counts.docs),
            })
        })
        .collect();
    let scored: Vec<&Coherence> = themes.iter().flatten().collect();
    let summary = (!scored.is_empty()).then(|| {
        let mean = |f: fn(&Coherence) -> f64| mean(scored.iter().map(|c| f(c)));
        Summary {
            mean: Coherence {
                c_npmi: mean(|c| c.c_npmi),
                c_v: mean(|c| c.c_v),
                u_mass: mean(|c| c.u_mass),
            },
            diversity: diversity(&topics),
            top_n: params.top_n,
            themes_scored: scored.len(),
            low_coherence: params.low_coherence,
            windows: [NPMI_WINDOW, CV_WINDOW],
            tokens: TOKENS.into(),
        }
    });
    Ok(Scored { themes, summary })
}

/// Topic diversity: the unique terms among all the lists, divided by how many terms the lists
/// hold (`top_n` × themes when every list is full). 1 when no term is shared; 1/k for k identical
/// lists; 0 for no terms.
///
/// ```
/// use themata::coherence::diversity;
/// assert_eq!(diversity(&[vec!["a", "b"], vec!["c", "d"]]), 1.0);
/// assert_eq!(diversity(&[vec!["a", "b"], vec!["a", "b"]]), 0.5);
/// ```
pub fn diversity<S: AsRef<str>>(topics: &[Vec<S>]) -> f64 {
    let total: usize = topics.iter().map(Vec::len).sum();
    if total == 0 {
        return 0.0;
    }
    let unique: rustc_hash::FxHashSet<&str> = topics.iter().flatten().map(|s| s.as_ref()).collect();
    unique.len() as f64 / total as f64
}

/// The arithmetic mean, summed in order.
fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for v in values {
        sum += v;
        n += 1;
    }
    sum / n as f64
}

/// gensim's `log_ratio_measure` with `normalize=True` for the pair `(a, b)`: NPMI, with the
/// joint probability's `EPSILON`, in gensim's order of operations.
fn npmi(counter: &count::Counter, c: &Counts, a: u32, b: u32) -> f64 {
    let n = c.total as f64;
    let co = counter.co_occurrences(c, a, b) as f64;
    let (pa, pb) = (
        c.occurrences[a as usize] as f64,
        c.occurrences[b as usize] as f64,
    );
    let numerator = (co / n + EPSILON) / (pa / n * (pb / n));
    numerator.ln() / -(co / n + EPSILON).ln()
}

/// gensim's `c_npmi`: `one_one` segmentation (every ordered pair of distinct terms), NPMI,
/// arithmetic mean.
fn c_npmi(topic: &[u32], counter: &count::Counter, c: &Counts) -> f64 {
    mean(topic.iter().enumerate().flat_map(|(i, &a)| {
        topic
            .iter()
            .enumerate()
            .filter(move |&(j, _)| j != i)
            .map(move |(_, &b)| npmi(counter, c, a, b))
    }))
}

/// gensim's `c_v`: `one_set` segmentation (each term against the whole list), each term's context
/// vector its NPMI with every term of the list (itself included), the list's the sum of those;
/// cosine; arithmetic mean.
fn c_v(topic: &[u32], counter: &count::Counter, c: &Counts) -> f64 {
    let n = topic.len();
    let m: Vec<f64> = topic
        .iter()
        .flat_map(|&a| topic.iter().map(move |&b| npmi(counter, c, a, b)))
        .collect();
    let mut whole = vec![0.0f64; n];
    for row in m.chunks(n) {
        for (s, v) in whole.iter_mut().zip(row) {
            *s += v;
        }
    }
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let whole_norm = norm(&whole);
    mean(m.chunks(n).map(|row| {
        let dot: f64 = row.iter().zip(&whole).map(|(a, b)| a * b).sum();
        let d = norm(row) * whole_norm;
        // A zero vector would need every NPMI of a term to be 0, its own included (which is
        // about 1): gensim would give NaN; keep the score finite.
        if d == 0.0 { 0.0 } else { dot / d }
    }))
}

/// gensim's `u_mass`: `one_pre` segmentation (each term with every better-ranked one), log
/// conditional probability over documents, arithmetic mean.
fn u_mass(topic: &[u32], counter: &count::Counter, c: &Counts) -> f64 {
    let n = c.total as f64;
    mean(topic.iter().enumerate().skip(1).flat_map(|(i, &a)| {
        topic[..i].iter().map(move |&b| {
            let star = c.occurrences[b as usize];
            if star == 0 {
                // gensim catches the ZeroDivisionError and scores the pair 0.
                return 0.0;
            }
            let co = counter.co_occurrences(c, a, b) as f64;
            ((co / n + EPSILON) / (star as f64 / n)).ln()
        })
    }))
}

#[cfg(test)]
mod tests;
