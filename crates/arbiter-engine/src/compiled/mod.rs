//! Criterion scripts compiled for speed: a script's Rhai AST lowered once per bundle load into
//! a tree whose variables are slots, whose calls are resolved, and whose host functions and
//! properties are the host's own Rust functions ([`crate::host`]), run without Rhai's
//! per-call setup, name lookups and function-resolution hashing, on values of its own
//! ([`crate::value::Value`]: the call's task and model by reference, collections shared, no
//! boxing of custom types), reading variables and constants in place.
//!
//! **Rhai stays the reference.** Only a subset is lowered: `let`, assignment (`=`, `+=`, …) to
//! variables, `if`, `for` over arrays and integer ranges, `while` and `loop`, `break`,
//! `continue`, `return`, the script's own functions, the host API, Rhai's operators on unit,
//! booleans, integers, floats and strings, and the library functions in [`library`]. A script
//! using anything else is not compiled and runs on Rhai alone. And while it runs, whatever the
//! compiled code does not cover — an operand type it does not know, any error, a value over a
//! data limit, a call nesting near the limit, a count of operations near the budget — stops it
//! with [`Bail`], and the call is made again by Rhai, whose verdict or error is the answer.
//! Scripts cannot observe anything but their arguments (no clock, randomness or state:
//! [`crate::host`]), so running a call again is safe. Where the compiled code answers, it
//! answers as Rhai would: [`crate::differential`] compares them, `tests/compiled.rs` the two on every example, golden and
//! randomised task, and the fuzz target on arbitrary scripts.
//!
//! Limits hold as in Rhai: operations are counted at least as often as Rhai counts them (one
//! per statement, expression, call and loop iteration, times [`OPS_FACTOR`]; the tests check
//! the factor against Rhai's own count), so a call the compiled code finishes within the
//! budget is one Rhai finishes within it; the deadline and cancellation are checked every 256
//! operations through [`crate::host::progress`], as Rhai's `on_progress` does.

use std::sync::Arc;

use rhai::{AST, Expr as RExpr, FnCallExpr, ImmutableString, Stmt as RStmt, Token};

use crate::host::{self, Devices, ModelView, TaskView};
use crate::manifest::Limits;
use crate::verdict::Verdict;

mod library;
mod ops;
mod run;

pub use crate::value::{Bail, Value, ValueMap};

/// Rhai counts at most this many operations for each one the compiled code counts.
pub const OPS_FACTOR: u64 = 2;

/// A compiled criterion script.
#[derive(Debug)]
pub struct Compiled {
    functions: Vec<Function>,
    /// The index of `evaluate(task, model)`.
    evaluate: usize,
    limits: Limits,
    devices: Arc<Devices>,
}

#[derive(Debug)]
struct Function {
    params: usize,
    slots: usize,
    body: Vec<Stmt>,
}

#[derive(Debug)]
enum Stmt {
    /// `let x = e` or `x = e`: the slot gets the value.
    Set(usize, Expr),
    /// `x op= e`.
    Update(usize, Token, Expr),
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    /// `for x in e` (with a counter slot for `for (x, i) in e`); `e` may be a range.
    For(usize, Option<usize>, Expr, Vec<Stmt>),
    /// `while e` (`loop`: no condition).
    While(Option<Expr>, Vec<Stmt>),
    Break,
    Continue,
    Return(Option<Expr>),
    Expr(Expr),
    Block(Vec<Stmt>),
}

