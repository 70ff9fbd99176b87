//! Colours: a colour-blind-safe categorical palette for themes and a sequential scale for shares.
//!
//! Themes 0–7 take the Okabe–Ito palette (Okabe & Ito 2008), safe for the common colour-vision
//! deficiencies. Themes 8–16 continue with Paul Tol's *muted* scheme and 17–24 with Tol's *light*
//! scheme, both designed for colour-blind readers too; beyond 25 themes the sequence repeats, so
//! charts with that many themes also rely on labels, not colour alone.

/// An RGB colour with opacity, as the scene stores it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rgba(pub u8, pub u8, pub u8, pub f64);

impl Rgba {
    /// An opaque colour from `0xRRGGBB`.
    pub(crate) const fn hex(v: u32) -> Self {
        Rgba((v >> 16) as u8, (v >> 8) as u8, v as u8, 1.0)
    }

    /// The same colour with opacity `a`.
    pub(crate) fn alpha(self, a: f64) -> Self {
        Rgba(self.0, self.1, self.2, a)
    }

    /// Relative luminance (sRGB, WCAG), 0 = black, 1 = white.
    pub(crate) fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.0) + 0.7152 * lin(self.1) + 0.0722 * lin(self.2)
    }

    /// Black or white, whichever reads better on this colour.
    pub(crate) fn ink(self) -> Rgba {
        if self.luminance() > 0.36 { TEXT } else { WHITE }
    }

    /// `#rrggbb`, for HTML.
    pub(crate) fn css(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// Linear mix between `self` (t = 0) and `other` (t = 1).
    fn mix(self, other: Rgba, t: f64) -> Rgba {
        let m = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
        Rgba(
            m(self.0, other.0),
            m(self.1, other.1),
            m(self.2, other.2),
            1.0,
        )
    }
}

/// Body text.
pub(crate) const TEXT: Rgba = Rgba::hex(0x222222);
/// Secondary text (subtitles, tick labels).
pub(crate) const MUTED: Rgba = Rgba::hex(0x555555);
/// Axis lines.
pub(crate) const AXIS: Rgba = Rgba::hex(0x888888);
/// Grid lines.
pub(crate) const GRID: Rgba = Rgba::hex(0xe6e6e6);
/// Background.
pub(crate) const WHITE: Rgba = Rgba::hex(0xffffff);

const CATEGORICAL: [u32; 25] = [
    // Okabe–Ito, black moved last so the first themes get the most distinct hues.
    0xE69F00, 0x56B4E9, 0x009E73, 0xF0E442, 0x0072B2, 0xD55E00, 0xCC79A7, 0x000000,
    // Paul Tol, muted.
    0xCC6677, 0x332288, 0xDDCC77, 0x117733, 0x88CCEE, 0x882255, 0x44AA99, 0x999933, 0xAA4499,
    // Paul Tol, light.
    0x77AADD, 0xEE8866, 0xEEDD88, 0xFFAABB, 0x99DDFF, 0x44BB99, 0xBBCC33, 0xAAAA00,
];

/// The colour of theme `id`, as `#rrggbb` (the HTML report uses the same colours as the charts).
pub fn theme_color(id: usize) -> String {
    category(id).css()
}

/// The colour of theme `id`.
pub(crate) fn category(id: usize) -> Rgba {
    Rgba::hex(CATEGORICAL[id % CATEGORICAL.len()])
}

/// A sequential scale (viridis, reversed so 0 is light), `t` in 0..=1.
pub(crate) fn sequential(t: f64) -> Rgba {
    // Viridis at 9 evenly spaced stops, light end first.
    const STOPS: [u32; 9] = [
        0xfde725, 0xa0da39, 0x4ac16d, 0x1fa187, 0x277f8e, 0x365c8d, 0x46327e, 0x440154, 0x440154,
    ];
    // A very light start so that zero reads as "nothing", then viridis.
    const ZERO: Rgba = Rgba::hex(0xf7f7f7);
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    if t < 0.02 {
        return ZERO.mix(Rgba::hex(STOPS[0]), t / 0.02 * 0.35);
    }
    let x = t * 7.0;
    let i = (x.floor() as usize).min(6);
    Rgba::hex(STOPS[i]).mix(Rgba::hex(STOPS[i + 1]), x - i as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_starts_with_okabe_ito_and_cycles() {
        assert_eq!(theme_color(0), "#e69f00");
        assert_eq!(theme_color(7), "#000000");
        assert_eq!(theme_color(8), "#cc6677");
        assert_eq!(theme_color(25), theme_color(0));
    }

    #[test]
    fn sequential_scale_runs_light_to_dark() {
        assert!(sequential(0.0).luminance() > sequential(0.5).luminance());
        assert!(sequential(0.5).luminance() > sequential(1.0).luminance());
        assert_eq!(sequential(f64::NAN), sequential(0.0));
    }
}
