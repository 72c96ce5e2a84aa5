//! The user and team directory: who works in the service desk and in which teams.

use steward_core::events::DomainEvent;
use steward_core::identity::{
    Password, Permission, Role, TeamEvent, TeamName, TeamWithMembers, ThrottleKey, User, UserEvent,
    UserSnapshot, Username,
};
use steward_core::ids::{TeamId, UserId};
use steward_store::{NewUser, UserPatch};

use crate::secrets::hash_password;
use crate::{Actor, AppError, Result, record};

/// A user as the event log records it: never the password hash.
pub(crate) fn user_snapshot(u: &User) -> UserSnapshot {
    UserSnapshot {
        username: u.username.to_string(),
        display_name: u.display_name.clone(),
        email: u.email.clone(),
        role: u.role.as_str().to_owned(),
        disabled: u.disabled,
        locale: u.locale.clone(),
        organisation: u.organisation.clone(),
        time_zone: u.time_zone.clone(),
        manager_id: u.manager_id.map(UserId::get),
    }
}

/// A new user as typed into a form, the API or the CLI; validated by [`App::create_user`].
#[derive(Debug, Clone, Default)]
pub struct NewUserInput {
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub role: String,
    pub password: String,
    pub organisation: Option<String>,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub email: Option<Option<String>>,
    pub role: Option<String>,
    pub disabled: Option<bool>,
    pub locale: Option<Option<String>>,
    pub password: Option<String>,
    /// Admins only: it decides which SLA applies to the user's tickets.
    pub organisation: Option<Option<String>>,
    /// An IANA zone name ("Asia/Shanghai"); empty: the desk's.
    pub time_zone: Option<Option<String>>,
    /// Admins only: whose approval the user's service requests need.
    pub manager_id: Option<Option<UserId>>,
}

pub const LOCALES: &[&str] = &["en", "zh-CN"];

/// A manager must be an enabled user other than the person, and not someone the person
/// manages (directly or further down), so approvals never go round in a circle.
async fn check_manager(tx: &mut steward_store::Tx, id: UserId, manager: UserId) -> Result<()> {
    let refuse = |message: &str| Err(AppError::invalid("manager_id", message.to_owned()));
    if manager == id {
        return refuse("a person cannot be their own manager");
    }
    let mut at = manager;
    // Chains are short; the bound only guards against a loop written before this check.
    for _ in 0..64 {
        let Some(user) = tx.user(at).await? else {
            return refuse("there is no such user");
        };
        if at == manager && (user.disabled || !user.role.allows(Permission::RaiseTickets)) {
            return refuse("this user is disabled, or their role cannot approve requests");
        }
        match user.manager_id {
            Some(up) if up == id => {
                return refuse("this user reports to the person: managers would go round");
            }
            Some(up) => at = up,
            None => return Ok(()),
        }
    }
    Ok(())
}

/// An organisation name: trimmed, empty means none, at most 120 characters.
fn parse_organisation(input: Option<&str>) -> Result<Option<String>> {
    let name = input.unwrap_or_default().trim();
    if name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "organisation",
            "an organisation name is at most 120 characters, one line",
        ));
    }
    Ok((!name.is_empty()).then(|| name.to_owned()))
}

fn parse_display_name(input: &str) -> Result<String> {
    let name = input.trim();
    if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "display_name",
            "a display name must be 1 to 120 printable characters",
        ));
    }
    Ok(name.to_owned())
}

fn parse_email(input: &str) -> Result<Option<String>> {
    let email = input.trim();
    if email.is_empty() {
        return Ok(None);
    }
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid {
        return Err(AppError::invalid("email", format!("`{email}` is not an email address")));
    }
    Ok(Some(email.to_owned()))
}

/// A time zone the system's zone database knows, by its IANA name; empty: none.
fn parse_time_zone(input: &str) -> Result<Option<String>> {
    match input.trim() {
        "" => Ok(None),
        z if z.len() <= 64 && jiff::tz::TimeZone::get(z).is_ok() => Ok(Some(z.to_owned())),
        other => Err(AppError::invalid(
            "time_zone",
            format!(
                "unknown time zone `{}`: use an IANA name such as Asia/Shanghai",
                other.chars().take(64).collect::<String>()
            ),
        )),
    }
}

