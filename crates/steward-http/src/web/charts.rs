//! Server-rendered SVG charts: grouped bars and lines over labelled periods. No JavaScript,
//! so the charts print, work without scripts and need no front-end build.
//!
//! Hand-rolled rather than a plotting crate: the two chart shapes the reports need are a few
//! dozen lines each, and the plotting crates pull font rasterizers into a server binary.

use std::fmt::Write;

const W: f64 = 720.0;
const H: f64 = 240.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 36.0;
const TOP: f64 = 28.0;
/// Series colours (colour-blind safe: Okabe–Ito).
const COLOURS: [&str; 4] = ["#0072b2", "#e69f00", "#009e73", "#cc79a7"];

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A round axis maximum at or above `max`.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        // Nothing above zero: whole ticks 0–4 rather than quarters of one.
        return 4.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|v| *v >= max).unwrap_or(max)
}

/// What a chart's numbers mean, in the reader's language.
pub struct Axis<'a> {
    /// After a value on hover ("h", "%").
    pub unit: &'a str,
    /// Above the value axis ("Hours", "Incidents").
    pub caption: &'a str,
    /// Shown instead of marks when no period has a value.
    pub empty: &'a str,
}

/// One named series of values, one per label (`None`: no data for that period).
pub struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<Option<f64>>,
}

fn frame(
    out: &mut String,
    id: &str,
    title: &str,
    labels: &[String],
    max: f64,
    axis: &Axis,
    series: &[Series],
) -> f64 {
    let _ = write!(
        out,
        r#"<svg id="{id}" class="chart" role="img" aria-label="{t}" viewBox="0 0 {W} {H}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = escape(title)
    );
    let _ = write!(out, r##"<text x="4" y="14" font-size="12" fill="#555">{}</text>"##, escape(axis.caption));
    if series.iter().all(|s| s.values.iter().all(Option::is_none)) {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" font-size="14" text-anchor="middle" fill="#555">{}</text>"##,
            LEFT + (W - LEFT) / 2.0,
            TOP + (H - TOP - BOTTOM) / 2.0,
            escape(axis.empty)
        );
    }
    let plot_h = H - TOP - BOTTOM;
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let y = TOP + plot_h - plot_h * f64::from(i) / 4.0;
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{W}" y2="{y:.1}" stroke="#ddd"/><text x="{x:.1}" y="{ty:.1}" font-size="11" text-anchor="end" fill="#555">{v}</text>"##,
            x = LEFT - 6.0,
            ty = y + 4.0,
            v = format_tick(v, max / 4.0),
        );
    }
    let step = (W - LEFT) / labels.len().max(1) as f64;
    // Thin out labels so they never overlap.
    let every = (labels.len() as f64 * 56.0 / (W - LEFT)).ceil().max(1.0) as usize;
    for (i, l) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = write!(
            out,
            r##"<text x="{x:.1}" y="{y:.1}" font-size="11" text-anchor="middle" fill="#333">{l}</text>"##,
            x = LEFT + step * (i as f64 + 0.5),
            y = H - BOTTOM + 16.0,
            l = escape(l)
        );
    }
    step
}

