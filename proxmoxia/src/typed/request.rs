//! The [`Endpoint`] trait of the generated marker types, and requests: a [`PathHandle`]
//! (client and path) with an endpoint's parameters, validated,
//! checked against the cluster's version, sent, and the answer decoded. Written once for
//! all endpoints; each endpoint's request type is [`Request`] of its `Endpoint`, with the
//! endpoint's setters in an `impl` of that type beside it.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use serde_json::Value;

use crate::Client;
use crate::encode::{Form, SegmentWriter};
use crate::error::Result;
use crate::task::TaskHandle;
use crate::typed::params::{HttpMethod, Validate};
use crate::upid::Upid;
use crate::values::encode::Encode;

/// One method of one API path, as the schema describes it. Implemented by a marker type in
/// each generated method module (`api::nodes::node::rrd::get::Endpoint`).
pub trait Endpoint: 'static {
    /// The method in the catalogue: what the schema says of it, its parameters (path ones
    /// too: the handles take any value, so requests check them before sending) and their
    /// rules.
    const CATALOG: &'static crate::catalog::Method;
    /// The HTTP method.
    const METHOD: HttpMethod = Self::CATALOG.method;
    /// The path template as the API viewer shows it (`/nodes/{node}/rrd`).
    const PATH: &'static str = Self::CATALOG.path;
    /// The method's name in PVE's schema (`rrd`, `vm_status`, `create_vm`).
    const NAME: &'static str = Self::CATALOG.name;
    /// Path segment added to the handle's path (`qemu` for `node.post_qemu(..)`), or `""`.
    const SUFFIX: &'static str;
    /// The PVE versions whose schema has this method: bit `i` stands for
    /// [`crate::api::PVE_VERSIONS`]`[i]`.
    const VERSIONS: u32 = Self::CATALOG.versions;
    /// The handle type whose method builds this request.
    type Handle: AsPathHandle;
    /// The parameters (path parameters excluded: they come from the handle).
    type Params: Encode + crate::decode::FromFields + Validate + Send + Sync + 'static;
    /// The typed answer.
    type Response: for<'de> crate::decode::Lenient<'de> + Send + 'static;
}

/// Parameters of endpoint `E` from JSON (as a file or a queue holds them); an unknown name is
/// an error, values are read as leniently as answers.
pub fn params_from_json<E: Endpoint>(value: Value) -> Result<E::Params> {
    crate::decode::params(value, "params")
}

/// A client and a concrete API path (`nodes/pve1/qemu/100`): what every generated handle
/// wraps.
#[derive(Clone)]
pub struct PathHandle {
    client: Client,
    path: String,
}

impl fmt::Debug for PathHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PathHandle(/{})", self.path)
    }
}

impl PathHandle {
    /// The API root of `client`.
    pub fn root(client: &Client) -> PathHandle {
        PathHandle {
            client: client.clone(),
            path: String::new(),
        }
    }

    /// The literal child `segment`.
    #[doc(hidden)]
    pub fn child(&self, segment: &str) -> PathHandle {
        self.extended(|path| push_child(path, segment))
    }

    /// The child named by a path parameter's value (escaped, `/` included).
    #[doc(hidden)]
    pub fn param(&self, value: &dyn fmt::Display) -> PathHandle {
        self.extended(|path| push_param(path, value))
    }

    /// The literal child `segment`, then the child named by `value` (`qemu/100`), in one
    /// step.
    #[doc(hidden)]
    pub fn child_param(&self, segment: &str, value: &dyn fmt::Display) -> PathHandle {
        self.extended(|path| {
            push_child(path, segment);
            push_param(path, value);
        })
    }

    /// [`child`](PathHandle::child) of a handle that is not kept: its path is extended in
    /// place.
    fn into_child(mut self, segment: &str) -> PathHandle {
        push_child(&mut self.path, segment);
        self
    }

    /// A handle on the same client whose path is this one's, then what `extend` adds.
    fn extended(&self, extend: impl FnOnce(&mut String)) -> PathHandle {
        let mut path = String::with_capacity(self.path.len() + 32);
        path.push_str(&self.path);
        extend(&mut path);
        PathHandle {
            client: self.client.clone(),
            path,
        }
    }

