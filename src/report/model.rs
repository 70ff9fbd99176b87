//! The in-memory result of a run, exactly as `run.json` stores it.
//!
//! Every writer (run.json, assignments.csv, themes.md, report.html) and every chart reads this one
//! structure, so `themata chart RUN_DIR` can redraw everything from `run.json` alone.

use serde::{Deserialize, Serialize};

/// One complete run: configuration, corpus statistics, themes, units and scores. `Default` is
/// an empty report (for tests and tools that fill in a few fields).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunReport {
    /// themata's version that wrote this report.
    pub themata_version: String,
    /// The run's name (its folder name under `out/`).
    pub name: String,
    /// The inputs as given on the command line.
    pub inputs: Vec<String>,
    /// The full configuration used, as a TOML-compatible JSON value.
    pub config: serde_json::Value,
    /// Corpus statistics.
    pub corpus: CorpusStats,
    /// One entry per article, in corpus order.
    pub articles: Vec<ArticleInfo>,
    /// One entry per theme, ordered by theme id (largest theme first).
    pub themes: Vec<ThemeInfo>,
    /// One record per unit, in unit order.
    pub units: Vec<UnitRecord>,
    /// Cosine similarity between theme centroids (themes × themes).
    pub similarity: Vec<Vec<f32>>,
    /// Agglomerative clustering over the final themes, scipy linkage convention
    /// (leaves `0..k` are theme ids, merge `i` creates node `k + i`).
    pub hierarchy: Vec<MergeInfo>,
    /// How k was chosen.
    pub k_selection: KSelectionInfo,
    /// Which 2-D projection `UnitRecord::xy` and `ThemeInfo::xy` use, for chart captions.
    pub projection: String,
    /// Quality scores: internal always, external when the corpus has labels.
    pub scores: Scores,
    /// Topic coherence (means over the themes) and diversity, and how they were scored; absent
    /// when scoring was off (`themes.coherence_top_n = 0`), the themes have no terms (hashing), or
    /// the run predates it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coherence: Option<crate::coherence::Summary>,
    /// Wall time of each stage, in pipeline order.
    pub timings: Vec<StageTime>,
    /// Warnings raised during the run (skipped files, lossy decoding…).
    pub warnings: Vec<String>,
    /// What became of each named theme of the config, in config order (empty when none).
    #[serde(default)]
    pub named_themes: Vec<NamedThemeInfo>,
    /// Each theme's units, share and top terms per time bin, when the articles have dates
    /// (`ingest.date_field`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub themes_over_time: Option<crate::timeline::OverTime>,
    /// Every line cleaning removed, for `cleaning.csv` (run.json keeps only the counts, in
    /// [`CorpusStats::cleaning`]; a report read back from run.json has none).
    #[serde(skip)]
    pub cleaning: Vec<crate::ingest::CleaningRecord>,
    /// Present when this report is `themata assign`'s: new units placed in a saved run's themes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment: Option<AssignmentInfo>,
}

/// How `themata assign` placed new units in a saved run's themes. The report's themes are the
/// run's (ids, labels, terms); their sizes, representatives and cohesion are the new units'.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AssignmentInfo {
    /// The run folder whose model was used, as given.
    pub of: String,
    /// That run's name.
    pub run: String,
    /// How units were placed (nearest k-means centroid, or most similar theme centroid).
    pub rule: String,
    /// Outliers are below this percentile of their theme's similarities in the run.
    pub outlier_percentile: f64,
    /// Per theme, the similarity below which a new unit is an outlier.
    pub thresholds: Vec<f32>,
    /// Ids of the new units below their theme's threshold, ascending.
    pub outliers: Vec<usize>,
    /// Term occurrences in the new units (after stop words).
    pub terms: u64,
    /// Occurrences of terms in the run's vocabulary.
    pub known_terms: u64,
    /// Units with no term of the vocabulary: similarity 0, always outliers.
    pub empty_units: usize,
    /// The run's own units on the theme map (an even sample of at most
    /// [`AssignmentInfo::MAX_BACKGROUND`]), drawn faded under the new ones.
    pub background: Vec<BackgroundPoint>,
}

impl AssignmentInfo {
    /// Most of the run's units kept for the faded background of the theme map: as many as the
    /// map draws of a run's own units.
    pub const MAX_BACKGROUND: usize = 6_000;
}

