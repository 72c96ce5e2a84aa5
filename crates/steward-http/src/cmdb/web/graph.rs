//! The impact neighbourhood drawn as SVG, laid out on the server: one column per step from the
//! start CI, CIs stacked in each column, an edge from each CI to the one that reached it.

use std::collections::HashMap;
use std::fmt::Write;

use steward_app::cmdb::CiImpact;
use steward_core::ids::CiId;

const COL: f64 = 190.0;
const ROW: f64 = 46.0;
const BOX_W: f64 = 160.0;
const BOX_H: f64 = 32.0;
/// Columns taller than this are cut, with a "+N more" note.
const MAX_ROWS: usize = 40;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn colour(class: &str) -> &'static str {
    match class {
        "business_service" => "#fde2b3",
        "application" | "database" | "container" => "#cfe3f6",
        "server" | "virtual_machine" | "storage" => "#d7efd9",
        "network_device" | "load_balancer" => "#ead7f2",
        _ => "#eeeeee",
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 22 {
        format!("{}…", s.chars().take(21).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// The SVG of an impact result; each CI box links to its page.
pub fn impact_svg(i: &CiImpact, t: &crate::i18n::Catalog) -> String {
    let code = |kind: &str, c: &str| t.lookup(&format!("{kind}.{c}")).unwrap_or(c).to_owned();
    let mut columns: Vec<Vec<(CiId, &str, &str)>> =
        vec![vec![(i.start.id, i.start.name.as_str(), i.start.class.as_str())]];
    for h in &i.hits {
        let d = h.hit.depth as usize;
        if columns.len() <= d {
            columns.resize(d + 1, Vec::new());
        }
        columns[d].push((h.ci.id, h.ci.name.as_str(), h.ci.class.as_str()));
    }
    let mut pos: HashMap<CiId, (f64, f64)> = HashMap::new();
    let rows = columns.iter().map(|c| c.len().min(MAX_ROWS + 1)).max().unwrap_or(1);
    let (w, h) = (COL * columns.len() as f64 + 20.0, ROW * rows as f64 + 20.0);
    let mut boxes = String::new();
    for (ci, column) in columns.iter().enumerate() {
        for (r, (id, name, class)) in column.iter().enumerate() {
            let (x, y) = (10.0 + COL * ci as f64, 10.0 + ROW * r as f64);
            if r == MAX_ROWS {
                let _ = write!(
                    boxes,
                    r##"<text x="{x:.0}" y="{:.0}" font-size="12" fill="#555">{}</text>"##,
                    y + 20.0,
                    escape(&t.get("cmdb.more").replace("{n}", &(column.len() - MAX_ROWS).to_string()))
                );
                break;
            }
            pos.insert(*id, (x, y));
            let _ = write!(
                boxes,
                r##"<a href="/cmdb/{id}"><rect class="ci-node" data-ci="{id}" x="{x:.0}" y="{y:.0}" width="{BOX_W}" height="{BOX_H}" rx="4" fill="{fill}" stroke="#888"/><text x="{tx:.0}" y="{ty:.0}" font-size="12" fill="#222">{name}</text><text x="{tx:.0}" y="{cy:.0}" font-size="9" fill="#555">{class}</text></a>"##,
                fill = colour(class),
                tx = x + 6.0,
                ty = y + 14.0,
                cy = y + 27.0,
                name = escape(&short(name)),
                class = escape(&code("ci_class", class)),
            );
        }
    }
    let mut lines = String::new();
    for (from, to, kind) in &i.edges {
        if let (Some((fx, fy)), Some((tx, ty))) = (pos.get(from), pos.get(to)) {
            let (a, b) = if fx <= tx { ((fx, fy), (tx, ty)) } else { ((tx, ty), (fx, fy)) };
            let label = escape(&code("ci_rel", kind));
            let (x1, y1, x2, y2) = (a.0 + BOX_W, a.1 + BOX_H / 2.0, *b.0, b.1 + BOX_H / 2.0);
            // Each edge says what it is, at its middle (and on hover).
            let _ = write!(
                lines,
                r##"<g class="edge"><title>{label}</title><line x1="{x1:.0}" y1="{y1:.0}" x2="{x2:.0}" y2="{y2:.0}" stroke="#999"/><text x="{:.0}" y="{:.0}" font-size="9" fill="#444" text-anchor="middle">{label}</text></g>"##,
                (x1 + x2) / 2.0,
                (y1 + y2) / 2.0 - 3.0,
            );
        }
    }
    format!(
        // A group, not an image: its CI boxes are links a keyboard reaches.
        r#"<svg id="impact-graph" class="graph" role="group" aria-label="{label}" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" xmlns="http://www.w3.org/2000/svg">{lines}{boxes}</svg>"#,
        label = escape(t.get("cmdb.impact"))
    )
}
