//! Canned replies (issue 17, "writing"). A team's agents keep their team's texts; admins keep
//! every team's and the shared ones (no team). On a ticket an agent is offered the shared
//! texts, the ticket team's and their own teams', filled from the ticket.

use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::{TeamId, TicketId};
use steward_core::tickets::{ReplyTemplate, ReplyTemplateEvent, ReplyValues, fill_reply};
use steward_store::ReplyTemplateRecord;

use crate::{Actor, AppError, Result};

/// A canned reply filled for one ticket.
#[derive(Debug, Clone)]
pub struct FilledReply {
    pub id: i64,
    pub name: String,
    pub team_id: Option<TeamId>,
    pub text: String,
}

impl crate::Incidents<'_> {
    /// The canned replies the actor may change: every one for admins, else the actor's teams'.
    pub async fn reply_templates(self, actor: &Actor) -> Result<Vec<ReplyTemplateRecord>> {
        actor.require(Permission::WorkTickets)?;
        let all = self.store.reply_templates().await?;
        if actor.can(Permission::ManageDirectory) {
            return Ok(all);
        }
        let mine = self.my_teams(actor).await?;
        Ok(all.into_iter().filter(|r| r.template.team_id.is_none_or(|t| mine.contains(&t))).collect())
    }

    /// The canned replies offered on ticket `id`, filled from it for the actor.
    pub async fn replies_for(self, actor: &Actor, id: TicketId) -> Result<Vec<FilledReply>> {
        let ticket = self.get(actor, id).await?.ticket;
        actor.require(Permission::WorkTickets)?;
        let mine = self.my_teams(actor).await?;
        let offered = |t: &ReplyTemplate| match t.team_id {
            None => true,
            Some(team) => ticket.team_id == Some(team) || mine.contains(&team),
        };
        let requester = self.store.user(ticket.requester_id).await?;
        let team = match ticket.team_id {
            Some(t) => self.store.team(t).await?.map(|t| t.name.to_string()),
            None => None,
        };
        let values = ReplyValues {
            number: ticket.number.clone(),
            title: ticket.title.clone(),
            requester: requester.map(|u| u.display_name).unwrap_or_default(),
            agent: actor.user.display_name.clone(),
            team: team.unwrap_or_default(),
        };
        let mut out: Vec<FilledReply> = self
            .store
            .reply_templates()
            .await?
            .into_iter()
            .filter(|r| offered(&r.template))
            .map(|r| FilledReply {
                id: r.id,
                text: fill_reply(&r.template.body, &values),
                name: r.template.name,
                team_id: r.template.team_id,
            })
            .collect();
        // The ticket's own team's texts first: they are the likeliest answers.
        out.sort_by_key(|r| (r.team_id != ticket.team_id, r.team_id.is_none()));
        Ok(out)
    }

    pub async fn create_reply_template(
        self,
        actor: &Actor,
        name: &str,
        body: &str,
        team_id: Option<TeamId>,
    ) -> Result<i64> {
        let template = self.checked_template(actor, name, body, team_id).await?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_reply_template(at, &template).await?;
        let event = ReplyTemplateEvent::Created(template);
        crate::record(&mut tx, at, Some(actor), DomainEvent::ReplyTemplate { id, event }).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces a canned reply's name, text and team (the actor must keep both the old team's
    /// texts and the new one's).
    pub async fn update_reply_template(
        self,
        actor: &Actor,
        id: i64,
        name: &str,
        body: &str,
        team_id: Option<TeamId>,
    ) -> Result<()> {
        self.kept_template(actor, id).await?;
        let template = self.checked_template(actor, name, body, team_id).await?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.update_reply_template(at, id, &template).await? {
            return Err(AppError::NotFound("reply template"));
        }
        let event = ReplyTemplateEvent::Updated(template);
        crate::record(&mut tx, at, Some(actor), DomainEvent::ReplyTemplate { id, event }).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_reply_template(self, actor: &Actor, id: i64) -> Result<()> {
        let record = self.kept_template(actor, id).await?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.delete_reply_template(id).await? {
            return Err(AppError::NotFound("reply template"));
        }
        let event = ReplyTemplateEvent::Deleted { name: record.template.name };
        crate::record(&mut tx, at, Some(actor), DomainEvent::ReplyTemplate { id, event }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The template `id`, when the actor keeps it.
    async fn kept_template(self, actor: &Actor, id: i64) -> Result<ReplyTemplateRecord> {
        actor.require(Permission::WorkTickets)?;
        let record = self.store.reply_template(id).await?.ok_or(AppError::NotFound("reply template"))?;
        self.may_keep(actor, record.template.team_id).await?;
        Ok(record)
    }

    async fn checked_template(
        self,
        actor: &Actor,
        name: &str,
        body: &str,
        team_id: Option<TeamId>,
    ) -> Result<ReplyTemplate> {
        actor.require(Permission::WorkTickets)?;
        let template =
            ReplyTemplate::parse(name, body, team_id).map_err(|e| AppError::invalid(e.field, e.message))?;
        if let Some(team) = team_id
            && !self.directory().team_exists(team).await?
        {
            return Err(AppError::invalid("team_id", format!("no team {team}")));
        }
        self.may_keep(actor, team_id).await?;
        Ok(template)
    }

    /// Admins keep every text; an agent keeps their teams' texts, not the shared ones.
    async fn may_keep(self, actor: &Actor, team_id: Option<TeamId>) -> Result<()> {
        if actor.can(Permission::ManageDirectory) {
            return Ok(());
        }
        match team_id {
            Some(team) if self.my_teams(actor).await?.contains(&team) => Ok(()),
            Some(_) => Err(AppError::Forbidden("you keep the canned replies of your own teams only".into())),
            None => Err(AppError::Forbidden("only admins keep the shared canned replies".into())),
        }
    }

    async fn my_teams(self, actor: &Actor) -> Result<Vec<TeamId>> {
        Ok(self.store.teams_of(actor.user.id).await?.iter().map(|t| t.id).collect())
    }
}