/// One of the run's units on the theme map of an assignment.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct BackgroundPoint {
    /// Position in the run's 2-D projection.
    pub xy: [f32; 2],
    /// Its theme in the run.
    pub theme: usize,
}

impl RunReport {
    /// Ids of the `max` largest themes (most units; ties to the lower id), ascending: every
    /// theme when there are at most `max`. The per-theme charts and tables show these.
    pub fn largest_themes(&self, max: usize) -> Vec<usize> {
        largest(self.themes.len(), max, |i| self.themes[i].size)
    }

    /// Indices of the `max` articles with the most units (ties to the lower index), ascending:
    /// every article when there are at most `max`.
    pub fn largest_articles(&self, max: usize) -> Vec<usize> {
        largest(self.articles.len(), max, |i| self.articles[i].units)
    }
}

/// The `max` indices of `0..len` with the largest `size` (ties to the lower index), ascending.
fn largest(len: usize, max: usize, size: impl Fn(usize) -> usize) -> Vec<usize> {
    let mut by_size: Vec<usize> = (0..len).collect();
    if len > max {
        by_size.sort_by_key(|&i| (std::cmp::Reverse(size(i)), i));
        by_size.truncate(max);
        by_size.sort_unstable();
    }
    by_size
}

/// What became of one named theme: the theme it names, or why it names none.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NamedThemeInfo {
    /// The named theme's name.
    pub name: String,
    /// `found`, `not found` (it fits no theme) or `not in corpus` (too few of its seed terms
    /// occur).
    pub status: String,
    /// The theme it names, when found.
    pub theme: Option<usize>,
    /// The theme it was compared with last: the one it names, or the closest when not found.
    pub closest: Option<usize>,
    /// Cosine similarity of its seed terms to that theme's centroid (LSA space).
    pub similarity: f32,
    /// Share of that theme's top-term weight carried by its seed terms.
    pub term_share: f32,
}

/// Size of the corpus at each stage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct CorpusStats {
    /// Articles kept after ingest.
    pub articles: usize,
    /// Units (passages) clustered.
    pub units: usize,
    /// Bytes of cleaned article text.
    pub bytes: usize,
    /// Lines dropped by cleaning (boilerplate, and titles with `analyse_titles` off).
    pub boilerplate_lines_dropped: usize,
    /// Lines dropped per rule, by rule name (`line_patterns[4]`, `date_line`, `title`…).
    #[serde(default)]
    pub cleaning: std::collections::BTreeMap<String, usize>,
    /// Records that looked like web pages, the only ones whose lines cleaning may drop.
    #[serde(default)]
    pub web_pages: usize,
    /// Articles whose characters Unicode normalisation changed (quotes, dashes, spaces, NFC).
    #[serde(default)]
    pub normalized_articles: usize,
    /// Records skipped with `--skip-bad-records`.
    pub skipped_records: usize,
    /// Terms in the vocabulary (columns of the TF-IDF matrix).
    pub vocabulary: usize,
    /// Nonzeros in the TF-IDF matrix.
    pub nnz: usize,
    /// Dimensions of the LSA space actually used.
    pub dims: usize,
    /// How the articles' dates were read, when `ingest.date_field` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dates: Option<DateStats>,
}

/// How the articles' dates were read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct DateStats {
    /// The field read (for plain-text files, the name given; the `[ingest]` rules find dates).
    pub field: String,
    /// Articles analysed with a date.
    pub dated_articles: usize,
    /// Records read without the field (or with it empty or null), or plain-text files in which
    /// no date was found: analysed, but in no time bin.
    pub missing_dates: usize,
    /// Records whose date is none of the accepted forms: analysed, but in no time bin.
    pub unreadable_dates: usize,
    /// The first few unreadable dates, with their article's id.
    pub unreadable_examples: Vec<UnreadableDate>,
}

/// A date that could not be read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UnreadableDate {
    /// The article's id.
    pub id: String,
    /// The value as given.
    pub value: String,
}

