//! A logged-in client from the connection settings: an API token; a password login when
//! `--password` is given (a kept ticket never hides a wrong one); else the kept ticket, or a
//! password login (the password from the environment or the profile, or asked for on a
//! terminal, with the second factor when the account has one); or the embedded fake with
//! `--mock`.

use std::future::Future;
use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use proxmoxia::{ApiToken, AuthError, Client, Error, LoginStep, Session, TfaAnswer};

use crate::args::Connection;
use crate::config;
use crate::fail::Fail;
use crate::tickets::TicketFile;

const DEFAULT_USER: &str = "root@pam";

/// The fake PVE of `--mock`.
#[cfg(feature = "mock")]
type Fake = proxmoxia::mock::MockPve;
/// Built without the fake: there is none to keep.
#[cfg(not(feature = "mock"))]
type Fake = std::convert::Infallible;

/// A client ready for calls.
#[derive(Debug)]
pub struct Conn {
    pub client: Client,
    /// The fake serving `--mock`: it lives as long as the run.
    _mock: Option<Fake>,
    login: Option<TicketLogin>,
}

/// A ticket login, to redo when a kept ticket turns out to be revoked.
#[derive(Debug)]
struct TicketLogin {
    user: String,
    password: Option<String>,
    file: Option<TicketFile>,
    /// The session in use came from `file`, not from a login of this run.
    from_file: bool,
    kept: Option<Session>,
    /// May ask on the terminal.
    interactive: bool,
}

/// How much a connection may do to log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Ask for what is missing on the terminal.
    Interactive,
    /// Shell completion: no prompts, short timeouts.
    Quiet,
}

pub async fn connect(conn: &Connection, mode: Mode) -> Result<Conn, Fail> {
    let conn = config::resolve(conn)?;
    if conn.mock {
        return mock(&conn).await;
    }
    let url = conn.url.as_deref().ok_or_else(|| {
        Fail::usage(
            "no cluster given: set --url or PVE_URL (or a profile in the config file), or try --mock",
        )
    })?;
    let mut builder =
        Client::builder(url).user_agent(concat!("proxmoxia-cli/", env!("CARGO_PKG_VERSION")));
    if let Some(fp) = &conn.fingerprint {
        builder = builder.fingerprint(fp);
    }
    if let Some(file) = &conn.ca_file {
        let pem = std::fs::read(file)
            .map_err(|e| Fail::usage(format!("CA file {}: {e}", file.display())))?;
        builder = builder.add_ca_pem(&pem);
    }
    if let Some(version) = &conn.pve_version {
        builder = builder.pve_version(version);
    }
    if mode == Mode::Quiet {
        builder = builder
            .connect_timeout(Duration::from_secs(2))
            .timeout(Some(Duration::from_secs(3)));
    }
    if let Some(token) = &conn.token {
        let client = builder.token(ApiToken::parse(token)?).build()?;
        return Ok(Conn {
            client,
            _mock: None,
            login: None,
        });
    }
    let client = builder.build()?;
    let user = conn.user.clone().unwrap_or_else(|| DEFAULT_USER.into());
    let file = TicketFile::new(client.base_url(), &user);
    let mut login = TicketLogin {
        user,
        password: conn.password.clone(),
        file,
        from_file: false,
        kept: None,
        interactive: mode == Mode::Interactive,
    };
    // `--password` on the command line is always checked: a kept ticket would hide a wrong
    // one. Otherwise the kept ticket saves a login (and a second factor).
    let kept = match conn.password_given {
        true => None,
        false => login.file.as_ref().and_then(TicketFile::load),
    };
    if let Some(session) = kept {
        if session.user == login.user {
            client.set_session(session.clone());
            login.from_file = true;
            login.kept = Some(session);
        }
    }
    if !login.from_file {
        log_in(&client, &mut login).await?;
    }
    Ok(Conn {
        client,
        _mock: None,
        login: Some(login),
    })
}

#[cfg(feature = "mock")]
async fn mock(conn: &Connection) -> Result<Conn, Fail> {
    let mut builder = Fake::builder();
    if let Some(version) = &conn.pve_version {
        builder = builder.pve_version(version);
    }
    let pve = builder.start().await?;
    let client = pve.login().await?;
    Ok(Conn {
        client,
        _mock: Some(pve),
        login: None,
    })
}

#[cfg(not(feature = "mock"))]
async fn mock(_: &Connection) -> Result<Conn, Fail> {
    Err(crate::serve::not_built_in("--mock"))
}

