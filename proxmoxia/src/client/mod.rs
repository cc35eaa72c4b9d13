//! The [`Client`]: one place that sends every request, typed or raw.

mod builder;
pub(crate) mod session;
mod transport;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

pub use builder::{ClientBuilder, DEFAULT_PORT};

use crate::auth::{self, ApiToken, LoginInfo, LoginStep, Session, TfaAnswer, TfaChallenge};
use crate::encode::Form;
use crate::error::{AuthError, Error, Result};
use crate::secret::Secret;
use crate::version::PveVersion;
use session::{AuthManager, AuthState, RequestAuth};
pub(crate) use transport::Body;
pub use transport::api_error_of;

/// A Proxmox VE API client.
///
/// Cheap to clone (an `Arc` inside) and `Send + Sync`: clones share the connection pool and
/// the login, so one renewal serves every task.
///
/// ```no_run
/// # async fn demo() -> proxmoxia::Result<()> {
/// let client = proxmoxia::Client::builder("pve1.example.com")
///     .fingerprint("AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89")
///     .build()?;
/// client.login("root@pam", "secret").await?;
/// let nodes = client.raw("/nodes").get(()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// `https://host:port/api2/json`
    base: String,
    timeout: Option<Duration>,
    auth: AuthManager,
    /// The cluster's version: given, or read once from `GET /version`.
    pve_version: tokio::sync::OnceCell<PveVersion>,
    /// Typed calls refuse what that version lacks.
    version_guard: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &*self.inner.auth.read() {
            AuthState::Anonymous => "none".to_owned(),
            AuthState::Token(t) => format!("token {}", t.id()),
            AuthState::Ticket { session, .. } => format!("ticket of {}", session.user),
        };
        f.debug_struct("Client")
            .field("base", &self.inner.base)
            .field("auth", &auth)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts building a client for `host`: a name, `name:port`, or `https://name:port`.
    pub fn builder(host: &str) -> ClientBuilder {
        ClientBuilder::new(host)
    }

    /// The API root, `https://host:port/api2/json`.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Logs in with a user (`user@realm`) and password, and keeps the ticket for later
    /// requests. The password is kept in memory to log in again if the ticket is revoked or
    /// expires unused; call [`forget_password`](Client::forget_password) to drop it.
    ///
    /// Accounts with a second factor get [`AuthError::TfaRequired`]: use
    /// [`start_login`](Client::start_login) for them.
    pub async fn login(&self, user: &str, password: &str) -> Result<LoginInfo> {
        match self.start_login(user, password).await? {
            LoginStep::Done(info) => Ok(info),
            LoginStep::NeedTfa(challenge) => Err(AuthError::TfaRequired {
                user: challenge.user().to_owned(),
            }
            .into()),
        }
    }

    /// First step of a login that may need a second factor. On
    /// [`LoginStep::NeedTfa`], ask the user for a code and call
    /// [`finish_tfa`](Client::finish_tfa); nothing is kept until then.
    pub async fn start_login(&self, user: &str, password: &str) -> Result<LoginStep> {
        let data = self
            .post_ticket(user, auth::password_form(user, password))
            .await?;
        let (step, session) = auth::parse_login(user, data)?;
        if let Some(session) = session {
            self.inner
                .auth
                .set_session(session, Some(Some(Secret::new(password))));
        }
        Ok(step)
    }

    /// Second step: answers PVE's TFA challenge and keeps the ticket. Tickets of TFA logins
    /// are renewed like others, but cannot be re-obtained without the user: the password is
    /// not kept.
    pub async fn finish_tfa(
        &self,
        challenge: &TfaChallenge,
        answer: TfaAnswer,
    ) -> Result<LoginInfo> {
        let data = self
            .post_ticket(challenge.user(), auth::tfa_form(challenge, &answer))
            .await?;
        match auth::parse_login(challenge.user(), data)? {
            (LoginStep::Done(info), Some(session)) => {
                self.inner.auth.set_session(session, Some(None));
                Ok(info)
            }
            _ => Err(
                AuthError::BadAnswer("second factor answered with another challenge".into()).into(),
            ),
        }
    }

    /// Uses an API token for every later request (replacing any login).
    pub fn set_api_token(&self, token: ApiToken) {
        self.inner.auth.set_token(token);
    }

    /// The current login ticket, to cache between runs (see [`Session`]). `None` without a
    /// ticket login.
    pub fn session(&self) -> Option<Session> {
        self.inner.auth.session()
    }

    /// Uses a ticket obtained earlier (e.g. by another run). No password is kept, so when
    /// the ticket expires the next request fails with [`AuthError::TicketExpired`].
    pub fn set_session(&self, session: Session) {
        self.inner.auth.set_session(session, Some(None));
    }

    /// Drops the password kept by [`login`](Client::login): the ticket is still renewed,
    /// but a revoked or expired one is not re-obtained.
    pub fn forget_password(&self) {
        self.inner.auth.forget_password();
    }

    /// Forgets every credential.
    pub fn logout(&self) {
        self.inner.auth.clear();
    }

    /// The cluster's PVE version: the one given to
    /// [`ClientBuilder::pve_version`], or read from `GET /version` on first use and kept
    /// (clones share it). Typed calls that use something not every vendored version has
    /// check it before sending (see [`Error::Unsupported`]).
    pub async fn pve_version(&self) -> Result<PveVersion> {
        let version = self
            .inner
            .pve_version
            .get_or_try_init(|| async {
                let answer = self.call(Method::GET, "version", Form::new()).await?;
                let text = answer
                    .get("version")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        Error::decode(
                            "expected the version as a string",
                            "data.version",
                            answer.to_string(),
                        )
                    })?;
                PveVersion::parse(text)
            })
            .await?;
        Ok(version.clone())
    }

    /// Whether typed calls check the cluster's version before sending
    /// ([`ClientBuilder::version_guard`]).
    pub(crate) fn version_guard(&self) -> bool {
        self.inner.version_guard
    }

    /// Sends one request and returns the unwrapped `data` of PVE's answer.
    pub(crate) async fn call(&self, method: Method, path: &str, form: Form) -> Result<Value> {
        let body = self.send(method, path, form).await?;
        crate::decode::data_json(&body)
    }

    /// Sends one request (renewing the ticket first when due, logging in again once on an
    /// expired ticket) and returns the body of a successful answer.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        form: Form,
    ) -> Result<bytes::Bytes> {
        self.send_with(method, path, form, self.inner.timeout, || async {
            Ok(Body::None)
        })
        .await
    }

    /// Like [`send`](Client::send) with a body beyond the form (an upload stream) and its own
    /// timeout. `body` makes the body afresh for each attempt, since a stream cannot be
    /// replayed after a 401.
    pub(crate) async fn send_with<F, Fut>(
        &self,
        method: Method,
        path: &str,
        form: Form,
        timeout: Option<Duration>,
        body: F,
    ) -> Result<bytes::Bytes>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Body>>,
    {
        self.renew_if_due().await?;
        let auth = self.inner.auth.request_auth();
        let first = self
            .inner
            .transport(&method, path, &form, body().await?, &auth, timeout)
            .await;
        match first {
            Err(Error::Api(e)) if e.status == 401 => {
                let RequestAuth::Ticket { generation, .. } = auth else {
                    return Err(self.rejected(*e));
                };
                // A 401 means PVE refused before doing anything, so sending again is safe.
                self.recover_ticket(generation, &e.message).await?;
                let auth = self.inner.auth.request_auth();
                match self
                    .inner
                    .transport(&method, path, &form, body().await?, &auth, timeout)
                    .await
                {
                    Err(Error::Api(e)) if e.status == 401 => Err(AuthError::Rejected {
                        user: self
                            .inner
                            .auth
                            .session()
                            .map(|s| s.user)
                            .unwrap_or_default(),
                        message: e.message,
                    }
                    .into()),
                    other => other,
                }
            }
            other => other,
        }
    }

    fn rejected(&self, e: crate::error::ApiError) -> Error {
        match &*self.inner.auth.read() {
            AuthState::Token(t) => AuthError::Rejected {
                user: t.id().to_owned(),
                message: e.message,
            }
            .into(),
            AuthState::Anonymous => AuthError::NotLoggedIn.into(),
            AuthState::Ticket { .. } => Error::Api(Box::new(e)),
        }
    }

    /// Renews the ticket if it is older than the renewal age. One caller renews; the others
    /// wait for it and use the new ticket.
    async fn renew_if_due(&self) -> Result<()> {
        if !self.inner.auth.renewal_due() {
            return Ok(());
        }
        let _guard = self.inner.auth.renewing.lock().await;
        if !self.inner.auth.renewal_due() {
            return Ok(()); // renewed while we waited
        }
        let Some((user, ticket, password, _)) = self.inner.auth.ticket_login() else {
            return Ok(());
        };
        let expired = self.inner.auth.session().is_some_and(|s| s.is_expired());
        if !expired {
            let renewal = self
                .post_ticket(&user, auth::password_form(&user, ticket.expose()))
                .await
                .and_then(|data| auth::parse_login(&user, data));
            match renewal {
                Ok((_, Some(session))) => {
                    tracing::debug!(user = %user, "PVE ticket renewed");
                    self.inner.auth.set_session(session, None);
                    return Ok(());
                }
                Ok(_) => {}
                Err(e @ (Error::Transport(_) | Error::Tls { .. })) => {
                    // The old ticket is still valid for a while: carry on with it.
                    tracing::warn!(user = %user, error = %e, "PVE ticket renewal failed; keeping the current ticket");
                    return Ok(());
                }
                Err(e) => {
                    tracing::warn!(user = %user, error = %e, "PVE refused to renew the ticket")
                }
            }
        }
        match password {
            Some(password) => self.relogin(&user, &password).await,
            None if expired => Err(AuthError::TicketExpired {
                user,
                message: "the ticket is over two hours old".into(),
            }
            .into()),
            None => Ok(()),
        }
    }

    /// After a 401 with ticket `generation`: log in again if possible (once for all callers).
    async fn recover_ticket(&self, generation: u64, message: &str) -> Result<()> {
        let _guard = self.inner.auth.renewing.lock().await;
        if self.inner.auth.generation() != Some(generation) {
            return Ok(()); // another caller already got a new ticket
        }
        match self.inner.auth.ticket_login() {
            Some((user, _, Some(password), _)) => self.relogin(&user, &password).await,
            Some((user, ..)) => Err(AuthError::TicketExpired {
                user,
                message: message.trim_end().to_owned(),
            }
            .into()),
            None => Err(AuthError::NotLoggedIn.into()),
        }
    }

    async fn relogin(&self, user: &str, password: &Secret) -> Result<()> {
        tracing::debug!(user = %user, "logging in again for a new PVE ticket");
        let data = self
            .post_ticket(user, auth::password_form(user, password.expose()))
            .await?;
        match auth::parse_login(user, data)? {
            (_, Some(session)) => {
                self.inner.auth.set_session(session, None);
                Ok(())
            }
            _ => Err(AuthError::TfaRequired { user: user.into() }.into()),
        }
    }

    /// `POST /access/ticket`: sent without credentials; a 401 becomes an auth error.
    async fn post_ticket(&self, user: &str, form: Form) -> Result<auth::LoginAnswer> {
        let result = self
            .inner
            .transport(
                &Method::POST,
                "access/ticket",
                &form,
                Body::None,
                &RequestAuth::None,
                self.inner.timeout,
            )
            .await;
        match result {
            Ok(body) => auth::login_answer(&body),
            Err(Error::Api(e)) if e.status == 401 => Err(AuthError::Rejected {
                user: user.to_owned(),
                message: e.message,
            }
            .into()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_sync_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<Client>();
    }
}
