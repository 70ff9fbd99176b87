//! Themes stage: clusters become named, described themes.
//!
//! In: the units' texts, the fitted TF-IDF vocabulary, the LSA embedding and the clustering.
//! Out: [`Themes`] — per theme its class-based TF-IDF top terms, size, most representative units,
//! cohesion, 2-D map position and label, with themes ordered largest first; plus each unit's
//! theme and each article's theme mix. Named themes from the config guide the clustering (their
//! seed terms, projected into LSA space, start centroids: [`guide`]) and name the cluster they
//! match best; clusters matching none are labelled from their top terms.

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::reduce::Lsa;
use crate::vectorize::{Analyzer, Tfidf, TfidfParams};

mod label;
use label::{LABEL_CANDIDATES, has_letter, label_from_terms};

/// A theme the user names in the config, with a few seed terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedTheme {
    /// The theme's name, used as the label of the cluster it matches.
    pub name: String,
    /// Words or phrases typical of the theme.
    pub seed_terms: Vec<String>,
}

/// The `[themes]` table of the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThemeParams {
    /// Top terms kept per theme.
    pub top_terms: usize,
    /// Representative units kept per theme.
    pub representatives: usize,
    /// Top terms joined into the label of a theme no named theme matches.
    pub label_terms: usize,
    /// Let named themes start centroids (`--no-guide` turns this off; they still name clusters).
    pub guide: bool,
    /// Least cosine similarity between a named theme and a cluster centroid for the name to stick.
    pub min_match: f32,
    /// Least share of a theme's top-term weight (class-based TF-IDF over its `top_terms`) that a
    /// named theme's seed terms must carry for the name to stick: a named theme names a theme
    /// whose own vocabulary is its seed terms, never one that merely lies nearest.
    pub min_term_share: f32,
    /// Least share of a named theme's seed terms that must occur in the corpus for it to be used.
    pub min_seed_coverage: f32,
    /// Named themes (`[[themes.named]]`).
    pub named: Vec<NamedTheme>,
    /// Top terms per theme scored for coherence and diversity (0 turns scoring off).
    pub coherence_top_n: usize,
    /// A theme whose `c_npmi` is below this is marked "low coherence".
    pub low_coherence: f64,
}

impl Default for ThemeParams {
    fn default() -> Self {
        ThemeParams {
            top_terms: 10,
            representatives: 3,
            label_terms: 3,
            guide: true,
            min_match: 0.2,
            min_term_share: 0.1,
            min_seed_coverage: 0.5,
            named: Vec::new(),
            coherence_top_n: 10,
            low_coherence: 0.05,
        }
    }
}

