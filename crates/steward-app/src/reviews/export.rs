//! A review as Markdown, to paste into a wiki or send round.

use std::fmt::Write;

use super::ReviewView;

impl ReviewView {
    /// The review as a Markdown document; `names` gives people's display names.
    pub fn markdown(&self, names: &dyn Fn(steward_core::ids::UserId) -> String) -> String {
        let t = &self.incident;
        let r = &self.review.findings;
        let mut out = String::new();
        let _ = writeln!(out, "# Post-incident review: {} {}\n", t.number, t.title);
        let _ = writeln!(out, "## Impact\n");
        let minutes = self.impact.duration.as_secs() / 60;
        let _ = writeln!(out, "- Priority: P{}", t.priority.get());
        let _ = writeln!(
            out,
            "- Duration: {} h {} min{}",
            minutes / 60,
            minutes % 60,
            if self.impact.resolved { "" } else { " (still open)" }
        );
        if let Some(n) = r.users_affected {
            let _ = writeln!(out, "- Users affected: {n}");
        }
        if let Some(s) = &self.impact.service {
            let _ = writeln!(out, "- Service: {s}");
        }
        if !self.impact.cis.is_empty() {
            let cis: Vec<&str> = self.impact.cis.iter().map(|c| c.name.as_str()).collect();
            let _ = writeln!(out, "- Configuration items: {}", cis.join(", "));
        }
        let sla = match self.impact.sla_firings.iter().filter(|f| f.1 >= 100).count() {
            0 => "no breach".to_owned(),
            n => format!("{n} breach(es)"),
        };
        let _ = writeln!(out, "- SLA: {sla}");
        for (title, text) in [
            ("Summary", &r.summary),
            ("What went well", &r.went_well),
            ("What went badly", &r.went_badly),
            ("Contributing factors", &r.factors),
        ] {
            if !text.is_empty() {
                let _ = writeln!(out, "\n## {title}\n\n{text}");
            }
        }
        let _ = writeln!(out, "\n## Action items\n");
        if self.actions.is_empty() {
            let _ = writeln!(out, "None.");
        } else {
            let _ = writeln!(out, "| Action | Owner | Due | State |\n|---|---|---|---|");
            for a in &self.actions {
                let title = a.title.replace('|', "\\|");
                let _ = writeln!(out, "| {title} | {} | {} | {} |", names(a.owner_id), a.due, a.state);
            }
        }
        let _ = writeln!(out, "\n## Timeline (UTC)\n");
        for e in &self.timeline {
            let state = e.state.as_deref().map(|s| format!(" → {s}")).unwrap_or_default();
            let at = e.at.strftime("%Y-%m-%d %H:%M");
            let _ = writeln!(out, "- {at} {} {} {}{state} ({})", e.entity, e.subject, e.action, e.actor);
        }
        out
    }
}
