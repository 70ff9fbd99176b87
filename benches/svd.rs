//! LSA (randomized truncated SVD, 100 dims) on synthetic sparse matrices at two sizes.
use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use themata::reduce::{LsaParams, lsa};
use themata::sparse::Csr;

/// Rows drawn from 20 planted topics (each a band of the vocabulary) plus background words.
fn corpus(rows: usize, cols: usize, per_row: usize) -> Csr {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let (mut indptr, mut indices, mut data) = (vec![0], Vec::new(), Vec::new());
    for r in 0..rows {
        let band = cols / 20;
        let mut c: Vec<u32> = (0..per_row)
            .map(|i| {
                if i % 2 == 0 {
                    ((r % 20) * band + rng.gen_range(0..band)) as u32
                } else {
                    rng.gen_range(0..cols) as u32
                }
            })
            .collect();
        c.sort_unstable();
        c.dedup();
        for col in c {
            indices.push(col);
            data.push(rng.gen_range(0.05f32..0.3));
        }
        indptr.push(indices.len());
    }
    Csr::new(rows, cols, indptr, indices, data)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("lsa");
    g.sample_size(10);
    for (rows, cols) in [(2_000, 10_000), (20_000, 50_000)] {
        let x = corpus(rows, cols, 60);
        let p = LsaParams::default();
        g.bench_function(format!("{rows}x{cols}_d100"), |b| {
            b.iter(|| lsa(&x, &p, 1).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
