//! Whole-pipeline benchmarks: how each stage's time and memory grow with the corpus.
//!
//! In: a corpus (its raw articles) and the scales to measure. Out: synthetic corpora made from it
//! ([`write_synthetic`]), per-stage measurements aggregated into a [`BenchReport`] (medians,
//! throughput, peak memory, fitted growth exponents), and its renderings: a text table, `bench.json`
//! and a log-log chart of time against corpus size. Running the stages is left to the caller
//! (`themata bench`), which drives [`crate::pipeline`] with a [`PeakMemory`] progress sink.
//!
//! **Synthetic corpora.** Scale `s` holds `s × n` articles drawn with replacement from the `n`
//! articles of the given corpus by a `Xoshiro256++` RNG seeded with `seed + s`; each drawn
//! article's words are shuffled within each of its lines (line breaks, and so paragraphs, are
//! kept). Vocabulary, document frequencies and lengths stay those of the real corpus while no two
//! copies of an article are identical. Scale 1 is the given corpus itself, unchanged.
//!
//! **Peak memory.** On Linux each stage starts by writing `5` to `/proc/self/clear_refs`, which
//! resets the process's high-water mark of resident memory to its current size; when the stage
//! ends `VmHWM` is read from `/proc/self/status`. The figure is the peak resident set of the whole
//! process during that stage (everything still held from earlier stages included). Elsewhere it is
//! absent.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ingest::Article;
use crate::pipeline::Progress;

/// The stages measured, in pipeline order.
pub const STAGES: [&str; 9] = [
    "ingest",
    "units",
    "vectorize",
    "reduce",
    "cluster",
    "themes",
    "coherence",
    "report",
    "charts",
];

/// How synthetic corpora are made, as stored in `bench.json`.
pub const SYNTHESIS: &str = "scale s: s×n articles drawn with replacement from the n input articles (Xoshiro256++ seeded with seed + s), words shuffled within each line; scale 1 is the input itself";

/// How peak memory is measured, as stored in `bench.json`.
pub const MEMORY_METHOD: &str = "Linux: `5` written to /proc/self/clear_refs when a stage starts resets the resident high-water mark; VmHWM read from /proc/self/status when it ends = peak RSS of the whole process during the stage";

/// Parameters of a benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchParams {
    /// Corpus scales (1 = the corpus as given).
    pub scales: Vec<usize>,
    /// Runs per scale; medians are reported.
    pub repeat: usize,
    /// Seed of the synthetic corpora.
    pub seed: u64,
}

impl BenchParams {
    /// Checks the parameters, naming the first bad one.
    pub fn check(&self) -> Result<()> {
        if self.scales.is_empty() || self.scales.contains(&0) {
            return Err(Error::param(
                "scales",
                "give one or more whole numbers ≥ 1, e.g. 1,4,16",
            ));
        }
        if self.repeat == 0 {
            return Err(Error::param("repeat", "must be at least 1"));
        }
        Ok(())
    }
}

/// Parses `--scales`: comma-separated whole numbers ≥ 1.
pub fn parse_scales(s: &str) -> Result<Vec<usize>> {
    s.split(',')
        .map(|p| match p.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(Error::Usage(format!(
                "--scales {s}: `{}` is not a whole number ≥ 1",
                p.trim()
            ))),
        })
        .collect()
}

/// Field names of the synthetic JSON Lines files (the same the run reads the input with).
#[derive(Debug, Clone)]
pub struct Fields {
    /// Text field name.
    pub text: String,
    /// Id field name (`""`: none written).
    pub id: String,
    /// Label field name (`""`: none written).
    pub label: String,
}

