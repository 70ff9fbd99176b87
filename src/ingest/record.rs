//! The fields of one JSON Lines record that a run reads.
//!
//! A record is scanned once and only the named fields are kept: every other field's value is
//! skipped by the parser without being unescaped or copied. Parsing each record into a full
//! [`serde_json::Value`] instead copies every field; on 20 Newsgroups, whose records carry each
//! article twice (`text` and `body`), that was most of the ingest stage's parsing time (BENCHMARKS.md,
//! "Ingest").

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

/// Why a line is not a record.
#[derive(Debug)]
pub(crate) enum RecordError {
    /// Not JSON (or more than one value on the line).
    Malformed(serde_json::Error),
    /// Valid JSON, but not an object.
    NotAnObject,
}

/// Reads the fields `names` (an empty name is never matched) of the JSON object on `line`.
/// Each field holds its string, or the JSON text of any other non-null value; a missing or null
/// field is `None`. A name that occurs twice keeps its last value, as a JSON map would.
/// At most eight names (the matches are a bit set of a byte).
pub(crate) fn pick_fields<const FIELDS: usize>(
    line: &str,
    names: [&str; FIELDS],
) -> Result<[Option<String>; FIELDS], RecordError> {
    let mut de = serde_json::Deserializer::from_str(line);
    let picked = match (Picker { names }).deserialize(&mut de) {
        Ok(p) => p,
        Err(e) if e.is_data() => return Err(RecordError::NotAnObject),
        Err(e) => return Err(RecordError::Malformed(e)),
    };
    de.end().map_err(RecordError::Malformed)?;
    Ok(picked)
}

/// The keys of the JSON object on `line`, sorted (for the message naming a missing field).
pub(crate) fn keys(line: &str) -> Vec<String> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(obj)) => obj.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// A field's value as the run keeps it: strings as they are, other values as JSON text.
fn field_text(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

struct Picker<'n, const FIELDS: usize> {
    names: [&'n str; FIELDS],
}

impl<'de, const FIELDS: usize> DeserializeSeed<'de> for Picker<'_, FIELDS> {
    type Value = [Option<String>; FIELDS];

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, const FIELDS: usize> Visitor<'de> for Picker<'_, FIELDS> {
    type Value = [Option<String>; FIELDS];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out: [Option<String>; FIELDS] = std::array::from_fn(|_| None);
        while let Some(hit) = map.next_key_seed(KeyMatch { names: self.names })? {
            if hit == 0 {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            // The value moves into the last name it matched; only a key named twice in the
            // run's fields (say, the same field as text and id) is copied.
            let v = field_text(map.next_value::<Value>()?);
            let last = (u8::BITS - 1 - hit.leading_zeros()) as usize; // its highest bit
            for (i, slot) in out.iter_mut().enumerate().take(last) {
                if hit & (1 << i) != 0 {
                    slot.clone_from(&v);
                }
            }
            out[last] = v;
        }
        Ok(out)
    }
}

/// Matches a key against the wanted names without copying it: a bit set of the names it equals.
struct KeyMatch<'n, const FIELDS: usize> {
    names: [&'n str; FIELDS],
}

impl<'de, const FIELDS: usize> DeserializeSeed<'de> for KeyMatch<'_, FIELDS> {
    type Value = u8;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u8, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, const FIELDS: usize> Visitor<'de> for KeyMatch<'_, FIELDS> {
    type Value = u8;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<u8, E> {
        Ok(self
            .names
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.is_empty() && **n == key)
            .fold(0, |bits, (i, _)| bits | (1 << i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_named_fields_and_skips_the_rest() {
        let line = r#"{"id": 7, "text": "a\nb \"q\"", "skip": {"x": [1, "y"]}, "label": null}"#;
        let [text, id, label] = pick_fields(line, ["text", "id", "label"]).unwrap();
        assert_eq!(text.as_deref(), Some("a\nb \"q\""));
        assert_eq!(id.as_deref(), Some("7"));
        assert_eq!(label, None);
    }

    #[test]
    fn a_name_asked_twice_fills_both_and_empty_names_match_nothing() {
        let line = r#"{"t": "x", "": "empty key", "t": "last"}"#;
        let got = pick_fields(line, ["t", "", "t"]).unwrap();
        assert_eq!(got, [Some("last".into()), None, Some("last".into())]);
    }

    #[test]
    fn agrees_with_a_full_parse_on_escaped_keys_and_values() {
        let line = r#"{"te\u0078t": "caf\u00e9 \ud83d\ude00", "n": [1.5, true], "o": {"a": null}}"#;
        let full: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
        let got = pick_fields(line, ["text", "n", "o"]).unwrap();
        let want: Vec<Option<String>> = ["text", "n", "o"]
            .iter()
            .map(|k| full.get(*k).cloned().and_then(field_text))
            .collect();
        assert_eq!(got.to_vec(), want);
        assert_eq!(keys(line), ["n", "o", "text"]);
    }

    #[test]
    fn tells_malformed_json_from_a_value_that_is_not_an_object() {
        for line in [r#"{"text": "open"#, r#"{"text": "a"} x"#, "{text: 1}"] {
            assert!(
                matches!(
                    pick_fields(line, ["text", "", ""]),
                    Err(RecordError::Malformed(_))
                ),
                "{line}"
            );
        }
        for line in [r#""text""#, "[1, 2]", "3", "null"] {
            assert!(
                matches!(
                    pick_fields(line, ["text", "", ""]),
                    Err(RecordError::NotAnObject)
                ),
                "{line}"
            );
        }
    }
}
