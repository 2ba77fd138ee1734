//! The charts a report draws, as data ([`Chart`]), and their drawing with `plotters` into SVG
//! text and PNG bytes: bars (stacked or side by side) over named categories, and lines over
//! a numeric axis (optionally logarithmic) with error bars and dashed model curves. Knows
//! nothing of gossipsim's files; draws what it is given, the same bytes every time.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Width and height of every figure, in pixels.
pub const SIZE: (u32, u32) = (960, 540);

/// Tableau's ten colours: distinct, and readable on white.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// One series of a bar chart: a value per category.
#[derive(Debug, Clone)]
pub struct Bars {
    pub name: String,
    pub values: Vec<f64>,
}

/// One line: points, optional (low, high) error bars per point, drawn dashed without
/// markers when it is a model's curve.
#[derive(Debug, Clone)]
pub struct Line {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub errors: Option<Vec<(f64, f64)>>,
    pub model: bool,
    /// The colour's index (a model curve takes its simulated line's).
    pub colour: usize,
}

/// What to draw.
#[derive(Debug, Clone)]
pub enum Plot {
    Bars {
        categories: Vec<String>,
        series: Vec<Bars>,
        stacked: bool,
    },
    Lines {
        x_label: String,
        log_x: bool,
        /// Steps (a CDF of samples) instead of straight segments.
        steps: bool,
        /// A dot at each point (not for dense curves).
        markers: bool,
        lines: Vec<Line>,
    },
}

/// A figure: file stem, title, y axis label and the plot.
#[derive(Debug, Clone)]
pub struct Chart {
    pub name: String,
    pub title: String,
    pub y_label: String,
    /// The y axis's top, where it is known (1 for shares); else from the data.
    pub y_top: Option<f64>,
    pub plot: Plot,
}

/// Registers the font text is measured and drawn with (SVG text names the family only).
fn fonts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| ())
            .expect("DejaVu Sans is a valid font");
    });
}

impl Chart {
    /// The figure as SVG text.
    pub fn svg(&self) -> Result<String, String> {
        // Laying out SVG text measures it with the font too.
        fonts();
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(|e| e.to_string())?;
        }
        Ok(text)
    }

    /// The figure as a PNG file's bytes.
    pub fn png(&self) -> Result<Vec<u8>, String> {
        fonts();
        let (w, h) = SIZE;
        let mut rgb = vec![0u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(|e| e.to_string())?;
        }
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(png::Compression::Best);
            let mut writer = enc.write_header().map_err(|e| e.to_string())?;
            writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
        }
        Ok(out)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        match &self.plot {
            Plot::Bars {
                categories,
                series,
                stacked,
            } => self.bars(root, categories, series, *stacked),
            Plot::Lines {
                x_label,
                log_x,
                steps,
                markers,
                lines,
            } => self.lines(root, x_label, *log_x, (*steps, *markers), lines),
        }
        .map_err(|e| format!("drawing {}: {e}", self.name))
    }

    fn bars<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        categories: &[String],
        series: &[Bars],
        stacked: bool,
    ) -> Result<(), String> {
        let n = categories.len().max(1);
        let y_max = self
            .y_top
            .unwrap_or_else(|| nice_max(bars_top(categories.len(), series, stacked)));
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(12)
            .margin_right(LEGEND + 12)
            .x_label_area_size(60)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..n as f64, 0f64..y_max)
            .map_err(e)?;
        let labels: Vec<String> = categories.to_vec();
        chart
            .configure_mesh()
            .max_light_lines(1)
            .disable_x_mesh()
            .x_labels(n.saturating_mul(2) + 1)
            .x_label_formatter(&|x| {
                let i = x.floor();
                if (x - i - 0.5).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc(&self.y_label)
            .y_label_formatter(&|y| tick(*y, y_max))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 15))
            .draw()
            .map_err(e)?;
        for si in 0..series.len() {
            let rects = bar_rects(categories.len(), series, si, stacked);
            chart.draw_series(rects).map_err(e)?;
        }
        // Stacked bars read bottom to top; so does their legend.
        let mut keys: Vec<(&str, usize, bool)> = series
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), i, false))
            .collect();
        if stacked {
            keys.reverse();
        }
        legend(root, &keys)
    }

    fn lines<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x_label: &str,
        log_x: bool,
        (steps, markers): (bool, bool),
        lines: &[Line],
    ) -> Result<(), String> {
        let tx = |x: f64| if log_x { x.max(1e-12).log10() } else { x };
        let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| tx(p.0)));
        let (x_lo, x_hi) = bounds(xs);
        let ys = lines.iter().flat_map(|l| {
            l.points.iter().map(|p| p.1).chain(
                l.errors
                    .iter()
                    .flat_map(|e| e.iter().flat_map(|&(a, b)| [a, b])),
            )
        });
        let (_, y_hi) = bounds(ys);
        let y_max = self.y_top.unwrap_or_else(|| nice_max(y_hi));
        let pad = ((x_hi - x_lo) * 0.04).max(if log_x { 0.05 } else { 1e-9 });
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(12)
            .margin_right(LEGEND + 12)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d((x_lo - pad)..(x_hi + pad), 0f64..y_max)
            .map_err(e)?;
        // On a log axis, label 1, 2 and 5 × a power of ten only.
        let fmt = |x: &f64| {
            if !log_x {
                return short(*x);
            }
            let v = 10f64.powf(*x);
            let p = 10f64.powf(x.floor());
            [1.0, 2.0, 5.0, 10.0]
                .iter()
                .find(|m| (v / (*m * p) - 1.0).abs() < 0.03)
                .map_or_else(String::new, |m| short(m * p))
        };
        chart
            .configure_mesh()
            .max_light_lines(1)
            .x_labels(if log_x { 60 } else { 10 })
            .x_desc(x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&fmt)
            .y_label_formatter(&|y| tick(*y, y_max))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 15))
            .draw()
            .map_err(e)?;
        for l in lines {
            draw_line(&mut chart, l, tx, (steps, markers), pad)?;
        }
        let keys: Vec<(&str, usize, bool)> = lines
            .iter()
            .map(|l| (l.name.as_str(), l.colour, l.model))
            .collect();
        legend(root, &keys)
    }
}

