//! Checks a [`RunReport`] read back from disk before anything indexes into it.
//!
//! A `run.json` may come from someone else, or have been edited by hand: every reader (`themata
//! chart`, `themata eval`, and later saved models and comparisons) calls [`RunReport::validate`]
//! right after parsing, so the writers and scorers behind it can index `articles`, `themes` and
//! `units` freely. A failure names the field at fault (`units[17].theme`) and what is allowed.

use super::model::RunReport;

/// Most themes a run may have: the largest `cluster.max_k` the config accepts.
pub const MAX_THEMES: usize = crate::cluster::MAX_K_LIMIT;

/// Largest `run.json` read back, in bytes. A run writes a run.json of about its corpus's size
/// (the unit texts; 32 MB for 20 Newsgroups), and reading one back takes several times its size
/// in memory.
pub const MAX_RUN_JSON_BYTES: u64 = 2 << 30;

/// A field of a report that fails validation, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The field's path, as in run.json (`units[17].theme`, `similarity[3]`).
    pub field: String,
    /// What is wrong, and what is allowed.
    pub message: String,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// `Err` naming `field` unless `index < len`.
fn in_range(
    field: impl FnOnce() -> String,
    index: usize,
    len: usize,
    what: &str,
) -> Result<(), Invalid> {
    if index < len {
        Ok(())
    } else {
        Err(invalid(
            field(),
            format!("{index} is out of range: there are {len} {what}"),
        ))
    }
}

/// `Err` naming `field` unless `n` is at most [`MAX_THEMES`] (`what`: what `n` counts).
fn at_most(field: impl FnOnce() -> String, n: usize, what: &str) -> Result<(), Invalid> {
    if n <= MAX_THEMES {
        Ok(())
    } else {
        Err(invalid(
            field(),
            format!("{n} {what}, more than the {MAX_THEMES} themata handles"),
        ))
    }
}

