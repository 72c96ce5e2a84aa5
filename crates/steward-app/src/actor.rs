//! Who is acting, and through which credential.

use steward_core::identity::{Permission, ScopeSet, User};
use steward_core::ids::TokenId;

use crate::{AppError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session; forms must echo its CSRF token.
    Session { id: i64, csrf_token: String },
    /// A bearer token limited to its scopes.
    Token { id: TokenId, scopes: ScopeSet },
    /// The user acting without a stored credential, with every scope of the role: a password
    /// sign-in being completed (`POST /api/v1/auth/login`), or the demo seeder.
    Direct,
}

#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub credential: Credential,
}

impl Actor {
    /// Allows the operation when the role grants `permission` and, for a token, the token
    /// carries its scope.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if !self.user.role.allows(permission) {
            return Err(AppError::Forbidden(format!(
                "the {} role may not do this ({permission:?})",
                self.user.role
            )));
        }
        if let Credential::Token { scopes, .. } = &self.credential
            && !scopes.contains(permission.scope())
        {
            return Err(AppError::Forbidden(format!("this token lacks the `{}` scope", permission.scope())));
        }
        Ok(())
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.require(permission).is_ok()
    }
}