#[derive(Debug)]
enum Expr {
    Const(Value),
    /// `a..b` or `a..=b` (inclusive), only as what a `for` iterates.
    Range(bool, Box<Expr>, Box<Expr>),
    Local(usize),
    Interpolated(Vec<Expr>),
    Array(Vec<Expr>),
    Map(ValueMap, Vec<(ImmutableString, Expr)>),
    Property(Box<Expr>, Property),
    Index(Box<Expr>, Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Unary(Token, Box<Expr>),
    Binary(Token, Box<Expr>, Box<Expr>),
    Script(usize, Vec<Expr>),
    Library(library::Function, Vec<Expr>),
    /// `x.push(e)` on a variable.
    Push(usize, Box<Expr>),
    Block(Vec<Stmt>),
}

/// A property, resolved for each host type that has it.
#[derive(Debug)]
struct Property {
    name: ImmutableString,
    task: Option<fn(&TaskView) -> Value>,
    model: Option<fn(&ModelView) -> Value>,
    cost: Option<fn(&crate::cost::CallCost) -> Value>,
}

/// Why a script is not compiled (it runs on Rhai alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotCompiled(pub String);

impl Compiled {
    /// Lowers a checked criterion script, or says what it uses that is not covered.
    pub fn new(ast: &AST, limits: &Limits, devices: Arc<Devices>) -> Result<Compiled, NotCompiled> {
        let defs: Vec<_> = ast.iter_fn_def().collect();
        let signatures: Vec<(ImmutableString, usize)> = defs
            .iter()
            .map(|f| (f.name.clone(), f.params.len()))
            .collect();
        let bodies = bodies(ast, &defs)?;
        let mut functions = Vec::with_capacity(defs.len());
        for (f, body) in defs.iter().zip(&bodies) {
            let mut lower = Lower {
                signatures: &signatures,
                scope: f.params.iter().cloned().zip(0..).collect(),
                slots: f.params.len(),
            };
            let body = lower.block(body)?;
            if lower.slots > 900 {
                return Err(NotCompiled(
                    "more than 900 variables in one function".into(),
                ));
            }
            functions.push(Function {
                params: f.params.len(),
                slots: lower.slots,
                body,
            });
        }
        let evaluate = signatures
            .iter()
            .position(|(n, p)| n == "evaluate" && *p == 2)
            .ok_or_else(|| NotCompiled("no evaluate(task, model)".into()))?;
        Ok(Compiled {
            functions,
            evaluate,
            limits: limits.clone(),
            devices,
        })
    }

    /// Calls `evaluate(task, model)`: its verdict, or [`Bail`] (make the call with Rhai), or a
    /// fault when the call was cancelled or passed its deadline.
    pub fn call(&self, task: &TaskView, model: &ModelView) -> Result<Verdict, run::Stop> {
        run::call(self, task, model).0
    }

    /// [`Compiled::call`], with the number of operations it counted.
    pub fn call_counted(&self, task: &TaskView, model: &ModelView) -> (Result<Verdict, Stop>, u64) {
        run::call(self, task, model)
    }
}

pub use run::Stop;

/// Each function's body, in the order of `defs`. Rhai does not expose a function's statements
/// directly, so they are collected from a walk of the whole AST (the top-level statements of
/// each body, in order), each assigned to the function whose body spans its position.
fn bodies(
    ast: &AST,
    defs: &[&rhai::Shared<rhai::ScriptFuncDef>],
) -> Result<Vec<Vec<RStmt>>, NotCompiled> {
    fn at(p: rhai::Position) -> Option<(usize, usize)> {
        Some((p.line()?, p.position().unwrap_or(0)))
    }
    let spans: Vec<_> = defs
        .iter()
        .map(|f| Some((at(f.body.start_position())?, at(f.body.end_position())?)))
        .collect::<Option<_>>()
        .ok_or_else(|| NotCompiled("a function without a position".into()))?;
    let mut bodies = vec![Vec::new(); defs.len()];
    let mut lost = false;
    ast.walk(&mut |path: &[rhai::ASTNode]| {
        if let [rhai::ASTNode::Stmt(s)] = path {
            let owner = at(s.position()).and_then(|p| {
                spans
                    .iter()
                    .position(|(start, end)| *start <= p && p <= *end)
            });
            match owner {
                Some(i) => bodies[i].push((*s).clone()),
                None => lost = true,
            }
        }
        true
    });
    if lost {
        return unsupported("a statement outside every function");
    }
    Ok(bodies)
}

struct Lower<'a> {
    signatures: &'a [(ImmutableString, usize)],
    /// Names in scope, innermost last; a name's slot is its position when declared.
    scope: Vec<(ImmutableString, usize)>,
    slots: usize,
}

fn unsupported<T>(what: impl Into<String>) -> Result<T, NotCompiled> {
    Err(NotCompiled(what.into()))
}

