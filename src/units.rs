//! Units stage: articles are cut into the passages that get clustered.
//!
//! In: a [`Corpus`]. Out: [`Units`], each unit a byte span of its article's cleaned text with its
//! provenance (article index, ordinal). Three ways to cut: whole paragraphs (very short ones, such
//! as headings and one-liners, are merged into a neighbour), whole documents, or windows of N
//! sentences with overlap.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ingest::Corpus;

/// How articles are cut into units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    /// One unit per paragraph (blank-line separated, or one long line); short ones merged.
    #[default]
    Paragraph,
    /// One unit per article.
    Document,
    /// Windows of `window_sentences` sentences overlapping by `window_overlap`.
    Window,
}

/// Most sentences a window may hold. With `window_overlap` one less, each sentence lies in
/// `window_sentences` windows, and every window is tokenised into its own row of the TF-IDF
/// matrix, so the matrix can grow to this many times the corpus's own: unbounded, a window as
/// long as a book, advancing one sentence at a time, would ask for the square of the book. A
/// window of 100 sentences is already a few pages; longer units are `unit = "document"`.
pub const MAX_WINDOW_SENTENCES: usize = 100;

/// The `[units]` table of the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UnitParams {
    /// `paragraph`, `document` or `window`.
    pub unit: UnitKind,
    /// Paragraphs with fewer words are merged into a neighbour (headings into the next one).
    pub min_words: usize,
    /// A line longer than this (in characters) is a paragraph on its own even without a blank
    /// line after it: text with one paragraph per line. Shorter lines are hard-wrapped text and
    /// are joined until a blank line.
    pub paragraph_line_chars: usize,
    /// Sentences per window (`unit = "window"`).
    pub window_sentences: usize,
    /// Sentences shared by consecutive windows; must be below `window_sentences`.
    pub window_overlap: usize,
}

impl Default for UnitParams {
    fn default() -> Self {
        UnitParams {
            unit: UnitKind::Paragraph,
            min_words: 15,
            paragraph_line_chars: 100,
            window_sentences: 5,
            window_overlap: 1,
        }
    }
}

