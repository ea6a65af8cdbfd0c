//! The dashboard's second chart: shares week by week (other councils' share
//! of local places, homes rated Good or better, return completion) as lines
//! from 0 to 100%. Each line has its own dash pattern and marker shape and is
//! named in a key inside the picture, so it reads without colour; the table
//! beside it has the same numbers.

use std::fmt::Write;

use crate::returns::chart::escape;

/// One line: its name and a value (0 to 1) per week, `None` where there is
/// nothing to divide (no homes, no places).
pub struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<Option<f64>>,
}

/// Dash pattern, colour and marker of each line, in order.
const STYLES: [(&str, &str, Marker); 3] = [
    ("", "#1d70b8", Marker::Circle),
    ("8 4", "#00703c", Marker::Square),
    ("2 3", "#0b0c0c", Marker::Triangle),
];

#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Square,
    Triangle,
}

impl Marker {
    fn draw(self, svg: &mut String, x: f64, y: f64, colour: &str, title: &str) {
        let _ = match self {
            Marker::Circle => write!(
                svg,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{colour}">{title}</circle>"#
            ),
            Marker::Square => write!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="7" height="7" fill="{colour}">{title}</rect>"#,
                x - 3.5,
                y - 3.5
            ),
            Marker::Triangle => write!(
                svg,
                r#"<path d="M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z" fill="{colour}">{title}</path>"#,
                y - 4.5,
                x + 4.5,
                y + 3.5,
                x - 4.5,
                y + 3.5
            ),
        };
    }
}

/// The SVG markup (ids prefixed `shares-`, so it can share a page with the
/// bar chart). Only numbers and escaped text go into it.
pub fn share_lines(title: &str, labels: &[String], series: &[Series]) -> String {
    let (width, height, left, right, top, bottom) = (640.0, 240.0, 44.0, 10.0, 10.0, 70.0);
    let plot_h = height - top - bottom;
    let slot = (width - left - right) / labels.len().max(1) as f64;
    let x_of = |i: usize| left + slot * (i as f64 + 0.5);
    let y_of = |share: f64| top + plot_h - share.clamp(0.0, 1.0) * plot_h;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="app-chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-labelledby="shares-title shares-desc" xmlns="http://www.w3.org/2000/svg"><title id="shares-title">{}</title><desc id="shares-desc">Lines per week from 0 to 100%, each with its own dash pattern and marker: {}. The table below has the same figures.</desc>"#,
        escape(title),
        escape(&series.iter().map(|s| s.name).collect::<Vec<_>>().join("; "))
    );
    for tick in [0, 25, 50, 75, 100] {
        let y = y_of(f64::from(tick) / 100.0);
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#f3f2f1"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#505a5f">{tick}%</text>"##,
            width - right,
            left - 6.0,
            y + 4.0
        );
    }
    // Label every week when there are few, else about a dozen.
    let every = labels.len().div_ceil(12).max(1);
    for (i, label) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle" fill="#505a5f">{}</text>"##,
            x_of(i),
            top + plot_h + 16.0,
            escape(label)
        );
    }
    for (s, (dash, colour, marker)) in series.iter().zip(STYLES) {
        // A gap (None) ends one stretch of line and the next value starts another.
        let mut path = String::new();
        let mut pen_down = false;
        for (i, value) in s.values.iter().enumerate() {
            match value {
                Some(v) => {
                    let _ = write!(
                        path,
                        "{}{:.1} {:.1}",
                        if pen_down { "L" } else { "M" },
                        x_of(i),
                        y_of(*v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(
                svg,
                r#"<path d="{path}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>"#
            );
        }
        for (i, value) in s.values.iter().enumerate() {
            if let Some(v) = value {
                let title = format!(
                    "<title>{}, {}: {:.0}%</title>",
                    escape(s.name),
                    escape(labels.get(i).map(String::as_str).unwrap_or("")),
                    v * 100.0
                );
                marker.draw(&mut svg, x_of(i), y_of(*v), colour, &title);
            }
        }
    }
    // The key, inside the picture: a sample of each line with its marker.
    for (k, (s, (dash, colour, marker))) in series.iter().zip(STYLES).enumerate() {
        let y = top + plot_h + 34.0 + 14.0 * (k / 2) as f64;
        let x = left + 300.0 * (k % 2) as f64;
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>"##,
            x + 28.0
        );
        marker.draw(&mut svg, x + 14.0, y, colour, "");
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#0b0c0c">{}</text>"##,
            x + 34.0,
            y + 4.0,
            escape(s.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("W{i}")).collect()
    }

    #[test]
    fn each_line_has_its_own_dash_and_marker_and_a_key() {
        let svg = share_lines(
            "Shares in <BCP>",
            &labels(3),
            &[
                Series {
                    name: "Good or better",
                    values: vec![Some(0.5), Some(1.0), Some(0.0)],
                },
                Series {
                    name: "Completion",
                    values: vec![Some(0.25), None, Some(0.75)],
                },
            ],
        );
        assert!(svg.contains("<title id=\"shares-title\">Shares in &lt;BCP&gt;</title>"));
        assert!(svg.contains("<title>Good or better, W2: 100%</title>"));
        assert!(svg.contains("stroke-dasharray=\"8 4\""));
        // Three circles on the first line plus its key; two squares plus the key.
        assert_eq!(svg.matches("<circle").count(), 4);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains(">Completion</text>"), "named in the key");
    }

    #[test]
    fn a_gap_breaks_the_line_instead_of_drawing_zero() {
        let svg = share_lines(
            "t",
            &labels(3),
            &[Series {
                name: "Completion",
                values: vec![Some(0.5), None, Some(0.5)],
            }],
        );
        let path = svg
            .split("<path d=\"")
            .nth(1)
            .and_then(|p| p.split('"').next())
            .unwrap_or_default();
        assert_eq!(path.matches('M').count(), 2, "{path}");
        assert!(!path.contains('L'), "{path}");
    }
}
