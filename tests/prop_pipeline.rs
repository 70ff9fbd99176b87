//! Property: on small random corpora the whole analysis either ends with a user-facing error
//! (exit code 2, never an internal fault) or assigns every unit to exactly one existing theme.

use proptest::prelude::*;
use themata::cluster::KChoice;
use themata::config::Config;
use themata::pipeline::{Quiet, Source, analyse};

const WORDS: &[&str] = &[
    "bees", "hive", "honey", "queen", "nectar", "pollen", "train", "railway", "station", "track",
    "signal", "freight", "river", "bridge", "flood", "harbour", "ships", "cargo", "wheat",
    "barley", "harvest", "market", "price", "farmers",
];

/// Articles of 1–4 paragraphs, each 15–30 words drawn from a topic slice of `WORDS`.
fn articles() -> impl Strategy<Value = Vec<String>> {
    let para = (0usize..4, prop::collection::vec(0usize..8, 15..30)).prop_map(|(topic, picks)| {
        let words: Vec<&str> = picks
            .iter()
            .map(|&p| WORDS[(topic * 6 + p) % WORDS.len()])
            .collect();
        format!("{}.", words.join(" "))
    });
    prop::collection::vec(
        prop::collection::vec(para, 1..5).prop_map(|ps| ps.join("\n\n")),
        2..10,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_unit_gets_exactly_one_theme(texts in articles(), k in 0usize..5, seed in 0u64..1000) {
        let dir = tempfile::tempdir().unwrap();
        for (i, t) in texts.iter().enumerate() {
            std::fs::write(dir.path().join(format!("a{i:02}.txt")), t).unwrap();
        }
        let mut config = Config::defaults().unwrap();
        config.themes.named.clear();
        config.seed = seed;
        config.threads = 1;
        config.cluster.restarts = 2;
        config.cluster.k = if k < 2 { KChoice::Auto } else { KChoice::Fixed(k) };
        let source = Source::Paths(vec![dir.path().to_path_buf()]);
        let report = match analyse(&source, &config, "prop", &Quiet) {
            Ok(r) => r,
            Err(e) => {
                prop_assert_eq!(e.exit_code(), 2, "internal fault: {}", e);
                return Ok(());
            }
        };
        let k = report.themes.len();
        prop_assert!(k >= 2);
        prop_assert_eq!(report.units.len(), report.corpus.units);
        let mut seen = vec![0usize; report.units.len()];
        let mut sizes = vec![0usize; k];
        for u in &report.units {
            seen[u.id] += 1;
            prop_assert!(u.theme < k, "unit {} in theme {} of {}", u.id, u.theme, k);
            sizes[u.theme] += 1;
        }
        prop_assert!(seen.iter().all(|&n| n == 1), "each unit id exactly once");
        for t in &report.themes {
            prop_assert_eq!(t.size, sizes[t.id], "size of theme {}", t.id);
        }
    }
}