/// A password login (asking for what is missing), kept in the ticket file.
async fn log_in(client: &Client, login: &mut TicketLogin) -> Result<(), Fail> {
    let password = match &login.password {
        Some(p) => p.clone(),
        None if login.interactive => ask_password(&login.user)?,
        None => return Err(Fail::new(format!("no password for {}", login.user))),
    };
    match client.start_login(&login.user, &password).await? {
        LoginStep::Done(_) => {}
        LoginStep::NeedTfa(_) if !login.interactive => {
            return Err(Fail::new(format!("{} needs a second factor", login.user)));
        }
        LoginStep::NeedTfa(challenge) => {
            if !challenge.totp() && !challenge.recovery() {
                return Err(Fail::new(format!(
                    "{} needs a second factor this client cannot give (WebAuthn or Yubico only)",
                    login.user
                )));
            }
            let offered = match (challenge.totp(), challenge.recovery()) {
                (true, true) => "TOTP code, or recovery:KEY",
                (true, false) => "TOTP code",
                _ => "recovery key",
            };
            let code = ask_line(&format!("Second factor for {} ({offered}): ", login.user))?;
            let answer = match code.strip_prefix("recovery:") {
                Some(key) => TfaAnswer::recovery(key.trim()),
                None if challenge.totp() => TfaAnswer::totp(code),
                None => TfaAnswer::recovery(code),
            };
            client.finish_tfa(&challenge, answer).await?;
        }
    }
    login.from_file = false;
    keep(client, login);
    Ok(())
}

/// Writes the client's session to the ticket file when it changed.
fn keep(client: &Client, login: &mut TicketLogin) {
    let Some(session) = client.session() else {
        return;
    };
    if login.kept.as_ref() == Some(&session) {
        return;
    }
    if let Some(file) = &login.file {
        if let Err(e) = file.save(&session) {
            eprintln!(
                "warning: cannot keep the ticket in {}: {e}",
                file.path().display()
            );
        }
    }
    login.kept = Some(session);
}

fn ask_password(user: &str) -> Result<String, Fail> {
    if !std::io::stdin().is_terminal() {
        return Err(Fail::new(format!(
            "no password for {user}: set PVE_PASSWORD or PVE_TOKEN, or run `proxmoxia login` on a terminal"
        )));
    }
    rpassword::prompt_password(format!("Password for {user}: "))
        .map_err(|e| Fail::new(format!("cannot read the password: {e}")))
}

/// One line from standard input, after a prompt on standard error (a terminal or a pipe).
fn ask_line(prompt: &str) -> Result<String, Fail> {
    eprint!("{prompt}");
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) => Err(Fail::new("no answer on standard input")),
        Ok(_) => Ok(line.trim().to_owned()),
        Err(e) => Err(Fail::new(format!("cannot read standard input: {e}"))),
    }
}

fn stale_ticket(e: &Error) -> bool {
    matches!(e, Error::Auth(AuthError::TicketExpired { .. })) || e.status() == Some(401)
}

impl Conn {
    /// Runs `op`; when a kept ticket turns out to be revoked, logs in afresh and runs it once
    /// more (PVE refused before doing anything, so that is safe).
    pub async fn run<T, F, Fut>(&mut self, op: F) -> Result<T, Fail>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = proxmoxia::Result<T>>,
    {
        let result = op(self.client.clone()).await;
        let result = match (result, &mut self.login) {
            (Err(e), Some(login)) if login.from_file && stale_ticket(&e) => {
                if let Some(file) = &login.file {
                    let _ = file.remove();
                }
                login.kept = None;
                log_in(&self.client, login).await?;
                op(self.client.clone()).await
            }
            (result, _) => result,
        };
        if let Some(login) = &mut self.login {
            keep(&self.client, login);
        }
        Ok(result?)
    }
}

/// `proxmoxia login`: a fresh login, kept for later runs.
pub async fn login(conn: &Connection) -> Result<(), Fail> {
    let resolved = config::resolve(conn)?;
    if resolved.token.is_some() || resolved.mock {
        return Err(Fail::usage(
            "login is for ticket logins (no --token, no --mock)",
        ));
    }
    let mut c = connect(conn, Mode::Interactive).await?;
    if let Some(login) = &mut c.login {
        if login.from_file {
            login.kept = None;
            log_in(&c.client, login).await?;
        }
        let info = c.client.session();
        let expires = info.map(|s| s.expires_at());
        let path = login.file.as_ref().map(|f| f.path().display().to_string());
        eprintln!(
            "logged in as {}{}{}",
            login.user,
            expires
                .and_then(|t| t.duration_since(std::time::SystemTime::now()).ok())
                .map(|d| format!(" for {} min", d.as_secs() / 60))
                .unwrap_or_default(),
            path.map(|p| format!("; ticket kept in {p}"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// `proxmoxia logout`: forgets the kept ticket.
pub fn logout(conn: &Connection) -> Result<(), Fail> {
    let conn = config::resolve(conn)?;
    let url = conn
        .url
        .as_deref()
        .ok_or_else(|| Fail::usage("no cluster given: set --url or PVE_URL"))?;
    let client = Client::builder(url).build()?;
    let user = conn.user.unwrap_or_else(|| DEFAULT_USER.into());
    match TicketFile::new(client.base_url(), &user) {
        Some(file) => match file.remove() {
            Ok(true) => eprintln!("forgot the ticket of {user} ({})", file.path().display()),
            Ok(false) => eprintln!("no ticket kept for {user}"),
            Err(e) => return Err(Fail::new(format!("{}: {e}", file.path().display()))),
        },
        None => eprintln!("no ticket kept for {user}"),
    }
    Ok(())
}
