//! Identity: sign-in (API and form), users and teams, API tokens.
//! The area's routes join the one route table through [`routes`].

pub(crate) mod auth_api;
pub(crate) mod client;
pub(crate) mod directory_api;
pub(crate) mod directory_web;
pub(crate) mod login;
pub(crate) mod tokens_api;
pub(crate) mod tokens_web;

use axum::http::Method;
use steward_core::identity::Permission;

use crate::api::{Items, Op, TokenJson, UserJson};
use crate::web::{NavLink, nav};
use crate::{Access, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::{Authenticated as A, Public as P};
    use Method as M;
    vec![
        route(M::POST, "/api/v1/auth/login", P, auth_api::login).doc(
            Op::new("Sign in with a password; returns a bearer token")
                .body::<auth_api::LoginBody>()
                .ok::<auth_api::LoginResult>(),
        ),
        route(M::POST, "/api/v1/auth/logout", A, auth_api::logout)
            .doc(Op::new("Revoke the token in use").no_content()),
        route(M::GET, "/api/v1/me", A, auth_api::me)
            .doc(Op::new("The caller, their teams and scopes").ok::<auth_api::Me>()),
        route(M::GET, "/api/v1/users", A, directory_api::list_users)
            .doc(Op::new("List users").ok::<Items<UserJson>>()),
        route(M::POST, "/api/v1/users", A, directory_api::create_user)
            .doc(Op::new("Create a user (admin)").body::<directory_api::CreateUser>().created::<UserJson>()),
        route(M::GET, "/api/v1/users/{id}", A, directory_api::get_user)
            .doc(Op::new("One user (ETag = version)").ok::<UserJson>()),
        route(M::PATCH, "/api/v1/users/{id}", A, directory_api::update_user)
            .doc(Op::new("Change a user (If-Match)").body::<directory_api::PatchUser>().ok::<UserJson>()),
        route(M::GET, "/api/v1/teams", A, directory_api::list_teams)
            .doc(Op::new("Teams with members").ok::<Items<directory_api::TeamJson>>()),
        route(M::POST, "/api/v1/teams", A, directory_api::create_team).doc(
            Op::new("Create a team (admin)")
                .body::<directory_api::CreateTeam>()
                .created::<directory_api::TeamJson>(),
        ),
        route(M::PATCH, "/api/v1/teams/{id}", A, directory_api::update_team).doc(
            Op::new("Make a team the intake team, or stop it being that (admin)")
                .body::<directory_api::PatchTeam>()
                .ok::<directory_api::TeamJson>(),
        ),
        route(M::PUT, "/api/v1/teams/{id}/members/{user_id}", A, directory_api::add_member)
            .doc(Op::new("Add a member").no_content()),
        route(M::DELETE, "/api/v1/teams/{id}/members/{user_id}", A, directory_api::remove_member)
            .doc(Op::new("Remove a member").no_content()),
        route(M::GET, "/api/v1/tokens", A, tokens_api::list).doc(
            Op::new("Own API tokens, or everyone's")
                .query::<tokens_api::ListQuery>()
                .ok::<Items<TokenJson>>(),
        ),
        route(M::POST, "/api/v1/tokens", A, tokens_api::create).doc(
            Op::new("Issue a token; the secret is shown once")
                .body::<tokens_api::CreateToken>()
                .created::<tokens_api::IssuedToken>(),
        ),
        route(M::DELETE, "/api/v1/tokens/{id}", A, tokens_api::revoke)
            .doc(Op::new("Revoke a token").ok::<TokenJson>()),
        route(M::GET, "/login", P, login::form),
        route(M::POST, "/login", P, login::submit),
        route(M::POST, "/logout", A, login::logout),
        route(M::GET, "/admin/users", A, directory_web::users),
        route(M::POST, "/admin/users", A, directory_web::create_user),
        route(M::POST, "/admin/users/{id}", A, directory_web::update_user),
        route(M::GET, "/admin/teams", A, directory_web::teams),
        route(M::GET, "/admin/categories", A, directory_web::categories),
        route(M::POST, "/admin/categories", A, directory_web::create_category),
        route(M::POST, "/admin/categories/{id}/team", A, directory_web::route_category),
        route(M::POST, "/admin/teams/{id}/intake", A, directory_web::set_intake),
        route(M::POST, "/admin/teams", A, directory_web::create_team),
        route(M::POST, "/admin/teams/{id}/members", A, directory_web::add_member),
        route(M::POST, "/admin/teams/{id}/members/{user_id}/remove", A, directory_web::remove_member),
        route(M::GET, "/tokens", A, tokens_web::list),
        route(M::POST, "/tokens", A, tokens_web::create),
        route(M::POST, "/tokens/{id}/revoke", A, tokens_web::revoke),
    ]
}

/// The directory's links in the main navigation (admins and leads).
pub const DIRECTORY_NAV: &[NavLink] = &[
    nav(Some(Permission::ViewDirectory), "/admin/users", "nav-users", "nav.users"),
    nav(Some(Permission::ViewDirectory), "/admin/teams", "nav-teams", "nav.teams"),
    nav(Some(Permission::ViewDirectory), "/admin/categories", "nav-categories", "categories.title"),
];

/// Everyone's own API tokens.
pub const TOKENS_NAV: &[NavLink] = &[nav(None, "/tokens", "nav-tokens", "nav.tokens")];
