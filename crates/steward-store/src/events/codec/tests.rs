//! The codec reads back every kind of event it writes, and refuses what it cannot read.

use steward_core::changes::{ChangeEvent, PlanField, ReleaseEvent};
use steward_core::cmdb::CiField;
use steward_core::identity::UserSnapshot;
use steward_core::ids::{CalendarId, CategoryId, CiId, RelationId, TeamId, TicketId, TokenId, UserId};
use steward_core::knowledge::{ArticleEvent, ArticleField};
use steward_core::problems::{AnalysisField, ProblemEvent};
use steward_core::requests::{CatalogueEvent, RequestEvent};
use steward_core::reviews::ReviewEvent;
use steward_core::surveys::{CsatEvent, NpsEvent};

use super::*;

fn changes_of_state(from: &str, to: &str) -> Changes<TicketField> {
    Changes {
        before: Fields(vec![(TicketField::State, FieldValue::Text(from.into()))]),
        after: Fields(vec![(TicketField::State, FieldValue::Text(to.into()))]),
    }
}

fn round_trip(event: DomainEvent) {
    let e = encode(&event);
    let (before, after) = (e.before, e.after);
    let stored = Stored {
        version: SCHEMA_VERSION,
        entity_type: e.entity_type,
        entity_id: e.entity_id.as_deref(),
        action: e.action,
        before: before.as_deref(),
        after: after.as_deref(),
    };
    assert_eq!(decode(stored), Ok(event));
}