impl ThemeParams {
    /// Checks ranges, naming the key at fault.
    pub fn check(&self) -> Result<()> {
        if self.top_terms == 0 {
            return Err(Error::param("themes.top_terms", "must be at least 1"));
        }
        if self.label_terms == 0 || self.label_terms > self.top_terms {
            return Err(Error::param(
                "themes.label_terms",
                format!(
                    "must be between 1 and themes.top_terms ({})",
                    self.top_terms
                ),
            ));
        }
        for (key, v) in [
            ("themes.min_match", self.min_match),
            ("themes.min_term_share", self.min_term_share),
            ("themes.min_seed_coverage", self.min_seed_coverage),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::param(
                    key,
                    format!("must be between 0 and 1, got {v}"),
                ));
            }
        }
        for (i, t) in self.named.iter().enumerate() {
            if t.name.trim().is_empty() || t.seed_terms.is_empty() {
                return Err(Error::param(
                    "themes.named",
                    format!(
                        "entry {} needs a non-empty name and at least one seed term",
                        i + 1
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Named themes that occur in the corpus, as unit vectors in LSA space.
#[derive(Debug, Clone)]
pub struct Guide {
    /// Index into `ThemeParams::named` of each row of `vectors`.
    pub named: Vec<usize>,
    /// One L2-normalised LSA vector per usable named theme.
    pub vectors: Array2<f32>,
    /// The vocabulary terms each usable named theme's seed terms become (the run's analyzer).
    pub terms: Vec<FxHashSet<String>>,
    /// Named themes left out, with why.
    pub warnings: Vec<String>,
}

/// Projects the named themes' seed terms into LSA space; themes whose seed terms mostly do not
/// occur in the corpus are left out with a warning.
pub fn guide(
    params: &ThemeParams,
    tfidf: &Tfidf,
    vec_params: &TfidfParams,
    lsa: &Lsa,
) -> Result<Guide> {
    let mut named = Vec::new();
    let mut rows: Vec<Vec<f32>> = Vec::new();
    let mut terms = Vec::new();
    let mut warnings = Vec::new();
    let vocab: FxHashMap<&str, usize> = tfidf
        .vocab
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let analyzer = Analyzer::new(vec_params)?;
    for (i, theme) in params.named.iter().enumerate() {
        let present = theme
            .seed_terms
            .iter()
            .filter(|t| {
                analyzer
                    .terms(t)
                    .iter()
                    .any(|tok| vocab.contains_key(tok.as_str()))
            })
            .count();
        let coverage = present as f32 / theme.seed_terms.len() as f32;
        if vocab.is_empty() || coverage < params.min_seed_coverage {
            warnings.push(format!(
                "named theme \"{}\": {present} of {} seed terms occur in the corpus; not used",
                theme.name,
                theme.seed_terms.len()
            ));
            continue;
        }
        let docs: Vec<&str> = theme.seed_terms.iter().map(String::as_str).collect();
        let x = tfidf.transform(&docs, vec_params)?;
        let proj = lsa.project(&x);
        let mut v = proj.sum_axis(Axis(0));
        let n = v.dot(&v).sqrt();
        if n <= f32::EPSILON {
            warnings.push(format!(
                "named theme \"{}\": seed terms carry no weight; not used",
                theme.name
            ));
            continue;
        }
        v /= n;
        named.push(i);
        rows.push(v.to_vec());
        terms.push(
            theme
                .seed_terms
                .iter()
                .flat_map(|t| analyzer.terms(t))
                .filter(|tok| vocab.contains_key(tok.as_str()))
                .collect(),
        );
    }
    let d = lsa.embedding.ncols();
    let flat: Vec<f32> = rows.concat();
    let vectors = Array2::from_shape_vec((named.len(), d), flat)
        .map_err(|e| Error::Internal(format!("guide vectors: {e}")))?;
    Ok(Guide {
        named,
        vectors,
        terms,
        warnings,
    })
}

/// One described theme (ids are final: largest theme first).
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// Label: the matched named theme, or built from the top terms.
    pub label: String,
    /// The named theme it matched, if any.
    pub named: Option<String>,
    /// Units in the theme.
    pub size: usize,
    /// Top terms and their c-TF-IDF weights, best first.
    pub terms: Vec<(String, f32)>,
    /// Most representative unit ids, best first.
    pub representatives: Vec<usize>,
    /// Mean cosine similarity of members to the centroid.
    pub cohesion: f32,
    /// Unit-length centroid in LSA space.
    pub centroid: Vec<f32>,
}

/// The themes of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Themes {
    /// Themes, largest first.
    pub themes: Vec<Theme>,
    /// Final theme id of each unit.
    pub assignment: Vec<usize>,
    /// Cosine similarity of each unit to its theme's centroid.
    pub scores: Vec<f32>,
    /// Cosine similarity between theme centroids.
    pub similarity: Vec<Vec<f32>>,
    /// 2-D map positions of units and of theme centroids.
    pub units_xy: Vec<[f32; 2]>,
    /// 2-D map positions of the theme centroids.
    pub themes_xy: Vec<[f32; 2]>,
    /// What became of each named theme, in config order.
    pub named: Vec<NamedMatch>,
    /// Each term's inverse class frequency in the class-based TF-IDF that ranked the themes'
    /// terms (empty in hashing mode): [`group_terms`] ranks any other grouping of the units
    /// against it.
    pub icf: Vec<f64>,
}

/// What became of one named theme.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedMatch {
    /// Its name.
    pub name: String,
    /// The theme it names, when one fits.
    pub theme: Option<usize>,
    /// Cosine similarity to the centroid of that theme, or of the best-fitting one when none fits
    /// (the theme whose top terms its seed terms carry most of).
    pub similarity: f32,
    /// Share of that theme's top-term weight carried by its seed terms.
    pub term_share: f32,
    /// The theme compared, named or not.
    pub closest: Option<usize>,
    /// Whether enough of its seed terms occur in the corpus for it to be looked for.
    pub in_corpus: bool,
}

/// Describes the clusters: renumbers them largest first, finds their top terms by class-based
/// TF-IDF, their representative units, and labels them.
pub fn describe(
    labels: &[usize],
    embedding: ArrayView2<'_, f32>,
    tfidf: &Tfidf,
    vec_params: &TfidfParams,
    params: &ThemeParams,
    guide: Option<&Guide>,
) -> Result<Themes> {
    let n = labels.len();
    let k = labels.iter().copied().max().map_or(0, |m| m + 1);
    // Renumber: largest first, ties by first unit.
    let mut sizes = vec![0usize; k];
    let mut first = vec![usize::MAX; k];
    for (u, &l) in labels.iter().enumerate() {
        sizes[l] += 1;
        first[l] = first[l].min(u);
    }
    let mut order: Vec<usize> = (0..k).filter(|&c| sizes[c] > 0).collect();
    order.sort_by_key(|&c| (std::cmp::Reverse(sizes[c]), first[c]));
    let mut remap = vec![usize::MAX; k];
    for (new, &old) in order.iter().enumerate() {
        remap[old] = new;
    }
    let k = order.len();
    let assignment: Vec<usize> = labels.iter().map(|&l| remap[l]).collect();

    // Centroids (mean of members, normalised) and member scores.
    let d = embedding.ncols();
    let mut centroids = Array2::<f32>::zeros((k, d));
    for (u, &t) in assignment.iter().enumerate() {
        let mut row = centroids.row_mut(t);
        row += &embedding.row(u);
    }
    for mut row in centroids.rows_mut() {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row /= norm;
        }
    }
    let scores: Vec<f32> = (0..n)
        .map(|u| embedding.row(u).dot(&centroids.row(assignment[u])))
        .collect();

    let ClassTerms {
        top: terms,
        label_candidates,
        icf,
    } = class_tfidf(&assignment, k, tfidf, vec_params, params.top_terms);

    let (names, named) = match_named(params, guide, &centroids, &terms);
    let mut themes = Vec::with_capacity(k);
    for t in 0..k {
        let mut members: Vec<usize> = (0..n).filter(|&u| assignment[u] == t).collect();
        let cohesion =
            members.iter().map(|&u| scores[u]).sum::<f32>() / members.len().max(1) as f32;
        members.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        let representatives = members.into_iter().take(params.representatives).collect();
        let label = names[t]
            .clone()
            .unwrap_or_else(|| label_from_terms(&label_candidates[t], params.label_terms, t));
        themes.push(Theme {
            label,
            named: names[t].clone(),
            size: sizes[order[t]],
            terms: terms[t].clone(),
            representatives,
            cohesion,
            centroid: centroids.row(t).to_vec(),
        });
    }
    dedupe_labels(&mut themes);

    let similarity: Vec<Vec<f32>> = (0..k)
        .map(|a| {
            (0..k)
                .map(|b| centroids.row(a).dot(&centroids.row(b)))
                .collect()
        })
        .collect();
    let (units_xy, mut themes_xy) = project_2d(embedding, centroids.view());
    // Each theme is marked at the mean of its units' positions (the projection is affine, so
    // this is where the mean of its vectors lands). The unit-length centroids would sit outside
    // their clouds, by 1 / (the mean's norm), which puts the labels beside the points they name.
    let mut sums = vec![[0f64; 3]; k];
    for (xy, &t) in units_xy.iter().zip(&assignment) {
        sums[t][0] += xy[0] as f64;
        sums[t][1] += xy[1] as f64;
        sums[t][2] += 1.0;
    }
    for (xy, [x, y, n]) in themes_xy.iter_mut().zip(sums) {
        if n > 0.0 {
            *xy = [(x / n) as f32, (y / n) as f32];
        }
    }
    Ok(Themes {
        themes,
        assignment,
        scores,
        similarity,
        units_xy,
        themes_xy,
        named,
        icf,
    })
}

/// The caption of the 2-D projection [`describe`] uses.
pub const PROJECTION: &str = "units on the two principal axes of the theme centroids (PCA in LSA space); labels at theme means";

/// Names themes after the named themes that fit them, one to one: a pair fits when the theme's
/// centroid is at least `min_match` similar to the named theme's seed vector and its seed terms
/// carry at least `min_term_share` of the theme's top-term weight; fitting pairs are taken most
/// similar first. A named theme that fits none names none (and says which theme came closest).
fn match_named(
    params: &ThemeParams,
    guide: Option<&Guide>,
    centroids: &Array2<f32>,
    top: &[Vec<(String, f32)>],
) -> (Vec<Option<String>>, Vec<NamedMatch>) {
    let k = top.len();
    let mut names: Vec<Option<String>> = vec![None; k];
    let Some(g) = guide else {
        return (names, Vec::new());
    };
    let share = |gi: usize, t: usize| {
        let total: f32 = top[t].iter().map(|(_, w)| w).sum();
        let seeds: f32 = top[t]
            .iter()
            .filter(|(term, _)| g.terms[gi].contains(term))
            .map(|(_, w)| w)
            .sum();
        // `max`: a float sum of nothing is -0.0.
        if total > 0.0 {
            (seeds / total).max(0.0)
        } else {
            0.0
        }
    };
    // (similarity, share) of every named theme against every theme.
    let fit: Vec<Vec<(f32, f32)>> = g
        .vectors
        .rows()
        .into_iter()
        .enumerate()
        .map(|(gi, v)| {
            (0..k)
                .map(|t| (v.dot(&centroids.row(t)), share(gi, t)))
                .collect()
        })
        .collect();
    let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
    for (gi, row) in fit.iter().enumerate() {
        for (t, &(sim, sh)) in row.iter().enumerate() {
            if sim >= params.min_match && sh >= params.min_term_share {
                pairs.push((sim, gi, t));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut theme_of: Vec<Option<usize>> = vec![None; g.named.len()];
    for (_, gi, t) in pairs {
        if theme_of[gi].is_none() && names[t].is_none() {
            theme_of[gi] = Some(t);
            names[t] = Some(params.named[g.named[gi]].name.clone());
        }
    }
    let mut matches: Vec<NamedMatch> = params
        .named
        .iter()
        .map(|n| NamedMatch {
            name: n.name.clone(),
            theme: None,
            similarity: 0.0,
            term_share: 0.0,
            closest: None,
            in_corpus: false,
        })
        .collect();
    for (gi, &i) in g.named.iter().enumerate() {
        // The theme it names, or else the one its seed terms fit best (then the most similar).
        let closest = theme_of[gi].or_else(|| {
            (0..k).max_by(|&a, &b| {
                let (fa, fb) = (fit[gi][a], fit[gi][b]);
                fa.1.total_cmp(&fb.1)
                    .then(fa.0.total_cmp(&fb.0))
                    .then(b.cmp(&a))
            })
        });
        let m = &mut matches[i];
        m.in_corpus = true;
        m.theme = theme_of[gi];
        m.closest = closest;
        if let Some(t) = closest {
            (m.similarity, m.term_share) = fit[gi][t];
        }
    }
    (names, matches)
}

/// Each theme's terms ranked by class-based TF-IDF, as [`class_tfidf`] gives them.
struct ClassTerms {
    /// The top terms and their weights, best first: the terms shown and stored for each theme.
    top: Vec<Vec<(String, f32)>>,
    /// The best terms that hold a letter, best first, at least [`LABEL_CANDIDATES`] of them
    /// when the theme has as many: what its label is built from.
    label_candidates: Vec<Vec<String>>,
    /// Each term's inverse class frequency, `ln(1 + A / f)`.
    icf: Vec<f64>,
}

/// Top terms of every theme by class-based TF-IDF: a term's frequency in the theme (normalised
/// by the theme's length) times `ln(1 + A / f)`, with `A` the mean number of terms per theme and
/// `f` the term's frequency in the whole corpus — terms frequent in this theme and rare elsewhere.
/// With `sublinear` (the vectorizer's `sublinear_tf`), a term counts `1 + ln n` for `n`
/// occurrences in one unit, so a few units repeating a token hundreds of times (uuencoded
/// files, tables, spam) cannot name a theme of thousands.
///
/// The counts come from the TF-IDF matrix itself ([`Tfidf::for_each_count`]), so the units are
/// not tokenised a second time; each theme sums its own units in order (themes in parallel), so
/// the result does not depend on the thread count. With the vectorizer's `binary`, a term counts
/// once per unit here too (the matrix keeps no more), so themes are named by how many of their
/// units hold a term.
///
/// Besides the `top` terms, each theme gets the label candidates: its best
/// `max(top, LABEL_CANDIDATES)` terms that hold a letter, ranked the same way, so that a theme
/// whose top terms are all numbers ("10, 11, 12, 15, 14") is still labelled with words.
fn class_tfidf(
    assignment: &[usize],
    k: usize,
    tfidf: &Tfidf,
    vec_params: &TfidfParams,
    top: usize,
) -> ClassTerms {
    if tfidf.vocab.is_empty() {
        return ClassTerms {
            top: vec![Vec::new(); k],
            label_candidates: vec![Vec::new(); k],
            icf: Vec::new(),
        };
    }
    let v = tfidf.vocab.len();
    let sublinear = vec_params.sublinear_tf;
    let mut members = vec![Vec::new(); k];
    for (r, &t) in assignment.iter().enumerate() {
        members[t].push(r);
    }
    let counter = tfidf.counts(vec_params);
    let counts: Vec<Vec<f64>> = members
        .into_par_iter()
        .map(|rows| {
            let mut c = vec![0f64; v];
            counter.for_each(rows, |_, col, n| {
                c[col as usize] += if sublinear { 1.0 + n.ln() } else { n };
            });
            c
        })
        .collect();
    let totals: Vec<f64> = counts.iter().map(|c| c.iter().sum()).collect();
    let avg = totals.iter().sum::<f64>() / k.max(1) as f64;
    let mut freq = vec![0f64; v];
    for c in &counts {
        for (f, x) in freq.iter_mut().zip(c) {
            *f += x;
        }
    }
    // Each term's inverse class frequency, once for all themes (not once per theme holding it).
    let icf: Vec<f64> = freq
        .par_iter()
        .map(|&f| if f > 0.0 { (1.0 + avg / f).ln() } else { 0.0 })
        .collect();
    // Whether each term may be a label word, once for all themes.
    let lettered: Vec<bool> = tfidf.vocab.par_iter().map(|t| has_letter(t)).collect();
    let candidates = top.max(LABEL_CANDIDATES);
    let (top_terms, label_candidates) = counts
        .par_iter()
        .zip(&totals)
        .map(|(c, &total)| {
            let w: Vec<(u32, f64)> = c
                .iter()
                .enumerate()
                .filter(|&(_, &x)| x > 0.0)
                .map(|(id, &x)| (id as u32, x / total.max(1.0) * icf[id]))
                .collect();
            let words: Vec<(u32, f64)> = w
                .iter()
                .copied()
                .filter(|&(id, _)| lettered[id as usize])
                .collect();
            let shown = best(w, top)
                .into_iter()
                .map(|(id, x)| (tfidf.vocab[id as usize].clone(), x as f32))
                .collect();
            let label = best(words, candidates)
                .into_iter()
                .map(|(id, _)| tfidf.vocab[id as usize].clone())
                .collect();
            (shown, label)
        })
        .unzip();
    ClassTerms {
        top: top_terms,
        label_candidates,
        icf,
    }
}

/// The `top` terms of each group of units (rows of `tfidf`) by class-based TF-IDF against the
/// themes' inverse class frequencies `icf` ([`Themes::icf`]): a term's weight is its count in
/// the group (`1 + ln n` per unit with `sublinear_tf`, as [`class_tfidf`] counts) over the
/// group's total count, times its `icf`. This is how BERTopic's `topics_over_time` ranks a
/// topic's words within one time bin: the group's own frequencies, the fitted model's idf.
///
/// Each group's entries are gathered, sorted by column (stably) and summed in that order, so
/// the weights do not depend on the thread count; the cost is one pass over the groups' rows,
/// never a vocabulary-long vector per group. Empty when `icf` is (hashing mode).
pub fn group_terms(
    groups: &[Vec<usize>],
    tfidf: &Tfidf,
    vec_params: &TfidfParams,
    icf: &[f64],
    top: usize,
) -> Vec<Vec<(String, f32)>> {
    if icf.is_empty() || tfidf.vocab.len() != icf.len() {
        return vec![Vec::new(); groups.len()];
    }
    let counter = tfidf.counts(vec_params);
    let sublinear = vec_params.sublinear_tf;
    groups
        .par_iter()
        .map(|rows| {
            let mut entries: Vec<(u32, f64)> = Vec::new();
            counter.for_each(rows.iter().copied(), |_, col, n| {
                entries.push((col, if sublinear { 1.0 + n.ln() } else { n }));
            });
            entries.sort_by_key(|e| e.0);
            let mut summed: Vec<(u32, f64)> = Vec::new();
            for (col, x) in entries {
                match summed.last_mut() {
                    Some(last) if last.0 == col => last.1 += x,
                    _ => summed.push((col, x)),
                }
            }
            let total: f64 = summed.iter().map(|e| e.1).sum();
            let w = summed
                .into_iter()
                .map(|(col, x)| (col, x / total.max(1.0) * icf[col as usize]))
                .collect();
            best(w, top)
                .into_iter()
                .map(|(id, x)| (tfidf.vocab[id as usize].clone(), x as f32))
                .collect()
        })
        .collect()
}

/// The `n` heaviest of `w` in full order (weight, then term id), without sorting all of a
/// theme's terms (tens of thousands on a large corpus): the order is total, so the result is the
/// same as a full sort's.
fn best(mut w: Vec<(u32, f64)>, n: usize) -> Vec<(u32, f64)> {
    let order = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if w.len() > n {
        w.select_nth_unstable_by(n, order);
        w.truncate(n);
    }
    w.sort_by(order);
    w
}

/// Two themes never share a label: later ones get their number appended.
fn dedupe_labels(themes: &mut [Theme]) {
    for i in 1..themes.len() {
        if themes[..i].iter().any(|t| t.label == themes[i].label) {
            themes[i].label = format!("{} ({})", themes[i].label, i + 1);
        }
    }
}

/// Positions on the two principal axes of the centroids: the plane in which the themes are most
/// spread out, so clusters separate better than on the first two LSA components.
/// The centroids alone fix the plane, so a saved model's centroids place new units on the same
/// map.
pub fn project_2d(
    embedding: ArrayView2<'_, f32>,
    centroids: ArrayView2<'_, f32>,
) -> (Vec<[f32; 2]>, Vec<[f32; 2]>) {
    let d = embedding.ncols();
    let mean = centroids
        .mean_axis(Axis(0))
        .unwrap_or_else(|| ndarray::Array1::zeros(d));
    let c = &centroids - &mean;
    let cov = c.t().dot(&c); // d × d
    let axes = top_eigenvectors(cov.view(), 2);
    let project = |row: ArrayView1<'_, f32>| {
        let x = &row - &mean;
        [x.dot(&axes[0]), x.dot(&axes[1])]
    };
    (
        embedding.rows().into_iter().map(project).collect(),
        centroids.rows().into_iter().map(project).collect(),
    )
}

/// The `m` leading eigenvectors of a small symmetric matrix by power iteration with deflation,
/// from a fixed start so the result is deterministic; signs fixed so the largest entry is positive.
fn top_eigenvectors(a: ArrayView2<'_, f32>, m: usize) -> Vec<ndarray::Array1<f32>> {
    let d = a.nrows();
    let mut a = a.to_owned();
    let mut out = Vec::with_capacity(m);
    for j in 0..m {
        let mut v =
            ndarray::Array1::from_iter((0..d).map(|i| 1.0 + ((i * 7 + j * 13) % 17) as f32 / 17.0));
        let mut lambda = 0.0;
        for _ in 0..300 {
            let w = a.dot(&v);
            let norm = w.dot(&w).sqrt();
            if norm <= 1e-12 {
                break;
            }
            let next = w / norm;
            let delta = (&next - &v).mapv(f32::abs).sum();
            v = next;
            lambda = norm;
            if delta < 1e-7 {
                break;
            }
        }
        let nv = v.dot(&v).sqrt();
        if nv > 0.0 {
            v /= nv;
        }
        if v.iter().copied().max_by(|a, b| a.abs().total_cmp(&b.abs())) < Some(0.0) {
            v.mapv_inplace(|x| -x);
        }
        // Deflate.
        let outer = v
            .view()
            .insert_axis(Axis(1))
            .dot(&v.view().insert_axis(Axis(0)));
        a = &a - &(outer * lambda);
        out.push(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_of_a_numeric_cluster_uses_its_first_lettered_terms() {
        // Theme 1 (ten units): twelve numbers in every unit (a table, as in 20 Newsgroups'
        // "10, 11, 12, 15, 14" cluster), "table" in five units, "tables" in four, "chart" in
        // three; theme 2: units about trains.
        let numbers: Vec<String> = (10..22).map(|i| i.to_string()).collect();
        let numbers = numbers.join(" ");
        let mut texts: Vec<String> = (0..10)
            .map(|i| {
                let mut t = numbers.clone();
                for (word, units) in [("table", 5), ("tables", 4), ("chart", 3)] {
                    if i < units {
                        t = format!("{t} {word}");
                    }
                }
                t
            })
            .collect();
        texts.extend((0..10).map(|_| "train rail station track".to_owned()));
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vec_params = TfidfParams::default();
        let tfidf = crate::vectorize::fit_transform(&refs, &vec_params).unwrap();
        let labels: Vec<usize> = (0..20).map(|u| usize::from(u >= 10)).collect();
        let embedding =
            Array2::from_shape_fn((20, 2), |(u, j)| f32::from(u8::from(j == labels[u])));
        let params = ThemeParams::default();
        let themes = describe(
            &labels,
            embedding.view(),
            &tfidf,
            &vec_params,
            &params,
            None,
        )
        .unwrap();
        let numeric = &themes.themes[0];
        // The shown terms stay the top ten, all numbers here.
        assert_eq!(numeric.terms.len(), params.top_terms);
        assert!(
            numeric.terms.iter().all(|(t, _)| !has_letter(t)),
            "{:?}",
            numeric.terms
        );
        // The label comes from the lettered terms further down, "tables" folded into "table".
        assert_eq!(numeric.label, "table · chart");
        // Equal weights rank in vocabulary order.
        assert_eq!(themes.themes[1].label, "rail · station · track");
    }

    #[test]
    fn power_iteration_finds_the_dominant_axis() {
        let a = ndarray::array![[4.0f32, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 2.0]];
        let v = top_eigenvectors(a.view(), 2);
        assert!((v[0][0].abs() - 1.0).abs() < 1e-4, "{:?}", v[0]);
        assert!((v[1][2].abs() - 1.0).abs() < 1e-3, "{:?}", v[1]);
    }

    #[test]
    fn group_terms_of_a_whole_theme_are_its_class_terms() {
        // The per-bin ranking is class_tfidf's own: a group holding all of a theme's units
        // ranks its terms exactly as the theme's, under raw and sublinear tf.
        let texts: Vec<String> = (0..12)
            .map(|i| match i % 3 {
                0 => format!("boat sail boat harbour crew w{}", i % 4),
                1 => format!("train rail station rail rail w{}", i % 4),
                _ => format!("boat train harbour station w{}", i % 4),
            })
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let assignment: Vec<usize> = (0..12).map(|i| i % 3).collect();
        for sublinear_tf in [false, true] {
            let params = crate::vectorize::TfidfParams {
                sublinear_tf,
                ..Default::default()
            };
            let tfidf = crate::vectorize::fit_transform(&refs, &params).unwrap();
            let class = class_tfidf(&assignment, 3, &tfidf, &params, 6);
            let groups: Vec<Vec<usize>> = (0..3)
                .map(|t| (0..12).filter(|&u| assignment[u] == t).collect())
                .collect();
            let per_group = group_terms(&groups, &tfidf, &params, &class.icf, 6);
            assert_eq!(per_group, class.top, "sublinear_tf = {sublinear_tf}");
            assert_eq!(
                group_terms(&[Vec::new()], &tfidf, &params, &class.icf, 6),
                [Vec::<(String, f32)>::new()]
            );
        }
    }

    #[test]
    fn one_unit_repeating_a_token_does_not_name_its_theme_with_sublinear_tf() {
        // Theme 0: nine units about boats, one unit that is a token repeated 300 times (as a
        // uuencoded attachment is); theme 1: units about trains.
        let spam = vec!["qqx"; 300].join(" ");
        let mut texts: Vec<String> = (0..9)
            .map(|i| format!("boat sail harbour crew {i}"))
            .collect();
        texts.push(spam);
        texts.extend((0..10).map(|i| format!("train rail station track {i}")));
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let assignment: Vec<usize> = (0..20).map(|i| usize::from(i >= 10)).collect();
        let top_term = |sublinear: bool| {
            let params = crate::vectorize::TfidfParams {
                sublinear_tf: sublinear,
                ..Default::default()
            };
            let tfidf = crate::vectorize::fit_transform(&refs, &params).unwrap();
            let terms = class_tfidf(&assignment, 2, &tfidf, &params, 3).top;
            for (t, _) in &terms[1] {
                assert!(
                    ["train", "rail", "station", "track"].contains(&t.as_str()),
                    "{t}"
                );
            }
            terms[0][0].0.clone()
        };
        // Raw counts: the 300 repeats outweigh nine units of real content.
        assert_eq!(top_term(false), "qqx");
        // Sublinear counts: 1 + ln 300 ≈ 6.7 against 9 for each boat term.
        assert_ne!(top_term(true), "qqx");
    }

    #[test]
    fn a_named_theme_names_only_a_theme_whose_top_terms_are_its_seed_terms() {
        let params = ThemeParams {
            named: vec![NamedTheme {
                name: "beekeeping".into(),
                seed_terms: vec!["hive".into(), "honey".into()],
            }],
            ..Default::default()
        };
        let guide = Guide {
            named: vec![0],
            vectors: ndarray::array![[1.0f32, 0.0]],
            terms: vec![
                ["hive".to_string(), "honey".to_string()]
                    .into_iter()
                    .collect(),
            ],
            warnings: vec![],
        };
        let centroids = ndarray::array![[1.0f32, 0.0], [0.0, 1.0]];
        let terms = |t: &[(&str, f32)]| -> Vec<(String, f32)> {
            t.iter().map(|(s, w)| (s.to_string(), *w)).collect()
        };
        // Theme 0 lies on the named theme's vector but its vocabulary is another; theme 1 has
        // the seed terms but lies elsewhere: neither fits, and theme 1 is the closest.
        let top = vec![
            terms(&[("train", 0.5), ("rail", 0.4), ("station", 0.1)]),
            terms(&[("honey", 0.5), ("hive", 0.3), ("wax", 0.2)]),
        ];
        let (names, matches) = match_named(&params, Some(&guide), &centroids, &top);
        assert_eq!(names, [None, None]);
        assert_eq!(matches[0].theme, None);
        assert_eq!(matches[0].closest, Some(1));
        assert!((matches[0].term_share - 0.8).abs() < 1e-6);
        assert!(matches[0].in_corpus);
        // Once theme 0's own top terms are the seed terms, it is named.
        let top = vec![
            terms(&[("hive", 0.5), ("train", 0.4), ("honey", 0.1)]),
            terms(&[("wax", 1.0)]),
        ];
        let (names, matches) = match_named(&params, Some(&guide), &centroids, &top);
        assert_eq!(names[0].as_deref(), Some("beekeeping"));
        assert_eq!(matches[0].theme, Some(0));
        assert!((matches[0].similarity - 1.0).abs() < 1e-6);
    }

    #[test]
    fn params_check_names_the_key() {
        let p = ThemeParams {
            label_terms: 20,
            ..Default::default()
        };
        assert!(
            p.check()
                .unwrap_err()
                .to_string()
                .contains("themes.label_terms")
        );
    }
}