/// A value shown on hover: whole, or to one decimal.
fn format_value(v: f64) -> String {
    if v.fract().abs() < 1e-9 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// A tick value with as many decimals as the step between ticks needs, so ticks never read
/// alike ("0h, 0.0h, 0.0h" on a chart of small values).
fn format_tick(v: f64, step: f64) -> String {
    let decimals = (0..=4)
        .find(|d| {
            let scaled = step * 10f64.powi(*d);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(4) as usize;
    let text = format!("{v:.decimals$}");
    // Trailing zeros say nothing: 0.5, not 0.50.
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text }
}

fn legend(out: &mut String, series: &[Series]) {
    for (i, s) in series.iter().enumerate() {
        let x = LEFT + 8.0 + 150.0 * i as f64;
        let _ = write!(
            out,
            r##"<rect x="{x:.1}" y="{y}" width="10" height="10" fill="{c}"/><text x="{tx:.1}" y="{ty}" font-size="11" fill="#333">{n}</text>"##,
            y = H - 14.0,
            c = COLOURS[i % COLOURS.len()],
            tx = x + 14.0,
            ty = H - 5.0,
            n = escape(s.name)
        );
    }
}

fn max_of(series: &[Series]) -> f64 {
    series.iter().flat_map(|s| s.values.iter().flatten()).copied().fold(0.0, f64::max)
}

/// Grouped bars, one group per label.
pub fn bars(id: &str, title: &str, labels: &[String], series: &[Series], axis: &Axis) -> String {
    let mut out = String::new();
    let max = nice_max(max_of(series));
    let step = frame(&mut out, id, title, labels, max, axis, series);
    let plot_h = H - TOP - BOTTOM;
    let width = (step * 0.8) / series.len().max(1) as f64;
    for (si, s) in series.iter().enumerate() {
        for (i, v) in s.values.iter().enumerate() {
            let Some(v) = v else { continue };
            let h = plot_h * v / max;
            let x = LEFT + step * i as f64 + step * 0.1 + width * si as f64;
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{c}"><title>{n} · {l}: {v}{u}</title></rect>"#,
                n = escape(s.name),
                u = escape(axis.unit),
                y = TOP + plot_h - h,
                w = (width - 1.0).max(1.0),
                c = COLOURS[si % COLOURS.len()],
                l = escape(&labels[i]),
                v = format_value(*v),
            );
        }
    }
    legend(&mut out, series);
    out.push_str("</svg>");
    out
}

/// Lines with a dot per value; gaps where a period has no data.
pub fn lines(
    id: &str,
    title: &str,
    labels: &[String],
    series: &[Series],
    axis: &Axis,
    max: Option<f64>,
) -> String {
    let mut out = String::new();
    let max = max.unwrap_or_else(|| nice_max(max_of(series)));
    let step = frame(&mut out, id, title, labels, max, axis, series);
    let plot_h = H - TOP - BOTTOM;
    for (si, s) in series.iter().enumerate() {
        let colour = COLOURS[si % COLOURS.len()];
        let points: Vec<Option<(f64, f64)>> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.map(|v| (LEFT + step * (i as f64 + 0.5), TOP + plot_h - plot_h * v.min(max) / max))
            })
            .collect();
        for run in points.split(Option::is_none).filter(|r| r.len() > 1) {
            let path: Vec<String> = run.iter().flatten().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            let _ = write!(
                out,
                r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
                path.join(" ")
            );
        }
        for (i, p) in points.iter().enumerate() {
            if let (Some((x, y)), Some(v)) = (p, s.values[i]) {
                let _ = write!(
                    out,
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="{colour}"><title>{n} · {l}: {v}{u}</title></circle>"#,
                    n = escape(s.name),
                    l = escape(&labels[i]),
                    v = format_value((v * 10.0).round() / 10.0),
                    u = escape(axis.unit),
                );
            }
        }
    }
    legend(&mut out, series);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const AXIS: Axis<'static> = Axis { unit: "h", caption: "Hours", empty: "No data" };

    #[test]
    fn bars_scale_to_a_round_maximum_and_escape_labels() {
        let labels = vec!["<a&b>".to_owned(), "2".to_owned()];
        let svg = bars("c", "T", &labels, &[Series { name: "n", values: vec![Some(40.0), None] }], &AXIS);
        assert!(svg.contains("&lt;a&amp;b&gt;") && !svg.contains("<a&b>"));
        assert_eq!(svg.matches("<rect x=").count(), 2, "one bar and one legend swatch");
        assert!(svg.contains(">50<"), "the axis tops out at 50 for a maximum of 40");
        assert!(svg.contains("<title>n · &lt;a&amp;b&gt;: 40h</title>"), "values on hover: {svg}");
        assert!(svg.contains(">Hours</text>") && !svg.contains("No data"));
    }

    #[test]
    fn a_chart_without_data_says_so() {
        let labels = vec!["a".to_owned()];
        let svg = lines("l", "T", &labels, &[Series { name: "n", values: vec![None] }], &AXIS, None);
        assert!(svg.contains(">No data</text>"));
    }

    /// The MTTR chart's axis read "0h, 0.0h, 0.0h…" when the values were zero or small.
    #[test]
    fn ticks_read_apart_for_zero_and_small_values() {
        let labels = vec!["a".to_owned()];
        for (values, expected) in [
            (vec![Some(0.0)], vec!["0", "1", "2", "3", "4"]),
            (vec![Some(0.01)], vec!["0", "0.0025", "0.005", "0.0075", "0.01"]),
            (vec![Some(0.8)], vec!["0", "0.25", "0.5", "0.75", "1"]),
            (vec![Some(40.0)], vec!["0", "12.5", "25", "37.5", "50"]),
        ] {
            let svg = bars("c", "T", &labels, &[Series { name: "n", values }], &AXIS);
            let ticks: Vec<&str> = svg
                .split("text-anchor=\"end\" fill=\"#555\">")
                .skip(1)
                .map(|t| t.split('<').next().unwrap())
                .collect();
            assert_eq!(ticks, expected);
        }
    }

    #[test]
    fn lines_break_at_missing_values() {
        let labels: Vec<String> = (0..4).map(|i| i.to_string()).collect();
        let values = vec![Some(1.0), Some(2.0), None, Some(3.0)];
        let svg = lines("l", "T", &labels, &[Series { name: "n", values }], &AXIS, None);
        assert_eq!(svg.matches("<polyline").count(), 1, "the lone last point has no line");
        assert_eq!(svg.matches("<circle").count(), 3);
    }
}
