//! The ticket kept between runs: one file per node and user, readable by the user only (the
//! library's session export; it holds the ticket, so it is stored like a password). On unix
//! the directory is 0700 and the file 0600, made so again when found otherwise, and neither
//! is used when another user owns it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use proxmoxia::Session;
use serde_json::{Value, json};

use crate::partial::Partial;

/// Where one node's and user's ticket is kept.
#[derive(Debug)]
pub struct TicketFile {
    path: PathBuf,
    url: String,
    /// The user this process runs as: the owner the directory and file must have.
    #[cfg(unix)]
    me: u32,
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
            #[cfg(unix)]
            me: rustix::process::geteuid().as_raw(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(&self.path)
    }

    /// The kept session, if it is for this node, still valid and readable. One in a
    /// directory or file of another user is not used (a warning says so).
    pub fn load(&self) -> Option<Session> {
        let text = match self.read() {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                eprintln!(
                    "warning: not using the ticket in {}: {e}",
                    self.path.display()
                );
                return None;
            }
        };
        let value: Value = serde_json::from_str(&text).ok()?;
        if value.get("url").and_then(Value::as_str) != Some(self.url.as_str()) {
            return None;
        }
        let session: Session = serde_json::from_value(value.get("session")?.clone()).ok()?;
        (!session.is_expired()).then_some(session)
    }

    /// The file's text, the directory and file checked (and made private) first.
    fn read(&self) -> std::io::Result<String> {
        #[cfg(unix)]
        private::check(self.dir(), &std::fs::metadata(self.dir())?, self.me, 0o700)?;
        let mut file = std::fs::File::open(&self.path)?;
        #[cfg(unix)]
        private::check(&self.path, &file.metadata()?, self.me, 0o600)?;
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        Ok(text)
    }

    /// Keeps `session`, replacing the file at once: written to a new private file (created
    /// exclusively) beside it, then renamed.
    pub fn save(&self, session: &Session) -> std::io::Result<()> {
        let dir = self.dir();
        create_dir(dir)?;
        #[cfg(unix)]
        private::check(dir, &std::fs::metadata(dir)?, self.me, 0o700)?;
        let text = json!({"url": self.url, "session": session}).to_string();
        let (partial, mut file) = Partial::create(&self.path, 0o600)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        partial.finish()
    }

    pub fn remove(&self) -> std::io::Result<bool> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Creates `dir` and its missing parents, private (0700 on unix).
fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(unix)]
mod private {
    use std::fs::{Metadata, Permissions};
    use std::io;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::path::Path;

    /// `path` (described by `meta`) is owned by `me`; its mode is made `mode` if it is not.
    pub fn check(path: &Path, meta: &Metadata, me: u32, mode: u32) -> io::Result<()> {
        if meta.uid() != me {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} is owned by uid {}, not by this user (uid {me})",
                    path.display(),
                    meta.uid()
                ),
            ));
        }
        if meta.mode() & 0o777 != mode {
            std::fs::set_permissions(path, Permissions::from_mode(mode))?;
        }
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use proxmoxia::Secret;

    use super::*;

    fn mode(path: &Path) -> std::io::Result<u32> {
        Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
    }

    /// A ticket file in a fresh directory, for the user this test runs as (`me`) or another.
    fn ticket_file(name: &str, me: u32) -> TicketFile {
        let dir = std::env::temp_dir().join(format!("proxmoxia-{name}-{}", std::process::id()));
        TicketFile {
            path: dir.join("tickets").join("root@pam@pve1.json"),
            url: "https://pve1:8006/api2/json".into(),
            me,
        }
    }

    fn session() -> Session {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let ticket = format!("PVE:root@pam:{now:08X}::sig");
        Session::new("root@pam", Secret::new(ticket), Secret::new("csrf"))
    }

    /// A directory or ticket owned by another user is neither used nor written to (it once
    /// was: tickets were read without looking at their owner).
    #[test]
    fn a_directory_or_ticket_of_another_user_is_refused() {
        let me = rustix::process::geteuid().as_raw();
        let mine = ticket_file("owner", me);
        let _ = std::fs::remove_dir_all(mine.dir().parent().unwrap());
        mine.save(&session()).unwrap();
        assert_eq!(mine.load(), Some(session()));

        // The same files as seen by a process of another user.
        let theirs = ticket_file("owner", me + 1);
        let e = theirs.read().unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
        assert_eq!(
            e.to_string(),
            format!(
                "{} is owned by uid {me}, not by this user (uid {})",
                mine.dir().display(),
                me + 1
            )
        );
        assert_eq!(theirs.load(), None);
        let e = theirs.save(&session()).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
        std::fs::remove_dir_all(mine.dir().parent().unwrap()).unwrap();
    }

    /// Created 0700 and 0600; made so again when found opened up.
    #[test]
    fn the_directory_and_file_are_made_private() {
        let file = ticket_file("modes", rustix::process::geteuid().as_raw());
        let _ = std::fs::remove_dir_all(file.dir().parent().unwrap());
        file.save(&session()).unwrap();
        assert_eq!(
            (mode(file.dir()).unwrap(), mode(&file.path).unwrap()),
            (0o700, 0o600)
        );
        for (path, open) in [(file.dir(), 0o755), (file.path.as_path(), 0o644)] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(open)).unwrap();
        }
        assert!(file.load().is_some());
        assert_eq!(
            (mode(file.dir()).unwrap(), mode(&file.path).unwrap()),
            (0o700, 0o600)
        );
        std::fs::remove_dir_all(file.dir().parent().unwrap()).unwrap();
    }
}
