//! Property strings (`virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1`) read and printed by
//! the generated types of `proxmoxia::api::formats`; no fakepve needed.
//!
//! * [`every_format_round_trips`]: every format of [`formats::ALL`], with texts built from the
//!   format's own keys and rules: the printed text is canonical (known exactly), a fixed point
//!   of `reprint`, and reads back as an equal value of its concrete type (`typed_checks!`
//!   names every format), also through the lenient answer decoder. Texts with unknown keys
//!   and texts that cannot be read go through the answer decoder: kept, and printed back.
//! * serde: every typed value of this file (every format's texts, the documented examples,
//!   the lenient readings) is round-tripped through serde ([`serde_check`]): it serialises
//!   to a JSON string, its canonical printed text (for unreadable text, the text as it
//!   came), and deserialises back to an equal value. Each test counts its round trips and
//!   asserts the exact number ([`SerdeTrips`]).
//! * Examples from PVE's documentation (`qm.conf(5)`, `pct.conf(5)`), each with its typed
//!   fields checked.
//! * Lenient reading of answers: PVE's boolean spellings, numbers in JSON, unknown keys,
//!   quoting, text that cannot be read kept as it came.
//! * [`List`]: `-list` values.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::{Debug, Display};
use std::str::FromStr;

use proxmoxia::api::formats::{self, ALL};
use proxmoxia::api::formats::{
    ClusterBackupPruneBackups, ClusterFirewallOptionsLogRatelimit, ClusterOptionsMigration,
    ClusterOptionsMigrationType, LxcDev, LxcFeatures, LxcMp, LxcNet, LxcNetType, LxcRootfs,
    LxcStartup, QemuAgent, QemuAgentType, QemuBoot, QemuCpu, QemuEfidisk, QemuEfidiskEfitype,
    QemuEfidiskMsCert, QemuHostpci, QemuIde, QemuIdeMedia, QemuIpconfig, QemuMachine,
    QemuMachineViommu, QemuMemory, QemuNet, QemuNetModel, QemuNuma, QemuNumaPolicy, QemuRng,
    QemuRngSource, QemuScsi, QemuScsiCache, QemuScsiDiscard, QemuSmbios, QemuTpmstate,
    QemuTpmstateVersion, QemuUnused, QemuUsb, QemuVga, QemuVgaType, QemuVirtiofs,
    QemuVirtiofsCache, QemuWatchdog, QemuWatchdogModel,
};
use proxmoxia::catalog::{PropFormat, PropKey, Ty};
use proxmoxia::typed::{Encode, List, PropError, PropertyString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

// ------------------------------------------------------------------------------------------
// serde round trips.

thread_local! {
    /// The serde round trips the current test did ([`serde_check`]). Each test runs on a
    /// thread of its own (or one after another on one thread): [`SerdeTrips::start`] resets.
    static SERDE_TRIPS: Cell<usize> = const { Cell::new(0) };
}

/// The count of one test's serde round trips.
struct SerdeTrips;

impl SerdeTrips {
    /// Starts counting from zero.
    fn start() -> SerdeTrips {
        SERDE_TRIPS.with(|c| c.set(0));
        SerdeTrips
    }

    /// The round trips so far.
    fn count(&self) -> usize {
        SERDE_TRIPS.with(Cell::get)
    }

    /// Asserts the test did exactly `expected` round trips.
    #[track_caller]
    fn expect(self, expected: usize) {
        assert_eq!(self.count(), expected, "serde round trips of this test");
    }
}

/// What a generated property-string type is, for the checks below: read and printed as
/// text, serde both ways, compared.
trait PropType:
    PropertyString
    + Serialize
    + DeserializeOwned
    + FromStr<Err = PropError>
    + Display
    + Debug
    + PartialEq
{
}

impl<T> PropType for T where
    T: PropertyString
        + Serialize
        + DeserializeOwned
        + FromStr<Err = PropError>
        + Display
        + Debug
        + PartialEq
{
}

/// The serde round trip of a property-string value: `to_value` and `to_string` write one JSON
/// string, its printed text (`Display`: canonical, or the text as it came when unreadable);
/// `from_value` reads it back as an equal value, which serialises the same again. Counted in
/// [`SERDE_TRIPS`] when it holds.
fn serde_check<T>(value: &T) -> Result<(), String>
where
    T: Serialize + DeserializeOwned + Display + Debug + PartialEq,
{
    let text = value.to_string();
    let json = serde_json::to_value(value).map_err(|e| format!("to_value: {e}"))?;
    if json != Value::String(text.clone()) {
        return Err(format!("serialises as {json}, not as its text {text:?}"));
    }
    let written = serde_json::to_string(value).map_err(|e| format!("to_string: {e}"))?;
    let expected = serde_json::to_string(&text).map_err(|e| format!("to_string: {e}"))?;
    if written != expected {
        return Err(format!("to_string writes {written}, not its text {text:?}"));
    }
    let back: T = serde_json::from_value(json.clone())
        .map_err(|e| format!("{json} does not deserialise: {e}"))?;
    if back != *value {
        return Err(format!("{json} reads back as {back:?}, not {value:?}"));
    }
    let again = serde_json::to_value(&back).map_err(|e| format!("to_value: {e}"))?;
    if again != json {
        return Err(format!("read back, it serialises as {again}, not {json}"));
    }
    SERDE_TRIPS.with(|c| c.set(c.get() + 1));
    Ok(())
}

/// [`serde_check`], or a panic naming the value.
#[track_caller]
fn serde_round_trip<T>(value: &T)
where
    T: Serialize + DeserializeOwned + Display + Debug + PartialEq,
{
    if let Err(e) = serde_check(value) {
        panic!("serde round trip of {value:?}: {e}");
    }
}

// ------------------------------------------------------------------------------------------
// Helpers.

/// Reads `text` as a `T` strictly, checks that it prints as `printed` and that the printed
/// text reads back as an equal value (and prints the same again), and its serde round trip
/// (its JSON: the string `printed`). Returns the value.
#[track_caller]
fn round_trip<T>(text: &str, printed: &str) -> T
where
    T: PropType + Encode,
{
    let value: T = text
        .parse()
        .unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
    assert!(value.unparsed().is_none());
    assert!(value.extra().is_empty(), "{text:?}: {:?}", value.extra());
    assert_eq!(value.to_string(), printed, "{text:?} printed");
    let again: T = printed
        .parse()
        .unwrap_or_else(|e| panic!("{printed:?} (printed) does not parse: {e}"));
    assert_eq!(again, value, "{text:?} -> {printed:?} -> a different value");
    assert_eq!(again.to_string(), printed);
    // The answer path (lenient decoding) reads the same, and encoding gives the text.
    let decoded: T = serde_json::from_value(Value::String(text.to_owned())).unwrap();
    assert_eq!(decoded, value);
    assert_eq!(value.encode(), Value::String(printed.to_owned()));
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        Value::String(printed.to_owned())
    );
    serde_round_trip(&value);
    value
}

/// Reads `text` as a `T` and checks that the printed text, whatever its spelling, reads back
/// as an equal value and is a fixed point; and its serde round trip.
#[track_caller]
fn equivalent<T>(text: &str) -> T
where
    T: PropType,
{
    let value: T = text
        .parse()
        .unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
    assert!(value.extra().is_empty(), "{text:?}: {:?}", value.extra());
    let printed = value.to_string();
    let again: T = printed.parse().unwrap();
    assert_eq!(again, value, "{text:?} -> {printed:?} -> a different value");
    assert_eq!(again.to_string(), printed);
    serde_round_trip(&value);
    value
}

/// What property-string type `T`'s own `Deserialize` (lenient, as for answers) makes of an
/// answer's `value`; its serde round trip checked.
#[track_caller]
fn decode<T>(value: Value) -> T
where
    T: PropertyString + Serialize + DeserializeOwned + Display + Debug + PartialEq,
{
    let decoded = serde_json::from_value(value).unwrap();
    serde_round_trip(&decoded);
    decoded
}

