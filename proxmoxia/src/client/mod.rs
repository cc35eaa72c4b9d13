//! The [`Client`]: one place that sends every request, typed or raw.

mod builder;
pub(crate) mod session;
mod transport;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

pub use builder::{
    ClientBuilder, DEFAULT_MAX_ANSWER_VALUES, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT,
    DEFAULT_TRANSFER_INACTIVITY_TIMEOUT,
};

use crate::auth::{self, ApiToken, LoginInfo, LoginStep, Session, TfaAnswer, TfaChallenge};
use crate::encode::Form;
use crate::error::{AuthError, Error, Result};
use crate::retry_policy::RetryPolicy;
use crate::secret::Secret;
use crate::version::PveVersion;
use session::{AuthManager, AuthState, RequestAuth, TicketDue};
pub use transport::api_error_of;
pub(crate) use transport::{Body, map_reqwest_error};

/// A Proxmox VE API client.
///
/// Cheap to clone (an `Arc` inside) and `Send + Sync`: clones share the connection pool and
/// the login, so one renewal serves every task.
///
/// # Errors and retries
///
/// Every failure is an [`Error`]; [`Error::kind`] says what it means (a held lock, lost
/// quorum, a missing guest, ...) and [`Error::is_retry_safe`] whether sending the request
/// again can do harm. With [`ClientBuilder::retry`] the client repeats transient, retry-safe
/// failures itself; it never repeats a write whose fate is unknown.
///
/// # Cancellation
///
/// Every request future may be dropped at any point (a `tokio::time::timeout`, a
/// `select!`, an aborted task); the client stays usable and consistent:
///
/// * Dropped before the request was sent, nothing reaches PVE. Dropped after, the
///   connection is closed and PVE is not told: **PVE carries the request out anyway** (a
///   write happens, a task starts), exactly as after a timeout. Treat a cancelled write like
///   one whose fate is unknown and look before repeating it.
/// * The connection of a cancelled request is not reused; other requests and clones are not
///   affected, and the next request opens a new connection if needed.
/// * A cancelled login, ticket renewal or re-login leaves the previous credentials in place
///   (a new ticket is stored only once it has fully arrived), and frees the renewal lock, so
///   the next request renews or logs in again as usual.
/// * A cancelled retry ([`RetryPolicy`]) sends nothing more; a cancelled
///   [`TaskHandle::wait`](crate::TaskHandle::wait) leaves the task running.
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
    /// Opt-in retries of failed requests.
    retry: Option<RetryPolicy>,
    /// The largest answer body read ([`ClientBuilder::max_body_bytes`]).
    max_body_bytes: u64,
    /// The most JSON values an answer may hold ([`ClientBuilder::max_answer_values`]).
    max_answer_values: u64,
    /// How long a transfer may make no progress
    /// ([`ClientBuilder::transfer_inactivity_timeout`]).
    transfer_inactivity: Option<Duration>,
    #[cfg(feature = "console")]
    console: ConsoleSettings,
}

