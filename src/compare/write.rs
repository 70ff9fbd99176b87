//! The writers of a [`Comparison`]: `compare.json` (the whole result), `compare.md` (the table a
//! person reads) and the flow chart's [`Flow`] (`compare.png` / `compare.svg`), each a view of
//! the one result.

use std::fmt::Write as _;

use super::{Comparison, OverlapKind, Status, ThemeFate};
use crate::chart::{Flow, FlowBand, FlowNode};
use crate::error::{Error, Result};
use crate::report::markdown::md_escape;

/// `compare.json`: the comparison, pretty-printed.
pub fn to_json(c: &Comparison) -> Result<String> {
    serde_json::to_string_pretty(c).map_err(|e| Error::Internal(format!("compare.json: {e}")))
}

/// A label on one line, escaped for a Markdown table.
fn cell(label: &str) -> String {
    md_escape(&label.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `3. space · nasa · orbit`: a theme as themes.md numbers it (from 1).
fn theme_name(f: &ThemeFate) -> String {
    format!("{}. {}", f.id + 1, cell(&f.label))
}

fn similarity(f: &ThemeFate) -> String {
    f.similarity
        .map_or_else(|| "—".into(), |s| format!("{s:.2}"))
}

/// How unit overlap was measured, in a sentence.
fn overlap_sentence(c: &Comparison) -> String {
    let w = c.params.overlap_weight;
    match c.overlap {
        OverlapKind::Units => format!(
            "Overlap: **units** — {} units of A are cut the same in B (same article id and byte \
             span; {} shared articles). Similarity = {w:.2} × Jaccard overlap of the shared units \
             + {:.2} × cosine of the themes' c-TF-IDF term weights.",
            c.shared_units,
            c.shared_articles,
            1.0 - w
        ),
        OverlapKind::Articles => format!(
            "Overlap: **articles** — the runs cut their units differently, so each of the {} \
             shared articles crosses its theme mixes (units are estimated, not counted). \
             Similarity = {w:.2} × Jaccard overlap + {:.2} × cosine of the themes' c-TF-IDF term \
             weights.",
            c.shared_articles,
            1.0 - w
        ),
        OverlapKind::None => "Overlap: **none** — the runs share no article, so themes are \
             compared by the cosine of their c-TF-IDF term weights alone (links: cosine ≥ \
             min_similarity)."
            .into(),
    }
}

/// `compare.md`: a summary line, then one row per A theme (and per B theme not reached from
/// one) with its partners, sizes, status and similarity, then the links.
pub fn render_markdown(c: &Comparison) -> String {
    let mut s = String::new();
    let s_ = &c.summary;
    // Writing into a String cannot fail; the results are ignored deliberately.
    let _ = writeln!(s, "# Themes of {} → {}\n", cell(&c.a.name), cell(&c.b.name));
    let _ = writeln!(
        s,
        "A: `{}` ({} themes, {} units). B: `{}` ({} themes, {} units).\n",
        c.a.path, c.a.themes, c.a.units, c.b.path, c.b.themes, c.b.units
    );
    let _ = writeln!(s, "{}\n", overlap_sentence(c));
    let _ = writeln!(
        s,
        "**{} persisted · {} split · {} merged · {} gone** (of {} A themes) · **{} new** (of {} B \
         themes)\n",
        s_.persisted, s_.split, s_.merged, s_.gone, c.a.themes, s_.new, c.b.themes
    );
    let _ = writeln!(
        s,
        "| A theme | size | B theme(s) | size | status | similarity |\n|---|---:|---|---:|---|---:|"
    );
    let b_name = |j: usize| c.b_themes.get(j).map(theme_name).unwrap_or_default();
    let b_size = |j: usize| c.b_themes.get(j).map_or(0, |f| f.size);
    let mut reached = vec![false; c.b_themes.len()];
    for f in &c.a_themes {
        let names: Vec<String> = f.partners.iter().map(|&j| b_name(j)).collect();
        let sizes: Vec<String> = f.partners.iter().map(|&j| b_size(j).to_string()).collect();
        for &j in &f.partners {
            if let Some(r) = reached.get_mut(j) {
                *r = true;
            }
        }
        let (names, sizes) = if names.is_empty() {
            ("—".to_string(), String::new())
        } else {
            (names.join("; "), sizes.join("; "))
        };
        let sim = if f.status == Status::Persisted {
            similarity(f)
        } else {
            "—".into()
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            theme_name(f),
            f.size,
            names,
            sizes,
            f.status.as_str(),
            sim
        );
    }
    let a_name = |i: usize| c.a_themes.get(i).map(theme_name).unwrap_or_default();
    for f in c.b_themes.iter().filter(|f| !reached[f.id]) {
        let from = if f.partners.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = f.partners.iter().map(|&i| a_name(i)).collect();
            format!(" (from {})", names.join("; "))
        };
        let _ = writeln!(
            s,
            "| — |  | {} | {} | {}{} | — |",
            theme_name(f),
            f.size,
            f.status.as_str(),
            from
        );
    }
    links_section(&mut s, c);
    let p = &c.params;
    let _ = writeln!(
        s,
        "\n## How to read this\n\n\
         Themes are paired one to one by the matching with the largest summed similarity. An A \
         theme **split** when two or more B themes each took at least {:.0} % (`link_share`) of \
         its units; a B theme **merged** two or more A themes that did not split and each put at \
         least that share of their units in it. Otherwise an A theme **persisted** in its match when their \
         similarity is at least {:.2} (`min_similarity`), and is **gone** when not. A B theme \
         reached by none of these is **new**, or **split** off an A theme that gave it at least \
         {:.0} % of its own units. Thresholds: `[compare]` in the config, or `--link-share`, \
         `--min-similarity`, `--overlap-weight`. Numbers count from 1 as in themes.md; \
         compare.json counts from 0.",
        100.0 * p.link_share,
        p.min_similarity,
        100.0 * p.link_share
    );
    s
}

fn links_section(s: &mut String, c: &Comparison) {
    let _ = writeln!(
        s,
        "\n## Links\n\n| A theme | B theme | shared units | share of A | share of B | term \
         similarity | similarity | matched |\n|---|---|---:|---:|---:|---:|---:|---|"
    );
    for l in &c.links {
        let (Some(a), Some(b)) = (c.a_themes.get(l.a), c.b_themes.get(l.b)) else {
            continue;
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.0} % | {:.0} % | {:.2} | {:.2} | {} |",
            theme_name(a),
            theme_name(b),
            if c.overlap == OverlapKind::Units {
                format!("{:.0}", l.shared)
            } else {
                format!("{:.1}", l.shared)
            },
            100.0 * l.share_of_a,
            100.0 * l.share_of_b,
            l.term_similarity,
            l.similarity,
            if l.matched { "yes" } else { "" }
        );
    }
}