/// What `T`'s own `Deserialize` makes of `value` (for types that are no property string).
fn decode_json<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap()
}

/// Quotes a value the way PVE (and the printer) do when it holds a comma, quote or
/// backslash.
fn quoted(value: &str) -> String {
    if value.contains([',', '"', '\\']) {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        value.to_owned()
    }
}

// ------------------------------------------------------------------------------------------
// Every format.

/// How [`example_value`] picks values: the low end of each rule, or the high end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pick {
    Low,
    High,
}

/// A value fitting `key`'s rule, as the printer writes it: booleans `1`/`0`, integers at a
/// bound (or a small number), numbers half-way off a bound, enums their first (last) value,
/// other strings a plain word.
fn example_value(key: &PropKey, pick: Pick) -> String {
    let rule = &key.rule;
    match rule.ty {
        Ty::Bool => match pick {
            Pick::Low => "1".to_owned(),
            Pick::High => "0".to_owned(),
        },
        Ty::Int => {
            let n = match pick {
                Pick::Low => rule.minimum.or(rule.maximum).unwrap_or(7.0),
                Pick::High => rule.maximum.unwrap_or(rule.minimum.unwrap_or(0.0) + 4096.0),
            };
            format!("{}", n as i64)
        }
        Ty::Num => {
            let n = match (pick, rule.minimum, rule.maximum) {
                (Pick::Low, Some(min), _) => min + 0.5,
                (Pick::Low, None, Some(max)) => max - 0.5,
                (Pick::Low, None, None) => 2.5,
                (Pick::High, _, Some(max)) => max - 0.25,
                (Pick::High, Some(min), None) => min + 1234.75,
                (Pick::High, None, None) => 1234.75,
            };
            format!("{n}")
        }
        Ty::Str | Ty::Any => match (pick, rule.enum_values.first(), rule.enum_values.last()) {
            (Pick::Low, Some(first), _) => (*first).to_owned(),
            (Pick::High, _, Some(last)) => (*last).to_owned(),
            (Pick::Low, _, _) => "word".to_owned(),
            (Pick::High, _, _) => "another-word".to_owned(),
        },
    }
}

/// The keys of `format` that are not aliases, in schema order.
fn own_keys(format: &PropFormat) -> impl Iterator<Item = &'static PropKey> + use<> {
    format.keys.iter().filter(|k| k.alias.is_none())
}

/// The canonical text of `values` (key, value) in `format`, by the documented printing
/// rule (PVE's `print_property_string`): the key-alias form first (`virtio=MAC`), then the
/// default key's value bare, then the required keys, then the others, in schema order.
fn canonical(format: &PropFormat, values: &[(String, String)]) -> String {
    let get = |key: &str| values.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let mut parts = Vec::new();
    let mut done: Vec<&str> = Vec::new();
    for entry in format.keys {
        let (Some(target), Some(key_alias)) = (entry.alias, entry.key_alias) else {
            continue;
        };
        if get(key_alias).is_some_and(|v| v == entry.key) {
            if let Some(value) = get(target) {
                parts.push(format!("{}={}", entry.key, quoted(value)));
                done.extend([key_alias, target]);
            }
        }
    }
    if let Some(dk) = format.default_key {
        if let Some(value) = get(dk).filter(|_| !done.contains(&dk)) {
            parts.push(quoted(value));
            done.push(dk);
        }
    }
    for required in [true, false] {
        for key in own_keys(format).filter(|k| k.rule.optional != required) {
            if done.contains(&key.key) {
                continue;
            }
            if let Some(value) = get(key.key) {
                parts.push(format!("{}={}", key.key, quoted(value)));
            }
        }
    }
    parts.join(",")
}

