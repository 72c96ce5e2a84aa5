//! The conversation on an incident: replies and work notes with @mentions, attachments,
//! watchers, related incidents, and the activity stream that merges them with the history.

use sha2::{Digest, Sha256};
use steward_core::events::DomainEvent;
use steward_core::identity::{Permission, Username};
use steward_core::ids::{TicketId, UserId};
use steward_core::tickets::{
    Channel, HoldReason, IncidentEvent, NoticeKind, State, TicketAccess, parse_description, ticket_changes,
};
use steward_store::{Attachment, Comment, EventFilter, LoggedEvent, NewAttachment, NewComment};

use super::{ENTITY, IncidentView};
use crate::events::TicketChange;
use crate::{Actor, AppError, Result};

/// An uploaded file, before checks.
#[derive(Debug, Clone)]
pub struct AttachmentUpload {
    pub filename: String,
    pub content_type: String,
    pub internal: bool,
    pub data: Vec<u8>,
}

/// One entry of an incident's activity stream: an event of its history (as stored, and read
/// back typed) or a comment.
#[derive(Debug, Clone)]
pub enum ActivityItem {
    Event(LoggedEvent, IncidentEvent),
    Comment(Comment),
}

/// Content types accepted for attachments, with the leading bytes a real file of that type
/// starts with (empty: any content).
pub const ALLOWED_TYPES: &[(&str, &[&[u8]])] = &[
    ("text/plain", &[]),
    ("text/csv", &[]),
    // What browsers on Linux call a `.log` file.
    ("text/x-log", &[]),
    ("application/json", &[]),
    ("application/pdf", &[b"%PDF-"]),
    ("image/png", &[b"\x89PNG\r\n\x1a\n"]),
    ("image/jpeg", &[b"\xff\xd8\xff"]),
    ("image/gif", &[b"GIF87a", b"GIF89a"]),
    ("application/zip", &[b"PK\x03\x04"]),
    ("application/gzip", &[b"\x1f\x8b"]),
];

/// An upload checked for size, name, type and content (the bytes must be what the type says),
/// ready to store on `ticket`. Every kind of ticket takes files through this.
pub(crate) fn checked_upload(
    max_bytes: usize,
    actor: &Actor,
    ticket: TicketId,
    upload: AttachmentUpload,
) -> Result<NewAttachment> {
    if upload.data.is_empty() {
        return Err(AppError::invalid("file", "the file is empty"));
    }
    if upload.data.len() > max_bytes {
        return Err(AppError::invalid("file", format!("files may not exceed {} KiB", max_bytes / 1024)));
    }
    let filename = clean_filename(&upload.filename)?;
    let given = upload.content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    // A browser that does not know a file's type sends none (or octet-stream): the name's
    // extension says what it claims to be, and the bytes are still checked below.
    let content_type = match given.as_str() {
        "" | "application/octet-stream" => type_of_name(&filename).map_or(given, str::to_owned),
        _ => given,
    };
    let Some((_, magic)) = ALLOWED_TYPES.iter().find(|(t, _)| *t == content_type) else {
        let allowed: Vec<_> = ALLOWED_TYPES.iter().map(|(t, _)| *t).collect();
        return Err(AppError::invalid(
            "content_type",
            format!("`{content_type}` is not accepted; use one of {}", allowed.join(", ")),
        ));
    };
    if !magic.is_empty() && !magic.iter().any(|m| upload.data.starts_with(m)) {
        return Err(AppError::invalid("content_type", format!("the file is not really {content_type}")));
    }
    let textual = magic.is_empty();
    if textual && std::str::from_utf8(&upload.data).is_err() {
        return Err(AppError::invalid("content_type", format!("{content_type} files must be UTF-8 text")));
    }
    Ok(NewAttachment {
        ticket_id: ticket,
        filename,
        content_type,
        sha256: hex::encode(Sha256::digest(&upload.data)),
        internal: upload.internal,
        uploaded_by: actor.user.id,
        data: upload.data,
    })
}

/// The attachment type a file name's extension stands for.
fn type_of_name(name: &str) -> Option<&'static str> {
    let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "txt" | "log" | "out" | "err" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        _ => return None,
    })
}

