//! Linear scales, "nice" tick positions and tick labels.

/// Maps a data interval onto a pixel interval.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    /// Data value at the start of the range.
    pub d0: f64,
    /// Data value at the end of the range.
    pub d1: f64,
    /// Pixel at the start.
    pub p0: i32,
    /// Pixel at the end.
    pub p1: i32,
}

impl Scale {
    /// The pixel of data value `v`.
    pub(crate) fn px(&self, v: f64) -> i32 {
        let span = self.d1 - self.d0;
        let t = if span.abs() < f64::EPSILON {
            0.5
        } else {
            (v - self.d0) / span
        };
        (f64::from(self.p0) + t * f64::from(self.p1 - self.p0)).round() as i32
    }
}

/// About `target` evenly spaced round tick values covering `lo..=hi`, and their spacing.
///
/// The returned ticks start at or below `lo` and end at or above `hi`, so a scale over
/// `first..=last` holds all the data.
pub(crate) fn nice_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, f64) {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() {
        (lo.min(hi), lo.max(hi))
    } else {
        (0.0, 1.0)
    };
    if (hi - lo).abs() < 1e-12 {
        let pad = if lo.abs() > 1e-12 {
            lo.abs() * 0.1
        } else {
            1.0
        };
        lo -= pad;
        hi += pad;
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step + 1e-6).floor();
    let last = (hi / step - 1e-6).ceil();
    let ticks = (first as i64..=last as i64)
        .map(|i| i as f64 * step)
        .collect();
    (ticks, step)
}

/// Tick values between `lo` and `hi` only (no extension), for axes with fixed ends.
pub(crate) fn ticks_within(lo: f64, hi: f64, target: usize) -> (Vec<f64>, f64) {
    let (ticks, step) = nice_ticks(lo, hi, target);
    let eps = step * 1e-6;
    (
        ticks
            .into_iter()
            .filter(|t| *t >= lo - eps && *t <= hi + eps)
            .collect(),
        step,
    )
}

/// A tick label for `v` on an axis whose ticks are `step` apart.
pub(crate) fn tick_label(v: f64, step: f64) -> String {
    let v = if v.abs() < step * 1e-3 { 0.0 } else { v };
    // Whole steps (1, 2, 5, 10…) label whole numbers; a step of 2.5 needs its half (47.5, not 48).
    if step >= 1.0 && (step - step.round()).abs() < 1e-9 && v.abs() < 1e15 {
        return thousands(v.round() as i64);
    }
    let decimals = (-step.log10()).ceil().clamp(0.0, 6.0) as usize;
    // 2.5, 0.25…: one more decimal.
    let decimals = if ((step * 10f64.powi(decimals as i32)).round()
        - step * 10f64.powi(decimals as i32))
    .abs()
        > 1e-6
    {
        decimals + 1
    } else {
        decimals
    };
    let label = format!("{v:.decimals$}");
    match label.split_once('.') {
        // Steps of 1 or more that are not whole (2.5): thousands grouped as on whole steps.
        Some((int, frac)) if step >= 1.0 && v.abs() < 1e15 => {
            let sign = if int.starts_with('-') { "-" } else { "" };
            let digits: i64 = int
                .trim_start_matches('-')
                .parse()
                .expect("the integer digits of a formatted float below 1e15");
            format!("{sign}{}.{frac}", thousands(digits))
        }
        _ => label,
    }
}

/// `v` with thin groups of three digits: `12,345`.
pub(crate) fn thousands(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// Compact labels for the ticks of one axis, all with the same unit: `0`, `5k`, `10k`, `15k`.
pub(crate) fn compact_all(ticks: &[f64], step: f64) -> Vec<String> {
    let max = ticks.iter().fold(0.0f64, |m, t| m.max(t.abs()));
    ticks.iter().map(|t| compact(*t, step, max)).collect()
}

/// A compact label for `v` on an axis reaching `max`: `12k`, `3.4M`.
fn compact(v: f64, step: f64, max: f64) -> String {
    let a = max;
    let (div, suffix) = if a >= 1e9 {
        (1e9, "G")
    } else if a >= 1e6 {
        (1e6, "M")
    } else if a >= 1e4 {
        (1e3, "k")
    } else {
        return tick_label(v, step);
    };
    if v.abs() < step * 1e-3 {
        return "0".to_string();
    }
    format!("{}{suffix}", tick_label(v / div, step / div))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_cover_the_data_with_round_steps() {
        let (t, step) = nice_ticks(0.03, 0.97, 5);
        assert_eq!(step, 0.2);
        assert!(t[0] <= 0.03 && *t.last().unwrap() >= 0.97);
        let (t, step) = nice_ticks(0.0, 137.0, 5);
        assert_eq!(step, 50.0);
        assert_eq!(t, vec![0.0, 50.0, 100.0, 150.0]);
    }

    #[test]
    fn nice_ticks_survive_degenerate_ranges() {
        let (t, _) = nice_ticks(3.0, 3.0, 5);
        assert!(t.len() >= 2);
        let (t, _) = nice_ticks(f64::NAN, 1.0, 5);
        assert!(t.len() >= 2);
    }

    #[test]
    fn tick_labels_use_enough_decimals() {
        assert_eq!(tick_label(0.25, 0.25), "0.25");
        assert_eq!(tick_label(0.4, 0.2), "0.4");
        assert_eq!(tick_label(12000.0, 2000.0), "12,000");
        assert_eq!(tick_label(47.5, 2.5), "47.5");
        assert_eq!(tick_label(45.0, 2.5), "45.0");
        assert_eq!(tick_label(1002.5, 2.5), "1,002.5");
        assert_eq!(tick_label(-0.0000001, 0.1), "0.0");
        assert_eq!(
            compact_all(&[0.0, 5000.0, 10000.0], 5000.0),
            ["0", "5k", "10k"]
        );
    }
}
