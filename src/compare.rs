//! Compare stage: what became of the themes of one run in another.
//!
//! In: two [`RunReport`]s (run A, the earlier or reference run, and run B). Out: a
//! [`Comparison`]: each theme's fate (persisted, split, merged, new or gone), its partners on the
//! other side with sizes, and the links between the two runs' themes, which
//! [`write`] renders as `compare.md`, `compare.json` and a flow chart.
//!
//! Two themes are compared on two grounds:
//! - **unit overlap**, when the runs analysed the same articles: units are matched by article id
//!   and byte span when both runs cut the same units ([`OverlapKind::Units`]); otherwise each
//!   shared article's theme mixes are crossed ([`OverlapKind::Articles`]). The overlap
//!   similarity of two themes is the Jaccard index of their shared units.
//! - **terms**: the cosine of their class-based TF-IDF term weights over the union of both
//!   runs' terms ([`term_similarity`]; a run.json keeps each theme's top terms, and
//!   [`compare_with_terms`] takes richer term vectors, such as a saved model's).
//!
//! With overlap, the similarity is `overlap_weight × Jaccard + (1 − overlap_weight) × cosine`;
//! without (no shared article), the term cosine alone. An optimal one-to-one matching
//! (Kuhn–Munkres, maximising the summed similarity) pairs the themes; the shares of each theme's
//! units that flow to the other side's themes then decide splits and merges:
//! - an A theme **splits** when at least two B themes each take `link_share` of its units;
//! - a B theme is **merged** when at least two A themes that did not split each put
//!   `link_share` of their units in it, and those A themes are **merged** into it;
//! - otherwise an A theme **persists** in its matched B theme when their similarity is at least
//!   `min_similarity`, and is **gone** when not;
//! - a B theme that no A theme persisted in, merged into or split into is **new** (or a piece
//!   **split** off an A theme, when one A theme gave it `link_share` of its units).
//!
//! Everything is deterministic: maps are ordered, and ties go to the lower theme id.

pub mod write;

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::report::RunReport;

/// Most themes a run may have to be compared: the matching is cubic in the number of themes and
/// the overlap matrix quadratic (1,000 × 1,000 matches in about a second).
pub const MAX_COMPARE_THEMES: usize = 1000;

/// The `[compare]` table: how themes are matched and classified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CompareParams {
    /// Weight of the unit overlap (Jaccard) against the term cosine when the runs share
    /// articles, 0 to 1.
    pub overlap_weight: f32,
    /// Least similarity at which a matched pair of themes counts as persisted, above 0 and at
    /// most 1 (without shared articles, also the least term cosine of a link).
    pub min_similarity: f32,
    /// Least share of a theme's units that makes a link to a theme of the other run, above 0
    /// and at most 1: two such links out of an A theme are a split, into a B theme a merge.
    pub link_share: f32,
}

impl Default for CompareParams {
    fn default() -> Self {
        CompareParams {
            overlap_weight: 0.8,
            min_similarity: 0.3,
            link_share: 0.3,
        }
    }
}

impl CompareParams {
    /// Checks every range, naming the key at fault.
    pub fn check(&self) -> Result<()> {
        let unit = |name: &'static str, v: f32, zero_ok: bool| {
            let ok = v.is_finite() && v <= 1.0 && (v > 0.0 || (zero_ok && v == 0.0));
            if ok {
                Ok(())
            } else {
                let range = if zero_ok {
                    "0 to 1"
                } else {
                    "above 0, at most 1"
                };
                Err(Error::param(name, format!("is {v}; allowed: {range}")))
            }
        };
        unit("overlap_weight", self.overlap_weight, true)?;
        unit("min_similarity", self.min_similarity, false)?;
        unit("link_share", self.link_share, false)
    }
}

/// How the two runs' units were related.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OverlapKind {
    /// Both runs cut the same units: matched by article id and byte span.
    Units,
    /// The runs share articles but cut them differently: each shared article's theme mixes are
    /// crossed (weighted by its units, the mean of the two runs').
    Articles,
    /// No shared article: themes are compared by their terms alone.
    None,
}

