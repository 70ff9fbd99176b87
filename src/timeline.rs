//! Themes over time: the dated articles in time bins, and each theme's units, share and own top
//! terms per bin.
//!
//! In: the articles' dates (from [`ingest`](crate::ingest), `ingest.date_field`), the units,
//! the themes' assignment and class-based TF-IDF ([`themes`](crate::themes)) and the `[time]`
//! config. Out: an [`OverTime`], stored as is in run.json and read by every writer and chart.
//!
//! [`bin_articles`] runs right after ingest, so a bin finer than the dates (month bins over
//! dates of year precision) or too many bins are refused before the expensive stages. Bins are
//! contiguous from the first date's to the last date's, empty ones included; weeks are ISO
//! weeks (Monday to Sunday, labelled `2025-W07`). Units of undated articles are analysed as any
//! other but are in no bin.
//!
//! Per bin, a theme's terms are ranked by class-based TF-IDF over its units in that bin against
//! the themes' inverse class frequencies ([`themes::group_terms`]), as BERTopic's
//! `topics_over_time` does.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ingest::Article;
use crate::ingest::date::Precision;
use crate::themes::{self, Themes};
use crate::units::Units;
use crate::vectorize::{Tfidf, TfidfParams};

/// Most bins a run may have (27 years of days): a finer bin over a longer span is refused.
pub const MAX_TIME_BINS: usize = 10_000;

/// Fewest and most bins `auto` aims for.
pub const AUTO_BINS: (usize, usize) = (8, 60);

/// Peak bins named per theme.
pub const PEAKS: usize = 3;

/// The size of a time bin (`--time-bin`, `time.bin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum TimeBin {
    /// The finest of the others that gives 8 to 60 bins (else the finest that gives at most
    /// 60), never finer than the dates.
    #[default]
    Auto,
    /// Calendar days.
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
    /// Quarters (January–March, …).
    Quarter,
    /// Calendar years.
    Year,
}

impl TimeBin {
    /// Its name, as in the config.
    pub fn name(self) -> &'static str {
        match self {
            TimeBin::Auto => "auto",
            TimeBin::Day => "day",
            TimeBin::Week => "week",
            TimeBin::Month => "month",
            TimeBin::Quarter => "quarter",
            TimeBin::Year => "year",
        }
    }

    /// The coarsest date precision this bin can hold (month bins need dates of month or day
    /// precision).
    fn needs(self) -> Precision {
        match self {
            TimeBin::Day | TimeBin::Week => Precision::Day,
            TimeBin::Month | TimeBin::Quarter => Precision::Month,
            TimeBin::Year | TimeBin::Auto => Precision::Year,
        }
    }

    /// The bin's number for `d`: consecutive bins have consecutive numbers.
    fn index(self, d: NaiveDate) -> i64 {
        let (y, m0) = (i64::from(d.year()), i64::from(d.month0()));
        match self {
            TimeBin::Day => i64::from(d.num_days_from_ce()),
            // Day 1 of the common era was a Monday.
            TimeBin::Week => (i64::from(d.num_days_from_ce()) - 1).div_euclid(7),
            TimeBin::Month => y * 12 + m0,
            TimeBin::Quarter => y * 4 + m0 / 3,
            TimeBin::Year | TimeBin::Auto => y,
        }
    }

    /// The first day of bin number `i`.
    fn start(self, i: i64) -> Option<NaiveDate> {
        let ymd = |y: i64, m: i64| NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m as u32, 1);
        match self {
            TimeBin::Day => NaiveDate::from_num_days_from_ce_opt(i32::try_from(i).ok()?),
            TimeBin::Week => NaiveDate::from_num_days_from_ce_opt(i32::try_from(i * 7 + 1).ok()?),
            TimeBin::Month => ymd(i.div_euclid(12), i.rem_euclid(12) + 1),
            TimeBin::Quarter => ymd(i.div_euclid(4), i.rem_euclid(4) * 3 + 1),
            TimeBin::Year | TimeBin::Auto => ymd(i, 1),
        }
    }

    /// The label of the bin starting on `start`: `2025-02-11`, `2025-W07`, `2025-02`, `2025-Q1`,
    /// `2025`.
    fn label(self, start: NaiveDate) -> String {
        match self {
            TimeBin::Day => start.format("%Y-%m-%d").to_string(),
            TimeBin::Week => {
                let w = start.iso_week();
                format!("{:04}-W{:02}", w.year(), w.week())
            }
            TimeBin::Month => start.format("%Y-%m").to_string(),
            TimeBin::Quarter => format!("{:04}-Q{}", start.year(), start.month0() / 3 + 1),
            TimeBin::Year | TimeBin::Auto => format!("{:04}", start.year()),
        }
    }
}

