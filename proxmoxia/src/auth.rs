//! Credentials and the login protocol, without I/O.
//!
//! The client drives these pure steps over HTTP; keeping them I/O-free makes the two-step TFA
//! login resumable (a program may prompt a human between the steps) and testable.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::encode::Form;
use crate::error::{AuthError, Error, Result};
use crate::secret::Secret;

/// PVE tickets are valid for two hours after they are issued.
pub const TICKET_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// A logged-in session: the ticket and CSRF token PVE issued.
///
/// Export it with serde to cache a login between runs of a CLI
/// ([`Client::session`](crate::Client::session)), and give it back with
/// [`Client::set_session`](crate::Client::set_session). The serialised form contains the
/// ticket: store it like a password. `Debug` shows only the user and times.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The user the ticket belongs to (`root@pam`).
    pub user: String,
    ticket: Secret,
    csrf: Secret,
    /// When the ticket was issued, seconds since the Unix epoch by the server's clock (from
    /// the ticket itself).
    pub issued: u64,
    /// How many seconds the server's clock is ahead of this machine's (negative: behind), as
    /// the client last saw it in PVE's `Date` headers; `0` when unknown.
    clock_offset: i64,
}

impl Session {
    /// A session from its parts, e.g. read from a cache.
    pub fn new(user: impl Into<String>, ticket: Secret, csrf: Secret) -> Session {
        let issued = ticket_issued(ticket.expose()).unwrap_or_else(unix_now);
        Session {
            user: user.into(),
            ticket,
            csrf,
            issued,
            clock_offset: 0,
        }
    }

    /// The same session, with the server's clock this many seconds ahead of this machine's.
    pub(crate) fn with_clock_offset(mut self, offset: i64) -> Session {
        self.clock_offset = offset;
        self
    }

    /// How many seconds the server's clock is ahead of this machine's (negative: behind), as
    /// last seen in PVE's `Date` headers; `0` when unknown. Ages and expiry are judged by the
    /// server's clock, since PVE judges the ticket by it.
    pub fn clock_offset(&self) -> i64 {
        self.clock_offset
    }

    /// The `PVEAuthCookie` value.
    pub fn ticket(&self) -> &Secret {
        &self.ticket
    }

    /// The `CSRFPreventionToken` header value.
    pub fn csrf_token(&self) -> &Secret {
        &self.csrf
    }

    /// When PVE stops accepting the ticket, by this machine's clock.
    pub fn expires_at(&self) -> SystemTime {
        // `issued` and the offset come from the server (or a cache file): never overflow.
        let local = i128::from(self.issued) + i128::from(TICKET_LIFETIME.as_secs())
            - i128::from(self.clock_offset);
        u64::try_from(local.max(0))
            .ok()
            .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs)))
            .unwrap_or(UNIX_EPOCH + Duration::from_secs(i32::MAX as u64))
    }

    /// How old the ticket is now, by the server's clock.
    pub fn age(&self) -> Duration {
        self.age_at(server_now(self.clock_offset))
    }

    /// How old the ticket is at `server_now` (seconds since the epoch by the server's clock).
    pub(crate) fn age_at(&self, server_now: u64) -> Duration {
        Duration::from_secs(server_now.saturating_sub(self.issued))
    }

    /// True once the ticket's two hours are over.
    pub fn is_expired(&self) -> bool {
        self.age() >= TICKET_LIFETIME
    }
}

crate::values::pve_response_struct! {
    /// A [`Session`] as serde writes it.
    SessionData {
        fields {
            "user" user: String,
            "ticket" ticket: Secret,
            "csrf" csrf: Secret,
            "issued" issued: i64,
            "clock_offset" clock_offset: Option<i64>,
        }
        families {}
    }
}

impl serde_core::Serialize for Session {
    fn serialize<S: serde_core::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let data = SessionData {
            user: self.user.clone(),
            ticket: self.ticket.clone(),
            csrf: self.csrf.clone(),
            issued: i64::try_from(self.issued).unwrap_or(i64::MAX),
            clock_offset: Some(self.clock_offset),
            extra: serde_json::Map::new(),
        };
        serde_core::Serialize::serialize(&data, s)
    }
}

