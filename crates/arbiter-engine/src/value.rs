//! The values compiled scripts (`crate::compiled`) compute with, and the host's properties return: Rhai's types without Rhai's boxing — the call's
//! task and model by reference, arrays and maps shared until written (`Arc`, copied on write
//! as Rhai copies on assignment), costs and verdicts in one box.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

use rhai::{Array, Dynamic, FloatWrapper, ImmutableString, Map};

use crate::cost::CallCost;
use crate::manifest::Limits;
use crate::verdict::Verdict;

/// The compiled code cannot answer this call as Rhai would: make it with Rhai.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bail;

/// A map's entries, in key order (Rhai's maps are `BTreeMap`s keyed by text).
pub type ValueMap = BTreeMap<ImmutableString, Value>;

/// A script value.
#[derive(Debug, Clone)]
pub enum Value {
    /// `()`.
    Unit,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(ImmutableString),
    /// An array.
    Array(Arc<Vec<Value>>),
    /// A map.
    Map(Arc<ValueMap>),
    /// The task of the call.
    Task,
    /// The model of the call.
    Model,
    /// A priced call (`estimate`).
    Cost(Arc<CallCost>),
    /// A verdict (`score`, `veto`, `abstain`).
    Verdict(Box<Verdict>),
}

impl Value {
    /// An array of strings.
    pub fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
        Value::Array(Arc::new(
            items.into_iter().map(|s| Value::Str(s.into())).collect(),
        ))
    }

    /// A float, or `()`.
    pub fn opt_float(v: Option<f64>) -> Value {
        v.map_or(Value::Unit, Value::Float)
    }

    /// An integer, or `()`.
    pub fn opt_int(v: Option<u32>) -> Value {
        v.map_or(Value::Unit, |v| Value::Int(i64::from(v)))
    }

    /// Text, or `()`.
    pub fn opt_str(v: Option<&str>) -> Value {
        v.map_or(Value::Unit, |s| Value::Str(s.into()))
    }

    /// The value as Rhai holds it (the task and model are not values a getter returns).
    pub fn to_dynamic(&self) -> Dynamic {
        match self {
            Value::Unit | Value::Task | Value::Model => Dynamic::UNIT,
            Value::Bool(b) => Dynamic::from_bool(*b),
            Value::Int(i) => Dynamic::from_int(*i),
            Value::Float(f) => Dynamic::from_float(*f),
            Value::Str(s) => s.clone().into(),
            Value::Array(a) => {
                Dynamic::from_array(a.iter().map(Value::to_dynamic).collect::<Array>())
            }
            Value::Map(m) => Dynamic::from_map(
                m.iter()
                    .map(|(k, v)| (k.as_str().into(), v.to_dynamic()))
                    .collect::<Map>(),
            ),
            Value::Cost(c) => Dynamic::from(**c),
            Value::Verdict(v) => Dynamic::from((**v).clone()),
        }
    }

    /// A constant of a script, as the compiled code holds it; `None` for a type it does not.
    pub fn from_dynamic(d: &Dynamic) -> Option<Value> {
        Some(if d.is_unit() {
            Value::Unit
        } else if let Ok(b) = d.as_bool() {
            Value::Bool(b)
        } else if let Ok(i) = d.as_int() {
            Value::Int(i)
        } else if let Ok(f) = d.as_float() {
            Value::Float(f)
        } else if d.is_string() {
            Value::Str(d.as_immutable_string_ref().ok()?.clone())
        } else if d.is_array() {
            let a = d.as_array_ref().ok()?;
            Value::Array(Arc::new(
                a.iter().map(Value::from_dynamic).collect::<Option<_>>()?,
            ))
        } else if d.is_map() {
            let m = d.as_map_ref().ok()?;
            Value::Map(Arc::new(
                m.iter()
                    .map(|(k, v)| {
                        Some((ImmutableString::from(k.as_str()), Value::from_dynamic(v)?))
                    })
                    .collect::<Option<_>>()?,
            ))
        } else {
            return None;
        })
    }

    /// Whether both are of one type (Rhai's `type_id` comparison).
    pub fn same_type(&self, other: &Value) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }

    /// Writes the value as `${…}` does (Rhai's `to_string`).
    pub fn display(&self, out: &mut String) -> Result<(), Bail> {
        match self {
            Value::Unit => {}
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => {
                let _ = write!(out, "{}", FloatWrapper::new(*f));
            }
            Value::Str(s) => out.push_str(s),
            Value::Array(items) => {
                // `[` + each item as `to_debug` writes it + `]`.
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    match item {
                        Value::Unit => out.push_str("()"),
                        Value::Str(s) => {
                            let _ = write!(out, "{:?}", s.as_str());
                        }
                        Value::Float(f) => {
                            let _ = write!(out, "{:?}", FloatWrapper::new(*f));
                        }
                        Value::Bool(_) | Value::Int(_) => item.display(out)?,
                        _ => return Err(Bail),
                    }
                }
                out.push(']');
            }
            _ => return Err(Bail),
        }
        Ok(())
    }

    /// Bails when the value is over any data limit, counted as Rhai counts (arrays and maps
    /// with their nested items, strings by bytes, nested strings summed).
    pub fn check_size(&self, limits: &Limits) -> Result<(), Bail> {
        let (arrays, maps, strings) = match self {
            Value::Array(_) | Value::Map(_) => self.sizes(),
            Value::Str(s) => (0, 0, s.len()),
            _ => return Ok(()),
        };
        if over(arrays, limits.max_array_size)
            || over(maps, limits.max_map_size)
            || over(strings, limits.max_string_size)
        {
            return Err(Bail);
        }
        Ok(())
    }

    fn sizes(&self) -> (usize, usize, usize) {
        let add =
            |a: (usize, usize, usize), b: (usize, usize, usize)| (a.0 + b.0, a.1 + b.1, a.2 + b.2);
        match self {
            Value::Array(items) => items
                .iter()
                .fold((0, 0, 0), |acc, v| add(add(acc, (1, 0, 0)), v.sizes())),
            Value::Map(m) => m
                .values()
                .fold((0, 0, 0), |acc, v| add(add(acc, (0, 1, 0)), v.sizes())),
            Value::Str(s) => (0, 0, s.len()),
            _ => (0, 0, 0),
        }
    }
}

fn over(size: usize, limit: usize) -> bool {
    limit > 0 && size > limit
}

/// A string value, unless it is longer than the limit (Rhai would fail: bail).
pub fn string_within(s: String, limits: &Limits) -> Result<Value, Bail> {
    if over(s.len(), limits.max_string_size) {
        return Err(Bail);
    }
    Ok(Value::Str(s.into()))
}
