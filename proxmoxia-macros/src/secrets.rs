//! Which parameters and answer fields hold secrets. PVE's schema has no flag for it, so this
//! is a reviewed list: a rule by name, plus names that are secret only on some paths. A
//! secret string is typed `proxmoxia::Secret` (setters still take text): `Debug` shows
//! `***`, the wire gets the value, and the runtime redacts it from URLs, forms and errors.
//!
//! Reviewed against the parameters and answers of every vendored schema whose name contains
//! `pass`, `secret`, `token`, `ticket`, `key`, `hmac`, `otp`, `cert`, `priv` or `auth`. Left
//! out on purpose: `lock-token` (an SDN lock id, not a credential), `sshkeys`,
//! `ssh-public-keys`, `public_key`, `cert`/`certkey` of realms (file paths), the
//! subscription `key` (a licence id that GET /nodes/{node}/subscription shows anyway),
//! `keys` of users (Yubico key ids), `tokenid`/`full-tokenid` (names).

use crate::apidoc::Schema;
use crate::fixups;
use crate::ir::Ty;

/// Secret wherever they appear: credentials by PVE's own naming.
const ANYWHERE: &[&str] = &[
    "password",
    "new-password",
    "confirmation-password",
    // Cloud-init user password; PVE itself shows it as `**********` in the config.
    "cipassword",
    "ticket",
    "vncticket",
    "tfa-challenge",
    "CSRFPreventionToken",
    "otp",
    "secret",
    // OpenID client secret of a realm.
    "client-key",
    // ACME external account binding key.
    "eab-hmac-key",
    // PBS encryption key and Ceph keyring of a storage.
    "encryption-key",
    "keyring",
    // The cluster's corosync key, answered when a node is added.
    "corosync_authkey",
];

/// Secret only on these paths (the name means something harmless elsewhere).
const ON_PATH: &[(&str, &str)] = &[
    // An API token's secret, answered once when created or regenerated.
    ("value", "/access/users/{userid}/token/{tokenid}"),
    // A TOTP URI carries the TOTP secret; `value` is the current code or a challenge answer.
    ("totp", "/access/tfa/{userid}"),
    ("value", "/access/tfa/{userid}"),
    // Recovery codes, answered once when created.
    ("recovery", "/access/tfa/{userid}"),
    // A custom certificate's private key.
    ("key", "/nodes/{node}/certificates/custom"),
    // PowerDNS API key, IPAM (NetBox/phpIPAM) token.
    ("key", "/cluster/sdn/dns"),
    ("key", "/cluster/sdn/dns/{dns}"),
    ("token", "/cluster/sdn/ipams"),
    ("token", "/cluster/sdn/ipams/{ipam}"),
    // InfluxDB token of a metric server, Gotify token of a notification target.
    ("token", "/cluster/metrics/server/{id}"),
    ("token", "/cluster/notifications/endpoints/gotify"),
    ("token", "/cluster/notifications/endpoints/gotify/{name}"),
    // PVE's storage layer hides these four (`sensitive_properties`); the first three are
    // covered above.
    ("master-pubkey", "/storage"),
    ("master-pubkey", "/storage/{storage}"),
];

/// Parameters and answer fields that hold credentials but stay typed as text (typing them
/// `Secret` would change the API): hidden like secrets wherever they are shown (`Debug`;
/// for parameters also forms, URLs, errors echoing them, by the parameters' list of secrets,
/// `Validate::SECRETS`).
const HIDDEN: &[(&str, &str)] = &[
    // A proxy URL, `http://user:password@host:port/`.
    ("http_proxy", "/cluster/options"),
    // An ACME DNS plugin's settings: its API's credentials (`CF_Token=...`), base64.
    ("data", "/cluster/acme/plugins"),
    ("data", "/cluster/acme/plugins/{id}"),
];

/// True when parameter or answer field `field` at API path `path` holds a credential though
/// typed as text.
pub fn is_hidden(field: &str, path: &str) -> bool {
    HIDDEN
        .iter()
        .any(|(name, at)| *name == field && *at == path)
}

/// True when `field` at API path `path` (the template, `/access/tfa/{userid}`) holds a
/// secret: listed, or named like a password (`dell-password`, a plugin's `xyz-password`).
pub fn is_secret(field: &str, path: &str) -> bool {
    ANYWHERE.contains(&field)
        || field.ends_with("-password")
        || ON_PATH
            .iter()
            .any(|(name, at)| *name == field && *at == path)
}

/// The type of a secret answer field: a string, or an array of strings (recovery codes,
/// webhook secrets); `None` for other shapes, which keep their usual type.
pub fn answer_type(schema: &Schema) -> Option<Ty> {
    match fixups::infer_type(schema) {
        "string" => Some(Ty::Secret),
        "array" => {
            let item = schema.items()?;
            (fixups::infer_type(&item) == "string").then(|| Ty::Vec(Box::new(Ty::Secret)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::is_secret;

    #[test]
    fn secrets_match_by_name_and_path() {
        assert!(is_secret("password", "/access/users"));
        assert!(is_secret("cipassword", "/nodes/{node}/qemu"));
        assert!(is_secret("dell-password", "/storage"));
        assert!(is_secret("value", "/access/users/{userid}/token/{tokenid}"));
        assert!(!is_secret("value", "/nodes/{node}/qemu/{vmid}/pending"));
        assert!(is_secret("key", "/nodes/{node}/certificates/custom"));
        assert!(!is_secret("key", "/nodes/{node}/qemu/{vmid}/sendkey"));
        assert!(is_secret("token", "/cluster/metrics/server/{id}"));
        assert!(!is_secret("lock-token", "/cluster/sdn/dns"));
        assert!(super::is_hidden("http_proxy", "/cluster/options"));
        assert!(super::is_hidden("data", "/cluster/acme/plugins/{id}"));
        assert!(!super::is_hidden(
            "data",
            "/nodes/{node}/qemu/{vmid}/agent/file-write"
        ));
    }
}