impl UnitParams {
    /// Checks ranges, naming the key at fault.
    pub fn check(&self) -> Result<()> {
        if self.window_sentences == 0 || self.window_sentences > MAX_WINDOW_SENTENCES {
            return Err(Error::param(
                "units.window_sentences",
                format!(
                    "must be between 1 and {MAX_WINDOW_SENTENCES}, got {}",
                    self.window_sentences
                ),
            ));
        }
        if self.window_overlap >= self.window_sentences {
            return Err(Error::param(
                "units.window_overlap",
                format!(
                    "must be below units.window_sentences ({})",
                    self.window_sentences
                ),
            ));
        }
        if self.paragraph_line_chars == 0 {
            return Err(Error::param(
                "units.paragraph_line_chars",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

/// One passage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Index of its article in the corpus.
    pub article: usize,
    /// Position within the article, from 0.
    pub ordinal: usize,
    /// Byte offset of the start in the article's cleaned text.
    pub start: usize,
    /// Byte offset one past the end.
    pub end: usize,
}

/// All units of a corpus, in corpus order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Units {
    /// The units; a unit's id is its index here.
    pub units: Vec<Unit>,
}

impl Units {
    /// The text of every unit, borrowed from the corpus.
    pub fn texts<'c>(&self, corpus: &'c Corpus) -> Vec<&'c str> {
        self.units
            .iter()
            .map(|u| &corpus.articles[u.article].text[u.start..u.end])
            .collect()
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// Whether there are no units.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }
}

/// Cuts every article into units.
///
/// ```
/// use themata::ingest::{Article, Corpus};
/// use themata::units::{split, UnitParams};
/// let text = "A heading\n\nA first paragraph that is long enough to stand on its own as a unit here.\n\n\
///             A second paragraph that is also long enough to stand on its own as a unit.";
/// let corpus = Corpus {
///     articles: vec![Article { id: "a".into(), title: None, source: "a".into(), label: None, text: text.into(), date: None }],
///     ..Default::default()
/// };
/// let units = split(&corpus, &UnitParams::default()).unwrap();
/// assert_eq!(units.len(), 2); // the heading joined the first paragraph
/// ```
pub fn split(corpus: &Corpus, params: &UnitParams) -> Result<Units> {
    split_articles(corpus, params, false)
}

/// Cuts every article into units as [`split`] does, but an article that gives no unit (one whose
/// text is empty or only white space) gives one empty unit, `0..0`, whatever the unit kind: every
/// article has at least one unit, so units map back to the input records (`themata vectorize
/// --unit document` writes one matrix row per record, a zero row for an empty one). Errors as
/// [`split`] does when no article holds any text.
///
/// ```
/// use themata::ingest::{Article, Corpus};
/// use themata::units::{split_keeping_empty, UnitKind, UnitParams};
/// let article = |id: &str, text: &str| Article {
///     id: id.into(), title: None, source: id.into(), label: None, text: text.into(), date: None,
/// };
/// let corpus = Corpus {
///     articles: vec![article("a", "Some text."), article("b", "  \n"), article("c", "More text.")],
///     ..Default::default()
/// };
/// let params = UnitParams { unit: UnitKind::Document, ..Default::default() };
/// let units = split_keeping_empty(&corpus, &params).unwrap();
/// assert_eq!(units.texts(&corpus), ["Some text.", "", "More text."]);
/// ```
pub fn split_keeping_empty(corpus: &Corpus, params: &UnitParams) -> Result<Units> {
    split_articles(corpus, params, true)
}

/// [`split`], with `keep_empty` as in [`split_keeping_empty`].
fn split_articles(corpus: &Corpus, params: &UnitParams, keep_empty: bool) -> Result<Units> {
    params.check()?;
    let mut units = Vec::new();
    for (ai, article) in corpus.articles.iter().enumerate() {
        let mut spans = match params.unit {
            UnitKind::Document => trimmed_span(&article.text, 0, article.text.len())
                .into_iter()
                .collect(),
            UnitKind::Paragraph => merge_short(
                &article.text,
                paragraphs(&article.text, params),
                params.min_words,
            ),
            UnitKind::Window => windows(&article.text, params),
        };
        if keep_empty && spans.is_empty() {
            spans.push((0, 0));
        }
        units.extend(
            spans
                .into_iter()
                .enumerate()
                .map(|(ordinal, (start, end))| Unit {
                    article: ai,
                    ordinal,
                    start,
                    end,
                }),
        );
    }
    // Only empty units (kept ones) is as good as none.
    if units.iter().all(|u: &Unit| u.start == u.end) {
        return Err(Error::EmptyCorpus(
            "no units: every article is empty".into(),
        ));
    }
    Ok(Units { units })
}

/// The span without leading and trailing whitespace, or `None` when nothing is left.
fn trimmed_span(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let s = &text[start..end];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    (lead + trail < s.len()).then(|| (start + lead, end - trail))
}

/// Paragraph spans: blank lines separate paragraphs, and so does the end of a line longer than
/// `paragraph_line_chars` (text written one paragraph per line).
fn paragraphs(text: &str, params: &UnitParams) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut para_start: Option<usize> = None;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let (start, end) = (pos, pos + line.len());
        pos = end;
        let content = line.trim_end_matches(['\n', '\r']);
        if content.trim().is_empty() {
            if let Some(s) = para_start.take() {
                out.extend(trimmed_span(text, s, start));
            }
            continue;
        }
        let s = *para_start.get_or_insert(start);
        if content.chars().count() > params.paragraph_line_chars {
            out.extend(trimmed_span(text, s, end));
            para_start = None;
        }
    }
    if let Some(s) = para_start {
        out.extend(trimmed_span(text, s, text.len()));
    }
    out
}

fn words(text: &str, (s, e): (usize, usize)) -> usize {
    text[s..e].split_whitespace().count()
}

