//! `themata vectorize`: TF-IDF only, written as Matrix Market + vocabulary so scipy, R or Julia
//! can read it, with `rows.csv` mapping each matrix row back to its unit and article.
//!
//! Every article keeps at least one row, empty ones too (an empty unit is an all-zero row), so
//! with `--unit document` row i is input record i.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{InputArgs, with_runtime};
use crate::error::{Error, Result};
use crate::ingest::Corpus;
use crate::units::{self, Units};
use crate::vectorize::{self, TfidfParams};

/// TF-IDF flags, named as scikit-learn's `TfidfVectorizer` options (shared with `themata run`).
#[derive(Debug, Clone, Default, Args)]
pub struct VectorizeArgs {
    /// Ignore terms in fewer documents: a count when whole, a fraction when in (0, 1).
    #[arg(long, value_name = "X")]
    pub min_df: Option<f64>,
    /// Ignore terms in more documents: a fraction when in (0, 1], a count when whole and > 1.
    #[arg(long, value_name = "X")]
    pub max_df: Option<f64>,
    /// N-gram lengths as `MIN,MAX`, e.g. `1,2`.
    #[arg(long, value_name = "MIN,MAX")]
    pub ngram_range: Option<String>,
    /// Keep only the N most frequent terms.
    #[arg(long, value_name = "N")]
    pub max_features: Option<usize>,
    /// Stop words: `english` (scikit-learn's list), `none`, or a file with one word per line.
    #[arg(long, value_name = "LIST")]
    pub stop_words: Option<String>,
    /// Row normalisation: `l2`, `l1` or `none`.
    #[arg(long, value_name = "NORM")]
    pub norm: Option<String>,
    /// Regular expression a token must match (scikit-learn's `token_pattern`).
    #[arg(long, value_name = "REGEX")]
    pub token_pattern: Option<String>,
    /// Use 1 + ln(tf) instead of tf.
    #[arg(long)]
    pub sublinear_tf: bool,
    /// Term presence (0/1) instead of counts.
    #[arg(long)]
    pub binary: bool,
    /// Do not weight by inverse document frequency.
    #[arg(long)]
    pub no_idf: bool,
    /// Plain idf, without scikit-learn's +1 smoothing of document counts.
    #[arg(long)]
    pub no_smooth_idf: bool,
    /// Keep case.
    #[arg(long)]
    pub no_lowercase: bool,
    /// Stem terms (Snowball English) after stop-word removal.
    #[arg(long)]
    pub stem: bool,
    /// Signed feature hashing into N columns; no vocabulary is kept.
    #[arg(long, value_name = "N")]
    pub hashing: Option<usize>,
}

impl VectorizeArgs {
    /// Applies the flags given over `p`.
    pub fn apply(&self, p: &mut TfidfParams) -> Result<()> {
        if let Some(v) = self.min_df {
            p.min_df = v;
        }
        if let Some(v) = self.max_df {
            p.max_df = v;
        }
        if let Some(r) = &self.ngram_range {
            let parts: Vec<&str> = r.split(',').map(str::trim).collect();
            let parsed: Option<Vec<usize>> = parts.iter().map(|s| s.parse().ok()).collect();
            match parsed.as_deref() {
                Some([a, b]) => p.ngram_range = (*a, *b),
                _ => {
                    return Err(Error::Usage(format!(
                        "--ngram-range {r}: expected MIN,MAX such as 1,2"
                    )));
                }
            }
        }
        if let Some(v) = self.max_features {
            p.max_features = Some(v);
        }
        if let Some(v) = &self.stop_words {
            p.stop_words = enum_value("stop-words", v)?;
        }
        if let Some(v) = &self.norm {
            p.norm = enum_value("norm", v)?;
        }
        if let Some(v) = &self.token_pattern {
            p.token_pattern = v.clone();
        }
        p.sublinear_tf |= self.sublinear_tf;
        p.binary |= self.binary;
        p.use_idf &= !self.no_idf;
        p.smooth_idf &= !self.no_smooth_idf;
        p.lowercase &= !self.no_lowercase;
        p.stem |= self.stem;
        if let Some(n) = self.hashing {
            p.hashing = Some(n);
        }
        p.check()
    }
}

/// Parses a flag's value as the config would (same spelling as the TOML value).
fn enum_value<T: serde::de::DeserializeOwned>(flag: &str, v: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(v.to_string()))
        .map_err(|e| Error::Usage(format!("--{flag} {v}: {e}")))
}

/// Arguments of `themata vectorize`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  themata vectorize seeds --out tfidf/
  themata vectorize news.jsonl.gz --text-field body --unit document --clean none \\
      --min-df 2 --max-df 0.5 --ngram-range 1,2 --sublinear-tf --stop-words english --out tfidf/
  python3 -c \"import scipy.io; X = scipy.io.mmread('tfidf/matrix.mtx')\"")]
pub struct VectorizeCmdArgs {
    /// Corpus and ingest options.
    #[command(flatten)]
    pub input: InputArgs,
    /// TF-IDF options.
    #[command(flatten)]
    pub vectorize: VectorizeArgs,
    /// Folder that receives matrix.mtx, vocab.txt and rows.csv (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Runs `themata vectorize`.
pub fn run(args: &VectorizeCmdArgs) -> Result<()> {
    let mut config = args.input.config()?;
    args.vectorize.apply(&mut config.vectorize)?;
    // Rows must line up with the input records: empty articles stay, as zero rows.
    config.ingest.keep_empty = true;
    let out = &args.out;
    let (tfidf, empty_units) = with_runtime(&config, || {
        let corpus = crate::pipeline::ingest(&args.input.source(), &config)?;
        config.huge_pages.apply(corpus.bytes());
        let units = units::split_keeping_empty(&corpus, &config.units)?;
        let texts = units.texts(&corpus);
        let tfidf = vectorize::fit_transform(&texts, &config.vectorize)?;
        std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
        write_rows_csv(&out.join("rows.csv"), &units, &corpus)?;
        let empty_units = units.units.iter().filter(|u| u.start == u.end).count();
        Ok((tfidf, empty_units))
    })?;
    tfidf.write(out)?;
    let m = &tfidf.matrix;
    let zero_rows = (0..m.rows()).filter(|&r| m.row(r).0.is_empty()).count();
    println!(
        "{} rows x {} terms, {} nonzeros, {zero_rows} empty rows ({empty_units} from empty units) -> {}",
        m.rows(),
        m.cols(),
        m.nnz(),
        out.display()
    );
    Ok(())
}

/// Writes `rows.csv`: one line per matrix row, `row,unit_id,article_id,ordinal,start,end`.
/// `row` is the row's number in matrix.mtx (from 1, as Matrix Market, R and Julia count);
/// `unit_id` is the unit's index (from 0, as scipy counts rows and as run.json and
/// assignments.csv number units); `start..end` is the unit's byte span in the article's text
/// (`0,0` for an empty unit).
fn write_rows_csv(path: &Path, units: &Units, corpus: &Corpus) -> Result<()> {
    let failed = |e: csv::Error| Error::io(path, e.into());
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    w.write_record(["row", "unit_id", "article_id", "ordinal", "start", "end"])
        .map_err(failed)?;
    for (id, u) in units.units.iter().enumerate() {
        w.write_record([
            (id + 1).to_string().as_str(),
            &id.to_string(),
            &corpus.articles[u.article].id,
            &u.ordinal.to_string(),
            &u.start.to_string(),
            &u.end.to_string(),
        ])
        .map_err(failed)?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}
