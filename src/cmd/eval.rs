//! `themata eval`: the quality scores of a finished run.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::coherence::{self, CoherenceParams};
use crate::error::{Error, Result};
use crate::report::{self, RunReport};
use crate::themes::ThemeParams;
use crate::vectorize::{Analyzer, TfidfParams};

/// Arguments of `themata eval`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  themata eval out/2026-11-22_101500_seeds
  themata eval out/seeds --write-tokens tokens.jsonl
  themata run news.jsonl.gz --label-field label --name news && themata eval out/news")]
pub struct EvalArgs {
    /// A run folder written by `themata run`.
    pub run_dir: PathBuf,
    /// Also write the tokens coherence is scored on, one JSON array of words per unit and line
    /// (the vectorizer's analyser over the unit texts in run.json), to compare with other tools.
    #[arg(long, value_name = "FILE")]
    pub write_tokens: Option<PathBuf>,
}

/// Runs `themata eval`: internal scores always; topic coherence and diversity (from run.json, or
/// recomputed from its unit texts for a run that predates them); NMI, ARI, V-measure,
/// homogeneity, completeness and purity against the corpus labels when the run had a label field.
pub fn run(args: &EvalArgs) -> Result<()> {
    let r = report::read_json(&args.run_dir.join("run.json"))?;
    println!("run          {}", r.name);
    println!("units        {}", r.corpus.units);
    println!("themes       {}", r.themes.len());
    println!(
        "silhouette   {:.4}  (cosine, mean over units)",
        r.scores.silhouette
    );
    println!("inertia      {:.4}", r.scores.inertia);
    let truth: Option<Vec<&str>> = r
        .units
        .iter()
        .map(|u| r.articles[u.article].label.as_deref())
        .collect();
    match truth {
        Some(truth) => {
            let pred: Vec<usize> = r.units.iter().map(|u| u.theme).collect();
            let x = crate::pipeline::external(&truth, &pred);
            println!("NMI          {:.4}", x.nmi);
            println!("ARI          {:.4}", x.ari);
            println!("V-measure    {:.4}", x.v_measure);
            println!("homogeneity  {:.4}", x.homogeneity);
            println!("completeness {:.4}", x.completeness);
            println!("purity       {:.4}", x.purity);
        }
        None => println!(
            "(no corpus labels: run with --label-field to get NMI, ARI, V-measure, purity)"
        ),
    }
    print_coherence(&r)?;
    if let Some(path) = &args.write_tokens {
        let texts = unit_texts(&r).map_err(|why| {
            Error::Usage(format!("--write-tokens: cannot tokenise the units: {why}"))
        })?;
        let (vectorize, _) = run_settings(&r).map_err(Error::Usage)?;
        write_tokens(path, &texts, &vectorize)?;
    }
    Ok(())
}

/// Prints each theme's coherence and the means: from run.json, else recomputed from its unit
/// texts, else why neither is possible.
fn print_coherence(r: &RunReport) -> Result<()> {
    let (summary, themes, note) = match &r.coherence {
        Some(c) => (
            c.clone(),
            r.themes.iter().map(|t| t.coherence).collect(),
            "from run.json",
        ),
        None => match rescore(r)? {
            Ok(Some((c, themes))) => (
                c,
                themes,
                "recomputed from the unit texts in run.json, which has no coherence scores",
            ),
            Ok(None) => {
                println!("coherence    none: no theme has two top terms that occur in the units");
                return Ok(());
            }
            Err(why) => {
                println!("coherence    not in run.json, and cannot be recomputed: {why}");
                return Ok(());
            }
        },
    };
    println!(
        "coherence    c_npmi {:.4}  c_v {:.4}  u_mass {:.4}  (gensim's measures; mean over {} of {} themes, top {} terms; {note})",
        summary.mean.c_npmi,
        summary.mean.c_v,
        summary.mean.u_mass,
        summary.themes_scored,
        r.themes.len(),
        summary.top_n
    );
    println!(
        "diversity    {:.4}  (distinct terms among the themes' top {})",
        summary.diversity, summary.top_n
    );
    println!("theme   c_npmi     c_v   u_mass  label");
    for (t, c) in r.themes.iter().zip(&themes) {
        match c {
            Some(c) => println!(
                "{:>5}  {:>7.4} {:>7.4} {:>8.4}  {}{}",
                t.id + 1,
                c.c_npmi,
                c.c_v,
                c.u_mass,
                t.label,
                if summary.is_low(c) {
                    "  [low coherence]"
                } else {
                    ""
                }
            ),
            None => println!(
                "{:>5}  {:>7} {:>7} {:>8}  {}",
                t.id + 1,
                "—",
                "—",
                "—",
                t.label
            ),
        }
    }
    Ok(())
}