/// Merges spans with fewer than `min_words` words into a neighbour: a heading-like span (no
/// full stop, exclamation or closing quote at its end; a question counts as a heading) into the
/// next span, anything else into the previous one.
fn merge_short(text: &str, spans: Vec<(usize, usize)>, min_words: usize) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    let mut carry: Option<usize> = None; // start of short spans waiting for the next one
    for (i, &(s, e)) in spans.iter().enumerate() {
        let start = carry.take().unwrap_or(s);
        let span = (start, e);
        if words(text, span) >= min_words {
            out.push(span);
            continue;
        }
        let heading = !text[s..e].trim_end().ends_with(['.', '!', '"', '\'', ')']);
        let has_next = i + 1 < spans.len();
        if (heading || out.is_empty()) && has_next {
            carry = Some(start);
        } else if let Some(last) = out.last_mut() {
            last.1 = e;
        } else {
            out.push(span);
        }
    }
    out
}

/// Sentence spans: a sentence ends at `.`, `!` or `?` (with closing quotes or brackets) followed
/// by white space and an upper-case letter, digit or opening quote, unless the word before is a
/// single letter or a common abbreviation.
pub fn sentences(text: &str) -> Vec<(usize, usize)> {
    const ABBREV: [&str; 16] = [
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "no", "vs", "etc", "inc", "jan",
        "feb", "gen",
    ];
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b'.' | b'!' | b'?') || (b == b'\n' && bytes.get(i + 1) == Some(&b'\n')) {
            let mut j = i + 1;
            while j < bytes.len()
                && matches!(bytes[j], b'"' | b'\'' | b')' | b']' | b'.' | b'!' | b'?')
            {
                j += 1;
            }
            let ws_end = {
                let mut k = j;
                while k < bytes.len() && bytes[k].is_ascii_whitespace() {
                    k += 1;
                }
                k
            };
            let next_ok = ws_end >= bytes.len()
                || (ws_end > j
                    && text[ws_end..].chars().next().is_some_and(|c| {
                        c.is_uppercase() || c.is_ascii_digit() || matches!(c, '"' | '\'' | '(')
                    }));
            let word_before = text[start..i]
                .rsplit(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("");
            let abbrev = b == b'.'
                && (word_before.chars().count() == 1
                    || ABBREV.contains(&word_before.to_lowercase().as_str()));
            if b == b'\n' || (next_ok && !abbrev) {
                out.extend(trimmed_span(text, start, j));
                start = ws_end;
                i = ws_end;
                continue;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    if start < text.len() {
        out.extend(trimmed_span(text, start, text.len()));
    }
    out
}

fn windows(text: &str, params: &UnitParams) -> Vec<(usize, usize)> {
    let sents = sentences(text);
    let n = params.window_sentences;
    let stride = n - params.window_overlap;
    let mut out = Vec::new();
    let mut i = 0;
    while i < sents.len() {
        let last = (i + n).min(sents.len()) - 1;
        out.push((sents[i].0, sents[last].1));
        if last + 1 >= sents.len() {
            break;
        }
        i += stride;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Article;

    fn corpus(text: &str) -> Corpus {
        Corpus {
            articles: vec![Article {
                id: "a".into(),
                title: None,
                source: "a".into(),
                label: None,
                text: text.into(),
                date: None,
            }],
            ..Default::default()
        }
    }

    fn texts(text: &str, params: &UnitParams) -> Vec<String> {
        let c = corpus(text);
        split(&c, params)
            .unwrap()
            .texts(&c)
            .into_iter()
            .map(String::from)
            .collect()
    }

    const LONG: &str = "This paragraph has well over fifteen words in it so that it stands alone as one unit of text.";

    #[test]
    fn hard_wrapped_lines_join_into_one_paragraph() {
        let t = format!("{}\n{}\n\n{LONG}", &LONG[..50], &LONG[50..]);
        let u = texts(&t, &UnitParams::default());
        assert_eq!(u.len(), 2);
        assert!(u[0].contains('\n'));
    }

    #[test]
    fn one_paragraph_per_long_line() {
        let t = format!("{LONG} {LONG}\n{LONG} {LONG}\n{LONG} {LONG}");
        assert_eq!(texts(&t, &UnitParams::default()).len(), 3);
    }

    #[test]
    fn heading_merges_forward_and_short_tail_merges_back() {
        let t = format!("Challenges Ahead\n\n{LONG}\n\nShort closing line.");
        let u = texts(&t, &UnitParams::default());
        assert_eq!(u.len(), 1);
        assert!(u[0].starts_with("Challenges Ahead") && u[0].ends_with("closing line."));
    }

    #[test]
    fn spans_slice_back_to_unit_text() {
        let t = format!("Head\n\n{LONG}\n\n  {LONG}  \n\nTail.");
        let c = corpus(&t);
        for kind in [UnitKind::Paragraph, UnitKind::Document, UnitKind::Window] {
            let p = UnitParams {
                unit: kind,
                window_sentences: 1,
                window_overlap: 0,
                ..Default::default()
            };
            for u in split(&c, &p).unwrap().units {
                let s = &t[u.start..u.end];
                assert_eq!(s, s.trim(), "{kind:?}");
                assert!(!s.is_empty());
            }
        }
    }

    #[test]
    fn split_keeping_empty_gives_an_empty_article_one_empty_unit_of_every_kind() {
        let blank = |text: &str| Article {
            id: "blank".into(),
            title: None,
            source: "blank".into(),
            label: None,
            text: text.into(),
            date: None,
        };
        let mut c = corpus(LONG);
        c.articles.insert(0, blank(""));
        c.articles.push(blank(" \n\t\n "));
        for unit in [UnitKind::Paragraph, UnitKind::Document, UnitKind::Window] {
            let p = UnitParams {
                unit,
                ..Default::default()
            };
            let kept = split_keeping_empty(&c, &p).unwrap();
            let articles: Vec<usize> = kept.units.iter().map(|u| u.article).collect();
            assert_eq!(articles, [0, 1, 2], "{unit:?}");
            assert_eq!(kept.texts(&c), ["", LONG, ""], "{unit:?}");
            assert_eq!((kept.units[2].start, kept.units[2].end), (0, 0));
            assert_eq!(kept.units[2].ordinal, 0);
            // `split` still leaves them out.
            assert_eq!(split(&c, &p).unwrap().texts(&c), [LONG], "{unit:?}");
            // No text anywhere is still an error.
            let all_blank = Corpus {
                articles: vec![blank(""), blank("  ")],
                ..Default::default()
            };
            assert!(matches!(
                split_keeping_empty(&all_blank, &p),
                Err(Error::EmptyCorpus(_))
            ));
        }
    }

    #[test]
    fn sentences_respect_abbreviations_and_initials() {
        let t = "Mr. Kim met Dr. Lee in N. Korea. It rained! Then they left? Yes.";
        let s: Vec<&str> = sentences(t).into_iter().map(|(a, b)| &t[a..b]).collect();
        assert_eq!(
            s,
            [
                "Mr. Kim met Dr. Lee in N. Korea.",
                "It rained!",
                "Then they left?",
                "Yes."
            ]
        );
    }

    #[test]
    fn windows_overlap_and_cover_every_sentence() {
        let t = "One aa. Two bb. Three cc. Four dd. Five ee.";
        let p = UnitParams {
            unit: UnitKind::Window,
            window_sentences: 2,
            window_overlap: 1,
            ..Default::default()
        };
        let u = texts(t, &p);
        assert_eq!(
            u,
            [
                "One aa. Two bb.",
                "Two bb. Three cc.",
                "Three cc. Four dd.",
                "Four dd. Five ee."
            ]
        );
    }

    #[test]
    fn window_length_is_bounded() {
        let p = |n| UnitParams {
            window_sentences: n,
            window_overlap: 0,
            ..Default::default()
        };
        assert!(p(MAX_WINDOW_SENTENCES).check().is_ok());
        let e = p(MAX_WINDOW_SENTENCES + 1).check().unwrap_err().to_string();
        assert!(
            e.contains("units.window_sentences") && e.contains("between 1 and 100"),
            "{e}"
        );
    }

    #[test]
    fn overlap_must_be_below_window() {
        let p = UnitParams {
            window_overlap: 5,
            ..Default::default()
        };
        assert!(
            p.check()
                .unwrap_err()
                .to_string()
                .contains("units.window_overlap")
        );
    }
}
