//! Subscriptions (issue 18): who outside Steward hears of what. A subscription names the kinds
//! of event it wants ([`Topic`]), a [`Filter`] (team, priority, service, labels) and where to
//! deliver ([`Channel`]: email, a signed JSON webhook, or a chat robot in its own message
//! format — `formats.rs`). What is delivered is a [`Notice`], made from an event once and kept
//! with the delivery, so a re-send says the same.

mod formats;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::alerts::Matcher;

pub use formats::{Outgoing, accepted, render};

/// The kinds of event a subscription can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    IncidentOpened,
    IncidentResolved,
    IncidentReopened,
    SlaBreached,
    AlertFiring,
    AlertResolved,
}

impl Topic {
    pub const ALL: [Topic; 6] = [
        Topic::IncidentOpened,
        Topic::IncidentResolved,
        Topic::IncidentReopened,
        Topic::SlaBreached,
        Topic::AlertFiring,
        Topic::AlertResolved,
    ];

    /// The stored and API name: `incident.opened`, `alert.firing`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::IncidentOpened => "incident.opened",
            Topic::IncidentResolved => "incident.resolved",
            Topic::IncidentReopened => "incident.reopened",
            Topic::SlaBreached => "sla.breached",
            Topic::AlertFiring => "alert.firing",
            Topic::AlertResolved => "alert.resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }

    /// What happened, in a message's words.
    fn headline(self, zh: bool) -> &'static str {
        match (self, zh) {
            (Topic::IncidentOpened, false) => "Incident opened",
            (Topic::IncidentOpened, true) => "事件已创建",
            (Topic::IncidentResolved, false) => "Incident resolved",
            (Topic::IncidentResolved, true) => "事件已解决",
            (Topic::IncidentReopened, false) => "Incident reopened",
            (Topic::IncidentReopened, true) => "事件重新打开",
            (Topic::SlaBreached, false) => "SLA breached",
            (Topic::SlaBreached, true) => "SLA 超时",
            (Topic::AlertFiring, false) => "Alert firing",
            (Topic::AlertFiring, true) => "告警触发",
            (Topic::AlertResolved, false) => "Alert resolved",
            (Topic::AlertResolved, true) => "告警已恢复",
        }
    }
}

/// Where a subscription delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Email,
    /// Any HTTP endpoint: Steward's own JSON, signed with HMAC-SHA256 when a secret is set.
    Webhook,
    Slack,
    /// 钉钉 custom robot (optionally "加签": signed).
    DingTalk,
    /// 企业微信 group robot.
    WeCom,
    /// 飞书 custom bot (optionally signed).
    Feishu,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Email,
        Channel::Webhook,
        Channel::Slack,
        Channel::DingTalk,
        Channel::WeCom,
        Channel::Feishu,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
            Channel::Slack => "slack",
            Channel::DingTalk => "dingtalk",
            Channel::WeCom => "wecom",
            Channel::Feishu => "feishu",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// Whether a secret signs what it sends.
    pub fn signs(self) -> bool {
        matches!(self, Channel::Webhook | Channel::DingTalk | Channel::Feishu)
    }
}

/// Which events of its topics a subscription hears of; every condition set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub team: Option<i64>,
    /// Only priorities at least this urgent (1 = P1 only … 4 = all).
    pub max_priority: Option<i64>,
    pub service: Option<String>,
    /// Over the notice's labels: an alert's, or an incident's `priority`, `service`, `team`
    /// and `severity`.
    pub labels: Vec<Matcher>,
}

impl Filter {
    pub fn matches(&self, n: &Notice) -> bool {
        self.team.is_none_or(|t| n.team == Some(t))
            && self.max_priority.is_none_or(|p| n.priority.is_some_and(|np| np <= p))
            && self
                .service
                .as_deref()
                .is_none_or(|s| n.service.as_deref().is_some_and(|ns| ns.eq_ignore_ascii_case(s)))
            && self.labels.iter().all(|m| m.matches(&n.labels))
    }
}

/// A subscription as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub name: String,
    pub topics: Vec<Topic>,
    pub filter: Filter,
    pub channel: Channel,
    /// A URL (`http`/`https`), or for email an address.
    pub target: String,
    /// Signs deliveries of channels that sign ([`Channel::signs`]).
    pub secret: Option<String>,
    /// `en` or `zh-CN`: the language of its messages.
    pub locale: String,
}

/// Why a subscription was refused: the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SubscriptionError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> SubscriptionError {
    SubscriptionError { field, message: message.into() }
}

