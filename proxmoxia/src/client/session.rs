//! The client's credentials, shared by all clones and all concurrent requests.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::{DATE, HeaderMap, HeaderValue};

use crate::auth::{self, ApiToken, Session, TICKET_LIFETIME};
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

/// The credentials one request goes out with, as the header values it sends: made once
/// per credential, so that a request only clones them (a reference count).
#[derive(Debug, Clone)]
pub(crate) enum RequestAuth {
    None,
    /// `Authorization`.
    Token(AuthHeader),
    Ticket {
        /// `Cookie`.
        cookie: AuthHeader,
        /// `CSRFPreventionToken`, sent with writes.
        csrf: AuthHeader,
        generation: u64,
    },
}

/// A credential as a sensitive header value (shown as `Sensitive` by `Debug`), or `None` when
/// it has characters an HTTP header cannot carry: a request with it is then refused unsent.
pub(crate) type AuthHeader = Option<HeaderValue>;

fn auth_header(value: &str) -> AuthHeader {
    let mut value = HeaderValue::from_str(value).ok()?;
    value.set_sensitive(true);
    Some(value)
}

impl RequestAuth {
    fn of(state: &AuthState) -> RequestAuth {
        match state {
            AuthState::Anonymous => RequestAuth::None,
            AuthState::Token(token) => RequestAuth::Token(auth_header(&token.header())),
            AuthState::Ticket {
                session,
                generation,
                ..
            } => RequestAuth::ticket(
                session.ticket().expose(),
                session.csrf_token().expose(),
                *generation,
            ),
        }
    }

    /// A ticket's credentials. PVE reads the cookie raw: percent-encoding the ticket would
    /// break it.
    pub(crate) fn ticket(ticket: &str, csrf: &str, generation: u64) -> RequestAuth {
        RequestAuth::Ticket {
            cookie: auth_header(&format!("PVEAuthCookie={ticket}")),
            csrf: auth_header(csrf),
            generation,
        }
    }
}

/// Where a ticket stands, judged by the server's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TicketDue {
    /// No ticket, or nothing to do.
    No,
    /// Old enough to renew, and no renewal failed within the back-off period.
    Renew,
    /// Over two hours old: PVE no longer accepts it.
    Expired,
}

#[derive(Debug)]
pub(crate) struct AuthManager {
    state: RwLock<AuthState>,
    /// What `state` sends, made when it changes (under its write lock).
    request: RwLock<RequestAuth>,
    /// Held while a ticket is renewed or re-obtained: one attempt, however many callers.
    pub(crate) renewing: tokio::sync::Mutex<()>,
    pub(crate) renew_after: Duration,
    /// After a failed renewal or re-login, how long the current ticket is used without
    /// trying again.
    pub(crate) renew_backoff: Duration,
    pub(crate) clock: ServerClock,
    /// Renewal and re-login attempts so far: a caller that waited while one ran does not
    /// start another.
    attempts: AtomicU64,
    /// When the last attempt failed, and why; cleared by a new ticket.
    failure: Mutex<Option<(Instant, String)>>,
    /// How the ticket in use arrived from PVE, if it did (not imported).
    received: Mutex<Option<Received>>,
}

/// A ticket PVE issued, as it arrived.
#[derive(Debug, Clone, Copy)]
struct Received {
    /// The ticket's generation.
    generation: u64,
    /// When it arrived, by this machine's monotonic clock.
    at: Instant,
    /// Whether it replaced another (a renewal, a login again), rather than a first login.
    replacement: bool,
}

/// How much older than the time since it arrived a ticket may look before the server's
/// clock is taken to contradict it: PVE's own tolerance for clocks (a ticket up to five
/// minutes from the future is valid).
const CLOCK_TOLERANCE: Duration = Duration::from_secs(300);

