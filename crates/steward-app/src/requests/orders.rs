//! Ordering from the catalogue: answers parsed by their field's kind and checked against the
//! version they were made on, the request ticket with its approval levels and tasks in one
//! transaction; reading a request (its requester, its teams, its approvers) and the lists.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde_json::Value;
use steward_core::changes::Verdict;
use steward_core::identity::{Permission, Role, Username};
use steward_core::ids::{CiId, TicketId, UserId};
use steward_core::requests::{Answer, Approver, FieldKind, Form, RequestEvent, ci_query_matches};
use steward_core::tickets::{
    Impact, Priority, State, Tags, Ticket, TicketAccess, TicketKind, Urgency, access, ticket_fields,
};
use steward_store::{
    Comment, LevelRecord, OrderRecord, RequestDecision, TaskRecord, TicketQuery, Visibility,
};

use super::catalogue::may_order;
use super::design::Design;
use crate::events::TicketChange;
use crate::incidents::{AttachmentUpload, checked_upload};
use crate::{Actor, AppError, Result};

/// An order as submitted: the item, the form version the requester saw, the answers by field
/// key (JSON as the API sends them; the web form's text is read the same way) and the files
/// for attachment fields.
#[derive(Debug, Clone, Default)]
pub struct NewOrder {
    pub item_id: i64,
    pub form_version: i64,
    pub answers: BTreeMap<String, Value>,
    pub files: BTreeMap<String, AttachmentUpload>,
}

/// One answer as a person reads it: the field's labels and the value in words.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownAnswer {
    pub key: String,
    pub label: String,
    pub label_zh: Option<String>,
    pub value: String,
    /// The attachment an attachment field holds.
    pub attachment_id: Option<i64>,
}

/// A request with everything its page shows.
#[derive(Debug, Clone)]
pub struct RequestView {
    pub ticket: Ticket,
    pub access: TicketAccess,
    pub order: OrderRecord,
    pub item_name: String,
    pub item_name_zh: Option<String>,
    pub answers: Vec<ShownAnswer>,
    pub levels: Vec<LevelRecord>,
    pub decisions: Vec<RequestDecision>,
    pub tasks: Vec<TaskRecord>,
    pub comments: Vec<Comment>,
    /// The level the actor may decide now.
    pub my_level: Option<i64>,
}

fn bad(key: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid { field: "answers", message: format!("answers.{key}: {}", message.into()) }
}