impl Subscription {
    /// Checks a subscription from its parts as typed.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        name: &str,
        topics: &[String],
        channel: &str,
        target: &str,
        secret: Option<&str>,
        locale: &str,
        filter: Filter,
    ) -> Result<Subscription, SubscriptionError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(refuse("name", "a name of 1 to 100 characters"));
        }
        let mut parsed = Vec::new();
        for t in topics {
            let topic = Topic::parse(t).ok_or_else(|| {
                let known: Vec<&str> = Topic::ALL.iter().map(|t| t.as_str()).collect();
                refuse("topics", format!("`{t}` is not one of {}", known.join(", ")))
            })?;
            if !parsed.contains(&topic) {
                parsed.push(topic);
            }
        }
        if parsed.is_empty() {
            return Err(refuse("topics", "choose at least one kind of event"));
        }
        parsed.sort();
        let channel = Channel::parse(channel)
            .ok_or_else(|| refuse("channel", "one of email, webhook, slack, dingtalk, wecom, feishu"))?;
        let target = target.trim();
        match channel {
            Channel::Email => {
                let ok = target.len() <= 254
                    && target.split_once('@').is_some_and(|(u, d)| !u.is_empty() && d.contains('.'))
                    && !target.contains(char::is_whitespace);
                if !ok {
                    return Err(refuse("target", "an email address"));
                }
            }
            _ => {
                let ok = target.len() <= 2000
                    && (target.starts_with("https://") || target.starts_with("http://"))
                    && target.split_once("://").is_some_and(|(_, rest)| !rest.is_empty())
                    && !target.contains(char::is_whitespace);
                if !ok {
                    return Err(refuse("target", "an http:// or https:// URL"));
                }
            }
        }
        let secret = secret.map(str::trim).filter(|s| !s.is_empty());
        if secret.is_some_and(|s| s.len() > 500) {
            return Err(refuse("secret", "at most 500 bytes"));
        }
        if secret.is_some() && !channel.signs() {
            return Err(refuse("secret", format!("{} deliveries are not signed", channel.as_str())));
        }
        if filter.max_priority.is_some_and(|p| !(1..=4).contains(&p)) {
            return Err(refuse("max_priority", "1 (P1) to 4 (P4)"));
        }
        let locale = match locale.trim() {
            "" | "en" => "en",
            "zh-CN" | "zh" => "zh-CN",
            _ => return Err(refuse("locale", "en or zh-CN")),
        };
        Ok(Subscription {
            name: name.to_owned(),
            topics: parsed,
            filter,
            channel,
            target: target.to_owned(),
            secret: secret.map(str::to_owned),
            locale: locale.to_owned(),
        })
    }

    /// Whether it wants to hear of `n`.
    pub fn wants(&self, n: &Notice) -> bool {
        self.topics.contains(&n.topic) && self.filter.matches(n)
    }
}

/// What happened, as delivered: made from one event, kept with its deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub topic: Topic,
    /// The event's sequence number in the log (a delivery's identity, and the receiver's
    /// idempotency key).
    pub seq: i64,
    /// The incident's number (`INC-000123`), or for an alert its source.
    pub reference: String,
    pub title: String,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub priority: Option<i64>,
    #[serde(default)]
    pub team: Option<i64>,
    #[serde(default)]
    pub team_name: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// When it happened, RFC 3339.
    pub at: String,
}

impl Notice {
    /// The one line a chat message leads with: "Incident opened: INC-000123 Disk full on db01".
    pub fn headline(&self, zh: bool) -> String {
        let sep = if zh { "：" } else { ": " };
        format!("{}{sep}{} {}", self.topic.headline(zh), self.reference, self.title)
    }

    /// The facts under the headline, one per line ("Priority: P2").
    pub fn facts(&self, zh: bool) -> Vec<String> {
        let label = |en: &str, cn: &str| if zh { format!("{cn}：") } else { format!("{en}: ") };
        let mut out = Vec::new();
        if let Some(p) = self.priority {
            out.push(format!("{}P{p}", label("Priority", "优先级")));
        }
        if let Some(s) = &self.severity {
            out.push(format!("{}{s}", label("Severity", "严重程度")));
        }
        if let Some(t) = &self.team_name {
            out.push(format!("{}{t}", label("Team", "团队")));
        }
        if let Some(s) = &self.service {
            out.push(format!("{}{s}", label("Service", "服务")));
        }
        out
    }
}

#[cfg(test)]
mod tests;

/// What happens to a subscription, as the audit trail records it. Its target is recorded
/// without its query (robots' URLs carry their access token there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionEvent {
    Created {
        name: String,
        channel: String,
        target: String,
        topics: Vec<String>,
    },
    Deleted {
        name: String,
    },
    /// An admin sent a dead delivery again.
    Resent {
        delivery_id: i64,
    },
}

/// A target as it may be shown and recorded: robots keep their token in the path (Slack,
/// Feishu) or the query (DingTalk, WeCom), so a URL shows only its scheme and host and the
/// last four characters ("https://hooks.slack.com/…x7Qa"); an email address shows whole.
pub fn public_target(target: &str) -> String {
    let Some((scheme, rest)) = target.split_once("://") else { return target.to_owned() };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Credentials in the authority (`user:pass@host`) are not shown either.
    let host = host.rsplit('@').next().unwrap_or_default();
    let tail: String = {
        let chars: Vec<char> = rest.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    };
    if rest.len() <= host.len() + 1 {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/…{tail}")
    }
}
