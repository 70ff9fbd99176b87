//! A chart as a display list in pixel coordinates, and its rendering to PNG and SVG.
//!
//! Charts are laid out once into a [`Scene`] (rectangles, lines, circles and text, with text
//! measured against the embedded DejaVu Sans) and then rendered through plotters' bitmap and SVG
//! backends. The one font is registered from the `dejavu` crate, so nothing depends on the fonts
//! installed on the machine.
//!
//! A scene's canvas is bounded: [`Scene::new`] refuses one with no area or over
//! [`MAX_CANVAS_PIXELS`], and rendering checks again, so plotters (whose bitmap backend allocates
//! width × height × 3 bytes and computes that product in `u32`) never sees a canvas it can't hold.

use std::fmt;
use std::path::Path;
use std::sync::Once;

use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontDesc, FontFamily, FontStyle, FontTransform, register_font};

use super::axis::thousands;
use super::palette::{Rgba, WHITE};
use crate::{Error, Result};

/// The family name the embedded font is registered under.
pub(crate) const FAMILY: &str = "DejaVu Sans";

/// What SVG viewers are told to use: the embedded font's family first, then look-alikes.
const SVG_FAMILY: &str = "DejaVu Sans, Verdana, Bitstream Vera Sans, Arial, sans-serif";

/// DejaVu Sans: units per em over (ascender − descender), times plotters' SVG divisor 1.24.
const SVG_SIZE_RATIO: f64 = 2048.0 / (1901.0 + 483.0) * 1.24;

static FONTS: Once = Once::new();

/// Registers DejaVu Sans (regular and bold) with plotters, once per process.
pub(crate) fn ensure_fonts() {
    FONTS.call_once(|| {
        // Both fonts are valid TrueType files compiled into the binary; a failure here would be
        // a broken `dejavu` crate, and every text measurement would then fall back to estimates.
        let _ = register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font(FAMILY, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Horizontal alignment of text relative to its anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    /// Text starts at the anchor.
    Left,
    /// Text is centred on the anchor.
    Center,
    /// Text ends at the anchor.
    Right,
}

/// Most pixels a chart's canvas may have: 2^26, about 67 million (8,192 × 8,192), or 192 MiB of
/// RGB for the bitmap backend. The largest chart themata lays out is under 10 million pixels.
pub const MAX_CANVAS_PIXELS: i64 = 1 << 26;

/// A canvas size that can't be rendered: no area, or more than [`MAX_CANVAS_PIXELS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadCanvas {
    /// The width asked for, in pixels.
    pub w: i64,
    /// The height asked for, in pixels.
    pub h: i64,
}

impl fmt::Display for BadCanvas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (w, h) = (thousands(self.w), thousands(self.h));
        if self.w <= 0 || self.h <= 0 {
            write!(f, "its {w} × {h} px canvas has no area")
        } else {
            write!(
                f,
                "its {w} × {h} px canvas is over the cap of {} pixels",
                thousands(MAX_CANVAS_PIXELS)
            )
        }
    }
}

/// Checks that a `w` × `h` canvas has an area and is within [`MAX_CANVAS_PIXELS`].
fn check_canvas(w: i64, h: i64) -> Result<(), BadCanvas> {
    // i64 holds the product of any two i32 sides, so the comparison itself can't overflow.
    if w <= 0 || h <= 0 || w * h > MAX_CANVAS_PIXELS {
        Err(BadCanvas { w, h })
    } else {
        Ok(())
    }
}

/// A text run: its size and weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Font {
    /// plotters' font size (about 1.2 × the em size in pixels).
    pub size: f64,
    /// Bold weight.
    pub bold: bool,
}

impl Font {
    /// A regular font of `size`.
    pub(crate) const fn regular(size: f64) -> Self {
        Font { size, bold: false }
    }

    /// A bold font of `size`.
    pub(crate) const fn bold(size: f64) -> Self {
        Font { size, bold: true }
    }

    fn desc(self) -> FontDesc<'static> {
        let style = if self.bold {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        FontDesc::new(FontFamily::Name(FAMILY), self.size, style)
    }

    /// The rendered width of `s` in pixels.
    pub(crate) fn width(self, s: &str) -> i32 {
        ensure_fonts();
        match self.desc().box_size(s) {
            Ok((w, _)) => w as i32,
            // Only reachable if the font failed to register: estimate from the character count.
            Err(_) => (s.chars().count() as f64 * self.size * 0.6).ceil() as i32,
        }
    }

    /// The height of a line of this font in pixels, for stacking lines.
    pub(crate) fn line_height(self) -> i32 {
        (self.size * 1.05).ceil() as i32
    }

