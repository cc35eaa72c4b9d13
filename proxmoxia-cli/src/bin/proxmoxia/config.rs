//! The config file: named profiles of connection settings.
//!
//! ```toml
//! default = "lab"            # the profile used without --profile / PVE_PROFILE
//!
//! [profiles.lab]
//! url = "https://pve1.lab:8006"
//! user = "root@pam"
//! fingerprint = "AB:CD:..."
//!
//! [profiles.ci]
//! url = "https://pve.example.com"
//! token = "ci@pve!cli=..."   # keep this file private when it holds secrets
//! ca_file = "/etc/ssl/pve-root-ca.pem"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::args::Connection;
use crate::fail::Fail;

#[derive(Debug, Default)]
struct File {
    default: Option<String>,
    profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Default, Clone)]
struct Profile {
    url: Option<String>,
    token: Option<String>,
    user: Option<String>,
    password: Option<String>,
    fingerprint: Option<String>,
    ca_file: Option<PathBuf>,
    pve_version: Option<String>,
}

/// A profile's settings, in the order an error lists them.
const SETTINGS: [&str; 7] = [
    "url",
    "token",
    "user",
    "password",
    "fingerprint",
    "ca_file",
    "pve_version",
];

/// `~/.config/proxmoxia/config.toml` (or the platform's config directory).
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("proxmoxia").join("config.toml"))
}

/// The connection settings: flags and environment first, then the profile's. A profile named
/// explicitly must exist; the file itself is optional unless named.
pub fn resolve(conn: &Connection) -> Result<Connection, Fail> {
    let (path, named) = match &conn.config {
        Some(path) => (Some(path.clone()), true),
        None => (default_path(), false),
    };
    let file = match path.as_deref() {
        Some(path) if named || path.exists() => read(path)?,
        _ => File::default(),
    };
    let wanted = conn.profile.clone().or(file.default.clone());
    let profile = match &wanted {
        None => Profile::default(),
        Some(name) => file.profiles.get(name).cloned().ok_or_else(|| {
            let known: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
            Fail::usage(format!(
                "no profile {name:?} in {} (profiles: {})",
                path.as_deref()
                    .map_or_else(String::new, |p| p.display().to_string()),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ))
        })?,
    };
    Ok(Connection {
        url: conn.url.clone().or(profile.url),
        token: conn.token.clone().or(profile.token),
        user: conn.user.clone().or(profile.user),
        password: conn.password.clone().or(profile.password),
        password_given: conn.password_given,
        fingerprint: conn.fingerprint.clone().or(profile.fingerprint),
        ca_file: conn.ca_file.clone().or(profile.ca_file),
        pve_version: conn.pve_version.clone().or(profile.pve_version),
        profile: wanted,
        config: conn.config.clone(),
        mock: conn.mock,
    })
}

fn read(path: &Path) -> Result<File, Fail> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Fail::usage(format!("config file {}: {e}", path.display())))?;
    parse(&text).map_err(|Wrong { at, rule }| {
        let line = text.as_bytes()[..at.min(text.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        Fail::usage(format!(
            "config file {}, line {line}: {rule}",
            path.display()
        ))
    })
}

/// What is wrong in a config file, and where (a byte offset). The rule names keys, never
/// values: the file may hold a token or a password. (TOML's own messages of a syntax error
/// are fixed texts; its display of the error would quote the line.)
#[derive(Debug)]
struct Wrong {
    at: usize,
    rule: String,
}

fn wrong(key: &Spanned<impl AsRef<str>>, rule: String) -> Wrong {
    Wrong {
        at: key.span().start,
        rule,
    }
}

fn parse(text: &str) -> Result<File, Wrong> {
    let table = DeTable::parse(text).map_err(|e| Wrong {
        at: e.span().map_or(0, |s| s.start),
        rule: e.message().to_owned(),
    })?;
    let mut file = File::default();
    for (key, value) in table.get_ref() {
        match key.get_ref().as_ref() {
            "default" => file.default = Some(string(key, "default", value)?),
            "profiles" => {
                let DeValue::Table(profiles) = value.get_ref() else {
                    return Err(wrong(
                        key,
                        "profiles: must be tables ([profiles.NAME])".into(),
                    ));
                };
                for (name, settings) in profiles {
                    let profile = profile(name, settings)?;
                    file.profiles.insert(name.get_ref().to_string(), profile);
                }
            }
            other => {
                return Err(wrong(
                    key,
                    format!("{other}: no such setting (default, profiles)"),
                ));
            }
        }
    }
    Ok(file)
}

fn profile(name: &Spanned<impl AsRef<str>>, settings: &Spanned<DeValue>) -> Result<Profile, Wrong> {
    let name = name.get_ref().as_ref();
    let DeValue::Table(settings) = settings.get_ref() else {
        return Err(Wrong {
            at: settings.span().start,
            rule: format!("profiles.{name}: must be a table ([profiles.{name}])"),
        });
    };
    let mut profile = Profile::default();
    for (key, value) in settings {
        let setting = key.get_ref().as_ref();
        let path = format!("profiles.{name}.{setting}");
        if !SETTINGS.contains(&setting) {
            return Err(wrong(
                key,
                format!("{path}: no such setting ({})", SETTINGS.join(", ")),
            ));
        }
        let text = Some(string(key, &path, value)?);
        match setting {
            "url" => profile.url = text,
            "token" => profile.token = text,
            "user" => profile.user = text,
            "password" => profile.password = text,
            "fingerprint" => profile.fingerprint = text,
            "ca_file" => profile.ca_file = text.map(PathBuf::from),
            _ => profile.pve_version = text,
        }
    }
    Ok(profile)
}

/// A setting's text; anything else is named by its key, not shown.
fn string(
    key: &Spanned<impl AsRef<str>>,
    path: &str,
    value: &Spanned<DeValue>,
) -> Result<String, Wrong> {
    match value.get_ref() {
        DeValue::String(text) => Ok(text.to_string()),
        _ => Err(wrong(key, format!("{path}: must be a string (in quotes)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_profile() {
        let dir = std::env::temp_dir().join(format!("proxmoxia-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("config.toml");
        std::fs::write(
            &file,
            "default = \"lab\"\n[profiles.lab]\nurl = \"https://lab:8006\"\nuser = \"alice@pve\"\n\
             [profiles.ci]\nurl = \"https://ci\"\n",
        )
        .unwrap();
        let conn = Connection {
            config: Some(file.clone()),
            user: Some("bob@pve".into()),
            ..Connection::default()
        };
        let got = resolve(&conn).unwrap();
        assert_eq!(got.url.as_deref(), Some("https://lab:8006"));
        assert_eq!(got.user.as_deref(), Some("bob@pve"));
        let ci = resolve(&Connection {
            profile: Some("ci".into()),
            ..conn.clone()
        })
        .unwrap();
        assert_eq!(ci.url.as_deref(), Some("https://ci"));
        let missing = resolve(&Connection {
            profile: Some("nope".into()),
            ..conn
        })
        .unwrap_err();
        assert!(missing.message.contains("no profile \"nope\""), "{missing}");
        assert!(missing.message.contains("ci, lab"), "{missing}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