/// `(major, minor)` of a `major.minor.patch` version string.
fn major_minor(v: &str) -> Option<(u64, u64)> {
    let mut parts = v.split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

impl RunReport {
    /// Checks every index and shape a reader relies on: articles, themes, units,
    /// representatives, named themes and the hierarchy point inside their lists; the similarity
    /// matrix is k × k and every article's mix has k entries; k is at most [`MAX_THEMES`]; the
    /// report was written by a version of themata this one can read.
    pub fn validate(&self) -> Result<(), Invalid> {
        let ours = env!("CARGO_PKG_VERSION");
        match (major_minor(&self.themata_version), major_minor(ours)) {
            (Some(theirs), Some(mine)) if theirs <= mine => {}
            (Some(_), _) => {
                return Err(invalid(
                    "themata_version",
                    format!(
                        "written by themata {}, newer than this themata {ours}: upgrade to read it",
                        self.themata_version
                    ),
                ));
            }
            (None, _) => {
                return Err(invalid(
                    "themata_version",
                    format!("`{}` is not a themata version", self.themata_version),
                ));
            }
        }
        let (na, k, nu) = (self.articles.len(), self.themes.len(), self.units.len());
        at_most(|| "themes".into(), k, "themes")?;
        for (i, a) in self.articles.iter().enumerate() {
            if a.mix.len() != k {
                return Err(invalid(
                    format!("articles[{i}].mix"),
                    format!("has {} entries; one per theme ({k}) expected", a.mix.len()),
                ));
            }
        }
        for (i, t) in self.themes.iter().enumerate() {
            if t.id != i {
                return Err(invalid(
                    format!("themes[{i}].id"),
                    format!("is {}; themes must be listed in id order", t.id),
                ));
            }
            if t.size > nu {
                return Err(invalid(
                    format!("themes[{i}].size"),
                    format!("{} is more than the {nu} units", t.size),
                ));
            }
            for (j, &u) in t.representatives.iter().enumerate() {
                in_range(
                    || format!("themes[{i}].representatives[{j}]"),
                    u,
                    nu,
                    "units",
                )?;
            }
            for (j, &(a, _)) in t.articles.iter().enumerate() {
                in_range(|| format!("themes[{i}].articles[{j}]"), a, na, "articles")?;
            }
        }
        for (i, u) in self.units.iter().enumerate() {
            if u.id != i {
                return Err(invalid(
                    format!("units[{i}].id"),
                    format!("is {}; units must be listed in id order", u.id),
                ));
            }
            in_range(|| format!("units[{i}].article"), u.article, na, "articles")?;
            in_range(|| format!("units[{i}].ordinal"), u.ordinal, nu, "units")?;
            in_range(|| format!("units[{i}].theme"), u.theme, k, "themes")?;
            if u.start > u.end {
                return Err(invalid(
                    format!("units[{i}].start"),
                    format!("{} is past the unit's end, {}", u.start, u.end),
                ));
            }
        }
        if self.similarity.len() != k {
            return Err(invalid(
                "similarity",
                format!(
                    "has {} rows; a {k} × {k} matrix expected",
                    self.similarity.len()
                ),
            ));
        }
        for (i, row) in self.similarity.iter().enumerate() {
            if row.len() != k {
                return Err(invalid(
                    format!("similarity[{i}]"),
                    format!("has {} entries; a {k} × {k} matrix expected", row.len()),
                ));
            }
        }
        if self.hierarchy.len() >= k.max(1) {
            return Err(invalid(
                "hierarchy",
                format!(
                    "has {} merges; {k} themes merge at most {} times",
                    self.hierarchy.len(),
                    k.saturating_sub(1)
                ),
            ));
        }
        // scipy's linkage convention: merge i joins two nodes made before it, each once.
        let mut used = vec![false; k + self.hierarchy.len()];
        for (i, m) in self.hierarchy.iter().enumerate() {
            for (side, node) in [("left", m.left), ("right", m.right)] {
                let field = || format!("hierarchy[{i}].{side}");
                in_range(field, node, k + i, "nodes before this merge")?;
                if std::mem::replace(&mut used[node], true) {
                    return Err(invalid(field(), format!("node {node} is merged twice")));
                }
            }
        }
        let ks = &self.k_selection;
        at_most(|| "k_selection.chosen".into(), ks.chosen, "themes")?;
        at_most(|| "k_selection.scores".into(), ks.scores.len(), "scores")?;
        for (i, s) in ks.scores.iter().enumerate() {
            at_most(|| format!("k_selection.scores[{i}].k"), s.k, "themes")?;
        }
        for (i, n) in self.named_themes.iter().enumerate() {
            if let Some(t) = n.theme {
                in_range(|| format!("named_themes[{i}].theme"), t, k, "themes")?;
            }
            if let Some(t) = n.closest {
                in_range(|| format!("named_themes[{i}].closest"), t, k, "themes")?;
            }
        }
        for (i, t) in self.themes.iter().enumerate() {
            if let Some(c) = &t.coherence {
                validate_coherence(c, || format!("themes[{i}].coherence"))?;
            }
        }
        if let Some(c) = &self.coherence {
            validate_summary(c, k)?;
        }
        if let Some(a) = &self.assignment {
            if a.thresholds.len() != k {
                return Err(invalid(
                    "assignment.thresholds",
                    format!(
                        "has {} entries; one per theme ({k}) expected",
                        a.thresholds.len()
                    ),
                ));
            }
            for (i, &u) in a.outliers.iter().enumerate() {
                in_range(|| format!("assignment.outliers[{i}]"), u, nu, "units")?;
            }
            for (i, p) in a.background.iter().enumerate() {
                in_range(
                    || format!("assignment.background[{i}].theme"),
                    p.theme,
                    k,
                    "themes",
                )?;
            }
            if a.known_terms > a.terms {
                return Err(invalid(
                    "assignment.known_terms",
                    format!("{} is more than the {} terms", a.known_terms, a.terms),
                ));
            }
        }
        if let Some(ot) = &self.themes_over_time {
            validate_over_time(ot, k)?;
        }
        Ok(())
    }
}

/// Widest a coherence score may stray past its measure's bounds (gensim's `EPSILON` and
/// rounding move them by far less).
const SLACK: f64 = 1e-6;

/// `Err` naming `field` unless `v` is a finite number in `lo..=hi`.
fn within(field: impl FnOnce() -> String, v: f64, lo: f64, hi: f64) -> Result<(), Invalid> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(invalid(
            field(),
            format!("{v} is not a number from {lo} to {hi}"),
        ))
    }
}

