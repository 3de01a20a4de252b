//! The meaning of operators and library functions in compiled scripts: ports of Rhai 1.27's own
//! (`func/builtin.rs` for operators, the standard packages for functions), for the types they
//! cover. Anything else is [`Bail`]: the call is made again by Rhai, whose answer is the one
//! that counts. So each function here must either agree with Rhai exactly or bail.

use rhai::{Array, Dynamic, FloatWrapper, ImmutableString, Map, Token};

use super::Bail;
use crate::manifest::Limits;

/// A value's kind, as the ports below branch on it.
pub(super) enum Kind {
    Unit,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(ImmutableString),
    Array,
    Map,
    /// A character, a custom type (task, model, cost, verdict, range) or anything else.
    Other,
}

pub(super) fn kind(v: &Dynamic) -> Kind {
    // Type tests first: a failed `as_int` names the type, which costs more than the test.
    if v.is_unit() {
        Kind::Unit
    } else if v.is_bool() {
        Kind::Bool(v.as_bool().unwrap_or_default())
    } else if v.is_int() {
        Kind::Int(v.as_int().unwrap_or_default())
    } else if v.is_float() {
        Kind::Float(v.as_float().unwrap_or_default())
    } else if v.is_string() {
        str_of(v).map_or(Kind::Other, Kind::Str)
    } else if v.is_array() {
        Kind::Array
    } else if v.is_map() {
        Kind::Map
    } else {
        Kind::Other
    }
}

/// A string value's text (a shared handle on it).
pub(super) fn str_of(v: &Dynamic) -> Option<ImmutableString> {
    if v.is_string() {
        v.as_immutable_string_ref().ok().map(|s| s.clone())
    } else {
        None
    }
}

/// A binary operator on two values, as Rhai's built-in operators compute it (fast operators:
/// neither operand a custom type).
pub(super) fn binary(
    op: &Token,
    x: &Dynamic,
    y: &Dynamic,
    limits: &Limits,
) -> Result<Dynamic, Bail> {
    use Kind as K;
    use Token as T;
    match (kind(x), kind(y)) {
        (K::Int(a), K::Int(b)) => int_op(op, a, b),
        (K::Float(a), K::Float(b)) => float_op(op, a, b),
        #[allow(clippy::cast_precision_loss)] // as Rhai: `x as FLOAT`
        (K::Float(a), K::Int(b)) => float_op(op, a, b as f64),
        #[allow(clippy::cast_precision_loss)]
        (K::Int(a), K::Float(b)) => float_op(op, a as f64, b),
        (K::Bool(a), K::Bool(b)) => Ok(Dynamic::from_bool(match op {
            T::EqualsTo => a == b,
            T::NotEqualsTo => a != b,
            T::GreaterThan => a & !b,
            T::GreaterThanEqualsTo => a >= b,
            T::LessThan => !a & b,
            T::LessThanEqualsTo => a <= b,
            T::Ampersand => a & b,
            T::Pipe => a | b,
            T::XOr => a ^ b,
            _ => return Err(Bail),
        })),
        (K::Str(a), K::Str(b)) => match op {
            T::Plus => {
                let mut s = String::with_capacity(a.len() + b.len());
                s.push_str(&a);
                s.push_str(&b);
                string_within(s, limits)
            }
            T::EqualsTo => Ok(Dynamic::from_bool(a == b)),
            T::NotEqualsTo => Ok(Dynamic::from_bool(a != b)),
            T::GreaterThan => Ok(Dynamic::from_bool(a > b)),
            T::GreaterThanEqualsTo => Ok(Dynamic::from_bool(a >= b)),
            T::LessThan => Ok(Dynamic::from_bool(a < b)),
            T::LessThanEqualsTo => Ok(Dynamic::from_bool(a <= b)),
            _ => Err(Bail),
        },
        (K::Unit, K::Unit) => match op {
            T::EqualsTo => Ok(Dynamic::TRUE),
            T::NotEqualsTo
            | T::GreaterThan
            | T::GreaterThanEqualsTo
            | T::LessThan
            | T::LessThanEqualsTo => Ok(Dynamic::FALSE),
            _ => Err(Bail),
        },
        (K::Unit, K::Str(_)) | (K::Str(_), K::Unit) if *op == T::Plus => {
            Ok(if x.is_unit() { y.clone() } else { x.clone() })
        }
        // Characters have operators of their own with strings; two values of one other type
        // (two tasks, two costs) need a registered operator, which the sandbox has none of.
        (K::Other, _) | (_, K::Other)
            if x.is_char() || y.is_char() || x.type_id() == y.type_id() =>
        {
            Err(Bail)
        }
        // Different types, not both numbers: unequal, and unordered. For a custom type (a cost
        // compared with `()`) Rhai looks for a registered operator first, finds none, and falls
        // back to this same built-in rule.
        _ => match op {
            T::NotEqualsTo => Ok(Dynamic::TRUE),
            T::EqualsTo
            | T::GreaterThan
            | T::GreaterThanEqualsTo
            | T::LessThan
            | T::LessThanEqualsTo => Ok(Dynamic::FALSE),
            _ => Err(Bail),
        },
    }
}

