//! Compiled calls against Rhai's ([`crate::compiled`]): the check that the compiled code
//! answers as Rhai does, used by the tests and the fuzz target.

use std::cell::Cell;

use crate::bundle::Bundle;
use crate::host::{self, TaskView};
use crate::script;
use crate::task::Task;

use crate::compiled::{OPS_FACTOR, Stop};

/// How the compiled calls of a bundle compared with Rhai's.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Calls compared (criteria that compiled × models × tasks).
    pub calls: usize,
    /// Calls the compiled code answered.
    pub answered: usize,
    /// Calls it handed to Rhai ([`crate::compiled::Bail`]).
    pub bailed: usize,
    /// Of those, how many per criterion.
    pub bailed_by: std::collections::BTreeMap<String, usize>,
    /// The most operations Rhai counted for one the compiled code counted, over the answered
    /// calls.
    pub max_ops_ratio: f64,
    /// Every disagreement: a verdict that differs, or more Rhai operations than
    /// [`OPS_FACTOR`] allows for.
    pub differences: Vec<String>,
    /// The criteria that did not compile, with why.
    pub not_compiled: Vec<String>,
}

thread_local! {
    static RHAI_OPS: Cell<u64> = const { Cell::new(0) };
}

/// Calls every compiled criterion of `bundle` on every model for every task, both compiled and
/// with Rhai (an engine built as the bundle's, counting operations), and compares.
pub fn compare(bundle: &Bundle, tasks: &[Task]) -> Comparison {
    let mut out = Comparison::default();
    let limits = &bundle.manifest.limits;
    let mut engine = host::build_engine(limits, bundle.devices.clone(), "compare".into());
    engine.on_progress(|ops| {
        RHAI_OPS.with(|c| c.set(ops));
        None
    });
    let views: Vec<TaskView> = tasks
        .iter()
        .map(|t| TaskView::new(t.clone().normalised()))
        .collect();
    for c in &bundle.criteria {
        let compiled = match &c.compiled {
            Ok(compiled) => compiled,
            Err(why) => {
                out.not_compiled.push(format!("{}: {}", c.name, why.0));
                continue;
            }
        };
        let Some(text) = bundle.files.0.get(&c.script) else {
            continue;
        };
        let Ok(ast) = script::compile(&engine, &String::from_utf8_lossy(text)) else {
            continue;
        };
        for (t, task) in views.iter().enumerate() {
            for model in bundle.models() {
                out.calls += 1;
                RHAI_OPS.with(|c| c.set(0));
                let rhai = script::call(&engine, &ast, limits, task, model);
                let rhai_ops = RHAI_OPS.with(Cell::get);
                let (fast, ops) = compiled.call_counted(task, model);
                let what = || {
                    format!(
                        "{} on {} for task {t} ({})",
                        c.name, model.0.model.id, tasks[t].name
                    )
                };
                match fast {
                    Ok(v) => {
                        out.answered += 1;
                        if rhai.as_ref() != Ok(&v) {
                            out.differences
                                .push(format!("{}: compiled {v:?}, Rhai {rhai:?}", what()));
                        }
                        #[allow(clippy::cast_precision_loss)] // small counts
                        let ratio = rhai_ops as f64 / ops.max(1) as f64;
                        out.max_ops_ratio = out.max_ops_ratio.max(ratio);
                        if rhai_ops > OPS_FACTOR * ops {
                            out.differences.push(format!(
                                "{}: Rhai counted {rhai_ops} operations, the compiled code {ops} (factor {OPS_FACTOR})",
                                what()
                            ));
                        }
                    }
                    Err(Stop::Bail) => {
                        out.bailed += 1;
                        *out.bailed_by.entry(c.name.clone()).or_default() += 1;
                    }
                    Err(Stop::Stopped(token)) => out.differences.push(format!(
                        "{}: stopped ({token}) outside any deadline",
                        what()
                    )),
                }
            }
        }
    }
    out
}
