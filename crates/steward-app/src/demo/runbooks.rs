//! The demo's automation: the built-in library, a small health-check runbook run a few times
//! (real `echo`/`df` processes, finished), a daily inspection of the servers at 06:00 in the
//! desk's zone, an alert trigger that restarts a service, a secret, and a just-in-time grant
//! waiting for the change manager.

use steward_core::identity::User;

use super::direct;
use crate::runbooks::RunRequest;
use crate::{App, Result};

const HEALTH: &str = r#"
name: Disk and load check / 磁盘与负载检查
description: Reports the fullest file system and the load on the Steward node.
manual_minutes: 5
params:
  - { name: path, label: File system, type: string, default: / }
steps:
  - id: disk
    name: Disk usage
    kind: command
    argv: [df, -hP, "{{ params.path }}"]
  - id: load
    name: Load
    kind: command
    argv: [cat, /proc/loadavg]
"#;

const RESTART: &str = r#"
name: Restart a service / 重启服务
description: Restarts a systemd service on the host an alert names (auto-remediation).
manual_minutes: 15
approval: { role: team_lead, quorum: 1 }
params:
  - { name: host, label: Host, type: ci, required: true }
  - { name: service, label: Service, type: string, required: true }
steps:
  - id: restart
    name: Restart
    kind: ansible
    targets: { ci_param: host }
    extra_vars: { service: "{{ params.service }}" }
    playbook: |
      - hosts: all
        become: true
        gather_facts: false
        tasks:
          - name: Restart the service
            systemd: { name: "{{ service }}", state: restarted }
"#;

impl App {
    pub(super) async fn seed_demo_runbooks(&self, people: &[User]) -> Result<()> {
        let manager = direct(people[7].clone()); // grace.kim, change manager
        let agent = direct(people[1].clone());
        let r = self.runbooks();
        r.list(&manager, false).await?;
        let (health, _) = r.save(&manager, None, HEALTH).await?;
        let (restart, _) = r.save(&manager, None, RESTART).await?;
        r.set_secret(&manager, "opstoken", "demo-token-not-a-real-one").await?;
        let inspection =
            r.list(&manager, false).await?.into_iter().find(|v| v.record.name == "Host inspection");
        if let Some(i) = inspection {
            let zone = self.config.report_zone.iana_name().unwrap_or("UTC").to_owned();
            r.add_schedule(&manager, i.record.id, "0 6 * * *", &zone, None, Vec::new(), None).await?;
        }
        r.add_alert_trigger(
            &manager,
            restart,
            "alertname=ServiceDown",
            vec![("host".into(), "label:instance".into()), ("service".into(), "label:service".into())],
        )
        .await?;
        for path in ["/", "/tmp", "/"] {
            let req = RunRequest {
                runbook_id: health,
                params: vec![("path".into(), path.into())],
                ..Default::default()
            };
            r.start(&agent, req).await?;
        }
        r.run_due("demo").await?;
        // One waiting for approval, and a grant waiting for the change manager.
        let req = RunRequest {
            runbook_id: restart,
            params: vec![("host".into(), "app01".into()), ("service".into(), "payroll".into())],
            ..Default::default()
        };
        r.start(&agent, req).await?;
        let db = self.store.cis_named(&["db01".to_owned()]).await?;
        if let Some(id) = db.get("db01") {
            r.request_grant(&agent, &[*id], "Clear old WAL files on db01 / 清理 db01 旧的 WAL 文件", 60)
                .await?;
        }
        Ok(())
    }
}
