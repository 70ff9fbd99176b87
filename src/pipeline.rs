//! The whole analysis, stage by stage: ingest → units → vectorize → reduce → cluster → themes,
//! assembled into a [`RunReport`]. Writing files and drawing charts are left to the caller
//! (`themata run`, `themata bench`), which times them too.

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use crate::cluster;
use crate::coherence;
use crate::config::Config;
use crate::error::Result;
use crate::eval;
use crate::ingest::{self, Corpus};
use crate::model::{Model, ModelMeta, ModelTheme};
use crate::reduce;
use crate::report::model::*;
use crate::themes;
use crate::timeline;
use crate::units::{self, Units};
use crate::vectorize;

/// Where the articles come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Files and folders on disk.
    Paths(Vec<PathBuf>),
    /// The seed corpus compiled into the binary.
    EmbeddedSeeds,
}

impl Source {
    /// The inputs as the user would name them.
    pub fn describe(&self) -> Vec<String> {
        match self {
            Source::Paths(p) => p.iter().map(|p| p.display().to_string()).collect(),
            Source::EmbeddedSeeds => vec!["seeds/".into()],
        }
    }
}

/// Receives stage boundaries; the CLI turns them into progress bars, tests ignore them.
pub trait Progress: Sync {
    /// A stage starts.
    fn start(&self, _stage: &str) {}
    /// A stage ended after `seconds`.
    fn finish(&self, _stage: &str, _seconds: f64) {}
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;
impl Progress for Quiet {}

/// Stage timer that records into the report's timings and tells the progress sink.
struct Stages<'a> {
    progress: &'a dyn Progress,
    timings: Vec<StageTime>,
}

impl Stages<'_> {
    fn time<T>(&mut self, stage: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.progress.start(stage);
        let t = Instant::now();
        let out = f()?;
        let seconds = t.elapsed().as_secs_f64();
        self.progress.finish(stage, seconds);
        self.timings.push(StageTime {
            stage: stage.into(),
            seconds,
        });
        Ok(out)
    }
}

/// Reads the source into a corpus.
pub fn ingest(source: &Source, config: &Config) -> Result<Corpus> {
    match source {
        Source::Paths(paths) => ingest::load(paths, &config.ingest, &config.clean),
        Source::EmbeddedSeeds => {
            let dir = PathBuf::from("seeds");
            if dir.is_dir() {
                ingest::load(&[dir], &config.ingest, &config.clean)
            } else {
                ingest::load_in_memory(&ingest::embedded_seeds(), &config.ingest, &config.clean)
            }
        }
    }
}

/// Runs every analysis stage and assembles the report (without writing anything).
///
/// Once the corpus is read, the configuration's huge-page policy is applied to the whole
/// process for its size ([`crate::config::HugePages::apply`]); nothing else outside the report
/// changes.
///
/// ```no_run
/// use themata::config::Config;
/// use themata::pipeline::{analyse, Quiet, Source};
/// let report = analyse(&Source::EmbeddedSeeds, &Config::defaults()?, "example", &Quiet)?;
/// println!("{} themes", report.themes.len());
/// # Ok::<(), themata::Error>(())
/// ```
pub fn analyse(
    source: &Source,
    config: &Config,
    name: &str,
    progress: &dyn Progress,
) -> Result<RunReport> {
    Ok(analyse_inner(source, config, name, progress, false)?.0)
}

/// [`analyse`], and the run's [`Model`] for `themata assign` unless `output.model` is off.
pub fn analyse_with_model(
    source: &Source,
    config: &Config,
    name: &str,
    progress: &dyn Progress,
) -> Result<(RunReport, Option<Model>)> {
    analyse_inner(source, config, name, progress, config.output.model)
}