/// Writes the synthetic corpus of `scale` made from `articles` as JSON Lines into `path`,
/// streaming (only the source articles are held); returns the bytes of text written.
pub fn write_synthetic(
    articles: &[Article],
    scale: usize,
    seed: u64,
    fields: &Fields,
    path: &Path,
) -> Result<usize> {
    if articles.is_empty() {
        return Err(Error::EmptyCorpus("no articles to resample".into()));
    }
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed.wrapping_add(scale as u64));
    let n = articles.len();
    let mut bytes = 0;
    let mut words: Vec<&str> = Vec::new();
    let mut text = String::new();
    for i in 0..n * scale {
        let a = &articles[rng.gen_range(0..n)];
        text.clear();
        for (l, line) in a.text.lines().enumerate() {
            if l > 0 {
                text.push('\n');
            }
            words.clear();
            words.extend(line.split_whitespace());
            words.shuffle(&mut rng);
            for (j, word) in words.iter().enumerate() {
                if j > 0 {
                    text.push(' ');
                }
                text.push_str(word);
            }
        }
        bytes += text.len();
        let mut rec = serde_json::Map::new();
        rec.insert(fields.text.clone(), text.as_str().into());
        if !fields.id.is_empty() {
            rec.insert(fields.id.clone(), format!("{}~{i}", a.id).into());
        }
        if let (false, Some(label)) = (fields.label.is_empty(), &a.label) {
            rec.insert(fields.label.clone(), label.as_str().into());
        }
        serde_json::to_writer(&mut w, &rec)
            .map_err(|e| Error::Internal(format!("synthetic corpus: {e}")))?;
        w.write_all(b"\n").map_err(|e| Error::io(path, e))?;
    }
    w.flush().map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}

/// Reads the resident-memory high-water mark (`VmHWM`) of this process in bytes (Linux only).
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the high-water mark to the current resident size; false where that is not possible.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", b"5").is_ok()
}

/// A [`Progress`] sink that records the peak resident memory of each stage.
#[derive(Debug, Default)]
pub struct PeakMemory {
    peaks: Mutex<Vec<(String, Option<u64>)>>,
}

impl PeakMemory {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The recorded `(stage, peak bytes)` pairs, emptied.
    pub fn take(&self) -> Vec<(String, Option<u64>)> {
        self.peaks
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default()
    }
}

impl Progress for PeakMemory {
    fn start(&self, _stage: &str) {
        reset_peak_rss();
    }

    fn finish(&self, stage: &str, _seconds: f64) {
        let peak = peak_rss();
        if let Ok(mut p) = self.peaks.lock() {
            p.push((stage.to_string(), peak));
        }
    }
}

/// One run of the whole pipeline at one scale.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Seconds per stage.
    pub seconds: Vec<(String, f64)>,
    /// Peak resident bytes per stage.
    pub peak: Vec<(String, Option<u64>)>,
}

/// The figures of one stage at one scale.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StageFigures {
    /// Stage name.
    pub stage: String,
    /// Median wall time over the repeats, seconds.
    pub seconds: f64,
    /// Every repeat's wall time, seconds.
    pub runs: Vec<f64>,
    /// Corpus megabytes (10^6 bytes of article text) per second.
    pub mb_per_s: f64,
    /// Units per second.
    pub units_per_s: f64,
    /// Highest peak resident memory over the repeats, bytes (absent off Linux).
    pub peak_rss_bytes: Option<u64>,
}

/// All figures at one scale.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScaleFigures {
    /// The scale (1 = the corpus as given).
    pub scale: usize,
    /// Articles after ingest.
    pub articles: usize,
    /// Units analysed.
    pub units: usize,
    /// Bytes of article text after ingest.
    pub bytes: usize,
    /// Median over the repeats of the summed stage times, seconds.
    pub total_seconds: f64,
    /// Highest peak resident memory over all stages and repeats, bytes.
    pub peak_rss_bytes: Option<u64>,
    /// Per-stage figures, in [`STAGES`] order.
    pub stages: Vec<StageFigures>,
}