/// What [`rescore`] finds: the summary and per-theme scores, `None` when no theme can be scored.
type Rescored = Option<(coherence::Summary, Vec<Option<coherence::Coherence>>)>;

/// Coherence recomputed from run.json's unit texts and settings; the inner `Err` says why it
/// cannot be.
fn rescore(r: &RunReport) -> Result<std::result::Result<Rescored, String>> {
    let texts = match unit_texts(r) {
        Ok(t) => t,
        Err(why) => return Ok(Err(why)),
    };
    let (vectorize, params) = match run_settings(r) {
        Ok(s) => s,
        Err(why) => return Ok(Err(why)),
    };
    if r.themes.iter().all(|t| t.terms.is_empty()) {
        return Ok(Err("the themes have no top terms (a hashing run)".into()));
    }
    let terms: Vec<Vec<&str>> = r
        .themes
        .iter()
        .map(|t| t.terms.iter().map(|w| w.term.as_str()).collect())
        .collect();
    let scored = coherence::of_units(&texts, &vectorize, &terms, &params)?;
    Ok(Ok(scored.summary.map(|s| (s, scored.themes))))
}

/// The unit texts of run.json, or why they are not all there.
fn unit_texts(r: &RunReport) -> std::result::Result<Vec<&str>, String> {
    let missing = r
        .units
        .iter()
        .filter(|u| u.text.is_empty() && u.end > u.start)
        .count();
    if missing > 0 {
        return Err(format!(
            "run.json lacks the text of {missing} of its {} units (the run had \
             output.unit_text = false, which keeps only the representative passages)",
            r.units.len()
        ));
    }
    Ok(r.units.iter().map(|u| u.text.as_str()).collect())
}

/// The run's vectorizer and coherence settings, from the configuration stored in run.json, or why
/// they cannot be read.
fn run_settings(r: &RunReport) -> std::result::Result<(TfidfParams, CoherenceParams), String> {
    let table = |name: &str| {
        r.config
            .get(name)
            .cloned()
            .ok_or_else(|| format!("run.json's config has no `{name}` table"))
    };
    let vectorize: TfidfParams = serde_json::from_value(table("vectorize")?)
        .map_err(|e| format!("run.json's config.vectorize is not one this themata reads: {e}"))?;
    // A run from before coherence has no coherence keys: the defaults fill them.
    let themes: ThemeParams = serde_json::from_value(table("themes")?)
        .map_err(|e| format!("run.json's config.themes is not one this themata reads: {e}"))?;
    let mut params = CoherenceParams::from(&themes);
    if params.top_n == 0 {
        params.top_n = ThemeParams::default().coherence_top_n;
    }
    Ok((vectorize, params))
}

/// Writes each unit's words as coherence reads them, one JSON array per line.
fn write_tokens(path: &Path, texts: &[&str], vectorize: &TfidfParams) -> Result<()> {
    let analyzer = Analyzer::new(vectorize)?;
    let texts = coherence::Analysed {
        analyzer: &analyzer,
        texts,
    };
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = std::io::BufWriter::new(file);
    let mut words: Vec<String> = Vec::new();
    for i in 0..coherence::Texts::len(&texts) {
        words.clear();
        coherence::Texts::for_each_word(&texts, i, |t| words.push(t.to_owned()));
        let line = serde_json::to_string(&words).map_err(|e| Error::Internal(e.to_string()))?;
        writeln!(w, "{line}").map_err(|e| Error::io(path, e))?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}