    /// `s`, shortened with an ellipsis until it is at most `max_px` wide.
    /// Runs of whitespace (newlines, tabs) become single spaces first, since a chart label is
    /// one line.
    pub(crate) fn fit(self, s: &str, max_px: i32) -> String {
        // Glyphs are wider than a pixel (bar zero-width marks), so a label of more than `max_px`
        // characters is taken not to fit: cutting it there first means a hostile label of
        // megabytes is measured on a few hundred characters, not whole at every search step.
        let limit = max_px.max(0) as usize + 1;
        let mut one_line = String::new();
        let mut count = 0;
        for (i, word) in s.split_whitespace().enumerate() {
            if i > 0 {
                one_line.push(' ');
                count += 1;
            }
            one_line.push_str(word);
            count += word.chars().count();
            if count >= limit {
                one_line = one_line.chars().take(limit).collect();
                break;
            }
        }
        let s = one_line.as_str();
        if self.width(s) <= max_px {
            return s.to_string();
        }
        let n = s.chars().count();
        // Largest character count whose ellipsized form fits (binary search; width grows with it).
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if self.width(&super::ellipsize(s, mid)) <= max_px {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        super::ellipsize(s, lo)
    }
}

/// One drawable thing.
#[derive(Debug, Clone)]
enum Item {
    Rect {
        x0: i32,
        y0: i32,
        x1: i32,
        y1: i32,
        fill: Option<Rgba>,
        stroke: Option<(Rgba, u32)>,
    },
    Path {
        points: Vec<(i32, i32)>,
        color: Rgba,
        width: u32,
    },
    Circle {
        x: i32,
        y: i32,
        r: i32,
        fill: Rgba,
        stroke: Option<(Rgba, u32)>,
    },
    Text {
        text: String,
        x: i32,
        y: i32,
        font: Font,
        color: Rgba,
        align: Align,
        vertical: bool,
    },
}

/// A chart laid out in pixels, ready to render.
#[derive(Debug, Clone)]
pub(crate) struct Scene {
    /// Width in pixels.
    pub w: i32,
    /// Height in pixels.
    pub h: i32,
    items: Vec<Item>,
}

impl Scene {
    /// An empty white canvas of `w` × `h` pixels, refused when it has no area or is over
    /// [`MAX_CANVAS_PIXELS`].
    pub(crate) fn new(w: i32, h: i32) -> Result<Self, BadCanvas> {
        check_canvas(i64::from(w), i64::from(h))?;
        Ok(Scene {
            w,
            h,
            items: Vec::new(),
        })
    }

    /// The canvas size for a backend, checked again since `w` and `h` are public.
    fn size(&self) -> Result<(u32, u32)> {
        check_canvas(i64::from(self.w), i64::from(self.h))
            .map_err(|e| Error::Internal(format!("refusing to render a chart: {e}")))?;
        // Both sides are positive i32s, so they fit u32.
        Ok((self.w.unsigned_abs(), self.h.unsigned_abs()))
    }

    /// A filled rectangle (corners in any order).
    pub(crate) fn fill_rect(&mut self, x0: i32, y0: i32, x1: i32, y1: i32, fill: Rgba) {
        let (x0, x1) = (x0.min(x1), x0.max(x1));
        let (y0, y1) = (y0.min(y1), y0.max(y1));
        self.items.push(Item::Rect {
            x0,
            y0,
            x1,
            y1,
            fill: Some(fill),
            stroke: None,
        });
    }

    /// An outlined rectangle.
    pub(crate) fn stroke_rect(&mut self, x0: i32, y0: i32, x1: i32, y1: i32, c: Rgba, w: u32) {
        self.items.push(Item::Rect {
            x0,
            y0,
            x1,
            y1,
            fill: None,
            stroke: Some((c, w)),
        });
    }

    /// A straight line.
    pub(crate) fn line(&mut self, a: (i32, i32), b: (i32, i32), color: Rgba, width: u32) {
        self.items.push(Item::Path {
            points: vec![a, b],
            color,
            width,
        });
    }

    /// A dashed straight line (axis-parallel or not), dashes `dash` pixels long.
    pub(crate) fn dashed(
        &mut self,
        a: (i32, i32),
        b: (i32, i32),
        color: Rgba,
        width: u32,
        dash: i32,
    ) {
        let (dx, dy) = (f64::from(b.0 - a.0), f64::from(b.1 - a.1));
        let len = dx.hypot(dy);
        if len < 1.0 {
            return;
        }
        let step = f64::from(dash.max(1));
        let mut t = 0.0;
        while t < len {
            let t1 = (t + step).min(len);
            let p = |t: f64| {
                (
                    a.0 + (dx * t / len).round() as i32,
                    a.1 + (dy * t / len).round() as i32,
                )
            };
            self.line(p(t), p(t1), color, width);
            t += 2.0 * step;
        }
    }