fn parse_locale(input: &str) -> Result<Option<String>> {
    match input.trim() {
        "" => Ok(None),
        l if LOCALES.contains(&l) => Ok(Some(l.to_owned())),
        other => Err(AppError::invalid("locale", format!("unknown locale `{other}`: expected en or zh-CN"))),
    }
}

impl crate::Directory<'_> {
    pub async fn list_users(self, actor: &Actor) -> Result<Vec<User>> {
        actor.require(Permission::ViewDirectory)?;
        Ok(self.store.list_users().await?)
    }

    pub async fn user(self, actor: &Actor, id: UserId) -> Result<User> {
        if actor.user.id != id {
            actor.require(Permission::ViewDirectory)?;
        }
        self.store.user(id).await?.ok_or(AppError::NotFound("user"))
    }

    /// Finds a user by name; the CLI and forms refer to people this way.
    pub async fn user_by_username(self, username: &str) -> Result<User> {
        let name = Username::parse(username).map_err(|e| AppError::invalid("username", e))?;
        self.store.user_by_username(&name).await?.ok_or(AppError::NotFound("user"))
    }

    /// Creates a user. `actor` is `None` only for the command line run on the server itself.
    pub async fn create_user(self, actor: Option<&Actor>, input: NewUserInput) -> Result<User> {
        if let Some(a) = actor {
            a.require(Permission::ManageDirectory)?;
        }
        let username = Username::parse(&input.username).map_err(|e| AppError::invalid("username", e))?;
        if username.to_string() == crate::logs::PIPELINE_USER {
            // The AIOps user acts for Steward itself (alerts from logs and forecasts, triage);
            // a person under that name would be taken for it.
            return Err(AppError::invalid("username", "reserved for Steward's AIOps user"));
        }
        let role = Role::parse(&input.role).map_err(|e| AppError::invalid("role", e))?;
        let display_name = match input.display_name.as_deref() {
            Some(d) if !d.trim().is_empty() => parse_display_name(d)?,
            _ => username.to_string(),
        };
        let email = parse_email(input.email.as_deref().unwrap_or(""))?;
        let password = Password::parse(&input.password).map_err(|e| AppError::invalid("password", e))?;
        let password_hash = Some(hash_password(password.expose().to_owned()).await?);
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let organisation = parse_organisation(input.organisation.as_deref())?;
        let new = NewUser { username, display_name, email, role, password_hash, locale: None, organisation };
        let user = tx.insert_user(at, &new).await?;
        let event = UserEvent::Created(Box::new(user_snapshot(&user)));
        record(&mut tx, at, actor, DomainEvent::User { id: Some(user.id), event }).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Changes a user. Admins change anyone; everyone may change their own display name, email,
    /// locale and password, but not their role or status.
    pub async fn update_user(
        self,
        actor: &Actor,
        id: UserId,
        expected_version: Option<i64>,
        update: UserUpdate,
    ) -> Result<User> {
        let privileged = update.role.is_some()
            || update.disabled.is_some()
            || update.organisation.is_some()
            || update.manager_id.is_some();
        if actor.user.id != id || privileged {
            actor.require(Permission::ManageDirectory)?;
        } else {
            // Changing one's own profile or password is a write: a read-only token may not.
            actor.require(Permission::ManageOwnTokens)?;
        }
        if actor.user.id == id
            && (update.disabled == Some(true) || update.role.as_deref().is_some_and(|r| r != "admin"))
        {
            return Err(AppError::Conflict {
                field: Some(if update.disabled.is_some() { "disabled" } else { "role" }),
                message: "you may not disable yourself or give up your own admin role".into(),
            });
        }
        let patch = UserPatch {
            display_name: update.display_name.as_deref().map(parse_display_name).transpose()?,
            email: update.email.map(|e| parse_email(e.as_deref().unwrap_or(""))).transpose()?,
            role: update
                .role
                .as_deref()
                .map(|r| Role::parse(r).map_err(|e| AppError::invalid("role", e)))
                .transpose()?,
            disabled: update.disabled,
            locale: update.locale.map(|l| parse_locale(l.as_deref().unwrap_or(""))).transpose()?,
            organisation: update.organisation.map(|o| parse_organisation(o.as_deref())).transpose()?,
            time_zone: update.time_zone.map(|z| parse_time_zone(z.as_deref().unwrap_or(""))).transpose()?,
            manager_id: update.manager_id,
        };
        let password_hash = match update.password {
            Some(p) => {
                let p = Password::parse(&p).map_err(|e| AppError::invalid("password", e))?;
                Some(hash_password(p.expose().to_owned()).await?)
            }
            None => None,
        };
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let before = tx.user(id).await?.ok_or(AppError::NotFound("user"))?;
        if let Some(Some(manager)) = update.manager_id {
            check_manager(&mut tx, id, manager).await?;
        }
        let mut after = tx.update_user(at, id, expected_version, &patch).await?;

        if after.disabled && !before.disabled {
            tx.delete_sessions_of(id, None).await?;
        }
        if after != before {
            let event = UserEvent::Updated {
                before: Box::new(user_snapshot(&before)),
                after: Box::new(user_snapshot(&after)),
            };
            record(&mut tx, at, Some(actor), DomainEvent::User { id: Some(id), event }).await?;
        }
        if let Some(hash) = password_hash {
            tx.set_password_hash(at, id, &hash).await?;
            tx.clear_throttle(&ThrottleKey::name(after.username.as_str())).await?;
            // Other browsers signed in as this user lose their sessions with the old password;
            // the one making the change stays signed in.
            let keep = match &actor.credential {
                crate::Credential::Session { id: session, .. } if actor.user.id == id => Some(*session),
                _ => None,
            };
            tx.delete_sessions_of(id, keep).await?;
            let event = UserEvent::PasswordChanged;
            record(&mut tx, at, Some(actor), DomainEvent::User { id: Some(id), event }).await?;
            after = tx.user(id).await?.ok_or(AppError::NotFound("user"))?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Sets (or clears) whose approval a user's service requests need: an admin, or the
    /// system (`None`: the demo, the CLI).
    pub async fn set_manager(
        self,
        actor: Option<&Actor>,
        id: UserId,
        manager: Option<UserId>,
    ) -> Result<User> {
        if let Some(a) = actor {
            a.require(Permission::ManageDirectory)?;
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let before = tx.user(id).await?.ok_or(AppError::NotFound("user"))?;
        if let Some(m) = manager {
            check_manager(&mut tx, id, m).await?;
        }
        let patch = UserPatch { manager_id: Some(manager), ..UserPatch::default() };
        let after = tx.update_user(at, id, None, &patch).await?;
        if after != before {
            let event = UserEvent::Updated {
                before: Box::new(user_snapshot(&before)),
                after: Box::new(user_snapshot(&after)),
            };
            record(&mut tx, at, actor, DomainEvent::User { id: Some(id), event }).await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Sets a password from the command line run on the server (no actor).
    pub async fn reset_password(self, username: &str, password: &str) -> Result<User> {
        let user = self.directory().user_by_username(username).await?;
        let p = Password::parse(password).map_err(|e| AppError::invalid("password", e))?;
        let hash = hash_password(p.expose().to_owned()).await?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.set_password_hash(at, user.id, &hash).await?;
        tx.clear_throttle(&ThrottleKey::name(user.username.as_str())).await?;
        tx.delete_sessions_of(user.id, None).await?;
        let event = UserEvent::PasswordChanged;
        record(&mut tx, at, None, DomainEvent::User { id: Some(user.id), event }).await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn list_teams(self, actor: &Actor) -> Result<Vec<TeamWithMembers>> {
        actor.require(Permission::ViewDirectory)?;
        Ok(self.store.list_teams().await?)
    }

    pub async fn create_team(
        self,
        actor: Option<&Actor>,
        name: &str,
        description: &str,
    ) -> Result<steward_core::identity::Team> {
        if let Some(a) = actor {
            a.require(Permission::ManageDirectory)?;
        }
        let name = TeamName::parse(name).map_err(|e| AppError::invalid("name", e))?;
        let description = description.trim();
        if description.chars().count() > 2000 {
            return Err(AppError::invalid("description", "a description may not exceed 2000 characters"));
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let team = tx.insert_team(at, &name, description).await?;
        let event = TeamEvent::Created { name: team.name.to_string(), description: team.description.clone() };
        record(&mut tx, at, actor, DomainEvent::Team { id: team.id, event }).await?;
        tx.commit().await?;
        Ok(team)
    }

    /// Makes team `id` the intake team, which takes the new tickets no category routes
    /// (`intake = false`: it stops being it). At most one team is.
    pub async fn set_intake_team(self, actor: Option<&Actor>, id: TeamId, intake: bool) -> Result<()> {
        if let Some(a) = actor {
            a.require(Permission::ManageDirectory)?;
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.team(id).await?.ok_or(AppError::NotFound("team"))?;
        let current = self.store.intake_team().await?;
        if (current == Some(id)) == intake {
            return Ok(());
        }
        if let Some(previous) = current.filter(|_| intake) {
            let event = TeamEvent::IntakeChanged { intake: false };
            record(&mut tx, at, actor, DomainEvent::Team { id: previous, event }).await?;
        }
        tx.set_intake_team(intake.then_some(id)).await?;
        record(&mut tx, at, actor, DomainEvent::Team { id, event: TeamEvent::IntakeChanged { intake } })
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The team that takes the new tickets no category routes.
    pub async fn intake_team(self) -> Result<Option<TeamId>> {
        Ok(self.store.intake_team().await?)
    }

    /// Adds (`member = true`) or removes a user from a team.
    pub async fn set_team_member(
        self,
        actor: Option<&Actor>,
        team_id: TeamId,
        user_id: UserId,
        member: bool,
    ) -> Result<bool> {
        if let Some(a) = actor {
            a.require(Permission::ManageDirectory)?;
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.team(team_id).await?.ok_or(AppError::NotFound("team"))?;
        let user = tx.user(user_id).await?.ok_or(AppError::NotFound("user"))?;
        let changed = if member {
            tx.add_team_member(at, team_id, user_id).await?
        } else {
            tx.remove_team_member(team_id, user_id).await?
        };
        if changed {
            let username = user.username.to_string();
            let event = match member {
                true => TeamEvent::MemberAdded { user_id, username },
                false => TeamEvent::MemberRemoved { user_id, username },
            };
            record(&mut tx, at, actor, DomainEvent::Team { id: team_id, event }).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    pub async fn teams_of(self, user_id: UserId) -> Result<Vec<steward_core::identity::Team>> {
        Ok(self.store.teams_of(user_id).await?)
    }
}

/// Names of people and teams, for showing ids on pages. Holds only names, so it is given to
/// anyone who may see a ticket that refers to them.
#[derive(Debug, Clone, Default)]
pub struct DirectoryNames {
    pub users: std::collections::HashMap<UserId, (String, String)>,
    pub teams: std::collections::HashMap<TeamId, String>,
    /// (id, display name) of people who can be assigned tickets, by name.
    pub assignable: Vec<(UserId, String)>,
}

impl DirectoryNames {
    pub fn user(&self, id: Option<UserId>) -> String {
        id.and_then(|i| self.users.get(&i)).map(|(_, d)| d.clone()).unwrap_or_default()
    }

    pub fn team(&self, id: Option<TeamId>) -> String {
        id.and_then(|i| self.teams.get(&i)).cloned().unwrap_or_default()
    }
}

impl crate::Directory<'_> {
    pub async fn names(self) -> Result<DirectoryNames> {
        let users = self.store.list_users().await?;
        let teams = self.store.list_teams().await?;
        let mut assignable: Vec<(UserId, String)> = users
            .iter()
            .filter(|u| !u.disabled && u.role.allows(Permission::WorkTickets))
            .map(|u| (u.id, u.display_name.clone()))
            .collect();
        assignable.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(DirectoryNames {
            users: users.into_iter().map(|u| (u.id, (u.username.to_string(), u.display_name))).collect(),
            teams: teams.into_iter().map(|t| (t.team.id, t.team.name)).collect(),
            assignable,
        })
    }
}

impl crate::Directory<'_> {
    /// Whether team `id` exists. Teams are never deleted (there is no operation that does),
    /// so a team found once is remembered and later checks cost no database round trip.
    pub(crate) async fn team_exists(self, id: TeamId) -> Result<bool> {
        let seen = |s: &std::collections::HashSet<TeamId>| s.contains(&id);
        if seen(&self.teams_seen.read().unwrap_or_else(std::sync::PoisonError::into_inner)) {
            return Ok(true);
        }
        let found = self.store.team(id).await?.is_some();
        if found {
            self.teams_seen.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(id);
        }
        Ok(found)
    }
}
