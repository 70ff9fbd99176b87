use super::count::Counter;
use super::*;

use rand::{Rng, SeedableRng};

/// gensim's `WordOccurrenceAccumulator`, window by window, as written there: the first window
/// of a text marks what it holds, each later step unmarks the token that left at the left edge and
/// marks the one that entered at the right. Returns (windows, occurrences, co-occurrences).
fn gensim_windows(texts: &[Vec<&str>], terms: &[&str], w: usize) -> (u64, Vec<u64>, Vec<Vec<u64>>) {
    let r = terms.len();
    let none = r;
    let (mut total, mut occ, mut co) = (0u64, vec![0u64; r], vec![vec![0u64; r]; r]);
    for text in texts {
        let ids: Vec<usize> = text
            .iter()
            .map(|t| terms.iter().position(|x| x == t).unwrap_or(none))
            .collect();
        let windows: Vec<&[usize]> = if ids.len() < w {
            vec![&ids[..]]
        } else {
            ids.windows(w).collect()
        };
        let mut uniq = vec![false; r + 1];
        let mut edge = none;
        for (n, win) in windows.iter().enumerate() {
            total += 1;
            if win.is_empty() {
                continue;
            }
            if n == 0 {
                uniq.iter_mut().for_each(|u| *u = false);
                for &t in *win {
                    uniq[t] = true;
                }
            } else {
                uniq[edge] = false;
                uniq[win[w - 1]] = true;
            }
            edge = win[0];
            let mask: Vec<usize> = (0..r).filter(|&i| uniq[i]).collect();
            for (i, &a) in mask.iter().enumerate() {
                occ[a] += 1;
                for &b in &mask[i + 1..] {
                    co[a][b] += 1;
                    co[b][a] += 1;
                }
            }
        }
    }
    (total, occ, co)
}

fn random_texts(
    seed: u64,
    vocab: &[&'static str],
    n: usize,
    max_len: usize,
) -> Vec<Vec<&'static str>> {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let len = rng.gen_range(0..=max_len);
            (0..len)
                .map(|_| vocab[rng.gen_range(0..vocab.len())])
                .collect()
        })
        .collect()
}