impl crate::Requests<'_> {
    /// Parses each answer by its field's kind: text for text and choices, a number (or its
    /// digits), a date `2026-12-31`, a list (or one option) for multi-choice, a user by id or
    /// username, a CI by id or name (checked against the field's query), a file.
    async fn parse_answers(
        self,
        actor: &Actor,
        form: &Form,
        order: &NewOrder,
    ) -> Result<BTreeMap<String, Answer>> {
        let mut out = BTreeMap::new();
        for (key, value) in &order.answers {
            let Some(field) = form.fields().iter().find(|f| &f.key == key) else {
                // Form::check names it as changed since.
                out.insert(key.clone(), Answer::Text("?".into()));
                continue;
            };
            let text = |v: &Value| v.as_str().map(str::to_owned);
            let answer = match (&field.kind, value) {
                (_, Value::Null) => continue,
                (FieldKind::Text { .. } | FieldKind::Choice { .. }, v) => {
                    Answer::Text(text(v).ok_or_else(|| bad(key, "expected text"))?)
                }
                (FieldKind::Number { .. }, Value::Number(n)) => {
                    Answer::Number(n.as_f64().ok_or_else(|| bad(key, "expected a number"))?)
                }
                (FieldKind::Number { .. }, Value::String(s)) if s.trim().is_empty() => continue,
                (FieldKind::Number { .. }, Value::String(s)) => {
                    Answer::Number(s.trim().parse().map_err(|_| bad(key, "expected a number"))?)
                }
                (FieldKind::Date, Value::String(s)) if s.trim().is_empty() => continue,
                (FieldKind::Date, Value::String(s)) => {
                    Answer::Date(s.trim().parse().map_err(|_| bad(key, "expected a date like 2026-12-31"))?)
                }
                (FieldKind::MultiChoice { .. }, Value::String(s)) => Answer::Choices(vec![s.clone()]),
                (FieldKind::MultiChoice { .. }, Value::Array(list)) => Answer::Choices(
                    list.iter()
                        .map(|v| text(v).ok_or_else(|| bad(key, "expected a list of options")))
                        .collect::<Result<_>>()?,
                ),
                (FieldKind::User, v) => Answer::User(self.requests().user_answer(actor, key, v).await?),
                (FieldKind::Ci { query }, v) => Answer::Ci(self.requests().ci_answer(key, v, query).await?),
                (FieldKind::Attachment, _) => return Err(bad(key, "attach a file")),
                (kind, _) => return Err(bad(key, format!("expected a {} answer", kind.as_str()))),
            };
            out.insert(key.clone(), answer);
        }
        for key in order.files.keys() {
            match form.fields().iter().find(|f| &f.key == key).map(|f| &f.kind) {
                Some(FieldKind::Attachment) => {
                    // The id is known once stored; the check needs only that a file is there.
                    out.insert(key.clone(), Answer::Attachment(0));
                }
                Some(_) => return Err(bad(key, "this field takes no file")),
                None => {
                    out.insert(key.clone(), Answer::Attachment(0));
                }
            }
        }
        Ok(out)
    }

    async fn user_answer(self, actor: &Actor, key: &str, v: &Value) -> Result<UserId> {
        // Ids would let a requester walk the directory one number at a time: they name people
        // by user name unless they may see the directory.
        let by_id = actor.can(Permission::ViewDirectory);
        let user = match v {
            Value::Number(_) if !by_id => None,
            Value::String(s) if !by_id && s.trim().parse::<i64>().is_ok() => None,
            Value::Number(n) => match n.as_i64() {
                Some(id) => self.store.user(UserId(id)).await?,
                None => None,
            },
            Value::String(s) if s.trim().parse::<i64>().is_ok() => {
                self.store.user(UserId(s.trim().parse().unwrap_or_default())).await?
            }
            Value::String(s) => match Username::parse(s.trim()) {
                Ok(name) => self.store.user_by_username(&name).await?,
                Err(_) => None,
            },
            _ => None,
        };
        match user {
            Some(u) if !u.disabled => Ok(u.id),
            _ => Err(bad(key, "no such user")),
        }
    }

    async fn ci_answer(self, key: &str, v: &Value, query: &str) -> Result<CiId> {
        let id = match v {
            Value::Number(n) => n.as_i64().map(CiId),
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(id) => Some(CiId(id)),
                Err(_) => self.store.cis_named(&[s.trim().to_owned()]).await?.get(s.trim()).copied(),
            },
            _ => None,
        };
        let ci = match id {
            Some(id) => self.store.ci(id).await?,
            None => None,
        };
        match ci {
            Some(ci) if ci_query_matches(query, &ci.class, &ci.attrs) => Ok(ci.id),
            // One answer for "no such CI" and "not offered": the portal does not tell
            // requesters what the CMDB holds beyond what the field offers.
            _ => Err(bad(key, format!("choose one of the configuration items the field offers ({query})"))),
        }
    }

    /// Orders an item: the answers must fit the item's current form version (`form_version`
    /// names the one the requester saw; a form changed since is refused by name). Approval
    /// levels are fixed now (the manager as the directory says today); the first is put to
    /// its approvers, or, with none, the first stage of tasks opens.
    pub async fn submit(self, actor: &Actor, order: NewOrder) -> Result<Ticket> {
        actor.require(Permission::RaiseTickets)?;
        let item = self.catalogue().item(actor, order.item_id).await?;
        if !may_order(actor, &item.record.input) {
            return Err(AppError::NotFound("catalogue item"));
        }
        let (Some(form), Some(plan)) = (&item.form, &item.plan) else {
            return Err(AppError::NotFound("catalogue item"));
        };
        if order.form_version != item.record.version {
            return Err(AppError::Conflict {
                field: Some("form_version"),
                message: format!(
                    "the form changed since it was opened (now version {}): open it again",
                    item.record.version
                ),
            });
        }
        let answers = self.requests().parse_answers(actor, form, &order).await?;
        let checked = form.check(&answers).map_err(|e| AppError::Invalid {
            field: "answers",
            message: format!("{}: {}", e.field, e.message),
        })?;
        let manager = if plan.approvals.contains(&Approver::Manager) {
            let manager = match actor.user.manager_id {
                Some(m) => self.store.user(m).await?,
                None => None,
            };
            match manager {
                Some(m) if !m.disabled && m.role.allows(Permission::RaiseTickets) => Some(m.id),
                _ => {
                    return Err(AppError::invalid(
                        "manager_id",
                        "this item needs your manager's approval, and no manager who can approve is on record for you: ask the service desk",
                    ));
                }
            }
        } else {
            None
        };
        for key in order.files.keys() {
            if !checked.answers.contains_key(key) {
                return Err(bad(key, "this field is hidden by its condition: leave it empty"));
            }
        }
        let at = self.now();
        let title = match &item.record.input.name_zh {
            Some(zh) if actor.user.locale.as_deref() == Some("zh-CN") => zh.clone(),
            _ => item.record.input.name.clone(),
        };
        let state = if plan.approvals.is_empty() { State::InProgress } else { State::Authorization };
        let medium = Impact::new(3).map_err(AppError::from)?;
        let ticket = Ticket {
            id: TicketId(0),
            kind: TicketKind::Request,
            number: String::new(),
            title,
            description: String::new(),
            requester_id: actor.user.id,
            created_by: Some(actor.user.id),
            category_id: None,
            subcategory_id: None,
            service: None,
            impact: medium,
            urgency: Urgency::new(3).map_err(AppError::from)?,
            priority: Priority::new(4).map_err(AppError::from)?,
            team_id: item.record.input.team_id,
            assignee_id: None,
            state,
            hold_reason: None,
            resolution_code: None,
            resolution_note: None,
            resolved_at: None,
            closed_at: None,
            reopen_count: 0,
            parent_id: None,
            tags: Tags::default(),
            created_at: at,
            updated_at: at,
            version: 1,
        };
        let ticket = Ticket {
            priority: self.config.priority_matrix.priority(ticket.impact, ticket.urgency),
            ..ticket
        };
        // Files are checked before anything is written.
        let mut files = Vec::new();
        for (key, upload) in order.files {
            files.push((key, checked_upload(self.config.attachment_max_bytes, actor, TicketId(0), upload)?));
        }
        let mut tx = self.store.begin().await?;
        let saved = tx.insert_tickets(vec![ticket]).await?.pop().ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("the store returned no ticket for the one inserted"))
        })?;
        let mut stored = answers_json(&checked.answers);
        for (key, mut file) in files {
            file.ticket_id = saved.id;
            let a = tx.insert_attachment(at, &file).await?;
            stored.insert(key, Value::from(a.id));
        }
        let hours = item.record.input.delivery_hours;
        let due_at = at.checked_add(SignedDuration::from_hours(hours)).unwrap_or(at);
        let record_of = OrderRecord {
            ticket_id: saved.id,
            item_id: item.record.id,
            form_version: item.record.version,
            answers: Value::Object(stored.into_iter().collect()).to_string(),
            due_at,
        };
        tx.insert_request_order(&record_of).await?;
        let event = RequestEvent::Submitted {
            fields: ticket_fields(&saved),
            item_id: item.record.id,
            form_version: item.record.version,
        };
        self.record_ticket_event(&mut tx, TicketChange::moved(None, &saved, at, Some(actor), event)).await?;
        for (i, a) in plan.approvals.iter().enumerate() {
            let (group_id, manager_id) = match *a {
                Approver::Manager => (None, manager),
                Approver::Group(g) => (Some(g), None),
            };
            let level = LevelRecord {
                level: i as i64 + 1,
                group_id,
                manager_id,
                verdict: Verdict::Pending,
                requested_at: (i == 0).then_some(at),
            };
            tx.insert_request_level(saved.id, &level).await?;
        }
        let tasks: Vec<_> = plan.tasks.iter().map(|t| (t.stage, t.name.clone(), t.team_id)).collect();
        tx.insert_request_tasks(saved.id, &tasks).await?;
        match plan.approvals.first() {
            None => {
                self.requests().open_next_stage(&mut tx, actor, &saved, at).await?;
            }
            Some(Approver::Manager) => {
                self.requests().tell_approvers(&mut tx, &saved, 1, manager, None).await?
            }
            Some(Approver::Group(g)) => {
                self.requests().tell_approvers(&mut tx, &saved, 1, None, Some(*g)).await?
            }
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// The request if the actor may see it: its requester, the agents of its team or of a
    /// team with one of its tasks, its approvers, admins and auditors. Otherwise "not found".
    pub async fn get(self, actor: &Actor, id: TicketId) -> Result<RequestView> {
        actor.require(Permission::ReadTickets)?;
        let ticket = self.store.ticket(id).await?.filter(|t| t.kind == TicketKind::Request);
        let ticket = ticket.ok_or(AppError::NotFound("request"))?;
        let teams: Vec<_> = self.store.teams_of(actor.user.id).await?.into_iter().map(|t| t.id).collect();
        let tasks = self.store.request_tasks(id).await?;
        let levels = self.store.request_levels(id).await?;
        let mut acc = access(actor.user.role, actor.user.id, &teams, &ticket);
        let task_team = tasks.iter().any(|t| teams.contains(&t.team_id));
        if acc == TicketAccess::None && task_team && actor.can(Permission::WorkTickets) {
            acc = TicketAccess::Work;
        }
        let decided = self.store.request_decisions(id).await?;
        let my_level = self.requests().my_level(actor, &ticket, &levels, &decided).await?;
        let approver = my_level.is_some()
            || levels.iter().any(|l| l.manager_id == Some(actor.user.id))
            || decided.iter().any(|d| d.user_id == actor.user.id);
        if acc == TicketAccess::None && approver {
            acc = TicketAccess::Participate;
        }
        if !acc.can_read() {
            return Err(AppError::NotFound("request"));
        }
        let order = self
            .store
            .request_order(id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("request {id} has no order row")))?;
        let item = self.store.catalogue_item(order.item_id).await?.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("request {id}'s item {} is gone", order.item_id))
        })?;
        let design = self.catalogue().design(order.item_id, order.form_version).await?.unwrap_or_default();
        let answers = self.requests().shown_answers(&design, &order.answers).await?;
        Ok(RequestView {
            decisions: decided,
            comments: self.store.comments(id, acc.sees_internal()).await?,
            ticket,
            access: acc,
            order,
            item_name: item.input.name,
            item_name_zh: item.input.name_zh,
            answers,
            levels,
            tasks,
            my_level,
        })
    }

    /// The pending level the actor decides: the current one, while the request awaits
    /// approval, if it waits for them — never their own request, never twice.
    pub(super) async fn my_level(
        self,
        actor: &Actor,
        ticket: &Ticket,
        levels: &[LevelRecord],
        decided: &[RequestDecision],
    ) -> Result<Option<i64>> {
        if ticket.state != State::Authorization || ticket.requester_id == actor.user.id {
            return Ok(None);
        }
        let Some(current) = levels.iter().find(|l| l.verdict == Verdict::Pending && l.requested_at.is_some())
        else {
            return Ok(None);
        };
        if decided.iter().any(|d| d.level == current.level && d.user_id == actor.user.id) {
            return Ok(None);
        }
        if current.manager_id == Some(actor.user.id) {
            return Ok(Some(current.level));
        }
        if let Some(g) = current.group_id {
            let groups = self.store.approver_groups().await?;
            if groups.iter().any(|x| x.id == g && x.members.contains(&actor.user.id)) {
                return Ok(Some(current.level));
            }
        }
        Ok(None)
    }

    async fn shown_answers(self, design: &Design, stored: &str) -> Result<Vec<ShownAnswer>> {
        let values: BTreeMap<String, Value> = serde_json::from_str(stored)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("stored answers: {e}")))?;
        let mut out = Vec::new();
        for f in &design.fields {
            let Some(v) = values.get(&f.key) else { continue };
            let mut attachment_id = None;
            let value = match (f.kind.as_str(), v) {
                ("user", Value::Number(n)) => match self.store.user(UserId(n.as_i64().unwrap_or(0))).await? {
                    Some(u) => format!("{} ({})", u.display_name, u.username),
                    None => n.to_string(),
                },
                ("ci", Value::Number(n)) => match self.store.ci(CiId(n.as_i64().unwrap_or(0))).await? {
                    Some(ci) => ci.name,
                    None => n.to_string(),
                },
                ("attachment", Value::Number(n)) => {
                    attachment_id = n.as_i64();
                    match self.store.attachment(n.as_i64().unwrap_or(0)).await? {
                        Some((a, _)) => a.filename,
                        None => n.to_string(),
                    }
                }
                (_, Value::Array(list)) => {
                    list.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
                }
                (_, Value::String(s)) => s.clone(),
                // 2, not 2.0: numbers are stored as JSON floats.
                (_, Value::Number(n)) if n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e15) => {
                    format!("{}", n.as_f64().unwrap_or_default() as i64)
                }
                (_, other) => other.to_string(),
            };
            out.push(ShownAnswer {
                key: f.key.clone(),
                label: f.label.clone(),
                label_zh: f.label_zh.clone(),
                value,
                attachment_id,
            });
        }
        Ok(out)
    }

    /// The actor's own requests, newest first (a page of 100).
    pub async fn mine(self, actor: &Actor) -> Result<Vec<Ticket>> {
        actor.require(Permission::ReadTickets)?;
        let mut q = TicketQuery::new(TicketKind::Request);
        q.requester_id = Some(actor.user.id);
        q.descending = true;
        q.limit = 100;
        Ok(self.store.list_tickets(&q, Visibility::Requester { user_id: actor.user.id }).await?.items)
    }

    /// Requests for the service desk: those of the actor's teams and the unassigned (every
    /// one for admins and auditors), newest first.
    pub async fn list(self, actor: &Actor, query: &TicketQuery) -> Result<Vec<Ticket>> {
        actor.require(Permission::ReadTickets)?;
        let visibility = match actor.user.role {
            Role::Admin | Role::Auditor => Visibility::All,
            Role::Requester => Visibility::Requester { user_id: actor.user.id },
            _ => Visibility::Agent { user_id: actor.user.id },
        };
        let mut q = query.clone();
        q.kind = TicketKind::Request;
        Ok(self.store.list_tickets(&q, visibility).await?.items)
    }

    /// Requests waiting for the actor's approval, oldest first.
    pub async fn awaiting_me(self, actor: &Actor) -> Result<Vec<(Ticket, i64)>> {
        actor.require(Permission::ReadTickets)?;
        let groups: Vec<i64> = self
            .store
            .approver_groups()
            .await?
            .into_iter()
            .filter(|g| g.members.contains(&actor.user.id))
            .map(|g| g.id)
            .collect();
        let mut out = Vec::new();
        for (id, level) in self.store.levels_waiting_for(actor.user.id, &groups).await? {
            // A group member who already decided waits for the others, not on them.
            let decided = self.store.request_decisions(id).await?;
            if decided.iter().any(|d| d.level == level && d.user_id == actor.user.id) {
                continue;
            }
            if let Some(t) = self.store.ticket(id).await? {
                out.push((t, level));
            }
        }
        Ok(out)
    }

    /// Open tasks of the actor's teams, with their requests.
    pub async fn my_tasks(self, actor: &Actor) -> Result<Vec<(TaskRecord, Ticket)>> {
        actor.require(Permission::WorkTickets)?;
        let teams: Vec<_> = self.store.teams_of(actor.user.id).await?.into_iter().map(|t| t.id).collect();
        let mut out = Vec::new();
        for task in self.store.open_request_tasks(&teams).await? {
            if let Some(t) = self.store.ticket(task.request_id).await? {
                out.push((task, t));
            }
        }
        Ok(out)
    }
}

/// The answers as stored: text, numbers, dates as text, lists, ids.
fn answers_json(answers: &BTreeMap<String, Answer>) -> BTreeMap<String, Value> {
    answers
        .iter()
        .filter(|(_, a)| !matches!(a, Answer::Attachment(_)))
        .map(|(k, a)| {
            let v = match a {
                Answer::Text(t) => Value::from(t.clone()),
                Answer::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
                Answer::Date(d) => Value::from(d.to_string()),
                Answer::Choices(c) => Value::from(c.clone()),
                Answer::User(u) => Value::from(u.get()),
                Answer::Ci(c) => Value::from(c.get()),
                Answer::Attachment(a) => Value::from(*a),
            };
            (k.clone(), v)
        })
        .collect()
}