impl Lower<'_> {
    fn declare(&mut self, name: ImmutableString) -> usize {
        let slot = self.slots;
        self.slots += 1;
        self.scope.push((name, slot));
        slot
    }

    fn lookup(&self, name: &str) -> Result<usize, NotCompiled> {
        self.scope
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, s)| *s)
            .ok_or_else(|| NotCompiled(format!("variable `{name}` not in scope")))
    }

    /// A block: its declarations end with it.
    fn block(&mut self, stmts: &[RStmt]) -> Result<Vec<Stmt>, NotCompiled> {
        let mark = self.scope.len();
        let out = stmts
            .iter()
            .filter(|s| !s.is_noop())
            .map(|s| self.stmt(s))
            .collect();
        self.scope.truncate(mark);
        out
    }

    fn stmt(&mut self, s: &RStmt) -> Result<Stmt, NotCompiled> {
        Ok(match s {
            RStmt::Var(x, flags, _) => {
                if flags.contains(rhai::ASTFlags::CONSTANT) {
                    return unsupported("const");
                }
                let (ident, value, _) = &**x;
                let value = self.expr(value)?;
                Stmt::Set(self.declare(ident.name.clone()), value)
            }
            RStmt::Assignment(x) => {
                let (op, target) = &**x;
                let RExpr::Variable(v, ..) = &target.lhs else {
                    return unsupported("assignment to something other than a variable");
                };
                let slot = self.lookup(&v.1)?;
                let value = self.expr(&target.rhs)?;
                match op.get_op_assignment_info() {
                    None => Stmt::Set(slot, value),
                    Some((.., op, _)) => Stmt::Update(slot, op.clone(), value),
                }
            }
            RStmt::If(x, _) => Stmt::If(
                self.expr(&x.expr)?,
                self.block(x.body.statements())?,
                self.block(x.branch.statements())?,
            ),
            RStmt::For(x, _) => {
                let (var, counter, flow) = &**x;
                let over = match &flow.expr {
                    RExpr::FnCall(call, _)
                        if matches!(
                            call.op_token,
                            Some(Token::ExclusiveRange | Token::InclusiveRange)
                        ) && call.args.len() == 2 =>
                    {
                        Expr::Range(
                            call.op_token == Some(Token::InclusiveRange),
                            Box::new(self.expr(&call.args[0])?),
                            Box::new(self.expr(&call.args[1])?),
                        )
                    }
                    e => self.expr(e)?,
                };
                let mark = self.scope.len();
                let var = self.declare(var.name.clone());
                let counter = counter.as_ref().map(|c| self.declare(c.name.clone()));
                let body = self.block(flow.body.statements())?;
                self.scope.truncate(mark);
                Stmt::For(var, counter, over, body)
            }
            RStmt::While(x, _) => {
                let condition = match &x.expr {
                    RExpr::Unit(_) => None,
                    e => Some(self.expr(e)?),
                };
                Stmt::While(condition, self.block(x.body.statements())?)
            }
            RStmt::BreakLoop(None, flags, _) => {
                if flags.contains(rhai::ASTFlags::BREAK) {
                    Stmt::Break
                } else {
                    Stmt::Continue
                }
            }
            RStmt::Return(value, flags, _) => {
                if flags.contains(rhai::ASTFlags::BREAK) {
                    return unsupported("throw");
                }
                Stmt::Return(value.as_ref().map(|e| self.expr(e)).transpose()?)
            }
            RStmt::Expr(e) => Stmt::Expr(self.expr(e)?),
            RStmt::FnCall(call, _) => Stmt::Expr(self.call(call)?),
            RStmt::Block(b) => Stmt::Block(self.block(b.statements())?),
            other => return unsupported(format!("statement {other:?}")),
        })
    }

    fn exprs(&mut self, es: &[RExpr]) -> Result<Vec<Expr>, NotCompiled> {
        es.iter().map(|e| self.expr(e)).collect()
    }

    fn expr(&mut self, e: &RExpr) -> Result<Expr, NotCompiled> {
        Ok(match e {
            RExpr::DynamicConstant(v, _) => Expr::Const(
                Value::from_dynamic(v)
                    .ok_or_else(|| NotCompiled(format!("a constant of type {}", v.type_name())))?,
            ),
            RExpr::BoolConstant(b, _) => Expr::Const(Value::Bool(*b)),
            RExpr::IntegerConstant(i, _) => Expr::Const(Value::Int(*i)),
            RExpr::FloatConstant(f, _) => Expr::Const(Value::Float(**f)),
            RExpr::StringConstant(s, _) => Expr::Const(Value::Str(s.clone())),
            RExpr::Unit(_) => Expr::Const(Value::Unit),
            RExpr::InterpolatedString(parts, _) => Expr::Interpolated(self.exprs(parts)?),
            RExpr::Array(items, _) => Expr::Array(self.exprs(items)?),
            RExpr::Map(x, _) => {
                let (fields, template) = &**x;
                let template = template
                    .iter()
                    .map(|(k, v)| {
                        Some((ImmutableString::from(k.as_str()), Value::from_dynamic(v)?))
                    })
                    .collect::<Option<ValueMap>>()
                    .ok_or_else(|| NotCompiled("a map template of another type".into()))?;
                let fields = fields
                    .iter()
                    .map(|(k, v)| Ok((k.name.clone(), self.expr(v)?)))
                    .collect::<Result<_, NotCompiled>>()?;
                Expr::Map(template, fields)
            }
            RExpr::Variable(v, ..) => Expr::Local(self.lookup(&v.1)?),
            RExpr::Stmt(block) => Expr::Block(self.block(block.statements())?),
            RExpr::FnCall(call, _) => self.call(call)?,
            RExpr::And(xs, _) => Expr::And(self.exprs(xs)?),
            RExpr::Or(xs, _) => Expr::Or(self.exprs(xs)?),
            RExpr::Dot(x, _, _) => {
                let target = self.expr(&x.lhs)?;
                self.chain(target, &x.lhs, &x.rhs)?
            }
            RExpr::Index(x, _, _) => {
                if matches!(x.rhs, RExpr::Dot(..) | RExpr::Index(..)) {
                    return unsupported("a chain after an index");
                }
                Expr::Index(Box::new(self.expr(&x.lhs)?), Box::new(self.expr(&x.rhs)?))
            }
            other => return unsupported(format!("expression {other:?}")),
        })
    }

    /// `target.rhs`, where `lhs` is what `target` was lowered from.
    fn chain(&mut self, target: Expr, lhs: &RExpr, rhs: &RExpr) -> Result<Expr, NotCompiled> {
        Ok(match rhs {
            RExpr::Property(p, _) => Expr::Property(Box::new(target), property(&p.2)),
            RExpr::MethodCall(call, _) => {
                if self.signatures.iter().any(|(n, _)| *n == call.name) {
                    return unsupported("a method call to a script function");
                }
                if call.name == "push" && call.args.len() == 1 {
                    let RExpr::Variable(v, ..) = lhs else {
                        return unsupported("push on something other than a variable");
                    };
                    return Ok(Expr::Push(
                        self.lookup(&v.1)?,
                        Box::new(self.expr(&call.args[0])?),
                    ));
                }
                let mut args = vec![target];
                args.extend(self.exprs(&call.args)?);
                self.library(&call.name, args)?
            }
            RExpr::Dot(x, _, _) => {
                let inner = self.chain(target, lhs, &x.lhs)?;
                self.chain(inner, &x.lhs, &x.rhs)?
            }
            RExpr::Index(x, _, _) => {
                if matches!(x.rhs, RExpr::Dot(..) | RExpr::Index(..)) {
                    return unsupported("a chain after an index");
                }
                let inner = self.chain(target, lhs, &x.lhs)?;
                Expr::Index(Box::new(inner), Box::new(self.expr(&x.rhs)?))
            }
            other => return unsupported(format!("a chain through {other:?}")),
        })
    }

    fn call(&mut self, call: &FnCallExpr) -> Result<Expr, NotCompiled> {
        if call.capture_parent_scope {
            return unsupported("a call capturing its scope");
        }
        if matches!(
            call.op_token,
            Some(Token::ExclusiveRange | Token::InclusiveRange)
        ) {
            return unsupported("a range other than what a `for` iterates");
        }
        let args = self.exprs(&call.args)?;
        if let Some(op) = &call.op_token {
            return Ok(match args.len() {
                1 => Expr::Unary(
                    op.clone(),
                    Box::new(
                        args.into_iter()
                            .next()
                            .ok_or_else(|| NotCompiled("no operand".into()))?,
                    ),
                ),
                2 => {
                    let mut it = args.into_iter();
                    let (Some(a), Some(b)) = (it.next(), it.next()) else {
                        return unsupported("operands");
                    };
                    Expr::Binary(op.clone(), Box::new(a), Box::new(b))
                }
                _ => return unsupported("an operator with more than two operands"),
            });
        }
        if let Some(f) = self
            .signatures
            .iter()
            .position(|(n, p)| *n == call.name && *p == args.len())
        {
            return Ok(Expr::Script(f, args));
        }
        self.library(&call.name, args)
    }

    fn library(&self, name: &str, args: Vec<Expr>) -> Result<Expr, NotCompiled> {
        if args.len() > 3 {
            return unsupported(format!("`{name}` with more than three arguments"));
        }
        match library::Function::named(name) {
            Some(f) => Ok(Expr::Library(f, args)),
            None => unsupported(format!("function `{name}`")),
        }
    }
}

fn property(name: &ImmutableString) -> Property {
    fn find<T>(table: &[host::Property<T>], name: &str) -> Option<fn(&T) -> Value> {
        table.iter().find(|p| p.name == name).map(|p| p.get)
    }
    Property {
        name: name.clone(),
        task: find(host::TASK_PROPERTIES, name),
        model: find(host::MODEL_PROPERTIES, name),
        cost: find(host::COST_PROPERTIES, name),
    }
}
