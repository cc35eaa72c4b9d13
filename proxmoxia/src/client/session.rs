//! The client's credentials, shared by all clones and all concurrent requests.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use crate::auth::{ApiToken, Session};
use crate::secret::Secret;

/// What authenticates requests right now.
#[derive(Debug)]
pub(crate) enum AuthState {
    Anonymous,
    Token(ApiToken),
    Ticket {
        session: Session,
        /// Kept for logging in again when the ticket cannot be renewed; `None` after
        /// `set_session` or `forget_password`.
        password: Option<Secret>,
        /// Bumped on every new ticket, so a request that failed with an old ticket can tell
        /// that another task already renewed it.
        generation: u64,
    },
}

/// The credentials one request goes out with.
#[derive(Debug, Clone)]
pub(crate) enum RequestAuth {
    None,
    Token(Secret),
    Ticket {
        cookie: Secret,
        csrf: Secret,
        generation: u64,
    },
}

#[derive(Debug)]
pub(crate) struct AuthManager {
    state: RwLock<AuthState>,
    /// Held while a ticket is renewed or re-obtained: one renewal, however many callers.
    pub(crate) renewing: tokio::sync::Mutex<()>,
    pub(crate) renew_after: Duration,
}

impl AuthManager {
    pub(crate) fn new(token: Option<ApiToken>, renew_after: Duration) -> AuthManager {
        AuthManager {
            state: RwLock::new(token.map_or(AuthState::Anonymous, AuthState::Token)),
            renewing: tokio::sync::Mutex::new(()),
            renew_after,
        }
    }

    // A panic while holding the lock cannot leave the state half-written (every write is one
    // assignment), so a poisoned lock is still good.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, AuthState> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, AuthState> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn request_auth(&self) -> RequestAuth {
        match &*self.read() {
            AuthState::Anonymous => RequestAuth::None,
            AuthState::Token(token) => RequestAuth::Token(Secret::new(token.header())),
            AuthState::Ticket {
                session,
                generation,
                ..
            } => RequestAuth::Ticket {
                cookie: session.ticket().clone(),
                csrf: session.csrf_token().clone(),
                generation: *generation,
            },
        }
    }

    /// Installs a new ticket; `password` `None` keeps the stored one.
    pub(crate) fn set_session(&self, session: Session, password: Option<Option<Secret>>) {
        let mut state = self.write();
        let (old_password, generation) = match &*state {
            AuthState::Ticket {
                password,
                generation,
                ..
            } => (password.clone(), *generation),
            _ => (None, 0),
        };
        *state = AuthState::Ticket {
            session,
            password: password.unwrap_or(old_password),
            generation: generation + 1,
        };
    }

    pub(crate) fn set_token(&self, token: ApiToken) {
        *self.write() = AuthState::Token(token);
    }

    pub(crate) fn clear(&self) {
        *self.write() = AuthState::Anonymous;
    }

    pub(crate) fn forget_password(&self) {
        if let AuthState::Ticket { password, .. } = &mut *self.write() {
            *password = None;
        }
    }

    pub(crate) fn session(&self) -> Option<Session> {
        match &*self.read() {
            AuthState::Ticket { session, .. } => Some(session.clone()),
            _ => None,
        }
    }

    /// The ticket's user, password and generation, if a ticket is in use.
    pub(crate) fn ticket_login(&self) -> Option<(String, Secret, Option<Secret>, u64)> {
        match &*self.read() {
            AuthState::Ticket {
                session,
                password,
                generation,
            } => Some((
                session.user.clone(),
                session.ticket().clone(),
                password.clone(),
                *generation,
            )),
            _ => None,
        }
    }

    /// True when the ticket should be renewed before the next request.
    pub(crate) fn renewal_due(&self) -> bool {
        match &*self.read() {
            AuthState::Ticket { session, .. } => session.age() >= self.renew_after,
            _ => false,
        }
    }

    pub(crate) fn generation(&self) -> Option<u64> {
        match &*self.read() {
            AuthState::Ticket { generation, .. } => Some(*generation),
            _ => None,
        }
    }
}