fn analyse_inner(
    source: &Source,
    config: &Config,
    name: &str,
    progress: &dyn Progress,
    want_model: bool,
) -> Result<(RunReport, Option<Model>)> {
    let mut st = Stages {
        progress,
        timings: Vec::new(),
    };
    let corpus = st.time("ingest", || ingest(source, config))?;
    config.huge_pages.apply(corpus.bytes());
    // Before the expensive stages, so that a bin finer than the dates is refused at once.
    let binning = timeline::bin_articles(&corpus.articles, &config.time)?;
    let units = st.time("units", || units::split(&corpus, &config.units))?;
    let texts = units.texts(&corpus);
    let tfidf = st.time("vectorize", || {
        vectorize::fit_transform(&texts, &config.vectorize)
            .map_err(|e| too_few_units(e, source, units.len(), config))
    })?;
    let reduce_params = small_corpus_dims(&config.reduce, units.len());
    let lsa = st.time("reduce", || {
        reduce::lsa(&tfidf.matrix, &reduce_params, config.seed)
    })?;
    log::info!(
        "LSA: {} dimensions explain {:.4} % of the TF-IDF variance",
        lsa.dims(),
        100.0
            * lsa
                .explained_variance_ratio
                .iter()
                .map(|&v| v as f64)
                .sum::<f64>()
    );
    let cluster_params = small_corpus_k_range(&config.cluster, units.len());

    let use_named = config.themes.guide && !config.themes.named.is_empty();
    let (clustering, guide) = st.time("cluster", || {
        let guide = if use_named {
            Some(themes::guide(
                &config.themes,
                &tfidf,
                &config.vectorize,
                &lsa,
            )?)
        } else {
            None
        };
        let init = guide
            .as_ref()
            .filter(|g| g.vectors.nrows() > 0)
            .map(|g| g.vectors.view());
        let c = cluster::cluster(lsa.embedding.view(), &cluster_params, init, config.seed)?;
        Ok((c, guide))
    })?;
    let th = st.time("themes", || {
        themes::describe(
            &clustering.labels,
            lsa.embedding.view(),
            &tfidf,
            &config.vectorize,
            &config.themes,
            guide.as_ref(),
        )
    })?;
    let coherence = st.time("coherence", || {
        coherence::of_themes(&texts, &config.vectorize, &th.themes, &config.themes)
    })?;

    let over_time = match &binning {
        Some(b) => Some(st.time("over time", || {
            timeline::over_time(b, &units, &th, &tfidf, &config.vectorize, &config.time)
        })?),
        None => None,
    };

    let mut warnings = corpus.warnings.clone();
    if corpus.dates.is_some() && binning.is_none() {
        warnings.push("no article has a readable date: no themes over time".into());
    }
    if let Some(g) = &guide {
        warnings.extend(g.warnings.iter().cloned());
    }
    let k = th.themes.len();
    let centroids = ndarray::Array2::from_shape_vec(
        (k, lsa.embedding.ncols()),
        th.themes
            .iter()
            .flat_map(|t| t.centroid.iter().copied())
            .collect(),
    )
    .map_err(|e| crate::Error::Internal(format!("centroids: {e}")))?;
    let hierarchy = cluster::hierarchical::theme_hierarchy(centroids.view())
        .merges
        .iter()
        .map(|m| MergeInfo {
            left: m.left,
            right: m.right,
            distance: m.distance,
            size: m.size,
        })
        .collect();

    let external = external_scores(&corpus, &units, &th.assignment);
    let guided = guide.as_ref().is_some_and(|g| g.vectors.nrows() > 0);
    let k_selection = k_selection_info(&clustering, k, guided);
    let report = RunReport {
        themata_version: env!("CARGO_PKG_VERSION").into(),
        name: name.into(),
        inputs: source.describe(),
        config: serde_json::to_value(config).map_err(|e| crate::Error::Internal(e.to_string()))?,
        corpus: CorpusStats {
            articles: corpus.articles.len(),
            units: units.len(),
            bytes: corpus.bytes(),
            boilerplate_lines_dropped: corpus.dropped_lines,
            cleaning: corpus.cleaning_counts(),
            web_pages: corpus.web_pages,
            normalized_articles: corpus.normalized_articles,
            skipped_records: corpus.skipped_records,
            vocabulary: tfidf.matrix.cols(),
            nnz: tfidf.matrix.nnz(),
            dims: lsa.embedding.ncols(),
            dates: date_stats(&corpus),
        },
        articles: article_infos(&corpus, &units, &th.assignment, k),
        themes: th
            .themes
            .iter()
            .enumerate()
            .map(|(id, t)| ThemeInfo {
                id,
                label: t.label.clone(),
                named: t.named.clone(),
                size: t.size,
                terms: t
                    .terms
                    .iter()
                    .map(|(term, weight)| TermWeight {
                        term: term.clone(),
                        weight: *weight,
                    })
                    .collect(),
                representatives: t.representatives.clone(),
                cohesion: t.cohesion,
                coherence: coherence.themes[id],
                xy: th.themes_xy[id],
                articles: theme_articles(&units, &th.assignment, id),
            })
            .collect(),
        units: unit_records(
            &units,
            &texts,
            config.output.unit_text,
            th.themes
                .iter()
                .flat_map(|t| t.representatives.iter().copied()),
            (&th.assignment, &th.scores, &th.units_xy),
        ),
        similarity: th.similarity,
        hierarchy,
        k_selection,
        projection: themes::PROJECTION.into(),
        scores: Scores {
            silhouette: clustering.silhouette,
            inertia: clustering.inertia,
            external,
        },
        coherence: coherence.summary,
        timings: st.timings,
        warnings,
        named_themes: th
            .named
            .iter()
            .map(|m| NamedThemeInfo {
                name: m.name.clone(),
                status: match (m.in_corpus, m.theme) {
                    (false, _) => "not in corpus",
                    (true, Some(_)) => "found",
                    (true, None) => "not found",
                }
                .into(),
                theme: m.theme,
                closest: m.closest,
                similarity: m.similarity,
                term_share: m.term_share,
            })
            .collect(),
        themes_over_time: over_time,
        cleaning: corpus.cleaning,
        assignment: None,
    };
    let model = want_model
        .then(|| saved_model(config, &tfidf, &lsa, &clustering, centroids, &report))
        .transpose()?;
    Ok((report, model))
}

