//! The ticket kept between runs: one file per node and user, readable by the user only (the
//! library's session export; it holds the ticket, so it is stored like a password).

use std::io::Write;
use std::path::PathBuf;

use proxmoxia::Session;
use serde_json::{Value, json};

/// Where one node's and user's ticket is kept.
#[derive(Debug)]
pub struct TicketFile {
    path: PathBuf,
    url: String,
}

impl TicketFile {
    /// `~/.cache/proxmoxia/tickets/<user>@<host>.json` (the platform's cache directory);
    /// `None` where there is none.
    pub fn new(url: &str, user: &str) -> Option<TicketFile> {
        let dir = dirs::cache_dir()?.join("proxmoxia").join("tickets");
        let host = url
            .split("://")
            .nth(1)
            .unwrap_or(url)
            .trim_end_matches('/')
            .trim_end_matches("/api2/json");
        let name: String = format!("{user}@{host}")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "@.-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Some(TicketFile {
            path: dir.join(format!("{name}.json")),
            url: url.to_owned(),
        })
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The kept session, if it is for this node, still valid and readable.
    pub fn load(&self) -> Option<Session> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let value: Value = serde_json::from_str(&text).ok()?;
        if value.get("url").and_then(Value::as_str) != Some(self.url.as_str()) {
            return None;
        }
        let session: Session = serde_json::from_value(value.get("session")?.clone()).ok()?;
        (!session.is_expired()).then_some(session)
    }

    /// Keeps `session`, replacing the file atomically; the file is created private.
    pub fn save(&self, session: &Session) -> std::io::Result<()> {
        let dir = self.path.parent().unwrap_or(&self.path);
        create_private_dir(dir)?;
        let tmp = self
            .path
            .with_extension(format!("tmp{}", std::process::id()));
        let text = json!({"url": self.url, "session": session}).to_string();
        let mut file = private_file(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }

    pub fn remove(&self) -> std::io::Result<bool> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::File::create(path)
}
