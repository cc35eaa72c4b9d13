//! The id of a PVE task (`UPID:node:pid:pstart:starttime:type:id:user:`): parsed strictly,
//! printed back as received. A leaf: errors and tasks build on it.

use std::fmt;
use std::str::FromStr;

use serde_core::{Deserialize, Serialize};
use serde_json::Value;

/// A task id: `UPID:node:pid:pstart:starttime:type:id:user:`.
///
/// Parsed strictly (PVE's own pattern); printed back exactly as received.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Upid {
    text: String,
    node: String,
    pid: u32,
    pstart: u64,
    starttime: i64,
    kind: String,
    id: String,
    user: String,
}

impl Upid {
    /// Parses a UPID.
    pub fn parse(text: &str) -> Result<Upid, InvalidUpid> {
        let bad = |why: &'static str| InvalidUpid {
            text: text.to_owned(),
            why,
        };
        let rest = text
            .strip_prefix("UPID:")
            .ok_or_else(|| bad("no UPID: prefix"))?;
        let rest = rest
            .strip_suffix(':')
            .ok_or_else(|| bad("no trailing colon"))?;
        let fields: Vec<&str> = rest.split(':').collect();
        let [node, pid, pstart, starttime, kind, id, user] = fields[..] else {
            return Err(bad("expected 7 fields"));
        };
        let hex = |s: &str, max: usize, what: &'static str| {
            if s.len() < 8 || s.len() > max || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(what));
            }
            u64::from_str_radix(s, 16).map_err(|_| bad(what))
        };
        let node_ok = !node.is_empty()
            && node.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !node.starts_with('-')
            && !node.ends_with('-');
        if !node_ok {
            return Err(bad("node"));
        }
        let no_space = |s: &str| !s.bytes().any(|b| b.is_ascii_whitespace());
        if kind.is_empty() || user.is_empty() || !no_space(kind) || !no_space(id) || !no_space(user)
        {
            return Err(bad("type, id or user"));
        }
        Ok(Upid {
            text: text.to_owned(),
            node: node.to_owned(),
            pid: u32::try_from(hex(pid, 8, "pid")?).map_err(|_| bad("pid"))?,
            pstart: hex(pstart, 9, "pstart")?,
            starttime: i64::try_from(hex(starttime, 8, "starttime")?)
                .map_err(|_| bad("starttime"))?,
            kind: kind.to_owned(),
            id: id.to_owned(),
            user: user.to_owned(),
        })
    }

    /// The node the task runs on.
    pub fn node(&self) -> &str {
        &self.node
    }
    /// The worker's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }
    /// The worker's process start time (clock ticks since boot).
    pub fn pstart(&self) -> u64 {
        self.pstart
    }
    /// When the task started, seconds since the Unix epoch.
    pub fn starttime(&self) -> i64 {
        self.starttime
    }
    /// The task type (`qmstart`, `vzcreate`, `imgcopy`, ...).
    pub fn task_type(&self) -> &str {
        &self.kind
    }
    /// The object the task works on (a VM id, a storage, ...); may be empty.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The user (or API token) that started it.
    pub fn user(&self) -> &str {
        &self.user
    }
    /// The UPID text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Upid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Upid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Upid({})", self.text)
    }
}

impl FromStr for Upid {
    type Err = InvalidUpid;
    fn from_str(s: &str) -> Result<Upid, InvalidUpid> {
        Upid::parse(s)
    }
}

impl Serialize for Upid {
    fn serialize<S: serde_core::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Upid {
    fn deserialize<D: serde_core::Deserializer<'de>>(d: D) -> std::result::Result<Upid, D::Error> {
        let text = String::deserialize(d)?;
        Upid::parse(&text).map_err(serde_core::de::Error::custom)
    }
}

impl TryFrom<Value> for Upid {
    type Error = InvalidUpid;
    /// A UPID from an API answer's `data` (a JSON string).
    fn try_from(value: Value) -> Result<Upid, InvalidUpid> {
        match value {
            Value::String(s) => Upid::parse(&s),
            other => Err(InvalidUpid {
                text: other.to_string(),
                why: "not a JSON string",
            }),
        }
    }
}

/// A text that is not a UPID. As a crate [`Error`](crate::Error) it is a decode error at
/// path `upid` (the text kept as the body).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid UPID ({why}): {text:?}")]
pub struct InvalidUpid {
    text: String,
    why: &'static str,
}

impl InvalidUpid {
    /// The text that was read.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// What is wrong with it (`no UPID: prefix`, `expected 7 fields`, `node`, ...).
    pub fn reason(&self) -> &'static str {
        self.why
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "UPID:pve1:000003E8:00001B58:6751A2B3:vzcreate:101:root@pam!ci:";

    #[test]
    fn upid_parses_fields_and_prints_back() {
        let upid = Upid::parse(SAMPLE).unwrap();
        assert_eq!(upid.node(), "pve1");
        assert_eq!(upid.pid(), 1000);
        assert_eq!(upid.pstart(), 7000);
        assert_eq!(upid.starttime(), 0x6751A2B3);
        assert_eq!(upid.task_type(), "vzcreate");
        assert_eq!(upid.id(), "101");
        assert_eq!(upid.user(), "root@pam!ci");
        assert_eq!(upid.to_string(), SAMPLE);
        let json = serde_json::to_string(&upid).unwrap();
        assert_eq!(serde_json::from_str::<Upid>(&json).unwrap(), upid);
    }

    #[test]
    fn upid_with_empty_id_and_long_pstart_parses() {
        let upid =
            Upid::parse("UPID:node-2:0000ABCD:123456789:6751A2B3:imgcopy::root@pam:").unwrap();
        assert_eq!(upid.id(), "");
        assert_eq!(upid.pstart(), 0x123456789);
    }

    #[test]
    fn bad_upids_are_errors_not_panics() {
        let e = Upid::parse("UPID:pve1:").unwrap_err();
        assert_eq!(e.reason(), "expected 7 fields");
        let e = crate::Error::from(e);
        assert_eq!(
            e.to_string(),
            crate::Error::decode("invalid UPID (expected 7 fields)", "upid", "UPID:pve1:")
                .to_string()
        );
        for bad in [
            "",
            "UPID:",
            "UPID:pve1:1:2:3:x:y:z:",
            "UPID:pve1:000003E8:00001B58:6751A2B3:vzcreate:101:root@pam",
            "PID:pve1:000003E8:00001B58:6751A2B3:vzcreate:101:root@pam:",
            "UPID:-pve:000003E8:00001B58:6751A2B3:vzcreate:101:root@pam:",
            "UPID:pve1:FFFFFFFFF:00001B58:6751A2B3:vzcreate:101:root@pam:",
            "UPID:pve1:000003E8:00001B58:6751A2B3::101:root@pam:",
        ] {
            assert!(Upid::parse(bad).is_err(), "{bad}");
        }
    }
}