/// A fitted power law `time ∝ bytes^exponent` for one stage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Growth {
    /// Stage name, or `total`.
    pub stage: String,
    /// Least-squares slope of ln(seconds) against ln(bytes); absent with fewer than two scales.
    pub exponent: Option<f64>,
}

/// The result of `themata bench`, as `bench.json` stores it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BenchReport {
    /// themata's version.
    pub themata_version: String,
    /// The inputs as given.
    pub inputs: Vec<String>,
    /// The configuration every run used.
    pub config: serde_json::Value,
    /// Repeats per scale.
    pub repeat: usize,
    /// Worker threads available.
    pub threads: usize,
    /// How the synthetic corpora were made.
    pub synthesis: String,
    /// How peak memory was measured.
    pub memory_method: String,
    /// Figures per scale, in the order measured.
    pub scales: Vec<ScaleFigures>,
    /// Growth exponents per stage and for the total.
    pub growth: Vec<Growth>,
}

/// The median of `v` (mean of the middle two for an even count); 0 when empty.
pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    }
}

/// Least-squares slope of `ln y` against `ln x` over the points with both positive.
pub fn growth_exponent(points: &[(f64, f64)]) -> Option<f64> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// Aggregates the repeats of one scale.
pub fn aggregate(
    scale: usize,
    articles: usize,
    units: usize,
    bytes: usize,
    samples: &[Sample],
) -> ScaleFigures {
    let stages: Vec<StageFigures> = STAGES
        .iter()
        .map(|&stage| {
            let runs: Vec<f64> = samples
                .iter()
                .map(|s| {
                    s.seconds
                        .iter()
                        .filter(|(n, _)| n == stage)
                        .map(|(_, t)| t)
                        .sum()
                })
                .collect();
            let seconds = median(&runs);
            let peak = samples
                .iter()
                .flat_map(|s| s.peak.iter())
                .filter(|(n, _)| n == stage)
                .filter_map(|(_, p)| *p)
                .max();
            // A stage that did nothing (charts with --charts none) has no meaningful throughput.
            let per_s = |x: f64| if seconds > 1e-6 { x / seconds } else { 0.0 };
            StageFigures {
                stage: stage.to_string(),
                seconds,
                runs,
                mb_per_s: per_s(bytes as f64 / 1e6),
                units_per_s: per_s(units as f64),
                peak_rss_bytes: peak,
            }
        })
        .collect();
    let totals: Vec<f64> = (0..samples.len())
        .map(|i| stages.iter().map(|s| s.runs[i]).sum())
        .collect();
    ScaleFigures {
        scale,
        articles,
        units,
        bytes,
        total_seconds: median(&totals),
        peak_rss_bytes: stages.iter().filter_map(|s| s.peak_rss_bytes).max(),
        stages,
    }
}

/// Fits the growth exponent of every stage and of the total across the scales.
pub fn fit_growth(scales: &[ScaleFigures]) -> Vec<Growth> {
    let mut out: Vec<Growth> = STAGES
        .iter()
        .map(|&stage| Growth {
            stage: stage.to_string(),
            exponent: growth_exponent(
                &scales
                    .iter()
                    .filter_map(|s| {
                        s.stages
                            .iter()
                            .find(|f| f.stage == stage)
                            .map(|f| (s.bytes as f64, f.seconds))
                    })
                    .collect::<Vec<_>>(),
            ),
        })
        .collect();
    out.push(Growth {
        stage: "total".into(),
        exponent: growth_exponent(
            &scales
                .iter()
                .map(|s| (s.bytes as f64, s.total_seconds))
                .collect::<Vec<_>>(),
        ),
    });
    out
}

fn mib(b: Option<u64>) -> String {
    b.map_or_else(|| "-".into(), |b| format!("{:.0}", b as f64 / 1048576.0))
}