/// The `[time]` table: themes over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimeParams {
    /// Bin size (`--time-bin`).
    pub bin: TimeBin,
    /// Top terms kept per theme and bin.
    pub terms: usize,
}

impl Default for TimeParams {
    fn default() -> Self {
        TimeParams {
            bin: TimeBin::Auto,
            terms: 5,
        }
    }
}

impl TimeParams {
    /// Validates the ranges.
    pub fn check(&self) -> Result<()> {
        if !(1..=50).contains(&self.terms) {
            return Err(Error::param("terms", "must be between 1 and 50"));
        }
        Ok(())
    }
}

/// Which bin each dated article falls in.
#[derive(Debug, Clone, PartialEq)]
pub struct Binning {
    /// The bin size used (never `Auto`).
    pub bin: TimeBin,
    /// The bin size asked for.
    pub requested: TimeBin,
    /// The coarsest precision among the dates.
    pub precision: Precision,
    /// Number of the first bin ([`TimeBin`]'s numbering).
    first: i64,
    /// How many bins, empty ones included.
    pub count: usize,
    /// Each article's bin (`None`: undated).
    pub of_article: Vec<Option<u32>>,
}

/// Puts the dated articles into bins of `params.bin`; `None` when no article has a date.
///
/// Refused (an error naming the bin, the precision and an article): a bin finer than some
/// article's date, or more than [`MAX_TIME_BINS`] bins.
pub fn bin_articles(articles: &[Article], params: &TimeParams) -> Result<Option<Binning>> {
    let dated = articles.iter().filter_map(|a| a.date.map(|d| (a, d)));
    let Some((coarse, coarse_date)) = dated.clone().min_by_key(|(_, d)| d.precision) else {
        return Ok(None);
    };
    let precision = coarse_date.precision;
    let (lo, hi) = dated.fold((NaiveDate::MAX, NaiveDate::MIN), |(lo, hi), (_, d)| {
        (lo.min(d.date), hi.max(d.date))
    });
    let count = |bin: TimeBin| (bin.index(hi) - bin.index(lo) + 1) as usize;
    let bin = match params.bin {
        TimeBin::Auto => {
            let allowed: Vec<TimeBin> = [
                TimeBin::Day,
                TimeBin::Week,
                TimeBin::Month,
                TimeBin::Quarter,
                TimeBin::Year,
            ]
            .into_iter()
            .filter(|b| b.needs() <= precision)
            .collect();
            let (few, many) = AUTO_BINS;
            allowed
                .iter()
                .find(|&&b| (few..=many).contains(&count(b)))
                .or_else(|| allowed.iter().find(|&&b| count(b) <= many))
                .copied()
                .unwrap_or(TimeBin::Year)
        }
        b if b.needs() > precision => {
            return Err(Error::Usage(format!(
                "--time-bin {} is finer than the dates: article `{}` is dated `{}`, of {} \
                 precision; use --time-bin {} or coarser (or auto)",
                b.name(),
                coarse.id,
                coarse_date.iso(),
                precision.name(),
                match precision {
                    Precision::Year => "year",
                    Precision::Month => "month",
                    Precision::Day => "day",
                }
            )));
        }
        b => b,
    };
    let n = count(bin);
    if n > MAX_TIME_BINS {
        return Err(Error::Usage(format!(
            "the dates run from {lo} to {hi}: {n} {} bins, more than the {MAX_TIME_BINS} a run \
             may have; choose a coarser --time-bin",
            bin.name()
        )));
    }
    let first = bin.index(lo);
    Ok(Some(Binning {
        bin,
        requested: params.bin,
        precision,
        first,
        count: n,
        of_article: articles
            .iter()
            .map(|a| a.date.map(|d| (bin.index(d.date) - first) as u32))
            .collect(),
    }))
}

/// Themes over time, as run.json stores it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OverTime {
    /// The bin size used.
    pub bin: TimeBin,
    /// The bin size asked for (`auto` or the same).
    pub requested: TimeBin,
    /// The coarsest precision among the dates: no bin may be finer.
    pub precision: Precision,
    /// Articles with a date (the others are in no bin).
    pub dated_articles: usize,
    /// Units of dated articles.
    pub dated_units: usize,
    /// The bins, in time order, empty ones included.
    pub bins: Vec<BinInfo>,
    /// One entry per theme, in theme id order.
    pub themes: Vec<ThemeOverTime>,
}

/// One time bin.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BinInfo {
    /// `2025-02-11`, `2025-W07`, `2025-02`, `2025-Q1` or `2025`.
    pub label: String,
    /// First day of the bin (ISO 8601).
    pub start: String,
    /// Dated articles in the bin.
    pub articles: usize,
    /// Their units.
    pub units: usize,
}