/// The flow chart of a comparison: A themes left, B themes right, bands for the links (their
/// shared units; without overlap, similarity × the smaller theme's size).
pub fn flow(c: &Comparison) -> Flow {
    let left = c
        .a_themes
        .iter()
        .map(|f| FlowNode {
            label: format!("{}. {}", f.id + 1, f.label),
            size: f.size as f64,
            color: Some(f.id),
            note: f.size.to_string(),
        })
        .collect();
    let right = c
        .b_themes
        .iter()
        .map(|f| {
            let persisted = f.status == Status::Persisted;
            let note = match (persisted, f.similarity) {
                (true, Some(s)) => format!("{} · persisted {s:.2}", f.size),
                _ => format!("{} · {}", f.size, f.status.as_str()),
            };
            FlowNode {
                label: format!("{}. {}", f.id + 1, f.label),
                size: f.size as f64,
                // A B theme takes the colour of the A theme it persists; the others are grey.
                color: if persisted {
                    f.partners.first().copied()
                } else {
                    None
                },
                note,
            }
        })
        .collect();
    let bands = c
        .links
        .iter()
        .map(|l| FlowBand {
            left: l.a,
            right: l.b,
            weight: if c.overlap == OverlapKind::None {
                let small = c.a_themes[l.a].size.min(c.b_themes[l.b].size) as f64;
                f64::from(l.similarity) * small
            } else {
                l.shared
            },
        })
        .collect();
    let how = match c.overlap {
        OverlapKind::None => "band: term similarity (the runs share no article)",
        OverlapKind::Articles => "band: units shared (estimated from shared articles' mixes)",
        OverlapKind::Units => "band: units shared",
    };
    Flow {
        title: format!("Themes of {} → {}", c.a.name, c.b.name),
        subtitle: format!(
            "{} persisted · {} split · {} merged · {} gone · {} new — bar: theme size; {how}; \
             B bars coloured as the A theme they persist",
            c.summary.persisted, c.summary.split, c.summary.merged, c.summary.gone, c.summary.new
        ),
        left_heading: format!("A: {} ({} themes)", c.a.name, c.a.themes),
        right_heading: format!("B: {} ({} themes)", c.b.name, c.b.themes),
        left,
        right,
        bands,
    }
}