/// What a console's websocket connection needs of the client's settings.
#[cfg(feature = "console")]
#[derive(Debug, Clone)]
pub(crate) struct ConsoleSettings {
    /// The rustls configuration the HTTP client uses: the same pins and CAs.
    pub(crate) tls: Arc<rustls::ClientConfig>,
    pub(crate) connect_timeout: Duration,
    pub(crate) user_agent: String,
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
        let (step, session) = auth::parse_login(user, data, self.inner.auth.clock.offset())?;
        if let Some(session) = session {
            self.inner
                .auth
                .set_received(session, Some(Some(Secret::new(password))), false);
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
        match auth::parse_login(challenge.user(), data, self.inner.auth.clock.offset())? {
            (LoginStep::Done(info), Some(session)) => {
                self.inner.auth.set_received(session, Some(None), false);
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
                        .answering("GET")
                    })?;
                PveVersion::parse(text)
            })
            .await?;
        Ok(version.clone())
    }

    /// How long a transfer may make no progress
    /// ([`ClientBuilder::transfer_inactivity_timeout`]).
    pub(crate) fn transfer_inactivity(&self) -> Option<Duration> {
        self.inner.transfer_inactivity
    }

    /// A request's URL as errors and logs show it (secret values as `***`).
    pub(crate) fn shown_url(&self, method: &Method, path: &str, form: &Form) -> String {
        self.inner.shown_url(method, path, form)
    }

    /// The cluster's version if the client knows it already (given, or read before).
    #[cfg(feature = "audit")]
    pub(crate) fn known_pve_version(&self) -> Option<PveVersion> {
        self.inner.pve_version.get().cloned()
    }

    /// Whether typed calls check the cluster's version before sending
    /// ([`ClientBuilder::version_guard`]).
    pub(crate) fn version_guard(&self) -> bool {
        self.inner.version_guard
    }

    /// Sends one request and returns the unwrapped `data` of PVE's answer.
    pub(crate) async fn call(&self, method: Method, path: &str, form: Form) -> Result<Value> {
        let body = self.send(method.clone(), path, form).await?;
        crate::decode::data_json(&body).map_err(|e| e.answering(method.as_str()))
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
    /// replayed after a 401 or a retry. Failed attempts are repeated as the client's
    /// [`RetryPolicy`] says.
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
        let policy = self.inner.retry.as_ref();
        crate::retry_policy::run(policy, method.as_str(), path, || {
            self.send_once(&method, path, &form, timeout, &body)
        })
        .await
    }

    /// One attempt of [`send_with`](Client::send_with).
    async fn send_once<F, Fut>(
        &self,
        method: &Method,
        path: &str,
        form: &Form,
        timeout: Option<Duration>,
        body: &F,
    ) -> Result<bytes::Bytes>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Body>>,
    {
        self.authenticated(method, path, |auth| async move {
            let body = body().await?;
            self.inner
                .transport(method, path, form, body, &auth, timeout)
                .await
        })
        .await
    }

    /// Sends a `GET` whose answer is a file: the 2xx response with its body unread (to be
    /// streamed), and its URL. Authenticates as [`send`](Client::send) does.
    pub(crate) async fn open(
        &self,
        path: &str,
        form: Form,
        timeout: Option<Duration>,
    ) -> Result<(reqwest::Response, String)> {
        let form = &form;
        self.authenticated(&Method::GET, path, |auth| async move {
            self.inner
                .open(&Method::GET, path, form, &auth, timeout)
                .await
        })
        .await
    }

    /// Runs `exchange` with the client's credentials, for every kind of call: renews the
    /// ticket when due, refuses a write before login unsent, and after a 401 on a ticket
    /// logs in again (once for all callers) and sends once more. A 401 means PVE refused
    /// before doing anything, so sending again is safe; whatever the server answers, a call
    /// makes at most one re-login and one retry.
    async fn authenticated<T, F, Fut>(&self, method: &Method, path: &str, exchange: F) -> Result<T>
    where
        F: Fn(RequestAuth) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        self.renew_if_due().await?;
        // Taken before sending: after a 401, tells whether another caller has tried for a
        // new ticket since.
        let attempts = self.inner.auth.attempts();
        let auth = self.inner.auth.request_auth();
        if matches!(auth, RequestAuth::None) && is_write(method) && !anonymous_write(path) {
            // PVE would refuse it (401): say so without sending anything.
            return Err(AuthError::NotLoggedIn.into());
        }
        match exchange(auth.clone()).await {
            Err(Error::Api(e)) if e.status == 401 => {
                let RequestAuth::Ticket { generation, .. } = auth else {
                    return Err(self.rejected(*e));
                };
                // Boxed, as a renewal is (see `renew_if_due`).
                Box::pin(self.recover_ticket(generation, attempts, &e.message)).await?;
                match exchange(self.inner.auth.request_auth()).await {
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

    /// Renews the ticket if it is older than the renewal age (by the server's clock). One
    /// caller renews; the others wait for it and use the new ticket. A failed renewal of a
    /// ticket still valid is not an error: the ticket is used, and renewal is not tried again
    /// for the back-off period.
    async fn renew_if_due(&self) -> Result<()> {
        if self.inner.auth.ticket_due() == TicketDue::No {
            return Ok(());
        }
        // Boxed: the renewal's state (a whole login exchange) is then not carried in the
        // future of every request.
        Box::pin(self.renew_due()).await
    }

    /// [`renew_if_due`](Client::renew_if_due) once the ticket looked due.
    async fn renew_due(&self) -> Result<()> {
        let auth = &self.inner.auth;
        let attempts = auth.attempts();
        let _guard = auth.renewing.lock().await;
        let due = auth.ticket_due();
        let Some((user, ticket, password, _)) = auth.ticket_login() else {
            return Ok(());
        };
        match due {
            TicketDue::No => Ok(()), // renewed, or failed to, while we waited
            TicketDue::Renew => {
                self.renew(&user, &ticket, password.as_ref()).await;
                Ok(())
            }
            TicketDue::Expired => match password {
                // Another caller just tried while we waited: share its failure.
                Some(_) if auth.attempts() != attempts => Err(AuthError::TicketExpired {
                    user,
                    message: format!(
                        "the ticket is over two hours old, and logging in again failed: {}",
                        auth.last_failure().unwrap_or_default()
                    ),
                }
                .into()),
                Some(password) => self.relogin(&user, &password).await,
                None => Err(AuthError::TicketExpired {
                    user,
                    message: "the ticket is over two hours old".into(),
                }
                .into()),
            },
        }
    }

    /// One renewal attempt of a ticket still valid (the caller holds `renewing`): the ticket
    /// as the password, or, if PVE refuses it, the kept password. On failure the ticket
    /// stays, and the back-off starts.
    async fn renew(&self, user: &str, ticket: &Secret, password: Option<&Secret>) {
        self.inner.auth.start_attempt();
        let renewal = self
            .post_ticket(user, auth::password_form(user, ticket.expose()))
            .await
            .and_then(|data| auth::parse_login(user, data, self.inner.auth.clock.offset()));
        let failure = match renewal {
            Ok((_, Some(session))) => {
                tracing::debug!(user = %user, "PVE ticket renewed");
                self.inner.auth.set_received(session, None, true);
                return;
            }
            Ok(_) => Error::from(AuthError::BadAnswer(
                "renewal answered with a TFA challenge".into(),
            )),
            // PVE no longer takes the ticket (revoked): log in again if we can.
            Err(e @ Error::Auth(AuthError::Rejected { .. })) => match password {
                Some(password) => match self.login_again(user, password).await {
                    Ok(()) => return,
                    Err(e) => e,
                },
                None => e,
            },
            Err(e) => e,
        };
        tracing::warn!(
            user = %user,
            error = %failure,
            backoff_s = self.inner.auth.renew_backoff.as_secs(),
            "PVE ticket renewal failed; keeping the current ticket"
        );
        self.inner.auth.attempt_failed(failure.to_string());
    }

    /// After a 401 with ticket `generation` on a request sent when `attempts` renewals and
    /// re-logins had been made: log in again if possible, once for all callers. Nothing is
    /// tried when another caller already tried since the request was sent, or within the
    /// back-off period after a failed attempt, so a server that refuses everything sees one
    /// re-login per back-off period, however many calls.
    async fn recover_ticket(&self, generation: u64, attempts: u64, message: &str) -> Result<()> {
        let auth = &self.inner.auth;
        let _guard = auth.renewing.lock().await;
        if auth.generation() != Some(generation) {
            return Ok(()); // another caller already got a new ticket
        }
        let message = message.trim_end();
        match auth.ticket_login() {
            Some((user, _, Some(password), _)) => {
                let tried = auth.attempts() != attempts;
                match auth.recent_failure() {
                    Some(why) => Err(AuthError::Rejected {
                        user,
                        message: format!("{message}; logging in again failed: {why}"),
                    }
                    .into()),
                    None if tried => Err(AuthError::Rejected {
                        user,
                        message: message.to_owned(),
                    }
                    .into()),
                    None => self.relogin(&user, &password).await,
                }
            }
            Some((user, ..)) => Err(AuthError::TicketExpired {
                user,
                message: message.to_owned(),
            }
            .into()),
            None => Err(AuthError::NotLoggedIn.into()),
        }
    }

    /// Logs in again with the kept password (the caller holds `renewing`), counting the
    /// attempt and, on failure, starting the back-off.
    async fn relogin(&self, user: &str, password: &Secret) -> Result<()> {
        self.inner.auth.start_attempt();
        self.login_again(user, password).await.inspect_err(|e| {
            self.inner.auth.attempt_failed(e.to_string());
        })
    }

    async fn login_again(&self, user: &str, password: &Secret) -> Result<()> {
        tracing::debug!(user = %user, "logging in again for a new PVE ticket");
        let data = self
            .post_ticket(user, auth::password_form(user, password.expose()))
            .await?;
        match auth::parse_login(user, data, self.inner.auth.clock.offset())? {
            (_, Some(session)) => {
                self.inner.auth.set_received(session, None, true);
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

/// What consoles (`crate::console`) use of the client.
#[cfg(feature = "console")]
impl Client {
    pub(crate) fn console_settings(&self) -> &ConsoleSettings {
        &self.inner.console
    }

    /// The credentials a console's websocket goes out with (as every request's).
    pub(crate) fn console_auth(&self) -> RequestAuth {
        self.inner.auth.request_auth()
    }

    /// The id of the API token in use, if one is.
    pub(crate) fn token_id(&self) -> Option<String> {
        match &*self.inner.auth.read() {
            AuthState::Token(token) => Some(token.id().to_owned()),
            _ => None,
        }
    }
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
}

/// The writes PVE serves without a login (its schema's `permissions: {user: world}`): the
/// logins themselves, and a VNC ticket check that carries its own ticket.
fn anonymous_write(path: &str) -> bool {
    matches!(
        path.trim_matches('/'),
        "access/ticket" | "access/openid/auth-url" | "access/openid/login" | "access/vncticket"
    )
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