/// One theme across the bins.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ThemeOverTime {
    /// Theme id.
    pub theme: usize,
    /// The theme's units in each bin.
    pub units: Vec<usize>,
    /// The theme's share of each bin's units (0 for an empty bin).
    pub share: Vec<f32>,
    /// The theme's top terms within each bin (class-based TF-IDF over its units there, against
    /// the themes' inverse class frequencies); empty where it has no units.
    pub terms: Vec<Vec<BinTerm>>,
    /// The bins where its share is highest (at most [`PEAKS`], highest first, ties to the
    /// earlier bin), among those where it has units.
    pub peaks: Vec<usize>,
}

/// A term and its weight within one theme and bin.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BinTerm {
    /// The term.
    pub term: String,
    /// Its class-based TF-IDF weight in the theme's units of the bin.
    pub weight: f32,
}

/// Counts each theme's units per bin and ranks its terms within each bin.
pub fn over_time(
    binning: &Binning,
    units: &Units,
    themes: &Themes,
    tfidf: &Tfidf,
    vec_params: &TfidfParams,
    params: &TimeParams,
) -> Result<OverTime> {
    let (nb, k) = (binning.count, themes.themes.len());
    let mut bins: Vec<BinInfo> = (0..nb)
        .map(|i| {
            let start = binning
                .bin
                .start(binning.first + i as i64)
                .ok_or_else(|| Error::Internal(format!("time bin {i} has no start")))?;
            Ok(BinInfo {
                label: binning.bin.label(start),
                start: start.format("%Y-%m-%d").to_string(),
                articles: 0,
                units: 0,
            })
        })
        .collect::<Result<_>>()?;
    for b in binning.of_article.iter().flatten() {
        bins[*b as usize].articles += 1;
    }
    // Units of each (bin, theme) cell, in unit order.
    let mut cells: Vec<Vec<usize>> = vec![Vec::new(); nb * k];
    for (u, (unit, &t)) in units.units.iter().zip(&themes.assignment).enumerate() {
        if let Some(b) = binning.of_article[unit.article] {
            cells[b as usize * k + t].push(u);
            bins[b as usize].units += 1;
        }
    }
    let terms = themes::group_terms(&cells, tfidf, vec_params, &themes.icf, params.terms);
    let per_theme = (0..k)
        .map(|t| {
            let units: Vec<usize> = (0..nb).map(|b| cells[b * k + t].len()).collect();
            let share: Vec<f32> = units
                .iter()
                .zip(&bins)
                .map(|(&n, bin)| share(n, bin.units))
                .collect();
            let mut peaks: Vec<usize> = (0..nb).filter(|&b| units[b] > 0).collect();
            peaks.sort_by(|&a, &b| share[b].total_cmp(&share[a]).then(a.cmp(&b)));
            peaks.truncate(PEAKS);
            ThemeOverTime {
                theme: t,
                units,
                share,
                terms: (0..nb)
                    .map(|b| {
                        terms[b * k + t]
                            .iter()
                            .map(|(term, weight)| BinTerm {
                                term: term.clone(),
                                weight: *weight,
                            })
                            .collect()
                    })
                    .collect(),
                peaks,
            }
        })
        .collect();
    Ok(OverTime {
        bin: binning.bin,
        requested: binning.requested,
        precision: binning.precision,
        dated_articles: binning.of_article.iter().flatten().count(),
        dated_units: bins.iter().map(|b| b.units).sum(),
        bins,
        themes: per_theme,
    })
}

