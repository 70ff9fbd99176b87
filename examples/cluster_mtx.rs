//! Clusters a TF-IDF matrix written by scikit-learn (Matrix Market) with themata's LSA and
//! clustering, and scores it against reference labels: the harness behind BENCHMARKS.md.
//!
//! ```text
//! python3 /work/shared/tools/sklearn_reference.py CORPUS --field body --dump-tfidf DIR
//! cargo run --release --example cluster_mtx -- DIR/matrix.mtx labels.txt --k 20 --seeds 5
//! ```
//! Options: `--k N` (default 20), `--dims N` (100), `--restarts N` (5), `--power-iters N` (5),
//! `--seeds N` (5), `--method kmeans|hierarchical`, `--threads N` (0 = rayon's default).

use std::io::{BufRead, BufReader};
use std::time::Instant;

use anyhow::{Context, bail};
use themata::cluster::{ClusterParams, KChoice, Method, cluster};
use themata::eval;
use themata::reduce::{LsaParams, lsa};
use themata::sparse::Csr;

fn read_mtx(path: &str) -> anyhow::Result<Csr> {
    let f = std::fs::File::open(path).with_context(|| format!("opening {path}"))?;
    let mut lines = BufReader::new(f).lines();
    let mut header = None;
    for line in lines.by_ref() {
        let line = line?;
        if line.starts_with('%') || line.trim().is_empty() {
            continue;
        }
        header = Some(line);
        break;
    }
    let header = header.context("no size line")?;
    let dims: Vec<usize> = header
        .split_whitespace()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    let [rows, cols, nnz] = dims[..] else {
        bail!("bad size line: {header}")
    };
    let mut trip: Vec<(u32, u32, f32)> = Vec::with_capacity(nnz);
    for line in lines {
        let line = line?;
        let mut it = line.split_whitespace();
        let (Some(i), Some(j), Some(v)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        trip.push((i.parse::<u32>()? - 1, j.parse::<u32>()? - 1, v.parse()?));
    }
    trip.sort_unstable_by_key(|&(i, j, _)| (i, j));
    let mut indptr = vec![0usize; rows + 1];
    for &(i, _, _) in &trip {
        indptr[i as usize + 1] += 1;
    }
    for r in 0..rows {
        indptr[r + 1] += indptr[r];
    }
    let indices = trip.iter().map(|t| t.1).collect();
    let data = trip.iter().map(|t| t.2).collect();
    Ok(Csr::new(rows, cols, indptr, indices, data))
}

/// CPU seconds (user + system) used by this process so far, from /proc (0 elsewhere): less
/// sensitive than wall time to other jobs on a shared machine.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        bail!(
            "usage: cluster_mtx MATRIX.mtx LABELS.txt [--k N] [--dims N] [--restarts N] [--power-iters N] [--seeds N] [--method M] [--threads N]"
        );
    }
    let opt = |name: &str, default: usize| -> anyhow::Result<usize> {
        match args.iter().position(|a| a == name) {
            Some(i) => Ok(args.get(i + 1).context("missing value")?.parse()?),
            None => Ok(default),
        }
    };
    let (k, dims, restarts) = (opt("--k", 20)?, opt("--dims", 100)?, opt("--restarts", 5)?);
    let (power_iters, seeds, threads) = (
        opt("--power-iters", 5)?,
        opt("--seeds", 5)?,
        opt("--threads", 0)?,
    );
    let method = match args.iter().position(|a| a == "--method") {
        Some(i) if args.get(i + 1).map(String::as_str) == Some("hierarchical") => {
            Method::Hierarchical
        }
        _ => Method::Kmeans,
    };
    if threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()?;
    }
    let t = Instant::now();
    let x = read_mtx(&args[0])?;
    let labels: Vec<String> = std::fs::read_to_string(&args[1])?
        .lines()
        .map(str::to_owned)
        .collect();
    if labels.len() != x.rows() {
        bail!("{} labels for {} rows", labels.len(), x.rows());
    }
    eprintln!(
        "read {} × {} ({} nnz) in {:.2}s",
        x.rows(),
        x.cols(),
        x.nnz(),
        t.elapsed().as_secs_f64()
    );
    let lp = LsaParams {
        dims,
        power_iters,
        ..LsaParams::default()
    };
    let cp = ClusterParams {
        k: KChoice::Fixed(k),
        restarts,
        method,
        ..ClusterParams::default()
    };
    let mut sums = [0f64; 8];
    let mut lsa_times = Vec::new();
    let mut km_times = Vec::new();
    for seed in 0..seeds as u64 {
        let (t, c0) = (Instant::now(), cpu_seconds());
        let fit = lsa(&x, &lp, seed)?;
        let (t_lsa, c_lsa) = (t.elapsed().as_secs_f64(), cpu_seconds() - c0);
        let (t, c0) = (Instant::now(), cpu_seconds());
        let c = cluster(fit.embedding.view(), &cp, None, seed)?;
        let (t_km, c_km) = (t.elapsed().as_secs_f64(), cpu_seconds() - c0);
        let m = [
            eval::nmi(&labels, &c.labels),
            eval::ari(&labels, &c.labels),
            eval::homogeneity(&labels, &c.labels),
            eval::completeness(&labels, &c.labels),
            eval::v_measure(&labels, &c.labels),
            c.silhouette as f64,
            t_lsa,
            t_km,
        ];
        println!(
            "seed {seed}: nmi {:.4} ari {:.4} homogeneity {:.4} completeness {:.4} v {:.4} silhouette {:.4} lsa_s {:.3} cluster_s {:.3} inertia {:.1} cpu_lsa_s {c_lsa:.2} cpu_cluster_s {c_km:.2}",
            m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], c.inertia
        );
        for (s, v) in sums.iter_mut().zip(m) {
            *s += v;
        }
        lsa_times.push(t_lsa);
        km_times.push(t_km);
    }
    let n = seeds as f64;
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "mean: nmi {:.4} ari {:.4} homogeneity {:.4} completeness {:.4} v {:.4} silhouette {:.4} | median lsa_s {:.3} cluster_s {:.3}",
        sums[0] / n,
        sums[1] / n,
        sums[2] / n,
        sums[3] / n,
        sums[4] / n,
        sums[5] / n,
        median(&mut lsa_times),
        median(&mut km_times)
    );
    Ok(())
}
