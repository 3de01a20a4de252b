//! Criterion scripts: compiling one and checking its contract (`fn evaluate(task, model)`,
//! nothing at top level), calling it within the limits and deadline, and turning a Rhai error
//! into a [`ScriptFault`] that names what went wrong and where.

use std::time::Duration;

use rhai::{AST, Engine};

use crate::compiled::{Compiled, Stop};
use crate::host::{self, ModelView, TaskView, Verdict};
use crate::manifest::Limits;
use crate::span::Span;

/// Runs a compiled criterion's `evaluate(task, model)` within `limits` (operations in the
/// engine, CPU time of this thread here) and checks that it returned a verdict.
pub fn call(
    engine: &Engine,
    ast: &AST,
    limits: &Limits,
    task: &TaskView,
    model: &ModelView,
) -> Result<Verdict, ScriptFault> {
    let timeout = Duration::from_millis(limits.timeout_ms);
    host::with_deadline(timeout, || call_rhai(engine, ast, limits, task, model))
}

/// [`call`], made by the compiled script where it can answer as Rhai would, else by Rhai; both
/// within one deadline.
pub fn call_compiled(
    compiled: &Compiled,
    engine: &Engine,
    ast: &AST,
    limits: &Limits,
    task: &TaskView,
    model: &ModelView,
) -> Result<Verdict, ScriptFault> {
    let timeout = Duration::from_millis(limits.timeout_ms);
    host::with_deadline(timeout, || match compiled.call(task, model) {
        Ok(verdict) => Ok(verdict),
        Err(Stop::Stopped(token)) => Err(ScriptFault::from_eval(
            &rhai::EvalAltResult::ErrorTerminated(token.into(), rhai::Position::NONE),
            limits,
        )),
        Err(Stop::Bail) => call_rhai(engine, ast, limits, task, model),
    })
}

/// The call on Rhai's interpreter, under the deadline already set.
fn call_rhai(
    engine: &Engine,
    ast: &AST,
    limits: &Limits,
    task: &TaskView,
    model: &ModelView,
) -> Result<Verdict, ScriptFault> {
    let mut scope = rhai::Scope::new();
    let options = rhai::CallFnOptions::new()
        .eval_ast(false)
        .rewind_scope(false);
    let result = engine.call_fn_with_options::<rhai::Dynamic>(
        options,
        &mut scope,
        ast,
        "evaluate",
        (task.clone(), model.clone()),
    );
    match result {
        Ok(value) => {
            let type_name = value.type_name();
            value.try_cast::<Verdict>().ok_or_else(|| ScriptFault {
                message: format!(
                    "`evaluate` returned {} instead of a verdict: end it with score(x, reason), veto(reason) or abstain(reason)",
                    friendly_type(type_name)
                ),
                span: Span::START,
            })
        }
        Err(e) => Err(ScriptFault::from_eval(&e, limits)),
    }
}

/// A Rust type name as a script author knows it.
pub fn friendly_type(rust_name: &str) -> String {
    match rust_name {
        "()" => "nothing (`()`)".into(),
        n if n.contains("ImmutableString") || n == "string" => "a string".into(),
        n if n.contains("f64") || n == "f64" => "a number".into(),
        "i64" => "an integer".into(),
        "bool" => "a boolean".into(),
        n if n.contains("Array") || n.contains("Vec<") => "an array".into(),
        n if n.contains("Map") => "a map".into(),
        n => format!("`{n}`"),
    }
}

/// Compiles a script and checks the contract: `fn evaluate(task, model)`, nothing at top level.
pub fn compile(engine: &Engine, text: &str) -> Result<AST, ScriptFault> {
    let script_error = |line: usize, column: usize, message: String| ScriptFault {
        message,
        span: Span::point(line, column),
    };
    let ast = engine.compile(text).map_err(|e| {
        let p = e.position();
        script_error(
            p.line().unwrap_or(1),
            p.position().unwrap_or(1),
            crate::diagnostic::lowercase_first(&e.err_type().to_string()),
        )
    })?;
    if let Some(stmt) = ast.statements().first() {
        let p = stmt.position();
        return Err(script_error(
            p.line().unwrap_or(1),
            p.position().unwrap_or(1),
            "top-level statements are not allowed: a criterion script only defines functions (move this into `evaluate` or a helper function)".into(),
        ));
    }
    let evaluate: Vec<_> = ast
        .iter_functions()
        .filter(|f| f.name == "evaluate")
        .collect();
    let (line, column) = find_fn(text, "evaluate").unwrap_or((1, 1));
    match evaluate.as_slice() {
        [] => Err(script_error(
            1,
            1,
            "no `fn evaluate(task, model)`: every criterion script must define it".into(),
        )),
        [f] if f.params.len() == 2 => Ok(ast),
        fs => {
            let arities: Vec<String> = fs.iter().map(|f| f.params.len().to_string()).collect();
            Err(script_error(
                line,
                column,
                format!(
                    "`evaluate` must take exactly 2 parameters (task, model); found it with {}",
                    arities.join(" and ")
                ),
            ))
        }
    }
}

/// Line and column of `fn <name>` in a script, for messages.
fn find_fn(text: &str, name: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let col = l.find(&format!("fn {name}"))?;
        Some((i + 1, col + 1))
    })
}

/// A run-time failure of one criterion call.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptFault {
    /// What went wrong, in lower case.
    pub message: String,
    /// Where in the script.
    pub span: Span,
}

impl ScriptFault {
    /// The fault a Rhai error stands for: the innermost error, named against the limits.
    pub fn from_eval(e: &rhai::EvalAltResult, limits: &Limits) -> ScriptFault {
        use rhai::EvalAltResult as E;
        // The innermost error says what went wrong, and where.
        let mut e = e;
        while let E::ErrorInFunctionCall(_, _, inner, _) = e {
            e = inner;
        }
        let message = match e {
            E::ErrorTooManyOperations(_) => {
                format!(
                    "stopped after {} operations (limits.max_operations)",
                    limits.max_operations
                )
            }
            E::ErrorTerminated(token, _) if host::is_cancelled(token) => {
                "stopped: the decision was cancelled (it passed its deadline)".to_string()
            }
            E::ErrorTerminated(token, _) if host::is_deadline(token) => {
                format!("stopped after {} ms (limits.timeout_ms)", limits.timeout_ms)
            }
            E::ErrorStackOverflow(_) => {
                format!(
                    "calls nested deeper than {} levels (limits.max_call_levels)",
                    limits.max_call_levels
                )
            }
            E::ErrorDataTooLarge(what, _) => format!(
                "{} grew past its limit (limits.max_string_size {}, max_array_size {}, max_map_size {})",
                what.to_lowercase(),
                limits.max_string_size,
                limits.max_array_size,
                limits.max_map_size
            ),
            E::ErrorRuntime(msg, _) => msg.to_string(),
            E::ErrorDataRace(..) => "a closure called itself through the variable that holds it \
                 (a shared variable is locked while its closure runs): use a named function \
                 for recursion"
                .to_string(),
            other => {
                let mut s = other.to_string();
                if let Some(i) = s.rfind(" (line ") {
                    s.truncate(i);
                }
                crate::diagnostic::lowercase_first(&s)
            }
        };
        let p = e.position();
        ScriptFault {
            message,
            span: Span::point(p.line().unwrap_or(1), p.position().unwrap_or(1)),
        }
    }
}
