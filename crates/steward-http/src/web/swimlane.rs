//! A workflow drawn as a swimlane diagram (服务流程图), server-side SVG: one lane per role
//! responsible, the steps as boxes in their order, arrows for the moves (forward arrows run
//! straight, moves back curve below), the current step filled. Hand-written like the charts:
//! a few dozen shapes need no drawing library.

use std::fmt::Write;

use steward_core::changes::{Phase, Workflow};

use super::charts::escape;

const LABEL_W: f64 = 150.0;
const COL_W: f64 = 150.0;
const LANE_H: f64 = 78.0;
const BOX_W: f64 = 122.0;
const BOX_H: f64 = 40.0;

/// The diagram; `lane_name` and `step_name` give the reader's words, `current` the step to fill.
pub fn svg(
    id: &str,
    title: &str,
    workflow: &Workflow,
    current: Option<&str>,
    lane_name: impl Fn(steward_core::changes::Lane) -> String,
    step_name: impl Fn(&steward_core::changes::Step) -> String,
) -> String {
    let lanes = workflow.lanes();
    let width = LABEL_W + COL_W * workflow.steps.len() as f64 + 20.0;
    let height = LANE_H * lanes.len() as f64 + 12.0;
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg class="chart swimlane" id="{id}" role="img" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><defs><marker id="{id}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>"##,
        t = escape(title)
    );
    for (i, lane) in lanes.iter().enumerate() {
        let y = LANE_H * i as f64;
        let fill = if i % 2 == 0 { "#f4f6fa" } else { "#ffffff" };
        let _ = write!(
            out,
            r##"<rect x="0" y="{y}" width="{width}" height="{LANE_H}" fill="{fill}" stroke="#d8dde5"/><text x="10" y="{ty}" font-size="13" font-weight="600" fill="#1d2430">{n}</text>"##,
            ty = y + LANE_H / 2.0 + 4.0,
            n = escape(&lane_name(*lane))
        );
    }
    let pos = |key: &str| -> Option<(f64, f64)> {
        let col = workflow.steps.iter().position(|s| s.key == key)?;
        let lane = lanes.iter().position(|l| *l == workflow.steps[col].lane)?;
        Some((LABEL_W + COL_W * col as f64, LANE_H * lane as f64 + (LANE_H - BOX_H) / 2.0))
    };
    for s in &workflow.steps {
        let Some((x1, y1)) = pos(&s.key) else { continue };
        for n in &s.next {
            let Some((x2, y2)) = pos(n) else { continue };
            let d = if x2 > x1 {
                let (sx, sy, ex, ey) = (x1 + BOX_W, y1 + BOX_H / 2.0, x2, y2 + BOX_H / 2.0);
                let mx = (sx + ex) / 2.0;
                format!("M{sx},{sy} C{mx},{sy} {mx},{ey} {ex},{ey}")
            } else {
                let (sx, sy, ex, ey) = (x1 + BOX_W / 2.0, y1 + BOX_H, x2 + BOX_W / 2.0, y2 + BOX_H);
                let low = sy.max(ey) + 16.0;
                format!("M{sx},{sy} C{sx},{low} {ex},{low} {ex},{ey}")
            };
            let _ = write!(
                out,
                r##"<path d="{d}" fill="none" stroke="#555" stroke-width="1.4" marker-end="url(#{id}-arrow)"/>"##
            );
        }
    }
    for s in &workflow.steps {
        let Some((x, y)) = pos(&s.key) else { continue };
        let here = current == Some(s.key.as_str());
        let (fill, ink) = if here { ("#1f5fbf", "#ffffff") } else { ("#ffffff", "#1d2430") };
        let rx = if s.phase == Phase::Done { 18 } else { 5 };
        let name: String = step_name(s);
        let short: String = if name.chars().count() > 16 {
            name.chars().take(15).chain(['…']).collect()
        } else {
            name.clone()
        };
        let _ = write!(
            out,
            r##"<g class="step{c}" data-step="{k}"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="{rx}" fill="{fill}" stroke="#1f5fbf" stroke-width="{sw}"/><text x="{tx}" y="{ty}" font-size="12" text-anchor="middle" fill="{ink}">{n}</text><title>{full}</title></g>"##,
            c = if here { " current" } else { "" },
            k = escape(&s.key),
            sw = if here { 2.5 } else { 1.2 },
            tx = x + BOX_W / 2.0,
            ty = y + BOX_H / 2.0 + 4.0,
            n = escape(&short),
            full = escape(&name),
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use steward_core::changes::{ChangeType, builtin};

    #[test]
    fn one_lane_per_role_one_box_per_step_current_filled() {
        let w = builtin(ChangeType::Normal);
        let svg = super::svg("m", "Normal", &w, Some("cab"), |l| l.as_str().to_owned(), |s| s.name.clone());
        assert_eq!(svg.matches("<g class=\"step").count(), w.steps.len());
        assert_eq!(svg.matches("class=\"step current\"").count(), 1);
        assert!(svg.contains("data-step=\"cab\""));
        let arrows: usize = w.steps.iter().map(|s| s.next.len()).sum();
        assert_eq!(svg.matches("marker-end").count(), arrows);
        assert_eq!(svg.matches("font-weight=\"600\"").count(), w.lanes().len());
    }
}
