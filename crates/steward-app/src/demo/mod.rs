//! Demo data: a small IT organisation with a living service desk, so a newcomer sees Steward
//! at work. Everything goes through the normal operations, so the audit trail and activity
//! streams are real.

mod changes;
mod history;
mod knowledge;
mod logs;
mod requests;
mod runbooks;
mod surveys;

use steward_core::tickets::{HoldReason, ResolutionCode, State, TransitionRequest};

use crate::{Actor, App, AppError, Credential, IncidentPatch, NewIncident, NewUserInput, Result};

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "steward-demo";

/// (username, display name, role, team index)
const PEOPLE: &[(&str, &str, &str, Option<usize>)] = &[
    ("wang.fang", "王芳", "team_lead", Some(0)),
    ("li.wei", "李伟", "agent", Some(0)),
    ("sam.taylor", "Sam Taylor", "agent", Some(0)),
    ("zhang.min", "张敏", "agent", Some(1)),
    ("omar.haddad", "Omar Haddad", "team_lead", Some(1)),
    ("chen.jie", "陈杰", "agent", Some(2)),
    ("priya.nair", "Priya Nair", "agent", Some(3)),
    ("grace.kim", "Grace Kim", "change_manager", None),
    ("liu.yang", "刘洋", "requester", None),
    ("emma.jones", "Emma Jones", "requester", None),
    ("zhao.lei", "赵磊", "requester", None),
    ("noah.smith", "Noah Smith", "requester", None),
    ("sun.li", "孙丽", "requester", None),
    ("ava.brown", "Ava Brown", "requester", None),
    ("audit.lin", "林审计", "auditor", None),
];

const TEAMS: &[(&str, &str)] = &[
    ("Service Desk", "First line: every call and portal request lands here"),
    ("Network", "LAN, WAN, VPN, firewalls and Wi-Fi"),
    ("Database", "PostgreSQL, MySQL and Oracle estates"),
    ("Applications", "ERP, CRM and the intranet"),
];

/// (team index, the member who keeps it, name, text): the teams' canned replies.
const REPLIES: &[(usize, usize, &str, &str)] = &[
    (
        0,
        0,
        "Password reset done",
        "Hello {{ requester.name }},\n\nYour password has been reset. You will be asked to choose a new one \
         at your next sign-in.\n\nRegards,\n{{ agent.name }}, {{ team.name }}",
    ),
    (
        0,
        0,
        "需要更多信息",
        "{{ requester.name }}，您好：\n\n关于 {{ ticket.number }}（{{ ticket.title }}），请提供出现问题的时间、\
         截图和错误信息，以便我们尽快处理。\n\n{{ agent.name }}，{{ team.name }}",
    ),
    (
        1,
        3,
        "VPN client restart",
        "Hello {{ requester.name }},\n\nPlease quit the VPN client, wait ten seconds and connect again. If \
         {{ ticket.number }} happens again, reply with the time the connection dropped.\n\n{{ agent.name }}, \
         {{ team.name }}",
    ),
];

/// (subcategory, team index): where its new tickets go when nobody names a team.
const ROUTES: &[(&str, usize)] = &[("Firewall", 1), ("ERP", 3)];

const CATEGORIES: &[(&str, &[&str])] = &[
    ("Hardware", &["Laptop", "Printer", "Phone"]),
    ("Network", &["VPN", "Wi-Fi", "Firewall"]),
    ("Software", &["Email", "ERP", "Office"]),
    ("Access", &["Password reset", "Permissions"]),
];

/// (title, description, requester, impact, urgency, team, category, final state)
type Story = (&'static str, &'static str, usize, i64, i64, Option<usize>, usize, State);

