//! The functions compiled scripts call directly: the host API (the same Rust functions the Rhai
//! engine registers, [`crate::host`]) and the part of Rhai's standard library the default
//! policies use, each ported from Rhai 1.27 for the argument types listed, [`Bail`] for any
//! other.

use super::Bail;
use crate::cost::{CallCost, Precision};
use crate::host::{self, Devices, ModelView, TaskView};
use crate::value::Value;
use crate::verdict::Verdict;

/// A function a compiled script can call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Function {
    Score,
    Veto,
    Abstain,
    WithPrecision,
    Covers,
    Translates,
    Suits,
    HasObjective,
    Benchmark,
    BenchmarkNormalised,
    Estimate,
    DeviceMemoryMb,
    Round,
    Floor,
    Ceiling,
    Abs,
    Sqrt,
    Ln,
    Log,
    Exp,
    ToInt,
    ToFloat,
    Max,
    Min,
    Len,
    IsEmpty,
    Keys,
    Contains,
    StartsWith,
    EndsWith,
}

impl Function {
    /// The function a script names, when it is one of these.
    pub(super) fn named(name: &str) -> Option<Function> {
        use Function as F;
        Some(match name {
            "score" => F::Score,
            "veto" => F::Veto,
            "abstain" => F::Abstain,
            "with_precision" => F::WithPrecision,
            "covers" => F::Covers,
            "translates" => F::Translates,
            "suits" => F::Suits,
            "has_objective" => F::HasObjective,
            "benchmark" => F::Benchmark,
            "benchmark_normalised" => F::BenchmarkNormalised,
            "estimate" => F::Estimate,
            "device_memory_mb" => F::DeviceMemoryMb,
            "round" => F::Round,
            "floor" => F::Floor,
            "ceiling" => F::Ceiling,
            "abs" => F::Abs,
            "sqrt" => F::Sqrt,
            "ln" => F::Ln,
            "log" => F::Log,
            "exp" => F::Exp,
            "to_int" => F::ToInt,
            "to_float" => F::ToFloat,
            "max" => F::Max,
            "min" => F::Min,
            "len" => F::Len,
            "is_empty" => F::IsEmpty,
            "keys" => F::Keys,
            "contains" => F::Contains,
            "starts_with" => F::StartsWith,
            "ends_with" => F::EndsWith,
            _ => return None,
        })
    }