#[test]
fn every_kind_of_event_reads_back_as_written() {
    // In the fields' own order, as a decoded change lists them.
    let changes = Changes {
        before: Fields(vec![
            (TicketField::TeamId, FieldValue::Null),
            (TicketField::State, FieldValue::Text("new".into())),
        ]),
        after: Fields(vec![
            (TicketField::TeamId, FieldValue::Int(2)),
            (TicketField::State, FieldValue::Text("assigned".into())),
        ]),
    };
    let firing = SlaFiring { target: SlaTarget::Update, threshold: 90, notified: vec![UserId(3), UserId(4)] };
    let incident = [
        IncidentEvent::Created(Fields(vec![
            (TicketField::Number, FieldValue::Text("INC000001".into())),
            (TicketField::Priority, FieldValue::Int(2)),
        ])),
        IncidentEvent::Updated(changes.clone()),
        IncidentEvent::Transitioned(changes.clone()),
        IncidentEvent::AutoClosed(changes.clone()),
        IncidentEvent::SlaReassigned(changes),
        IncidentEvent::Commented { comment_id: 7, internal: true, mentions: vec![UserId(1), UserId(2)] },
        IncidentEvent::AttachmentAdded {
            attachment_id: 1,
            filename: "a.txt".into(),
            size: 3,
            internal: false,
        },
        IncidentEvent::WatcherAdded { user_id: UserId(4) },
        IncidentEvent::WatcherRemoved { user_id: UserId(4) },
        IncidentEvent::Related { ticket_id: TicketId(9) },
        IncidentEvent::CiLinked { ci_id: CiId(5), ci: "mail01".into() },
        IncidentEvent::CiUnlinked { ci_id: CiId(5), ci: "mail01".into() },
        IncidentEvent::SlaWarning(firing.clone()),
        IncidentEvent::SlaBreach(SlaFiring { threshold: 100, ..firing }),
        IncidentEvent::Merged { from: TicketId(3), number: "INC000003".into(), comments: 4, attachments: 1 },
        IncidentEvent::MergedInto { into: TicketId(2), number: "INC000002".into() },
    ];
    for event in incident {
        round_trip(DomainEvent::Incident { id: TicketId(12), event });
    }
    let analysed = Changes {
        before: Fields(vec![(AnalysisField::Whys, FieldValue::Text(String::new()))]),
        after: Fields(vec![(AnalysisField::Whys, FieldValue::Text("slow\npool full".into()))]),
    };
    let problem = [
        ProblemEvent::Opened(Fields(vec![(TicketField::Number, FieldValue::Text("PRB000001".into()))])),
        ProblemEvent::Updated(changes_of_state("new", "under_investigation")),
        ProblemEvent::Transitioned(changes_of_state("under_investigation", "known_error")),
        ProblemEvent::Analysed(analysed),
        ProblemEvent::IncidentLinked { incident_id: TicketId(3), number: "INC000003".into() },
        ProblemEvent::IncidentUnlinked { incident_id: TicketId(3), number: "INC000003".into() },
        ProblemEvent::CiLinked { ci_id: CiId(5), ci: "db01".into() },
        ProblemEvent::CiUnlinked { ci_id: CiId(5), ci: "db01".into() },
        ProblemEvent::Commented { comment_id: 4 },
    ];
    for event in problem {
        round_trip(DomainEvent::Problem { id: TicketId(13), event });
    }
    let request = [
        RequestEvent::Submitted {
            fields: Fields(vec![(TicketField::Number, FieldValue::Text("REQ000001".into()))]),
            item_id: 3,
            form_version: 2,
        },
        RequestEvent::Updated(changes_of_state("new", "authorization")),
        RequestEvent::Transitioned(changes_of_state("authorization", "in_progress")),
        RequestEvent::Decided {
            level: 1,
            user_id: UserId(4),
            decision: steward_core::changes::Decision::Reject,
            comment: "not this year".into(),
        },
        RequestEvent::TaskOpened { task_id: 7, name: "Order the laptop".into(), team_id: TeamId(2) },
        RequestEvent::TaskDone { task_id: 7, name: "Order the laptop".into(), note: "PO 4411".into() },
        RequestEvent::Commented { comment_id: 9, internal: true },
        RequestEvent::SlaFired(SlaFiring {
            target: SlaTarget::Resolution,
            threshold: 75,
            notified: vec![UserId(4)],
        }),
        RequestEvent::SlaFired(SlaFiring { target: SlaTarget::Response, threshold: 100, notified: vec![] }),
        RequestEvent::Rerouted { level: 1, manager_id: Some(UserId(8)), group_id: None },
        RequestEvent::Rerouted { level: 2, manager_id: None, group_id: Some(3) },
    ];
    for event in request {
        round_trip(DomainEvent::Request { id: TicketId(14), event });
    }
    let item = [
        CatalogueEvent::Saved {
            name: "New laptop".into(),
            category: "Hardware".into(),
            active: true,
            audience: vec!["Head office".into()],
            delivery_hours: 72,
        },
        CatalogueEvent::Published { version: 2, fields: 5, approvals: 1, tasks: 2 },
    ];
    for event in item {
        round_trip(DomainEvent::CatalogueItem { id: 3, event });
    }
    let csat = [
        CsatEvent::Asked { ticket_id: TicketId(14), requester_id: UserId(5) },
        CsatEvent::Answered {
            ticket_id: TicketId(14),
            stars: 2,
            comment: "等了三天".into(),
            via: "mail".into(),
        },
    ];
    for event in csat {
        round_trip(DomainEvent::Csat { id: 8, event });
    }
    let nps = [
        NpsEvent::Sent { month: "2026-11".into(), user_id: UserId(5) },
        NpsEvent::Answered { score: 9, reason: "Fast and friendly".into(), sentiment: "positive".into() },
        NpsEvent::Unsubscribed { user_id: UserId(5) },
    ];
    for event in nps {
        round_trip(DomainEvent::Nps { id: 4, event });
    }
    let step = |from: &str, to: &str| Changes {
        before: Fields(vec![(PlanField::Step, FieldValue::Text(from.into()))]),
        after: Fields(vec![(PlanField::Step, FieldValue::Text(to.into()))]),
    };
    let plan = Fields(vec![
        (PlanField::ChangeType, FieldValue::Text("normal".into())),
        (PlanField::PlannedStart, FieldValue::Int(1_900_000_000_000)),
        (PlanField::Outcome, FieldValue::Null),
    ]);
    let change = [
        ChangeEvent::Opened {
            ticket: Fields(vec![(TicketField::Number, FieldValue::Text("CHG000001".into()))]),
            plan,
        },
        ChangeEvent::Updated(changes_of_state("assessment", "authorization")),
        ChangeEvent::Planned(step("assess", "assess")),
        ChangeEvent::Moved {
            ticket: changes_of_state("assessment", "authorization"),
            plan: step("assess", "cab"),
        },
        ChangeEvent::RiskAssessed {
            plan: step("assess", "assess"),
            reasons: "30\tcriticality\t1\n0\tanswer\tTested?\tYes".into(),
        },
        ChangeEvent::Decided {
            level: 1,
            approver: "wang.fang".into(),
            on_behalf_of: Some("li.wei".into()),
            approve: true,
            comment: "ok".into(),
            via: "mail".into(),
        },
        ChangeEvent::Decided {
            level: 2,
            approver: "li.wei".into(),
            on_behalf_of: None,
            approve: false,
            comment: "no".into(),
            via: "web".into(),
        },
        ChangeEvent::ConflictOverridden { key: "freeze:Year end".into(), reason: "agreed".into() },
        ChangeEvent::CiLinked { ci_id: CiId(5), ci: "db01".into() },
        ChangeEvent::CiUnlinked { ci_id: CiId(5), ci: "db01".into() },
        ChangeEvent::TicketLinked { ticket_id: TicketId(3), number: "PRB000003".into() },
        ChangeEvent::TicketUnlinked { ticket_id: TicketId(3), number: "PRB000003".into() },
    ];
    for event in change {
        round_trip(DomainEvent::Change { id: TicketId(21), event });
    }
    for event in [
        ReleaseEvent::Created {
            name: "Billing".into(),
            version: "2.0".into(),
            target_date: "2027-03-01".into(),
        },
        ReleaseEvent::ChangeAdded { change_id: TicketId(21), number: "CHG000021".into() },
        ReleaseEvent::ChangeRemoved { change_id: TicketId(21), number: "CHG000021".into() },
    ] {
        round_trip(DomainEvent::Release { id: 3, event });
    }
    let content =
        steward_core::knowledge::Content::parse("VPN", "Reset it.", None, "", "", &[], Some("2027-01-01"))
            .unwrap();
    let fields =
        steward_core::knowledge::article_fields(&content, steward_core::knowledge::ArticleState::Draft, 1);
    let moved = Changes {
        before: Fields(vec![(ArticleField::State, FieldValue::Text("review".into()))]),
        after: Fields(vec![(ArticleField::State, FieldValue::Text("draft".into()))]),
    };
    let article = [
        ArticleEvent::Created { fields: fields.clone(), source: Some(TicketId(4)) },
        ArticleEvent::Created { fields, source: None },
        ArticleEvent::Edited { changes: moved.clone(), from_version: Some(2) },
        ArticleEvent::Edited { changes: moved.clone(), from_version: None },
        ArticleEvent::Moved {
            changes: moved.clone(),
            step: "reject".into(),
            comment: Some("too vague".into()),
        },
        ArticleEvent::Moved { changes: moved, step: "submit".into(), comment: None },
        ArticleEvent::Rated { helpful: false },
        ArticleEvent::Attached { ticket_id: TicketId(9) },
        ArticleEvent::ReviewDue,
    ];
    let edited = Changes {
        before: Fields(vec![(steward_core::reviews::FindingField::UsersAffected, FieldValue::Null)]),
        after: Fields(vec![(steward_core::reviews::FindingField::UsersAffected, FieldValue::Int(300))]),
    };
    for event in [
        ReviewEvent::Opened { expected: true },
        ReviewEvent::Edited(edited),
        ReviewEvent::ActionAdded {
            action_id: 2,
            title: "Alert on pool use".into(),
            owner_id: UserId(4),
            due: "2027-01-15".into(),
        },
        ReviewEvent::ActionMoved { action_id: 2, from: "open".into(), to: "done".into() },
        ReviewEvent::ActionOverdue { action_id: 2, owner_id: UserId(4) },
    ] {
        round_trip(DomainEvent::Review { id: TicketId(8), event });
    }
    for event in article {
        round_trip(DomainEvent::Article { id: 21, event });
    }
    let attrs: BTreeMap<String, String> = [("ip".to_owned(), "10.0.0.1".to_owned())].into();
    let relation = RelationDetail {
        relation_id: Some(RelationId(3)),
        kind: RelationType::RunsOn,
        from: CiId(1),
        to: CiId(2),
    };
    for event in [
        CiEvent::Created(Fields(vec![
            (CiField::Name, FieldValue::Text("db1".into())),
            (CiField::Attrs, FieldValue::Map(attrs)),
        ])),
        CiEvent::Updated(Changes {
            before: Fields(vec![(CiField::Criticality, FieldValue::Int(3))]),
            after: Fields(vec![(CiField::Criticality, FieldValue::Int(1))]),
        }),
        CiEvent::Related(RelationDetail { relation_id: None, ..relation.clone() }),
        CiEvent::Unrelated(relation),
    ] {
        round_trip(DomainEvent::Ci { id: CiId(1), event });
    }
    let user = UserSnapshot {
        username: "li.wei".into(),
        display_name: "李伟".into(),
        email: None,
        role: "agent".into(),
        disabled: false,
        locale: Some("zh-CN".into()),
        organisation: None,
        time_zone: None,
        manager_id: None,
    };
    for event in [
        UserEvent::Created(Box::new(user.clone())),
        UserEvent::Updated {
            before: Box::new(user.clone()),
            after: Box::new(UserSnapshot {
                disabled: true,
                time_zone: Some("Asia/Shanghai".into()),
                manager_id: Some(7),
                ..user
            }),
        },
        UserEvent::PasswordChanged,
        UserEvent::SignedIn { via: "web".into() },
        UserEvent::SignedOut,
        UserEvent::SignInFailed(LoginFailure {
            username: "x".into(),
            reason: "wrong password".into(),
            locked: Some(false),
        }),
    ] {
        round_trip(DomainEvent::User { id: Some(UserId(3)), event });
    }
    let unknown = LoginFailure { username: "nobody".into(), reason: "unknown user".into(), locked: None };
    round_trip(DomainEvent::User { id: None, event: UserEvent::SignInFailed(unknown) });
    for event in [
        TeamEvent::Created { name: "Desk".into(), description: String::new() },
        TeamEvent::MemberAdded { user_id: UserId(1), username: "a".into() },
        TeamEvent::MemberRemoved { user_id: UserId(1), username: "a".into() },
        TeamEvent::IntakeChanged { intake: true },
    ] {
        round_trip(DomainEvent::Team { id: TeamId(2), event });
    }
    let issued = TokenEvent::Issued {
        owner: "admin".into(),
        name: "ci".into(),
        scopes: "read".into(),
        expires_at: "2030-01-01T00:00:00Z".into(),
    };
    round_trip(DomainEvent::ApiToken { id: TokenId(1), event: issued });
    round_trip(DomainEvent::ApiToken { id: TokenId(1), event: TokenEvent::Revoked });
    round_trip(DomainEvent::Category {
        id: CategoryId(1),
        event: CategoryEvent::Created { name: "Network".into(), parent_id: Some(CategoryId(2)) },
    });
    for team_id in [Some(TeamId(3)), None] {
        round_trip(DomainEvent::Category { id: CategoryId(1), event: CategoryEvent::Routed { team_id } });
    }
    round_trip(DomainEvent::CiClass {
        name: "box".into(),
        event: CiClassEvent::Created { attrs: vec!["ip".into()] },
    });
    let hours = vec!["09:00-18:00".to_owned(); 7];
    let calendar = SlaCalendarEvent::Created {
        name: "Office".into(),
        time_zone: "Asia/Shanghai".into(),
        hours,
        holidays: 2,
        working_days: 1,
    };
    for event in [
        SlaCalendarEvent::Updated {
            name: "Office".into(),
            time_zone: "UTC".into(),
            hours: vec![String::new(); 7],
            holidays: 0,
            working_days: 3,
        },
        SlaCalendarEvent::Deleted { name: "Office".into() },
    ] {
        round_trip(DomainEvent::SlaCalendar { id: CalendarId(4), event });
    }
    round_trip(DomainEvent::SlaCalendar { id: CalendarId(1), event: calendar });
    for event in [
        steward_core::alerts::AlertEvent::Received {
            source: "alertmanager".into(),
            fingerprint: "ab12".into(),
            title: "HostDown".into(),
            severity: "critical".into(),
            status: "firing".into(),
        },
        steward_core::alerts::AlertEvent::Resolved,
        steward_core::alerts::AlertEvent::Refired,
        steward_core::alerts::AlertEvent::Linked { ticket_id: TicketId(4) },
        steward_core::alerts::AlertEvent::Silenced { silence_id: 2 },
        steward_core::alerts::AlertEvent::Flapping { changes: 4 },
        steward_core::alerts::AlertEvent::Acknowledged,
        steward_core::alerts::AlertEvent::Expected { window_id: 3 },
    ] {
        round_trip(DomainEvent::Alert { id: 7, event });
    }
    for event in [
        steward_core::alerts::SilenceEvent::Created {
            matchers: vec!["alertname=HostDown".into()],
            starts_at: "2030-01-01T00:00:00Z".into(),
            ends_at: "2030-01-01T02:00:00Z".into(),
            comment: "patching".into(),
        },
        steward_core::alerts::SilenceEvent::Expired,
    ] {
        round_trip(DomainEvent::Silence { id: 2, event });
    }
    for event in [
        steward_core::alerts::AlertRuleEvent::Created {
            name: "storage waits".into(),
            matchers: vec!["team=storage".into()],
            opens: true,
            impact: Some(3),
            urgency: None,
            resolve: "confirm".into(),
        },
        steward_core::alerts::AlertRuleEvent::Deleted { name: "storage waits".into() },
    ] {
        round_trip(DomainEvent::AlertRule { id: 4, event });
    }
    for event in [
        steward_core::alerts::MaintenanceEvent::Scheduled {
            ci_id: 9,
            starts_at: "2030-01-01T00:00:00Z".into(),
            ends_at: "2030-01-01T02:00:00Z".into(),
            reason: "firmware".into(),
            change_ref: Some("CHG-1".into()),
        },
        steward_core::alerts::MaintenanceEvent::Ended,
    ] {
        round_trip(DomainEvent::Maintenance { id: 5, event });
    }
    for event in [
        steward_core::subscriptions::SubscriptionEvent::Created {
            name: "Ops DingTalk".into(),
            channel: "dingtalk".into(),
            target: "https://oapi.dingtalk.com/robot/send".into(),
            topics: vec!["incident.opened".into()],
        },
        steward_core::subscriptions::SubscriptionEvent::Deleted { name: "Ops DingTalk".into() },
        steward_core::subscriptions::SubscriptionEvent::Resent { delivery_id: 9 },
    ] {
        round_trip(DomainEvent::Subscription { id: 3, event });
    }
    for event in [
        SlaPolicyEvent::Created { name: "P1".into(), priority: Some(1), resolution_minutes: 240 },
        SlaPolicyEvent::Updated { name: "P1".into(), priority: None, resolution_minutes: 120 },
        SlaPolicyEvent::Deleted { name: "P1".into() },
    ] {
        round_trip(DomainEvent::SlaPolicy { id: 1, event });
    }
    let template =
        ReplyTemplate { name: "Restart".into(), body: "Hi {{requester.name}}".into(), team_id: None };
    for event in [
        ReplyTemplateEvent::Created(template.clone()),
        ReplyTemplateEvent::Updated(ReplyTemplate { team_id: Some(TeamId(2)), ..template }),
        ReplyTemplateEvent::Deleted { name: "Restart".into() },
    ] {
        round_trip(DomainEvent::ReplyTemplate { id: 3, event });
    }
}