/// One article: where it came from and how its units spread over the themes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArticleInfo {
    /// Stable article id (file stem, or the record's id field).
    pub id: String,
    /// Title line, or the article's opening words when it has none (`None` only when empty).
    pub title: Option<String>,
    /// Source file (and record, for JSONL/CSV).
    pub source: String,
    /// Corpus label, if the input had a label field.
    pub label: Option<String>,
    /// Number of units cut from this article.
    pub units: usize,
    /// Share of this article's units in each theme, indexed by theme id (sums to 1, or all 0
    /// when the article has no units).
    pub mix: Vec<f32>,
    /// The article's date in ISO 8601 at its own precision (`1996`, `1996-03`, `1996-03-14`),
    /// when dates were read and its was readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// One theme.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ThemeInfo {
    /// Theme id, `0..k`.
    pub id: usize,
    /// Human-readable label: a named theme from config, or built from the top terms.
    pub label: String,
    /// The configured theme name this cluster matched, if any.
    pub named: Option<String>,
    /// Number of units in the theme.
    pub size: usize,
    /// Top terms by class-based TF-IDF, best first.
    pub terms: Vec<TermWeight>,
    /// Unit ids of the most representative units (closest to the centroid), best first.
    pub representatives: Vec<usize>,
    /// Mean cosine similarity of the theme's units to its centroid (cohesion).
    pub cohesion: f32,
    /// Topic coherence of its top terms ([`RunReport::coherence`] says how scored); absent when
    /// not scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coherence: Option<crate::coherence::Coherence>,
    /// The centroid's position in the 2-D projection.
    pub xy: [f32; 2],
    /// Articles the theme runs through: (article index, units of this theme in it), most first.
    pub articles: Vec<(usize, usize)>,
}

/// A term and its weight.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TermWeight {
    /// The term (a word or an n-gram).
    pub term: String,
    /// Its class-based TF-IDF weight in the theme.
    pub weight: f32,
}

/// One unit (passage) and its assignment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UnitRecord {
    /// Unit id, `0..units`, in corpus order.
    pub id: usize,
    /// Index of the article in [`RunReport::articles`].
    pub article: usize,
    /// Position of the unit within its article, from 0.
    pub ordinal: usize,
    /// Byte offset of the unit's start in the cleaned article text.
    pub start: usize,
    /// Byte offset one past the unit's end in the cleaned article text.
    pub end: usize,
    /// The unit's text.
    pub text: String,
    /// Theme id.
    pub theme: usize,
    /// Cosine similarity to its theme's centroid.
    pub score: f32,
    /// Position in the 2-D projection.
    pub xy: [f32; 2],
}

/// One merge of the theme hierarchy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MergeInfo {
    /// Left child node.
    pub left: usize,
    /// Right child node.
    pub right: usize,
    /// Cosine distance at which the two merge.
    pub distance: f32,
    /// Number of themes under the new node.
    pub size: usize,
}

/// How k was chosen, with the curve when it was chosen automatically.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct KSelectionInfo {
    /// `"fixed"` or `"auto"`.
    pub mode: String,
    /// The k used.
    pub chosen: usize,
    /// Score of each k tried (empty when fixed).
    pub scores: Vec<KScoreInfo>,
    /// One sentence explaining the choice, for themes.md.
    pub reason: String,
}

/// Scores of one candidate k.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KScoreInfo {
    /// Number of clusters.
    pub k: usize,
    /// Mean silhouette (cosine).
    pub silhouette: f32,
    /// k-means inertia.
    pub inertia: f64,
}

/// Clustering quality.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Scores {
    /// Mean silhouette on cosine distance (sampled when units are many).
    pub silhouette: f32,
    /// k-means inertia of the final clustering.
    pub inertia: f64,
    /// External scores, present when the corpus has labels.
    pub external: Option<ExternalScores>,
}

/// Agreement with corpus labels, as scikit-learn defines the measures.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExternalScores {
    /// Normalised mutual information (arithmetic mean).
    pub nmi: f64,
    /// Adjusted Rand index.
    pub ari: f64,
    /// V-measure.
    pub v_measure: f64,
    /// Homogeneity.
    pub homogeneity: f64,
    /// Completeness.
    pub completeness: f64,
    /// Purity.
    pub purity: f64,
}

/// Wall time of one stage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StageTime {
    /// Stage name (`ingest`, `units`, `vectorize`, `reduce`, `cluster`, `themes`, `report`, `charts`).
    pub stage: String,
    /// Seconds.
    pub seconds: f64,
}
