//! The seven charts, each laid out from a [`RunReport`] into a [`Scene`].
//!
//! Every chart sizes itself from the data (more themes or articles make a taller or wider
//! picture) up to [`MAX_CHART_THEMES`](super::MAX_CHART_THEMES) themes and [`MAX_HEATMAP_ROWS`]
//! articles, beyond which it shows the largest and says so; it shortens long labels with an
//! ellipsis to the space it has, and keeps all text on the canvas.

use super::axis::{Scale, compact_all, nice_ticks, thousands, tick_label, ticks_within};
use super::charted::Charted;
use super::palette::{AXIS, GRID, MUTED, Rgba, TEXT, WHITE, category, sequential};
use super::scene::{Align, BadCanvas, Font, Scene};
use super::tree::Tree;
use crate::report::{ArticleInfo, RunReport};
use crate::{Error, Result};

mod timeline;

pub(super) const MARGIN: i32 = 24;
pub(super) const TITLE: Font = Font::bold(24.0);
pub(super) const SUBTITLE: Font = Font::regular(15.5);
const AXIS_TITLE: Font = Font::bold(15.5);
pub(super) const TICK: Font = Font::regular(14.0);
pub(super) const LABEL: Font = Font::regular(15.0);
pub(super) const LABEL_BOLD: Font = Font::bold(15.0);
const CELL: Font = Font::regular(13.0);

/// Most points the theme map draws; larger runs show an evenly spaced subsample.
pub(crate) const MAX_POINTS: usize = 6000;
/// Most articles the heatmap shows; larger corpora show the articles with the most units.
pub(crate) const MAX_HEATMAP_ROWS: usize = 60;
/// Most terms per theme in `top_terms`.
const MAX_TERMS: usize = 10;

/// What laying out one chart gave.
pub(crate) enum Layout {
    /// The chart, ready to render.
    Scene(Scene),
    /// The report has nothing for this chart to show.
    Nothing,
    /// The chart's canvas can't be rendered; says why.
    Skipped(String),
}

/// Lays out chart `name`; an error only for a report that is inconsistent (a broken hierarchy).
pub(crate) fn build(name: &str, r: &RunReport) -> Result<Layout> {
    let charted = Charted::of(r);
    let laid = match name {
        "theme_map" => theme_map(r, &charted).map(Some),
        "top_terms" => top_terms(r, &charted).map(Some),
        "theme_sizes" => theme_sizes(r, &charted).map(Some),
        "article_theme_heatmap" => heatmap(r, &charted).map(Some),
        "theme_similarity" => similarity(r, &charted).map(Some),
        "dendrogram" => dendrogram(r, &charted, &Tree::of(r, &charted)?).map(Some),
        "k_selection" => k_selection(r),
        "themes_over_time" => timeline::themes_over_time(r, &charted),
        other => return Err(Error::Internal(format!("unknown chart `{other}`"))),
    };
    Ok(match laid {
        Ok(Some(scene)) => Layout::Scene(scene),
        Ok(None) => Layout::Nothing,
        Err(bad) => Layout::Skipped(bad.to_string()),
    })
}

fn theme_label(r: &RunReport, id: usize) -> String {
    r.themes
        .get(id)
        .map_or_else(|| format!("theme {id}"), |t| t.label.clone())
}

/// An article's display name: its title, or its id when it has none.
pub(crate) fn article_name(a: &ArticleInfo) -> &str {
    match a.title.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => t,
        _ => &a.id,
    }
}

/// Draws title and subtitle; returns the y where the chart body may start.
pub(super) fn header(s: &mut Scene, title: &str, subtitle: &str) -> i32 {
    let max = s.w - 2 * MARGIN;
    let mut y = MARGIN + TITLE.line_height() / 2;
    s.text(&TITLE.fit(title, max), MARGIN, y, TITLE, TEXT, Align::Left);
    y += TITLE.line_height() / 2 + 6;
    if !subtitle.is_empty() {
        y += SUBTITLE.line_height() / 2;
        s.text(
            &SUBTITLE.fit(subtitle, max),
            MARGIN,
            y,
            SUBTITLE,
            MUTED,
            Align::Left,
        );
        y += SUBTITLE.line_height() / 2;
    }
    y + 18
}

/// Height `header` takes.
pub(super) fn header_height(subtitle: bool) -> i32 {
    MARGIN + TITLE.line_height() + 6 + if subtitle { SUBTITLE.line_height() } else { 0 } + 18
}

/// A horizontal axis at pixel row `y`: grid lines up to `top`, ticks and labels below.
fn x_axis(
    s: &mut Scene,
    sc: &Scale,
    ticks: &[f64],
    labels: &[String],
    y: i32,
    top: i32,
    grid: bool,
) {
    for (t, l) in ticks.iter().zip(labels) {
        let x = sc.px(*t);
        if grid {
            s.line((x, top), (x, y), GRID, 1);
        }
        s.line((x, y), (x, y + 5), AXIS, 1);
        s.text(
            l,
            x,
            y + 8 + TICK.line_height() / 2,
            TICK,
            MUTED,
            Align::Center,
        );
    }
    s.line((sc.p0.min(sc.p1), y), (sc.p0.max(sc.p1), y), AXIS, 1);
}

/// A vertical axis at pixel column `x`: grid lines across to `right`, ticks and labels left.
fn y_axis(
    s: &mut Scene,
    sc: &Scale,
    ticks: &[f64],
    labels: &[String],
    x: i32,
    right: i32,
    grid: bool,
) {
    for (t, l) in ticks.iter().zip(labels) {
        let y = sc.px(*t);
        if grid {
            s.line((x, y), (right, y), GRID, 1);
        }
        s.line((x - 5, y), (x, y), AXIS, 1);
        s.text(l, x - 8, y, TICK, MUTED, Align::Right);
    }
    s.line((x, sc.p0.min(sc.p1)), (x, sc.p0.max(sc.p1)), AXIS, 1);
}