#[test]
fn unknown_versions_actions_and_fields_are_errors_not_guesses() {
    let stored = |version, action, after| Stored {
        version,
        entity_type: "incident",
        entity_id: Some("1"),
        action,
        before: None,
        after: Some(after),
    };
    assert!(decode(stored(2, "relate", r#"{"ticket_id":1}"#)).unwrap_err().reason.contains("version 2"));
    assert!(decode(stored(1, "explode", "{}")).unwrap_err().reason.contains("unknown action"));
    assert!(decode(stored(1, "create", r#"{"colour":"red"}"#)).unwrap_err().reason.contains("unknown field"));
    assert!(decode(stored(1, "relate", r#"{"ticket_id":"x"}"#)).is_err());
}

#[test]
fn field_text_is_what_a_json_tree_prints() {
    let attrs: BTreeMap<String, String> =
        [("z\"q".to_owned(), "a\nb".to_owned()), ("ip".to_owned(), "10.0.0.1".to_owned())].into();
    let f = Fields(vec![
        (CiField::Name, FieldValue::Text("数据库 \"primary\" \\ \u{7}".into())),
        (CiField::ExternalId, FieldValue::Null),
        (CiField::Criticality, FieldValue::Int(-3)),
        (CiField::Attrs, FieldValue::Map(attrs)),
        (CiField::Status, FieldValue::Bool(true)),
    ]);
    assert_eq!(fields_text(&f), fields(&f).to_string());
    assert_eq!(fields_text(&Fields::<CiField>(vec![])), "{}");
}

#[test]
fn automation_events_read_back_as_written() {
    use steward_core::runbooks::{GrantEvent, RunEvent, RunbookEvent};
    for event in [
        RunbookEvent::Saved { name: "Inspect".into(), version: 2 },
        RunbookEvent::Retired { name: "Inspect".into() },
        RunbookEvent::ScheduleSet { id: 4, cron: "0 6 * * *".into(), zone: "Asia/Shanghai".into() },
        RunbookEvent::ScheduleRemoved { id: 4 },
        RunbookEvent::AlertTriggerSet { id: 5, matchers: "alertname=ServiceDown".into() },
        RunbookEvent::AlertTriggerRemoved { id: 5 },
        RunbookEvent::SecretSet { name: "deploy_key".into() },
        RunbookEvent::SecretRemoved { name: "deploy_key".into() },
    ] {
        round_trip(DomainEvent::Runbook { id: 3, event });
    }
    for event in [
        RunEvent::Requested {
            runbook: "Inspect".into(),
            version: 2,
            trigger: "manual".into(),
            params: "path=/".into(),
            links: "ci=db01".into(),
        },
        RunEvent::Decided {
            approver: "grace".into(),
            approve: true,
            comment: "ok".into(),
            step: String::new(),
        },
        RunEvent::Started { node: "n1".into(), authority: "CHG000002".into() },
        RunEvent::Finished { state: "failed".into(), detail: "step disk exited 1".into() },
        RunEvent::CancelRequested { by: "li.wei".into() },
    ] {
        round_trip(DomainEvent::RunbookRun { id: 9, event });
    }
    for event in [
        GrantEvent::Requested {
            user: "li.wei".into(),
            cis: "db01".into(),
            reason: "disk".into(),
            minutes: 60,
        },
        GrantEvent::Decided { by: "grace".into(), approve: true, comment: String::new() },
        GrantEvent::Revoked { by: "grace".into() },
    ] {
        round_trip(DomainEvent::JitGrant { id: 2, event });
    }
    for event in [
        steward_core::forecasts::ForecastEvent::Created {
            name: "Disk /data".into(),
            query: "node_filesystem_avail_bytes{mountpoint=\"/data\"}".into(),
            threshold: "0".into(),
            breach: "below".into(),
            horizon_minutes: 4320,
            ci: Some(7),
        },
        steward_core::forecasts::ForecastEvent::Created {
            name: "x".into(),
            query: "up".into(),
            threshold: "1.5".into(),
            breach: "above".into(),
            horizon_minutes: 1,
            ci: None,
        },
        steward_core::forecasts::ForecastEvent::Deleted { name: "Disk /data".into() },
    ] {
        round_trip(DomainEvent::Forecast { id: 3, event });
    }
}
