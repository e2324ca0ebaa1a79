//! The output limit: how many bytes of JSON a call's result takes, found without
//! paying for all of a result far over the limit.
//!
//! Two passes, each giving up as soon as the limit is passed:
//! 1. [`Floor`], a serde serializer that adds up the least text the result can take
//!    as JSON (each string's bytes and quotes, each number's one digit, each byte of
//!    a byte list and its comma) without writing anything. A 48 MiB note stops it
//!    after one string length, not a scan of 48 MiB.
//! 2. For a result under the limit by that count, serde_json writes it to a counter,
//!    exactly (escapes included); that costs at most about the limit.

use serde::Serialize;
use serde::ser;

/// Checks that `value` as JSON takes at most `limit` bytes. `Err` carries the bytes
/// counted when it gave up: more than `limit`, not necessarily the whole size.
pub fn json_size_within<T: Serialize>(value: &T, limit: usize) -> Result<(), usize> {
    let mut floor = Floor { counted: 0, limit };
    if value.serialize(&mut floor).is_err() {
        return Err(floor.counted);
    }
    let mut counter = Counter { written: 0, limit };
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => Ok(()),
        Err(_) => Err(counter.written.max(limit.saturating_add(1))),
    }
}

/// Counts what is written, and refuses a write past the limit.
struct Counter {
    written: usize,
    limit: usize,
}

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.written += buf.len();
        if self.written > self.limit {
            return Err(std::io::Error::other("over the output limit"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Adds up a lower bound of a value's JSON size; fails once it passes `limit`.
struct Floor {
    counted: usize,
    limit: usize,
}

/// The value is over the limit (or cannot be JSON, which the exact pass reports).
#[derive(Debug)]
struct Over;

impl std::fmt::Display for Over {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("over the output limit")
    }
}

impl std::error::Error for Over {}

impl ser::Error for Over {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Over
    }
}

impl Floor {
    fn add(&mut self, bytes: usize) -> Result<(), Over> {
        self.counted = self.counted.saturating_add(bytes);
        if self.counted > self.limit {
            Err(Over)
        } else {
            Ok(())
        }
    }
}

impl ser::Serializer for &mut Floor {
    type Ok = ();
    type Error = Over;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, _: bool) -> Result<(), Over> {
        self.add(4)
    }
    fn serialize_i8(self, _: i8) -> Result<(), Over> {
        self.add(1)
    }
    fn serialize_i16(self, _: i16) -> Result<(), Over> {
        self.add(1)
    }
    fn serialize_i32(self, _: i32) -> Result<(), Over> {
        self.add(1)
    }
    fn serialize_i64(self, _: i64) -> Result<(), Over> {
        self.add(1)
    }
    fn serialize_u8(self, _: u8) -> Result<(), Over> {
        self.add(1)
    }
    fn serialize_u16(self, _: u16) -> Result<(), Over> {
        self.add(1)
    }
    fn serialize_u32(self, _: u32) -> Result<(), Over> {
        self.add(1)
    }
    fn serialize_u64(self, _: u64) -> Result<(), Over> {
        self.add(1)
    }
    fn serialize_f32(self, _: f32) -> Result<(), Over> {
        self.add(1)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Over> {
        self.add(1)
    }
    fn serialize_char(self, c: char) -> Result<(), Over> {
        self.add(c.len_utf8() + 2)
    }
    fn serialize_str(self, v: &str) -> Result<(), Over> {
        self.add(v.len() + 2)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Over> {
        // serde_json writes bytes as an array of numbers: a digit and a comma each.
        self.add(2 * v.len() + 1)
    }
    fn serialize_none(self) -> Result<(), Over> {
        self.add(4)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Over> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Over> {
        self.add(4)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Over> {
        self.add(4)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Over> {
        self.add(variant.len() + 2)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Over> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Over> {
        self.add(variant.len() + 5)?;
        value.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Over> {
        self.add(2)?;
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, Over> {
        self.add(2)?;
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Over> {
        self.add(2)?;
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, Over> {
        self.add(variant.len() + 5)?;
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, Over> {
        self.add(2)?;
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Over> {
        self.add(2)?;
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, Over> {
        self.add(variant.len() + 5)?;
        Ok(self)
    }
}

/// The compound parts of a value (elements, fields) are counted like values; keys
/// and field names add their quotes and colon.
macro_rules! count_elements {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for &mut Floor {
            type Ok = ();
            type Error = Over;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Over> {
                value.serialize(&mut **self)
            }
            fn end(self) -> Result<(), Over> {
                Ok(())
            }
        }
    )*};
}

count_elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

macro_rules! count_fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for &mut Floor {
            type Ok = ();
            type Error = Over;
            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Over> {
                self.add(key.len() + 3)?;
                value.serialize(&mut **self)
            }
            fn end(self) -> Result<(), Over> {
                Ok(())
            }
        }
    )*};
}

count_fields!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for &mut Floor {
    type Ok = ();
    type Error = Over;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Over> {
        // A key is a string in JSON; a colon follows it.
        key.serialize(&mut **self)?;
        self.add(1)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Over> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Over> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_is_exact_under_the_limit_and_refused_over_it() {
        let value = serde_json::json!({"tags": ["a\"b", "c"], "n": 12, "on": true});
        let exact = serde_json::to_vec(&value).unwrap().len();
        assert_eq!(json_size_within(&value, exact), Ok(()));
        // One byte less: refused, the escape counted.
        assert!(json_size_within(&value, exact - 1).is_err());
    }

    #[test]
    fn the_floor_never_exceeds_the_real_size() {
        #[derive(Serialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        enum Action {
            AddTags { tags: Vec<String> },
            Close,
        }
        #[derive(Serialize)]
        struct Body {
            bytes: serde_bytes_like::Bytes,
            actions: Vec<Action>,
            maybe: Option<u64>,
        }
        mod serde_bytes_like {
            /// Serialised with `serialize_bytes`, as `Vec<u8>` bodies are not.
            pub struct Bytes(pub Vec<u8>);
            impl serde::Serialize for Bytes {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    s.serialize_bytes(&self.0)
                }
            }
        }
        let body = Body {
            bytes: serde_bytes_like::Bytes(vec![0, 255, 7]),
            actions: vec![
                Action::AddTags {
                    tags: vec!["x".into(), "é\n".into()],
                },
                Action::Close,
            ],
            maybe: None,
        };
        let exact = serde_json::to_vec(&body).unwrap().len();
        let mut floor = Floor {
            counted: 0,
            limit: usize::MAX,
        };
        body.serialize(&mut floor).unwrap();
        assert!(floor.counted <= exact, "floor {} > {exact}", floor.counted);
        assert_eq!(json_size_within(&body, exact), Ok(()));
    }

    #[test]
    fn a_giant_string_or_byte_list_is_refused_by_its_length_alone() {
        let huge = vec!["x".repeat(4 << 20)];
        assert_eq!(json_size_within(&huge, 1 << 20), Err((4 << 20) + 4));
        // A byte list (a non-UTF-8 adapter body): refused without building anything.
        let bytes: Vec<u8> = vec![200; 4 << 20];
        let refused = json_size_within(&bytes, 1 << 20).unwrap_err();
        assert!(refused > 1 << 20);
    }
}