/// The report as a plain-text table, one block per scale, then the growth exponents.
pub fn to_table(report: &BenchReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for sc in &report.scales {
        let _ = writeln!(
            s,
            "scale ×{}: {} articles, {} units, {:.1} MB of text; total {:.3} s (median of {}), peak RSS {} MiB",
            sc.scale,
            sc.articles,
            sc.units,
            sc.bytes as f64 / 1e6,
            sc.total_seconds,
            report.repeat,
            mib(sc.peak_rss_bytes)
        );
        let _ = writeln!(
            s,
            "  {:<10} {:>10} {:>10} {:>12} {:>10}",
            "stage", "median s", "MB/s", "units/s", "peak MiB"
        );
        for f in &sc.stages {
            let rate = |x: f64, prec: usize| {
                if x > 0.0 {
                    format!("{x:.prec$}")
                } else {
                    "-".into()
                }
            };
            let _ = writeln!(
                s,
                "  {:<10} {:>10.4} {:>10} {:>12} {:>10}",
                f.stage,
                f.seconds,
                rate(f.mb_per_s, 1),
                rate(f.units_per_s, 0),
                mib(f.peak_rss_bytes)
            );
        }
    }
    if report.scales.len() > 1 {
        let _ = writeln!(s, "growth exponent (time ∝ size^e):");
        for g in &report.growth {
            let _ = writeln!(
                s,
                "  {:<10} {}",
                g.stage,
                g.exponent.map_or_else(|| "-".into(), |e| format!("{e:.2}"))
            );
        }
    }
    s
}

/// Writes `bench.json` (pretty) into `dir`.
pub fn write_json(report: &BenchReport, dir: &Path) -> Result<()> {
    let path = dir.join("bench.json");
    let text = serde_json::to_string_pretty(report)
        .map_err(|e| Error::Internal(format!("bench.json: {e}")))?;
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
}

/// Draws `bench.<ext>`: median time against corpus size per stage and in total, log-log, with
/// each fitted exponent in the legend. Uses the same embedded DejaVu Sans as [`crate::chart`].
pub fn draw_chart(report: &BenchReport, path: &Path) -> Result<()> {
    use plotters::prelude::*;
    ensure_fonts();
    let is_svg = path.extension().is_some_and(|e| e == "svg");
    let size = (960, 640);
    let err = |e: String| Error::Internal(format!("{}: {e}", path.display()));
    if is_svg {
        let root = SVGBackend::new(path, size).into_drawing_area();
        plot(report, &root).map_err(err)?;
        root.present().map_err(|e| err(e.to_string()))?;
    } else {
        let root = BitMapBackend::new(path, size).into_drawing_area();
        plot(report, &root).map_err(err)?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(())
}

const FONT: &str = "DejaVu Sans";

fn ensure_fonts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use plotters::style::{FontStyle, register_font};
        // Valid TrueType files compiled in; on failure text falls back to plotters' estimates.
        let _ = register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

fn plot<DB: plotters::prelude::DrawingBackend>(
    report: &BenchReport,
    root: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
) -> std::result::Result<(), String> {
    use plotters::prelude::*;
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut series: Vec<(String, Vec<(f64, f64)>)> = STAGES
        .iter()
        .map(|&stage| {
            let pts = report
                .scales
                .iter()
                .filter_map(|s| {
                    let f = s.stages.iter().find(|f| f.stage == stage)?;
                    Some((s.bytes as f64 / 1e6, f.seconds))
                })
                // A stage that did no work (charts with --charts none) is left off the chart.
                .filter(|&(x, y)| x > 0.0 && y > 1e-5)
                .collect();
            (stage.to_string(), pts)
        })
        .collect();
    series.push((
        "total".into(),
        report
            .scales
            .iter()
            .map(|s| (s.bytes as f64 / 1e6, s.total_seconds))
            .filter(|&(x, y)| x > 0.0 && y > 0.0)
            .collect(),
    ));
    let all: Vec<(f64, f64)> = series.iter().flat_map(|s| s.1.iter().copied()).collect();
    let (mut x0, mut x1, mut y0, mut y1) = all.iter().fold(
        (f64::INFINITY, 0.0f64, f64::INFINITY, 0.0f64),
        |(a, b, c, d), &(x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)),
    );
    if !x0.is_finite() {
        (x0, x1, y0, y1) = (0.1, 1.0, 0.001, 1.0);
    }
    let (x0, x1) = (x0 / 1.5, x1 * 1.5);
    let (y0, y1) = (y0 / 2.0, y1 * 2.0);
    let mut chart = ChartBuilder::on(root)
        .caption(
            "themata bench: median wall time per stage against corpus size",
            (FONT, 20),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        // Base-2 ticks on the size axis: the default scales (×1, ×4, ×16, ×50) span a decade or
        // two, where base-10 ticks would label a single value.
        .build_cartesian_2d((x0..x1).log_scale().base(2.0), (y0..y1).log_scale())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("corpus size (MB of text)")
        .y_desc("seconds")
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|v| compact(*v))
        .y_label_formatter(&|v| compact(*v))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, (name, pts)) in series.iter().enumerate() {
        if pts.is_empty() {
            continue;
        }
        // The themes' colour-blind-safe palette for the stages (skipping its black, slot 7),
        // black for the total.
        let c = if name == "total" {
            crate::chart::palette::Rgba::hex(0x000000)
        } else {
            crate::chart::palette::category(if i >= 7 { i + 1 } else { i })
        };
        let color = RGBColor(c.0, c.1, c.2).to_rgba();
        let width = if name == "total" { 3 } else { 2 };
        let exponent = report
            .growth
            .iter()
            .find(|g| &g.stage == name)
            .and_then(|g| g.exponent);
        let label = match exponent {
            Some(e) => format!("{name} (size^{e:.2})"),
            None => name.clone(),
        };
        chart
            .draw_series(LineSeries::new(
                pts.iter().copied(),
                color.stroke_width(width),
            ))
            .map_err(|e| e.to_string())?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(width))
            });
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
            .map_err(|e| e.to_string())?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 13))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// A number with three significant digits and no trailing noise (`0.001`, `12.5`, `1200`).
