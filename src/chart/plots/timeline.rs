//! 8. Themes over time: each theme's share of the passages in each time bin, one line per theme.
//!
//! With many themes a chart of lines in twenty colours reads as noise, so the [`HIGHLIGHTED`]
//! themes whose share moves most (highest minus lowest share over the bins) are drawn in colour,
//! thick, and named in the legend; the others are thin grey lines behind them, their shape still
//! visible. A chart over time is read for change, so the themes that change most are named,
//! not the largest. A report
//! without dates draws nothing.

use super::*;
use crate::timeline::OverTime;

/// Themes drawn in colour and named.
pub(crate) const HIGHLIGHTED: usize = 6;

/// Bins labelled on the x axis at most; the labels are spread evenly.
const X_LABELS: usize = 12;

/// Lays out the chart; `None` when the report has no dates.
pub(crate) fn themes_over_time(
    r: &RunReport,
    charted: &Charted,
) -> Result<Option<Scene>, BadCanvas> {
    let Some(ot) = &r.themes_over_time else {
        return Ok(None);
    };
    let nb = ot.bins.len();
    if nb == 0 || ot.themes.is_empty() {
        return Ok(None);
    }
    let highlighted = highlighted(ot, charted);
    let max_share = charted
        .ids
        .iter()
        .filter_map(|&t| ot.themes.get(t))
        .flat_map(|t| t.share.iter().copied())
        .map(finite)
        .fold(0.0, f64::max);
    let (yt, ystep) = nice_ticks(0.0, max_share.max(0.01), 5);
    let yl: Vec<String> = yt
        .iter()
        .map(|v| format!("{} %", tick_label(v * 100.0, ystep * 100.0)))
        .collect();

    let legend_labels: Vec<String> = highlighted
        .iter()
        .map(|&t| format!("{}. {}", t + 1, theme_label(r, t)))
        .collect();
    let legend_w = 300;
    let tick_w = max_width(TICK, &yl);
    let left = MARGIN + AXIS_TITLE.line_height() + 12 + tick_w + 10;
    let plot_w = (nb as i32).saturating_mul(28).clamp(560, 1100);
    let plot_h = 380;
    let top = header_height(true) + 10;
    let w = left + plot_w + 30 + legend_w + MARGIN;
    let h = top + plot_h + 8 + TICK.line_height() + 12 + AXIS_TITLE.line_height() + MARGIN;
    let mut s = Scene::new(w, h)?;

    let others = charted.ids.len().saturating_sub(highlighted.len());
    let span = match (ot.bins.first(), ot.bins.last()) {
        (Some(a), Some(b)) if nb > 1 => format!("{}–{}", a.label, b.label),
        (Some(a), _) => a.label.clone(),
        _ => String::new(),
    };
    let mut subtitle = format!(
        "share of each {}'s dated passages, {span}; in colour the {} themes whose share moves \
         most",
        ot.bin.name(),
        highlighted.len()
    );
    if others > 0 {
        subtitle.push_str(&format!(", {others} more in grey"));
    }
    if charted.is_partial() {
        subtitle.push_str(&format!(" ({})", charted.note()));
    }
    header(&mut s, "Themes over time", &subtitle);

    // Bins sit at the middles of equal slots, so one bin is drawn in the middle.
    let slot = f64::from(plot_w) / nb as f64;
    let bx = |b: usize| left + (slot * (b as f64 + 0.5)).round() as i32;
    let sy = Scale {
        d0: 0.0,
        d1: *yt.last().unwrap_or(&1.0),
        p0: top + plot_h,
        p1: top,
    };
    y_axis(&mut s, &sy, &yt, &yl, left, left + plot_w, true);
    let every = nb.div_ceil(X_LABELS);
    let y0 = top + plot_h;
    s.line((left, y0), (left + plot_w, y0), AXIS, 1);
    for b in (0..nb).step_by(every.max(1)) {
        let x = bx(b);
        s.line((x, y0), (x, y0 + 5), AXIS, 1);
        s.text(
            &TICK.fit(&ot.bins[b].label, (slot * every as f64) as i32 - 4),
            x,
            y0 + 8 + TICK.line_height() / 2,
            TICK,
            MUTED,
            Align::Center,
        );
    }
    s.vtext(
        "share of passages",
        MARGIN + AXIS_TITLE.line_height() / 2,
        top + plot_h / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
    s.text(
        &format!("{} ({} bins)", ot.bin.name(), thousands(nb as i64)),
        left + plot_w / 2,
        h - MARGIN - AXIS_TITLE.line_height() / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );

    let points = |t: usize| -> Vec<(i32, i32)> {
        ot.themes[t]
            .share
            .iter()
            .enumerate()
            .map(|(b, &v)| (bx(b), sy.px(finite(v))))
            .collect()
    };
    let grey = AXIS.alpha(0.45);
    for &t in charted.ids.iter().filter(|t| !highlighted.contains(t)) {
        if t < ot.themes.len() {
            s.path(points(t), grey, 1);
        }
    }
    let dots = nb <= 60;
    for &t in highlighted.iter().rev() {
        let pts = points(t);
        let c = category(t);
        if dots || nb == 1 {
            for &(x, y) in &pts {
                s.circle(x, y, 3, c, None);
            }
        }
        s.path(pts, c, 3);
    }

    // Legend: the highlighted themes, then the grey ones as one entry.
    let lx = left + plot_w + 30;
    let mut ly = top + 8;
    let step = LABEL.line_height() + 8;
    for (&t, label) in highlighted.iter().zip(&legend_labels) {
        s.fill_rect(lx, ly - 2, lx + 22, ly + 2, category(t));
        s.text(
            &LABEL.fit(label, legend_w - 30),
            lx + 30,
            ly,
            LABEL,
            TEXT,
            Align::Left,
        );
        ly += step;
    }
    if others > 0 {
        s.line((lx, ly), (lx + 22, ly), grey, 1);
        s.text(
            &format!("{others} other themes"),
            lx + 30,
            ly,
            LABEL,
            MUTED,
            Align::Left,
        );
    }
    Ok(Some(s))
}

/// The charted themes whose share moves most over the bins (ties to the lower id), at most
/// [`HIGHLIGHTED`], in id order.
fn highlighted(ot: &OverTime, charted: &Charted) -> Vec<usize> {
    let moves = |t: usize| {
        ot.themes.get(t).map_or(0.0, |x| {
            let (lo, hi) = x
                .share
                .iter()
                .map(|&v| finite(v))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
            if hi >= lo { hi - lo } else { 0.0 }
        })
    };
    let mut ids: Vec<usize> = charted.ids.clone();
    ids.sort_by(|&a, &b| moves(b).total_cmp(&moves(a)).then(a.cmp(&b)));
    ids.truncate(HIGHLIGHTED);
    ids.sort_unstable();
    ids
}
