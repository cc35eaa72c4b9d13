//! The blocking client's builder: every setting of the async [`crate::ClientBuilder`].

use std::time::Duration;

use super::Client;
use crate::ApiToken;
use crate::error::Result;

/// Builds a [`Client`]. Created by [`Client::builder`]; the settings are those of
/// [`crate::ClientBuilder`] (see there).
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    inner: crate::ClientBuilder,
}

macro_rules! forward {
    ($( $(#[$doc:meta])* $name:ident ( $($arg:ident : $ty:ty),* ) ;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(self, $($arg: $ty),*) -> ClientBuilder {
                ClientBuilder { inner: self.inner.$name($($arg),*) }
            }
        )*
    };
}

impl ClientBuilder {
    pub(super) fn new(inner: crate::ClientBuilder) -> ClientBuilder {
        ClientBuilder { inner }
    }

    forward! {
        /// [`crate::ClientBuilder::port`].
        port(port: u16);
        /// [`crate::ClientBuilder::connect_timeout`].
        connect_timeout(timeout: Duration);
        /// [`crate::ClientBuilder::timeout`].
        timeout(timeout: Option<Duration>);
        /// [`crate::ClientBuilder::add_ca_pem`].
        add_ca_pem(pem: &[u8]);
        /// [`crate::ClientBuilder::builtin_roots`].
        builtin_roots(enabled: bool);
        /// [`crate::ClientBuilder::fingerprint`].
        fingerprint(fingerprint: &str);
        /// [`crate::ClientBuilder::danger_accept_invalid_certs`].
        danger_accept_invalid_certs(accept: bool);
        /// [`crate::ClientBuilder::token`].
        token(token: ApiToken);
        /// [`crate::ClientBuilder::ticket_renew_after`].
        ticket_renew_after(age: Duration);
        /// [`crate::ClientBuilder::pve_version`].
        pve_version(version: &str);
        /// [`crate::ClientBuilder::version_guard`].
        version_guard(enabled: bool);
        /// [`crate::ClientBuilder::max_body_bytes`].
        max_body_bytes(limit: u64);
        /// [`crate::ClientBuilder::max_answer_values`].
        max_answer_values(limit: u64);
        /// [`crate::ClientBuilder::transfer_inactivity_timeout`].
        transfer_inactivity_timeout(timeout: Option<Duration>);
    }

    /// [`crate::ClientBuilder::user_agent`].
    pub fn user_agent(self, agent: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            inner: self.inner.user_agent(agent),
        }
    }

    /// [`crate::ClientBuilder::api_token`].
    pub fn api_token(self, id: impl Into<String>, secret: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            inner: self.inner.api_token(id, secret),
        }
    }

    /// Builds the client and starts its runtime thread.
    pub fn build(self) -> Result<Client> {
        Client::new(self.inner.build()?)
    }
}