/// The server's clock, as its `Date` headers tell: PVE judges a ticket's age by it. Without
/// `Date` headers, or once they contradicted a ticket PVE had just issued, it is read from
/// the tickets: a ticket's issue time is the server's clock when it arrived.
#[derive(Debug, Default)]
pub(crate) struct ServerClock {
    /// Seconds the server is ahead of this machine (negative: behind).
    offset: AtomicI64,
    /// Whether a `Date` header has been seen (else the offset is 0, an imported session's or
    /// the tickets').
    seen: AtomicBool,
    /// Whether `Date` headers contradicted the tickets: they are no longer read.
    ignore_dates: AtomicBool,
}

/// This machine's clock, in seconds since the epoch.
fn local_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl ServerClock {
    /// Learns the server's clock from an answer's `Date` header, if it has a valid one.
    pub(crate) fn observe(&self, headers: &HeaderMap) {
        self.observe_at(headers, local_now());
    }

    /// [`observe`](ServerClock::observe) with our clock at `local` seconds since the epoch.
    fn observe_at(&self, headers: &HeaderMap, local: i64) {
        if self.ignore_dates.load(Ordering::Relaxed) {
            return;
        }
        let Some(date) = headers
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
        else {
            return;
        };
        let server = match date.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        };
        // Stored only when it changes: every answer is observed, from every thread, and a
        // write would move the cache line between them each time.
        let offset = server.saturating_sub(local);
        if self.offset.load(Ordering::Relaxed) != offset {
            self.offset.store(offset, Ordering::Relaxed);
        }
        if !self.seen.load(Ordering::Relaxed) {
            self.seen.store(true, Ordering::Relaxed);
        }
    }

    /// Seconds the server's clock is ahead of ours (0 until known).
    pub(crate) fn offset(&self) -> i64 {
        self.offset.load(Ordering::Relaxed)
    }

    /// Takes an imported session's offset until the server's own `Date` is seen.
    fn adopt(&self, offset: i64) {
        if !self.seen.load(Ordering::Relaxed) {
            self.offset.store(offset, Ordering::Relaxed);
        }
    }

    /// A ticket issued at `issued` (the server's clock) arrived when our clock said `local`:
    /// unless `Date` headers tell the server's clock, that is it.
    fn ticket_arrived(&self, issued: u64, local: i64) {
        if !self.seen.load(Ordering::Relaxed) || self.ignore_dates.load(Ordering::Relaxed) {
            let issued = i64::try_from(issued).unwrap_or(i64::MAX);
            self.offset
                .store(issued.saturating_sub(local), Ordering::Relaxed);
        }
    }

    /// `Date` headers contradicted a ticket: they are ignored from now on, and the server's
    /// clock is `offset` seconds ahead of ours.
    fn distrust_dates(&self, offset: i64) {
        self.ignore_dates.store(true, Ordering::Relaxed);
        self.offset.store(offset, Ordering::Relaxed);
    }
}

impl AuthManager {
    pub(crate) fn new(
        token: Option<ApiToken>,
        renew_after: Duration,
        renew_backoff: Duration,
    ) -> AuthManager {
        let state = token.map_or(AuthState::Anonymous, AuthState::Token);
        AuthManager {
            request: RwLock::new(RequestAuth::of(&state)),
            state: RwLock::new(state),
            renewing: tokio::sync::Mutex::new(()),
            renew_after,
            renew_backoff,
            clock: ServerClock::default(),
            attempts: AtomicU64::new(0),
            failure: Mutex::new(None),
            received: Mutex::new(None),
        }
    }

    /// How many renewal and re-login attempts have been made.
    pub(crate) fn attempts(&self) -> u64 {
        self.attempts.load(Ordering::SeqCst)
    }

    /// Counts a renewal or re-login attempt before it is sent.
    pub(crate) fn start_attempt(&self) {
        self.attempts.fetch_add(1, Ordering::SeqCst);
    }

