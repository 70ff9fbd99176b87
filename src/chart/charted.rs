//! Which themes a chart gives a row, column, panel or label of its own.
//!
//! Charts that draw one thing per theme grow with k; past [`MAX_CHART_THEMES`] they chart the
//! largest themes only (and say so in their subtitle), so every chart stays readable and its
//! canvas stays bounded however many themes a run has.

use super::axis::thousands;
use crate::report::RunReport;

/// Most themes a chart draws one row, column, panel or label for; runs with more themes chart the
/// largest of them. 60, like the heatmap's article rows: a 60 × 60 similarity grid is still
/// legible at its smallest cell size.
pub const MAX_CHART_THEMES: usize = 60;

/// The themes to chart: every theme up to [`MAX_CHART_THEMES`], else the largest.
#[derive(Debug, Clone)]
pub(crate) struct Charted {
    /// Ids of the themes to chart, ascending.
    pub ids: Vec<usize>,
    /// How many themes the run has.
    pub total: usize,
}

impl Charted {
    /// All themes of `r` when it has at most [`MAX_CHART_THEMES`], else that many of the largest
    /// (ties go to the lower id); in id order either way.
    pub(crate) fn of(r: &RunReport) -> Self {
        let k = r.themes.len();
        Charted {
            ids: r.largest_themes(MAX_CHART_THEMES),
            total: k,
        }
    }

    /// Whether some themes are left out.
    pub(crate) fn is_partial(&self) -> bool {
        self.ids.len() < self.total
    }

    /// How many themes are left out.
    pub(crate) fn left_out(&self) -> usize {
        self.total - self.ids.len()
    }

    /// `the 60 largest of 1,300 themes`, for subtitles of charts that leave themes out.
    pub(crate) fn note(&self) -> String {
        format!(
            "the {} largest of {} themes",
            self.ids.len(),
            thousands(self.total as i64)
        )
    }

    /// The charted themes, or theme 0 alone when the run has none, for grids that need at least
    /// one row or column.
    pub(crate) fn at_least_one(&self) -> Vec<usize> {
        if self.ids.is_empty() {
            vec![0]
        } else {
            self.ids.clone()
        }
    }
}
