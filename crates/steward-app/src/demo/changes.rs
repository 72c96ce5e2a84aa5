//! The demo's change management: a CAB deciding by a quorum of two and an ECAB of one, a short
//! risk questionnaire, a freeze, and three changes — a normal database upgrade waiting for its
//! second approval, a standard certificate rotation booked, and an emergency payroll hotfix
//! approved, implemented, reviewed and closed.

use jiff::SignedDuration;
use steward_core::changes::{Decision, Outcome};
use steward_core::identity::User;
use steward_core::ids::CiId;

use super::direct;
use crate::changes::{ChangePatch, NewChange, NewFreeze};
use crate::{App, AppError, Result};

impl App {
    pub(super) async fn seed_demo_changes(&self, people: &[User]) -> Result<i64> {
        let root = people[7].clone(); // grace.kim, change manager
        let manager = direct(root);
        let (lead, agent) = (direct(people[0].clone()), direct(people[1].clone()));
        let changes = self.changes();
        let cab = changes
            .save_group(
                &manager,
                "CAB / 变更顾问委员会",
                "quorum",
                Some(2),
                &[people[0].id, people[4].id, people[7].id],
            )
            .await?;
        let ecab =
            changes.save_group(&manager, "ECAB / 紧急变更委员会", "any", None, &[people[7].id]).await?;
        changes.add_policy(&manager, "normal", "low", 1, cab.id).await?;
        changes.add_policy(&manager, "emergency", "low", 1, ecab.id).await?;
        let tested = changes
            .add_question(
                &manager,
                "Tested in staging? / 是否已在测试环境验证？",
                "Yes / 是 | 0\nNo / 否 | 20",
            )
            .await?;
        let backout = changes
            .add_question(
                &manager,
                "Back-out time? / 回退需要多久？",
                "Minutes / 几分钟 | 0\nHours / 数小时 | 15",
            )
            .await?;
        let now = self.now();
        let day = SignedDuration::from_hours(24);
        changes
            .add_freeze(
                &manager,
                NewFreeze {
                    name: "Month-end close / 月末封网".into(),
                    start: now + day * 20,
                    end: now + day * 23,
                    reason: "Finance closes the books".into(),
                },
            )
            .await?;
        let ci = |ext: &'static str| async move {
            let found = self.store.ci_by_external_id(ext).await?;
            found.map(|c| c.id).ok_or_else(|| AppError::Internal(anyhow::anyhow!("demo CI {ext} is missing")))
        };
        let (db, mail, app) = (ci("srv-db01").await?, ci("srv-mail01").await?, ci("app-payroll").await?);
        let new = |title: &str, kind: &str, cis: Vec<CiId>, who: &User| NewChange {
            title: title.into(),
            change_type: Some(kind.into()),
            description: "Planned through the change process.".into(),
            reason: "Keep the service supported and secure.".into(),
            implementation_plan: "1. Announce\n2. Apply\n3. Verify".into(),
            backout_plan: "Restore the snapshot taken before the change.".into(),
            test_plan: "Smoke test the service's main transactions.".into(),
            communication_plan: "Notice to users a day before.".into(),
            assignee_id: Some(who.id),
            ci_ids: cis,
            ..NewChange::default()
        };
        let at = |days: i32, hour: i64| {
            let start = now + day * days + SignedDuration::from_hours(hour);
            (start, start + SignedDuration::from_hours(2))
        };

        // A normal upgrade at the CAB, one approval in.
        let upgrade = changes
            .create(
                &agent,
                new("Upgrade PostgreSQL on db01 / db01 数据库升级", "normal", vec![db], &people[5]),
            )
            .await?;
        changes.assess_risk(&agent, upgrade.id, vec![(tested.id, 0), (backout.id, 1)]).await?;
        let (s, e) = at(7, 0);
        changes.schedule(&agent, upgrade.id, None, s, e, &[]).await?;
        changes.move_to(&agent, upgrade.id, None, "cab").await?;
        changes.decide(&manager, upgrade.id, Decision::Approve, "Plan reviewed.", "web").await?;

        // A standard certificate rotation, booked.
        let rotation = changes
            .create(
                &agent,
                new(
                    "Rotate the TLS certificate on mail01 / 轮换 mail01 证书",
                    "standard",
                    vec![mail],
                    &people[2],
                ),
            )
            .await?;
        changes.assess_risk(&agent, rotation.id, vec![(tested.id, 0), (backout.id, 0)]).await?;
        changes.move_to(&agent, rotation.id, None, "schedule").await?;
        let (s, e) = at(2, 1);
        changes.schedule(&agent, rotation.id, None, s, e, &[]).await?;

        // The database upgrade and the certificate rotation ship as one release.
        let target = (now + day * 8).to_zoned_datetime(self.config.report_zone.clone()).date().to_string();
        let release =
            changes.create_release(&agent, "Platform maintenance / 平台维护", "2026.12", &target, "").await?;
        changes.add_to_release(&agent, release.id, &upgrade.number).await?;
        changes.add_to_release(&agent, release.id, &rotation.number).await?;

        // An emergency hotfix: approved by the ECAB, implemented now, reviewed, closed.
        let hotfix = changes
            .create(
                &lead,
                new("Hotfix payroll rounding / 工资计算舍入紧急修复", "emergency", vec![app], &people[1]),
            )
            .await?;
        changes.assess_risk(&lead, hotfix.id, vec![(tested.id, 1), (backout.id, 0)]).await?;
        changes
            .schedule(
                &lead,
                hotfix.id,
                None,
                now - SignedDuration::from_mins(30),
                now + SignedDuration::from_hours(1),
                &[],
            )
            .await?;
        changes.move_to(&lead, hotfix.id, None, "ecab").await?;
        changes.decide(&manager, hotfix.id, Decision::Approve, "Go.", "web").await?;
        changes.complete(&agent, hotfix.id, None, Outcome::Successful).await?;
        let review = ChangePatch {
            review: Some("Fixed; add a unit test for rounding.".into()),
            ..ChangePatch::default()
        };
        changes.update(&lead, hotfix.id, None, review).await?;
        changes.move_to(&lead, hotfix.id, None, "close").await?;
        Ok(cab.id)
    }
}