    /// The escaped path, relative to the API root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Adds the escaped `segment` to `path` (nothing for an empty one).
fn push_child(path: &mut String, segment: &str) {
    if segment.is_empty() {
        return;
    }
    if !path.is_empty() {
        path.push('/');
    }
    path.push_str(segment);
}

/// Adds a path parameter's value to `path`, escaped as one segment; an empty value still
/// takes its segment, so that validation names it.
fn push_param(path: &mut String, value: &dyn fmt::Display) {
    path.push('/');
    // Writing to a String cannot fail.
    let _ = fmt::write(&mut SegmentWriter(path), format_args!("{value}"));
}

/// Anything that stands for an API path: generated handles, and [`Client`] for the root.
pub trait AsPathHandle {
    /// The path handle.
    fn path_handle(&self) -> PathHandle;
}

impl AsPathHandle for Client {
    fn path_handle(&self) -> PathHandle {
        PathHandle::root(self)
    }
}

impl AsPathHandle for PathHandle {
    fn path_handle(&self) -> PathHandle {
        self.clone()
    }
}

/// A typed request: a path, the endpoint's parameters, and optional extras. Set optional
/// parameters with its chainable setters, then `.await` it.
#[must_use = "a request does nothing until it is awaited"]
pub struct Request<E: Endpoint> {
    target: PathHandle,
    params: E::Params,
    extra: Form,
    endpoint: PhantomData<fn() -> E>,
}

impl<E: Endpoint> fmt::Debug for Request<E>
where
    E::Params: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &E::METHOD)
            .field("path", &self.target.path)
            .field("params", &self.params)
            .field("extra", &self.extra)
            .finish()
    }
}

impl<E: Endpoint> Request<E> {
    #[doc(hidden)]
    pub fn new(target: PathHandle, params: E::Params) -> Request<E> {
        Request {
            target,
            params,
            extra: Form::new(),
            endpoint: PhantomData,
        }
    }

    /// A request from parameters built elsewhere (e.g. deserialised from a file).
    pub fn from_params(handle: &E::Handle, params: E::Params) -> Request<E> {
        Request::new(handle.path_handle().into_child(E::SUFFIX), params)
    }

    /// The parameters.
    pub fn params(&self) -> &E::Params {
        &self.params
    }

    /// The parameters, to change several at once.
    pub fn params_mut(&mut self) -> &mut E::Params {
        &mut self.params
    }

    /// Replaces all parameters.
    pub fn with_params(mut self, params: E::Params) -> Request<E> {
        self.params = params;
        self
    }

    /// Adds a parameter the schema does not know (a newer PVE's). Not validated.
    pub fn extra_param(mut self, name: &str, value: impl fmt::Display) -> Request<E> {
        self.push_extra(name, &value);
        self
    }

    #[doc(hidden)]
    pub fn push_extra(&mut self, name: &str, value: &dyn fmt::Display) {
        self.extra.push(name, value.to_string());
    }

    /// The API path this request goes to.
    pub fn api_path(&self) -> &str {
        &self.target.path
    }

    /// Checks the path and body parameters against the schema; nothing is sent.
    pub fn validate(&self) -> Result<()> {
        self.checked().map(drop)
    }

    /// The parameters encoded once, after the path and they are checked (typed property
    /// strings as their printed text, as PVE reads them).
    fn checked(&self) -> Result<Value> {
        E::CATALOG.check_path(&self.target.path)?;
        let encoded = self.params.encode();
        crate::validate::body(&encoded, E::CATALOG.params)?;
        Ok(encoded)
    }

    /// The wire form: what would be sent (after validation).
    pub fn to_form(&self) -> Result<Form> {
        let encoded = self.checked()?;
        let secret = secret_names::<E>(&encoded);
        form(encoded, &self.extra, &secret)
    }

    /// Checks the request as [`validate`](Request::validate) does, then against PVE
    /// `version`: everything it uses must exist there ([`crate::Error::Unsupported`]), and parameters
    /// whose rules differ between versions must meet that version's. This is what sending
    /// checks once the client knows the cluster's version.
    pub fn validate_for(&self, version: &crate::PveVersion) -> Result<()> {
        validate_for::<E>(&self.target.path, &self.params, version)
    }

    /// Everything sending needs, taken from the request now (so the request itself can be
    /// sent again): validation errors come out here, before anything is sent.
    fn outgoing(&self) -> Result<Outgoing> {
        let encoded = self.checked()?;
        Ok(Outgoing::new::<E>(
            encoded,
            self.target.clone(),
            self.extra.clone(),
        ))
    }

    /// [`outgoing`](Request::outgoing) of a request that is not kept: its parts are moved,
    /// not copied.
    fn into_outgoing(self) -> Result<Outgoing> {
        let encoded = self.checked()?;
        Ok(Outgoing::new::<E>(encoded, self.target, self.extra))
    }

    /// Sends the request and returns PVE's answer undecoded (the `data` value). The request
    /// stays as it was: it can be sent again.
    pub fn send_json(&self) -> ResponseFuture<Value> {
        let outgoing = self.outgoing();
        Box::pin(async move {
            let body = outgoing?.exchange::<E>().await?;
            crate::decode::data_json(&body).map_err(|e| e.answering(E::METHOD.as_str()))
        })
    }

    /// Sends the request and decodes the answer (what `.await` does). The request stays as
    /// it was: it can be sent again.
    pub fn send(&self) -> ResponseFuture<E::Response> {
        decoded::<E>(self.outgoing())
    }
}