    /// Records that the last attempt failed: no other for `renew_backoff`.
    pub(crate) fn attempt_failed(&self, why: String) {
        *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), why));
    }

    /// Why the last attempt failed, if it did within the back-off period.
    pub(crate) fn recent_failure(&self) -> Option<String> {
        let failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        failure
            .as_ref()
            .filter(|(at, _)| at.elapsed() < self.renew_backoff)
            .map(|(_, why)| why.clone())
    }

    /// Why the last attempt failed, however long ago.
    pub(crate) fn last_failure(&self) -> Option<String> {
        let failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        failure.as_ref().map(|(_, why)| why.clone())
    }

    // A panic while holding the lock cannot leave the state half-written (every write is one
    // assignment), so a poisoned lock is still good.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, AuthState> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, AuthState> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the state, and what requests send with it.
    fn replace(&self, state: &mut AuthState, new: AuthState) {
        let request = RequestAuth::of(&new);
        *state = new;
        *self.request.write().unwrap_or_else(|e| e.into_inner()) = request;
    }

    pub(crate) fn request_auth(&self) -> RequestAuth {
        self.request
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Installs a new ticket; `password` `None` keeps the stored one. Ends any back-off.
    pub(crate) fn set_session(&self, session: Session, password: Option<Option<Secret>>) {
        self.clock.adopt(session.clock_offset());
        *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let mut state = self.write();
        let (old_password, generation) = match &*state {
            AuthState::Ticket {
                password,
                generation,
                ..
            } => (password.clone(), *generation),
            _ => (None, 0),
        };
        let new = AuthState::Ticket {
            session,
            password: password.unwrap_or(old_password),
            generation: generation + 1,
        };
        self.replace(&mut state, new);
    }

    /// Installs a ticket PVE just issued (see [`set_session`](AuthManager::set_session));
    /// `replacement`: it replaced another (a renewal, a login again) rather than being the
    /// first login's. Without `Date` headers, its issue time tells the server's clock.
    pub(crate) fn set_received(
        &self,
        session: Session,
        password: Option<Option<Secret>>,
        replacement: bool,
    ) {
        let issued = session.issued;
        self.set_session(session, password);
        self.clock.ticket_arrived(issued, local_now());
        let generation = self.generation().unwrap_or(0);
        *self.received.lock().unwrap_or_else(|e| e.into_inner()) = Some(Received {
            generation,
            at: Instant::now(),
            replacement,
        });
    }

    pub(crate) fn set_token(&self, token: ApiToken) {
        self.replace(&mut self.write(), AuthState::Token(token));
    }

    pub(crate) fn clear(&self) {
        self.replace(&mut self.write(), AuthState::Anonymous);
    }

    pub(crate) fn forget_password(&self) {
        if let AuthState::Ticket { password, .. } = &mut *self.write() {
            *password = None;
        }
    }

    /// The session, with the server's clock as last seen.
    pub(crate) fn session(&self) -> Option<Session> {
        match &*self.read() {
            AuthState::Ticket { session, .. } => {
                Some(session.clone().with_clock_offset(self.clock.offset()))
            }
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

    /// Whether the ticket must be renewed or re-obtained before the next request, judged by
    /// the server's clock. A ticket still valid is not renewed again within the back-off
    /// period after a failed attempt: it is used as it is.
    ///
    /// A ticket that replaced another cannot have aged faster than time passed since it
    /// arrived: if the server's `Date` headers say it did (a clock far ahead, or jumping),
    /// they are wrong, and from then on the server's clock is read from the tickets. So a
    /// server whose `Date` lies costs one login again, not one per call.
    pub(crate) fn ticket_due(&self) -> TicketDue {
        let (age, issued, generation) = match &*self.read() {
            AuthState::Ticket {
                session,
                generation,
                ..
            } => (
                session.age_at(auth::server_now(self.clock.offset())),
                session.issued,
                *generation,
            ),
            _ => return TicketDue::No,
        };
        let received = *self.received.lock().unwrap_or_else(|e| e.into_inner());
        let age = match received {
            Some(r)
                if r.replacement
                    && r.generation == generation
                    && age > r.at.elapsed() + CLOCK_TOLERANCE =>
            {
                let elapsed = r.at.elapsed();
                tracing::warn!(
                    claimed_age_s = age.as_secs(),
                    elapsed_s = elapsed.as_secs(),
                    "PVE's Date headers contradict the ticket it just issued; judging tickets by their issue time"
                );
                let server_now = i128::from(issued) + i128::from(elapsed.as_secs());
                let offset = server_now - i128::from(local_now());
                self.clock
                    .distrust_dates(i64::try_from(offset).unwrap_or_default());
                elapsed
            }
            _ => age,
        };
        if age >= TICKET_LIFETIME {
            TicketDue::Expired
        } else if age >= self.renew_after && self.recent_failure().is_none() {
            TicketDue::Renew
        } else {
            TicketDue::No
        }
    }

    pub(crate) fn generation(&self) -> Option<u64> {
        match &*self.read() {
            AuthState::Ticket { generation, .. } => Some(*generation),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    /// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110's example), in seconds since the epoch.
    const EXAMPLE: i64 = 784_111_777;

    fn dated(date: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(DATE, HeaderValue::from_static(date));
        headers
    }

    #[test]
    fn server_clock_is_read_from_date_headers() {
        let clock = ServerClock::default();
        clock.observe_at(&dated("Sun, 06 Nov 1994 08:49:37 GMT"), EXAMPLE + 7200);
        assert_eq!(clock.offset(), -7200);
        clock.observe_at(&dated("Sun, 06 Nov 1994 08:49:37 GMT"), EXAMPLE - 3600);
        assert_eq!(clock.offset(), 3600);
        // An imported session's offset does not override what the server said.
        clock.adopt(5);
        assert_eq!(clock.offset(), 3600);
    }

    #[test]
    fn missing_or_bad_date_headers_leave_the_clock_alone() {
        let clock = ServerClock::default();
        clock.observe_at(&HeaderMap::new(), EXAMPLE);
        clock.observe_at(&dated("yesterday"), EXAMPLE);
        clock.observe_at(&dated("Sun, 06 Nov 1994 08:49:37"), EXAMPLE);
        assert_eq!(clock.offset(), 0);
        // Until the server says, an imported session's offset is used.
        clock.adopt(-7200);
        assert_eq!(clock.offset(), -7200);
    }

    #[test]
    fn without_date_headers_or_once_they_lied_the_clock_is_the_tickets() {
        let clock = ServerClock::default();
        // No Date seen: a ticket issued 3 h before our clock says sets it.
        clock.ticket_arrived(EXAMPLE as u64 - 3 * 3600, EXAMPLE);
        assert_eq!(clock.offset(), -3 * 3600);
        // Once a Date is seen, it tells the clock, not the tickets.
        clock.observe_at(&dated("Sun, 06 Nov 1994 08:49:37 GMT"), EXAMPLE - 60);
        clock.ticket_arrived(EXAMPLE as u64, EXAMPLE);
        assert_eq!(clock.offset(), 60);
        // Dates that contradicted a ticket are ignored; tickets tell the clock again.
        clock.distrust_dates(-5);
        clock.observe_at(&dated("Sun, 06 Nov 1994 08:49:37 GMT"), EXAMPLE - 7200);
        assert_eq!(clock.offset(), -5);
        clock.ticket_arrived(EXAMPLE as u64 + 10, EXAMPLE);
        assert_eq!(clock.offset(), 10);
    }

    #[test]
    fn failed_attempts_back_off_and_a_new_ticket_ends_it() {
        let auth = AuthManager::new(None, Duration::ZERO, Duration::from_secs(3600));
        let ticket = format!("PVE:root@pam:{:08X}::sig", auth::unix_now());
        auth.set_session(
            Session::new("root@pam", Secret::new(ticket.clone()), Secret::new("c")),
            Some(None),
        );
        assert_eq!(auth.ticket_due(), TicketDue::Renew);
        auth.start_attempt();
        auth.attempt_failed("HTTP 500".into());
        assert_eq!(auth.attempts(), 1);
        assert_eq!(auth.ticket_due(), TicketDue::No, "backing off");
        assert_eq!(auth.recent_failure().as_deref(), Some("HTTP 500"));
        auth.set_session(
            Session::new("root@pam", Secret::new(ticket), Secret::new("c")),
            None,
        );
        assert_eq!(
            auth.ticket_due(),
            TicketDue::Renew,
            "a new ticket ends the back-off"
        );
        assert_eq!(auth.recent_failure(), None);
    }
}
