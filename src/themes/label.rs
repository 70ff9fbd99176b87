//! Theme labels from ranked terms: the labelling step of the themes stage.
//!
//! In: a theme's label candidates (its best c-TF-IDF terms that hold a letter, best first, a longer
//! list than the top terms shown for the theme). Out: a label of a few of them joined with " · ",
//! in which no word is a number alone and no two words share a stem.

use rust_stemmers::{Algorithm, Stemmer};

/// How many of a theme's best lettered terms are offered to the label: far more than a label
/// uses, so that a theme whose top terms are numbers or variants of one word ("drive", "drives")
/// is still named by words, while stemming stays a few dozen calls per theme.
pub(super) const LABEL_CANDIDATES: usize = 50;

/// Whether `term` holds a letter: a term without one (a number, a run of digits) says little on
/// its own and is never a label word.
pub(super) fn has_letter(term: &str) -> bool {
    term.chars().any(char::is_alphabetic)
}

/// A label of up to `n` of `candidates` (best first), joined with " · ".
///
/// Terms without a letter are skipped, so a label never consists of numbers alone. Repeats are
/// removed by stem-aware de-duplication, keeping the higher-ranked term: each word of a term is
/// lowercased and stemmed with the Snowball English stemmer (the one `vectorize.stem` uses), and a
/// term is skipped when one of its stems is already in the label ("drives" after "drive", "files"
/// after "file", and, as before, "officials" after "local officials" or "local officials" after
/// "officials"), or when its own words repeat a stem. Maximal marginal relevance was the other
/// option; it needs similarities between terms that c-TF-IDF does not give, and a stem rule is
/// predictable and cheap.
///
/// The label is "theme {id + 1}" only when no candidate holds a letter — the caller offers every
/// lettered term of the theme that ranks in its best [`LABEL_CANDIDATES`], so this means the
/// theme's vocabulary holds no word at all. Should every lettered candidate repeat a stem within
/// itself (never seen in practice), the best one is the label on its own.
pub(super) fn label_from_terms<S: AsRef<str>>(candidates: &[S], n: usize, id: usize) -> String {
    let stemmer = Stemmer::create(Algorithm::English);
    let mut picked: Vec<&str> = Vec::new();
    let mut stems: Vec<String> = Vec::new();
    let mut first = None;
    for t in candidates.iter().map(AsRef::as_ref) {
        if picked.len() == n {
            break;
        }
        if !has_letter(t) {
            continue;
        }
        first.get_or_insert(t);
        let own: Vec<String> = t
            .split(' ')
            .map(|w| stemmer.stem(&w.to_lowercase()).into_owned())
            .collect();
        let repeats = own
            .iter()
            .enumerate()
            .any(|(i, s)| stems.contains(s) || own[..i].contains(s));
        if !repeats {
            picked.push(t);
            stems.extend(own);
        }
    }
    match (picked.is_empty(), first) {
        (false, _) => picked.join(" · "),
        (true, Some(t)) => t.to_owned(),
        (true, None) => format!("theme {}", id + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_skips_overlapping_terms() {
        let t = ["local officials", "officials", "purge", "fear", "x"];
        assert_eq!(label_from_terms(&t, 3, 0), "local officials · purge · fear");
        let t = ["officials", "local officials", "purge", "fear"];
        assert_eq!(label_from_terms(&t, 3, 0), "officials · purge · fear");
        assert_eq!(label_from_terms::<&str>(&[], 3, 4), "theme 5");
    }

    #[test]
    fn label_does_not_repeat_a_stem() {
        let t = [
            "drive",
            "drives",
            "file",
            "files",
            "hard drive",
            "scsi",
            "disk",
        ];
        assert_eq!(label_from_terms(&t, 3, 0), "drive · file · scsi");
        // Case does not hide a repeat, and neither does a stem repeated inside one bigram.
        let t = ["Drive", "drives", "drive drives", "scsi"];
        assert_eq!(label_from_terms(&t, 3, 0), "Drive · scsi");
    }

    #[test]
    fn label_never_consists_of_numbers_alone() {
        let t = ["10", "11", "12", "15", "14", "10 11", "3d", "graphics"];
        assert_eq!(label_from_terms(&t, 3, 0), "3d · graphics");
        assert_eq!(label_from_terms(&["10", "11 12"], 3, 18), "theme 19");
        // The last resort before a number: a term whose own words share a stem.
        assert_eq!(label_from_terms(&["10", "file files"], 3, 0), "file files");
    }
}
