//! Agglomerative clustering (Ward, and average linkage on cosine): direct on 1,500 rows, and
//! through k-means micro-clusters on 10,000 rows.
use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use themata::cluster::Linkage;
use themata::cluster::hierarchical::agglomerative;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("agglomerative");
    g.sample_size(10);
    for n in [1_500, 10_000] {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let centers = Array2::from_shape_fn((10, 50), |_| rng.gen_range(-1.0f32..1.0));
        let x = Array2::from_shape_fn((n, 50), |(i, j)| {
            centers[(i % 10, j)] + rng.gen_range(-0.7f32..0.7)
        });
        for (name, linkage) in [("ward", Linkage::Ward), ("average", Linkage::Average)] {
            g.bench_function(format!("{name}_n{n}_d50_k10"), |b| {
                b.iter(|| agglomerative(x.view(), 10, linkage, 1).unwrap())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