impl OverlapKind {
    /// The word used in compare.json.
    pub fn as_str(self) -> &'static str {
        match self {
            OverlapKind::Units => "units",
            OverlapKind::Articles => "articles",
            OverlapKind::None => "none",
        }
    }
}

/// Overlap of the two runs' themes.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlap {
    /// How it was measured.
    pub kind: OverlapKind,
    /// Shared units of A theme `i` in B theme `j` (`kA × kB`; fractional for
    /// [`OverlapKind::Articles`], all 0 for [`OverlapKind::None`]).
    pub shared: Vec<Vec<f64>>,
    /// Units of A matched to a unit of B ([`OverlapKind::Units`]; 0 otherwise).
    pub shared_units: usize,
    /// Articles (by id) present in both runs.
    pub shared_articles: usize,
}

/// Share of the smaller run's units that must be matched by article id and byte span for the
/// runs to count as cutting the same units (below it, article mixes are crossed instead).
const SAME_UNITS: f64 = 0.5;

/// Measures how the themes of `a` and `b` overlap in the units or articles both analysed.
pub fn overlap(a: &RunReport, b: &RunReport) -> Overlap {
    let (ka, kb) = (a.themes.len(), b.themes.len());
    let mut shared = vec![vec![0.0f64; kb]; ka];
    // Article ids of B; the first of a repeated id wins.
    let mut b_articles: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, art) in b.articles.iter().enumerate() {
        b_articles.entry(art.id.as_str()).or_insert(i);
    }
    let pairs: Vec<(usize, usize)> = {
        let mut seen = vec![false; b.articles.len()];
        let mut pairs = Vec::new();
        for (ia, art) in a.articles.iter().enumerate() {
            if let Some(&ib) = b_articles.get(art.id.as_str())
                && !seen[ib]
            {
                seen[ib] = true;
                pairs.push((ia, ib));
            }
        }
        pairs
    };
    let shared_articles = pairs.len();
    // Units of B by (article of A, start, end), over the shared articles.
    let mut a_of_b = vec![usize::MAX; b.articles.len()];
    for &(ia, ib) in &pairs {
        a_of_b[ib] = ia;
    }
    let mut b_units: FxHashMap<(usize, usize, usize), usize> = FxHashMap::default();
    for u in &b.units {
        let ia = a_of_b[u.article];
        if ia != usize::MAX {
            b_units.entry((ia, u.start, u.end)).or_insert(u.theme);
        }
    }
    let mut shared_units = 0usize;
    for u in &a.units {
        if let Some(&tb) = b_units.get(&(u.article, u.start, u.end)) {
            shared[u.theme][tb] += 1.0;
            shared_units += 1;
        }
    }
    let smaller = a.units.len().min(b.units.len());
    if smaller > 0 && shared_units as f64 >= SAME_UNITS * smaller as f64 {
        return Overlap {
            kind: OverlapKind::Units,
            shared,
            shared_units,
            shared_articles,
        };
    }
    for row in &mut shared {
        row.iter_mut().for_each(|x| *x = 0.0);
    }
    for &(ia, ib) in &pairs {
        let (x, y) = (&a.articles[ia], &b.articles[ib]);
        let weight = (x.units + y.units) as f64 / 2.0;
        for (i, &p) in x.mix.iter().enumerate() {
            if p <= 0.0 || !p.is_finite() {
                continue;
            }
            for (j, &q) in y.mix.iter().enumerate() {
                if q > 0.0 && q.is_finite() {
                    shared[i][j] += weight * f64::from(p) * f64::from(q);
                }
            }
        }
    }
    let any = shared.iter().flatten().any(|&x| x > 0.0);
    Overlap {
        kind: if any {
            OverlapKind::Articles
        } else {
            OverlapKind::None
        },
        shared,
        shared_units: 0,
        shared_articles,
    }
}

/// A theme's term weights, by term.
pub type TermVector = BTreeMap<String, f32>;

