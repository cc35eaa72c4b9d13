//! PVE versions: the vendored schemas' labels, and sets of them.
//!
//! Every item of the merged API (path, method, parameter, answer field, enum value,
//! property-string key) carries the set of versions whose schema has it, as a bit mask over
//! the vendored versions sorted oldest first. Docs say it in words ("PVE 9.1+"), the runtime
//! guard reads the mask, and the `proxmoxia_pve` cfg removes what a chosen version lacks.

use std::cmp::Ordering;

/// A PVE version as the schema files name it (`8.4.17`, `9.2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub text: String,
    numbers: Vec<u32>,
}

impl Label {
    /// `8.4.17`: two or three dot-separated numbers.
    pub fn parse(text: &str) -> Option<Label> {
        let numbers = text
            .split('.')
            .map(|n| n.parse::<u32>().ok())
            .collect::<Option<Vec<u32>>>()?;
        (2..=3).contains(&numbers.len()).then(|| Label {
            text: text.to_owned(),
            numbers,
        })
    }

    /// The label of the one schema of a build whose file does not say its version.
    pub fn custom(text: &str) -> Label {
        Label {
            text: text.to_owned(),
            numbers: Vec::new(),
        }
    }

    /// `8.4` of `8.4.17`: the release line users name.
    pub fn minor(&self) -> String {
        match self.numbers.as_slice() {
            [major, minor, ..] => format!("{major}.{minor}"),
            _ => self.text.clone(),
        }
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Label) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Label) -> Ordering {
        self.numbers.cmp(&other.numbers)
    }
}

/// A set of vendored versions: bit `i` is the `i`-th oldest.
pub type Mask = u32;

/// The most versions one build can carry (the mask's width).
pub const MAX_VERSIONS: usize = 32;

/// The vendored versions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    pub labels: Vec<Label>,
}

impl Versions {
    /// Versions from labels given in any order; duplicates are an error.
    pub fn new(mut labels: Vec<Label>) -> Result<Versions, String> {
        labels.sort();
        if let Some(w) = labels.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("PVE {} is given twice", w[0].text));
        }
        if labels.is_empty() || labels.len() > MAX_VERSIONS {
            return Err(format!("give 1 to {MAX_VERSIONS} schemas"));
        }
        let lines: Vec<String> = labels.iter().map(Label::minor).collect();
        if let Some(i) = (1..lines.len()).find(|i| lines[i - 1] == lines[*i]) {
            return Err(format!(
                "PVE {} and {} are the same release line: vendor one schema per line",
                labels[i - 1].text,
                labels[i].text
            ));
        }
        Ok(Versions { labels })
    }

    /// Every version.
    pub fn all(&self) -> Mask {
        if self.labels.len() == MAX_VERSIONS {
            Mask::MAX
        } else {
            (1 << self.labels.len()) - 1
        }
    }

    /// The release lines (`8.4`, `9.1`, ...), oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.labels.iter().map(Label::minor).collect()
    }

    /// The indexes in `mask`, oldest first.
    fn members(&self, mask: Mask) -> Vec<usize> {
        (0..self.labels.len())
            .filter(|i| mask & (1 << i) != 0)
            .collect()
    }

    /// The set in words, `None` for every version: "PVE 9.1+", "PVE 8.4 only (removed in
    /// 9.1)", "PVE 8.4–9.1 (removed in 9.2)", "PVE 8.4, 9.2 (not in 9.1)".
    pub fn describe(&self, mask: Mask) -> Option<String> {
        let all = self.all();
        if mask & all == all {
            return None;
        }
        let lines = self.lines();
        let members = self.members(mask);
        let (Some(&first), Some(&last)) = (members.first(), members.last()) else {
            return Some("in no vendored PVE version".into());
        };
        let newest = lines.len() - 1;
        let contiguous = last - first + 1 == members.len();
        Some(if !contiguous {
            let missing: Vec<&str> = (first..=last)
                .filter(|i| !members.contains(i))
                .map(|i| lines[i].as_str())
                .collect();
            let have: Vec<&str> = members.iter().map(|i| lines[*i].as_str()).collect();
            format!("PVE {} (not in {})", have.join(", "), missing.join(", "))
        } else if last == newest {
            format!("PVE {}+", lines[first])
        } else if first == last {
            format!("PVE {} only (removed in {})", lines[first], lines[last + 1])
        } else {
            format!(
                "PVE {}–{} (removed in {})",
                lines[first],
                lines[last],
                lines[last + 1]
            )
        })
    }

    /// The set for listings, stable when a newer version that keeps the item is added:
    /// `8.4+` (from 8.4 on), `8.4-9.1` (8.4 to 9.1), `8.4,9.2` (otherwise).
    #[cfg(test)]
    pub fn range(&self, mask: Mask) -> String {
        let lines = self.lines();
        let members = self.members(mask);
        let (Some(&first), Some(&last)) = (members.first(), members.last()) else {
            return "none".into();
        };
        if last - first + 1 != members.len() {
            return members
                .iter()
                .map(|i| lines[*i].as_str())
                .collect::<Vec<_>>()
                .join(",");
        }
        if last == lines.len() - 1 {
            format!("{}+", lines[first])
        } else if first == last {
            lines[first].clone()
        } else {
            format!("{}-{}", lines[first], lines[last])
        }
    }

    /// The release lines a `proxmoxia_pve` cfg must not name for an item of `mask` to be
    /// compiled: the versions that lack it.
    pub fn lacking(&self, mask: Mask) -> Vec<String> {
        let lines = self.lines();
        (0..lines.len())
            .filter(|i| mask & (1 << i) == 0)
            .map(|i| lines[i].clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> Versions {
        Versions::new(
            ["9.2", "8.4.17", "9.1.11"]
                .iter()
                .map(|t| Label::parse(t).unwrap())
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn labels_sort_by_number() {
        let v = three();
        let texts: Vec<&str> = v.labels.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["8.4.17", "9.1.11", "9.2"]);
        assert!(Label::parse("9.10").unwrap() > Label::parse("9.9.3").unwrap());
        assert!(Label::parse("9").is_none() && Label::parse("x.1").is_none());
    }

    #[test]
    fn sets_in_words() {
        let v = three();
        assert_eq!(v.describe(0b111), None);
        assert_eq!(v.describe(0b110).as_deref(), Some("PVE 9.1+"));
        assert_eq!(v.describe(0b100).as_deref(), Some("PVE 9.2+"));
        assert_eq!(
            v.describe(0b001).as_deref(),
            Some("PVE 8.4 only (removed in 9.1)")
        );
        assert_eq!(
            v.describe(0b011).as_deref(),
            Some("PVE 8.4–9.1 (removed in 9.2)")
        );
        assert_eq!(
            v.describe(0b010).as_deref(),
            Some("PVE 9.1 only (removed in 9.2)")
        );
        assert_eq!(
            v.describe(0b101).as_deref(),
            Some("PVE 8.4, 9.2 (not in 9.1)")
        );
        assert_eq!(v.range(0b101), "8.4,9.2");
        assert_eq!(v.range(0b111), "8.4+");
        assert_eq!(v.range(0b011), "8.4-9.1");
        assert_eq!(v.range(0b010), "9.1");
        assert_eq!(v.lacking(0b110), ["8.4"]);
    }

    #[test]
    fn one_schema_per_release_line() {
        let err = Versions::new(vec![
            Label::parse("9.1.2").unwrap(),
            Label::parse("9.1.11").unwrap(),
        ])
        .unwrap_err();
        assert!(err.contains("same release line"), "{err}");
    }
}
