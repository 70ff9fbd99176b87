//! A bipartite flow chart: two columns of nodes (bars sized by their weight) joined by bands
//! whose thickness is the weight they carry, as `themata compare` draws two runs' themes.
//!
//! The chart knows nothing of comparisons: it takes a [`Flow`] (labels, sizes, palette colours,
//! bands) and lays it out. The left column keeps its order; the right column is ordered by the
//! weighted mean position of each node's bands on the left (its barycentre), which removes most
//! crossings, with band-less nodes last. Past [`MAX_CHART_THEMES`](super::MAX_CHART_THEMES)
//! nodes a side, the largest are shown and the subtitle says so.

use super::palette::{MUTED, Rgba, TEXT, category};
use super::plots::{LABEL, LABEL_BOLD, MARGIN, TICK, header, header_height};
use super::scene::{Align, BadCanvas, Scene};

/// One node of a column.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowNode {
    /// Its label (shortened to fit).
    pub label: String,
    /// Its size; the bar's height is proportional to it.
    pub size: f64,
    /// Its colour: a theme palette index, or grey when `None`.
    pub color: Option<usize>,
    /// A short note after the label (a status, a similarity).
    pub note: String,
}

/// A band from a left node to a right node.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowBand {
    /// Index of the left node.
    pub left: usize,
    /// Index of the right node.
    pub right: usize,
    /// What it carries, in the nodes' size units.
    pub weight: f64,
}

/// A whole flow chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Flow {
    /// The title.
    pub title: String,
    /// The subtitle (how to read it).
    pub subtitle: String,
    /// Heading of the left column.
    pub left_heading: String,
    /// Heading of the right column.
    pub right_heading: String,
    /// The left column, top to bottom.
    pub left: Vec<FlowNode>,
    /// The right column (reordered by barycentre).
    pub right: Vec<FlowNode>,
    /// The bands; bands naming a node out of range are ignored.
    pub bands: Vec<FlowBand>,
}

const BAR_W: i32 = 14;
const LABEL_W: i32 = 400;
const BAND_W: i32 = 460;
const GAP: i32 = 6;
/// Least vertical room a node takes, so its label never overlaps the next one's.
const MIN_SLOT: i32 = 22;
const GREY: Rgba = Rgba::hex(0xa0a0a0);

/// The `max` largest of `nodes` (ties to the lower index), in their order.
fn largest(nodes: &[FlowNode], max: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..nodes.len()).collect();
    if idx.len() > max {
        idx.sort_by(|&a, &b| nodes[b].size.total_cmp(&nodes[a].size).then(a.cmp(&b)));
        idx.truncate(max);
        idx.sort_unstable();
    }
    idx
}

fn finite(v: f64) -> f64 {
    if v.is_finite() { v.max(0.0) } else { 0.0 }
}