fn share(n: usize, of: usize) -> f32 {
    if of == 0 {
        0.0
    } else {
        (n as f64 / of as f64) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::date::{ArticleDate, parse_date};

    fn articles(dates: &[&str]) -> Vec<Article> {
        dates
            .iter()
            .enumerate()
            .map(|(i, d)| Article {
                date: parse_date(d),
                ..crate::bench::article(&format!("a{i}"), "text", None)
            })
            .collect()
    }

    fn bin(dates: &[&str], bin: TimeBin) -> Result<Option<Binning>> {
        bin_articles(
            &articles(dates),
            &TimeParams {
                bin,
                ..Default::default()
            },
        )
    }

    fn labels(b: &Binning) -> Vec<String> {
        (0..b.count)
            .map(|i| b.bin.label(b.bin.start(b.first + i as i64).unwrap()))
            .collect()
    }

    #[test]
    fn edge_days_fall_in_the_right_bins() {
        // The last day of a bin and the first of the next.
        let b = bin(
            &["2024-12-31", "2025-01-01", "2025-03-31", "2025-04-01"],
            TimeBin::Quarter,
        )
        .unwrap()
        .unwrap();
        assert_eq!(labels(&b), ["2024-Q4", "2025-Q1", "2025-Q2"]);
        assert_eq!(b.of_article, [Some(0), Some(1), Some(1), Some(2)]);
        // ISO weeks: 2024-12-30 (Monday) opens week 1 of 2025; Sunday 2024-12-29 ends week 52.
        let b = bin(
            &["2024-12-29", "2024-12-30", "2025-01-05", "2025-01-06"],
            TimeBin::Week,
        )
        .unwrap()
        .unwrap();
        assert_eq!(labels(&b), ["2024-W52", "2025-W01", "2025-W02"]);
        assert_eq!(b.of_article, [Some(0), Some(1), Some(1), Some(2)]);
        let b = bin(&["2024-02-29", "2024-03-01"], TimeBin::Month)
            .unwrap()
            .unwrap();
        assert_eq!(labels(&b), ["2024-02", "2024-03"]);
        let b = bin(&["2024-12-31", "2025-01-01"], TimeBin::Day)
            .unwrap()
            .unwrap();
        assert_eq!(labels(&b), ["2024-12-31", "2025-01-01"]);
        let b = bin(&["1999-12-31", "2001-01-01"], TimeBin::Year)
            .unwrap()
            .unwrap();
        assert_eq!(labels(&b), ["1999", "2000", "2001"], "empty bins kept");
        assert_eq!(b.of_article, [Some(0), Some(2)]);
    }

    #[test]
    fn one_date_makes_one_bin_and_no_date_none() {
        for t in [TimeBin::Auto, TimeBin::Day, TimeBin::Year] {
            let b = bin(&["2025-02-11", "2025-02-11", "nope"], t)
                .unwrap()
                .unwrap();
            assert_eq!(b.count, 1, "{t:?}");
            assert_eq!(b.of_article, [Some(0), Some(0), None]);
        }
        assert_eq!(bin(&["nope", ""], TimeBin::Auto).unwrap(), None);
    }

    #[test]
    fn auto_takes_the_finest_bin_with_8_to_60_bins() {
        // Eleven years of year-precision dates: years (the only bin they allow).
        let years: Vec<String> = (1996..=2006).map(|y| y.to_string()).collect();
        let years: Vec<&str> = years.iter().map(String::as_str).collect();
        let b = bin(&years, TimeBin::Auto).unwrap().unwrap();
        assert_eq!((b.bin, b.count), (TimeBin::Year, 11));
        // Two years of days: 731 days, 105 weeks, 24 months.
        let b = bin(&["2023-01-01", "2024-12-31"], TimeBin::Auto)
            .unwrap()
            .unwrap();
        assert_eq!((b.bin, b.count), (TimeBin::Month, 24));
        // Thirty days: days.
        let b = bin(&["2025-01-01", "2025-01-30"], TimeBin::Auto)
            .unwrap()
            .unwrap();
        assert_eq!((b.bin, b.count), (TimeBin::Day, 30));
        // Three days: too few for 8 bins anywhere, so the finest under 60.
        let b = bin(&["2025-01-01", "2025-01-03"], TimeBin::Auto)
            .unwrap()
            .unwrap();
        assert_eq!((b.bin, b.count), (TimeBin::Day, 3));
        // Month dates over five years: 60 months; a month more and quarters.
        let b = bin(&["2020-01", "2024-12"], TimeBin::Auto)
            .unwrap()
            .unwrap();
        assert_eq!((b.bin, b.count), (TimeBin::Month, 60));
        let b = bin(&["2020-01", "2025-01"], TimeBin::Auto)
            .unwrap()
            .unwrap();
        assert_eq!((b.bin, b.count), (TimeBin::Quarter, 21));
        // Two centuries of years: more than 60 whatever the bin, so years.
        let b = bin(&["1800", "2000"], TimeBin::Auto).unwrap().unwrap();
        assert_eq!((b.bin, b.count), (TimeBin::Year, 201));
    }

    #[test]
    fn a_bin_finer_than_the_dates_is_refused_naming_an_article() {
        let e = bin(&["1996-03-01", "1997"], TimeBin::Month)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--time-bin month") && e.contains("`a1`") && e.contains("year precision"),
            "{e}"
        );
        assert!(bin(&["1996-03", "1997-04"], TimeBin::Week).is_err());
        assert!(bin(&["1996-03", "1997-04"], TimeBin::Quarter).is_ok());
        let e = bin(&["1000-01-01", "9999-12-31"], TimeBin::Day)
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than the"), "{e}");
    }

    #[test]
    fn precision_orders_coarse_to_fine() {
        let y = ArticleDate {
            date: NaiveDate::from_ymd_opt(1996, 1, 1).unwrap(),
            precision: Precision::Year,
        };
        assert!(y.precision < Precision::Month && Precision::Month < Precision::Day);
    }
}
