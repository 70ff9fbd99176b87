//! k-means fit (5 restarts, k = 20) on synthetic unit-norm blobs at two sizes.
use criterion::{Criterion, criterion_group, criterion_main};
use linfa::param_guard::ParamGuard;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use themata::cluster::KMeansParams;

fn blobs(n: usize, d: usize, k: usize) -> Array2<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let centers = Array2::from_shape_fn((k, d), |_| rng.gen_range(-1.0f32..1.0));
    let mut x = Array2::from_shape_fn((n, d), |(i, j)| {
        centers[(i % k, j)] + rng.gen_range(-1.0f32..1.0)
    });
    for mut r in x.rows_mut() {
        let norm = r.dot(&r).sqrt();
        r.mapv_inplace(|v| v / norm);
    }
    x
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("kmeans");
    g.sample_size(10);
    for n in [2_000, 20_000] {
        let x = blobs(n, 100, 20);
        let p = KMeansParams::new(20, 7).n_runs(5).check().unwrap();
        g.bench_function(format!("n{n}_d100_k20"), |b| {
            b.iter(|| p.fit_view(x.view()).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