/// Each theme's class-based TF-IDF top terms, as run.json keeps them (non-finite or negative
/// weights count as 0; a repeated term keeps its largest weight).
pub fn theme_terms(r: &RunReport) -> Vec<TermVector> {
    r.themes
        .iter()
        .map(|t| {
            let mut v = TermVector::new();
            for w in &t.terms {
                let x = if w.weight.is_finite() {
                    w.weight.max(0.0)
                } else {
                    0.0
                };
                let e = v.entry(w.term.clone()).or_insert(0.0);
                *e = e.max(x);
            }
            v
        })
        .collect()
}

/// Cosine similarity of every A theme's term vector with every B theme's, over the union of
/// their terms (`kA × kB`, each in 0..=1; 0 for a theme without terms).
pub fn term_similarity(a: &[TermVector], b: &[TermVector]) -> Vec<Vec<f32>> {
    let norm = |v: &TermVector| {
        v.values()
            .map(|&x| f64::from(x) * f64::from(x))
            .sum::<f64>()
            .sqrt()
    };
    let nb: Vec<f64> = b.iter().map(norm).collect();
    // Inverted index over B: term -> (theme, weight), in theme order.
    let mut index: BTreeMap<&str, Vec<(usize, f32)>> = BTreeMap::new();
    for (j, v) in b.iter().enumerate() {
        for (t, &w) in v {
            if w > 0.0 {
                index.entry(t.as_str()).or_default().push((j, w));
            }
        }
    }
    a.iter()
        .map(|v| {
            let na = norm(v);
            let mut dot = vec![0.0f64; b.len()];
            for (t, &w) in v {
                if let Some(list) = index.get(t.as_str()) {
                    for &(j, x) in list {
                        dot[j] += f64::from(w) * f64::from(x);
                    }
                }
            }
            dot.iter()
                .zip(&nb)
                .map(|(&d, &n)| {
                    if na > 0.0 && n > 0.0 {
                        (d / (na * n)).clamp(0.0, 1.0) as f32
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect()
}

/// What became of a theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Matched one to one with a theme of the other run, similar enough, no split or merge.
    Persisted,
    /// An A theme whose units went to two or more B themes; a B theme that is one of the parts.
    Split,
    /// A B theme that absorbed two or more A themes; an A theme absorbed into one.
    Merged,
    /// A B theme with no counterpart in A.
    New,
    /// An A theme with no counterpart in B.
    Gone,
}

impl Status {
    /// The word used in compare.md and compare.json.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Persisted => "persisted",
            Status::Split => "split",
            Status::Merged => "merged",
            Status::New => "new",
            Status::Gone => "gone",
        }
    }
}

/// One theme of one run and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeFate {
    /// Theme id in its run.
    pub id: usize,
    /// Its label.
    pub label: String,
    /// Its units in its run.
    pub size: usize,
    /// What became of it.
    pub status: Status,
    /// The other run's themes its status names: the one it persisted in or was merged into, the
    /// parts it split into, the themes merged into it or split to give it. Empty when new or
    /// gone.
    pub partners: Vec<usize>,
    /// Its one-to-one match in the other run, when the matching paired it with similarity above 0.
    pub matched: Option<usize>,
    /// Similarity with that match.
    pub similarity: Option<f32>,
}

/// A substantial relation between an A theme and a B theme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// A theme id.
    pub a: usize,
    /// B theme id.
    pub b: usize,
    /// Units the two share (mix-weighted units with article overlap; 0 without overlap).
    pub shared: f64,
    /// Share of the A theme's shared units that are in the B theme.
    pub share_of_a: f32,
    /// Share of the B theme's shared units that come from the A theme.
    pub share_of_b: f32,
    /// Cosine of their term weights.
    pub term_similarity: f32,
    /// Combined similarity (what the matching maximises).
    pub similarity: f32,
    /// Whether the one-to-one matching paired them.
    pub matched: bool,
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSide {
    /// The run's name (its folder's name).
    pub name: String,
    /// The run folder as given.
    pub path: String,
    /// Its themes.
    pub themes: usize,
    /// Its units.
    pub units: usize,
}

/// Themes per status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// A themes that persisted.
    pub persisted: usize,
    /// A themes that split.
    pub split: usize,
    /// A themes merged into a B theme.
    pub merged: usize,
    /// A themes gone.
    pub gone: usize,
    /// B themes new.
    pub new: usize,
}