/// `@name` words in a text, as usernames (lower-cased, unique).
pub fn mentioned_usernames(text: &str) -> Vec<Username> {
    let mut out: Vec<Username> = Vec::new();
    let bytes: Vec<char> = text.chars().collect();
    for (i, c) in bytes.iter().enumerate() {
        let starts_word = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '.');
        if *c != '@' || !starts_word {
            continue;
        }
        let name: String = bytes[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .collect();
        if let Ok(u) = Username::parse(name.trim_end_matches('.'))
            && !out.contains(&u)
        {
            out.push(u);
        }
    }
    out
}

fn clean_filename(name: &str) -> Result<String> {
    if name.chars().count() > 200 {
        // Refused, not cut: a cut name can lose its extension (and the OpenAPI document says 200).
        return Err(AppError::invalid("filename", "a file name may be at most 200 characters"));
    }
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let base: String = base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | ';')).collect();
    if base.is_empty() || base == "." || base == ".." {
        return Err(AppError::invalid("filename", "a file name is required"));
    }
    Ok(base)
}

impl crate::Incidents<'_> {
    /// Adds a public reply or an internal work note. A requester's reply to an incident on
    /// hold awaiting them resumes work on it.
    pub async fn comment(self, actor: &Actor, id: TicketId, body: &str, internal: bool) -> Result<Comment> {
        let view = self.incidents().get(actor, id).await?;
        match view.access {
            TicketAccess::Work => actor.require(Permission::WorkTickets)?,
            TicketAccess::Participate if !internal => actor.require(Permission::RaiseTickets)?,
            TicketAccess::Participate => {
                return Err(AppError::Forbidden("only agents write work notes".into()));
            }
            _ => return Err(AppError::Forbidden("auditors read, they do not comment".into())),
        }
        let body = parse_description("body", body).map_err(|e| AppError::invalid(e.field, e.message))?;
        if body.trim().is_empty() {
            return Err(AppError::invalid("body", "a comment may not be empty"));
        }
        let mut mentions = Vec::new();
        // Those mentioned who may read what mentions them (a work note only agents of the
        // ticket's queue), told by the channel each chose for mentions; never the author.
        let mut told = Vec::new();
        let mut mails = Vec::new();
        for name in mentioned_usernames(&body).into_iter().take(20) {
            if let Some(u) = self.store.user_by_username(&name).await? {
                mentions.push(u.id);
                if u.id == actor.user.id || u.disabled {
                    continue;
                }
                let teams: Vec<_> = self.store.teams_of(u.id).await?.iter().map(|t| t.id).collect();
                let access = steward_core::tickets::access(u.role, u.id, &teams, &view.ticket);
                if !(if internal { access.sees_internal() } else { access != TicketAccess::None }) {
                    continue;
                }
                match self.notifications().channel_of(u.id, NoticeKind::Mention).await? {
                    Channel::Off => continue,
                    Channel::Email if self.config.mail.is_some() => {
                        if let Some(email) = &u.email {
                            let (subject, text) = crate::notifications::mail_text(
                                u.locale.as_deref(),
                                NoticeKind::Mention,
                                &actor.user.display_name,
                                &view.ticket,
                            );
                            mails.push(crate::mail::payload(email, &subject, &text));
                        }
                    }
                    _ => {}
                }
                told.push(u.id);
            }
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let new = NewComment {
            ticket_id: id,
            author_id: actor.user.id,
            body_html: crate::markdown::to_safe_html(&body),
            body,
            internal,
            mentions: mentions.clone(),
        };
        let comment_id = tx.insert_comment(at, &new).await?;
        for user in &mentions {
            tx.add_watcher(id, *user).await?;
        }
        let message = crate::notifications::notice_line(
            false,
            NoticeKind::Mention,
            &actor.user.display_name,
            &view.ticket.number,
            &view.ticket.title,
        );
        for user in &told {
            tx.notify_by(at, *user, Some(id), "mention", &message, Some(&actor.user.display_name)).await?;
        }
        for payload in mails {
            crate::mail::enqueue(&mut tx, at, payload).await?;
        }
        let ticket = view.ticket;
        let event = IncidentEvent::Commented { comment_id, internal, mentions };
        self.record_ticket_event(&mut tx, TicketChange::on(&ticket, at, Some(actor), event)).await?;
        if !internal
            && actor.user.id == ticket.requester_id
            && ticket.hold_reason == Some(HoldReason::AwaitingCustomer)
        {
            let mut next = ticket.clone();
            next.state = State::InProgress;
            next.hold_reason = None;
            next.updated_at = at;
            if let Some(changes) = ticket_changes(&ticket, &next) {
                let saved = tx.update_ticket(&next).await?;
                let event = IncidentEvent::Transitioned(changes);
                let change = TicketChange {
                    at,
                    actor: Some(actor),
                    before: Some(&ticket),
                    after: &saved,
                    event: event.into(),
                };
                self.record_ticket_event(&mut tx, change).await?;
            }
        }
        tx.commit().await?;
        let comments = self.incidents().read_comments(id, true).await?;
        comments.into_iter().find(|c| c.id == comment_id).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("comment {comment_id} is gone after its insert"))
        })
    }

    pub async fn comments(self, actor: &Actor, id: TicketId) -> Result<Vec<Comment>> {
        let view = self.incidents().get(actor, id).await?;
        self.incidents().read_comments(id, view.access.sees_internal()).await
    }

    /// The ticket's description as safe HTML: rendered when written, or now for descriptions
    /// older than that. The caller has already been allowed to see `ticket`.
    pub async fn description_html(self, ticket: &steward_core::tickets::Ticket) -> Result<String> {
        if ticket.description.is_empty() {
            return Ok(String::new());
        }
        Ok(match self.store.description_html(ticket.id).await? {
            Some(html) => html,
            None => crate::markdown::to_safe_html(&ticket.description),
        })
    }

    /// Comments with their HTML: rendered when written, or now for comments older than that.
    async fn read_comments(self, id: TicketId, internal: bool) -> Result<Vec<Comment>> {
        let mut comments = self.store.comments(id, internal).await?;
        for c in comments.iter_mut().filter(|c| c.body_html.is_none()) {
            c.body_html = Some(crate::markdown::to_safe_html(&c.body));
        }
        Ok(comments)
    }

    /// Stores a file on an incident after checking its size, name and type.
    pub async fn attach(self, actor: &Actor, id: TicketId, upload: AttachmentUpload) -> Result<Attachment> {
        let view = self.incidents().get(actor, id).await?;
        match view.access {
            TicketAccess::Work => {}
            TicketAccess::Participate if !upload.internal => {}
            _ => return Err(AppError::Forbidden("you may not attach files to this incident".into())),
        }
        actor.require(Permission::RaiseTickets)?;
        let at = self.now();
        let new = checked_upload(self.config.attachment_max_bytes, actor, id, upload)?;
        let mut tx = self.store.begin().await?;
        let stored = tx.insert_attachment(at, &new).await?;
        let event = IncidentEvent::AttachmentAdded {
            attachment_id: stored.id,
            filename: stored.filename.clone(),
            size: stored.size,
            internal: stored.internal,
        };
        self.record_ticket_event(&mut tx, TicketChange::on(&view.ticket, at, Some(actor), event)).await?;
        tx.commit().await?;
        Ok(stored)
    }

    pub async fn attachments(self, actor: &Actor, id: TicketId) -> Result<Vec<Attachment>> {
        let view = self.incidents().get(actor, id).await?;
        Ok(self.store.attachments(id, view.access.sees_internal()).await?)
    }

    /// An attachment's bytes, if the actor may see its incident or request (and its internal flag).
    pub async fn attachment(self, actor: &Actor, attachment_id: i64) -> Result<(Attachment, Vec<u8>)> {
        let (meta, data) =
            self.store.attachment(attachment_id).await?.ok_or(AppError::NotFound("attachment"))?;
        // A service request's files (its form's attachment fields) are read as the request is.
        let kind = self.store.ticket(meta.ticket_id).await?.map(|t| t.kind);
        let access = if kind == Some(steward_core::tickets::TicketKind::Request) {
            self.requests()
                .get(actor, meta.ticket_id)
                .await
                .map_err(|_| AppError::NotFound("attachment"))?
                .access
        } else {
            let view: IncidentView = self
                .incidents()
                .get(actor, meta.ticket_id)
                .await
                .map_err(|_| AppError::NotFound("attachment"))?;
            view.access
        };
        if meta.internal && !access.sees_internal() {
            return Err(AppError::NotFound("attachment"));
        }
        Ok((meta, data))
    }

    /// History and conversation, oldest first. Work notes and internal files are left out
    /// for those who may not see them.
    pub async fn activity(self, actor: &Actor, id: TicketId) -> Result<Vec<ActivityItem>> {
        let view = self.incidents().get(actor, id).await?;
        let internal = view.access.sees_internal();
        let filter = EventFilter {
            entity_type: Some(ENTITY.into()),
            entity_id: Some(id.to_string()),
            before_seq: None,
            limit: 1000,
        };
        let mut items = Vec::new();
        for logged in self.store.list_events(&filter).await? {
            let DomainEvent::Incident { event, .. } =
                logged.domain().map_err(steward_store::StoreError::from)?
            else {
                continue;
            };
            let hidden = match &event {
                // The comment itself is in the stream, with its text.
                IncidentEvent::Commented { .. } => true,
                IncidentEvent::AttachmentAdded { internal: true, .. } => !internal,
                _ => false,
            };
            if !hidden {
                items.push(ActivityItem::Event(logged, event));
            }
        }
        items.extend(
            self.incidents().read_comments(id, internal).await?.into_iter().map(ActivityItem::Comment),
        );
        items.sort_by_key(|i| match i {
            ActivityItem::Event(e, _) => (e.event.at_ms, 0, e.event.seq),
            ActivityItem::Comment(c) => (c.created_at.as_millisecond(), 1, c.id),
        });
        Ok(items)
    }

    /// Adds or removes a watcher (agents; anyone may watch or unwatch themselves).
    pub async fn set_watcher(self, actor: &Actor, id: TicketId, user_id: UserId, watch: bool) -> Result<()> {
        let view = self.incidents().get(actor, id).await?;
        actor.require(if user_id == actor.user.id {
            Permission::RaiseTickets
        } else {
            Permission::WorkTickets
        })?;
        if user_id != actor.user.id && view.access != TicketAccess::Work {
            return Err(AppError::Forbidden("only agents change other people's watching".into()));
        }
        if view.access == TicketAccess::ReadOnly {
            return Err(AppError::Forbidden("auditors read, they do not watch".into()));
        }
        self.store
            .user(user_id)
            .await?
            // The id is the path's: naming nobody is 404, not bad input.
            .ok_or(AppError::NotFound("user"))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let changed =
            if watch { tx.add_watcher(id, user_id).await? } else { tx.remove_watcher(id, user_id).await? };
        if changed {
            let event = if watch {
                IncidentEvent::WatcherAdded { user_id }
            } else {
                IncidentEvent::WatcherRemoved { user_id }
            };
            self.record_ticket_event(&mut tx, TicketChange::on(&view.ticket, at, Some(actor), event)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Relates two incidents the actor works on.
    pub async fn relate(self, actor: &Actor, id: TicketId, other: TicketId) -> Result<()> {
        let ticket = self.workable(actor, id).await?;
        if id == other {
            return Err(AppError::invalid("ticket_id", "an incident is not related to itself"));
        }
        self.incidents()
            .get(actor, other)
            .await
            .map_err(|_| AppError::invalid("ticket_id", format!("no incident {other}")))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if tx.link_tickets(id, other).await? {
            let event = IncidentEvent::Related { ticket_id: other };
            self.record_ticket_event(&mut tx, TicketChange::on(&ticket, at, Some(actor), event)).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found() {
        let names: Vec<String> = mentioned_usernames("ping @Alice and @li.wei. Mail bob@example.com, @@x @a")
            .iter()
            .map(|u| u.to_string())
            .collect();
        assert_eq!(names, vec!["alice", "li.wei"]);
    }

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(clean_filename("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(clean_filename("C:\\Users\\x\\log.txt").unwrap(), "log.txt");
        assert_eq!(clean_filename("a\"b;c.txt").unwrap(), "abc.txt");
        assert!(clean_filename("dir/").is_err());
    }
}