    /// Calls the function on evaluated arguments, for the call's task and model.
    pub(super) fn call(
        self,
        args: &[&Value],
        (task, model): (&TaskView, &ModelView),
        devices: &Devices,
        limits: &crate::manifest::Limits,
    ) -> Result<Value, Bail> {
        use Function as F;
        use Value as V;
        let text = |i: usize| match args.get(i) {
            Some(V::Str(s)) => Ok(s.as_str()),
            _ => Err(Bail),
        };
        // The model, where a host function takes one: only the call's own model is a value.
        let the_model = || match args.first() {
            Some(V::Model) => Ok(model),
            _ => Err(Bail),
        };
        let one_float = |f: fn(f64) -> f64| match args {
            [V::Float(x)] => Ok(V::Float(f(*x))),
            _ => Err(Bail),
        };
        let verdict = |v: Verdict| Ok(V::Verdict(Box::new(v)));
        match (self, args.len()) {
            (F::Score, 2) => {
                let value = match args[0] {
                    V::Float(x) => *x,
                    #[allow(clippy::cast_precision_loss)] // as the host: `x as f64`
                    V::Int(x) => *x as f64,
                    _ => return Err(Bail),
                };
                if !(value.is_finite() && (0.0..=1.0).contains(&value)) {
                    return Err(Bail);
                }
                verdict(Verdict::Score {
                    value,
                    reason: text(1)?.to_string(),
                    precision: None,
                })
            }
            (F::Veto, 1) => verdict(Verdict::Veto {
                reason: text(0)?.to_string(),
            }),
            (F::Abstain, 1) => verdict(Verdict::Abstain {
                reason: text(0)?.to_string(),
            }),
            (F::WithPrecision, 2) => {
                let p = Precision::parse(text(1)?).ok_or(Bail)?;
                match args[0] {
                    V::Verdict(v) => match &**v {
                        Verdict::Score { value, reason, .. } => verdict(Verdict::Score {
                            value: *value,
                            reason: reason.clone(),
                            precision: Some(p),
                        }),
                        _ => Err(Bail),
                    },
                    _ => Err(Bail),
                }
            }
            (F::Covers, 2) => Ok(V::Bool(host::covers(the_model()?, text(1)?))),
            (F::Translates, 3) => Ok(V::Bool(the_model()?.0.model.translates(text(1)?, text(2)?))),
            (F::Suits, 2) => Ok(V::Bool(host::suits(the_model()?, text(1)?))),
            (F::HasObjective, 2) => Ok(V::Bool(host::has_objective(the_model()?, text(1)?))),
            (F::Benchmark, 2) => Ok(host::benchmark(the_model()?, text(1)?)),
            (F::BenchmarkNormalised, 2) => Ok(V::opt_float(host::benchmark_normalised(
                the_model()?,
                text(1)?,
            ))),
            (F::Estimate, 3) => match (args[0], args[1]) {
                (V::Task, V::Model) => {
                    let p = Precision::parse(text(2)?).ok_or(Bail)?;
                    let cost: CallCost =
                        host::estimate(devices, task, model, p).map_err(|_| Bail)?;
                    Ok(V::Cost(std::sync::Arc::new(cost)))
                }
                _ => Err(Bail),
            },
            (F::DeviceMemoryMb, 1) => Ok(V::Float(
                host::device(devices, text(0)?).ok_or(Bail)?.memory_mb,
            )),
            (F::Round, _) => one_float(f64::round),
            (F::Floor, _) => one_float(f64::floor),
            (F::Ceiling, _) => one_float(f64::ceil),
            (F::Sqrt, _) => one_float(f64::sqrt),
            (F::Ln, _) => one_float(f64::ln),
            (F::Log, _) => one_float(f64::log10),
            (F::Exp, _) => one_float(f64::exp),
            (F::Abs, _) => match args {
                [V::Float(x)] => Ok(V::Float(x.abs())),
                [V::Int(i)] => i.checked_abs().map(V::Int).ok_or(Bail),
                _ => Err(Bail),
            },
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            (F::ToInt, _) => match args {
                [V::Int(i)] => Ok(V::Int(*i)),
                // As Rhai's checked `to_int`: out of range fails, else truncates.
                [V::Float(x)] if *x > i64::MAX as f64 || *x < i64::MIN as f64 => Err(Bail),
                [V::Float(x)] => Ok(V::Int(x.trunc() as i64)),
                _ => Err(Bail),
            },
            #[allow(clippy::cast_precision_loss)]
            (F::ToFloat, _) => match args {
                [V::Float(x)] => Ok(V::Float(*x)),
                [V::Int(i)] => Ok(V::Float(*i as f64)),
                _ => Err(Bail),
            },
            (F::Max | F::Min, 2) => {
                let max = self == F::Max;
                // Rhai: `if x >= y { x } else { y }` for max, `<=` for min.
                let pick = |x: f64, y: f64| {
                    if (max && x >= y) || (!max && x <= y) {
                        x
                    } else {
                        y
                    }
                };
                #[allow(clippy::cast_precision_loss)]
                match (args[0], args[1]) {
                    (V::Int(a), V::Int(b)) => Ok(V::Int(if (max && a >= b) || (!max && a <= b) {
                        *a
                    } else {
                        *b
                    })),
                    (V::Float(a), V::Float(b)) => Ok(V::Float(pick(*a, *b))),
                    (V::Int(a), V::Float(b)) => Ok(V::Float(pick(*a as f64, *b))),
                    (V::Float(a), V::Int(b)) => Ok(V::Float(pick(*a, *b as f64))),
                    _ => Err(Bail),
                }
            }
            (F::Len | F::IsEmpty, 1) => {
                let len = match args[0] {
                    V::Str(s) if self == F::IsEmpty => return Ok(V::Bool(s.is_empty())),
                    V::Str(s) => s.chars().count(),
                    V::Array(a) => a.len(),
                    V::Map(m) => m.len(),
                    _ => return Err(Bail),
                };
                Ok(if self == F::IsEmpty {
                    V::Bool(len == 0)
                } else {
                    V::Int(i64::try_from(len).unwrap_or(i64::MAX))
                })
            }
            (F::Keys, 1) => match args[0] {
                V::Map(m) => {
                    let keys = V::Array(std::sync::Arc::new(
                        m.keys().map(|k| V::Str(k.clone())).collect(),
                    ));
                    keys.check_size(limits)?;
                    Ok(keys)
                }
                _ => Err(Bail),
            },
            (F::Contains, 2) => match (args[0], args[1]) {
                // Items compared with `==`: only strings against strings are ported; an item
                // of another built-in type is unequal.
                (V::Array(items), V::Str(needle)) => {
                    let mut found = false;
                    for x in items.iter() {
                        match x {
                            V::Str(s) => found |= s == needle,
                            V::Unit | V::Bool(_) | V::Int(_) | V::Float(_) => {}
                            _ => return Err(Bail),
                        }
                    }
                    Ok(V::Bool(found))
                }
                (V::Str(s), V::Str(t)) => Ok(V::Bool(s.contains(t.as_str()))),
                (V::Map(m), V::Str(k)) => Ok(V::Bool(m.contains_key(k))),
                _ => Err(Bail),
            },
            (F::StartsWith, 2) => Ok(V::Bool(text(0)?.starts_with(text(1)?))),
            (F::EndsWith, 2) => Ok(V::Bool(text(0)?.ends_with(text(1)?))),
            _ => Err(Bail),
        }
    }
}