#[test]
fn window_counts_match_gensims_window_by_window_accumulator() {
    let vocab = ["a", "b", "c", "d", "x", "y", "z", "q", "r", "s"];
    let topics = vec![vec!["a", "b", "c"], vec!["c", "d", "a"], vec!["x"]];
    let terms = ["a", "b", "c", "d", "x"];
    for seed in 0..20 {
        let texts = random_texts(seed, &vocab, 40, 30);
        for windows in [[3, 7], [1, 2], [10, 110]] {
            let counter = Counter::new(&topics, windows);
            let counts = counter.count(&texts[..]);
            for (k, &w) in windows.iter().enumerate() {
                let (total, occ, co) = gensim_windows(&texts, &terms, w);
                let c = &counts.windows[k];
                assert_eq!(c.total, total, "seed {seed}, window {w}");
                let id = |t: &str| {
                    counter
                        .topics
                        .iter()
                        .flatten()
                        .zip(topics.iter().flatten())
                        .find(|(_, s)| **s == t)
                        .map(|(&i, _)| i)
                        .unwrap()
                };
                for (i, t) in terms.iter().enumerate() {
                    assert_eq!(
                        c.occurrences[id(t) as usize],
                        occ[i],
                        "seed {seed}, w {w}, {t}"
                    );
                }
                for t in &topics {
                    for a in t {
                        for b in t {
                            let (ia, ib) = (
                                terms.iter().position(|x| x == a).unwrap(),
                                terms.iter().position(|x| x == b).unwrap(),
                            );
                            let want = if a == b { occ[ia] } else { co[ia][ib] };
                            assert_eq!(
                                counter.co_occurrences(c, id(a), id(b)),
                                want,
                                "seed {seed}, w {w}, {a} {b}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn a_term_leaving_the_window_is_unmarked_even_if_it_occurs_again_inside() {
    // Windows of 3 over "a x a y z": [a x a], [x a y], [a y z]. gensim marks "a" in the first only.
    let texts = [vec!["a", "x", "a", "y", "z"]];
    let counter = Counter::new(&[vec!["a", "y"]], [3, 5]);
    let c = counter.count(&texts[..]);
    assert_eq!(c.windows[0].total, 3);
    assert_eq!(c.windows[0].occurrences, [1, 2]);
    assert_eq!(c.windows[0].pairs, [0]);
    // A window as long as the text: one window holding both.
    assert_eq!((c.windows[1].total, &c.windows[1].pairs[..]), (1, &[1][..]));
}

#[test]
fn short_and_empty_texts_are_one_window_each() {
    let texts: Vec<Vec<&str>> = vec![vec![], vec!["a", "b"], vec!["b"]];
    let counter = Counter::new(&[vec!["a", "b"]], [10, 110]);
    let c = counter.count(&texts[..]);
    for w in &c.windows {
        assert_eq!(w.total, 3);
        assert_eq!(w.occurrences, [1, 2]);
        assert_eq!(w.pairs, [1]);
    }
    assert_eq!(c.docs.total, 3);
}

#[test]
fn a_multi_word_term_counts_where_its_words_follow_one_another() {
    let texts = [
        vec!["new", "york", "city"],
        vec!["york", "new", "city"],
        vec!["new", "york"],
    ];
    let counter = Counter::new(&[vec!["new york", "city"]], [10, 110]);
    let c = counter.count(&texts[..]);
    assert_eq!(c.docs.occurrences, [2, 2]);
    assert_eq!(c.docs.pairs, [1]);
}

#[test]
fn coherent_terms_score_higher_than_unrelated_ones() {
    let mut texts = Vec::new();
    for i in 0..60 {
        texts.push(if i % 2 == 0 {
            vec!["cat", "dog", "pet", "vet", "filler"]
        } else {
            vec!["stock", "bond", "market", "filler", "price"]
        });
    }
    let p = CoherenceParams {
        top_n: 10,
        low_coherence: 0.05,
    };
    let s = score(
        &texts[..],
        &[vec!["cat", "dog", "pet"], vec!["cat", "bond", "price"]],
        &p,
    )
    .unwrap();
    let (good, bad) = (s.themes[0].unwrap(), s.themes[1].unwrap());
    assert!(good.c_npmi > 0.5 && bad.c_npmi < 0.0, "{good:?} {bad:?}");
    assert!(good.c_v > bad.c_v && good.u_mass > bad.u_mass);
    let summary = s.summary.unwrap();
    assert!(!summary.is_low(&good) && summary.is_low(&bad));
    assert_eq!(summary.diversity, 5.0 / 6.0);
}

#[test]
fn terms_missing_from_the_texts_are_dropped_and_a_theme_needs_two() {
    let texts = [vec!["a", "b"], vec!["a"]];
    let p = CoherenceParams {
        top_n: 10,
        low_coherence: 0.05,
    };
    let s = score(&texts[..], &[vec!["a", "b", "zz"], vec!["a", "zz"]], &p).unwrap();
    let without = score(&texts[..], &[vec!["a", "b"]], &p).unwrap();
    assert_eq!(s.themes[0], without.themes[0]);
    assert_eq!(s.themes[1], None);
    assert_eq!(s.summary.unwrap().themes_scored, 1);
    let off = CoherenceParams { top_n: 0, ..p };
    assert_eq!(
        score(&texts[..], &[vec!["a", "b"]], &off).unwrap().summary,
        None
    );
}

#[test]
fn params_check_names_the_key() {
    let p = CoherenceParams {
        top_n: MAX_TOP_N + 1,
        low_coherence: 0.0,
    };
    assert!(
        p.check()
            .unwrap_err()
            .to_string()
            .contains("themes.coherence_top_n")
    );
    let p = CoherenceParams {
        top_n: 10,
        low_coherence: f64::NAN,
    };
    assert!(
        p.check()
            .unwrap_err()
            .to_string()
            .contains("themes.low_coherence")
    );
}