impl<'de> serde_core::Deserialize<'de> for Session {
    fn deserialize<D: serde_core::Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Session, D::Error> {
        let data = SessionData::deserialize(d)?;
        Ok(Session {
            user: data.user,
            ticket: data.ticket,
            csrf: data.csrf,
            issued: data.issued.max(0) as u64,
            clock_offset: data.clock_offset.unwrap_or(0),
        })
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("issued", &self.issued)
            .field("clock_offset", &self.clock_offset)
            .field("expires_in", &remaining(self))
            .finish_non_exhaustive()
    }
}

fn remaining(session: &Session) -> Duration {
    session
        .expires_at()
        .duration_since(SystemTime::now())
        .unwrap_or_default()
}

/// What a successful login tells: who is logged in and until when. Holds no secret.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoginInfo {
    /// The user, as PVE spells it.
    pub user: String,
    /// When the ticket expires (PVE: two hours after issue).
    pub expires_at: SystemTime,
    /// The cluster name, if PVE sent it.
    pub cluster_name: Option<String>,
    /// The user's capabilities (`cap`), as PVE sent them.
    pub capabilities: Value,
}

/// The first step of a login: done, or a second factor is needed.
#[derive(Debug)]
#[must_use = "a TFA challenge must be answered with Client::finish_tfa"]
pub enum LoginStep {
    /// Logged in.
    Done(LoginInfo),
    /// PVE wants a second factor; answer it with [`Client::finish_tfa`](crate::Client::finish_tfa).
    NeedTfa(TfaChallenge),
}

/// PVE's request for a second factor. Holds a half-logged-in ticket (never shown by `Debug`).
#[derive(Clone)]
pub struct TfaChallenge {
    user: String,
    ticket: Secret,
    challenge: Value,
}

impl TfaChallenge {
    /// The user logging in.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// True if a TOTP code (authenticator app) is accepted.
    pub fn totp(&self) -> bool {
        truthy(self.challenge.get("totp"))
    }

    /// True if a recovery key is accepted.
    pub fn recovery(&self) -> bool {
        match self.challenge.get("recovery") {
            Some(Value::String(s)) => !s.is_empty() && s != "unavailable",
            Some(Value::Array(a)) => !a.is_empty(),
            other => truthy(other),
        }
    }

    /// True if a Yubico OTP is accepted.
    pub fn yubico(&self) -> bool {
        truthy(self.challenge.get("yubico"))
    }

    /// The WebAuthn challenge, if WebAuthn is possible (answer it with [`TfaAnswer::WebAuthn`]).
    pub fn webauthn(&self) -> Option<&Value> {
        self.challenge.get("webauthn").filter(|v| !v.is_null())
    }

    /// The whole challenge as PVE encoded it in the ticket.
    pub fn raw(&self) -> &Value {
        &self.challenge
    }
}

impl fmt::Debug for TfaChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TfaChallenge")
            .field("user", &self.user)
            .field("totp", &self.totp())
            .field("recovery", &self.recovery())
            .field("yubico", &self.yubico())
            .field("webauthn", &self.webauthn().is_some())
            .finish_non_exhaustive()
    }
}

/// A flag of the TFA challenge (`true`, `1`, `"available"`, an object of details, ...).
fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(s)) => !s.is_empty() && s != "0",
        Some(Value::Object(_)) | Some(Value::Array(_)) => true,
        _ => false,
    }
}

/// The answer to a [`TfaChallenge`]. `Debug` hides the code.
#[derive(Clone)]
#[non_exhaustive]
pub enum TfaAnswer {
    /// A TOTP code from an authenticator app.
    Totp(Secret),
    /// One of the user's recovery keys.
    Recovery(Secret),
    /// A Yubico OTP.
    Yubico(Secret),
    /// The JSON answer of a WebAuthn authenticator.
    WebAuthn(Secret),
}

impl TfaAnswer {
    /// A TOTP code.
    pub fn totp(code: impl Into<String>) -> TfaAnswer {
        TfaAnswer::Totp(Secret::new(code))
    }

    /// A recovery key.
    pub fn recovery(key: impl Into<String>) -> TfaAnswer {
        TfaAnswer::Recovery(Secret::new(key))
    }

    fn wire(&self) -> String {
        let (kind, code) = match self {
            TfaAnswer::Totp(c) => ("totp", c),
            TfaAnswer::Recovery(c) => ("recovery", c),
            TfaAnswer::Yubico(c) => ("yubico", c),
            TfaAnswer::WebAuthn(c) => ("webauthn", c),
        };
        format!("{kind}:{}", code.expose())
    }
}