fn int_op(op: &Token, x: i64, y: i64) -> Result<Dynamic, Bail> {
    use Token as T;
    let int = |v: Option<i64>| v.map(Dynamic::from_int).ok_or(Bail);
    match op {
        T::Plus => int(x.checked_add(y)),
        T::Minus => int(x.checked_sub(y)),
        T::Multiply => int(x.checked_mul(y)),
        T::Divide => int(x.checked_div(y)),
        T::Modulo => int(x.checked_rem(y)),
        T::PowerOf => int(u32::try_from(y).ok().and_then(|y| x.checked_pow(y))),
        T::EqualsTo => Ok(Dynamic::from_bool(x == y)),
        T::NotEqualsTo => Ok(Dynamic::from_bool(x != y)),
        T::GreaterThan => Ok(Dynamic::from_bool(x > y)),
        T::GreaterThanEqualsTo => Ok(Dynamic::from_bool(x >= y)),
        T::LessThan => Ok(Dynamic::from_bool(x < y)),
        T::LessThanEqualsTo => Ok(Dynamic::from_bool(x <= y)),
        T::ExclusiveRange => Ok(Dynamic::from(x..y)),
        T::InclusiveRange => Ok(Dynamic::from(x..=y)),
        _ => Err(Bail),
    }
}

/// Rhai's checked build compares floats within a relative epsilon.
fn float_op(op: &Token, x: f64, y: f64) -> Result<Dynamic, Bail> {
    use Token as T;
    let max = if x * y == 0.0 {
        1.0
    } else {
        x.abs().max(y.abs())
    };
    let compare = |zero: bool, test: fn(f64, f64, f64) -> bool| {
        Ok(Dynamic::from_bool(if max == 0.0 {
            zero
        } else {
            test(x, y, max)
        }))
    };
    match op {
        T::Plus => Ok(Dynamic::from_float(x + y)),
        T::Minus => Ok(Dynamic::from_float(x - y)),
        T::Multiply => Ok(Dynamic::from_float(x * y)),
        T::Divide => Ok(Dynamic::from_float(x / y)),
        T::Modulo => Ok(Dynamic::from_float(x % y)),
        T::PowerOf => Ok(Dynamic::from_float(x.powf(y))),
        T::EqualsTo => compare(true, |x, y, m| (x - y).abs() / m <= f64::EPSILON),
        T::NotEqualsTo => compare(false, |x, y, m| (x - y).abs() / m > f64::EPSILON),
        T::GreaterThan => compare(false, |x, y, m| (x - y) / m > f64::EPSILON),
        T::GreaterThanEqualsTo => compare(true, |x, y, m| (x - y) / m > -f64::EPSILON),
        T::LessThan => compare(false, |x, y, m| (y - x) / m > f64::EPSILON),
        T::LessThanEqualsTo => compare(true, |x, y, m| (y - x) / m > -f64::EPSILON),
        _ => Err(Bail),
    }
}

/// `x op= y` for the pairs whose compound assignment means `x = x op y` in Rhai.
pub(super) fn assign(
    op: &Token,
    x: &Dynamic,
    y: &Dynamic,
    limits: &Limits,
) -> Result<Dynamic, Bail> {
    match (kind(x), kind(y)) {
        (Kind::Int(_), Kind::Int(_))
        | (Kind::Float(_), Kind::Float(_) | Kind::Int(_))
        | (Kind::Str(_), Kind::Str(_)) => binary(op, x, y, limits),
        _ => Err(Bail),
    }
}

