//! `-list` values (`pve-configid-list`, `pve-vmid-list`, ...): a `Vec` in Rust, one string on
//! the wire.

use std::ops::{Deref, DerefMut};

use serde_json::Value;

use super::decode::{Decode, DecodeFailure, Location};
use super::encode::Encode;

/// A list PVE writes as one string: items separated by commas (PVE also reads `;` and
/// spaces). Derefs to `Vec<T>`.
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

impl<T: Decode> Decode for List<T> {
    fn decode(value: Value, at: &Location<'_>) -> Result<List<T>, DecodeFailure> {
        match value {
            Value::String(text) => text
                .split([',', ';', ' ', '\t', '\n'])
                .filter(|item| !item.is_empty())
                .enumerate()
                .map(|(i, item)| T::decode(Value::String(item.to_owned()), &at.index(i)))
                .collect(),
            other => Vec::<T>::decode(other, at).map(List),
        }
    }
}

impl<T: Encode> Encode for List<T> {
    /// The items joined with commas; an empty list is left out.
    fn encode(&self) -> Value {
        if self.0.is_empty() {
            return Value::Null;
        }
        let items: Vec<String> = self
            .0
            .iter()
            .map(|item| match item.encode() {
                Value::String(s) => s,
                other => other.to_string(),
            })
            .collect();
        Value::String(items.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_pve_separators_and_join_with_commas() {
        let list: List<String> = Decode::decode(
            Value::String("net1, scsi1;ide2".into()),
            &Location::root("x"),
        )
        .unwrap();
        assert_eq!(list.0, ["net1", "scsi1", "ide2"]);
        assert_eq!(list.encode(), Value::String("net1,scsi1,ide2".into()));
        let ids: List<i64> =
            Decode::decode(Value::String("100,101".into()), &Location::root("x")).unwrap();
        assert_eq!(ids.0, [100, 101]);
        assert_eq!(List::<String>::default().encode(), Value::Null);
    }
}
