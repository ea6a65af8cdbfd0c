//! A small server-rendered SVG chart of a home's beds over recent weeks:
//! stacked bars, each part with its own fill pattern as well as colour, so it
//! reads without colour. The same numbers are always in a table beside it.

use std::fmt::Write;

/// One week's bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Short label under the bar, e.g. "23 Nov".
    pub label: String,
    /// `None` when no return was filed that week.
    pub parts: Option<[i32; 4]>,
}

/// Parts of a bar, bottom to top: our children, other councils' children,
/// not admittable, admittable vacancies.
pub const PARTS: [(&str, &str, &str); 4] = [
    ("Our children", "#1d70b8", "solid"),
    ("Other councils' children", "#5694ca", "stripes"),
    ("Not admittable", "#b1b4b6", "dots"),
    ("Admittable vacancies", "#00703c", "cross"),
];

/// Text for SVG markup (the charts write their markup by hand).
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG markup. Only numbers and escaped labels go into it.
pub fn stacked_bars(title: &str, bars: &[Bar]) -> String {
    let (width, height, left, bottom, top) = (640.0, 220.0, 36.0, 40.0, 10.0);
    let max = bars
        .iter()
        .filter_map(|b| b.parts)
        .map(|p| p.iter().sum::<i32>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot_h = height - bottom - top;
    let slot = (width - left - 10.0) / bars.len().max(1) as f64;
    let bar_w = (slot * 0.6).min(36.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="app-chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{}</title><desc id="chart-desc">Stacked bars per week: our children, other councils' children, not admittable and admittable vacancies. The table below has the same figures.</desc>"#,
        escape(title)
    );
    svg.push_str(r##"<defs><pattern id="stripes" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#5694ca"/><line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern><pattern id="dots" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#b1b4b6"/><circle cx="3" cy="3" r="1.3" fill="#0b0c0c"/></pattern><pattern id="cross" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="#00703c"/><path d="M0 0L8 8M8 0L0 8" stroke="#ffffff" stroke-width="1"/></pattern></defs>"##);
    // Axis with a few whole-number ticks.
    let step = ((max / 4.0).ceil()).max(1.0);
    let mut tick = 0.0;
    while tick <= max {
        let y = top + plot_h - tick / max * plot_h;
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#f3f2f1"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#505a5f">{tick}</text>"##,
            width - 10.0,
            left - 6.0,
            y + 4.0
        );
        tick += step;
    }
    for (i, bar) in bars.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle" fill="#505a5f">{}</text>"##,
            x + bar_w / 2.0,
            height - bottom + 16.0,
            escape(&bar.label)
        );
        match bar.parts {
            None => {
                let _ = write!(
                    svg,
                    r##"<text x="{:.1}" y="{}" font-size="10" text-anchor="middle" fill="#d4351c">none</text>"##,
                    x + bar_w / 2.0,
                    height - bottom - 4.0
                );
            }
            Some(parts) => {
                let mut y = top + plot_h;
                for (value, (label, colour, pattern)) in parts.iter().zip(PARTS) {
                    if *value <= 0 {
                        continue;
                    }
                    let h = f64::from(*value) / max * plot_h;
                    y -= h;
                    let fill = if pattern == "solid" {
                        colour.to_string()
                    } else {
                        format!("url(#{pattern})")
                    };
                    let _ = write!(
                        svg,
                        r##"<rect x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}" fill="{fill}" stroke="#ffffff" stroke-width="1"><title>{}: {value}</title></rect>"##,
                        escape(label)
                    );
                }
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_have_a_title_and_escape_labels() {
        let svg = stacked_bars(
            "Beds at <Oak>",
            &[
                Bar {
                    label: "1 Dec".into(),
                    parts: Some([2, 1, 0, 1]),
                },
                Bar {
                    label: "8 Dec".into(),
                    parts: None,
                },
            ],
        );
        assert!(svg.contains("<title id=\"chart-title\">Beds at &lt;Oak&gt;</title>"));
        assert_eq!(
            svg.matches("<rect x=").count(),
            3,
            "zero parts are not drawn"
        );
        assert!(svg.contains("none"), "a week without a return says so");
    }
}