fn max_width(font: Font, labels: &[String]) -> i32 {
    labels.iter().map(|l| font.width(l)).max().unwrap_or(0)
}

fn finite(v: f32) -> f64 {
    if v.is_finite() { f64::from(v) } else { 0.0 }
}

// ---------------------------------------------------------------------------------------------
// 1. theme map

#[derive(Clone, Copy)]
struct Boxi {
    x0: i32,
    y0: i32,
    x1: i32,
    y1: i32,
}

impl Boxi {
    fn overlap(&self, o: &Boxi) -> i64 {
        let w = (self.x1.min(o.x1) - self.x0.max(o.x0)).max(0);
        let h = (self.y1.min(o.y1) - self.y0.max(o.y0)).max(0);
        i64::from(w) * i64::from(h)
    }
    fn inside(&self, o: &Boxi) -> bool {
        self.x0 >= o.x0 && self.x1 <= o.x1 && self.y0 >= o.y0 && self.y1 <= o.y1
    }
    fn outside_area(&self, o: &Boxi) -> i64 {
        let area = i64::from(self.x1 - self.x0) * i64::from(self.y1 - self.y0);
        area - self.overlap(o)
    }
}

fn theme_map(r: &RunReport, charted: &Charted) -> Result<Scene, BadCanvas> {
    let k = r.themes.len();
    let n = r.units.len();
    let ids = &charted.ids;
    let legend_labels: Vec<String> = ids
        .iter()
        .map(|&i| LABEL.fit(&r.themes[i].label, 250))
        .collect();
    // Themes without a legend entry of their own share one line at its end.
    let others = charted
        .is_partial()
        .then(|| format!("{} other themes", thousands(charted.left_out() as i64)));
    let legend_w = (max_width(LABEL, &legend_labels) + 34)
        .max(120)
        .max(others.as_ref().map_or(0, |o| LABEL.width(o) + 34));
    let legend_rows = legend_labels.len() + usize::from(others.is_some());
    let side = 660.max(legend_rows as i32 * 26 + 40);

    // Points to draw: all, or an evenly spaced subsample (every n/MAX_POINTS-th unit).
    let shown: Vec<usize> = if n > MAX_POINTS {
        (0..MAX_POINTS).map(|j| j * n / MAX_POINTS).collect()
    } else {
        (0..n).collect()
    };

    // Data range over units and centroids, padded.
    let mut xs: Vec<f64> = r.units.iter().map(|u| finite(u.xy[0])).collect();
    let mut ys: Vec<f64> = r.units.iter().map(|u| finite(u.xy[1])).collect();
    xs.extend(r.themes.iter().map(|t| finite(t.xy[0])));
    ys.extend(r.themes.iter().map(|t| finite(t.xy[1])));
    // An assignment's map shows the run's own units faded under the new ones.
    let background = r.assignment.as_ref().map_or(&[][..], |a| &a.background[..]);
    xs.extend(background.iter().map(|b| finite(b.xy[0])));
    ys.extend(background.iter().map(|b| finite(b.xy[1])));
    let range = |v: &[f64]| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) }
    };
    let (xlo, xhi) = range(&xs);
    let (ylo, yhi) = range(&ys);
    let (xt, xstep) = nice_ticks(xlo, xhi, 6);
    let (yt, ystep) = nice_ticks(ylo, yhi, 6);
    let xl: Vec<String> = xt.iter().map(|v| tick_label(*v, xstep)).collect();
    let yl: Vec<String> = yt.iter().map(|v| tick_label(*v, ystep)).collect();
    let ytick_w = max_width(TICK, &yl);

    let left = MARGIN + AXIS_TITLE.line_height() + 10 + ytick_w + 10;
    let w = left + side + 36 + legend_w + MARGIN;
    let top = header_height(true);
    let note = if shown.len() < n {
        format!(
            "Showing {} of {} passages, evenly spaced in corpus order; theme labels sit at the centroids of all passages.",
            thousands(shown.len() as i64),
            thousands(n as i64),
        )
    } else {
        String::new()
    };
    let bottom_extra = if note.is_empty() {
        0
    } else {
        LABEL.line_height() + 8
    };
    let h = top
        + side
        + 10
        + TICK.line_height()
        + 12
        + AXIS_TITLE.line_height()
        + bottom_extra
        + MARGIN;
    let mut s = Scene::new(w, h)?;
    let mut subtitle = format!(
        "{} passages in {} themes · {}",
        thousands(n as i64),
        thousands(k as i64),
        if r.projection.is_empty() {
            "2-D projection"
        } else {
            r.projection.as_str()
        }
    );
    if let Some(a) = &r.assignment {
        subtitle = format!(
            "{} new passages in colour over {} of run {}'s passages, faded · {}",
            thousands(n as i64),
            thousands(background.len() as i64),
            a.run,
            if r.projection.is_empty() {
                "2-D projection"
            } else {
                r.projection.as_str()
            }
        );
    }
    if charted.is_partial() {
        subtitle.push_str(&format!(" · labels for {}", charted.note()));
    }
    header(&mut s, "Theme map", &subtitle);

    let (px0, py0, px1, py1) = (left, top, left + side, top + side);
    let sx = Scale {
        d0: xt[0],
        d1: *xt.last().unwrap_or(&1.0),
        p0: px0,
        p1: px1,
    };
    let sy = Scale {
        d0: yt[0],
        d1: *yt.last().unwrap_or(&1.0),
        p0: py1,
        p1: py0,
    };
    x_axis(&mut s, &sx, &xt, &xl, py1, py0, true);
    y_axis(&mut s, &sy, &yt, &yl, px0, px1, true);
    s.line((px0, py0), (px1, py0), GRID, 1);
    s.line((px1, py0), (px1, py1), GRID, 1);
    let xt_y = py1 + 10 + TICK.line_height() + 12 + AXIS_TITLE.line_height() / 2;
    s.text(
        "projection axis 1",
        (px0 + px1) / 2,
        xt_y,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
    s.vtext(
        "projection axis 2",
        MARGIN + AXIS_TITLE.line_height() / 2,
        (py0 + py1) / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
    if !note.is_empty() {
        s.text(
            &LABEL.fit(&note, w - 2 * MARGIN),
            MARGIN,
            h - MARGIN - LABEL.line_height() / 2,
            LABEL,
            MUTED,
            Align::Left,
        );
    }

    // Few points are drawn large and outlined (so pale colours such as Okabe–Ito's yellow stay
    // visible on white); many points are drawn small and translucent so dense areas read as such.
    let (radius, alpha, outline) = match shown.len() {
        0..=300 => (5, 0.85, Some((TEXT.alpha(0.55), 1))),
        301..=2000 => (3, 0.7, Some((TEXT.alpha(0.3), 1))),
        _ => (2, 0.55, None),
    };
    let faded = if background.len() <= 2000 { 0.3 } else { 0.12 };
    for b in background {
        let c = category(b.theme).alpha(faded);
        s.circle(
            sx.px(finite(b.xy[0])),
            sy.px(finite(b.xy[1])),
            radius.min(3),
            c,
            None,
        );
    }
    for &i in &shown {
        let u = &r.units[i];
        let c = category(u.theme).alpha(alpha);
        s.circle(
            sx.px(finite(u.xy[0])),
            sy.px(finite(u.xy[1])),
            radius,
            c,
            outline,
        );
    }

    // Centroid markers of the charted themes, then their labels placed greedily (largest theme
    // first) where they overlap neither each other nor the markers, as near the centroid as
    // possible. Positions below index `ids`.
    let plot = Boxi {
        x0: px0 + 2,
        y0: py0 + 2,
        x1: px1 - 2,
        y1: py1 - 2,
    };
    let centres: Vec<(i32, i32)> = ids
        .iter()
        .map(|&i| {
            let t = &r.themes[i];
            (sx.px(finite(t.xy[0])), sy.px(finite(t.xy[1])))
        })
        .collect();
    let markers: Vec<Boxi> = centres
        .iter()
        .map(|&(x, y)| Boxi {
            x0: x - 8,
            y0: y - 8,
            x1: x + 8,
            y1: y + 8,
        })
        .collect();
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&p| (std::cmp::Reverse(r.themes[ids[p]].size), p));
    let font = LABEL_BOLD;
    let mut placed: Vec<(usize, Boxi)> = Vec::new();
    for &i in &order {
        let text = font.fit(&r.themes[ids[i]].label, 240);
        let (bw, bh) = (font.width(&text) + 12, font.line_height() + 8);
        let (cx, cy) = centres[i];
        let mut best: Option<(i64, Boxi)> = None;
        'search: for ring in 0..6 {
            let d = 12 + ring * 22;
            let candidates = [
                (cx + d, cy - bh / 2),
                (cx - d - bw, cy - bh / 2),
                (cx - bw / 2, cy - d - bh),
                (cx - bw / 2, cy + d),
                (cx + d, cy - d - bh),
                (cx - d - bw, cy - d - bh),
                (cx + d, cy + d),
                (cx - d - bw, cy + d),
            ];
            for (x0, y0) in candidates {
                let b = Boxi {
                    x0,
                    y0,
                    x1: x0 + bw,
                    y1: y0 + bh,
                };
                let mut cost: i64 = b.outside_area(&plot) * 50;
                cost += placed.iter().map(|(_, p)| p.overlap(&b) * 20).sum::<i64>();
                cost += markers.iter().map(|m| m.overlap(&b) * 5).sum::<i64>();
                if cost == 0 && b.inside(&plot) {
                    best = Some((0, b));
                    break 'search;
                }
                let cost = cost + i64::from(ring) * 10;
                if best.is_none_or(|(c, _)| cost < c) {
                    best = Some((cost, b));
                }
            }
        }
        if let Some((_, mut b)) = best {
            // Never let a label leave the canvas, even if it must overlap something.
            let dx = (plot.x0 - b.x0).max(0) - (b.x1 - plot.x1).max(0);
            let dy = (plot.y0 - b.y0).max(0) - (b.y1 - plot.y1).max(0);
            b = Boxi {
                x0: b.x0 + dx,
                y0: b.y0 + dy,
                x1: b.x1 + dx,
                y1: b.y1 + dy,
            };
            placed.push((i, b));
        }
    }
    for (i, b) in &placed {
        let (cx, cy) = centres[*i];
        let (nx, ny) = (cx.clamp(b.x0, b.x1), cy.clamp(b.y0, b.y1));
        if (nx - cx).abs() + (ny - cy).abs() > 14 {
            s.line((cx, cy), (nx, ny), TEXT.alpha(0.7), 1);
        }
    }
    for (&i, &(cx, cy)) in ids.iter().zip(&centres) {
        s.circle(cx, cy, 8, category(i), Some((TEXT, 2)));
    }
    for (p, b) in &placed {
        let i = ids[*p];
        s.fill_rect(b.x0, b.y0, b.x1, b.y1, WHITE.alpha(0.88));
        s.stroke_rect(b.x0, b.y0, b.x1, b.y1, category(i), 2);
        let text = font.fit(&r.themes[i].label, 240);
        s.text(&text, b.x0 + 6, (b.y0 + b.y1) / 2, font, TEXT, Align::Left);
    }

    // Legend.
    let lx = px1 + 36;
    let mut ly = py0 + 8;
    s.text("Themes", lx, ly, LABEL_BOLD, TEXT, Align::Left);
    ly += 26;
    for (&i, l) in ids.iter().zip(&legend_labels) {
        s.circle(lx + 7, ly, 7, category(i), Some((TEXT, 1)));
        s.text(l, lx + 22, ly, LABEL, TEXT, Align::Left);
        ly += 26;
    }
    if let Some(o) = &others {
        s.text(o, lx + 22, ly, LABEL, MUTED, Align::Left);
    }
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// 2. top terms