/// The comparison of two runs: `compare.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// themata's version that wrote it.
    pub themata_version: String,
    /// Run A.
    pub a: RunSide,
    /// Run B.
    pub b: RunSide,
    /// How unit overlap was measured.
    pub overlap: OverlapKind,
    /// Units matched by article id and byte span (overlap `units`).
    pub shared_units: usize,
    /// Articles present in both runs.
    pub shared_articles: usize,
    /// The thresholds used.
    pub params: CompareParams,
    /// Themes per status.
    pub summary: Summary,
    /// Each A theme's fate, by id.
    pub a_themes: Vec<ThemeFate>,
    /// Each B theme's fate, by id.
    pub b_themes: Vec<ThemeFate>,
    /// Links: pairs sharing at least `link_share` of either theme's units (or, without overlap,
    /// of term cosine at least `min_similarity`), and the matched pairs; by A id, then B id.
    pub links: Vec<Link>,
}

/// Compares run `a` with run `b` on their top terms and shared units.
///
/// ```
/// # fn main() -> themata::Result<()> {
/// use themata::compare::{compare, CompareParams, RunSide};
/// # let r: themata::report::RunReport = serde_json::from_str(
/// #     &std::fs::read_to_string("tests/fixtures/run_sample.json").unwrap()).unwrap();
/// let side = |name: &str| RunSide { name: name.into(), path: name.into(), themes: 0, units: 0 };
/// let c = compare(&r, &r, side("a"), side("b"), &CompareParams::default())?;
/// assert_eq!(c.summary.persisted, r.themes.len()); // a run against itself
/// # Ok(())
/// # }
/// ```
pub fn compare(
    a: &RunReport,
    b: &RunReport,
    side_a: RunSide,
    side_b: RunSide,
    params: &CompareParams,
) -> Result<Comparison> {
    compare_with_terms(
        a,
        b,
        &theme_terms(a),
        &theme_terms(b),
        side_a,
        side_b,
        params,
    )
}

