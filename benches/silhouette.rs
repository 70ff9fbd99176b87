//! Exact cosine silhouette at two sizes (k = 20, d = 100).
use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use themata::cluster::silhouette;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("silhouette");
    g.sample_size(10);
    for n in [2_000, 50_000] {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let x = Array2::from_shape_fn((n, 100), |_| rng.gen_range(-1.0f32..1.0));
        let labels: Vec<usize> = (0..n).map(|i| i % 20).collect();
        g.bench_function(format!("n{n}_d100_k20"), |b| {
            b.iter(|| silhouette(x.view(), &labels))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