fn top_terms(r: &RunReport, charted: &Charted) -> Result<Scene, BadCanvas> {
    let themes: Vec<_> = charted.ids.iter().map(|&i| (i, &r.themes[i])).collect();
    let k = themes.len().max(1);
    let cols: usize = match k {
        1..=2 => k,
        3..=4 => 2,
        5..=9 => 3,
        _ => 4,
    };
    let rows = k.div_ceil(cols);
    let nterms = themes
        .iter()
        .map(|(_, t)| t.terms.len().min(MAX_TERMS))
        .max()
        .unwrap_or(0)
        .max(1);
    let term_labels: Vec<String> = themes
        .iter()
        .flat_map(|(_, t)| {
            t.terms
                .iter()
                .take(MAX_TERMS)
                .map(|w| LABEL.fit(&w.term, 150))
        })
        .collect();
    let term_w = max_width(LABEL, &term_labels).max(40);
    let bar_w = 200;
    let panel_w = term_w + 10 + bar_w + 16;
    let row_h = 24;
    let panel_title_h = 34;
    let axis_h = 8 + TICK.line_height() + 6;
    let panel_h = panel_title_h + nterms as i32 * row_h + axis_h;
    let (gap_x, gap_y) = (44, 30);
    let left = MARGIN + AXIS_TITLE.line_height() + 12;
    let top = header_height(true);
    let w = left + cols as i32 * panel_w + (cols as i32 - 1) * gap_x + MARGIN;
    let w = w.max(560);
    let h = top
        + rows as i32 * panel_h
        + (rows as i32 - 1) * gap_y
        + 12
        + AXIS_TITLE.line_height()
        + MARGIN;
    let mut s = Scene::new(w, h)?;
    let of = if charted.is_partial() {
        charted.note()
    } else {
        "each theme".to_string()
    };
    header(
        &mut s,
        "Top terms per theme",
        &format!("The {nterms} most distinctive terms of {of} (each panel has its own scale)"),
    );
    for (p, &(i, t)) in themes.iter().enumerate() {
        let (c, rr) = ((p % cols) as i32, (p / cols) as i32);
        let x0 = left + c * (panel_w + gap_x);
        let y0 = top + rr * (panel_h + gap_y);
        // Panel title: colour swatch and label.
        let ty = y0 + 12;
        s.fill_rect(x0, ty - 7, x0 + 14, ty + 7, category(i));
        s.text(
            &LABEL_BOLD.fit(&t.label, panel_w - 22),
            x0 + 22,
            ty,
            LABEL_BOLD,
            TEXT,
            Align::Left,
        );
        let bx0 = x0 + term_w + 10;
        let bx1 = bx0 + bar_w;
        let by0 = y0 + panel_title_h;
        let by1 = by0 + nterms as i32 * row_h;
        let terms: Vec<_> = t.terms.iter().take(MAX_TERMS).collect();
        let wmax = terms.iter().map(|w| finite(w.weight)).fold(0.0, f64::max);
        let (ticks, step) = nice_ticks(0.0, if wmax > 0.0 { wmax } else { 1.0 }, 3);
        let sx = Scale {
            d0: 0.0,
            d1: *ticks.last().unwrap_or(&1.0),
            p0: bx0,
            p1: bx1,
        };
        let labels: Vec<String> = ticks.iter().map(|v| tick_label(*v, step)).collect();
        x_axis(&mut s, &sx, &ticks, &labels, by1, by0, true);
        for (j, tw) in terms.iter().enumerate() {
            let cy = by0 + j as i32 * row_h + row_h / 2;
            let x = sx.px(finite(tw.weight).max(0.0));
            s.fill_rect(bx0, cy - 8, x.max(bx0 + 1), cy + 8, category(i));
            s.text(
                &LABEL.fit(&tw.term, 150),
                bx0 - 8,
                cy,
                LABEL,
                TEXT,
                Align::Right,
            );
        }
        s.line((bx0, by0), (bx0, by1), AXIS, 1);
    }
    s.text(
        "c-TF-IDF weight",
        (left + w - MARGIN) / 2,
        h - MARGIN - AXIS_TITLE.line_height() / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
    s.vtext(
        "term",
        MARGIN + AXIS_TITLE.line_height() / 2,
        (top + h - MARGIN) / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// 3. theme sizes

fn theme_sizes(r: &RunReport, charted: &Charted) -> Result<Scene, BadCanvas> {
    let mut order = charted.ids.clone();
    order.sort_by_key(|&i| (std::cmp::Reverse(r.themes[i].size), i));
    let mut labels: Vec<String> = order
        .iter()
        .map(|&i| LABEL.fit(&r.themes[i].label, 320))
        .collect();
    let total: usize = r.themes.iter().map(|t| t.size).sum();
    // Themes left out share one last bar: how many, and their passages.
    let others = charted.is_partial().then(|| {
        let shown: usize = order.iter().map(|&i| r.themes[i].size).sum();
        (charted.left_out(), total.saturating_sub(shown))
    });
    if let Some((n, _)) = others {
        labels.push(format!("{} other themes", thousands(n as i64)));
    }
    let label_w = max_width(LABEL, &labels).max(60);
    let row_h = 30;
    let left = MARGIN + AXIS_TITLE.line_height() + 14 + label_w + 10;
    let plot_w = 520;
    let value_w = 110;
    let w = left + plot_w + value_w + MARGIN;
    let top = header_height(true);
    let plot_h = (labels.len() as i32).max(1) * row_h;
    let h = top + plot_h + 8 + TICK.line_height() + 12 + AXIS_TITLE.line_height() + MARGIN;
    let mut s = Scene::new(w, h)?;
    let subtitle = match others {
        Some((n, _)) => format!(
            "Passages in {}, largest first, then in the other {} together ({} in all)",
            charted.note(),
            thousands(n as i64),
            thousands(total as i64)
        ),
        None => format!(
            "Passages per theme, largest first ({} passages in all)",
            thousands(total as i64)
        ),
    };
    header(&mut s, "Theme sizes", &subtitle);
    let max = r.themes.iter().map(|t| t.size).max().unwrap_or(0).max(1) as f64;
    let (ticks, step) = nice_ticks(0.0, max, 5);
    let sx = Scale {
        d0: 0.0,
        d1: *ticks.last().unwrap_or(&1.0),
        p0: left,
        p1: left + plot_w,
    };
    let tl: Vec<String> = ticks
        .iter()
        .map(|v| tick_label(*v, step.max(1.0)))
        .collect();
    let y1 = top + plot_h;
    x_axis(&mut s, &sx, &ticks, &tl, y1, top, true);
    let pct = |size: usize| {
        if total > 0 {
            100.0 * size as f64 / total as f64
        } else {
            0.0
        }
    };
    for (row, (&i, l)) in order.iter().zip(&labels).enumerate() {
        let cy = top + row as i32 * row_h + row_h / 2;
        let size = r.themes[i].size;
        s.fill_rect(
            left,
            cy - 10,
            sx.px(size as f64).max(left + 1),
            cy + 10,
            category(i),
        );
        s.text(l, left - 10, cy, LABEL, TEXT, Align::Right);
        let v = format!("{} ({:.0}%)", thousands(size as i64), pct(size));
        s.text(&v, sx.px(size as f64) + 6, cy, TICK, MUTED, Align::Left);
    }
    if let (Some((_, size)), Some(l)) = (others, labels.last()) {
        // In grey, on the same scale; a bar longer than the axis stops at its end, broken by
        // two white slashes.
        let cy = top + order.len() as i32 * row_h + row_h / 2;
        let end = sx.px(size as f64).clamp(left + 1, left + plot_w);
        s.fill_rect(left, cy - 10, end, cy + 10, Rgba::hex(0xb0b0b0));
        if sx.px(size as f64) > left + plot_w {
            for dx in [24, 16] {
                s.line((end - dx, cy + 11), (end - dx + 8, cy - 11), WHITE, 3);
            }
        }
        s.text(l, left - 10, cy, LABEL, MUTED, Align::Right);
        let v = format!("{} ({:.0}%)", thousands(size as i64), pct(size));
        s.text(&v, end + 6, cy, TICK, MUTED, Align::Left);
    }
    s.line((left, top), (left, y1), AXIS, 1);
    s.text(
        "passages (units)",
        left + plot_w / 2,
        h - MARGIN - AXIS_TITLE.line_height() / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
    s.vtext(
        "theme",
        MARGIN + AXIS_TITLE.line_height() / 2,
        top + plot_h / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// Matrix charts (heatmap, similarity) share a colour bar.

fn color_bar(
    s: &mut Scene,
    x: i32,
    (y0, y1): (i32, i32),
    (lo, hi): (f64, f64),
    title: &str,
    pct: bool,
) {
    let bw = 18;
    // 64 bands are smooth to the eye and keep the SVG small.
    let bands = 64;
    for b in 0..bands {
        let ya = y1 - (y1 - y0) * b / bands;
        let yb = y1 - (y1 - y0) * (b + 1) / bands;
        // One pixel of overlap hides anti-aliasing seams between bands in SVG viewers.
        s.fill_rect(
            x,
            yb,
            x + bw,
            (ya + 1).min(y1),
            sequential((f64::from(b) + 0.5) / f64::from(bands)),
        );
    }
    s.stroke_rect(x, y0, x + bw, y1, AXIS, 1);
    let (ticks, step) = ticks_within(lo, hi, 5);
    let sc = Scale {
        d0: lo,
        d1: hi,
        p0: y1,
        p1: y0,
    };
    for t in ticks {
        let y = sc.px(t);
        s.line((x + bw, y), (x + bw + 5, y), AXIS, 1);
        let l = if pct {
            format!("{:.0}%", t * 100.0)
        } else {
            tick_label(t, step)
        };
        s.text(&l, x + bw + 8, y, TICK, MUTED, Align::Left);
    }
    s.vtext(
        title,
        x + bw + 8 + TICK.width("100%") + 14 + AXIS_TITLE.line_height() / 2,
        (y0 + y1) / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
}

/// Width a colour bar with its tick labels and title takes.
fn color_bar_width() -> i32 {
    18 + 8 + TICK.width("100%") + 14 + AXIS_TITLE.line_height() + 4
}

// ---------------------------------------------------------------------------------------------
// 4. article × theme heatmap

fn heatmap(r: &RunReport, charted: &Charted) -> Result<Scene, BadCanvas> {
    let cols = charted.at_least_one();
    let k = cols.len();
    let na = r.articles.len();
    let rows = r.largest_articles(MAX_HEATMAP_ROWS);
    let row_labels: Vec<String> = rows
        .iter()
        .map(|&i| LABEL.fit(article_name(&r.articles[i]), 330))
        .collect();
    let col_labels: Vec<String> = cols
        .iter()
        .map(|&j| LABEL.fit(&theme_label(r, j), 230))
        .collect();
    let cell_w = if k <= 10 { 56 } else { 40 };
    let cell_h = if rows.len() <= 40 { 28 } else { 22 };
    let label_w = max_width(LABEL, &row_labels).max(40);
    let col_label_h = max_width(LABEL, &col_labels).max(30);
    let left = MARGIN + AXIS_TITLE.line_height() + 14 + label_w + 10;
    let top = header_height(true);
    let grid_w = k as i32 * cell_w;
    let grid_h = (rows.len() as i32).max(1) * cell_h;
    let bar_x = left + grid_w + 30;
    let w = (bar_x + color_bar_width() + MARGIN).max(620);
    let h = top + grid_h + 10 + col_label_h + 14 + AXIS_TITLE.line_height() + MARGIN;
    let mut s = Scene::new(w, h)?;
    let mut subtitle = if rows.len() < na {
        format!(
            "Share of each article's passages in each theme · the {} articles with most passages, of {}",
            rows.len(),
            thousands(na as i64)
        )
    } else if charted.is_partial() {
        "Share of each article's passages in each theme".to_string()
    } else {
        "Share of each article's passages in each theme (%)".to_string()
    };
    if charted.is_partial() {
        subtitle.push_str(&format!(" · {}", charted.note()));
    }
    header(&mut s, "Themes per article", &subtitle);
    let annotate = cell_w >= 36 && cell_h >= 20;
    for (ri, &a) in rows.iter().enumerate() {
        let y0 = top + ri as i32 * cell_h;
        s.text(
            &row_labels[ri],
            left - 10,
            y0 + cell_h / 2,
            LABEL,
            TEXT,
            Align::Right,
        );
        for (j, &t) in cols.iter().enumerate() {
            let v = r.articles[a].mix.get(t).copied().map_or(0.0, finite);
            let x0 = left + j as i32 * cell_w;
            let c = sequential(v);
            s.fill_rect(x0, y0, x0 + cell_w, y0 + cell_h, c);
            if annotate && v >= 0.005 {
                s.text(
                    &format!("{:.0}", v * 100.0),
                    x0 + cell_w / 2,
                    y0 + cell_h / 2,
                    CELL,
                    c.ink(),
                    Align::Center,
                );
            }
        }
    }
    // Thin white separators keep cells apart.
    for j in 0..=k {
        let x = left + j as i32 * cell_w;
        s.line((x, top), (x, top + grid_h), WHITE, 1);
    }
    for ri in 0..=rows.len() {
        let y = top + ri as i32 * cell_h;
        s.line((left, y), (left + grid_w, y), WHITE, 1);
    }
    for (j, (l, &t)) in col_labels.iter().zip(&cols).enumerate() {
        let x = left + j as i32 * cell_w + cell_w / 2;
        s.vtext(l, x, top + grid_h + 10, LABEL, TEXT, Align::Right);
        s.fill_rect(
            x - 5,
            top + grid_h + 2,
            x + 5,
            top + grid_h + 7,
            category(t),
        );
    }
    let bar_h = grid_h.clamp(120, 320);
    color_bar(
        &mut s,
        bar_x,
        (top, top + bar_h),
        (0.0, 1.0),
        "share of passages",
        true,
    );
    s.text(
        "theme",
        left + grid_w / 2,
        h - MARGIN - AXIS_TITLE.line_height() / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
    s.vtext(
        "article",
        MARGIN + AXIS_TITLE.line_height() / 2,
        top + grid_h / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// 5. theme similarity

fn similarity(r: &RunReport, charted: &Charted) -> Result<Scene, BadCanvas> {
    let ids = charted.at_least_one();
    let k = ids.len();
    let labels: Vec<String> = ids
        .iter()
        .map(|&j| LABEL.fit(&theme_label(r, j), 230))
        .collect();
    let cell = (640 / k as i32).clamp(36, 72);
    let label_w = max_width(LABEL, &labels).max(40);
    let left = MARGIN + AXIS_TITLE.line_height() + 14 + label_w + 12;
    let top = header_height(true);
    let grid = k as i32 * cell;
    let bar_x = left + grid + 30;
    let w = (bar_x + color_bar_width() + MARGIN).max(620);
    let h = top + grid + 12 + label_w + 14 + AXIS_TITLE.line_height() + MARGIN;
    let mut s = Scene::new(w, h)?;
    let mut subtitle = "Cosine similarity between theme centroids in the LSA space".to_string();
    if charted.is_partial() {
        subtitle.push_str(&format!(" · {}", charted.note()));
    }
    header(&mut s, "Theme similarity", &subtitle);
    // Between the themes at positions `i` and `j` of `ids`.
    let get = |i: usize, j: usize| {
        r.similarity
            .get(ids[i])
            .and_then(|row| row.get(ids[j]))
            .copied()
            .map_or(0.0, finite)
    };
    let mut lo = 0.0f64;
    for i in 0..k {
        for j in 0..k {
            lo = lo.min(get(i, j));
        }
    }
    let lo = if lo < 0.0 {
        (lo * 10.0).floor() / 10.0
    } else {
        0.0
    };
    let font = if cell >= 48 {
        CELL
    } else {
        Font::regular(11.5)
    };
    for (i, label) in labels.iter().enumerate() {
        let y0 = top + i as i32 * cell;
        s.text(label, left - 12, y0 + cell / 2, LABEL, TEXT, Align::Right);
        s.fill_rect(
            left - 8,
            y0 + cell / 2 - 5,
            left - 3,
            y0 + cell / 2 + 5,
            category(ids[i]),
        );
        for j in 0..k {
            let v = get(i, j);
            let x0 = left + j as i32 * cell;
            let c = sequential((v - lo) / (1.0 - lo));
            s.fill_rect(x0, y0, x0 + cell, y0 + cell, c);
            s.text(
                &format!("{v:.2}"),
                x0 + cell / 2,
                y0 + cell / 2,
                font,
                c.ink(),
                Align::Center,
            );
        }
    }
    for j in 0..=k {
        let p = j as i32 * cell;
        s.line((left + p, top), (left + p, top + grid), WHITE, 1);
        s.line((left, top + p), (left + grid, top + p), WHITE, 1);
    }
    for (j, l) in labels.iter().enumerate() {
        let x = left + j as i32 * cell + cell / 2;
        s.vtext(l, x, top + grid + 12, LABEL, TEXT, Align::Right);
        s.fill_rect(
            x - 5,
            top + grid + 2,
            x + 5,
            top + grid + 7,
            category(ids[j]),
        );
    }
    color_bar(
        &mut s,
        bar_x,
        (top, top + grid.clamp(120, 320)),
        (lo, 1.0),
        "cosine similarity",
        false,
    );
    s.text(
        "theme",
        left + grid / 2,
        h - MARGIN - AXIS_TITLE.line_height() / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
    s.vtext(
        "theme",
        MARGIN + AXIS_TITLE.line_height() / 2,
        top + grid / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// 6. dendrogram

fn dendrogram(r: &RunReport, charted: &Charted, tree: &Tree) -> Result<Scene, BadCanvas> {
    let ids = &charted.ids;
    let k = ids.len();
    let (merges, order) = (&tree.merges, &tree.order);
    let labels: Vec<String> = order
        .iter()
        .map(|&i| LABEL.fit(&theme_label(r, ids[i]), 320))
        .collect();
    let label_w = max_width(LABEL, &labels).max(40);
    // Small hierarchies get taller rows so the tree keeps a readable shape.
    let row_h = (200 / (k.max(1) as i32)).clamp(32, 48);
    let left = MARGIN + AXIS_TITLE.line_height() + 14 + label_w + 14;
    let plot_w = 560;
    let top = header_height(true);
    let plot_h = (k as i32).max(1) * row_h;
    let w = left + plot_w + 30 + MARGIN;
    let h = top + plot_h + 8 + TICK.line_height() + 12 + AXIS_TITLE.line_height() + MARGIN;
    let mut s = Scene::new(w, h)?;
    let subtitle = if r.hierarchy.is_empty() {
        "Agglomerative clustering of the themes (nothing to merge)".to_string()
    } else if charted.is_partial() {
        format!(
            "Tree of {}: two join where their branches merge in the full tree",
            charted.note()
        )
    } else {
        "Agglomerative clustering of the theme centroids; the closer to the left two themes join, the more alike they are".to_string()
    };
    header(&mut s, "Theme hierarchy", &subtitle);
    let dmax = merges
        .iter()
        .map(|m| finite(m.distance))
        .fold(0.0, f64::max);
    let (ticks, step) = nice_ticks(0.0, if dmax > 0.0 { dmax } else { 1.0 }, 5);
    let sx = Scale {
        d0: 0.0,
        d1: *ticks.last().unwrap_or(&1.0),
        p0: left,
        p1: left + plot_w,
    };
    let tl: Vec<String> = ticks.iter().map(|v| tick_label(*v, step)).collect();
    let y1 = top + plot_h;
    x_axis(&mut s, &sx, &ticks, &tl, y1, top, true);
    // Node positions: leaves by row, merges at their distance and between their children.
    let mut pos: Vec<(i32, i32)> = vec![(left, 0); k + merges.len()];
    for (row, &leaf) in order.iter().enumerate() {
        pos[leaf] = (left, top + row as i32 * row_h + row_h / 2);
    }
    let ink = Rgba::hex(0x444444);
    for (m, mi) in merges.iter().enumerate() {
        let x = sx.px(finite(mi.distance).max(0.0));
        let (a, b) = (pos[mi.left], pos[mi.right]);
        s.path(vec![(a.0, a.1), (x, a.1), (x, b.1), (b.0, b.1)], ink, 2);
        pos[k + m] = (x, (a.1 + b.1) / 2);
    }
    for (row, (&leaf, l)) in order.iter().zip(&labels).enumerate() {
        let cy = top + row as i32 * row_h + row_h / 2;
        s.circle(left, cy, 5, category(ids[leaf]), Some((TEXT, 1)));
        s.text(l, left - 14, cy, LABEL, TEXT, Align::Right);
    }
    s.text(
        "cosine distance at which themes merge",
        left + plot_w / 2,
        h - MARGIN - AXIS_TITLE.line_height() / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
    s.vtext(
        "theme",
        MARGIN + AXIS_TITLE.line_height() / 2,
        top + plot_h / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// 7. k selection

fn k_selection(r: &RunReport) -> Result<Option<Scene>, BadCanvas> {
    let ks = &r.k_selection;
    if ks.mode != "auto" || ks.scores.is_empty() {
        return Ok(None);
    }
    let mut scores = ks.scores.clone();
    scores.sort_by_key(|s| s.k);
    let (kmin, kmax) = (scores[0].k as f64, scores[scores.len() - 1].k as f64);
    let (kt, kstep) = if scores.len() <= 24 {
        (scores.iter().map(|s| s.k as f64).collect::<Vec<_>>(), 1.0)
    } else {
        ticks_within(kmin, kmax, 10)
    };
    let kl: Vec<String> = kt.iter().map(|v| tick_label(*v, kstep.max(1.0))).collect();

    let sil: Vec<f64> = scores.iter().map(|s| finite(s.silhouette)).collect();
    let ine: Vec<f64> = scores
        .iter()
        .map(|s| {
            if s.inertia.is_finite() {
                s.inertia
            } else {
                0.0
            }
        })
        .collect();
    let range = |v: &[f64]| {
        (
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    };
    let (slo, shi) = range(&sil);
    let (ilo, ihi) = range(&ine);
    let (st, sstep) = nice_ticks(slo, shi, 4);
    let (it, istep) = nice_ticks(ilo, ihi, 4);
    let sl: Vec<String> = st.iter().map(|v| tick_label(*v, sstep)).collect();
    let il = compact_all(&it, istep);
    let tick_w = max_width(TICK, &sl).max(max_width(TICK, &il));

    let left = MARGIN + AXIS_TITLE.line_height() + 12 + tick_w + 10;
    let plot_w = 640;
    let panel_h = 220;
    let gap = 64;
    // Each panel has a title row above it.
    let top = header_height(true) + 22;
    let w = left + plot_w + 30 + MARGIN;
    let h =
        top + 2 * panel_h + gap + 8 + TICK.line_height() + 12 + AXIS_TITLE.line_height() + MARGIN;
    let mut s = Scene::new(w, h)?;
    // A short subtitle (the full reason, with the final fit's score, is in themes.md and the
    // report); the chosen k's silhouette is the marked point.
    let subtitle = match scores.iter().find(|s| s.k == ks.chosen) {
        Some(best) => format!(
            "k = {} has the highest mean silhouette (cosine), {:.3}, of k = {}–{}",
            ks.chosen, best.silhouette, kmin, kmax
        ),
        None => format!(
            "k = {} chosen automatically from {} candidates",
            ks.chosen,
            scores.len()
        ),
    };
    header(&mut s, "Choosing the number of themes", &subtitle);

    let pad = if kmax > kmin {
        0.04 * (kmax - kmin)
    } else {
        0.5
    };
    let sx = Scale {
        d0: kmin - pad,
        d1: kmax + pad,
        p0: left,
        p1: left + plot_w,
    };
    let chosen_x = sx.px(ks.chosen as f64).clamp(left, left + plot_w);
    let panels = [
        (
            top,
            &sil,
            &st,
            &sl,
            "mean silhouette",
            Rgba::hex(0x0072B2),
            "silhouette (higher is better)",
        ),
        (
            top + panel_h + gap,
            &ine,
            &it,
            &il,
            "inertia",
            Rgba::hex(0xD55E00),
            "inertia (lower is tighter)",
        ),
    ];
    for (i, (py0, vals, ticks, labels, ytitle, color, legend)) in panels.into_iter().enumerate() {
        let py1 = py0 + panel_h;
        let sy = Scale {
            d0: ticks[0],
            d1: *ticks.last().unwrap_or(&1.0),
            p0: py1,
            p1: py0,
        };
        y_axis(&mut s, &sy, ticks, labels, left, left + plot_w, true);
        if i == 1 {
            x_axis(&mut s, &sx, &kt, &kl, py1, py0, false);
        } else {
            s.line((left, py1), (left + plot_w, py1), AXIS, 1);
            for t in &kt {
                s.line((sx.px(*t), py1), (sx.px(*t), py1 + 4), AXIS, 1);
            }
        }
        s.dashed((chosen_x, py0), (chosen_x, py1), TEXT.alpha(0.6), 1, 5);
        let pts: Vec<(i32, i32)> = scores
            .iter()
            .zip(vals.iter())
            .map(|(sc, v)| (sx.px(sc.k as f64), sy.px(*v)))
            .collect();
        s.path(pts.clone(), color, 2);
        for (sc, p) in scores.iter().zip(&pts) {
            if sc.k == ks.chosen {
                s.circle(p.0, p.1, 7, color, Some((TEXT, 2)));
            } else {
                s.circle(p.0, p.1, 4, color, None);
            }
        }
        s.vtext(
            ytitle,
            MARGIN + AXIS_TITLE.line_height() / 2,
            (py0 + py1) / 2,
            AXIS_TITLE,
            TEXT,
            Align::Center,
        );
        // Panel title above its top left corner, in the line's colour.
        s.fill_rect(left, py0 - 15, left + 16, py0 - 12, color);
        s.text(legend, left + 22, py0 - 13, LABEL, TEXT, Align::Left);
    }
    // Label the chosen k on whichever side of the line has room.
    let label = format!("chosen k = {}", ks.chosen);
    let lw = LABEL_BOLD.width(&label);
    let (lx, align) = if chosen_x + 8 + lw < left + plot_w - 4 {
        (chosen_x + 8, Align::Left)
    } else {
        (chosen_x - 8, Align::Right)
    };
    s.text(&label, lx, top + panel_h + 20, LABEL_BOLD, TEXT, align);
    s.text(
        "number of themes k",
        left + plot_w / 2,
        h - MARGIN - AXIS_TITLE.line_height() / 2,
        AXIS_TITLE,
        TEXT,
        Align::Center,
    );
    Ok(Some(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_over_the_canvas_cap_are_refused_not_drawn() {
        let text = std::fs::read_to_string("tests/fixtures/run_sample.json").unwrap();
        let mut r: RunReport = serde_json::from_str(&text).unwrap();
        let theme = r.themes[0].clone();
        r.themes = (0..1300)
            .map(|id| crate::report::ThemeInfo {
                id,
                ..theme.clone()
            })
            .collect();
        // Every theme charted, as before the theme cap: canvases of tens of thousands of pixels
        // a side are refused before anything is laid out on them.
        let all = Charted {
            ids: (0..1300).collect(),
            total: 1300,
        };
        let bad = similarity(&r, &all).unwrap_err();
        assert!(bad.w > 40_000 && bad.h > 40_000, "{bad}");
        assert!(theme_map(&r, &all).is_err());
        assert!(top_terms(&r, &all).is_err());
        // Through `build`, with the themes capped, every chart fits.
        for name in ["theme_map", "top_terms", "theme_similarity"] {
            assert!(
                matches!(build(name, &r).unwrap(), Layout::Scene(_)),
                "{name}"
            );
        }
    }
}