/// Lays out `flow` as a scene.
pub(crate) fn layout(flow: &Flow) -> Result<Scene, BadCanvas> {
    let max = super::MAX_CHART_THEMES;
    let left = largest(&flow.left, max);
    let right_shown = largest(&flow.right, max);
    let mut pos_l = vec![usize::MAX; flow.left.len()];
    for (p, &i) in left.iter().enumerate() {
        pos_l[i] = p;
    }
    let mut shown_r = vec![false; flow.right.len()];
    for &j in &right_shown {
        shown_r[j] = true;
    }
    let bands: Vec<&FlowBand> = flow
        .bands
        .iter()
        .filter(|b| {
            b.left < flow.left.len()
                && b.right < flow.right.len()
                && pos_l[b.left] != usize::MAX
                && shown_r[b.right]
                && finite(b.weight) > 0.0
        })
        .collect();
    // Right nodes by the barycentre of their bands' left positions; band-less ones last.
    let mut bary = vec![(0.0f64, 0.0f64); flow.right.len()];
    for b in &bands {
        let w = finite(b.weight);
        bary[b.right].0 += w * pos_l[b.left] as f64;
        bary[b.right].1 += w;
    }
    let key = |j: usize| {
        let (s, w) = bary[j];
        if w > 0.0 { s / w } else { f64::INFINITY }
    };
    let mut right = right_shown.clone();
    right.sort_by(|&a, &b| key(a).total_cmp(&key(b)).then(a.cmp(&b)));
    let mut pos_r = vec![usize::MAX; flow.right.len()];
    for (p, &j) in right.iter().enumerate() {
        pos_r[j] = p;
    }

    let n = left.len().max(right.len()).max(1) as i32;
    let target = (n * 30).max(480);
    let total = |nodes: &[FlowNode], ids: &[usize]| -> f64 {
        ids.iter().map(|&i| finite(nodes[i].size)).sum()
    };
    let biggest = total(&flow.left, &left)
        .max(total(&flow.right, &right))
        .max(1.0);
    let scale = f64::from((target - n * GAP).max(n)) / biggest;
    // Each node's top and bar height, stacked with at least MIN_SLOT of room.
    let place = |nodes: &[FlowNode], ids: &[usize]| -> (Vec<(i32, i32)>, i32) {
        let mut y = 0;
        let mut out = Vec::with_capacity(ids.len());
        for &i in ids {
            let h = ((finite(nodes[i].size) * scale).round() as i32).max(2);
            out.push((y, h));
            y += h.max(MIN_SLOT) + GAP;
        }
        (out, y)
    };
    let (lp, lh) = place(&flow.left, &left);
    let (rp, rh) = place(&flow.right, &right);
    let heading_h = LABEL_BOLD.line_height() + 14;
    let note_h = if left.len() < flow.left.len() || right.len() < flow.right.len() {
        TICK.line_height() + 8
    } else {
        0
    };
    let top = header_height(true) + heading_h;
    let body = lh.max(rh).max(MIN_SLOT);
    let w = 2 * MARGIN + 2 * LABEL_W + 2 * BAR_W + BAND_W;
    let h = top + body + note_h + MARGIN;
    let mut s = Scene::new(w, h)?;
    header(&mut s, &flow.title, &flow.subtitle);
    let xl = MARGIN + LABEL_W;
    let xr = xl + BAR_W + BAND_W;
    let hy = top - heading_h / 2 - 4;
    s.text(
        &LABEL_BOLD.fit(&flow.left_heading, LABEL_W + BAR_W),
        xl + BAR_W,
        hy,
        LABEL_BOLD,
        TEXT,
        Align::Right,
    );
    s.text(
        &LABEL_BOLD.fit(&flow.right_heading, LABEL_W + BAR_W),
        xr,
        hy,
        LABEL_BOLD,
        TEXT,
        Align::Left,
    );
    let color = |c: Option<usize>| c.map_or(GREY, category);

    // Bands: stacked at each end in the order of the other end, so they don't cross at a node.
    let mut out_l: Vec<Vec<usize>> = vec![Vec::new(); left.len()];
    let mut in_r: Vec<Vec<usize>> = vec![Vec::new(); right.len()];
    for (k, b) in bands.iter().enumerate() {
        out_l[pos_l[b.left]].push(k);
        in_r[pos_r[b.right]].push(k);
    }
    for v in &mut out_l {
        v.sort_by_key(|&k| (pos_r[bands[k].right], k));
    }
    for v in &mut in_r {
        v.sort_by_key(|&k| (pos_l[bands[k].left], k));
    }
    // A band's thickness: its weight at the chart's scale, shrunk where a node's bands would
    // overflow it (they can when weights are not shares of the node's size).
    let fit = |v: &[usize], size: f64| {
        let sum: f64 = v.iter().map(|&k| finite(bands[k].weight)).sum();
        if sum > size && sum > 0.0 {
            size / sum
        } else {
            1.0
        }
    };
    let shrink_l: Vec<f64> = (0..left.len())
        .map(|p| fit(&out_l[p], finite(flow.left[left[p]].size)))
        .collect();
    let shrink_r: Vec<f64> = (0..right.len())
        .map(|p| fit(&in_r[p], finite(flow.right[right[p]].size)))
        .collect();
    let thick: Vec<f64> = bands
        .iter()
        .map(|b| {
            let f = shrink_l[pos_l[b.left]].min(shrink_r[pos_r[b.right]]);
            (finite(b.weight) * f * scale).max(1.0)
        })
        .collect();
    // Each band's centre at its two ends, stacked from the top of each node.
    let stack = |lists: &[Vec<usize>], tops: &[(i32, i32)]| {
        let mut at = vec![0.0f64; bands.len()];
        for (v, &(y0, _)) in lists.iter().zip(tops) {
            let mut y = f64::from(top + y0);
            for &k in v {
                at[k] = y + thick[k] / 2.0;
                y += thick[k];
            }
        }
        at
    };
    let start = stack(&out_l, &lp);
    let end = stack(&in_r, &rp);
    let (x0, x1) = (f64::from(xl + BAR_W), f64::from(xr));
    for (k, b) in bands.iter().enumerate() {
        let t = thick[k];
        let (y0, y1) = (start[k], end[k]);
        // A cubic Bézier with horizontal tangents at both ends, sampled.
        let points: Vec<(i32, i32)> = (0..=32)
            .map(|s| {
                let u = f64::from(s) / 32.0;
                let v = 1.0 - u;
                let x = v * v * v * x0
                    + 3.0 * v * v * u * (x0 + x1) / 2.0
                    + 3.0 * v * u * u * (x0 + x1) / 2.0
                    + u * u * u * x1;
                let y = (v * v * v + 3.0 * v * v * u) * y0 + (3.0 * v * u * u + u * u * u) * y1;
                (x.round() as i32, y.round() as i32)
            })
            .collect();
        let c = color(flow.left[b.left].color).alpha(0.42);
        s.path(points, c, t.round().max(1.0) as u32);
    }
    // Bars, and labels outside them: left of the left column, right of the right one.
    let columns = [
        (&flow.left, &left, &lp, xl, xl - 8, Align::Right),
        (&flow.right, &right, &rp, xr, xr + BAR_W + 8, Align::Left),
    ];
    for (nodes, ids, places, x, label_x, align) in columns {
        for (&i, &(y, bh)) in ids.iter().zip(places) {
            let node = &nodes[i];
            let y = top + y;
            s.fill_rect(x, y, x + BAR_W, y + bh, color(node.color));
            let text = LABEL.fit(&node_text(node), LABEL_W - 10);
            s.text(&text, label_x, y + bh / 2, LABEL, TEXT, align);
        }
    }
    if note_h > 0 {
        let note = format!(
            "Shown: the {} largest of {} on the left, the {} largest of {} on the right.",
            left.len(),
            flow.left.len(),
            right.len(),
            flow.right.len()
        );
        s.text(
            &TICK.fit(&note, w - 2 * MARGIN),
            MARGIN,
            h - MARGIN - note_h / 2,
            TICK,
            MUTED,
            Align::Left,
        );
    }
    Ok(s)
}