/// One record per unit, in unit order, placed as `(theme, score, xy)` say. Every unit's text is
/// stored when `all_text`; otherwise only the `representatives`' (themes.md quotes them).
pub(crate) fn unit_records(
    units: &Units,
    texts: &[&str],
    all_text: bool,
    representatives: impl IntoIterator<Item = usize>,
    (theme, score, xy): (&[usize], &[f32], &[[f32; 2]]),
) -> Vec<UnitRecord> {
    let mut keep_text = vec![all_text; units.len()];
    for u in representatives {
        keep_text[u] = true;
    }
    units
        .units
        .iter()
        .enumerate()
        .map(|(id, u)| UnitRecord {
            id,
            article: u.article,
            ordinal: u.ordinal,
            start: u.start,
            end: u.end,
            text: if keep_text[id] {
                texts[id].to_string()
            } else {
                String::new()
            },
            theme: theme[id],
            score: score[id],
            xy: xy[id],
        })
        .collect()
}

/// The model `themata assign` reloads: the vectorizer's vocabulary and document frequencies, the
/// LSA map, the clustering's centroids with the theme each became, the themes' unit-length means
/// and the percentiles of their units' similarities, and from the run's `report` what an
/// assignment's report takes from it (themes, their map positions, similarity and hierarchy,
/// named themes, a sample of the units on the map), so `assign` needs no run.json.
fn saved_model(
    config: &Config,
    tfidf: &vectorize::Tfidf,
    lsa: &reduce::Lsa,
    clustering: &cluster::Clustering,
    theme_centroids: ndarray::Array2<f32>,
    report: &RunReport,
) -> Result<Model> {
    let k = report.themes.len();
    let mut centroid_themes = vec![None; clustering.centroids.nrows()];
    let mut sims: Vec<Vec<f32>> = vec![Vec::new(); k];
    for (&c, u) in clustering.labels.iter().zip(&report.units) {
        centroid_themes[c] = Some(u.theme);
        sims[u.theme].push(u.score);
    }
    let quantiles: Vec<f32> = sims
        .iter_mut()
        .flat_map(|s| crate::model::percentiles(s))
        .collect();
    let similarity_quantiles =
        ndarray::Array2::from_shape_vec((k, crate::model::QUANTILES), quantiles)
            .map_err(|e| crate::Error::Internal(format!("similarity quantiles: {e}")))?;
    let n = report.units.len();
    let shown = n.min(AssignmentInfo::MAX_BACKGROUND);
    Ok(Model {
        meta: ModelMeta {
            format: crate::model::FORMAT.into(),
            format_version: crate::model::FORMAT_VERSION,
            themata_version: env!("CARGO_PKG_VERSION").into(),
            run: report.name.clone(),
            config: config.clone(),
            method: config.cluster.method,
            documents: n,
            columns: tfidf.matrix.cols(),
            dims: lsa.dims(),
            centroid_themes,
            themes: report
                .themes
                .iter()
                .map(|t| ModelTheme {
                    id: t.id,
                    label: t.label.clone(),
                    named: t.named.clone(),
                    size: t.size,
                    terms: t.terms.clone(),
                    xy: t.xy,
                })
                .collect(),
            similarity: report.similarity.clone(),
            hierarchy: report.hierarchy.clone(),
            projection: report.projection.clone(),
            named_themes: report.named_themes.clone(),
            background: (0..shown)
                .map(|j| {
                    let u = &report.units[j * n / shown];
                    BackgroundPoint {
                        xy: u.xy,
                        theme: u.theme,
                    }
                })
                .collect(),
        },
        vocab: tfidf.vocab.clone(),
        df: tfidf.df.clone(),
        components: lsa.vectors().to_owned(),
        centroids: clustering.centroids.clone(),
        theme_centroids,
        similarity_quantiles,
    })
}

