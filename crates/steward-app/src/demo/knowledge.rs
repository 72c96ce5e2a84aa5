//! The demo's problem management and knowledge: the major email incident's children explained
//! by a problem that is now a known error, articles in both languages (published by a second
//! pair of eyes, one still a draft), and the major incident's review with two action items.

use steward_core::identity::User;
use steward_core::ids::TicketId;
use steward_core::knowledge::{Content, Step};
use steward_core::problems::Analysis;
use steward_core::reviews::{Findings, NewAction};
use steward_core::tickets::{State, TransitionRequest};

use super::direct;
use crate::knowledge::NewArticle;
use crate::problems::NewProblem;
use crate::{App, Result};

/// (title, body, audience, published)
const ARTICLES: &[(&str, &str, &str, bool)] = &[
    (
        "VPN 连不上怎么办 / VPN won't connect",
        "1. 确认电脑已连上互联网（先打开任意网页）。\n2. 退出并重新打开 VPN 客户端，选择“自动选择节点”。\n3. 仍连不上时，在门户搜索“重置 VPN 密码”。\n\n1. Check the computer is online (open any web page).\n2. Quit and reopen the VPN client; choose *Automatic* as the gateway.\n3. Still failing? Reset your VPN password from the portal.",
        "requesters",
        true,
    ),
    (
        "重置 VPN 密码",
        "1. 打开自助门户，点击“忘记密码”。\n2. 输入工号并完成短信验证。\n3. 新密码约 5 分钟后在 VPN 客户端生效。",
        "requesters",
        true,
    ),
    (
        "Outlook keeps asking for a password",
        "Outlook prompts again and again after a password change.\n\n1. Close Outlook.\n2. Open **Credential Manager** and remove the entries starting with `MicrosoftOffice`.\n3. Start Outlook and sign in once.",
        "requesters",
        true,
    ),
    (
        "Exchange 前端服务器故障切换步骤",
        "当两台前端都无法访问时：\n\n1. 在负载均衡上确认健康检查状态。\n2. 重启 `MSExchangeFrontEndTransport` 服务。\n3. 仍失败时切换到备用站点，并在事件中记录时间点。",
        "agents",
        true,
    ),
    (
        "Printer on floor 3 shows offline",
        "Check the print queue on `print01` before re-adding the printer.",
        "agents",
        false,
    ),
];

impl App {
    pub(super) async fn seed_demo_knowledge(&self, people: &[User], major: TicketId) -> Result<()> {
        let (lead, agent) = (direct(people[0].clone()), direct(people[1].clone()));
        // The problem behind the major incident's children, analysed down to a known error.
        let children: Vec<TicketId> = self.store.children(major).await?.iter().map(|t| t.id).collect();
        let problem = self
            .problems()
            .create(
                &agent,
                NewProblem {
                    title: "Exchange 前端在证书轮换后不可用 / Exchange front ends fail after certificate rotation".into(),
                    description: "Both front ends stopped accepting connections minutes after the certificate was rotated.".into(),
                    service: Some("Email".into()),
                    impact: Some(1),
                    urgency: Some(2),
                    incident_ids: children,
                    ..NewProblem::default()
                },
            )
            .await?;
        let whys: Vec<String> = [
            "Users could not send or receive mail",
            "Both Exchange front ends refused TLS connections",
            "They presented the new certificate without its intermediate",
            "The rotation script imported only the leaf certificate",
            "The script was never tested against a full chain",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let bones: Vec<(String, String)> = [
            ("process", "No test of certificate rotation in staging"),
            ("technology", "Rotation script imports the leaf only"),
            ("measurement", "No alert on TLS handshake failures"),
        ]
        .iter()
        .map(|(b, c)| ((*b).to_owned(), (*c).to_owned()))
        .collect();
        let analysis = Analysis::parse(
            &whys,
            &bones,
            "The certificate rotation script imports the leaf certificate without its intermediate chain.",
            "Import the intermediate certificate by hand on both front ends and restart the transport service (Exchange 前端服务器故障切换步骤).",
            "",
        )
        .map_err(crate::AppError::from)?;
        let step = |to: State| TransitionRequest { to: Some(to), ..TransitionRequest::default() };
        self.problems().transition(&agent, problem.id, None, step(State::UnderInvestigation)).await?;
        self.problems().analyse(&agent, problem.id, None, analysis).await?;
        self.problems().transition(&agent, problem.id, None, step(State::RootCauseKnown)).await?;
        self.problems().transition(&agent, problem.id, None, step(State::KnownError)).await?;

        // Articles: written by an agent, published by the team lead.
        for (title, body, audience, published) in ARTICLES {
            let content = Content::parse(title, body, None, audience, "Email / VPN", &[], None)
                .map_err(crate::AppError::from)?;
            let article =
                self.knowledge().create(&agent, NewArticle { content, source_ticket: None }).await?;
            if *published {
                self.knowledge().step(&agent, article.id, None, Step::Submit, None).await?;
                self.knowledge().step(&lead, article.id, None, Step::Publish, None).await?;
            }
        }

        // The major incident's review.
        self.reviews().open(&lead, major).await?;
        let findings = Findings::parse(
            "Mail was down for everyone for 47 minutes after a certificate rotation.",
            Some(1200),
            "The bridge call opened within five minutes; users were told through the portal.",
            "Nobody knew the front ends needed the intermediate certificate.",
            "Untested rotation script; no alert on TLS handshake failures.",
        )
        .map_err(crate::AppError::from)?;
        self.reviews().edit(&lead, major, None, findings).await?;
        let today = crate::reviews::today(self.now());
        for (title, owner, days) in [
            ("Test certificate rotation in staging", &people[1], 14),
            ("Alert on TLS handshake failures", &people[2], 30),
        ] {
            let due = today.checked_add(jiff::Span::new().days(days)).unwrap_or(today).to_string();
            let action = NewAction::parse(title, owner.id, &due).map_err(crate::AppError::from)?;
            self.reviews().add_action(&lead, major, action).await?;
        }
        Ok(())
    }
}
