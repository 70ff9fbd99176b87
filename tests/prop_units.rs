//! Property: on any text, every unit of every kind is a non-empty, trimmed span on character
//! boundaries of its article's text, units run in order, and together they cover every
//! non-whitespace character.

use proptest::prelude::*;
use themata::ingest::{Article, Corpus};
use themata::units::{UnitKind, UnitParams, split};

fn corpus(texts: &[String]) -> Corpus {
    Corpus {
        articles: texts
            .iter()
            .enumerate()
            .map(|(i, t)| Article {
                id: i.to_string(),
                title: None,
                source: format!("a{i}"),
                label: None,
                text: t.clone(),
                date: None,
            })
            .collect(),
        ..Default::default()
    }
}

/// Text shaped like prose: words, sentence ends, quotes, blank lines, CRLF, non-ASCII.
fn prose() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "[A-Za-zé]{1,9}",
            2 => Just(" ".to_string()),
            1 => prop::sample::select(vec![
                ". ", "! ", "? ", ".\" ", "\n", "\n\n", "\r\n", "\r\n\r\n", " Mr. ", " e.g. ",
                "…", "ß", "\u{2028}", "\t", "1.5 ", "(", ")", "...",
            ])
            .prop_map(str::to_string),
        ],
        0..120,
    )
    .prop_map(|parts| parts.concat())
}

fn check(texts: &[String], unit: UnitKind, min_words: usize, window: (usize, usize)) {
    let c = corpus(texts);
    let params = UnitParams {
        unit,
        min_words,
        paragraph_line_chars: 40,
        window_sentences: window.0,
        window_overlap: window.1,
    };
    let Ok(units) = split(&c, &params) else {
        assert!(
            texts.iter().all(|t| t.trim().is_empty()),
            "only an all-blank corpus has no units"
        );
        return;
    };
    let texts_out = units.texts(&c);
    let mut covered: Vec<Vec<bool>> = texts.iter().map(|t| vec![false; t.len()]).collect();
    let mut last: Option<(usize, usize, usize)> = None; // article, ordinal, start
    for (u, slice) in units.units.iter().zip(&texts_out) {
        let text = &texts[u.article];
        assert!(u.start < u.end && u.end <= text.len(), "{u:?}");
        assert!(text.is_char_boundary(u.start) && text.is_char_boundary(u.end));
        assert_eq!(*slice, &text[u.start..u.end]);
        assert_eq!(slice.trim(), *slice, "unit is trimmed");
        if let Some((a, o, s)) = last {
            if a == u.article {
                assert_eq!(u.ordinal, o + 1);
                assert!(u.start >= s, "units run in text order");
            } else {
                assert!(u.article > a);
                assert_eq!(u.ordinal, 0);
            }
        } else {
            assert_eq!(u.ordinal, 0);
        }
        last = Some((u.article, u.ordinal, u.start));
        covered[u.article][u.start..u.end].fill(true);
    }
    for (t, cov) in texts.iter().zip(&covered) {
        for (i, ch) in t.char_indices() {
            assert!(
                ch.is_whitespace() || cov[i],
                "{ch:?} at byte {i} is in no unit of {t:?}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn spans_slice_back_on_prose(
        texts in prop::collection::vec(prose(), 1..4),
        min_words in 0usize..20,
        n in 1usize..6,
        overlap in 0usize..5,
    ) {
        let window = (n, overlap.min(n - 1));
        for unit in [UnitKind::Paragraph, UnitKind::Document, UnitKind::Window] {
            check(&texts, unit, min_words, window);
        }
    }

    #[test]
    fn spans_slice_back_on_any_text(
        texts in prop::collection::vec(any::<String>(), 1..3),
        min_words in 0usize..20,
    ) {
        for unit in [UnitKind::Paragraph, UnitKind::Document, UnitKind::Window] {
            check(&texts, unit, min_words, (3, 1));
        }
    }
}
