//! `themata bench`: the whole pipeline, stage by stage, on the given corpus and on synthetic
//! corpora made from it at larger scales (see [`crate::bench`] for how they are made and how
//! memory is measured).

use clap::Args;

use super::run::{RunArgs, chart_formats, write_outputs};
use super::with_runtime;
use crate::bench::{self, BenchParams, BenchReport, Fields, PeakMemory, Sample};
use crate::error::{Error, Result};
use crate::pipeline::{self, Source, analyse};
use crate::rundir::RunDir;

/// Arguments of `themata bench`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  themata bench                                       the seed corpus at ×1, ×4 and ×16
  themata bench news.jsonl.gz --text-field body --unit document --clean none --k 20 \\
      --scales 1,10,50 --repeat 5 --charts none

Writes <out>/<name>/bench.json, bench.png and bench.svg (time against corpus size, log-log);
synthetic corpora and the runs' own folders live in the bench folder's temporary folder and are
removed at the end.")]
pub struct BenchArgs {
    /// Every option of `themata run` (corpus, ingest, TF-IDF, clustering, --out, --name, --charts).
    #[command(flatten)]
    pub run: RunArgs,
    /// Corpus scales: 1 is the corpus as given, s > 1 a synthetic corpus s times its size.
    #[arg(long, value_name = "LIST", default_value = "1,4,16")]
    pub scales: String,
    /// Runs per scale; medians are reported.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub repeat: usize,
}

/// Runs `themata bench`.
pub fn run(args: &BenchArgs) -> Result<()> {
    let config = args.run.config()?;
    let params = BenchParams {
        scales: bench::parse_scales(&args.scales)?,
        repeat: args.repeat,
        seed: config.seed,
    };
    params.check().map_err(|e| Error::Usage(format!("--{e}")))?;
    let name = args
        .run
        .name
        .clone()
        .unwrap_or_else(|| format!("bench_{}", chrono::Local::now().format("%Y-%m-%d_%H%M%S")));
    let dir = RunDir::create(&config.output.out, &name, args.run.name.is_some())?;
    super::guard_interrupts(&dir);
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).map_err(|e| Error::io(&work, e))?;
    let source = args.run.input.source();
    let formats = chart_formats(&config.output.charts);
    let fields = Fields {
        text: config.ingest.text_field.clone(),
        id: config.ingest.id_field.clone(),
        label: config.ingest.label_field.clone(),
    };

    let report = with_runtime(&config, || {
        // Synthetic corpora are written first, from the raw (uncleaned) articles, which are then
        // dropped so they do not weigh on the memory figures.
        let mut sources = Vec::new();
        let mut raw: Option<Vec<crate::ingest::Article>> = None;
        for &s in &params.scales {
            if s == 1 {
                sources.push((s, source.clone()));
                continue;
            }
            if raw.is_none() {
                let mut raw_config = config.clone();
                raw_config.ingest.clean = false;
                raw = Some(pipeline::ingest(&source, &raw_config)?.articles);
            }
            let path = work.join(format!("corpus_x{s}.jsonl"));
            let articles = raw.as_deref().unwrap_or_default();
            bench::write_synthetic(articles, s, params.seed, &fields, &path)?;
            sources.push((s, Source::Paths(vec![path])));
        }
        drop(raw);

        let mut scales = Vec::new();
        for (s, src) in &sources {
            let mut samples = Vec::new();
            let mut stats = (0, 0, 0);
            for r in 0..params.repeat {
                let mem = PeakMemory::new();
                let mut report = analyse(src, &config, &name, &mem)?;
                let run_dir = RunDir::create(&work.join("runs"), &format!("x{s}_{r}"), false)?;
                write_outputs(&mut report, &run_dir, &formats, &mem)?;
                drop(run_dir);
                stats = (
                    report.corpus.articles,
                    report.corpus.units,
                    report.corpus.bytes,
                );
                samples.push(Sample {
                    seconds: report
                        .timings
                        .iter()
                        .map(|t| (t.stage.clone(), t.seconds))
                        .collect(),
                    peak: mem.take(),
                });
                log::info!("scale ×{s}, run {}: done", r + 1);
            }
            if let Source::Paths(p) = src
                && *s > 1
            {
                let _ = std::fs::remove_file(&p[0]);
            }
            scales.push(bench::aggregate(*s, stats.0, stats.1, stats.2, &samples));
        }
        let growth = bench::fit_growth(&scales);
        Ok(BenchReport {
            themata_version: env!("CARGO_PKG_VERSION").into(),
            inputs: source.describe(),
            config: serde_json::to_value(&config).map_err(|e| Error::Internal(e.to_string()))?,
            repeat: params.repeat,
            threads: rayon::current_num_threads(),
            synthesis: bench::SYNTHESIS.into(),
            memory_method: bench::MEMORY_METHOD.into(),
            scales,
            growth,
        })
    })?;
    std::fs::remove_dir_all(&work).map_err(|e| Error::io(&work, e))?;
    bench::write_json(&report, dir.path())?;
    for ext in ["png", "svg"] {
        bench::draw_chart(&report, &dir.path().join(format!("bench.{ext}")))?;
    }
    let path = dir.commit()?;
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    // A closed pipe is not an error.
    let _ = write!(out, "{}", bench::to_table(&report));
    let _ = writeln!(out, "-> {}", path.display());
    Ok(())
}