fn node_text(n: &FlowNode) -> String {
    let label = n.label.split_whitespace().collect::<Vec<_>>().join(" ");
    if n.note.is_empty() {
        label
    } else {
        format!("{label} · {}", n.note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of every `<text>` element, trimmed, in document order.
    fn texts(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| {
                let t = n.descendants().find_map(|d| d.text()).unwrap_or_default();
                t.trim().to_string()
            })
            .collect()
    }

    fn node(label: &str, size: f64) -> FlowNode {
        FlowNode {
            label: label.into(),
            size,
            color: Some(0),
            note: String::new(),
        }
    }

    #[test]
    fn flow_lays_out_and_renders_both_formats() {
        let flow = Flow {
            title: "t".into(),
            subtitle: "s".into(),
            left_heading: "A".into(),
            right_heading: "B".into(),
            left: vec![node("a0", 10.0), node("a1", 5.0)],
            right: vec![node("b0", 5.0), node("b1", 10.0), node("new", 3.0)],
            bands: vec![
                FlowBand {
                    left: 0,
                    right: 1,
                    weight: 10.0,
                },
                FlowBand {
                    left: 1,
                    right: 0,
                    weight: 5.0,
                },
                // Out of range: ignored.
                FlowBand {
                    left: 7,
                    right: 0,
                    weight: 5.0,
                },
            ],
        };
        let s = layout(&flow).unwrap();
        let t = texts(&s.to_svg().unwrap());
        let at = |x: &str| t.iter().position(|y| y == x).unwrap();
        assert_eq!(at("A"), 2, "{t:?}");
        // b1 (fed by a0, the first left node) is drawn above b0, the band-less node last.
        assert!(at("b1") < at("b0") && at("b0") < at("new"), "{t:?}");
    }

    #[test]
    fn flow_with_many_nodes_shows_the_largest_and_says_so() {
        let nodes: Vec<FlowNode> = (0..130).map(|i| node(&format!("n{i}"), i as f64)).collect();
        let flow = Flow {
            left: nodes.clone(),
            right: nodes,
            ..Flow::default()
        };
        let t = texts(&layout(&flow).unwrap().to_svg().unwrap());
        assert!(
            t.iter().any(|x| x.contains("the 60 largest of 130")),
            "{t:?}"
        );
        assert!(t.iter().any(|x| x == "n129") && !t.iter().any(|x| x == "n3"));
    }
}