    /// A polyline.
    pub(crate) fn path(&mut self, points: Vec<(i32, i32)>, color: Rgba, width: u32) {
        if points.len() >= 2 {
            self.items.push(Item::Path {
                points,
                color,
                width,
            });
        }
    }

    /// A filled circle, optionally outlined.
    pub(crate) fn circle(
        &mut self,
        x: i32,
        y: i32,
        r: i32,
        fill: Rgba,
        stroke: Option<(Rgba, u32)>,
    ) {
        self.items.push(Item::Circle {
            x,
            y,
            r,
            fill,
            stroke,
        });
    }

    /// Horizontal text whose visual middle (of lowercase and capitals) sits at `y`.
    pub(crate) fn text(
        &mut self,
        text: &str,
        x: i32,
        y: i32,
        font: Font,
        color: Rgba,
        align: Align,
    ) {
        if text.is_empty() {
            return;
        }
        self.items.push(Item::Text {
            text: text.to_string(),
            x,
            y,
            font,
            color,
            align,
            vertical: false,
        });
    }

    /// Text reading bottom to top, its visual middle on the vertical line `x`, aligned along `y`
    /// (`Left` starts at `y` and runs upwards).
    pub(crate) fn vtext(
        &mut self,
        text: &str,
        x: i32,
        y: i32,
        font: Font,
        color: Rgba,
        align: Align,
    ) {
        if text.is_empty() {
            return;
        }
        self.items.push(Item::Text {
            text: text.to_string(),
            x,
            y,
            font,
            color,
            align,
            vertical: true,
        });
    }

    /// Renders the scene as an SVG document.
    pub(crate) fn to_svg(&self) -> Result<String> {
        let size = self.size()?;
        ensure_fonts();
        let mut buf = String::new();
        {
            let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
            self.render(&root, false)?;
            root.present()
                .map_err(|e| Error::Internal(format!("drawing SVG: {e}")))?;
        }
        // Tell viewers without DejaVu Sans which similar fonts to use instead.
        Ok(buf.replace(
            &format!("font-family=\"{FAMILY}\""),
            &format!("font-family=\"{SVG_FAMILY}\""),
        ))
    }

    /// Renders the scene as a PNG file at `path`.
    pub(crate) fn to_png(&self, path: &Path) -> Result<()> {
        let size = self.size()?;
        ensure_fonts();
        let root = BitMapBackend::new(path, size).into_drawing_area();
        self.render(&root, true)?;
        // plotters reports a failed write only as a message, so the path is added here.
        root.present()
            .map_err(|e| Error::Internal(format!("writing {}: {e}", path.display())))
    }

    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        bitmap: bool,
    ) -> Result<()> {
        let err =
            |e: DrawingAreaErrorKind<DB::ErrorType>| Error::Internal(format!("drawing chart: {e}"));
        root.fill(&color(WHITE)).map_err(err)?;
        for item in &self.items {
            match item {
                Item::Rect {
                    x0,
                    y0,
                    x1,
                    y1,
                    fill,
                    stroke,
                } => {
                    if let Some(f) = fill {
                        let style = ShapeStyle {
                            color: color(*f),
                            filled: true,
                            stroke_width: 0,
                        };
                        root.draw(&Rectangle::new([(*x0, *y0), (*x1, *y1)], style))
                            .map_err(err)?;
                    }
                    if let Some((c, w)) = stroke {
                        let style = ShapeStyle {
                            color: color(*c),
                            filled: false,
                            stroke_width: *w,
                        };
                        root.draw(&Rectangle::new([(*x0, *y0), (*x1, *y1)], style))
                            .map_err(err)?;
                    }
                }
                Item::Path {
                    points,
                    color: c,
                    width,
                } => {
                    let style = ShapeStyle {
                        color: color(*c),
                        filled: false,
                        stroke_width: *width,
                    };
                    root.draw(&PathElement::new(points.clone(), style))
                        .map_err(err)?;
                }
                Item::Circle {
                    x,
                    y,
                    r,
                    fill,
                    stroke,
                } => {
                    let style = ShapeStyle {
                        color: color(*fill),
                        filled: true,
                        stroke_width: 0,
                    };
                    root.draw(&Circle::new((*x, *y), *r, style)).map_err(err)?;
                    if let Some((c, w)) = stroke {
                        let style = ShapeStyle {
                            color: color(*c),
                            filled: false,
                            stroke_width: *w,
                        };
                        root.draw(&Circle::new((*x, *y), *r, style)).map_err(err)?;
                    }
                }
                Item::Text {
                    text,
                    x,
                    y,
                    font,
                    color: c,
                    align,
                    vertical,
                } => {
                    let h = match align {
                        Align::Left => HPos::Left,
                        Align::Center => HPos::Center,
                        Align::Right => HPos::Right,
                    };
                    // The two backends place the baseline differently: the bitmap one puts it at
                    // half the font size below the box top, SVG at half an x-height below the
                    // anchor. Both offsets below put the visual middle of the text on the anchor.
                    let (v, shift) = if bitmap {
                        (VPos::Top, -(font.size * 0.2).round() as i32)
                    } else {
                        (VPos::Center, (font.size * 0.06).round() as i32)
                    };
                    let c = color(*c);
                    // plotters writes SVG font sizes as size / 1.24 while ab_glyph scales the
                    // font's full height (ascender − descender) to `size`; scaling by the ratio
                    // makes browsers draw DejaVu Sans exactly as wide as it was measured.
                    let desc = if bitmap {
                        font.desc()
                    } else {
                        font.desc().resize(font.size * SVG_SIZE_RATIO)
                    };
                    let mut style = desc.color(&c).pos(Pos::new(h, v));
                    let pos = if *vertical {
                        style = style.transform(FontTransform::Rotate270);
                        (*x + shift, *y)
                    } else {
                        (*x, *y + shift)
                    };
                    root.draw(&Text::new(text.as_str(), pos, style))
                        .map_err(err)?;
                }
            }
        }
        Ok(())
    }
}

