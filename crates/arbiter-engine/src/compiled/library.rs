//! The functions compiled scripts call directly: the host API (the same Rust functions the Rhai
//! engine registers, [`crate::host`]) and the part of Rhai's standard library the default
//! policies use, each ported from Rhai 1.27 for the argument types listed, [`Bail`] for any
//! other.

use rhai::{Array, Dynamic, ImmutableString};

use super::Bail;
use super::ops::{Kind, check_size, kind, str_of};
use crate::cost::{CallCost, Precision};
use crate::host::{self, Devices, ModelView, TaskView, Verdict};

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

    /// Calls the function on evaluated arguments.
    pub(super) fn call(
        self,
        args: &[&Dynamic],
        devices: &Devices,
        limits: &crate::manifest::Limits,
    ) -> Result<Dynamic, Bail> {
        use Function as F;
        use Kind as K;
        let text = |i: usize| args.get(i).and_then(|v| str_of(v)).ok_or(Bail);
        let model = || {
            args.first()
                .and_then(|m| m.read_lock::<ModelView>().map(|m| m.clone()))
                .ok_or(Bail)
        };
        let float = |v: f64| Ok(Dynamic::from_float(v));
        let one_float = |f: fn(f64) -> f64| match args {
            [x] => match kind(x) {
                K::Float(x) => float(f(x)),
                _ => Err(Bail),
            },
            _ => Err(Bail),
        };
        let verdict = |v: Verdict| Ok(Dynamic::from(v));
        match self {
            F::Score => {
                let value = match (args.len(), args.first().map(|v| kind(v))) {
                    (2, Some(K::Float(x))) => x,
                    #[allow(clippy::cast_precision_loss)] // as the host: `x as f64`
                    (2, Some(K::Int(x))) => x as f64,
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
            F::Veto | F::Abstain if args.len() == 1 => {
                let reason = text(0)?.to_string();
                verdict(if self == F::Veto {
                    Verdict::Veto { reason }
                } else {
                    Verdict::Abstain { reason }
                })
            }
            F::WithPrecision if args.len() == 2 => {
                let v = args[0].read_lock::<Verdict>().ok_or(Bail)?.clone();
                let p = Precision::parse(&text(1)?).ok_or(Bail)?;
                match v {
                    Verdict::Score { value, reason, .. } => verdict(Verdict::Score {
                        value,
                        reason,
                        precision: Some(p),
                    }),
                    _ => Err(Bail),
                }
            }
            F::Covers if args.len() == 2 => Ok(host::covers(&model()?, &text(1)?).into()),
            F::Translates if args.len() == 3 => {
                Ok(model()?.0.model.translates(&text(1)?, &text(2)?).into())
            }
            F::Suits if args.len() == 2 => Ok(host::suits(&model()?, &text(1)?).into()),
            F::HasObjective if args.len() == 2 => {
                Ok(host::has_objective(&model()?, &text(1)?).into())
            }
            F::Benchmark if args.len() == 2 => Ok(host::benchmark(&model()?, &text(1)?)),
            F::BenchmarkNormalised if args.len() == 2 => {
                Ok(host::benchmark_normalised(&model()?, &text(1)?))
            }
            F::Estimate if args.len() == 3 => {
                let task = args[0].read_lock::<TaskView>().ok_or(Bail)?.clone();
                let model = args[1].read_lock::<ModelView>().ok_or(Bail)?.clone();
                let p = Precision::parse(&text(2)?).ok_or(Bail)?;
                let cost: CallCost = host::estimate(devices, &task, &model, p).map_err(|_| Bail)?;
                Ok(Dynamic::from(cost))
            }
            F::DeviceMemoryMb if args.len() == 1 => {
                float(host::device(devices, &text(0)?).ok_or(Bail)?.memory_mb)
            }
            F::Round => one_float(f64::round),
            F::Floor => one_float(f64::floor),
            F::Ceiling => one_float(f64::ceil),
            F::Sqrt => one_float(f64::sqrt),
            F::Ln => one_float(f64::ln),
            F::Log => one_float(f64::log10),
            F::Exp => one_float(f64::exp),
            F::Abs => match args {
                [x] => match kind(x) {
                    K::Float(x) => float(x.abs()),
                    K::Int(i) => i.checked_abs().map(Dynamic::from_int).ok_or(Bail),
                    _ => Err(Bail),
                },
                _ => Err(Bail),
            },
            F::ToInt => match args {
                [x] => match kind(x) {
                    K::Int(i) => Ok(Dynamic::from_int(i)),
                    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
                    K::Float(x) => {
                        // As Rhai's checked `to_int`: out of range fails, else truncates.
                        if x > i64::MAX as f64 || x < i64::MIN as f64 {
                            Err(Bail)
                        } else {
                            Ok(Dynamic::from_int(x.trunc() as i64))
                        }
                    }
                    _ => Err(Bail),
                },
                _ => Err(Bail),
            },
            F::ToFloat => match args {
                [x] => match kind(x) {
                    K::Float(x) => float(x),
                    #[allow(clippy::cast_precision_loss)]
                    K::Int(i) => float(i as f64),
                    _ => Err(Bail),
                },
                _ => Err(Bail),
            },
            F::Max | F::Min => {
                let [x, y] = args else { return Err(Bail) };
                let pick = |x: f64, y: f64| {
                    if self == F::Max {
                        if x >= y { x } else { y }
                    } else if x <= y {
                        x
                    } else {
                        y
                    }
                };
                #[allow(clippy::cast_precision_loss)]
                match (kind(x), kind(y)) {
                    (K::Int(a), K::Int(b)) => Ok(Dynamic::from_int(if self == F::Max {
                        if a >= b { a } else { b }
                    } else if a <= b {
                        a
                    } else {
                        b
                    })),
                    (K::Float(a), K::Float(b)) => float(pick(a, b)),
                    (K::Int(a), K::Float(b)) => float(pick(a as f64, b)),
                    (K::Float(a), K::Int(b)) => float(pick(a, b as f64)),
                    _ => Err(Bail),
                }
            }
            F::Len | F::IsEmpty => {
                let [x] = args else { return Err(Bail) };
                let len = match kind(x) {
                    K::Str(s) => {
                        if self == F::IsEmpty {
                            return Ok(s.is_empty().into());
                        }
                        s.chars().count()
                    }
                    K::Array => x.as_array_ref().map_err(|_| Bail)?.len(),
                    K::Map => x.as_map_ref().map_err(|_| Bail)?.len(),
                    _ => return Err(Bail),
                };
                if self == F::IsEmpty {
                    Ok((len == 0).into())
                } else {
                    Ok(Dynamic::from_int(i64::try_from(len).unwrap_or(i64::MAX)))
                }
            }
            F::Keys => {
                let [x] = args else { return Err(Bail) };
                let map = x.as_map_ref().map_err(|_| Bail)?;
                let keys: Array = map
                    .keys()
                    .map(|k| Dynamic::from(ImmutableString::from(k.as_str())))
                    .collect();
                let keys = Dynamic::from_array(keys);
                check_size(&keys, limits)?;
                Ok(keys)
            }
            F::Contains => {
                let [container, item] = args else {
                    return Err(Bail);
                };
                match kind(container) {
                    // Items compared with `==`: only strings against strings are ported.
                    K::Array => {
                        let needle = str_of(item).ok_or(Bail)?;
                        let array = container.as_array_ref().map_err(|_| Bail)?;
                        let mut found = false;
                        for x in array.iter() {
                            match kind(x) {
                                K::Str(s) => found |= s == needle,
                                K::Unit | K::Bool(_) | K::Int(_) | K::Float(_) => {}
                                _ => return Err(Bail),
                            }
                        }
                        Ok(found.into())
                    }
                    K::Str(s) => Ok(s.contains(text(1)?.as_str()).into()),
                    K::Map => Ok(container
                        .as_map_ref()
                        .map_err(|_| Bail)?
                        .contains_key(text(1)?.as_str())
                        .into()),
                    _ => Err(Bail),
                }
            }
            F::StartsWith | F::EndsWith if args.len() == 2 => {
                let (s, t) = (text(0)?, text(1)?);
                Ok(if self == F::StartsWith {
                    s.starts_with(t.as_str())
                } else {
                    s.ends_with(t.as_str())
                }
                .into())
            }
            _ => Err(Bail),
        }
    }
}