/// [`compare`] with each theme's term vector given (one per theme of each run), for callers that
/// hold more terms per theme than run.json keeps.
pub fn compare_with_terms(
    a: &RunReport,
    b: &RunReport,
    terms_a: &[TermVector],
    terms_b: &[TermVector],
    side_a: RunSide,
    side_b: RunSide,
    params: &CompareParams,
) -> Result<Comparison> {
    params.check()?;
    let (ka, kb) = (a.themes.len(), b.themes.len());
    for (side, k) in [(&side_a, ka), (&side_b, kb)] {
        if k > MAX_COMPARE_THEMES {
            return Err(Error::Usage(format!(
                "{}: {k} themes, more than the {MAX_COMPARE_THEMES} `themata compare` matches",
                side.path
            )));
        }
    }
    if terms_a.len() != ka || terms_b.len() != kb {
        return Err(Error::Internal(format!(
            "term vectors for {} and {} themes, runs of {ka} and {kb}",
            terms_a.len(),
            terms_b.len()
        )));
    }
    let ov = overlap(a, b);
    let terms = term_similarity(terms_a, terms_b);
    let rows: Vec<f64> = ov.shared.iter().map(|r| r.iter().sum()).collect();
    let cols: Vec<f64> = (0..kb)
        .map(|j| ov.shared.iter().map(|r| r[j]).sum())
        .collect();
    let ratio = |x: f64, whole: f64| if whole > 0.0 { x / whole } else { 0.0 };
    let w = f64::from(params.overlap_weight);
    let sim: Vec<Vec<f32>> = (0..ka)
        .map(|i| {
            (0..kb)
                .map(|j| {
                    let t = f64::from(terms[i][j]);
                    if ov.kind == OverlapKind::None {
                        return t as f32;
                    }
                    let o = ov.shared[i][j];
                    let jaccard = ratio(o, rows[i] + cols[j] - o);
                    (w * jaccard + (1.0 - w) * t) as f32
                })
                .collect()
        })
        .collect();
    // Shares of units: a[i][j] of A theme i's went to j, b[i][j] of B theme j's came from i.
    // Without overlap the term cosine stands in for both.
    let (share_a, share_b, threshold): (Vec<Vec<f32>>, Vec<Vec<f32>>, f32) =
        if ov.kind == OverlapKind::None {
            (terms.clone(), terms.clone(), params.min_similarity)
        } else {
            let sa = (0..ka)
                .map(|i| {
                    (0..kb)
                        .map(|j| ratio(ov.shared[i][j], rows[i]) as f32)
                        .collect()
                })
                .collect();
            let sb = (0..ka)
                .map(|i| {
                    (0..kb)
                        .map(|j| ratio(ov.shared[i][j], cols[j]) as f32)
                        .collect()
                })
                .collect();
            (sa, sb, params.link_share)
        };
    let matching = match_one_to_one(&sim);
    let mut matched_b = vec![None; kb];
    for (i, m) in matching.iter().enumerate() {
        if let Some(j) = *m {
            matched_b[j] = Some(i);
        }
    }
    // Where each A theme's units substantially went (most first, ties to the lower id), and which
    // A themes each B theme substantially absorbed.
    let by_share = |mut v: Vec<usize>, share: &dyn Fn(usize) -> f32| {
        v.sort_by(|&x, &y| share(y).total_cmp(&share(x)).then(x.cmp(&y)));
        v
    };
    let dests: Vec<Vec<usize>> = (0..ka)
        .map(|i| {
            let v = (0..kb).filter(|&j| share_a[i][j] >= threshold).collect();
            by_share(v, &|j| share_a[i][j])
        })
        .collect();
    // A split theme's parts are explained by the split: only themes that went substantially to
    // one B theme count as absorbed by it.
    let absorbed: Vec<Vec<usize>> = (0..kb)
        .map(|j| {
            let v = (0..ka).filter(|&i| dests[i] == [j]).collect();
            by_share(v, &|i| share_a[i][j])
        })
        .collect();
    let merged_b: Vec<bool> = absorbed.iter().map(|v| v.len() >= 2).collect();

    let mut a_fates = Vec::with_capacity(ka);
    for (i, t) in a.themes.iter().enumerate() {
        let m = matching[i];
        let (status, partners) = if dests[i].len() >= 2 {
            (Status::Split, dests[i].clone())
        } else if let Some(&j) = dests[i].first()
            && merged_b[j]
        {
            (Status::Merged, vec![j])
        } else if let Some(j) = m
            && sim[i][j] >= params.min_similarity
        {
            (Status::Persisted, vec![j])
        } else {
            (Status::Gone, Vec::new())
        };
        a_fates.push(ThemeFate {
            id: i,
            label: t.label.clone(),
            size: t.size,
            status,
            partners,
            matched: m,
            similarity: m.map(|j| sim[i][j]),
        });
    }
    let mut b_fates = Vec::with_capacity(kb);
    for (j, t) in b.themes.iter().enumerate() {
        let persisted_from =
            (0..ka).find(|&i| a_fates[i].status == Status::Persisted && a_fates[i].partners == [j]);
        let split_from: Vec<usize> = (0..ka)
            .filter(|&i| a_fates[i].status == Status::Split && a_fates[i].partners.contains(&j))
            .collect();
        // A piece carved off an A theme that persisted elsewhere: most of this B theme is from it.
        let carved: Vec<usize> = {
            let v = (0..ka).filter(|&i| share_b[i][j] >= threshold).collect();
            by_share(v, &|i| share_b[i][j])
        };
        let (status, partners) = if let Some(i) = persisted_from {
            (Status::Persisted, vec![i])
        } else if merged_b[j] {
            (Status::Merged, absorbed[j].clone())
        } else if !split_from.is_empty() {
            (Status::Split, split_from)
        } else if let Some(&i) = carved.first()
            && ov.kind != OverlapKind::None
        {
            (Status::Split, vec![i])
        } else {
            (Status::New, Vec::new())
        };
        let m = matched_b[j];
        b_fates.push(ThemeFate {
            id: j,
            label: t.label.clone(),
            size: t.size,
            status,
            partners,
            matched: m,
            similarity: m.map(|i| sim[i][j]),
        });
    }
    let mut links = Vec::new();
    for i in 0..ka {
        for j in 0..kb {
            let matched = matching[i] == Some(j);
            if matched || share_a[i][j] >= threshold || share_b[i][j] >= threshold {
                links.push(Link {
                    a: i,
                    b: j,
                    shared: ov.shared[i][j],
                    share_of_a: if ov.kind == OverlapKind::None {
                        0.0
                    } else {
                        share_a[i][j]
                    },
                    share_of_b: if ov.kind == OverlapKind::None {
                        0.0
                    } else {
                        share_b[i][j]
                    },
                    term_similarity: terms[i][j],
                    similarity: sim[i][j],
                    matched,
                });
            }
        }
    }
    let count = |s: Status| a_fates.iter().filter(|f| f.status == s).count();
    let summary = Summary {
        persisted: count(Status::Persisted),
        split: count(Status::Split),
        merged: count(Status::Merged),
        gone: count(Status::Gone),
        new: b_fates.iter().filter(|f| f.status == Status::New).count(),
    };
    Ok(Comparison {
        themata_version: env!("CARGO_PKG_VERSION").into(),
        a: RunSide {
            themes: ka,
            units: a.units.len(),
            ..side_a
        },
        b: RunSide {
            themes: kb,
            units: b.units.len(),
            ..side_b
        },
        overlap: ov.kind,
        shared_units: ov.shared_units,
        shared_articles: ov.shared_articles,
        params: params.clone(),
        summary,
        a_themes: a_fates,
        b_themes: b_fates,
        links,
    })
}