/// One theme's (or the mean) coherence: `c_npmi` and `c_v` within −1..1, `u_mass` a log
/// conditional probability (at most about 0, at least ln(gensim's `EPSILON`) ≈ −27.6).
fn validate_coherence(
    c: &crate::coherence::Coherence,
    field: impl Fn() -> String,
) -> Result<(), Invalid> {
    let bound = 1.0 + SLACK;
    within(|| format!("{}.c_npmi", field()), c.c_npmi, -bound, bound)?;
    within(|| format!("{}.c_v", field()), c.c_v, -bound, bound)?;
    within(|| format!("{}.u_mass", field()), c.u_mass, -28.0, 0.01)
}

/// The run's coherence summary: valid means, a diversity in 0..1, a top N and a count of scored
/// themes that fit the run.
fn validate_summary(c: &crate::coherence::Summary, k: usize) -> Result<(), Invalid> {
    validate_coherence(&c.mean, || "coherence.mean".into())?;
    within(|| "coherence.diversity".into(), c.diversity, 0.0, 1.0)?;
    within(
        || "coherence.low_coherence".into(),
        c.low_coherence,
        -1.0,
        1.0,
    )?;
    let max = crate::coherence::MAX_TOP_N;
    if c.top_n == 0 || c.top_n > max {
        return Err(invalid(
            "coherence.top_n",
            format!("{} is not a number of terms from 1 to {max}", c.top_n),
        ));
    }
    if c.themes_scored > k {
        return Err(invalid(
            "coherence.themes_scored",
            format!("{} is more than the {k} themes", c.themes_scored),
        ));
    }
    Ok(())
}

/// Themes over time: at most [`MAX_TIME_BINS`](crate::timeline::MAX_TIME_BINS) bins, one entry
/// per theme in id order, one value per bin in each of its lists, peaks among the bins, and no
/// bin holding fewer units than its themes do there.
fn validate_over_time(ot: &crate::timeline::OverTime, k: usize) -> Result<(), Invalid> {
    let nb = ot.bins.len();
    let max = crate::timeline::MAX_TIME_BINS;
    if nb > max {
        return Err(invalid(
            "themes_over_time.bins",
            format!("{nb} bins, more than the {max} a run may have"),
        ));
    }
    if ot.themes.len() != k {
        return Err(invalid(
            "themes_over_time.themes",
            format!(
                "has {} entries; one per theme ({k}) expected",
                ot.themes.len()
            ),
        ));
    }
    let mut in_bins = vec![0usize; nb];
    for (i, t) in ot.themes.iter().enumerate() {
        if t.theme != i {
            return Err(invalid(
                format!("themes_over_time.themes[{i}].theme"),
                format!("is {}; themes must be listed in id order", t.theme),
            ));
        }
        for (name, len) in [
            ("units", t.units.len()),
            ("share", t.share.len()),
            ("terms", t.terms.len()),
        ] {
            if len != nb {
                return Err(invalid(
                    format!("themes_over_time.themes[{i}].{name}"),
                    format!("has {len} entries; one per bin ({nb}) expected"),
                ));
            }
        }
        for (j, &b) in t.peaks.iter().enumerate() {
            in_range(
                || format!("themes_over_time.themes[{i}].peaks[{j}]"),
                b,
                nb,
                "bins",
            )?;
        }
        for (sum, &n) in in_bins.iter_mut().zip(&t.units) {
            *sum = sum.saturating_add(n);
        }
    }
    for (b, (bin, &sum)) in ot.bins.iter().zip(&in_bins).enumerate() {
        if sum > bin.units {
            return Err(invalid(
                format!("themes_over_time.bins[{b}].units"),
                format!("{} is fewer than its themes' {sum}", bin.units),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_major_and_minor() {
        assert_eq!(major_minor("0.1.0"), Some((0, 1)));
        assert_eq!(major_minor("1.12.3-beta"), Some((1, 12)));
        assert_eq!(major_minor("x"), None);
    }
}