/// Sends `outgoing` and decodes the answer.
fn decoded<E: Endpoint>(outgoing: Result<Outgoing>) -> ResponseFuture<E::Response> {
    Box::pin(async move {
        let body = outgoing?.exchange::<E>().await?;
        crate::decode::data(&body).map_err(|e| e.answering(E::METHOD.as_str()))
    })
}

/// A validated request on its way out.
struct Outgoing {
    client: Client,
    path: String,
    /// The parameters, encoded and validated.
    encoded: Value,
    /// Parameters the schema does not know ([`Request::extra_param`]).
    extra: Form,
    /// The parameters typed as secrets, hidden wherever the form is shown.
    secret: Vec<String>,
}

/// The parameters of `encoded` typed [`Secret`](crate::Secret) (by the generator's list, so
/// nothing is encoded twice to find them).
fn secret_names<E: Endpoint>(encoded: &Value) -> Vec<String> {
    let secrets = <E::Params as Validate>::SECRETS;
    let Some(map) = encoded.as_object().filter(|_| !secrets.is_empty()) else {
        return Vec::new();
    };
    map.iter()
        .filter(|(key, value)| {
            !value.is_null()
                && secrets.iter().any(|&(name, family)| {
                    if family {
                        crate::decode::family_index(key, name).is_some()
                    } else {
                        key.as_str() == name
                    }
                })
        })
        .map(|(key, _)| key.clone())
        .collect()
}

/// The wire form of `encoded` parameters and the `extra` ones, `secret` ones marked.
fn form(encoded: Value, extra: &Form, secret: &[String]) -> Result<Form> {
    let mut form = Form::from_value(encoded)?;
    for (k, v) in extra.pairs() {
        form.push(k.clone(), v.clone());
    }
    for name in secret {
        form.mark_secret(name.clone());
    }
    Ok(form)
}

impl Outgoing {
    fn new<E: Endpoint>(encoded: Value, target: PathHandle, extra: Form) -> Outgoing {
        Outgoing {
            secret: secret_names::<E>(&encoded),
            encoded,
            client: target.client,
            path: target.path,
            extra,
        }
    }

    /// Checks the cluster's version has what the request uses, then sends it: the body of
    /// PVE's answer.
    async fn exchange<E: Endpoint>(self) -> Result<bytes::Bytes> {
        check_versions::<E>(&self.client, &self.path, &self.encoded).await?;
        let form = form(self.encoded, &self.extra, &self.secret)?;
        self.client
            .send(E::METHOD.to_reqwest(), &self.path, form)
            .await
    }
}

/// Refuses, before sending, a typed call to `E` that uses something the cluster's version
/// lacks, or breaks that version's own rule of a parameter the versions check differently.
/// Asks for the version only when needed.
async fn check_versions<E: Endpoint>(client: &Client, path: &str, params: &Value) -> Result<()> {
    if !client.version_guard() || !crate::version::needs_version(E::CATALOG, params) {
        return Ok(());
    }
    // Boxed: asking the version is a whole call, whose state every typed request's future
    // would otherwise carry.
    let cluster = Box::pin(client.pve_version()).await?;
    crate::version::check_request(E::CATALOG, Some(path), params, &cluster)
}

impl<E: Endpoint<Response = String>> Request<E> {
    /// Sends a request that starts a PVE task and returns a handle to wait for it.
    pub fn task(&self) -> ResponseFuture<TaskHandle> {
        let client = self.target.client.clone();
        let answer = self.send();
        Box::pin(async move { Ok(client.task(&answered_upid::<E>(&answer.await?)?)) })
    }
}

impl<E: Endpoint<Response = Option<String>>> Request<E> {
    /// Sends a request that may start a PVE task; the handle, if it did.
    pub fn maybe_task(&self) -> ResponseFuture<Option<TaskHandle>> {
        let client = self.target.client.clone();
        let answer = self.send();
        Box::pin(async move {
            match answer.await? {
                Some(text) => Ok(Some(client.task(&answered_upid::<E>(&text)?))),
                None => Ok(None),
            }
        })
    }
}

/// The task id a request to `E` answered; one that does not read is that answer's decode
/// error.
fn answered_upid<E: Endpoint>(text: &str) -> Result<Upid> {
    Upid::parse(text).map_err(|e| crate::Error::from(e).answering(E::METHOD.as_str()))
}

/// Checks a request to `E` as [`Request::validate_for`] does, from its parts: the path it
/// goes to (relative to the API root, escaped, as [`Request::api_path`] gives it) and its
/// parameters.
pub fn validate_for<E: Endpoint>(
    path: &str,
    params: &E::Params,
    version: &crate::PveVersion,
) -> Result<()> {
    E::CATALOG.check_path(path)?;
    let encoded = params.encode();
    crate::validate::body(&encoded, E::CATALOG.params)?;
    crate::version::check_request(E::CATALOG, Some(path), &encoded, version)
}