/// The top of the highest bar (stacked: of the highest stack).
fn bars_top(categories: usize, series: &[Bars], stacked: bool) -> f64 {
    (0..categories)
        .map(|c| {
            let vals = series
                .iter()
                .map(|s| s.values.get(c).copied().unwrap_or(0.0));
            if stacked {
                vals.sum::<f64>()
            } else {
                vals.fold(0.0, f64::max)
            }
        })
        .fold(0.0, f64::max)
}

/// Series `si`'s bars, one per category: on top of the series before it (stacked), or
/// beside them.
fn bar_rects(
    categories: usize,
    series: &[Bars],
    si: usize,
    stacked: bool,
) -> Vec<Rectangle<(f64, f64)>> {
    let (c, k) = (colour(si), series.len().max(1) as f64);
    (0..categories)
        .map(|ci| {
            let v = series[si].values.get(ci).copied().unwrap_or(0.0);
            let x = ci as f64;
            if stacked {
                let below: f64 = series[..si]
                    .iter()
                    .map(|b| b.values.get(ci).copied().unwrap_or(0.0))
                    .sum();
                Rectangle::new([(x + 0.15, below), (x + 0.85, below + v)], c.filled())
            } else {
                let w = 0.7 / k;
                let x0 = x + 0.15 + w * si as f64;
                Rectangle::new([(x0, 0.0), (x0 + w, v)], c.filled())
            }
        })
        .collect()
}

/// The cartesian chart the line charts draw on.
type Xy<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws `l` on `chart`, x through `tx`: as steps or straight segments, dashed for a
/// model, with markers, and with its error bars (`pad` wide, scaled).
fn draw_line<DB: DrawingBackend>(
    chart: &mut Xy<'_, DB>,
    l: &Line,
    tx: impl Fn(f64) -> f64,
    (steps, markers): (bool, bool),
    pad: f64,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let c = colour(l.colour);
    let mut pts: Vec<(f64, f64)> = l.points.iter().map(|&(x, y)| (tx(x), y)).collect();
    if steps {
        pts = pts
            .iter()
            .enumerate()
            .flat_map(|(i, &(x, y))| {
                let prev = if i == 0 { 0.0 } else { pts[i - 1].1 };
                [(x, prev), (x, y)]
            })
            .collect();
    }
    let style = if l.model {
        ShapeStyle::from(&c).stroke_width(2)
    } else {
        ShapeStyle::from(&c).stroke_width(3)
    };
    if l.model {
        chart.draw_series(dashed(&pts, style)).map_err(e)?;
    } else {
        chart
            .draw_series(std::iter::once(PathElement::new(pts, style)))
            .map_err(e)?;
    }
    if !l.model && markers {
        chart
            .draw_series(
                l.points
                    .iter()
                    .map(|&(x, y)| Circle::new((tx(x), y), 4, c.filled())),
            )
            .map_err(e)?;
    }
    if let Some(errs) = &l.errors {
        let w = pad * 0.3;
        let bars = l.points.iter().zip(errs).flat_map(|(&(x, _), &(lo, hi))| {
            let x = tx(x);
            [
                PathElement::new(vec![(x, lo), (x, hi)], c.stroke_width(2)),
                PathElement::new(vec![(x - w, lo), (x + w, lo)], c.stroke_width(2)),
                PathElement::new(vec![(x - w, hi), (x + w, hi)], c.stroke_width(2)),
            ]
        });
        chart.draw_series(bars).map_err(e)?;
    }
    Ok(())
}