const STORIES: &[Story] = &[
    (
        "VPN disconnects every 10 minutes",
        "Since this morning the VPN drops and reconnects every ten minutes.",
        8,
        2,
        2,
        Some(1),
        1,
        State::InProgress,
    ),
    (
        "打印机卡纸，无法打印合同",
        "三楼打印机一直提示卡纸，但打开后没有纸。今天下午需要打印合同。",
        10,
        3,
        1,
        Some(0),
        0,
        State::Assigned,
    ),
    (
        "ERP order entry very slow",
        "Saving a sales order takes over a minute for the whole sales team.",
        9,
        1,
        2,
        Some(3),
        2,
        State::InProgress,
    ),
    (
        "数据库连接池耗尽",
        "订单服务日志大量出现 connection pool exhausted，接口超时。",
        11,
        1,
        1,
        Some(2),
        2,
        State::Resolved,
    ),
    (
        "New laptop will not join Wi-Fi",
        "The replacement laptop does not see the corporate SSID.",
        12,
        3,
        2,
        Some(0),
        1,
        State::OnHold,
    ),
    (
        "Outlook keeps asking for password",
        "After the password change Outlook prompts every few minutes.",
        13,
        3,
        2,
        Some(0),
        2,
        State::Closed,
    ),
    ("无法访问共享盘 S:", "映射的 S 盘显示拒绝访问。", 8, 3, 3, None, 3, State::New),
    (
        "Firewall blocks supplier portal",
        "https://portal.supplier.example returns a connection reset since Friday.",
        9,
        2,
        2,
        Some(1),
        1,
        State::Resolved,
    ),
    ("Phone extension 2301 dead", "No dial tone on the reception phone.", 12, 3, 2, None, 0, State::New),
    (
        "Intranet search returns nothing",
        "Searching any word on the intranet shows no results.",
        13,
        2,
        3,
        Some(3),
        2,
        State::Cancelled,
    ),
    (
        "邮件发送延迟超过一小时",
        "外部邮件发送延迟严重，客户投诉未收到报价。",
        10,
        2,
        1,
        Some(0),
        2,
        State::InProgress,
    ),
    (
        "Need access to finance reports folder",
        "Starting in the finance team next week.",
        11,
        3,
        3,
        Some(0),
        3,
        State::Closed,
    ),
];

fn direct(user: steward_core::identity::User) -> Actor {
    Actor { user, credential: Credential::Direct }
}

impl App {
    /// Seeds the demo organisation into an empty service desk, with six months of history.
    /// Does nothing (returns false) when incidents already exist.
    pub async fn seed_demo(&self) -> Result<bool> {
        self.seed_demo_with_history(history::DAYS).await
    }