/// What awaiting a request gives: its answer, decoded.
pub type ResponseFuture<T> = Pin<Box<dyn Future<Output = Result<T>> + Send>>;

impl<E: Endpoint> IntoFuture for Request<E> {
    type Output = Result<E::Response>;
    type IntoFuture = ResponseFuture<E::Response>;

    fn into_future(self) -> Self::IntoFuture {
        // What `send` does, without keeping the request to send again.
        decoded::<E>(self.into_outgoing())
    }
}

#[cfg(test)]
mod tests {
    use crate::api::access::tfa::userid::post::Type;
    use crate::api::formats::QemuNet;
    use crate::typed::{Encode, Endpoint};

    /// The one-step and in-place ways of extending a path give what the steps one at a time
    /// give.
    #[test]
    fn path_steps_in_one_go_or_in_place_are_the_steps_one_by_one() -> crate::Result<()> {
        use super::PathHandle;
        let client = crate::Client::builder("https://127.0.0.1:8006").build()?;
        let root = PathHandle::root(&client);
        let node = root.child("nodes").param(&"pve 1/x");
        assert_eq!(node.path(), "nodes/pve%201%2Fx");
        assert_eq!(root.child_param("nodes", &"pve 1/x").path(), node.path());
        let vm = node.child_param("qemu", &100);
        assert_eq!(vm.path(), "nodes/pve%201%2Fx/qemu/100");
        assert_eq!(vm.path(), node.child("qemu").param(&100).path());
        assert_eq!(vm.child("").path(), vm.path());
        assert_eq!(vm.clone().into_child("").path(), vm.path());
        assert_eq!(
            vm.clone().into_child("config").path(),
            vm.child("config").path()
        );
        // An empty value still takes its segment; at the root too.
        assert_eq!(
            node.child_param("qemu", &"").path(),
            "nodes/pve%201%2Fx/qemu/"
        );
        assert_eq!(root.param(&7).path(), "/7");
        assert_eq!(root.child_param("", &7).path(), root.param(&7).path());
        Ok(())
    }

    /// Typed property strings are checked as their printed text: the error a request gets is
    /// the one checking the encoded parameters gets, first error first.
    #[test]
    fn typed_property_strings_fail_as_their_text_would() -> crate::Result<()> {
        let client = crate::Client::builder("https://127.0.0.1:8006").build()?;
        let config = || client.nodes("pve1").qemu(100).config().post();
        let by_text = |request: &crate::api::nodes::node::qemu::vmid::config::post::Request| {
            let rules = crate::api::nodes::node::qemu::vmid::config::post::Endpoint::CATALOG;
            crate::validate::body(&request.params().encode(), rules.params)
                .map_err(|e| e.to_string())
        };
        let bad_tag = QemuNet::virtio().bridge("vmbr0").tag(99_999);
        let cases = [
            config().nets(0, QemuNet::virtio().bridge("vmbr0").tag(20)),
            config().nets(0, bad_tag.clone()),
            config().cores(0).nets(0, bad_tag.clone()),
            config().nets(1, QemuNet::virtio()).nets(0, bad_tag.clone()),
            config().nets(0, QemuNet::new().bridge("vmbr0")),
        ];
        let outcomes: Vec<_> = cases
            .iter()
            .map(|request| {
                let typed = request.validate().map_err(|e| e.to_string());
                assert_eq!(typed, by_text(request));
                typed
                    .err()
                    .map(|e| e.split(':').next().unwrap_or_default().to_owned())
            })
            .collect();
        assert_eq!(
            outcomes,
            [
                None,
                Some("invalid parameter net0.tag".to_owned()),
                Some("invalid parameter cores".to_owned()),
                Some("invalid parameter net0.tag".to_owned()),
                Some("invalid parameter net0.model".to_owned()),
            ]
        );
        Ok(())
    }

    /// A parameter typed `Secret` whose name does not look secret (`value`, a TOTP secret) is
    /// hidden in the form by the generator's list; one that is not typed `Secret` is shown.
    #[test]
    fn parameters_typed_secret_are_hidden_in_the_form() -> crate::Result<()> {
        let client = crate::Client::builder("https://127.0.0.1:8006").build()?;
        let form = client
            .access()
            .tfa("root@pam")
            .post(Type::Totp)
            .value("JBSWY3DPEHPK3PXP")
            .description("phone")
            .to_form()?;
        assert!(form.is_secret("value"));
        assert!(!form.is_secret("description"));
        assert_eq!(
            form.to_redacted_urlencoded(),
            "description=phone&type=totp&value=***"
        );
        Ok(())
    }
}
