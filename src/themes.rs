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
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::reduce::Lsa;
use crate::vectorize::{Analyzer, Tfidf, TfidfParams};

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
    /// Least share of a named theme's seed terms that must occur in the corpus for it to be used.
    pub min_seed_coverage: f32,
    /// Named themes (`[[themes.named]]`).
    pub named: Vec<NamedTheme>,
}

impl Default for ThemeParams {
    fn default() -> Self {
        ThemeParams {
            top_terms: 10,
            representatives: 3,
            label_terms: 3,
            guide: true,
            min_match: 0.2,
            min_seed_coverage: 0.5,
            named: Vec::new(),
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
    }
    let d = lsa.embedding.ncols();
    let flat: Vec<f32> = rows.concat();
    let vectors = Array2::from_shape_vec((named.len(), d), flat)
        .map_err(|e| Error::Internal(format!("guide vectors: {e}")))?;
    Ok(Guide {
        named,
        vectors,
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

    let terms = class_tfidf(&assignment, k, tfidf, vec_params, params.top_terms);

    // Named themes: greedy one-to-one matching by cosine similarity above min_match.
    let mut names: Vec<Option<String>> = vec![None; k];
    if let Some(g) = guide {
        let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
        for (gi, v) in g.vectors.rows().into_iter().enumerate() {
            for t in 0..k {
                let s = v.dot(&centroids.row(t));
                if s >= params.min_match {
                    pairs.push((s, gi, t));
                }
            }
        }
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut used_g = vec![false; g.named.len()];
        for (_, gi, t) in pairs {
            if !used_g[gi] && names[t].is_none() {
                used_g[gi] = true;
                names[t] = Some(params.named[g.named[gi]].name.clone());
            }
        }
    }

    let mut themes = Vec::with_capacity(k);
    for t in 0..k {
        let mut members: Vec<usize> = (0..n).filter(|&u| assignment[u] == t).collect();
        let cohesion =
            members.iter().map(|&u| scores[u]).sum::<f32>() / members.len().max(1) as f32;
        members.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        let representatives = members.into_iter().take(params.representatives).collect();
        let label = names[t]
            .clone()
            .unwrap_or_else(|| label_from_terms(&terms[t], params.label_terms, t));
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
    })
}

/// The caption of the 2-D projection [`describe`] uses.
pub const PROJECTION: &str = "units on the two principal axes of the theme centroids (PCA in LSA space); labels at theme means";

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
fn class_tfidf(
    assignment: &[usize],
    k: usize,
    tfidf: &Tfidf,
    vec_params: &TfidfParams,
    top: usize,
) -> Vec<Vec<(String, f32)>> {
    if tfidf.vocab.is_empty() {
        return vec![Vec::new(); k];
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
    counts
        .par_iter()
        .zip(&totals)
        .map(|(c, &total)| {
            let mut w: Vec<(u32, f64)> = c
                .iter()
                .enumerate()
                .filter(|&(_, &x)| x > 0.0)
                .map(|(id, &x)| (id as u32, x / total.max(1.0) * icf[id]))
                .collect();
            // The `top` best in full order, without sorting all of a theme's terms (tens of
            // thousands on a large corpus): the order is total, so the result is the same.
            let order = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
            if w.len() > top {
                w.select_nth_unstable_by(top, order);
                w.truncate(top);
            }
            w.sort_by(order);
            w.into_iter()
                .take(top)
                .map(|(id, x)| (tfidf.vocab[id as usize].clone(), x as f32))
                .collect()
        })
        .collect()
}

/// A label from the top terms, skipping terms already covered by an earlier, longer one
/// ("local officials" covers "officials") and terms that contain an earlier one.
fn label_from_terms(terms: &[(String, f32)], n: usize, id: usize) -> String {
    let mut picked: Vec<&str> = Vec::new();
    for (t, _) in terms {
        if !t.chars().any(char::is_alphabetic) {
            continue; // numbers say little on their own
        }
        let overlaps = picked
            .iter()
            .any(|p| p.split(' ').any(|w| t.split(' ').any(|x| x == w)));
        if !overlaps {
            picked.push(t);
        }
        if picked.len() == n {
            break;
        }
    }
    if picked.is_empty() {
        format!("theme {}", id + 1)
    } else {
        picked.join(" · ")
    }
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
fn project_2d(
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
    fn label_skips_overlapping_terms() {
        let t: Vec<(String, f32)> = ["local officials", "officials", "purge", "fear", "x"]
            .iter()
            .map(|s| (s.to_string(), 1.0))
            .collect();
        assert_eq!(label_from_terms(&t, 3, 0), "local officials · purge · fear");
        assert_eq!(label_from_terms(&[], 3, 4), "theme 5");
    }

    #[test]
    fn power_iteration_finds_the_dominant_axis() {
        let a = ndarray::array![[4.0f32, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 2.0]];
        let v = top_eigenvectors(a.view(), 2);
        assert!((v[0][0].abs() - 1.0).abs() < 1e-4, "{:?}", v[0]);
        assert!((v[1][2].abs() - 1.0).abs() < 1e-3, "{:?}", v[1]);
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
            let terms = class_tfidf(&assignment, 2, &tfidf, &params, 3);
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