fn color(c: Rgba) -> RGBAColor {
    RGBAColor(c.0, c.1, c.2, c.3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_text_that_fits_and_shortens_text_that_does_not() {
        let f = Font::regular(15.0);
        assert_eq!(f.fit("nasa", 200), "nasa");
        let long = "cryptography and the public key infrastructure debate";
        let out = f.fit(long, 150);
        assert!(out.ends_with('…') && f.width(&out) <= 150, "{out}");
        assert!(long.starts_with(out.trim_end_matches('…')));
    }

    #[test]
    fn fit_puts_labels_on_one_line() {
        assert_eq!(
            Font::regular(15.0).fit("  two\n lines\t here ", 500),
            "two lines here"
        );
    }

    #[test]
    fn fit_shortens_a_huge_label_and_marks_the_cut() {
        let f = Font::regular(15.0);
        // 16 MB of words, then the same with long runs of whitespace between them: both are cut
        // with an ellipsis (never shown whole, never cut silently).
        for sep in [" ", " \n\n\t          \n "] {
            let huge = ["honey"; 1 << 21].join(sep);
            let start = std::time::Instant::now();
            let out = f.fit(&huge, 200);
            assert!(
                start.elapsed().as_secs() < 5,
                "fit took {:?}",
                start.elapsed()
            );
            assert!(out.ends_with('…') && f.width(&out) <= 200, "{out}");
            assert!(out.starts_with("honey honey"), "{out}");
        }
    }

    #[test]
    fn scene_new_refuses_canvases_over_the_cap_or_without_area() {
        assert!(Scene::new(8192, 8192).is_ok());
        // Over the cap, including sides whose product overflows i32 and u32.
        for (w, h) in [
            (8192, 8193),
            (1 << 14, 1 << 14),
            (i32::MAX, i32::MAX),
            (70_000, 70_000),
        ] {
            let err = Scene::new(w, h).unwrap_err();
            assert_eq!(
                err,
                BadCanvas {
                    w: i64::from(w),
                    h: i64::from(h)
                }
            );
            assert!(err.to_string().contains("over the cap"), "{err}");
        }
        for (w, h) in [(0, 10), (10, 0), (-5, 10), (10, i32::MIN)] {
            assert!(
                Scene::new(w, h)
                    .unwrap_err()
                    .to_string()
                    .contains("no area")
            );
        }
    }

    #[test]
    fn rendering_refuses_a_scene_over_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.png");
        for (w, h) in [(1 << 14, 1 << 14), (0, 100), (100, -1)] {
            let scene = Scene {
                w,
                h,
                items: Vec::new(),
            };
            assert!(scene.to_svg().is_err());
            let err = scene.to_png(&path).unwrap_err();
            assert!(err.to_string().contains("refusing to render"), "{err}");
            assert!(!path.exists());
        }
    }

    #[test]
    fn bold_text_is_wider_than_regular() {
        ensure_fonts();
        assert!(Font::bold(15.0).width("theme map") > Font::regular(15.0).width("theme map"));
        assert!(Font::regular(15.0).width("theme map") > 40);
    }
}