/// Pixels at the right of every figure for its legend.
const LEGEND: u32 = 250;

/// The legend in the right margin: a swatch (a box, or a line, dashed for a model) and the
/// name of each series, top down.
fn legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    keys: &[(&str, usize, bool)],
) -> Result<(), String> {
    let x = (SIZE.0 - LEGEND) as i32;
    let font = ("sans-serif", 13).into_font().color(&BLACK);
    for (i, &(name, ci, model)) in keys.iter().enumerate().take(24) {
        let y = 60 + 20 * i as i32;
        let c = colour(ci);
        let r = if model {
            root.draw(&PathElement::new(
                vec![(x, y), (x + 6, y)],
                c.stroke_width(2),
            ))
            .and_then(|()| {
                root.draw(&PathElement::new(
                    vec![(x + 10, y), (x + 16, y)],
                    c.stroke_width(2),
                ))
            })
        } else {
            root.draw(&Rectangle::new([(x, y - 6), (x + 16, y + 6)], c.filled()))
        };
        r.map_err(|e| e.to_string())?;
        let shown: String = name.chars().take(32).collect();
        root.draw(&Text::new(shown, (x + 22, y - 8), font.clone()))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A y tick label, with the decimals the axis's size calls for.
fn tick(y: f64, top: f64) -> String {
    if top >= 1e4 {
        short(y)
    } else if top > 20.0 {
        format!("{y:.0}")
    } else if top > 2.0 {
        format!("{y:.1}")
    } else {
        format!("{y:.2}")
    }
}

/// A dashed path: every other piece of `pts` cut into segments of ~1/80 of the x span.
fn dashed(pts: &[(f64, f64)], style: ShapeStyle) -> Vec<PathElement<(f64, f64)>> {
    let (lo, hi) = bounds(pts.iter().map(|p| p.0));
    let dash = ((hi - lo) / 80.0).max(1e-12);
    let mut out = Vec::new();
    for w in pts.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let len = (x1 - x0).abs().max(1e-12);
        let pieces = ((len / dash).ceil() as usize).clamp(1, 400);
        for i in (0..pieces).step_by(2) {
            let a = i as f64 / pieces as f64;
            let b = ((i + 1) as f64 / pieces as f64).min(1.0);
            out.push(PathElement::new(
                vec![
                    (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a),
                    (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b),
                ],
                style,
            ));
        }
    }
    out
}

/// (min, max) of finite values; (0, 1) when there are none, widened when they are equal.
fn bounds(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = xs
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    if lo > hi {
        (0.0, 1.0)
    } else if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    }
}

/// An axis top a little above `x`, at 1, 2 or 5 × a power of ten.
fn nice_max(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let x = x * 1.05;
    let p = 10f64.powf(x.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&v| v >= x)
        .unwrap_or(10.0 * p)
}

/// A tick label: at most 4 significant digits, k/M for thousands and millions.
fn short(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let s = if x.abs() >= 100.0 || x == x.round() {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    format!("{s}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_and_labels_are_round() {
        assert_eq!(nice_max(93.0), 100.0);
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(181_535.0), 200_000.0);
        assert_eq!(short(181_535.0), "182k");
        assert_eq!(short(2.5), "2.50");
        assert_eq!(short(3.0), "3");
        assert_eq!(short(1_500_000.0), "1.50M");
    }
}