impl fmt::Debug for TfaAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            TfaAnswer::Totp(_) => "Totp",
            TfaAnswer::Recovery(_) => "Recovery",
            TfaAnswer::Yubico(_) => "Yubico",
            TfaAnswer::WebAuthn(_) => "WebAuthn",
        };
        write!(f, "{kind}(***)")
    }
}

/// An API token: `user@realm!tokenid` and its secret (a UUID).
#[derive(Clone)]
pub struct ApiToken {
    id: String,
    secret: Secret,
}

impl ApiToken {
    /// A token from its id (`root@pam!ci`) and secret.
    pub fn new(id: impl Into<String>, secret: impl Into<String>) -> Result<ApiToken> {
        let id = id.into();
        let (user, name) = id.split_once('!').unwrap_or((&id, ""));
        if !user.contains('@') || name.is_empty() || !header_safe(&id) {
            return Err(Error::Config(format!(
                "API token id {id:?} must look like user@realm!tokenid"
            )));
        }
        let secret = secret.into();
        // The secret goes into the Authorization header as it is: refuse what PVE never
        // issues (it issues UUIDs) instead of failing or being cut at send time. The message
        // must not quote the secret.
        if secret.is_empty() {
            return Err(Error::Config(format!(
                "the secret of API token {id} is empty"
            )));
        }
        if !header_safe(&secret) {
            return Err(Error::Config(format!(
                "the secret of API token {id} may only hold printable ASCII without spaces \
                 (PVE's secrets are UUIDs)"
            )));
        }
        Ok(ApiToken {
            id,
            secret: Secret::new(secret),
        })
    }

    /// Parses `user@realm!tokenid=secret`, the form PVE's `Authorization` header uses.
    pub fn parse(text: &str) -> Result<ApiToken> {
        let text = text.trim().trim_start_matches("PVEAPIToken=");
        let (id, secret) = text.split_once('=').ok_or_else(|| {
            Error::Config("API token must look like user@realm!tokenid=secret".into())
        })?;
        ApiToken::new(id, secret)
    }

