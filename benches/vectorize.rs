//! Vectorizer benchmarks: `fit_transform` with scikit-learn's defaults and with the bigram
//! settings (`ngram_range=(1,2), min_df=2, max_df=0.5, sublinear_tf, stop_words='english'`), at
//! two corpus sizes, plus single-threaded tokenising throughput.
//!
//! Corpus: the `body` field of `$THEMATA_CORPUS` or of `../shared/corpora/20newsgroups.jsonl.gz`
//! (relative to the crate) when either exists; otherwise the files of `seeds/` replicated to
//! about 4 MB, so the bench runs on any clone.
//!
//! ```text
//! cargo bench --bench vectorize
//! ```

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use themata::vectorize::{Analyzer, StopWords, TfidfParams, fit_transform};

fn corpus() -> (String, Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates: Vec<PathBuf> = std::env::var_os("THEMATA_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain([root.join("../shared/corpora/20newsgroups.jsonl.gz")])
        .collect();
    for path in candidates {
        if let Ok(file) = std::fs::File::open(&path) {
            let reader: Box<dyn std::io::Read> = if path.extension().is_some_and(|e| e == "gz") {
                Box::new(flate2::read::GzDecoder::new(file))
            } else {
                Box::new(file)
            };
            let docs: Vec<String> = BufReader::new(reader)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
                .filter_map(|v| v.get("body").and_then(|b| b.as_str()).map(str::to_owned))
                .collect();
            if !docs.is_empty() {
                return ("20ng".into(), docs);
            }
        }
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("seeds"))
        .expect("seeds/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let seeds: Vec<String> = files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let total: usize = seeds.iter().map(String::len).sum();
    let copies = (4_000_000 / total.max(1)).max(1);
    (
        "seeds".into(),
        (0..copies).flat_map(|_| seeds.iter().cloned()).collect(),
    )
}

fn bigram() -> TfidfParams {
    TfidfParams {
        ngram_range: (1, 2),
        min_df: 2.0,
        max_df: 0.5,
        sublinear_tf: true,
        stop_words: StopWords::English,
        ..Default::default()
    }
}

fn benches(c: &mut Criterion) {
    let (name, docs) = corpus();
    let all: Vec<&str> = docs.iter().map(String::as_str).collect();
    let sizes = [all.len() / 4, all.len()];
    let mut g = c.benchmark_group(format!("vectorize_{name}"));
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    for &n in &sizes {
        let docs = &all[..n];
        let bytes: usize = docs.iter().map(|d| d.len()).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        for (label, params) in [("defaults", TfidfParams::default()), ("bigram", bigram())] {
            g.bench_with_input(BenchmarkId::new(label, n), docs, |b, docs| {
                b.iter(|| fit_transform(docs, &params).expect("fit"))
            });
        }
        // Tokenising alone (lowercasing + default pattern), one thread: MB/s per core.
        let analyzer = Analyzer::new(&TfidfParams::default()).expect("default params");
        g.bench_with_input(BenchmarkId::new("tokenize_1thread", n), docs, |b, docs| {
            b.iter(|| {
                let mut tokens = 0usize;
                for d in docs.iter() {
                    analyzer.for_each_token(d, |_| tokens += 1);
                }
                tokens
            })
        });
    }
    g.finish();
}

criterion_group!(vectorize, benches);
criterion_main!(vectorize);
