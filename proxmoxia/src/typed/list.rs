//! `-list` values (`pve-configid-list`, `pve-vmid-list`, ...): a `Vec` in Rust, one string on
//! the wire.

use std::ops::{Deref, DerefMut};

use serde_json::Value;

use super::encode::Encode;
use crate::decode::Lenient;

/// A list PVE writes as one string: items separated by commas (PVE also reads `;` and
/// spaces). Derefs to `Vec<T>`.
///
/// An item holding a separator would be read by PVE as several items: such a list is
/// encoded as an array of its items, which validation refuses, naming the parameter (sent
/// anyway, as repeated parameters, PVE would read each as one item).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> List<T> {
        List(Vec::new())
    }
}

impl<T> Deref for List<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T> DerefMut for List<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<T> From<Vec<T>> for List<T> {
    fn from(items: Vec<T>) -> List<T> {
        List(items)
    }
}

/// `["cpu", "mem"].into()`.
impl<T, U: Into<T>, const N: usize> From<[U; N]> for List<T> {
    fn from(items: [U; N]) -> List<T> {
        List(items.into_iter().map(Into::into).collect())
    }
}

impl<T> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> List<T> {
        List(iter.into_iter().collect())
    }
}

impl<T> IntoIterator for List<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A list as PVE answers it: one string of items (separated by `,`, `;` or white space), or
/// a JSON array.
impl<'de, T: Lenient<'de>> Lenient<'de> for List<T> {
    fn lenient<D: serde_core::Deserializer<'de>>(d: D) -> Result<List<T>, D::Error> {
        struct Visit<T>(std::marker::PhantomData<fn() -> T>);
        impl<'de, T: Lenient<'de>> serde_core::de::Visitor<'de> for Visit<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list: a string of items, or an array")
            }
            fn visit_str<E: serde_core::de::Error>(self, text: &str) -> Result<List<T>, E> {
                text.split([',', ';', ' ', '\t', '\n'])
                    .filter(|item| !item.is_empty())
                    .enumerate()
                    .map(|(i, item)| {
                        T::lenient(serde_core::de::value::StrDeserializer::<E>::new(item))
                            .inspect_err(|_| crate::decode::failed_at_index(i))
                    })
                    .collect()
            }
            fn visit_unit<E: serde_core::de::Error>(self) -> Result<List<T>, E> {
                Ok(List(Vec::new()))
            }
            fn visit_seq<A: serde_core::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<List<T>, A::Error> {
                Vec::<T>::lenient(serde_core::de::value::SeqAccessDeserializer::new(seq)).map(List)
            }
        }
        d.deserialize_any(Visit(std::marker::PhantomData))
    }
}

impl<'de, T: Lenient<'de>> serde_core::Deserialize<'de> for List<T> {
    fn deserialize<D: serde_core::Deserializer<'de>>(d: D) -> Result<List<T>, D::Error> {
        List::lenient(d)
    }
}

/// Written as PVE writes it: one string, the items joined with commas.
impl<T: Encode> serde_core::Serialize for List<T> {
    fn serialize<S: serde_core::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_core::Serialize::serialize(&self.encode(), s)
    }
}

impl<T: Encode> Encode for List<T> {
    /// The items joined with commas; an empty list is the empty string, as PVE writes it
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
        Value::String(items.join(","))
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