/// How the dates were read, for run.json (`None` when no date field was named).
pub(crate) fn date_stats(corpus: &Corpus) -> Option<DateStats> {
    let t = corpus.dates.as_ref()?;
    Some(DateStats {
        field: t.field.clone(),
        dated_articles: corpus.articles.iter().filter(|a| a.date.is_some()).count(),
        missing_dates: t.missing,
        unreadable_dates: t.unreadable,
        unreadable_examples: t
            .examples
            .iter()
            .map(|(id, value)| UnreadableDate {
                id: id.clone(),
                value: value.clone(),
            })
            .collect(),
    })
}

/// The vectorizer's document-frequency bounds can't be met by a handful of units; say that in
/// the user's terms (the inputs, the passage count, the keys to change) rather than scikit-learn's.
fn too_few_units(e: crate::Error, source: &Source, units: usize, config: &Config) -> crate::Error {
    match e {
        crate::Error::Param { name: "max_df", .. } => crate::Error::Usage(format!(
            "{}: only {units} passage(s) to analyse, too few for vectorize.min_df = {} and \
             vectorize.max_df = {} (a term must occur in at least min_df and at most max_df of \
             them); add text, cut smaller units (--unit window), or lower min_df",
            source.describe().join(", "),
            config.vectorize.min_df,
            config.vectorize.max_df
        )),
        // "empty vocabulary…": name the inputs it is about.
        crate::Error::Usage(m) => {
            crate::Error::Usage(format!("{}: {m}", source.describe().join(", ")))
        }
        other => other,
    }
}

/// LSA denoises only when it compresses: on a small corpus at most one dimension per
/// `UNITS_PER_DIM` units is kept (100 dimensions need 300 units).
const UNITS_PER_DIM: usize = 3;

fn small_corpus_dims(p: &reduce::LsaParams, units: usize) -> reduce::LsaParams {
    reduce::LsaParams {
        dims: p.dims.min((units / UNITS_PER_DIM).max(2)),
        ..p.clone()
    }
}

/// With `k = "auto"`, silhouette keeps rising with k when every theme would hold a handful of
/// units, so the largest k tried is capped at √units (a theme averages at least √units units).
fn small_corpus_k_range(p: &cluster::ClusterParams, units: usize) -> cluster::ClusterParams {
    let cap = ((units as f64).sqrt().floor() as usize).max(p.k_min);
    cluster::ClusterParams {
        k_max: p.k_max.min(cap),
        ..p.clone()
    }
}

pub(crate) fn article_infos(
    corpus: &Corpus,
    units: &Units,
    assignment: &[usize],
    k: usize,
) -> Vec<ArticleInfo> {
    // One flat table (articles × themes) rather than a vector per article; a row of at least
    // one slot, so every article gets its row even with no themes.
    let row = k.max(1);
    let mut counts = vec![0u32; corpus.articles.len() * row];
    for (u, &t) in units.units.iter().zip(assignment) {
        assert!(t < k, "theme {t} of {k}");
        counts[u.article * row + t] += 1;
    }
    // In parallel: on a large corpus the stand-in titles alone take a while.
    corpus
        .articles
        .par_iter()
        .zip(counts.par_chunks(row))
        .map(|(a, c)| {
            let c = &c[..k];
            let n: u32 = c.iter().sum();
            ArticleInfo {
                id: a.id.clone(),
                title: a.title.clone().or_else(|| opening_words(&a.text, 8)),
                source: a.source.clone(),
                label: a.label.clone(),
                units: n as usize,
                mix: c
                    .iter()
                    .map(|&x| if n == 0 { 0.0 } else { x as f32 / n as f32 })
                    .collect(),
                date: a.date.map(|d| d.iso()),
            }
        })
        .collect()
}

/// A stand-in title for an article without one: its first words, with an ellipsis.
fn opening_words(text: &str, n: usize) -> Option<String> {
    let mut words = text.split_whitespace();
    let mut title = String::new();
    for w in words.by_ref().take(n) {
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(w);
    }
    if title.is_empty() {
        return None;
    }
    if words.next().is_some() {
        title.push_str(" …");
    }
    Some(title)
}

pub(crate) fn theme_articles(
    units: &Units,
    assignment: &[usize],
    theme: usize,
) -> Vec<(usize, usize)> {
    let mut per: std::collections::BTreeMap<usize, usize> = Default::default();
    for (u, &t) in units.units.iter().zip(assignment) {
        if t == theme {
            *per.entry(u.article).or_default() += 1;
        }
    }
    let mut v: Vec<(usize, usize)> = per.into_iter().collect();
    v.sort_by_key(|&(a, n)| (std::cmp::Reverse(n), a));
    v
}