fn compact(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A synthetic article for tests and callers that build corpora in memory.
pub fn article(id: &str, text: &str, label: Option<&str>) -> Article {
    Article {
        id: id.into(),
        title: None,
        source: id.into(),
        label: label.map(Into::into),
        text: text.into(),
        date: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_exponent_recovers_power_law() {
        let pts: Vec<(f64, f64)> = [1.0, 4.0, 16.0].iter().map(|&x| (x, 3.0 * x)).collect();
        assert!((growth_exponent(&pts).unwrap() - 1.0).abs() < 1e-9);
        assert_eq!(growth_exponent(&pts[..1]), None);
    }

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn synthetic_corpus_is_deterministic_and_keeps_words() {
        let d = tempfile::tempdir().unwrap();
        let arts = vec![
            article("a", "one two three\nfour five", Some("x")),
            article("b", "six seven", None),
        ];
        let f = Fields {
            text: "body".into(),
            id: "id".into(),
            label: "label".into(),
        };
        let (p, q) = (d.path().join("p.jsonl"), d.path().join("q.jsonl"));
        write_synthetic(&arts, 3, 7, &f, &p).unwrap();
        write_synthetic(&arts, 3, 7, &f, &q).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text, std::fs::read_to_string(&q).unwrap());
        assert_eq!(text.lines().count(), 6);
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let mut words: Vec<&str> = v["body"].as_str().unwrap().split_whitespace().collect();
            words.sort_unstable();
            assert!(
                words == ["five", "four", "one", "three", "two"] || words == ["seven", "six"],
                "{words:?}"
            );
        }
    }

    #[test]
    fn bench_params_reject_zero_scale() {
        assert!(parse_scales("1,0").is_err());
        assert_eq!(parse_scales("1, 4,16").unwrap(), [1, 4, 16]);
    }
}
