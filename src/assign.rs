//! `themata assign`'s analysis: new articles placed in a finished run's themes with its saved
//! [`Model`], without clustering again, so the themes do not change under them.
//!
//! The articles are read, cleaned and cut with the run's own options, weighted with the run's
//! vocabulary and IDF, projected with its LSA map, and each unit goes to the theme the run would
//! have given it ([`Model::themes_of`]). A unit less similar to its theme than the theme's own
//! units mostly are (below [`crate::config::AssignParams::outlier_percentile`] of them) is an
//! outlier. The result is a [`RunReport`] whose themes are the run's, sized by the new units.

use std::time::Instant;

use ndarray::Axis;

use crate::config::Config;
use crate::error::Result;
use crate::model::Model;
use crate::pipeline::{self, Progress, Source};
use crate::report::model::*;
use crate::{reduce, themes, units, vectorize};

/// Places the articles of `source` in the themes of a saved run's `model`. `config` is the
/// model's config with any input-format options changed (fields, strictness); `of` names the run
/// folder as the user gave it.
pub fn assign(
    model: &Model,
    source: &Source,
    config: &Config,
    of: &str,
    name: &str,
    progress: &dyn Progress,
) -> Result<RunReport> {
    let mut timings = Vec::new();
    let mut time = |stage: &str, t: Instant| {
        let seconds = t.elapsed().as_secs_f64();
        progress.finish(stage, seconds);
        timings.push(StageTime {
            stage: stage.into(),
            seconds,
        });
    };
    let k = model.k();

    progress.start("ingest");
    let t = Instant::now();
    let corpus = pipeline::ingest(source, config)?;
    config.huge_pages.apply(corpus.bytes());
    time("ingest", t);
    progress.start("units");
    let t = Instant::now();
    let units = units::split(&corpus, &config.units)?;
    let texts = units.texts(&corpus);
    time("units", t);
    progress.start("vectorize");
    let t = Instant::now();
    let (x, coverage) = vectorize::transform_fixed(
        &texts,
        &model.vocab,
        &model.df,
        model.meta.documents,
        &config.vectorize,
    )?;
    time("vectorize", t);
    progress.start("reduce");
    let t = Instant::now();
    let embedding = reduce::project(&x, model.components.view());
    time("reduce", t);

    progress.start("assign");
    let t = Instant::now();
    let assignment = model.themes_of(embedding.view());
    // As the run scores its units: each row's dot product with its theme's unit-length mean.
    let scores: Vec<f32> = assignment
        .iter()
        .enumerate()
        .map(|(u, &th)| embedding.row(u).dot(&model.theme_centroids.row(th)))
        .collect();
    let percentile = config.assign.outlier_percentile;
    let thresholds = model.outlier_thresholds(percentile);
    // A passage with no term of the vocabulary has no position to judge: always an outlier.
    let empty: Vec<bool> = x.indptr().windows(2).map(|w| w[0] == w[1]).collect();
    let outliers: Vec<usize> = (0..units.len())
        .filter(|&u| empty[u] || scores[u] < thresholds[assignment[u]])
        .collect();
    let empty_units = empty.iter().filter(|&&e| e).count();
    let (units_xy, _) = themes::project_2d(embedding.view(), model.theme_centroids.view());
    time("assign", t);

    progress.start("themes");
    let t = Instant::now();
    let mut sizes = vec![0usize; k];
    let mut sums = vec![0f32; k];
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (u, &th) in assignment.iter().enumerate() {
        sizes[th] += 1;
        sums[th] += scores[u];
        members[th].push(u);
    }
    let reps = config.themes.representatives;
    let new_themes: Vec<ThemeInfo> = model
        .meta
        .themes
        .iter()
        .enumerate()
        .map(|(id, old)| {
            let mut m = std::mem::take(&mut members[id]);
            m.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
            m.truncate(reps);
            ThemeInfo {
                id,
                label: old.label.clone(),
                named: old.named.clone(),
                size: sizes[id],
                terms: old.terms.clone(),
                representatives: m,
                cohesion: if sizes[id] == 0 {
                    0.0
                } else {
                    sums[id] / sizes[id] as f32
                },
                coherence: None,
                xy: old.xy,
                articles: pipeline::theme_articles(&units, &assignment, id),
            }
        })
        .collect();
    let unit_records = pipeline::unit_records(
        &units,
        &texts,
        config.output.unit_text,
        new_themes
            .iter()
            .flat_map(|t| t.representatives.iter().copied()),
        (&assignment, &scores, &units_xy),
    );
    let silhouette = crate::cluster::silhouette_sampled(
        embedding.view(),
        &assignment,
        config.cluster.silhouette_sample,
        config.seed,
    );
    // Squared distances to the unit-length theme means: 2 − 2·similarity for unit rows.
    let inertia = embedding
        .axis_iter(Axis(0))
        .zip(&scores)
        .map(|(r, &s)| (r.dot(&r) - 2.0 * s + 1.0).max(0.0) as f64)
        .sum();
    let rule = match model.meta.method {
        crate::cluster::Method::Kmeans => {
            "each passage went to the nearest of the run's k-means centroids, as the run's own \
             passages did"
        }
        crate::cluster::Method::Hierarchical => {
            "each passage went to the theme whose centroid it is most similar to (a hierarchical \
             run's tree cannot take new passages, so a run's own passages may land elsewhere)"
        }
    };
    time("themes", t);

    let mut warnings = corpus.warnings.clone();
    if coverage.terms > 0 && coverage.unknown_share() > 0.5 {
        warnings.push(format!(
            "{:.0} % of the new passages' term occurrences are not in the run's vocabulary: \
             the run's themes may not describe these articles",
            100.0 * coverage.unknown_share()
        ));
    }
    if empty_units > 0 {
        warnings.push(format!(
            "{empty_units} new passage(s) hold no term of the run's vocabulary: they are placed \
             at similarity 0 and flagged as outliers"
        ));
    }
    Ok(RunReport {
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
            vocabulary: x.cols(),
            nnz: x.nnz(),
            dims: model.meta.dims,
            dates: pipeline::date_stats(&corpus),
        },
        articles: pipeline::article_infos(&corpus, &units, &assignment, k),
        themes: new_themes,
        units: unit_records,
        similarity: model.meta.similarity.clone(),
        hierarchy: model.meta.hierarchy.clone(),
        k_selection: KSelectionInfo {
            mode: "assigned".into(),
            chosen: k,
            scores: Vec::new(),
            reason: format!(
                "The {k} themes are those of the run `{}` ({of}); {rule}.",
                model.meta.run
            ),
        },
        projection: model.meta.projection.clone(),
        scores: Scores {
            silhouette,
            inertia,
            external: pipeline::external_scores(&corpus, &units, &assignment),
        },
        coherence: None,
        timings,
        warnings,
        named_themes: model.meta.named_themes.clone(),
        cleaning: corpus.cleaning,
        // Not binned: the themes' terms per bin need the run's class-based TF-IDF; the articles'
        // dates are in run.json and assignments.csv.
        themes_over_time: None,
        assignment: Some(AssignmentInfo {
            of: of.into(),
            run: model.meta.run.clone(),
            rule: rule.into(),
            outlier_percentile: percentile,
            thresholds,
            outliers,
            terms: coverage.terms,
            known_terms: coverage.known,
            empty_units,
            background: model.meta.background.clone(),
        }),
    })
}