pub(crate) fn external_scores(
    corpus: &Corpus,
    units: &Units,
    assignment: &[usize],
) -> Option<ExternalScores> {
    let labels: Option<Vec<&str>> = units
        .units
        .iter()
        .map(|u| corpus.articles[u.article].label.as_deref())
        .collect();
    let labels = labels?;
    Some(external(&labels, assignment))
}

/// All external scores of a clustering against corpus labels (from one contingency table).
pub fn external<A: std::hash::Hash + Eq, B: std::hash::Hash + Eq>(
    truth: &[A],
    pred: &[B],
) -> ExternalScores {
    let c = eval::Contingency::new(truth, pred);
    ExternalScores {
        nmi: c.nmi(),
        ari: c.ari(),
        v_measure: c.v_measure(),
        homogeneity: c.homogeneity(),
        completeness: c.completeness(),
        purity: c.purity(),
    }
}

fn k_selection_info(c: &cluster::Clustering, k: usize, guided: bool) -> KSelectionInfo {
    match &c.k_selection {
        Some(sel) => {
            let best = sel.scores.iter().find(|s| s.k == sel.chosen);
            KSelectionInfo {
                mode: "auto".into(),
                chosen: k,
                scores: sel
                    .scores
                    .iter()
                    .map(|s| KScoreInfo {
                        k: s.k,
                        silhouette: s.silhouette,
                        inertia: s.inertia,
                    })
                    .collect(),
                reason: {
                    let mut r = format!(
                        "k = {} was chosen automatically: it has the highest mean silhouette (cosine){} of the k from {} to {} that were tried.",
                        sel.chosen,
                        best.map(|b| format!(", {:.3},", b.silhouette))
                            .unwrap_or_default(),
                        sel.scores.first().map_or(0, |s| s.k),
                        sel.scores.last().map_or(0, |s| s.k),
                    );
                    // The final fit can differ from the scan's (named themes start its
                    // centroids); say so rather than show two silhouettes unexplained.
                    if best.is_some_and(|b| (b.silhouette - c.silhouette).abs() >= 0.0005) {
                        r.push_str(&format!(
                            " The final clustering{} has a mean silhouette of {:.3}.",
                            if guided {
                                ", started from the named themes,"
                            } else {
                                ""
                            },
                            c.silhouette
                        ));
                    }
                    r
                },
            }
        }
        None => KSelectionInfo {
            mode: "fixed".into(),
            chosen: k,
            scores: Vec::new(),
            reason: format!("k = {k} was set in the configuration."),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Clustering, Dendrogram, KScore, KSelection};

    #[test]
    fn stand_in_titles_are_the_first_words_with_an_ellipsis_when_cut() {
        assert_eq!(opening_words("  \n\t ", 3), None);
        assert_eq!(opening_words("one", 3).as_deref(), Some("one"));
        assert_eq!(
            opening_words(" one\ttwo\n three ", 3).as_deref(),
            Some("one two three")
        );
        assert_eq!(
            opening_words("one two three four", 3).as_deref(),
            Some("one two three …")
        );
        assert_eq!(
            opening_words("Ünïcode wörds", 1).as_deref(),
            Some("Ünïcode …")
        );
    }

    fn clustering(scan: &[(usize, f32)], chosen: usize, final_silhouette: f32) -> Clustering {
        Clustering {
            labels: vec![0, 1],
            centroids: ndarray::Array2::zeros((chosen, 2)),
            inertia: 1.0,
            k_selection: Some(KSelection {
                scores: scan
                    .iter()
                    .map(|&(k, silhouette)| KScore {
                        k,
                        silhouette,
                        inertia: 1.0,
                    })
                    .collect(),
                chosen,
            }),
            silhouette: final_silhouette,
            hierarchy: Dendrogram { merges: Vec::new() },
        }
    }

    #[test]
    fn k_reason_explains_a_final_silhouette_that_differs_from_the_scan() {
        let scan = [(2, 0.10), (3, 0.151), (4, 0.12)];
        let same = k_selection_info(&clustering(&scan, 3, 0.151), 3, false).reason;
        assert!(same.contains("k = 3") && same.contains("0.151") && same.contains("2 to 4"));
        assert!(!same.contains("final clustering"), "{same}");
        let guided = k_selection_info(&clustering(&scan, 3, 0.170), 3, true).reason;
        assert!(
            guided.contains("The final clustering, started from the named themes, has a mean silhouette of 0.170."),
            "{guided}"
        );
    }
}