    /// The token id, `user@realm!tokenid`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The `Authorization` header value.
    pub(crate) fn header(&self) -> String {
        format!("PVEAPIToken={}={}", self.id, self.secret.expose())
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiToken")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Printable ASCII without spaces: safe in an `Authorization` header, nothing to trim.
fn header_safe(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_graphic())
}

/// The form of the first login request (`POST /access/ticket`).
pub(crate) fn password_form(user: &str, password: &str) -> Form {
    let mut form = Form::new();
    form.push("username", user);
    form.push("password", password);
    form.push("new-format", "1");
    form
}

/// The form of the second step, answering a TFA challenge.
pub(crate) fn tfa_form(challenge: &TfaChallenge, answer: &TfaAnswer) -> Form {
    let mut form = Form::new();
    form.push("username", challenge.user.as_str());
    form.push("tfa-challenge", challenge.ticket.expose());
    form.push("password", answer.wire());
    form.push("new-format", "1");
    form
}

crate::values::pve_response_struct! {
    /// The `data` of a `POST /access/ticket` answer.
    LoginAnswer {
        fields {
            "ticket" ticket: Option<Value>,
            "CSRFPreventionToken" csrf: Option<Value>,
            "username" username: Option<String>,
            "clustername" clustername: Option<String>,
            "cap" cap: Option<Value>,
            "NeedTFA" need_tfa: Option<bool>,
        }
        families {}
    }
}

/// Interprets the `data` of a `POST /access/ticket` answer; `clock_offset` is how far the
/// server's clock is ahead of ours.
pub(crate) fn parse_login(
    user: &str,
    data: LoginAnswer,
    clock_offset: i64,
) -> Result<(LoginStep, Option<Session>)> {
    let bad = |what: &str| Error::Auth(AuthError::BadAnswer(what.to_owned()));
    // Secrets are taken only as the strings PVE sends, never made up from other JSON.
    let ticket = data
        .ticket
        .as_ref()
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no ticket"))?;
    let username = data.username.unwrap_or_else(|| user.to_owned());
    let need_tfa = data.need_tfa == Some(true) || ticket_payload(ticket).starts_with("!tfa!");
    if need_tfa {
        let challenge = tfa_challenge_json(ticket);
        return Ok((
            LoginStep::NeedTfa(TfaChallenge {
                user: username,
                ticket: Secret::new(ticket),
                challenge,
            }),
            None,
        ));
    }
    let csrf = data
        .csrf
        .as_ref()
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no CSRFPreventionToken"))?;
    let session = Session::new(username.clone(), Secret::new(ticket), Secret::new(csrf))
        .with_clock_offset(clock_offset);
    let info = LoginInfo {
        user: username,
        expires_at: session.expires_at(),
        cluster_name: data.clustername,
        capabilities: data.cap.unwrap_or(Value::Null),
    };
    Ok((LoginStep::Done(info), Some(session)))
}

/// The `data` of a `POST /access/ticket` answer's body. JSON that is not a login answer is
/// a bad answer; a body that is not JSON stays a decode error.
pub(crate) fn login_answer(body: &[u8]) -> Result<LoginAnswer> {
    crate::decode::data(body).map_err(|e| match e.answering("POST") {
        Error::Decode(d) if d.path != "body" => {
            AuthError::BadAnswer(format!("{}: {}", d.path, d.message)).into()
        }
        other => other,
    })
}

/// What a login makes of a `POST /access/ticket` answer's body, for the fuzz targets
/// (`parse_login` takes the decoded answer, whose type is private); the server's clock is
/// taken to be ours.
#[doc(hidden)]
pub fn read_login(user: &str, body: &[u8]) -> Result<(LoginStep, Option<Session>)> {
    login_answer(body).and_then(|data| parse_login(user, data, 0))
}

/// The part of `PVE:<payload>:<hex time>::<signature>` after the product prefix.
fn ticket_payload(ticket: &str) -> &str {
    ticket.split(':').nth(1).unwrap_or("")
}

/// The issue time encoded in a PVE ticket; none beyond what a [`Session`]'s serde form
/// (an `i64`) holds, so a cached session reads back with the time it had.
pub(crate) fn ticket_issued(ticket: &str) -> Option<u64> {
    let hex = ticket.split(':').nth(2)?;
    if hex.is_empty() || hex.len() > 16 {
        return None;
    }
    u64::from_str_radix(hex, 16)
        .ok()
        .filter(|t| i64::try_from(*t).is_ok())
}

/// The challenge PVE encodes (percent-encoded JSON) in a half-logged-in ticket.
fn tfa_challenge_json(ticket: &str) -> Value {
    let payload = ticket_payload(ticket);
    let encoded = payload.strip_prefix("!tfa!").unwrap_or(payload);
    let decoded = percent_encoding::percent_decode_str(encoded).decode_utf8_lossy();
    serde_json::from_str(&decoded).unwrap_or(Value::Null)
}

/// Now by the server's clock, `offset` seconds ahead of ours.
pub(crate) fn server_now(offset: i64) -> u64 {
    u64::try_from((i128::from(unix_now()) + i128::from(offset)).max(0)).unwrap_or(u64::MAX)
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(data: Value) -> LoginAnswer {
        crate::decode::from_value(data).unwrap()
    }

    #[test]
    fn ticket_time_is_read_from_the_ticket() {
        assert_eq!(
            ticket_issued("PVE:root@pam:4EEC61E2::c2lnbmF0dXJl"),
            Some(0x4EEC61E2)
        );
        assert_eq!(ticket_issued("garbage"), None);
    }

    #[test]
    fn a_session_with_any_ticket_time_reads_back_as_itself() {
        // Found by the fuzz smoke: a time beyond i64 was written as i64::MAX.
        for time in ["7FFFFFFFFFFFFFFF", "AA0A00000AA000AA", "FFFFFFFFFFFFFFFF"] {
            let ticket = Secret::new(format!("PVE:a:{time}::"));
            let session = Session::new("a@pam", ticket, Secret::new("csrf"));
            let json = serde_json::to_value(&session).unwrap();
            let again: Session = serde_json::from_value(json).unwrap();
            assert_eq!(again, session, "{time}");
        }
        assert_eq!(ticket_issued("PVE:a:8000000000000000::"), None);
    }

    #[test]
    fn login_answer_with_ticket_is_done_and_debug_hides_secrets() {
        let data = json!({"ticket": "PVE:root@pam:4EEC61E2::sig", "CSRFPreventionToken": "4EEC61E2:csrfsecret",
                          "username": "root@pam", "cap": {}});
        let (step, session) = parse_login("root@pam", answer(data), 0).unwrap();
        let session = session.unwrap();
        let shown = format!("{step:?} {session:?}");
        assert!(shown.contains("root@pam"));
        assert!(
            !shown.contains("sig") && !shown.contains("csrfsecret"),
            "{shown}"
        );
    }

    #[test]
    fn need_tfa_answer_exposes_the_challenge_kinds() {
        let data = json!({"ticket": "PVE:!tfa!%7B%22totp%22%3Atrue%2C%22recovery%22%3A%22available%22%7D:4EEC61E2::sig",
                          "username": "alice@pve", "NeedTFA": 1});
        let (step, session) = parse_login("alice@pve", answer(data), 0).unwrap();
        assert!(session.is_none());
        let LoginStep::NeedTfa(challenge) = step else {
            panic!("expected a challenge")
        };
        assert!(challenge.totp() && challenge.recovery() && !challenge.yubico());
        assert!(!format!("{challenge:?}").contains("sig"));
        let form = tfa_form(&challenge, &TfaAnswer::totp("123456"));
        assert_eq!(form.get("password"), Some("totp:123456"));
        assert_eq!(form.get("new-format"), Some("1"));
        assert!(form.get("tfa-challenge").unwrap().starts_with("PVE:!tfa!"));
        assert_eq!(format!("{:?}", TfaAnswer::totp("123456")), "Totp(***)");
    }

    #[test]
    fn api_token_parses_and_hides_its_secret() {
        let token = ApiToken::parse("root@pam!ci=aaaa-bbbb").unwrap();
        assert_eq!(token.id(), "root@pam!ci");
        assert_eq!(token.header(), "PVEAPIToken=root@pam!ci=aaaa-bbbb");
        assert!(!format!("{token:?}").contains("aaaa"));
        assert!(ApiToken::parse("root@pam=x").is_err());
        assert!(ApiToken::new("nouser!x", "s").is_err());
    }

    #[test]
    fn api_token_with_an_empty_or_unprintable_secret_is_refused_without_quoting_it() {
        for text in [
            "root@pam!ci=",
            "PVEAPIToken=root@pam!ci=",
            "root@pam!ci=aaaa\r\nX-Evil: 1",
            "root@pam!ci=aaaa\nbbbb",
            "root@pam!ci=aa bb",
            "root@pam!ci=aaé",
        ] {
            let err = ApiToken::parse(text).expect_err(text).to_string();
            assert!(
                err.contains("secret of API token root@pam!ci"),
                "{text:?}: {err}"
            );
            assert!(
                !err.contains("aa"),
                "{text:?}: the message quotes the secret: {err}"
            );
        }
        assert!(ApiToken::new("root@pam!ci\r\nX: y", "aaaa").is_err());
        assert!(ApiToken::new("root@pam!ci", "").is_err());
    }

    #[test]
    fn session_age_and_expiry_follow_the_servers_clock() {
        let two_hours = 2 * 60 * 60;
        // The server is two hours behind; its ticket was issued just now by its clock.
        let issued = unix_now() - two_hours;
        let ticket = format!("PVE:root@pam:{issued:08X}::sig");
        let session = Session::new("root@pam", Secret::new(ticket), Secret::new("c"))
            .with_clock_offset(-(two_hours as i64));
        assert!(
            session.age() < Duration::from_secs(60),
            "{:?}",
            session.age()
        );
        assert!(!session.is_expired());
        let left = session
            .expires_at()
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        assert!(left > Duration::from_secs(two_hours - 60), "{left:?}");
        // The offset survives a cache round trip.
        let json = serde_json::to_value(&session).unwrap();
        assert_eq!(json["clock_offset"], -(two_hours as i64));
        let back: Session = serde_json::from_value(json).unwrap();
        assert_eq!(back.clock_offset(), -(two_hours as i64));
        assert_eq!(back, session);
        // An absurd offset does not overflow.
        let far = session.clone().with_clock_offset(i64::MIN);
        let _ = (far.age(), far.expires_at(), far.is_expired());
        let far = session.with_clock_offset(i64::MAX);
        let _ = (far.age(), far.expires_at(), far.is_expired());
    }
}
