//! A saved model read back is checked before anything indexes into it: every damaged byte or
//! truncated file of `model/` is refused with an error naming the file, or (a value changed
//! inside an array) loads as a model whose every index and shape still fit. Never a panic.

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use themata::config::Config;
use themata::model::Model;
use themata::pipeline::{Quiet, Source, analyse_with_model};
use themata::rundir::RunDir;

const FILES: [&str; 7] = [
    "model.json",
    "vocab.json",
    "df.npy",
    "components.npy",
    "centroids.npy",
    "theme_centroids.npy",
    "similarity_quantiles.npy",
];

/// Loads the model in `run`, and when it loads, uses it as `assign` would.
fn load_and_use(run: &Path) -> Result<(), String> {
    match Model::load(run) {
        Ok(m) => {
            let e = m.theme_centroids.clone();
            let themes = m.themes_of(e.view());
            assert!(themes.iter().all(|&t| t < m.k()));
            let th = m.outlier_thresholds(5.0);
            assert_eq!(th.len(), m.k());
            Ok(())
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                matches!(e, themata::Error::Input { .. } | themata::Error::Io { .. }),
                "{msg}"
            );
            Err(msg)
        }
    }
}

#[test]
fn damaged_model_files_are_refused_or_harmless_never_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let config = Config::load_for(None, true).unwrap();
    let (_, model) = analyse_with_model(&Source::EmbeddedSeeds, &config, "m", &Quiet).unwrap();
    let model = model.expect("output.model is on by default");
    let dir = RunDir::create(tmp.path(), "m", true).unwrap();
    model.write(&dir).unwrap();
    let run = dir.commit().unwrap();
    assert_eq!(Model::load(&run).unwrap(), model, "round trip");

    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut refused = 0;
    for f in FILES {
        let path = run.join("model").join(f);
        let original = std::fs::read(&path).unwrap();
        // Truncations at a few lengths, including empty.
        for cut in [0, 1, 10, original.len() / 3, original.len() - 1] {
            std::fs::write(&path, &original[..cut]).unwrap();
            let err = load_and_use(&run).expect_err("a truncated file must be refused");
            assert!(err.contains(f), "{f} cut to {cut}: {err}");
            refused += 1;
        }
        // Random byte changes, one at a time.
        for _ in 0..150 {
            let mut bytes = original.clone();
            let at = rng.gen_range(0..bytes.len());
            bytes[at] = rng.r#gen();
            std::fs::write(&path, &bytes).unwrap();
            if load_and_use(&run).is_err() {
                refused += 1;
            }
        }
        std::fs::write(&path, &original).unwrap();
    }
    assert!(refused > 100, "only {refused} damaged files refused");

    // A header that claims a huge array is refused before anything is allocated for it.
    let path = run.join("model/components.npy");
    let original = std::fs::read(&path).unwrap();
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 100), }";
    let mut huge = b"\x93NUMPY\x01\x00".to_vec();
    huge.extend((dict.len() as u16).to_le_bytes());
    huge.extend(dict.as_bytes());
    huge.extend(&original[original.len() - 4096..]);
    std::fs::write(&path, &huge).unwrap();
    let err = load_and_use(&run).expect_err("a huge declared shape must be refused");
    assert!(
        err.contains("components.npy") && err.contains("shape"),
        "{err}"
    );
    std::fs::write(&path, &original).unwrap();
    assert!(Model::load(&run).is_ok(), "restored");
}
