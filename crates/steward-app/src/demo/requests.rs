//! The demo's service catalogue: four items with forms and plans, managers for the requesters,
//! and requests in every stage (approved and half-fulfilled, awaiting a manager, awaiting the
//! CAB, fulfilled and closed).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use steward_core::changes::Decision;
use steward_core::identity::User;
use steward_core::ids::TeamId;
use steward_core::tickets::State;

use super::direct;
use crate::requests::{Design, ItemSpec, NewOrder};
use crate::{App, AppError, Result};

fn design(fields: Value, plan: Value) -> Result<Design> {
    let bad = |e: serde_json::Error| AppError::Internal(anyhow::anyhow!("demo catalogue: {e}"));
    Ok(Design {
        fields: serde_json::from_value(fields).map_err(bad)?,
        plan: serde_json::from_value(plan).map_err(bad)?,
    })
}

fn answers(v: Value) -> BTreeMap<String, Value> {
    v.as_object().map(|m| m.clone().into_iter().collect()).unwrap_or_default()
}

impl App {
    pub(super) async fn seed_demo_requests(&self, people: &[User], teams: &[TeamId], cab: i64) -> Result<()> {
        // sun.li manages liu.yang and zhao.lei; ava.brown manages emma.jones and noah.smith.
        let mut people = people.to_vec();
        for (person, manager) in [(8usize, 12usize), (10, 12), (9, 13), (11, 13)] {
            people[person] =
                self.directory().set_manager(None, people[person].id, Some(people[manager].id)).await?;
        }
        let (desk, network, apps) = (teams[0].get(), teams[1].get(), teams[3].get());
        let items = [
            (
                (
                    "New laptop",
                    "新笔记本电脑",
                    "Hardware · 硬件",
                    "A laptop for work, imaged and handed over.",
                    72,
                    teams[0],
                ),
                design(
                    json!([
                        { "key": "model", "label": "Model", "label_zh": "型号", "kind": "choice", "required": true,
                          "options": ["Standard 14\"", "Developer 16\""] },
                        { "key": "reason", "label": "Why the developer model", "label_zh": "选择开发型号的原因",
                          "kind": "textarea", "required": true,
                          "show_if": { "field": "model", "any_of": ["Developer 16\""] } },
                        { "key": "accessories", "label": "Accessories", "label_zh": "配件", "kind": "multi_choice",
                          "options": ["Dock", "Headset", "Mouse"] },
                        { "key": "monitors", "label": "Monitors on the dock", "label_zh": "扩展坞显示器数量",
                          "kind": "number", "min": 1, "max": 3, "required": true,
                          "show_if": { "field": "accessories", "any_of": ["Dock"] } },
                        { "key": "needed_by", "label": "Needed by", "label_zh": "需要日期", "kind": "date" }
                    ]),
                    json!({ "approvals": [{ "approver": "manager" }], "tasks": [
                        { "name": "Order the laptop / 采购", "team_id": desk, "stage": 1 },
                        { "name": "Image and hand over / 装机并交付", "team_id": desk, "stage": 2 } ] }),
                )?,
            ),
            (
                (
                    "VPN access",
                    "VPN 访问权限",
                    "Access · 权限",
                    "Remote access to the company network.",
                    8,
                    teams[1],
                ),
                design(
                    json!([
                        { "key": "reason", "label": "What you need it for", "label_zh": "用途", "kind": "text",
                          "required": true },
                        { "key": "until", "label": "Until", "label_zh": "截止日期", "kind": "date" }
                    ]),
                    json!({ "approvals": [{ "approver": "manager" }], "tasks": [
                        { "name": "Grant VPN access / 开通 VPN", "team_id": network, "stage": 1 } ] }),
                )?,
            ),
            (
                (
                    "Reset password",
                    "重置密码",
                    "Access · 权限",
                    "A new password for a system you are locked out of.",
                    4,
                    teams[0],
                ),
                design(
                    json!([{ "key": "system", "label": "System", "label_zh": "系统", "kind": "choice", "required": true,
                             "options": ["Windows", "Email", "ERP"] }]),
                    json!({ "tasks": [{ "name": "Reset the password / 重置密码", "team_id": desk, "stage": 1 }] }),
                )?,
            ),
            (
                (
                    "Software install",
                    "软件安装",
                    "Software · 软件",
                    "Licensed software installed on your computer.",
                    48,
                    teams[3],
                ),
                design(
                    json!([
                        { "key": "software", "label": "Software and version", "label_zh": "软件及版本",
                          "kind": "text", "required": true },
                        { "key": "server", "label": "On a server instead", "label_zh": "安装到服务器", "kind": "ci",
                          "query": "class:server" },
                        { "key": "licence", "label": "Licence proof", "label_zh": "许可证明", "kind": "attachment" }
                    ]),
                    json!({ "approvals": [{ "approver": "group", "group_id": cab }], "tasks": [
                        { "name": "Check the licence / 核对许可", "team_id": apps, "stage": 1 },
                        { "name": "Install / 安装", "team_id": apps, "stage": 2 } ] }),
                )?,
            ),
        ];
        let mut ids = Vec::new();
        for ((name, zh, category, description, hours, team), design) in items {
            let spec = ItemSpec {
                name: name.into(),
                name_zh: Some(zh.into()),
                category: category.into(),
                description: description.into(),
                audience: Vec::new(),
                delivery_hours: hours,
                team_id: Some(team),
                active: true,
            };
            let item = self.catalogue().create(None, spec).await?;
            self.catalogue().publish(None, item.id, design).await?;
            ids.push(item.id);
        }
        let order = |item: i64, a: Value| NewOrder {
            item_id: item,
            form_version: 1,
            answers: answers(a),
            ..NewOrder::default()
        };
        let requests = self.requests();
        // liu.yang's laptop: approved by sun.li, bought; imaging is open.
        let liu = direct(people[8].clone());
        let laptop = requests
            .submit(
                &liu,
                order(
                    ids[0],
                    json!({ "model": "Developer 16\"", "reason": "编译大型项目 / large builds",
                "accessories": ["Dock", "Headset"], "monitors": 2 }),
                ),
            )
            .await?;
        requests.decide(&direct(people[12].clone()), laptop.id, Decision::Approve, "").await?;
        let first = self.store.request_tasks(laptop.id).await?;
        if let Some(task) = first.first() {
            requests.complete_task(&direct(people[1].clone()), laptop.id, task.id, "PO-4411").await?;
        }
        // emma.jones waits for ava.brown.
        requests
            .submit(
                &direct(people[9].clone()),
                order(ids[1], json!({ "reason": "Working from home on Fridays" })),
            )
            .await?;
        // zhao.lei's password: reset and closed.
        let zhao = direct(people[10].clone());
        let reset = requests.submit(&zhao, order(ids[2], json!({ "system": "ERP" }))).await?;
        if let Some(task) = self.store.request_tasks(reset.id).await?.first() {
            requests
                .complete_task(
                    &direct(people[1].clone()),
                    reset.id,
                    task.id,
                    "Temporary password sent by SMS",
                )
                .await?;
        }
        requests.transition(&zhao, reset.id, State::Closed, None).await?;
        // noah.smith's software waits for the CAB.
        requests
            .submit(
                &direct(people[11].clone()),
                order(ids[3], json!({ "software": "Tableau Desktop 2026.1" })),
            )
            .await?;
        Ok(())
    }
}