/// `!x` and `-x`.
pub(super) fn unary(op: &Token, x: &Dynamic) -> Result<Dynamic, Bail> {
    match (op, kind(x)) {
        (Token::Bang, Kind::Bool(b)) => Ok(Dynamic::from_bool(!b)),
        (Token::Minus | Token::UnaryMinus, Kind::Int(i)) => {
            i.checked_neg().map(Dynamic::from_int).ok_or(Bail)
        }
        (Token::Minus | Token::UnaryMinus, Kind::Float(f)) => Ok(Dynamic::from_float(-f)),
        _ => Err(Bail),
    }
}

/// A value as `${…}` writes it (Rhai's `to_string`).
pub(super) fn display(v: &Dynamic, out: &mut String) -> Result<(), Bail> {
    use std::fmt::Write;
    match kind(v) {
        Kind::Unit => {}
        Kind::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Kind::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Kind::Float(f) => {
            let _ = write!(out, "{}", FloatWrapper::new(f));
        }
        Kind::Str(s) => out.push_str(&s),
        Kind::Array => {
            // `[` + each item as `to_debug` writes it + `]`.
            let array = v.as_array_ref().map_err(|_| Bail)?;
            out.push('[');
            for (i, item) in array.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match kind(item) {
                    Kind::Unit => out.push_str("()"),
                    Kind::Str(s) => {
                        let _ = write!(out, "{s:?}");
                    }
                    Kind::Float(f) => {
                        let _ = write!(out, "{:?}", FloatWrapper::new(f));
                    }
                    Kind::Bool(_) | Kind::Int(_) => display(item, out)?,
                    _ => return Err(Bail),
                }
            }
            out.push(']');
        }
        Kind::Map | Kind::Other => return Err(Bail),
    }
    Ok(())
}

/// A string value, unless it is longer than the limit (Rhai would fail: bail).
pub(super) fn string_within(s: String, limits: &Limits) -> Result<Dynamic, Bail> {
    if over(s.len(), limits.max_string_size) {
        return Err(Bail);
    }
    Ok(Dynamic::from(ImmutableString::from(s)))
}

fn over(size: usize, limit: usize) -> bool {
    limit > 0 && size > limit
}

/// Bails when a value is over any of the data limits, counted as Rhai counts them (arrays and
/// maps with their nested items, strings by bytes, nested strings summed).
pub(super) fn check_size(v: &Dynamic, limits: &Limits) -> Result<(), Bail> {
    let (arrays, maps, strings) = sizes(v);
    if over(arrays, limits.max_array_size)
        || over(maps, limits.max_map_size)
        || over(strings, limits.max_string_size)
    {
        return Err(Bail);
    }
    Ok(())
}

fn sizes(v: &Dynamic) -> (usize, usize, usize) {
    if v.is_array() {
        v.as_array_ref().map_or((0, 0, 0), |a| array_sizes(&a))
    } else if v.is_map() {
        v.as_map_ref().map_or((0, 0, 0), |m| map_sizes(&m))
    } else if v.is_string() {
        v.as_immutable_string_ref()
            .map_or((0, 0, 0), |s| (0, 0, s.len()))
    } else {
        (0, 0, 0)
    }
}

fn add(a: (usize, usize, usize), b: (usize, usize, usize)) -> (usize, usize, usize) {
    (a.0 + b.0, a.1 + b.1, a.2 + b.2)
}

fn array_sizes(array: &Array) -> (usize, usize, usize) {
    array
        .iter()
        .fold((0, 0, 0), |acc, item| add(add(acc, (1, 0, 0)), sizes(item)))
}

fn map_sizes(map: &Map) -> (usize, usize, usize) {
    map.values()
        .fold((0, 0, 0), |acc, item| add(add(acc, (0, 1, 0)), sizes(item)))
}

/// `array[i]` (negative from the end), `map[key]` when the key is there.
pub(super) fn index(target: &Dynamic, at: &Dynamic) -> Result<Dynamic, Bail> {
    if target.is_array()
        && let Ok(array) = target.as_array_ref()
    {
        let i = at.as_int().map_err(|_| Bail)?;
        let len = i64::try_from(array.len()).map_err(|_| Bail)?;
        let i = if i < 0 { len + i } else { i };
        return usize::try_from(i)
            .ok()
            .and_then(|i| array.get(i).cloned())
            .ok_or(Bail);
    }
    if target.is_map()
        && let Ok(map) = target.as_map_ref()
    {
        let key = str_of(at).ok_or(Bail)?;
        return map.get(key.as_str()).cloned().ok_or(Bail);
    }
    Err(Bail)
}