/// `key=value` for each pair, in the order given.
fn explicit(values: &[(String, String)]) -> String {
    values
        .iter()
        .map(|(k, v)| format!("{k}={}", quoted(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads a text as a concrete type and checks the typed round trip, serde's included; see
/// [`typed_checks`].
#[track_caller]
fn typed_round_trip<T>(text: &str) -> Result<String, String>
where
    T: PropType,
{
    let value: T = text.parse().map_err(|e: PropError| e.to_string())?;
    if !value.extra().is_empty() {
        return Err(format!("unknown keys {:?}", value.extra()));
    }
    let printed = value.to_string();
    let again: T = printed
        .parse()
        .map_err(|e: PropError| format!("printed {printed:?} does not parse: {e}"))?;
    if again != value {
        return Err(format!("{printed:?} reads as {again:?}, not {value:?}"));
    }
    let decoded: T =
        serde_json::from_value(Value::String(text.to_owned())).map_err(|e| e.to_string())?;
    if decoded != value {
        return Err(format!("decoded {decoded:?}, parsed {value:?}"));
    }
    serde_check(&value)?;
    Ok(printed)
}

/// What an answer's text became: its printed text, unknown keys, and the text kept when it
/// could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Kept {
    printed: String,
    extra: BTreeMap<String, String>,
    unparsed: Option<String>,
}

/// Reads a text as a concrete type the way answers are read (leniently: unknown keys and
/// unreadable text kept), checks its serde round trip, and says what was kept.
fn typed_answer<T>(text: &str) -> Result<Kept, String>
where
    T: PropertyString + Serialize + DeserializeOwned + Display + Debug + PartialEq,
{
    let value: T =
        serde_json::from_value(Value::String(text.to_owned())).map_err(|e| e.to_string())?;
    serde_check(&value)?;
    Ok(Kept {
        printed: value.to_string(),
        extra: value.extra().clone(),
        unparsed: value.unparsed().map(|u| u.raw.clone()),
    })
}

/// The checks of one format that need its concrete type.
#[derive(Clone, Copy)]
struct Typed {
    /// [`typed_round_trip`].
    strict: fn(&str) -> Result<String, String>,
    /// [`typed_answer`].
    answer: fn(&str) -> Result<Kept, String>,
}

/// The typed checks of the format named `name`: the generated types, by name. A format not
/// listed here (one the generator added or renamed since) fails
/// [`every_format_round_trips`], which names it: add it here.
macro_rules! typed_checks {
    ($($ty:ident),* $(,)?) => {
        fn typed_check(name: &str) -> Option<Typed> {
            match name {
                $( stringify!($ty) => Some(Typed {
                    strict: typed_round_trip::<formats::$ty>,
                    answer: typed_answer::<formats::$ty>,
                }), )*
                _ => None,
            }
        }
    };
}

typed_checks!(
    AccessDomainsSyncDefaultsOptions,
    AccessDomainsTfa,
    CephPoolErasureCoding,
    ClusterBackupFleecing,
    ClusterBackupPerformance,
    ClusterBackupPruneBackups,
    ClusterConfigJoinLink,
    ClusterConfigJoinRing0Addr,
    ClusterConfigLink,
    ClusterConfigNodesLink,
    ClusterFirewallOptionsLogRatelimit,
    ClusterMappingDirMap,
    ClusterMappingPciMap,
    ClusterMappingUsbMap,
    ClusterOptionsBwlimit,
    ClusterOptionsCrs,
    ClusterOptionsHa,
    ClusterOptionsLocation,
    ClusterOptionsMigration,
    ClusterOptionsNextId,
    ClusterOptionsNotify,
    ClusterOptionsReplication,
    ClusterOptionsTagStyle,
    ClusterOptionsU2f,
    ClusterOptionsUserTagAccess,
    ClusterOptionsWebauthn,
    ClusterSdnFabricsAllPeers,
    ClusterSdnFabricsNodePeers,
    ClusterSdnPrefixListsEntries,
    ClusterSdnRouteMapsEntriesExitAction,
    ClusterSdnRouteMapsEntriesMatch,
    ClusterSdnRouteMapsEntriesSet,
    ConfigAcme,
    ConfigAcmedomain,
    ConfigLocation,
    ConfigWakeonlan,
    DisksZfsDraidConfig,
    LxcDev,
    LxcFeatures,
    LxcMp,
    LxcNet,
    LxcRootfs,
    LxcStartup,
    LxcTargetEndpoint,
    LxcUnused,
    QemuAgent,
    QemuAmdSev,
    QemuAudio,
    QemuBoot,
    QemuCdrom,
    QemuCicustom,
    QemuCpu,
    QemuEfidisk,
    QemuHostpci,
    QemuIde,
    QemuIntelTdx,
    QemuIpconfig,
    QemuIvshmem,
    QemuMachine,
    QemuMemory,
    QemuMeta,
    QemuNet,
    QemuNuma,
    QemuRng,
    QemuRunningmachine,
    QemuSata,
    QemuScsi,
    QemuSmbios,
    QemuSpiceEnhancements,
    QemuStartup,
    QemuTargetEndpoint,
    QemuTpmstate,
    QemuUnused,
    QemuUsb,
    QemuVga,
    QemuVirtio,
    QemuVirtiofs,
    QemuWatchdog,
    StorageBwlimit,
    StoragePruneBackups,
    VzdumpDefaultsFleecing,
    VzdumpDefaultsPerformance,
    VzdumpDefaultsPruneBackups,
    VzdumpFleecing,
    VzdumpPerformance,
    VzdumpPruneBackups,
);

/// One format's example texts: (what it is, text, its canonical printed form).
fn examples(format: &PropFormat) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for pick in [Pick::Low, Pick::High] {
        let values: Vec<(String, String)> = own_keys(format)
            .map(|k| (k.key.to_owned(), example_value(k, pick)))
            .collect();
        let printed = canonical(format, &values);
        out.push((
            format!("every key ({pick:?}), written key=value"),
            explicit(&values),
            printed.clone(),
        ));
        out.push((
            format!("every key ({pick:?}), canonical"),
            printed.clone(),
            printed,
        ));
        // The keys in reverse order: order does not matter when reading.
        let mut reversed = values.clone();
        reversed.reverse();
        out.push((
            format!("every key ({pick:?}), reversed"),
            explicit(&reversed),
            canonical(format, &values),
        ));
    }
    if let Some(dk) = format.default_key {
        let key = format.key(dk).expect("the default key is a key");
        let value = example_value(key, Pick::Low);
        let only = vec![(dk.to_owned(), value.clone())];
        out.push((
            "default key bare".into(),
            quoted(&value),
            canonical(format, &only),
        ));
        out.push((
            "default key named".into(),
            explicit(&only),
            canonical(format, &only),
        ));
    }
    for entry in format.keys {
        let Some(target) = entry.alias else {
            continue;
        };
        let target_key = format.key(target).expect("an alias names a key");
        let value = example_value(target_key, Pick::Low);
        let text = format!("{}={}", entry.key, quoted(&value));
        let mut values = vec![(target.to_owned(), value)];
        if let Some(key_alias) = entry.key_alias {
            // `virtio=MAC`: sets `model=virtio` and `macaddr=MAC`.
            values.push((key_alias.to_owned(), entry.key.to_owned()));
        }
        out.push((
            format!("alias {}", entry.key),
            text,
            canonical(format, &values),
        ));
    }
    out
}

/// Keys no format has, for unknown keys.
const UNKNOWN_KEYS: [&str; 2] = ["x-proxmoxia-a", "x-proxmoxia-b"];

/// One format's answer texts with unknown keys or that cannot be read: (what it is, text,
/// what must be kept). Unknown keys print last, by name, quoted where needed; unreadable
/// text is kept and printed as it came.
fn kept_examples(format: &PropFormat) -> Vec<(String, String, Kept)> {
    let mut out = Vec::new();
    let values: Vec<(String, String)> = own_keys(format)
        .map(|k| (k.key.to_owned(), example_value(k, Pick::Low)))
        .collect();
    let [a, b] = UNKNOWN_KEYS;
    assert!(format.key(a).is_none() && format.key(b).is_none());
    out.push((
        "unknown keys".to_owned(),
        format!("{},{b}=1,{a}=\"x,y\"", explicit(&values)),
        Kept {
            printed: format!("{},{a}=\"x,y\",{b}=1", canonical(format, &values)),
            extra: BTreeMap::from([
                (a.to_owned(), "x,y".to_owned()),
                (b.to_owned(), "1".to_owned()),
            ]),
            unparsed: None,
        },
    ));
    let unreadable = |what: &str, text: String| {
        let kept = Kept {
            printed: text.clone(),
            extra: BTreeMap::new(),
            unparsed: Some(text.clone()),
        };
        (format!("unreadable: {what}"), text, kept)
    };
    let key = own_keys(format).next().expect("a key");
    let value = quoted(&example_value(key, Pick::Low));
    out.push(unreadable(
        "a key twice",
        format!("{0}={value},{0}={value}", key.key),
    ));
    out.push(unreadable(
        "an unterminated quote",
        format!("{}=\"x", key.key),
    ));
    let typed = own_keys(format).find_map(|key| match key.rule.ty {
        Ty::Bool => Some((key, "maybe")),
        Ty::Int => Some((key, "1.5x")),
        Ty::Num => Some((key, "many")),
        Ty::Str | Ty::Any => None,
    });
    if let Some((key, bad)) = typed {
        out.push(unreadable(
            "a value of the wrong type",
            format!("{}={bad}", key.key),
        ));
    }
    out
}

/// The numbers [`every_format_round_trips`] checks; a change of the formats changes them
/// (review, then update): formats, their example texts, their texts with unknown keys or
/// unreadable, and the serde round trips (one per text of either kind).
const EVERY_FORMAT: (usize, usize, usize, usize) = (86, 641, 320, 961);

#[test]
fn every_format_round_trips() {
    let trips = SerdeTrips::start();
    let mut formats_checked = 0;
    let mut missing = Vec::new();
    let mut texts_checked = 0;
    let mut kept_checked = 0;
    let mut failures = Vec::new();
    for entry in ALL {
        let format = (entry.format)();
        // A name whose struct is another name's (identical formats) reads as that one.
        assert!(
            ALL.iter().any(|e| e.name == format.name),
            "{} reads as {}",
            entry.name,
            format.name
        );
        assert!(!format.keys.is_empty(), "{} has no keys", entry.name);
        let typed = typed_check(entry.name);
        if typed.is_none() {
            missing.push(entry.name);
        }
        for (what, text, expected) in examples(format) {
            texts_checked += 1;
            let mut fail = |why: String| {
                failures.push(format!("{} ({what}): {text:?}: {why}", entry.name));
            };
            let printed = match (entry.reprint)(&text) {
                Ok(printed) => printed,
                Err(e) => {
                    fail(format!("does not parse: {e}"));
                    continue;
                }
            };
            if printed != expected {
                fail(format!("printed {printed:?}, expected {expected:?}"));
            }
            match (entry.reprint)(&printed) {
                Ok(again) if again == printed => {}
                Ok(again) => fail(format!("not a fixed point: {printed:?} -> {again:?}")),
                Err(e) => fail(format!("printed {printed:?} does not parse: {e}")),
            }
            match typed.map(|check| (check.strict)(&text)) {
                None => {}
                Some(Ok(typed_printed)) if typed_printed == printed => {}
                Some(Ok(typed_printed)) => fail(format!(
                    "the typed value prints {typed_printed:?}, reprint {printed:?}"
                )),
                Some(Err(e)) => fail(format!("typed: {e}")),
            }
        }
        for (what, text, expected) in typed.map_or_else(Vec::new, |_| kept_examples(format)) {
            kept_checked += 1;
            match typed.map(|check| (check.answer)(&text)) {
                Some(Ok(kept)) if kept == expected => {}
                Some(Ok(kept)) => failures.push(format!(
                    "{} ({what}): {text:?}: kept {kept:?}, expected {expected:?}",
                    entry.name
                )),
                Some(Err(e)) => failures.push(format!("{} ({what}): {text:?}: {e}", entry.name)),
                None => {}
            }
        }
        formats_checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {texts_checked} texts failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(formats_checked, ALL.len());
    assert!(missing.is_empty(), "not in typed_checks!: {missing:?}");
    println!(
        "{formats_checked} formats, {texts_checked} texts, {kept_checked} texts with unknown \
         keys or unreadable; {} serde round trips",
        trips.count()
    );
    assert_eq!(
        (formats_checked, texts_checked, kept_checked, trips.count()),
        EVERY_FORMAT,
        "(formats, texts, texts kept, serde round trips)"
    );
}

#[test]
fn every_format_refuses_what_it_cannot_read() {
    for entry in ALL {
        let format = (entry.format)();
        // A key given twice.
        let key = own_keys(format).next().expect("a key");
        let value = example_value(key, Pick::Low);
        let twice = format!("{0}={1},{0}={1}", key.key, quoted(&value));
        let err = (entry.reprint)(&twice).unwrap_err();
        assert_eq!(err.key.as_deref(), Some(key.key), "{}", entry.name);
        // An unterminated quote.
        assert!(
            (entry.reprint)(&format!("{}=\"x", key.key)).is_err(),
            "{}",
            entry.name
        );
        // A bare value where there is no default key.
        if format.default_key.is_none() {
            let err = (entry.reprint)("bare").unwrap_err();
            assert!(err.message.contains("default key"), "{}: {err}", entry.name);
        }
        // A value of the wrong type, for each typed key.
        for key in own_keys(format) {
            let bad = match key.rule.ty {
                Ty::Bool => "maybe",
                Ty::Int => "1.5x",
                Ty::Num => "many",
                Ty::Str | Ty::Any => continue,
            };
            let err = (entry.reprint)(&format!("{}={bad}", key.key))
                .expect_err(&format!("{} {}={bad}", entry.name, key.key));
            assert_eq!(err.key.as_deref(), Some(key.key), "{}: {err}", entry.name);
        }
    }
}

// ------------------------------------------------------------------------------------------
// Examples from PVE's documentation (qm.conf(5), pct.conf(5), datacenter.cfg(5)).

#[test]
fn qemu_net_examples() {
    let trips = SerdeTrips::start();
    let net: QemuNet = round_trip(
        "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1",
        "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1",
    );
    assert_eq!(net.model, Some(QemuNetModel::Virtio));
    assert_eq!(net.macaddr.as_deref(), Some("BC:24:11:00:00:01"));
    assert_eq!(net.bridge.as_deref(), Some("vmbr0"));
    assert_eq!(net.firewall, Some(true));
    assert_eq!((net.tag, net.rate, net.link_down), (None, None, None));
    assert_eq!(
        net,
        QemuNet::virtio()
            .macaddr("BC:24:11:00:00:01")
            .bridge("vmbr0")
            .firewall(true)
    );

    let net: QemuNet = round_trip("virtio,bridge=vmbr0", "virtio,bridge=vmbr0");
    assert_eq!(net, QemuNet::virtio().bridge("vmbr0"));
    assert_eq!(net.macaddr, None);

    // The keys print in schema order: `rate` before `tag`.
    let net: QemuNet = round_trip(
        "e1000=AA:BB:CC:DD:EE:FF,bridge=vmbr1,tag=10,rate=12.5",
        "e1000=AA:BB:CC:DD:EE:FF,bridge=vmbr1,rate=12.5,tag=10",
    );
    assert_eq!(net.model, Some(QemuNetModel::E1000));
    assert_eq!(net.macaddr.as_deref(), Some("AA:BB:CC:DD:EE:FF"));
    assert_eq!(net.tag, Some(10));
    assert_eq!(net.rate, Some(12.5));

    // `model=` and `macaddr=` spelled out print as the key-alias form.
    let net: QemuNet = round_trip(
        "model=vmxnet3,macaddr=BC:24:11:00:00:02",
        "vmxnet3=BC:24:11:00:00:02",
    );
    assert_eq!(net, QemuNet::vmxnet3().macaddr("BC:24:11:00:00:02"));

    let net: QemuNet = round_trip(
        "virtio=BC:24:11:00:00:03,bridge=vmbr0,link_down=1,mtu=9000,queues=4,trunks=10;20;30-40",
        "virtio=BC:24:11:00:00:03,bridge=vmbr0,link_down=1,mtu=9000,queues=4,trunks=10;20;30-40",
    );
    assert_eq!(net.link_down, Some(true));
    assert_eq!(net.mtu, Some(9000));
    assert_eq!(net.queues, Some(4));
    assert_eq!(net.trunks.as_deref(), Some("10;20;30-40"));

    // Models with `-` in their name: the constructor is snake_case, the text PVE's.
    let net = QemuNet::e1000_82540em().bridge("vmbr0");
    assert_eq!(net.to_string(), "e1000-82540em,bridge=vmbr0");
    assert_eq!(net.model, Some(QemuNetModel::E1000_82540em));
    assert_eq!(QemuNet::parse("e1000-82540em,bridge=vmbr0").unwrap(), net);
    // One per `round_trip` and `equivalent` above.
    trips.expect(5);
}

#[test]
fn qemu_disk_examples() {
    let trips = SerdeTrips::start();
    let scsi: QemuScsi = round_trip(
        "local-lvm:vm-100-disk-0,cache=writeback,discard=on,size=32G,ssd=1,iothread=1",
        "local-lvm:vm-100-disk-0,cache=writeback,discard=on,iothread=1,size=32G,ssd=1",
    );
    assert_eq!(scsi.file.as_deref(), Some("local-lvm:vm-100-disk-0"));
    assert_eq!(scsi.cache, Some(QemuScsiCache::Writeback));
    assert_eq!(scsi.discard, Some(QemuScsiDiscard::On));
    assert_eq!(scsi.size.as_deref(), Some("32G"));
    assert_eq!(scsi.ssd, Some(true));
    assert_eq!(scsi.iothread, Some(true));
    assert_eq!(scsi.backup, None);

    // `file=` and its alias `volume=` print bare (the default key).
    for text in [
        "file=local-lvm:vm-100-disk-1,backup=0",
        "volume=local-lvm:vm-100-disk-1,backup=0",
    ] {
        let scsi: QemuScsi = round_trip(text, "local-lvm:vm-100-disk-1,backup=0");
        assert_eq!(scsi.file.as_deref(), Some("local-lvm:vm-100-disk-1"));
        assert_eq!(scsi.backup, Some(false));
    }
    // An alias of a throttling key.
    let scsi: QemuScsi = round_trip(
        "local-lvm:vm-100-disk-0,mbps_rd=100.5,bps_rd_length=5",
        "local-lvm:vm-100-disk-0,bps_rd_max_length=5,mbps_rd=100.5",
    );
    assert_eq!(scsi.bps_rd_max_length, Some(5));
    assert_eq!(scsi.mbps_rd, Some(100.5));
    // A whole number of a `number` key: an equivalent text (see
    // `whole_numbers_print_as_pve_writes_them`).
    let scsi: QemuScsi = equivalent("local-lvm:vm-100-disk-0,mbps_rd=100,iops_rd=2000");
    assert_eq!(scsi.mbps_rd, Some(100.0));
    assert_eq!(scsi.iops_rd, Some(2000));

    // A new disk as the create call takes it: answers are read with the parameter's type,
    // which has `import-from`.
    let new: QemuScsi = round_trip(
        "local-lvm:0,import-from=local:import/disk.qcow2,discard=on",
        "local-lvm:0,discard=on,import-from=local:import/disk.qcow2",
    );
    assert_eq!(new.import_from.as_deref(), Some("local:import/disk.qcow2"));
    assert_eq!(new.file.as_deref(), Some("local-lvm:0"));

    let cdrom: QemuIde = round_trip(
        "local:iso/debian-12.iso,media=cdrom",
        "local:iso/debian-12.iso,media=cdrom",
    );
    assert_eq!(cdrom.file.as_deref(), Some("local:iso/debian-12.iso"));
    assert_eq!(cdrom.media, Some(QemuIdeMedia::Cdrom));
    let empty: QemuIde = round_trip("none,media=cdrom", "none,media=cdrom");
    assert_eq!(empty.file.as_deref(), Some("none"));
    let cloudinit: QemuIde = round_trip(
        "local-lvm:vm-100-cloudinit,media=cdrom",
        "local-lvm:vm-100-cloudinit,media=cdrom",
    );
    assert_eq!(cloudinit.media, Some(QemuIdeMedia::Cdrom));

    let efi: QemuEfidisk = round_trip(
        "local-lvm:1,efitype=4m,pre-enrolled-keys=1",
        "local-lvm:1,efitype=4m,pre-enrolled-keys=1",
    );
    assert_eq!(efi.file.as_deref(), Some("local-lvm:1"));
    assert_eq!(efi.efitype, Some(QemuEfidiskEfitype::V4m));
    assert_eq!(efi.pre_enrolled_keys, Some(true));
    let efi: QemuEfidisk = round_trip(
        "local-lvm:vm-100-disk-1,efitype=4m,ms-cert=2023,pre-enrolled-keys=1,size=4M",
        "local-lvm:vm-100-disk-1,efitype=4m,ms-cert=2023,pre-enrolled-keys=1,size=4M",
    );
    assert_eq!(efi.ms_cert, Some(QemuEfidiskMsCert::V2023));
    assert_eq!(efi.size.as_deref(), Some("4M"));

    let tpm: QemuTpmstate = round_trip("local-lvm:1,version=v2.0", "local-lvm:1,version=v2.0");
    assert_eq!(tpm.file.as_deref(), Some("local-lvm:1"));
    assert_eq!(tpm.version, Some(QemuTpmstateVersion::V2_0));
    assert_eq!(tpm.version.as_ref().map(|v| v.as_str()), Some("v2.0"));

    let unused: QemuUnused = round_trip("local-lvm:vm-100-disk-2", "local-lvm:vm-100-disk-2");
    assert_eq!(unused.file.as_deref(), Some("local-lvm:vm-100-disk-2"));
    // One per `round_trip` and `equivalent` above.
    trips.expect(13);
}

#[test]
fn qemu_option_examples() {
    let trips = SerdeTrips::start();
    let ip: QemuIpconfig = round_trip("ip=10.0.0.5/24,gw=10.0.0.1", "gw=10.0.0.1,ip=10.0.0.5/24");
    assert_eq!(ip.ip.as_deref(), Some("10.0.0.5/24"));
    assert_eq!(ip.gw.as_deref(), Some("10.0.0.1"));
    let ip: QemuIpconfig = round_trip("ip=dhcp,ip6=auto", "ip=dhcp,ip6=auto");
    assert_eq!(ip, QemuIpconfig::new().ip("dhcp").ip6("auto"));
    let ip: QemuIpconfig = round_trip(
        "ip6=2001:db8::5/64,gw6=2001:db8::1",
        "gw6=2001:db8::1,ip6=2001:db8::5/64",
    );
    assert_eq!(ip.gw6.as_deref(), Some("2001:db8::1"));

    let cpu: QemuCpu = round_trip("host,flags=+aes;-pcid", "host,flags=+aes;-pcid");
    assert_eq!(cpu.cputype.as_deref(), Some("host"));
    assert_eq!(cpu.flags.as_deref(), Some("+aes;-pcid"));
    let cpu: QemuCpu = round_trip(
        "cputype=x86-64-v2-AES,hidden=1,phys-bits=host",
        "x86-64-v2-AES,hidden=1,phys-bits=host",
    );
    assert_eq!(cpu.hidden, Some(true));
    assert_eq!(cpu.phys_bits.as_deref(), Some("host"));

    let agent: QemuAgent = round_trip(
        "1,fstrim_cloned_disks=1,type=virtio",
        "1,fstrim_cloned_disks=1,type=virtio",
    );
    assert_eq!(agent.enabled, Some(true));
    assert_eq!(agent.fstrim_cloned_disks, Some(true));
    assert_eq!(agent.r#type, Some(QemuAgentType::Virtio));
    // `freeze-fs-on-backup` is PVE 8.4's key, an alias of 9.1's `freeze-fs` since: the
    // union of the versions keeps it as a key of its own, so it is written back as it came
    // (which every version reads) and `freeze-fs` stays what 9.1+ alone know.
    let agent: QemuAgent = round_trip("enabled=1,freeze-fs-on-backup=0", "1,freeze-fs-on-backup=0");
    assert_eq!(agent.freeze_fs_on_backup, Some(false));
    assert_eq!(agent.freeze_fs, None);
    let agent: QemuAgent = round_trip("0", "0");
    assert_eq!(agent, QemuAgent::new().enabled(false));

    let memory: QemuMemory = round_trip("2048", "2048");
    assert_eq!(memory.current, Some(2048));
    let memory: QemuMemory = round_trip("current=4096", "4096");
    assert_eq!(memory, QemuMemory::new().current(4096));

    let vga: QemuVga = round_trip("std,memory=32", "std,memory=32");
    assert_eq!(vga.r#type, Some(QemuVgaType::Std));
    assert_eq!(vga.memory, Some(32));
    let vga: QemuVga = round_trip("type=virtio-gl,memory=256", "virtio-gl,memory=256");
    assert_eq!(vga.r#type, Some(QemuVgaType::VirtioGl));
    let vga: QemuVga = round_trip("serial0", "serial0");
    assert_eq!(vga.r#type, Some(QemuVgaType::Serial0));

    let startup: LxcStartup = round_trip("order=1,up=30,down=60", "1,down=60,up=30");
    assert_eq!(startup.order, Some(1));
    assert_eq!(startup.up, Some(30));
    assert_eq!(startup.down, Some(60));
    let startup: LxcStartup = round_trip("up=15", "up=15");
    assert_eq!(startup, LxcStartup::new().up(15));

    let boot: QemuBoot = round_trip("order=scsi0;ide2;net0", "order=scsi0;ide2;net0");
    assert_eq!(boot.order.as_deref(), Some("scsi0;ide2;net0"));
    let boot: QemuBoot = round_trip("cdn", "cdn");
    assert_eq!(boot.legacy.as_deref(), Some("cdn"));

    let machine: QemuMachine = round_trip("q35,viommu=virtio", "q35,viommu=virtio");
    assert_eq!(machine.r#type.as_deref(), Some("q35"));
    assert_eq!(machine.viommu, Some(QemuMachineViommu::Virtio));
    let machine: QemuMachine = round_trip("pc-i440fx-9.2+pve1", "pc-i440fx-9.2+pve1");
    assert_eq!(machine.r#type.as_deref(), Some("pc-i440fx-9.2+pve1"));

    let pci: QemuHostpci = round_trip("0000:01:00.0,pcie=1,x-vga=1", "0000:01:00.0,pcie=1,x-vga=1");
    assert_eq!(pci.host.as_deref(), Some("0000:01:00.0"));
    assert_eq!(pci.pcie, Some(true));
    assert_eq!(pci.x_vga, Some(true));
    let pci: QemuHostpci = round_trip("host=01:00.0;01:00.1,rombar=0", "01:00.0;01:00.1,rombar=0");
    assert_eq!(pci.host.as_deref(), Some("01:00.0;01:00.1"));
    assert_eq!(pci.rombar, Some(false));
    let pci: QemuHostpci = round_trip("mapping=gpu0,pcie=1", "mapping=gpu0,pcie=1");
    assert_eq!(pci.mapping.as_deref(), Some("gpu0"));
    assert_eq!(pci.host, None);

    let usb: QemuUsb = round_trip("host=1234:5678,usb3=1", "1234:5678,usb3=1");
    assert_eq!(usb.host.as_deref(), Some("1234:5678"));
    assert_eq!(usb.usb3, Some(true));
    let usb: QemuUsb = round_trip("spice", "spice");
    assert_eq!(usb.host.as_deref(), Some("spice"));

    let smbios: QemuSmbios = round_trip(
        "uuid=7b5bd4e4-3d0b-4d4a-9c8b-0f6f2f3a1e2d,manufacturer=UHJveG1veA==,base64=1",
        "base64=1,manufacturer=UHJveG1veA==,uuid=7b5bd4e4-3d0b-4d4a-9c8b-0f6f2f3a1e2d",
    );
    assert_eq!(
        smbios.uuid.as_deref(),
        Some("7b5bd4e4-3d0b-4d4a-9c8b-0f6f2f3a1e2d")
    );
    assert_eq!(smbios.manufacturer.as_deref(), Some("UHJveG1veA=="));
    assert_eq!(smbios.base64, Some(true));

    // `memory` is a `number`: an equivalent text (see `whole_numbers_print_as_pve_writes_them`).
    let numa: QemuNuma = equivalent("cpus=0-3,hostnodes=0,memory=2048,policy=bind");
    assert_eq!(numa.cpus.as_deref(), Some("0-3"));
    assert_eq!(numa.hostnodes.as_deref(), Some("0"));
    assert_eq!(numa.memory, Some(2048.0));
    assert_eq!(numa.policy, Some(QemuNumaPolicy::Bind));

    let rng: QemuRng = round_trip(
        "source=/dev/urandom,max_bytes=1024,period=1000",
        "/dev/urandom,max_bytes=1024,period=1000",
    );
    assert_eq!(rng.source, Some(QemuRngSource::DevUrandom));
    assert_eq!(rng.max_bytes, Some(1024));

    let watchdog: QemuWatchdog = round_trip("model=i6300esb,action=reset", "i6300esb,action=reset");
    assert_eq!(watchdog.model, Some(QemuWatchdogModel::I6300esb));
    assert_eq!(
        watchdog.action.as_ref().map(ToString::to_string).as_deref(),
        Some("reset")
    );

    let fs: QemuVirtiofs = round_trip(
        "dirid=share0,cache=always,expose-acl=1",
        "share0,cache=always,expose-acl=1",
    );
    assert_eq!(fs.dirid.as_deref(), Some("share0"));
    assert_eq!(fs.cache, Some(QemuVirtiofsCache::Always));
    assert_eq!(fs.expose_acl, Some(true));
    // One per `round_trip` and `equivalent` above.
    trips.expect(29);
}

#[test]
fn lxc_examples() {
    let trips = SerdeTrips::start();
    let rootfs: LxcRootfs = round_trip(
        "local-lvm:8,mountoptions=noatime,acl=1",
        "local-lvm:8,acl=1,mountoptions=noatime",
    );
    assert_eq!(rootfs.volume.as_deref(), Some("local-lvm:8"));
    assert_eq!(rootfs.mountoptions.as_deref(), Some("noatime"));
    assert_eq!(rootfs.acl, Some(true));
    let rootfs: LxcRootfs = round_trip(
        "local-lvm:vm-200-disk-0,size=8G",
        "local-lvm:vm-200-disk-0,size=8G",
    );
    assert_eq!(rootfs.size.as_deref(), Some("8G"));

    let mp: LxcMp = round_trip(
        "local-lvm:16,mp=/srv,backup=1",
        "local-lvm:16,mp=/srv,backup=1",
    );
    assert_eq!(mp.volume.as_deref(), Some("local-lvm:16"));
    assert_eq!(mp.mp.as_deref(), Some("/srv"));
    assert_eq!(mp.backup, Some(true));
    // A bind mount.
    let mp: LxcMp = round_trip(
        "/mnt/data,mp=/data,ro=1,shared=1",
        "/mnt/data,mp=/data,ro=1,shared=1",
    );
    assert_eq!(mp.volume.as_deref(), Some("/mnt/data"));
    assert_eq!((mp.ro, mp.shared), (Some(true), Some(true)));

    let net: LxcNet = round_trip(
        "name=eth0,bridge=vmbr0,ip=dhcp,firewall=1",
        "name=eth0,bridge=vmbr0,firewall=1,ip=dhcp",
    );
    assert_eq!(net.name.as_deref(), Some("eth0"));
    assert_eq!(net.bridge.as_deref(), Some("vmbr0"));
    assert_eq!(net.ip.as_deref(), Some("dhcp"));
    assert_eq!(net.firewall, Some(true));
    // As PVE stores it.
    let net: LxcNet = round_trip(
        "name=eth0,bridge=vmbr0,firewall=1,gw=192.168.1.1,hwaddr=BC:24:11:AA:BB:CC,ip=192.168.1.10/24,ip6=auto,tag=20,type=veth",
        "name=eth0,bridge=vmbr0,firewall=1,gw=192.168.1.1,hwaddr=BC:24:11:AA:BB:CC,ip=192.168.1.10/24,ip6=auto,tag=20,type=veth",
    );
    assert_eq!(net.hwaddr.as_deref(), Some("BC:24:11:AA:BB:CC"));
    assert_eq!(net.r#type, Some(LxcNetType::Veth));
    assert_eq!(net.tag, Some(20));
    assert_eq!(net.ip6.as_deref(), Some("auto"));

    let features: LxcFeatures = round_trip("nesting=1,keyctl=1", "keyctl=1,nesting=1");
    assert_eq!(
        (features.nesting, features.keyctl),
        (Some(true), Some(true))
    );
    let features: LxcFeatures = round_trip("mount=nfs;cifs", "mount=nfs;cifs");
    assert_eq!(features.mount.as_deref(), Some("nfs;cifs"));

    let dev: LxcDev = round_trip(
        "/dev/ttyUSB0,mode=0660,uid=0,gid=20",
        "/dev/ttyUSB0,gid=20,mode=0660,uid=0",
    );
    assert_eq!(dev.path.as_deref(), Some("/dev/ttyUSB0"));
    assert_eq!(dev.mode.as_deref(), Some("0660"));
    assert_eq!((dev.uid, dev.gid), (Some(0), Some(20)));
    // One per `round_trip` and `equivalent` above.
    trips.expect(9);
}

#[test]
fn cluster_examples() {
    let trips = SerdeTrips::start();
    let migration: ClusterOptionsMigration =
        round_trip("secure,network=10.1.2.0/24", "secure,network=10.1.2.0/24");
    assert_eq!(migration.r#type, Some(ClusterOptionsMigrationType::Secure));
    assert_eq!(migration.network.as_deref(), Some("10.1.2.0/24"));

    let prune: ClusterBackupPruneBackups = round_trip(
        "keep-last=3,keep-daily=7,keep-weekly=4",
        "keep-daily=7,keep-last=3,keep-weekly=4",
    );
    assert_eq!(prune.keep_last, Some(3));
    assert_eq!(prune.keep_daily, Some(7));
    assert_eq!(prune.keep_weekly, Some(4));
    assert_eq!(prune.keep_all, None);

    let limit: ClusterFirewallOptionsLogRatelimit =
        round_trip("enable=1,rate=1/second,burst=5", "1,burst=5,rate=1/second");
    assert_eq!(limit.enable, Some(true));
    assert_eq!(limit.burst, Some(5));
    assert_eq!(limit.rate.as_deref(), Some("1/second"));
    // One per `round_trip` and `equivalent` above.
    trips.expect(3);
}

/// PVE writes a `number` key as it was given (`rate=10`, `memory=2048`); printing one back
/// must not change it, or reading a config and writing it back rewrites the file.
#[test]
fn whole_numbers_print_as_pve_writes_them() {
    let trips = SerdeTrips::start();
    let _: QemuNet = round_trip("virtio,bridge=vmbr0,rate=10", "virtio,bridge=vmbr0,rate=10");
    let _: QemuNuma = round_trip("cpus=0-3,memory=2048", "cpus=0-3,memory=2048");
    let _: QemuScsi = round_trip(
        "local-lvm:vm-100-disk-0,mbps_rd=100",
        "local-lvm:vm-100-disk-0,mbps_rd=100",
    );
    let _: formats::ClusterOptionsBwlimit = round_trip("default=100", "default=100");
    let net = QemuNet::virtio().rate(10.0);
    assert_eq!(net.to_string(), "virtio,rate=10");
    assert_eq!(serde_json::to_value(&net).unwrap(), json!("virtio,rate=10"));
    serde_round_trip(&net);
    trips.expect(5);
}

// ------------------------------------------------------------------------------------------
// Lenient reading.

#[test]
fn booleans_in_every_pve_spelling() {
    let trips = SerdeTrips::start();
    for (spelling, value) in [
        ("1", true),
        ("yes", true),
        ("on", true),
        ("true", true),
        ("TRUE", true),
        ("0", false),
        ("no", false),
        ("off", false),
        ("false", false),
    ] {
        let text = format!("virtio,bridge=vmbr0,firewall={spelling}");
        let net = QemuNet::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(net.firewall, Some(value), "{text}");
        // Printed in PVE's own spelling.
        let printed = format!("virtio,bridge=vmbr0,firewall={}", u8::from(value));
        assert_eq!(net.to_string(), printed);
        assert_eq!(serde_json::to_value(&net).unwrap(), json!(printed));
        serde_round_trip(&net);
        let agent: QemuAgent = decode(json!(spelling));
        assert_eq!(agent.enabled, Some(value), "{spelling}");
        assert_eq!(
            serde_json::to_value(&agent).unwrap(),
            json!(u8::from(value).to_string())
        );
    }
    // Each spelling: the text read, and the answer decoded.
    trips.expect(2 * 9);
}

#[test]
fn numbers_and_booleans_arrive_as_json_values_too() {
    let trips = SerdeTrips::start();
    // `memory: 2048` and `agent: 1` in a config answer are JSON numbers, not strings.
    let memory: QemuMemory = decode(json!(2048));
    assert_eq!(memory, QemuMemory::new().current(2048));
    // Written back as PVE's text: a property string is a string in JSON.
    assert_eq!(serde_json::to_value(&memory).unwrap(), json!("2048"));
    let memory: QemuMemory = decode(json!("2048"));
    assert_eq!(memory.current, Some(2048));
    let agent: QemuAgent = decode(json!(1));
    assert_eq!(agent, QemuAgent::new().enabled(true));
    let agent: QemuAgent = decode(json!(true));
    assert_eq!(agent.enabled, Some(true));
    // A property string given as an object (a newer PVE's answers), numbers as strings.
    let net: QemuNet = decode(json!({"model": "virtio", "bridge": "vmbr0", "tag": "10",
        "firewall": "yes", "rate": 12.5, "mtu": 1500}));
    assert_eq!(
        net,
        QemuNet::virtio()
            .bridge("vmbr0")
            .tag(10)
            .firewall(true)
            .rate(12.5)
            .mtu(1500)
    );
    // An object is written back as the text.
    assert_eq!(
        serde_json::to_value(&net).unwrap(),
        json!("virtio,bridge=vmbr0,firewall=1,mtu=1500,rate=12.5,tag=10")
    );
    // Numbers as text, with spaces or a zero fraction.
    let net = QemuNet::parse("virtio,tag= 10 ,queues=4.0,rate=7").unwrap();
    assert_eq!(net.tag, Some(10));
    assert_eq!(net.queues, Some(4));
    assert_eq!(net.rate, Some(7.0));
    serde_round_trip(&net);
    let again = QemuNet::parse(&net.to_string()).unwrap();
    assert_eq!(again, net);
    serde_round_trip(&again);
    trips.expect(7);
}

#[test]
fn unknown_keys_are_kept_and_printed_back() {
    let trips = SerdeTrips::start();
    let text = "virtio=BC:24:11:00:00:01,bridge=vmbr0,colour=blue,zone=\"a,b\"";
    let net = QemuNet::parse(text).unwrap();
    assert_eq!(net.bridge.as_deref(), Some("vmbr0"));
    assert_eq!(net.extra.len(), 2, "{:?}", net.extra);
    assert_eq!(net.extra["colour"], "blue");
    assert_eq!(net.extra["zone"], "a,b");
    // Unknown keys print last, in name order, quoted where needed.
    assert_eq!(net.to_string(), text);
    assert_eq!(QemuNet::parse(&net.to_string()).unwrap(), net);
    // serde writes them out too.
    assert_eq!(serde_json::to_value(&net).unwrap(), json!(text));
    serde_round_trip(&net);
    // Through the answer path too.
    let decoded: QemuNet = decode(json!(text));
    assert_eq!(decoded, net);
    // And they can be set by hand.
    let mut scsi = QemuScsi::new().file("local-lvm:vm-100-disk-0");
    scsi.extra.insert("future-key".into(), "x y".into());
    assert_eq!(scsi.to_string(), "local-lvm:vm-100-disk-0,future-key=x y");
    serde_round_trip(&scsi);
    trips.expect(3);
}

#[test]
fn values_with_commas_quotes_and_backslashes_are_quoted() {
    let trips = SerdeTrips::start();
    let mp = LxcMp::parse("local-lvm:16,mp=\"/srv/a,b\"").unwrap();
    assert_eq!(mp.mp.as_deref(), Some("/srv/a,b"));
    assert_eq!(mp.to_string(), "local-lvm:16,mp=\"/srv/a,b\"");
    // In JSON, the text's own quotes are escaped.
    assert_eq!(
        serde_json::to_string(&mp).unwrap(),
        r#""local-lvm:16,mp=\"/srv/a,b\"""#
    );
    serde_round_trip(&mp);

    // The default key's value, bare and quoted.
    let ide = QemuIde::parse("\"local:iso/a,b.iso\",media=cdrom").unwrap();
    assert_eq!(ide.file.as_deref(), Some("local:iso/a,b.iso"));
    assert_eq!(ide.to_string(), "\"local:iso/a,b.iso\",media=cdrom");
    serde_round_trip(&ide);

    // Quotes and backslashes inside a quoted value are escaped.
    let awkward = "say \"hi\", c:\\dir";
    let cpu = QemuCpu::new().cputype("host").flags(awkward);
    let printed = cpu.to_string();
    assert_eq!(printed, r#"host,flags="say \"hi\", c:\\dir""#);
    assert_eq!(QemuCpu::parse(&printed).unwrap(), cpu);
    serde_round_trip(&cpu);

    // A bare default value holding `=` is written with its key.
    let cpu = QemuCpu::new().cputype("a=b");
    assert_eq!(cpu.to_string(), "cputype=a=b");
    assert_eq!(QemuCpu::parse("cputype=a=b").unwrap(), cpu);
    serde_round_trip(&cpu);

    // Values set through the typed setters round-trip whatever they hold.
    for value in ["", " x", "x ", "a,b,c", "\"", "\\", "=", "a=b,c=d"] {
        let net = QemuNet::virtio().bridge(value);
        let printed = net.to_string();
        assert_eq!(
            QemuNet::parse(&printed).unwrap(),
            net,
            "{value:?} -> {printed:?}"
        );
        serde_round_trip(&net);
    }
    trips.expect(4 + 8);
}

#[test]
fn answers_that_cannot_be_read_are_kept_as_text() {
    let trips = SerdeTrips::start();
    for bad in [
        "virtio,tag=abc",
        "virtio,bridge=vmbr0,bridge=vmbr1",
        "virtio=BC:24:11:00:00:01,e1000=BC:24:11:00:00:02",
        "virtio,bridge=\"vmbr0",
        "virtio,firewall=maybe",
    ] {
        assert!(QemuNet::parse(bad).is_err(), "{bad} parses strictly");
        assert!(bad.parse::<QemuNet>().is_err());
        let net: QemuNet = decode(json!(bad));
        let unparsed = net
            .unparsed()
            .unwrap_or_else(|| panic!("{bad}: kept as text"));
        assert_eq!(unparsed.raw, bad);
        assert!(!unparsed.error.is_empty());
        // The typed keys are empty; printing gives the text back unchanged.
        assert_eq!((net.model.as_ref(), net.bridge.as_ref()), (None, None));
        assert!(net.extra.is_empty());
        assert_eq!(net.to_string(), bad);
        assert_eq!(net.encode(), json!(bad));
        // serde writes the text back as it came.
        assert_eq!(serde_json::to_value(&net).unwrap(), json!(bad));
    }
    let err = QemuNet::parse("virtio,tag=abc").unwrap_err();
    assert_eq!(err.key.as_deref(), Some("tag"));

    // In a whole answer, one odd property string does not fail the rest.
    type Config = proxmoxia::api::nodes::node::qemu::vmid::config::get::Response;
    let config: Config = decode_json(json!({
        "digest": "0123456789abcdef",
        "name": "web",
        "memory": "2048",
        "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1",
        "net1": "virtio,tag=abc",
        "scsi0": "local-lvm:vm-100-disk-0,size=32G",
        "tags": "a;b c",
    }));
    assert_eq!(config.name.as_deref(), Some("web"));
    assert_eq!(config.memory, Some(QemuMemory::new().current(2048)));
    assert_eq!(
        config.nets[&0],
        QemuNet::virtio()
            .macaddr("BC:24:11:00:00:01")
            .bridge("vmbr0")
            .firewall(true)
    );
    assert_eq!(
        config.nets[&1].unparsed().map(|u| u.raw.as_str()),
        Some("virtio,tag=abc")
    );
    assert_eq!(config.nets[&1].to_string(), "virtio,tag=abc");
    assert_eq!(
        config.scsis[&0],
        QemuScsi::new().file("local-lvm:vm-100-disk-0").size("32G")
    );
    // The whole answer's serde round trip: property strings as their text (the unreadable
    // one as it came), the tags joined with `;` as PVE writes them.
    let json = proxmoxia_tests::roundtrip::round_trip(&config).unwrap();
    assert_eq!(
        json,
        json!({
            "digest": "0123456789abcdef",
            "memory": "2048",
            "name": "web",
            "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1",
            "net1": "virtio,tag=abc",
            "scsi0": "local-lvm:vm-100-disk-0,size=32G",
            "tags": "a;b;c",
        })
    );
    // A `-list` field of the same answer: `;` and spaces separate too.
    let tags = config.tags.expect("tags").0;
    assert_eq!(tags, ["a", "b", "c"]);
    // The five unreadable texts (the whole answer is no property string).
    trips.expect(5);
}

#[test]
fn property_strings_answered_as_objects_read_too() {
    let trips = SerdeTrips::start();
    // PVE answers some options parsed (GET /cluster/options: datacenter.cfg's property
    // strings come as objects), values typed or as strings.
    let migration: ClusterOptionsMigration =
        decode(json!({"type": "secure", "network": "10.1.2.0/24"}));
    assert_eq!(
        migration,
        ClusterOptionsMigration::new()
            .r#type(ClusterOptionsMigrationType::Secure)
            .network("10.1.2.0/24")
    );
    assert_eq!(migration.to_string(), "secure,network=10.1.2.0/24");
    let prune: ClusterBackupPruneBackups = decode(json!({"keep-last": 3, "keep-daily": "7"}));
    assert_eq!((prune.keep_last, prune.keep_daily), (Some(3), Some(7)));
    // A value that does not fit is kept, as in the text form: the answer still decodes.
    let net: QemuNet = decode(json!({"model": "virtio", "tag": "abc"}));
    let unparsed = net.unparsed().expect("kept as unparsed");
    assert_eq!(unparsed.raw, "virtio,tag=abc");
    assert!(unparsed.error.contains("tag"), "{}", unparsed.error);
    assert_eq!(net.to_string(), "virtio,tag=abc");
    // Objects are written back as text.
    assert_eq!(
        serde_json::to_value((&migration, &prune, &net)).unwrap(),
        json!([
            "secure,network=10.1.2.0/24",
            "keep-daily=7,keep-last=3",
            "virtio,tag=abc"
        ])
    );
    // An alias key stands for its keys, as in the text form (`virtio=MAC`).
    let net: QemuNet = decode(json!({"virtio": "BC:24:11:00:00:01", "bridge": "vmbr0"}));
    assert_eq!(
        net,
        QemuNet::virtio()
            .macaddr("BC:24:11:00:00:01")
            .bridge("vmbr0")
    );
    // A key given twice (`e1000` sets `model`) is kept as text, nothing dropped.
    let net: QemuNet = decode(json!({"model": "virtio", "e1000": "BC:24:11:00:00:01"}));
    assert_eq!(
        net.unparsed().map(|u| u.raw.as_str()),
        Some("e1000=BC:24:11:00:00:01,model=virtio")
    );
    trips.expect(5);
}

#[test]
fn unknown_keys_of_an_object_answer_are_kept() {
    let trips = SerdeTrips::start();
    let text: ClusterOptionsMigration = decode(json!("secure,newkey=x"));
    assert_eq!(text.extra["newkey"], "x");
    let object: ClusterOptionsMigration = decode(json!({"type": "secure", "newkey": "x"}));
    assert_eq!(object.extra.get("newkey").map(String::as_str), Some("x"));
    assert_eq!(object.to_string(), "secure,newkey=x");
    assert_eq!(object, text);
    assert_eq!(
        serde_json::to_value(&object).unwrap(),
        json!("secure,newkey=x")
    );
    trips.expect(2);
}

// ------------------------------------------------------------------------------------------
// Lists.

#[test]
fn lists_split_on_pve_separators_and_join_with_commas() {
    let list: List<String> = decode_json(json!("net1, scsi1;ide2\tvirtio0\nefidisk0;;"));
    assert_eq!(list.0, ["net1", "scsi1", "ide2", "virtio0", "efidisk0"]);
    assert_eq!(list.encode(), json!("net1,scsi1,ide2,virtio0,efidisk0"));
    // A JSON array reads too.
    let list: List<String> = decode_json(json!(["net1", "scsi1"]));
    assert_eq!(list, List(vec!["net1".to_owned(), "scsi1".to_owned()]));
    assert_eq!(list.len(), 2, "derefs to the Vec");

    let ids: List<i64> = decode_json(json!("100;101 102,103"));
    assert_eq!(ids.0, [100, 101, 102, 103]);
    assert_eq!(ids.encode(), json!("100,101,102,103"));
    // serde writes what PVE sends, one string, and reads it back.
    let json = serde_json::to_value(&ids).unwrap();
    assert_eq!(json, json!("100,101,102,103"));
    assert_eq!(decode_json::<List<i64>>(json), ids);
    assert!(serde_json::from_value::<List<i64>>(json!("100,abc")).is_err());

    let empty: List<String> = decode_json(json!(""));
    assert!(empty.is_empty());
    assert_eq!(
        empty.encode(),
        json!(""),
        "an empty list is written empty, as PVE writes it"
    );
    let collected: List<String> = ["a", "b"].into_iter().map(String::from).collect();
    assert_eq!(collected.encode(), json!("a,b"));

    // A typed request's list parameter goes out as one comma-separated value.
    let client = proxmoxia::Client::builder("https://127.0.0.1:8006")
        .build()
        .unwrap();
    let put = client
        .nodes("pve1")
        .qemu(100)
        .config()
        .put()
        .delete(["net1", "scsi1"]);
    let form = put.to_form().unwrap();
    assert_eq!(
        form.pairs(),
        [("delete".to_owned(), "net1,scsi1".to_owned())]
    );
    // Each item is checked against the list's item format (`pve-configid`).
    assert!(
        client
            .nodes("pve1")
            .qemu(100)
            .config()
            .put()
            .delete(["net1", "1bad"])
            .validate()
            .is_err()
    );
}
