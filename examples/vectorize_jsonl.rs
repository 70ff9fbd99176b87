//! Runs the vectorizer on one text field of a JSON Lines file (optionally gzipped) and writes
//! `matrix.mtx` + `vocab.txt`, for parity checks against scikit-learn before the CLI exists.
//!
//! ```text
//! cargo run --release --example vectorize_jsonl -- CORPUS.jsonl.gz OUT_DIR [--field body]
//!     [--bigram] [--repeat N]
//! ```
//! Without `--bigram`: scikit-learn's defaults. With it: `ngram_range=(1,2), min_df=2,
//! max_df=0.5, sublinear_tf=True, stop_words='english'`. `--repeat N` times `fit_transform` N
//! times and prints each time and the median (seconds) to stderr.

use std::io::{BufRead, BufReader, Read};
use std::time::Instant;

use themata::vectorize::{StopWords, TfidfParams, fit_transform};

/// The allocator the `themata` binary uses, so the timings are the shipped vectorizer's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut field = "body".to_owned();
    let mut bigram = false;
    let mut repeat = 1usize;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--field" => {
                field = args
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--field needs a value"))?
            }
            "--bigram" => bigram = true,
            "--repeat" => {
                repeat = args
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--repeat needs N"))?
                    .parse()?
            }
            _ => positional.push(a),
        }
    }
    let [corpus, out] = positional.as_slice() else {
        anyhow::bail!("usage: vectorize_jsonl CORPUS OUT_DIR [--field F] [--bigram] [--repeat N]");
    };
    let file = std::fs::File::open(corpus)?;
    let reader: Box<dyn Read> = if corpus.ends_with(".gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut texts = Vec::new();
    for line in BufReader::new(reader).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: serde_json::Value = serde_json::from_str(&line)?;
        let text = rec
            .get(&field)
            .and_then(|v| v.as_str())
            .ok_or_else(|| anyhow::anyhow!("record without string field {field}"))?;
        texts.push(text.to_owned());
    }
    let docs: Vec<&str> = texts.iter().map(String::as_str).collect();
    // The binary's transparent-huge-page policy for a corpus of this size.
    themata::config::HugePages::default().apply(docs.iter().map(|d| d.len()).sum());
    let params = if bigram {
        TfidfParams {
            ngram_range: (1, 2),
            min_df: 2.0,
            max_df: 0.5,
            sublinear_tf: true,
            stop_words: StopWords::English,
            ..Default::default()
        }
    } else {
        TfidfParams::default()
    };
    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let r = fit_transform(&docs, &params)?;
        times.push(t.elapsed().as_secs_f64());
        eprintln!(
            "fit_transform: {:.3} s",
            times.last().copied().unwrap_or(0.0)
        );
        result = Some(r);
    }
    times.sort_by(f64::total_cmp);
    let mb = docs.iter().map(|d| d.len()).sum::<usize>() as f64 / 1e6;
    let tfidf = result.ok_or_else(|| anyhow::anyhow!("no run"))?;
    eprintln!(
        "documents {} megabytes {mb:.2} vocabulary {} nnz {} median {:.3} s",
        docs.len(),
        tfidf.vocab.len(),
        tfidf.matrix.nnz(),
        times[times.len() / 2]
    );
    tfidf.write(std::path::Path::new(out))?;
    Ok(())
}
