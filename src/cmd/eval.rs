//! `themata eval`: the quality scores of a finished run.

use std::path::PathBuf;

use clap::Args;

use crate::error::Result;
use crate::report;

/// Arguments of `themata eval`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  themata eval out/2026-11-22_101500_seeds
  themata run news.jsonl.gz --label-field label --name news && themata eval out/news")]
pub struct EvalArgs {
    /// A run folder written by `themata run`.
    pub run_dir: PathBuf,
}

/// Runs `themata eval`: internal scores always; NMI, ARI, V-measure, homogeneity, completeness
/// and purity against the corpus labels when the run had a label field.
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
    Ok(())
}
