//! `-list` values (`pve-configid-list`, `pve-vmid-list`, ...): a `Vec` in Rust, one string on
//! the wire.

use std::ops::{Deref, DerefMut};

use serde_json::Value;

use super::encode::Encode;
use crate::decode::Lenient;

/// A list PVE writes as one string: items separated by `SEP` — a comma; `;` for tags; a
/// space for network interfaces (PVE reads `,`, `;` and white space alike). Derefs to
/// `Vec<T>`.
///
/// An item holding a separator would be read by PVE as several items: such a list is
/// encoded as an array of its items, which validation refuses, naming the parameter (sent
/// anyway, as repeated parameters, PVE would read each as one item).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct List<T, const SEP: char = ','>(pub Vec<T>);

/// A guest's tags (`pve-tag-list`): PVE writes them separated by `;`
/// (pve-guest-common `PVE/GuestHelpers.pm`, `get_unique_tags`).
pub type Tags = List<String, ';'>;

impl<T, const SEP: char> Default for List<T, SEP> {
    fn default() -> List<T, SEP> {
        List(Vec::new())
    }
}

impl<T, const SEP: char> Deref for List<T, SEP> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T, const SEP: char> DerefMut for List<T, SEP> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<T, const SEP: char> From<Vec<T>> for List<T, SEP> {
    fn from(items: Vec<T>) -> List<T, SEP> {
        List(items)
    }
}

/// `["cpu", "mem"].into()`.
impl<T, U: Into<T>, const N: usize, const SEP: char> From<[U; N]> for List<T, SEP> {
    fn from(items: [U; N]) -> List<T, SEP> {
        List(items.into_iter().map(Into::into).collect())
    }
}

impl<T, const SEP: char> FromIterator<T> for List<T, SEP> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> List<T, SEP> {
        List(iter.into_iter().collect())
    }
}

impl<T, const SEP: char> IntoIterator for List<T, SEP> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A list as PVE answers it: one string of items (separated by `,`, `;` or white space), or
/// a JSON array.
impl<'de, T: Lenient<'de>, const SEP: char> Lenient<'de> for List<T, SEP> {
    fn lenient<D: serde_core::Deserializer<'de>>(d: D) -> Result<List<T, SEP>, D::Error> {
        struct Visit<T, const SEP: char>(std::marker::PhantomData<fn() -> T>);
        impl<'de, T: Lenient<'de>, const SEP: char> serde_core::de::Visitor<'de> for Visit<T, SEP> {
            type Value = List<T, SEP>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list: a string of items, or an array")
            }
            fn visit_str<E: serde_core::de::Error>(self, text: &str) -> Result<List<T, SEP>, E> {
                text.split([',', ';', ' ', '\t', '\n'])
                    .filter(|item| !item.is_empty())
                    .enumerate()
                    .map(|(i, item)| {
                        T::lenient(serde_core::de::value::StrDeserializer::<E>::new(item))
                            .map_err(|e| crate::decode::at_index(i, e))
                    })
                    .collect()
            }
            fn visit_unit<E: serde_core::de::Error>(self) -> Result<List<T, SEP>, E> {
                Ok(List(Vec::new()))
            }
            fn visit_seq<A: serde_core::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<List<T, SEP>, A::Error> {
                Vec::<T>::lenient(serde_core::de::value::SeqAccessDeserializer::new(seq)).map(List)
            }
        }
        d.deserialize_any(Visit::<T, SEP>(std::marker::PhantomData))
    }
}

impl<'de, T: Lenient<'de>, const SEP: char> serde_core::Deserialize<'de> for List<T, SEP> {
    fn deserialize<D: serde_core::Deserializer<'de>>(d: D) -> Result<List<T, SEP>, D::Error> {
        List::lenient(d)
    }
}

/// Written as PVE writes it: one string, the items joined with `SEP`.
impl<T: Encode, const SEP: char> serde_core::Serialize for List<T, SEP> {
    fn serialize<S: serde_core::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_core::Serialize::serialize(&self.encode(), s)
    }
}

impl<T: Encode, const SEP: char> Encode for List<T, SEP> {
    /// The items joined with `SEP`; an empty list is the empty string, as PVE writes it
    /// (an answer's empty list reads back as one; a parameter set to an empty list is sent
    /// empty, which PVE reads as no items). Items holding a separator: an array of the
    /// items (see [`List`]).
    fn encode(&self) -> Value {
        let items: Vec<String> = self
            .0
            .iter()
            .map(|item| match item.encode() {
                Value::String(s) => s,
                other => other.to_string(),
            })
            .collect();
        if items.iter().any(|item| item.contains(is_separator)) {
            return Value::Array(items.into_iter().map(Value::String).collect());
        }
        let mut sep = [0; 4];
        Value::String(items.join(&*SEP.encode_utf8(&mut sep)))
    }
}

/// Whether `c` separates the items of a list as PVE reads one (`PVE::Tools::split_list`):
/// `,`, `;`, white space, and NUL (which PVE puts between repeated parameters).
pub(crate) fn is_separator(c: char) -> bool {
    matches!(c, ',' | ';' | '\0') || c.is_whitespace()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_pve_separators_and_join_with_commas() {
        let list: List<String> = List::lenient(Value::String("net1, scsi1;ide2".into())).unwrap();
        assert_eq!(list.0, ["net1", "scsi1", "ide2"]);
        assert_eq!(list.encode(), Value::String("net1,scsi1,ide2".into()));
        let ids: List<i64> = List::lenient(Value::String("100,101".into())).unwrap();
        assert_eq!(ids.0, [100, 101]);
        assert_eq!(
            List::<String>::default().encode(),
            Value::String(String::new())
        );
        let empty: List<String> = List::lenient(Value::String(String::new())).unwrap();
        assert_eq!(empty, List::default());
        let tags: Tags = List::lenient(Value::String("a,b;c".into())).unwrap();
        assert_eq!(tags.encode(), Value::String("a;b;c".into()));
    }

    #[test]
    fn items_holding_a_separator_keep_apart_and_read_back() {
        for item in ["a,b", "a;b", "a b", "a\nb", "a\0b"] {
            let list: List<String> = List::from(["net1", item]);
            let encoded = list.encode();
            assert_eq!(encoded, serde_json::json!(["net1", item]), "{item:?}");
            assert_eq!(List::<String>::lenient(encoded).unwrap(), list);
        }
    }
}