/// Similarities are matched as integers (pathfinding's Kuhn–Munkres needs an ordered weight
/// type): millionths, far finer than any difference that matters.
const SIM_SCALE: f64 = 1e6;

/// The one-to-one matching of A themes to B themes with the largest summed similarity: for each
/// A theme, its B theme, or `None` when it is left over (more A themes than B themes) or paired
/// with similarity 0.
///
/// pathfinding's `kuhn_munkres` (O(n³)) is used rather than a hand-written Hungarian algorithm:
/// it is a maintained, widely used implementation, and it needs no more of us than the
/// quantisation above. It wants no more rows than columns, so a wider A is matched transposed.
pub fn match_one_to_one(sim: &[Vec<f32>]) -> Vec<Option<usize>> {
    use pathfinding::prelude::{Matrix, kuhn_munkres};
    let ka = sim.len();
    let kb = sim.first().map_or(0, Vec::len);
    if ka == 0 || kb == 0 {
        return vec![None; ka];
    }
    let q = |x: f32| {
        if x.is_finite() {
            (f64::from(x).clamp(0.0, 1.0) * SIM_SCALE).round() as i64
        } else {
            0
        }
    };
    let mut out = vec![None; ka];
    if ka <= kb {
        let m = Matrix::from_fn(ka, kb, |(i, j)| q(sim[i][j]));
        let (_, cols) = kuhn_munkres(&m);
        for (i, &j) in cols.iter().enumerate() {
            out[i] = Some(j);
        }
    } else {
        let m = Matrix::from_fn(kb, ka, |(j, i)| q(sim[i][j]));
        let (_, rows) = kuhn_munkres(&m);
        for (j, &i) in rows.iter().enumerate() {
            out[i] = Some(j);
        }
    }
    for (i, m) in out.iter_mut().enumerate() {
        if let Some(j) = *m
            && q(sim[i][j]) == 0
        {
            *m = None;
        }
    }
    out
}

#[cfg(test)]
mod tests;
