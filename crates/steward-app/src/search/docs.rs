//! What the search index holds of each record, and who may find it (reader tokens). The
//! tokens mirror `tickets::access` and the knowledge base's readers; `tests` in `mod.rs`
//! holds them to it.

use steward_core::identity::{Permission, User};
use steward_core::ids::TicketId;
use steward_core::knowledge::{ArticleState, Audience, Content, article_number};
use steward_core::problems::Analysis;
use steward_core::tickets::Ticket;
use steward_search::{Doc, Kind};
use steward_store::{ArticleRecord, CiRecord};

use crate::Actor;

/// Every document also carries this, so admins find everything.
const ADMIN: &str = "admin";

pub fn incident(t: &Ticket, comments: &[(TicketId, bool, String)]) -> Doc {
    let mut body = t.description.clone();
    let mut internal = String::new();
    for (_, is_internal, text) in comments.iter().filter(|c| c.0 == t.id) {
        let target = if *is_internal { &mut internal } else { &mut body };
        target.push('\n');
        target.push_str(text);
    }
    if let Some(note) = &t.resolution_note {
        body.push('\n');
        body.push_str(note);
    }
    let team = t.team_id.map_or("team:none".to_owned(), |team| format!("team:{team}"));
    let mut readers =
        vec![ADMIN.to_owned(), "tickets".to_owned(), team, format!("requester:{}", t.requester_id)];
    if let Some(a) = t.assignee_id {
        readers.push(format!("assignee:{a}"));
    }
    Doc {
        key: Doc::key_of(Kind::Incident, t.id.get()),
        kind: Some(Kind::Incident),
        id: t.id.get(),
        number: t.number.clone(),
        title: t.title.clone(),
        body,
        internal,
        state: t.state.as_str().to_owned(),
        team: t.team_id.map_or(0, |team| team.get() as u64),
        readers,
        created: t.created_at.as_millisecond(),
    }
}

pub fn problem(t: &Ticket, a: &Analysis) -> Doc {
    let mut body = t.description.clone();
    for part in [&a.root_cause, &a.workaround, &a.permanent_fix] {
        body.push('\n');
        body.push_str(part);
    }
    for why in &a.whys {
        body.push('\n');
        body.push_str(why);
    }
    Doc {
        key: Doc::key_of(Kind::Problem, t.id.get()),
        kind: Some(Kind::Problem),
        id: t.id.get(),
        number: t.number.clone(),
        title: t.title.clone(),
        body,
        state: t.state.as_str().to_owned(),
        team: t.team_id.map_or(0, |team| team.get() as u64),
        readers: vec![ADMIN.to_owned(), "staff".to_owned()],
        created: t.created_at.as_millisecond(),
        ..Doc::default()
    }
}

/// An article's documents: its newest version for staff and, when requesters may read it,
/// its published version for them.
pub fn article(a: &ArticleRecord, published: Option<&Content>) -> Vec<Doc> {
    let text = |c: &Content| format!("{}\n{}\n{}", c.body, c.category, c.tags);
    let doc = |kind: Kind, c: &Content, state: &str, readers: Vec<String>| Doc {
        key: Doc::key_of(kind, a.id),
        kind: Some(kind),
        id: a.id,
        number: article_number(a.id),
        title: c.title.clone(),
        body: text(c),
        state: state.to_owned(),
        readers,
        created: a.created_at.as_millisecond(),
        ..Doc::default()
    };
    let mut out =
        vec![doc(Kind::Article, &a.content, a.state.as_str(), vec![ADMIN.to_owned(), "staff".to_owned()])];
    if let Some(p) =
        published.filter(|p| p.audience == Audience::Requesters && a.state != ArticleState::Retired)
    {
        out.push(doc(Kind::PublishedArticle, p, "published", vec!["requesters".to_owned()]));
    }
    out
}

pub fn ci(c: &CiRecord) -> Doc {
    let attrs: Vec<String> = c.attrs.iter().map(|(k, v)| format!("{k} {v}")).collect();
    Doc {
        key: Doc::key_of(Kind::Ci, c.id.get()),
        kind: Some(Kind::Ci),
        id: c.id.get(),
        number: c.external_id.clone().unwrap_or_default(),
        title: c.name.clone(),
        body: format!("{}\n{}", c.class, attrs.join("\n")),
        state: c.status.as_str().to_owned(),
        readers: vec![ADMIN.to_owned(), "cmdb".to_owned()],
        created: c.created_at.as_millisecond(),
        ..Doc::default()
    }
}

pub fn person(u: &User) -> Doc {
    Doc {
        key: Doc::key_of(Kind::Person, u.id.get()),
        kind: Some(Kind::Person),
        id: u.id.get(),
        number: u.username.to_string(),
        title: u.display_name.clone(),
        body: format!("{}\n{}", u.username, u.email.as_deref().unwrap_or_default()),
        state: if u.disabled { "disabled".to_owned() } else { "active".to_owned() },
        readers: vec![ADMIN.to_owned(), "directory".to_owned()],
        ..Doc::default()
    }
}

/// The reader tokens of `actor`, given the teams they are in.
pub fn readers(actor: &Actor, teams: &[i64]) -> Vec<String> {
    use steward_core::identity::Role;
    let me = actor.user.id;
    let mut out = Vec::new();
    match actor.user.role {
        Role::Admin => out.push(ADMIN.to_owned()),
        Role::Auditor => out.extend(["tickets".to_owned(), "requesters".to_owned()]),
        Role::Requester => out.extend([format!("requester:{me}"), "requesters".to_owned()]),
        Role::Agent | Role::TeamLead | Role::ChangeManager => {
            out.extend([
                "staff".to_owned(),
                "team:none".to_owned(),
                format!("assignee:{me}"),
                format!("requester:{me}"),
            ]);
            out.extend(teams.iter().map(|t| format!("team:{t}")));
        }
    }
    if actor.can(Permission::ReadCmdb) {
        out.push("cmdb".to_owned());
    }
    if actor.can(Permission::ViewDirectory) {
        out.push("directory".to_owned());
    }
    out
}