    /// The demo with `days` of history (tests take a few weeks: the same company, sooner).
    pub async fn seed_demo_with_history(&self, days: i64) -> Result<bool> {
        let existing = self
            .store
            .list_tickets(
                &steward_store::TicketQuery::new(steward_core::tickets::TicketKind::Incident),
                steward_store::Visibility::All,
            )
            .await?;
        if !existing.items.is_empty() {
            return Ok(false);
        }
        let mut teams = Vec::new();
        for (name, description) in TEAMS {
            teams.push(self.directory().create_team(None, name, description).await?.id);
        }
        let mut people = Vec::new();
        for (username, display, role, team) in PEOPLE {
            let input = NewUserInput {
                username: (*username).into(),
                display_name: Some((*display).into()),
                email: Some(format!("{username}@example.com")),
                role: (*role).into(),
                password: DEMO_PASSWORD.into(),
                organisation: (*role == "requester").then(|| "Head office".to_owned()),
            };
            let user = self.directory().create_user(None, input).await?;
            if let Some(t) = team {
                self.directory().set_team_member(None, teams[*t], user.id, true).await?;
            }
            people.push(user);
        }
        let mut categories = Vec::new();
        for (name, subs) in CATEGORIES {
            let id = self.incidents().create_category(None, name, None).await?;
            for sub in *subs {
                let sub_id = self.incidents().create_category(None, sub, Some(id)).await?;
                // Specialist subcategories skip the first line; the rest reach the Service Desk.
                if let Some(&(_, team)) = ROUTES.iter().find(|(name, _)| name == sub) {
                    self.incidents().route_category(None, sub_id, Some(teams[team])).await?;
                }
            }
            categories.push(id);
        }
        self.directory().set_intake_team(None, teams[0], true).await?;
        for (team, keeper, name, text) in REPLIES {
            let keeper = direct(people[*keeper].clone());
            self.incidents().create_reply_template(&keeper, name, text, Some(teams[*team])).await?;
        }
        let cast = history::Cast {
            people: &people,
            agents: PEOPLE
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.3.filter(|_| p.2 == "agent").map(|t| (i, t)))
                .collect(),
            requesters: PEOPLE
                .iter()
                .enumerate()
                .filter(|(_, p)| p.2 == "requester")
                .map(|(i, _)| i)
                .collect(),
            lead: 0,
            teams: &teams,
            categories: &categories,
        };
        self.seed_demo_history(&cast, days).await?;
        // Six months of old news notify nobody; today's stories below do.
        self.notifications().skip_to_now().await?;
        let lead = direct(people[0].clone());
        for (i, (title, description, requester, impact, urgency, team, category, target)) in
            STORIES.iter().enumerate()
        {
            let requester_actor = direct(people[*requester].clone());
            let incident = self
                .incidents()
                .create(
                    &requester_actor,
                    NewIncident {
                        title: (*title).into(),
                        description: (*description).into(),
                        category_id: Some(categories[*category]),
                        impact: Some(*impact),
                        urgency: Some(*urgency),
                        ..NewIncident::default()
                    },
                )
                .await?;
            if *target == State::New {
                continue;
            }
            // The agent of the incident's team (or the Service Desk) picks it up.
            let team_index = team.unwrap_or(0);
            let agent = PEOPLE.iter().position(|p| p.3 == Some(team_index) && p.2 == "agent").unwrap_or(1);
            let agent_actor = direct(people[agent].clone());
            let patch = IncidentPatch {
                team_id: Some(Some(teams[team_index])),
                assignee_id: Some(Some(people[agent].id)),
                ..IncidentPatch::default()
            };
            self.incidents().update(&lead, incident.id, None, patch).await?;
            let step = |to: State| TransitionRequest { to: Some(to), ..TransitionRequest::default() };
            if *target == State::Cancelled {
                self.incidents()
                    .comment(
                        &agent_actor,
                        incident.id,
                        "Duplicate of a known issue; closing this one.",
                        false,
                    )
                    .await?;
                self.incidents().transition(&agent_actor, incident.id, None, step(State::Cancelled)).await?;
                continue;
            }
            if *target == State::Assigned {
                continue;
            }
            self.incidents().transition(&agent_actor, incident.id, None, step(State::InProgress)).await?;
            self.incidents()
                .comment(
                    &agent_actor,
                    incident.id,
                    "Looking into it now — could you tell me when it started exactly?",
                    false,
                )
                .await?;
            self.incidents()
                .comment(
                    &requester_actor,
                    incident.id,
                    "Around 9:00 this morning, right after I logged in.",
                    false,
                )
                .await?;
            let note = if i % 2 == 0 {
                "Checked the logs: errors start at 08:57. @wang.fang FYI."
            } else {
                "Reproduced on a test machine."
            };
            self.incidents().comment(&agent_actor, incident.id, note, true).await?;
            match target {
                State::OnHold => {
                    let hold = TransitionRequest {
                        hold_reason: Some(HoldReason::AwaitingCustomer),
                        ..step(State::OnHold)
                    };
                    self.incidents().transition(&agent_actor, incident.id, None, hold).await?;
                }
                State::Resolved | State::Closed => {
                    let resolve = TransitionRequest {
                        resolution_code: Some(if i % 3 == 0 {
                            ResolutionCode::Workaround
                        } else {
                            ResolutionCode::Fixed
                        }),
                        resolution_note: Some(
                            "Root cause found and fixed; monitored for an hour with no recurrence.".into(),
                        ),
                        ..step(State::Resolved)
                    };
                    self.incidents().transition(&agent_actor, incident.id, None, resolve).await?;
                    if *target == State::Closed {
                        self.incidents()
                            .transition(&requester_actor, incident.id, None, step(State::Closed))
                            .await?;
                    }
                }
                _ => {}
            }
        }
        // A major incident with two child incidents.
        let major = self
            .incidents()
            .create(
                &lead,
                NewIncident {
                    title: "Major incident: email down for all users".into(),
                    description: "Exchange front ends unreachable. Bridge call open.".into(),
                    service: Some("Email".into()),
                    impact: Some(1),
                    urgency: Some(1),
                    team_id: Some(teams[0]),
                    assignee_id: Some(people[0].id),
                    tags: vec!["major".into()],
                    ..NewIncident::default()
                },
            )
            .await?;
        for (requester, title) in [(9usize, "Cannot send email"), (11, "收不到邮件")] {
            self.incidents()
                .create(
                    &lead,
                    NewIncident {
                        title: title.into(),
                        requester_id: Some(people[requester].id),
                        parent_id: Some(major.id),
                        team_id: Some(teams[0]),
                        impact: Some(3),
                        urgency: Some(2),
                        ..NewIncident::default()
                    },
                )
                .await?;
        }
        self.seed_demo_cmdb(&lead, major.id).await?;
        self.seed_demo_knowledge(&people, major.id).await?;
        let cab = self.seed_demo_changes(&people).await?;
        self.seed_demo_requests(&people, &teams, cab).await?;
        self.seed_demo_runbooks(&people).await?;
        self.seed_demo_logs().await?;
        Ok(true)
    }

    /// A small CMDB behind the demo's services, through the import path; the major email
    /// incident names the mail server.
    async fn seed_demo_cmdb(&self, lead: &Actor, major: steward_core::ids::TicketId) -> Result<()> {
        let cis = "external_id,class,name,hostname,ip_address,engine\n\
            svc-email,business_service,Email,,,\n\
            svc-payroll,business_service,Payroll,,,\n\
            app-exchange,application,Exchange,,,\n\
            app-payroll,application,Payroll app,,,\n\
            db-payroll,database,Payroll database,,,PostgreSQL\n\
            srv-mail01,server,mail01,mail01,10.1.0.11,\n\
            srv-app01,server,app01,app01,10.1.0.21,\n\
            srv-db01,server,db01,db01,10.1.0.31,\n\
            sw-core1,network_device,core-sw1,core-sw1,10.1.0.1,\n\
            loc-bj,location,Beijing DC,,,\n";
        let relations = "from,kind,to\n\
            svc-email,depends_on,app-exchange\n\
            svc-payroll,depends_on,app-payroll\n\
            app-exchange,runs_on,srv-mail01\n\
            app-payroll,runs_on,srv-app01\n\
            app-payroll,depends_on,db-payroll\n\
            db-payroll,runs_on,srv-db01\n\
            srv-mail01,connects_to,sw-core1\n\
            srv-app01,connects_to,sw-core1\n\
            srv-db01,connects_to,sw-core1\n\
            srv-mail01,located_in,loc-bj\n\
            srv-app01,located_in,loc-bj\n\
            srv-db01,located_in,loc-bj\n";
        for text in [cis, relations] {
            let file = crate::cmdb::parse_csv(text)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("demo CMDB: {:?}", e.first())))?;
            let report = self.cmdb().import(Some(lead), file, false, &|_, _| {}).await?;
            if let Some(e) = report.errors.first() {
                return Err(AppError::Internal(anyhow::anyhow!("demo CMDB row {}: {}", e.row, e.reason)));
            }
        }
        if let Some(mail) = self.store.ci_by_external_id("srv-mail01").await? {
            self.cmdb().link_incident(lead, major, mail.id).await?;
        }
        Ok(())
    }
}

impl From<steward_core::tickets::FieldError> for AppError {
    fn from(e: steward_core::tickets::FieldError) -> AppError {
        AppError::Invalid { field: e.field, message: e.message }
    }
}
