//! Themes over time in the written outputs: `themes_over_time.csv`, and the sections of
//! themes.md and report.html that name each theme's peak bins.
//!
//! In: a [`RunReport`] whose `themes_over_time` is set (the articles had dates). Out: text; a
//! report without dates gives no file and no section.

use std::fmt::Write as _;

use super::model::RunReport;
use crate::error::{Error, Result};
use crate::timeline::{OverTime, ThemeOverTime};

/// Terms quoted per peak in themes.md and report.html.
const PEAK_TERMS: usize = 5;

/// `themes_over_time.csv`: one row per theme and bin,
/// `theme_id,theme_label,bin,bin_start,units,bin_units,share,terms` (terms joined by `; `,
/// best first); `None` when the report has no dates.
pub fn csv(report: &RunReport) -> Result<Option<String>> {
    let Some(ot) = &report.themes_over_time else {
        return Ok(None);
    };
    let err = |e: csv::Error| Error::Internal(format!("themes_over_time.csv: {e}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "theme_id",
        "theme_label",
        "bin",
        "bin_start",
        "units",
        "bin_units",
        "share",
        "terms",
    ])
    .map_err(err)?;
    for t in &ot.themes {
        let label = report.themes.get(t.theme).map_or("", |i| i.label.as_str());
        for (b, bin) in ot.bins.iter().enumerate() {
            let terms: Vec<&str> = t.terms[b].iter().map(|x| x.term.as_str()).collect();
            w.write_record([
                t.theme.to_string().as_str(),
                label,
                &bin.label,
                &bin.start,
                &t.units[b].to_string(),
                &bin.units.to_string(),
                &format!("{:.6}", t.share[b]),
                &terms.join("; "),
            ])
            .map_err(err)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Internal(format!("themes_over_time.csv: {e}")))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| Error::Internal(format!("themes_over_time.csv: {e}")))
}

/// One sentence on the dates and bins: how many articles are dated, the bins, what was left out.
pub fn summary(report: &RunReport, ot: &OverTime) -> String {
    let (first, last) = (
        ot.bins.first().map_or("", |b| b.label.as_str()),
        ot.bins.last().map_or("", |b| b.label.as_str()),
    );
    let mut s = format!(
        "{} of {} articles are dated ({} precision at the coarsest), {} passages; {} {} bin(s) \
         from {first} to {last}{}.",
        ot.dated_articles,
        report.articles.len(),
        ot.precision.name(),
        ot.dated_units,
        ot.bins.len(),
        ot.bin.name(),
        if ot.requested.name() == "auto" {
            " (chosen automatically)"
        } else {
            ""
        }
    );
    if let Some(d) = &report.corpus.dates {
        let undated = d.missing_dates + d.unreadable_dates;
        if undated > 0 {
            let _ = write!(
                s,
                " {undated} record(s) without a readable `{}` ({} missing, {} unreadable) are \
                 analysed but in no bin.",
                d.field, d.missing_dates, d.unreadable_dates
            );
        }
    }
    s
}

/// The peak bins of a theme as `2001 (23%), 1999 (19%)`.
pub fn peaks(ot: &OverTime, t: &ThemeOverTime) -> String {
    t.peaks
        .iter()
        .map(|&b| format!("{} ({:.0}%)", ot.bins[b].label, 100.0 * t.share[b]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The theme's top terms in its highest peak bin.
pub fn peak_terms(t: &ThemeOverTime) -> String {
    t.peaks
        .first()
        .map(|&b| {
            t.terms[b]
                .iter()
                .take(PEAK_TERMS)
                .map(|x| x.term.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// One row per theme of the peaks table: its number (from 1), label, peak bins and terms at the
/// peak, unescaped.
fn rows<'a>(report: &'a RunReport, ot: &'a OverTime) -> impl Iterator<Item = [String; 4]> + 'a {
    ot.themes.iter().map(move |t| {
        [
            (t.theme + 1).to_string(),
            report
                .themes
                .get(t.theme)
                .map_or_else(String::new, |i| i.label.clone()),
            peaks(ot, t),
            peak_terms(t),
        ]
    })
}

/// The themes.md section: the summary and a table of each theme's peak bins and its terms
/// there. Nothing when the report has no dates.
pub fn markdown(s: &mut String, report: &RunReport, escape: impl Fn(&str) -> String) {
    let Some(ot) = &report.themes_over_time else {
        return;
    };
    let _ = writeln!(s, "\n## Themes over time\n");
    let _ = writeln!(
        s,
        "{} Each theme's share of a bin is its passages there over the bin's dated passages; \
         `themes_over_time.csv` has every theme and bin, with the theme's top terms in each.\n",
        summary(report, ot)
    );
    let _ = writeln!(
        s,
        "| # | Theme | Peak bins (share) | Terms at the peak |\n|---:|---|---|---|"
    );
    for [n, label, peaks, terms] in rows(report, ot) {
        let _ = writeln!(
            s,
            "| {n} | {} | {} | {} |",
            escape(&label),
            escape(&peaks),
            escape(&terms)
        );
    }
}

/// The report.html section, as [`markdown`]'s; `esc` escapes HTML text.
pub fn html(h: &mut String, report: &RunReport, esc: impl Fn(&str) -> String) {
    let Some(ot) = &report.themes_over_time else {
        return;
    };
    let _ = write!(
        h,
        "<section id=\"over-time\"><h2>Themes over time</h2>\n<p>{}</p>\n\
         <div class=\"scroll\"><table><thead><tr><th>#</th><th>Theme</th><th>Peak bins (share)</th>\
         <th>Terms at the peak</th></tr></thead><tbody>\n",
        esc(&summary(report, ot))
    );
    for [n, label, peaks, terms] in rows(report, ot) {
        let _ = writeln!(
            h,
            "<tr><td>{n}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&label),
            esc(&peaks),
            esc(&terms)
        );
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}
