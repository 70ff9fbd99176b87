//! `themes.md`: the summary a person reads first — each theme with its terms, its best passages
//! quoted, and the articles it runs through.

use std::fmt::Write;

use super::model::RunReport;

/// Words of a passage quoted before it is cut with an ellipsis.
const QUOTE_WORDS: usize = 70;

/// An article's display name: its title, else its id.
pub fn article_name(report: &RunReport, article: usize) -> String {
    let a = &report.articles[article];
    a.title.clone().unwrap_or_else(|| a.id.clone())
}

/// The first `max_words` words of `text` on one line, with an ellipsis when cut.
pub fn excerpt(text: &str, max_words: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() <= max_words {
        words.join(" ")
    } else {
        format!("{} …", words[..max_words].join(" "))
    }
}

fn pct(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// Renders `themes.md`.
pub fn render(report: &RunReport) -> String {
    let mut s = String::new();
    let c = &report.corpus;
    let k = report.themes.len();
    // Writing into a String cannot fail; the results are ignored deliberately.
    let assigned = report.assignment.as_ref();
    match assigned {
        Some(a) => {
            let _ = writeln!(
                s,
                "# New articles in the themes of {} — {}\n",
                md_escape(&a.run),
                report.name
            );
        }
        None => {
            let _ = writeln!(s, "# Themes — {}\n", report.name);
        }
    }
    let _ = writeln!(
        s,
        "{} articles, {} passages, {} themes. {}\n",
        c.articles, c.units, k, report.k_selection.reason
    );
    let mut outliers = vec![0usize; k];
    if let Some(a) = assigned {
        for &u in &a.outliers {
            outliers[report.units[u].theme] += 1;
        }
        let _ = writeln!(
            s,
            "{} of the {} new passages ({:.1}%) are outliers: less similar to their theme than \
             {}% of the theme's own passages in the run were. {:.1}% of the new passages' \
             term occurrences are words the run's vocabulary lacks{}.\n",
            a.outliers.len(),
            c.units,
            pct(a.outliers.len(), c.units),
            a.outlier_percentile,
            if a.terms == 0 {
                0.0
            } else {
                100.0 * (a.terms - a.known_terms) as f64 / a.terms as f64
            },
            if a.empty_units > 0 {
                format!(
                    "; {} passage(s) hold none of its words at all",
                    a.empty_units
                )
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            s,
            "| # | Theme | New passages | Outliers | Top terms |\n|---:|---|---:|---:|---|"
        );
    } else if report.coherence.is_some() {
        let _ = writeln!(
            s,
            "| # | Theme | Passages | Coherence (c_npmi) | Top terms |\n|---:|---|---:|---:|---|"
        );
    } else {
        let _ = writeln!(
            s,
            "| # | Theme | Passages | Top terms |\n|---:|---|---:|---|"
        );
    }
    for t in &report.themes {
        let terms: Vec<&str> = t.terms.iter().take(6).map(|w| w.term.as_str()).collect();
        let extra = if assigned.is_some() {
            format!(" {} |", outliers[t.id])
        } else if report.coherence.is_some() {
            format!(" {} |", coherence_cell(report, t))
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} ({:.0}%) |{extra} {} |",
            t.id + 1,
            md_escape(&t.label),
            t.size,
            pct(t.size, c.units),
            md_escape(&terms.join(", "))
        );
    }
    coherence_note(&mut s, report);
    named_section(&mut s, report);
    if c.boilerplate_lines_dropped > 0 || c.normalized_articles > 0 {
        let _ = writeln!(
            s,
            "\nCleaning removed {} line(s) (`cleaning.csv` lists each with its rule): \
             boilerplate only from the {} article(s) that look like web pages{}. \
             Normalisation (Unicode quotes, dashes and spaces, NFC, tabs, line ends) changed \
             characters in {} article(s).",
            c.boilerplate_lines_dropped,
            c.web_pages,
            if c.cleaning.contains_key("title") {
                ", and titles (`analyse_titles = false`)"
            } else {
                ""
            },
            c.normalized_articles
        );
    }
    for t in &report.themes {
        let _ = writeln!(s, "\n## {}. {}\n", t.id + 1, md_escape(&t.label));
        let named = match &t.named {
            Some(n) if *n == t.label => " Matches the configured theme.".to_string(),
            Some(n) => format!(" Matches the configured theme “{n}”."),
            None => String::new(),
        };
        let coherence = match (&report.coherence, &t.coherence) {
            (Some(sum), Some(tc)) if sum.is_low(tc) => format!(
                ", coherence (c_npmi) {:.3}. **Low coherence:** its top terms occur together \
                 little more than chance would have them (c_npmi below {})",
                tc.c_npmi, sum.low_coherence
            ),
            (_, Some(tc)) => format!(", coherence (c_npmi) {:.3}", tc.c_npmi),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "{} passages ({:.0}% of the corpus), cohesion {:.2}{coherence}.{named}\n",
            t.size,
            pct(t.size, c.units),
            t.cohesion
        );
        let terms: Vec<String> = t.terms.iter().map(|w| w.term.clone()).collect();
        let _ = writeln!(s, "**Terms:** {}\n", md_escape(&terms.join(", ")));
        let runs: Vec<String> = t
            .articles
            .iter()
            .take(8)
            .map(|&(a, n)| format!("{} ({n})", md_escape(&article_name(report, a))))
            .collect();
        let more = t.articles.len().saturating_sub(8);
        let _ = writeln!(
            s,
            "**Runs through:** {}{}\n",
            runs.join("; "),
            if more > 0 {
                format!("; and {more} more articles")
            } else {
                String::new()
            }
        );
        let _ = writeln!(s, "**Best passages:**\n");
        for &u in &t.representatives {
            let unit = &report.units[u];
            let _ = writeln!(
                s,
                "> {}\n>\n> — *{}*, passage {}\n",
                md_escape(&excerpt(&unit.text, QUOTE_WORDS)),
                md_escape(&article_name(report, unit.article)),
                unit.ordinal.saturating_add(1)
            );
        }
    }
    super::over_time::markdown(&mut s, report, md_escape);
    if report.articles.len() <= 60 {
        let _ = writeln!(s, "## Articles\n");
        let _ = write!(s, "| Article |");
        for t in &report.themes {
            let _ = write!(s, " {} |", t.id + 1);
        }
        let _ = writeln!(s, "\n|---|{}", "---:|".repeat(k));
        for (i, a) in report.articles.iter().enumerate() {
            let _ = write!(s, "| {} |", md_escape(&article_name(report, i)));
            for share in &a.mix {
                let _ = write!(s, " {:.0}% |", share * 100.0);
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(
            s,
            "\nColumns are theme numbers; cells are the share of the article's passages in each theme."
        );
    }
    if let Some(x) = &report.scores.external {
        let _ = writeln!(
            s,
            "\n## Agreement with corpus labels\n\nNMI {:.3}, ARI {:.3}, V-measure {:.3}, homogeneity {:.3}, completeness {:.3}, purity {:.3}.",
            x.nmi, x.ari, x.v_measure, x.homogeneity, x.completeness, x.purity
        );
    }
    let _ = writeln!(
        s,
        "\nMean silhouette (cosine): {:.3}.",
        report.scores.silhouette
    );
    s
}

/// A theme's `c_npmi` for the themes table, marked when low; a dash when not scored.
fn coherence_cell(report: &RunReport, t: &super::model::ThemeInfo) -> String {
    match (&report.coherence, &t.coherence) {
        (Some(sum), Some(tc)) if sum.is_low(tc) => format!("{:.3} (low coherence)", tc.c_npmi),
        (_, Some(tc)) => format!("{:.3}", tc.c_npmi),
        _ => "—".into(),
    }
}

/// The means of the coherence scores and the topic diversity, under the themes table.
fn coherence_note(s: &mut String, report: &RunReport) {
    let Some(c) = &report.coherence else { return };
    let low = report
        .themes
        .iter()
        .filter(|t| t.coherence.is_some_and(|tc| c.is_low(&tc)))
        .count();
    let _ = writeln!(
        s,
        "\nCoherence of each theme's top {} terms in the passages, as gensim scores it: mean \
         c_npmi {:.3} (windows of {} words), c_v {:.3} (windows of {}), u_mass {:.3} (whole \
         passages), over {} of {} themes. Topic diversity {:.3} (share of distinct terms among \
         the themes' top {}). {} theme(s) below c_npmi {} are marked low coherence.",
        c.top_n,
        c.mean.c_npmi,
        c.windows[0],
        c.mean.c_v,
        c.windows[1],
        c.mean.u_mass,
        c.themes_scored,
        report.themes.len(),
        c.diversity,
        c.top_n,
        low,
        c.low_coherence
    );
}

/// The named themes of the config: which theme each names, and why one that names none doesn't.
fn named_section(s: &mut String, report: &RunReport) {
    if report.named_themes.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\n## Named themes\n\n| Named theme | Result | Theme | Similarity | Seed-term share |\n|---|---|---|---:|---:|"
    );
    let theme = |t: Option<usize>| {
        t.and_then(|t| report.themes.get(t))
            .map(|t| format!("{}. {}", t.id + 1, md_escape(&t.label)))
            .unwrap_or_else(|| "—".into())
    };
    for n in &report.named_themes {
        let (result, shown) = match n.status.as_str() {
            "found" => ("found".to_string(), theme(n.theme)),
            "not found" => (
                "**not found**: fits no theme".to_string(),
                format!("closest: {}", theme(n.closest)),
            ),
            other => (format!("**{other}**"), "—".to_string()),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.2} | {:.2} |",
            md_escape(&n.name),
            result,
            shown,
            n.similarity,
            n.term_share
        );
    }
}

/// Escapes the characters that would break a Markdown table or start markup.
/// `s` with the characters that Markdown tables and emphasis would read escaped.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_with_ellipsis() {
        assert_eq!(excerpt("a b  c\nd", 10), "a b c d");
        assert_eq!(excerpt("a b c d", 2), "a b …");
    }

    #[test]
    fn md_escape_protects_tables() {
        assert_eq!(md_escape("a|b*c"), "a\\|b\\*c");
    }
}
