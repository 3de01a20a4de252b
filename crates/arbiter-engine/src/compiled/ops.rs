//! The meaning of operators in compiled scripts: ports of Rhai 1.27's built-in operators
//! (`func/builtin.rs`, its checked build) for the types they cover. Anything else is [`Bail`]:
//! the call is made again by Rhai, whose answer is the one that counts. So each function here
//! must either agree with Rhai exactly or bail.

use rhai::Token;

use super::Bail;
use crate::manifest::Limits;
use crate::value::{Value, string_within};

/// A binary operator on two values, as Rhai's built-in operators compute it.
pub(super) fn binary(op: &Token, x: &Value, y: &Value, limits: &Limits) -> Result<Value, Bail> {
    use Token as T;
    use Value as V;
    match (x, y) {
        (V::Int(a), V::Int(b)) => int_op(op, *a, *b),
        (V::Float(a), V::Float(b)) => float_op(op, *a, *b),
        #[allow(clippy::cast_precision_loss)] // as Rhai: `x as FLOAT`
        (V::Float(a), V::Int(b)) => float_op(op, *a, *b as f64),
        #[allow(clippy::cast_precision_loss)]
        (V::Int(a), V::Float(b)) => float_op(op, *a as f64, *b),
        (V::Bool(a), V::Bool(b)) => {
            let (a, b) = (*a, *b);
            Ok(V::Bool(match op {
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
            }))
        }
        (V::Str(a), V::Str(b)) => match op {
            T::Plus => {
                let mut s = String::with_capacity(a.len() + b.len());
                s.push_str(a);
                s.push_str(b);
                string_within(s, limits)
            }
            T::EqualsTo => Ok(V::Bool(a == b)),
            T::NotEqualsTo => Ok(V::Bool(a != b)),
            T::GreaterThan => Ok(V::Bool(a > b)),
            T::GreaterThanEqualsTo => Ok(V::Bool(a >= b)),
            T::LessThan => Ok(V::Bool(a < b)),
            T::LessThanEqualsTo => Ok(V::Bool(a <= b)),
            _ => Err(Bail),
        },
        (V::Unit, V::Unit) => match op {
            T::EqualsTo => Ok(V::Bool(true)),
            T::NotEqualsTo
            | T::GreaterThan
            | T::GreaterThanEqualsTo
            | T::LessThan
            | T::LessThanEqualsTo => Ok(V::Bool(false)),
            _ => Err(Bail),
        },
        (V::Unit, V::Str(_)) if *op == T::Plus => Ok(y.clone()),
        (V::Str(_), V::Unit) if *op == T::Plus => Ok(x.clone()),
        // Two values of one other type (two arrays, two costs) need a registered operator.
        _ if x.same_type(y) => Err(Bail),
        // Different types, not both numbers: unequal, and unordered. For a custom type (a cost
        // compared with `()`) Rhai looks for a registered operator first, finds none (the
        // sandbox registers no operator), and falls back to this same built-in rule.
        _ => match op {
            T::NotEqualsTo => Ok(V::Bool(true)),
            T::EqualsTo
            | T::GreaterThan
            | T::GreaterThanEqualsTo
            | T::LessThan
            | T::LessThanEqualsTo => Ok(V::Bool(false)),
            _ => Err(Bail),
        },
    }
}

fn int_op(op: &Token, x: i64, y: i64) -> Result<Value, Bail> {
    use Token as T;
    let int = |v: Option<i64>| v.map(Value::Int).ok_or(Bail);
    match op {
        T::Plus => int(x.checked_add(y)),
        T::Minus => int(x.checked_sub(y)),
        T::Multiply => int(x.checked_mul(y)),
        T::Divide => int(x.checked_div(y)),
        T::Modulo => int(x.checked_rem(y)),
        T::PowerOf => int(u32::try_from(y).ok().and_then(|y| x.checked_pow(y))),
        T::EqualsTo => Ok(Value::Bool(x == y)),
        T::NotEqualsTo => Ok(Value::Bool(x != y)),
        T::GreaterThan => Ok(Value::Bool(x > y)),
        T::GreaterThanEqualsTo => Ok(Value::Bool(x >= y)),
        T::LessThan => Ok(Value::Bool(x < y)),
        T::LessThanEqualsTo => Ok(Value::Bool(x <= y)),
        _ => Err(Bail),
    }
}

/// Rhai's checked build compares floats within a relative epsilon.
fn float_op(op: &Token, x: f64, y: f64) -> Result<Value, Bail> {
    use Token as T;
    let max = if x * y == 0.0 {
        1.0
    } else {
        x.abs().max(y.abs())
    };
    let compare = |zero: bool, test: fn(f64, f64, f64) -> bool| {
        Ok(Value::Bool(if max == 0.0 { zero } else { test(x, y, max) }))
    };
    match op {
        T::Plus => Ok(Value::Float(x + y)),
        T::Minus => Ok(Value::Float(x - y)),
        T::Multiply => Ok(Value::Float(x * y)),
        T::Divide => Ok(Value::Float(x / y)),
        T::Modulo => Ok(Value::Float(x % y)),
        T::PowerOf => Ok(Value::Float(x.powf(y))),
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
pub(super) fn assign(op: &Token, x: &Value, y: &Value, limits: &Limits) -> Result<Value, Bail> {
    match (x, y) {
        (Value::Int(_), Value::Int(_))
        | (Value::Float(_), Value::Float(_) | Value::Int(_))
        | (Value::Str(_), Value::Str(_)) => binary(op, x, y, limits),
        _ => Err(Bail),
    }
}

/// `!x` and `-x`.
pub(super) fn unary(op: &Token, x: &Value) -> Result<Value, Bail> {
    match (op, x) {
        (Token::Bang, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (Token::Minus | Token::UnaryMinus, Value::Int(i)) => {
            i.checked_neg().map(Value::Int).ok_or(Bail)
        }
        (Token::Minus | Token::UnaryMinus, Value::Float(f)) => Ok(Value::Float(-f)),
        _ => Err(Bail),
    }
}

/// `array[i]` (negative from the end), `map[key]` when the key is there.
pub(super) fn index(target: &Value, at: &Value) -> Result<Value, Bail> {
    match (target, at) {
        (Value::Array(items), Value::Int(i)) => {
            let len = i64::try_from(items.len()).map_err(|_| Bail)?;
            let i = if *i < 0 { len + i } else { *i };
            usize::try_from(i)
                .ok()
                .and_then(|i| items.get(i).cloned())
                .ok_or(Bail)
        }
        (Value::Map(m), Value::Str(key)) => m.get(key).cloned().ok_or(Bail),
        _ => Err(Bail),
    }
}
