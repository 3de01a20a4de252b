//! Running a compiled script: a tree walk over slots, counting operations.

use std::sync::Arc;

use rhai::ImmutableString;

use super::{Bail, Compiled, Expr, Function, OPS_FACTOR, Property, Stmt, ops};
use crate::host::{ModelView, TaskView};
use crate::value::{Value, string_within};
use crate::verdict::Verdict;

/// Why a compiled call did not return a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Not covered: make the call with Rhai.
    Bail,
    /// Cancelled, or past its deadline: the token [`crate::host::progress`] returned.
    Stopped(ImmutableString),
}

impl From<Bail> for Stop {
    fn from(_: Bail) -> Stop {
        Stop::Bail
    }
}

/// How a statement ends other than by finishing.
enum Flow {
    Break,
    Continue,
    Return(Value),
    Stop(Stop),
}

impl From<Bail> for Flow {
    fn from(_: Bail) -> Flow {
        Flow::Stop(Stop::Bail)
    }
}

impl From<Stop> for Flow {
    fn from(s: Stop) -> Flow {
        Flow::Stop(s)
    }
}

struct Run<'a> {
    compiled: &'a Compiled,
    task: &'a TaskView,
    model: &'a ModelView,
    ops: u64,
    /// Past this many counted operations, Rhai might have stopped: bail.
    budget: u64,
    /// The count at which [`Run::checkpoint`] runs next: the next multiple of 256, or past
    /// the budget.
    next_check: u64,
    depth: usize,
    max_depth: usize,
    /// Emptied frames (slot vectors), reused from call to call on this thread.
    frames: Vec<Vec<Value>>,
}

thread_local! {
    static FRAMES: std::cell::Cell<Vec<Vec<Value>>> = const { std::cell::Cell::new(Vec::new()) };
}

pub(super) fn call(
    c: &Compiled,
    task: &TaskView,
    model: &ModelView,
) -> (Result<Verdict, Stop>, u64) {
    let mut run = Run {
        compiled: c,
        task,
        model,
        ops: 0,
        budget: c.limits.max_operations / OPS_FACTOR,
        next_check: 256.min(c.limits.max_operations / OPS_FACTOR + 1),
        depth: 0,
        // Rhai counts `evaluate` itself and fails past `max_call_levels`: stop short of it.
        max_depth: c.limits.max_call_levels.saturating_sub(2),
        frames: FRAMES.take(),
    };
    let mut args = run.frames.pop().unwrap_or_default();
    args.push(Value::Task);
    args.push(Value::Model);
    let verdict = match run.function(c.evaluate, args) {
        Ok(Value::Verdict(v)) => Ok(*v),
        Ok(_) => Err(Stop::Bail),
        Err(e) => Err(e),
    };
    // Frames left behind by a stopped call are dropped; a handful is enough to keep.
    run.frames.truncate(8);
    FRAMES.set(run.frames);
    (verdict, run.ops)
}

/// An operand readied by [`Run::prepare`].
fn leaf<'a>(e: &'a Expr, slots: &'a [Value], held: &'a Value) -> &'a Value {
    match e {
        Expr::Local(slot) => &slots[*slot],
        Expr::Const(v) => v,
        _ => held,
    }
}

impl Run<'_> {
    /// One operation.
    #[inline(always)]
    fn tick(&mut self) -> Result<(), Stop> {
        self.ops += 1;
        if self.ops >= self.next_check {
            return self.checkpoint();
        }
        Ok(())
    }

    /// Past the budget, bail; every 256 operations, the progress check.
    #[cold]
    #[inline(never)]
    fn checkpoint(&mut self) -> Result<(), Stop> {
        if self.ops > self.budget {
            return Err(Stop::Bail);
        }
        self.next_check = (self.ops + 256).min(self.budget + 1);
        if self.ops.is_multiple_of(256)
            && let Some(token) = crate::host::progress(self.ops)
        {
            return Err(Stop::Stopped(
                token.into_immutable_string().unwrap_or_default(),
            ));
        }
        Ok(())
    }

    fn function(&mut self, index: usize, mut slots: Vec<Value>) -> Result<Value, Stop> {
        let f: &Function = &self.compiled.functions[index];
        if slots.len() != f.params {
            return Err(Stop::Bail);
        }
        self.tick()?;
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(Stop::Bail);
        }
        slots.resize(f.slots, Value::Unit);
        let result = match self.block(&f.body, &mut slots) {
            Ok(v) | Err(Flow::Return(v)) => Ok(v),
            // `break` or `continue` outside a loop: Rhai's error.
            Err(Flow::Break | Flow::Continue) => Err(Stop::Bail),
            Err(Flow::Stop(s)) => Err(s),
        };
        self.recycle(slots);
        self.depth -= 1;
        result
    }

    /// Keeps a frame's allocation for the next call.
    fn recycle(&mut self, mut frame: Vec<Value>) {
        frame.clear();
        self.frames.push(frame);
    }

    /// A block's value is its last statement's.
    fn block(&mut self, stmts: &[Stmt], slots: &mut [Value]) -> Result<Value, Flow> {
        let Some((last, init)) = stmts.split_last() else {
            return Ok(Value::Unit);
        };
        for s in init {
            self.exec(s, slots)?;
        }
        self.stmt(last, slots)
    }

    /// A block whose value is not used.
    fn exec_block(&mut self, stmts: &[Stmt], slots: &mut [Value]) -> Result<(), Flow> {
        for s in stmts {
            self.exec(s, slots)?;
        }
        Ok(())
    }

    fn condition(&mut self, e: &Expr, slots: &mut [Value]) -> Result<bool, Flow> {
        match self.expr(e, slots)? {
            Value::Bool(b) => Ok(b),
            _ => Err(Bail.into()),
        }
    }

    /// A loop body: `Ok(true)` to go on, `Ok(false)` after `break`.
    fn body(&mut self, body: &[Stmt], slots: &mut [Value]) -> Result<bool, Flow> {
        match self.exec_block(body, slots) {
            Ok(_) | Err(Flow::Continue) => Ok(true),
            Err(Flow::Break) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// A statement whose value is needed: the last of a block whose value is.
    fn stmt(&mut self, s: &Stmt, slots: &mut [Value]) -> Result<Value, Flow> {
        match s {
            Stmt::If(c, then, otherwise) => {
                self.tick()?;
                if self.condition(c, slots)? {
                    self.block(then, slots)
                } else {
                    self.block(otherwise, slots)
                }
            }
            Stmt::Expr(e) => {
                self.tick()?;
                self.expr(e, slots)
            }
            Stmt::Block(b) => {
                self.tick()?;
                self.block(b, slots)
            }
            _ => {
                self.exec(s, slots)?;
                Ok(Value::Unit)
            }
        }
    }

    /// A statement whose value is not used.
    fn exec(&mut self, s: &Stmt, slots: &mut [Value]) -> Result<(), Flow> {
        self.tick()?;
        match s {
            Stmt::Set(slot, e) => {
                let v = self.expr(e, slots)?;
                slots[*slot] = v;
                Ok(())
            }
            Stmt::Update(slot, op, e) => {
                let v = self.expr(e, slots)?;
                let new = ops::assign(op, &slots[*slot], &v, &self.compiled.limits)?;
                slots[*slot] = new;
                Ok(())
            }
            Stmt::If(c, then, otherwise) => {
                if self.condition(c, slots)? {
                    self.exec_block(then, slots)
                } else {
                    self.exec_block(otherwise, slots)
                }
            }
            Stmt::For(var, counter, Expr::Range(inclusive, from, to), body) => {
                let (Value::Int(from), Value::Int(to)) =
                    (self.expr(from, slots)?, self.expr(to, slots)?)
                else {
                    return Err(Bail.into());
                };
                let mut i = 0_i64;
                let mut x = from;
                while x < to || (*inclusive && x == to) {
                    self.tick()?;
                    slots[*var] = Value::Int(x);
                    if let Some(c) = counter {
                        slots[*c] = Value::Int(i);
                    }
                    if !self.body(body, slots)? {
                        break;
                    }
                    let Some(next) = x.checked_add(1) else { break };
                    x = next;
                    i += 1;
                }
                Ok(())
            }
            Stmt::For(var, counter, over, body) => {
                // The array as it was when the loop began (Rhai iterates a copy).
                let Value::Array(items) = self.expr(over, slots)? else {
                    return Err(Bail.into());
                };
                for (i, item) in items.iter().enumerate() {
                    self.tick()?;
                    slots[*var] = item.clone();
                    if let Some(c) = counter {
                        slots[*c] = Value::Int(i64::try_from(i).map_err(|_| Bail)?);
                    }
                    if !self.body(body, slots)? {
                        break;
                    }
                }
                Ok(())
            }
            Stmt::While(c, body) => {
                loop {
                    self.tick()?;
                    if let Some(c) = c
                        && !self.condition(c, slots)?
                    {
                        break;
                    }
                    if !self.body(body, slots)? {
                        break;
                    }
                }
                Ok(())
            }
            Stmt::Break => Err(Flow::Break),
            Stmt::Continue => Err(Flow::Continue),
            Stmt::Return(e) => {
                let v = match e {
                    Some(e) => self.expr(e, slots)?,
                    None => Value::Unit,
                };
                Err(Flow::Return(v))
            }
            Stmt::Expr(e) => self.expr(e, slots).map(drop),
            Stmt::Block(b) => self.exec_block(b, slots),
        }
    }

    /// Readies an operand: a variable or a constant is read in place (no copy), anything
    /// else is evaluated into `held`; [`leaf`] then names it.
    fn prepare(&mut self, e: &Expr, slots: &mut [Value], held: &mut Value) -> Result<(), Flow> {
        if let Expr::Local(_) | Expr::Const(_) = e {
            self.tick()?;
        } else {
            *held = self.expr(e, slots)?;
        }
        Ok(())
    }

    fn expr(&mut self, e: &Expr, slots: &mut [Value]) -> Result<Value, Flow> {
        self.tick()?;
        let limits = &self.compiled.limits;
        Ok(match e {
            Expr::Const(v) => v.clone(),
            Expr::Local(slot) => slots[*slot].clone(),
            Expr::Range(..) => return Err(Bail.into()),
            Expr::Interpolated(parts) => self.interpolate(parts, slots)?,
            Expr::Array(_) | Expr::Map(..) | Expr::Push(..) => self.collection(e, slots)?,
            Expr::Property(target, p) => {
                let mut t = Value::Unit;
                self.prepare(target, slots, &mut t)?;
                let v = self.get(leaf(target, slots, &t), p)?;
                v.check_size(limits)?;
                v
            }
            Expr::Index(target, at) => {
                let (mut t, mut i) = (Value::Unit, Value::Unit);
                self.prepare(target, slots, &mut t)?;
                self.prepare(at, slots, &mut i)?;
                ops::index(leaf(target, slots, &t), leaf(at, slots, &i))?
            }
            Expr::And(xs) => {
                for x in xs {
                    if !self.condition(x, slots)? {
                        return Ok(Value::Bool(false));
                    }
                }
                Value::Bool(true)
            }
            Expr::Or(xs) => {
                for x in xs {
                    if self.condition(x, slots)? {
                        return Ok(Value::Bool(true));
                    }
                }
                Value::Bool(false)
            }
            Expr::Unary(op, x) => {
                let x = self.expr(x, slots)?;
                ops::unary(op, &x)?
            }
            Expr::Binary(op, a, b) => {
                let (mut x, mut y) = (Value::Unit, Value::Unit);
                self.prepare(a, slots, &mut x)?;
                self.prepare(b, slots, &mut y)?;
                ops::binary(op, leaf(a, slots, &x), leaf(b, slots, &y), limits)?
            }
            Expr::Script(f, args) => self.script(*f, args, slots)?,
            Expr::Library(f, args) => self.library(*f, args, slots)?,
            Expr::Block(stmts) => self.block(stmts, slots)?,
        })
    }

    /// Array and map literals, and `push`: out of line, to keep [`Run::expr`]'s frame small.
    #[inline(never)]
    fn collection(&mut self, e: &Expr, slots: &mut [Value]) -> Result<Value, Flow> {
        let limits = &self.compiled.limits;
        Ok(match e {
            Expr::Array(items) => {
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.expr(item, slots)?);
                }
                let v = Value::Array(Arc::new(values));
                v.check_size(limits)?;
                v
            }
            Expr::Map(template, fields) => {
                let mut map = template.clone();
                for (k, e) in fields {
                    let v = self.expr(e, slots)?;
                    map.insert(k.clone(), v);
                }
                let v = Value::Map(Arc::new(map));
                v.check_size(limits)?;
                v
            }
            Expr::Push(slot, item) => {
                let item = self.expr(item, slots)?;
                self.tick()?;
                let Value::Array(items) = &mut slots[*slot] else {
                    return Err(Bail.into());
                };
                Arc::make_mut(items).push(item);
                slots[*slot].check_size(limits)?;
                Value::Unit
            }
            _ => return Err(Bail.into()),
        })
    }

    /// A library or host function call. Variables are passed by reference; at most three
    /// arguments (`Lower::library`).
    #[inline(never)]
    fn library(
        &mut self,
        f: super::library::Function,
        args: &[Expr],
        slots: &mut [Value],
    ) -> Result<Value, Flow> {
        let mut held = [Value::Unit, Value::Unit, Value::Unit];
        for (a, h) in args.iter().zip(held.iter_mut()) {
            self.prepare(a, slots, h)?;
        }
        let refs: [&Value; 3] = std::array::from_fn(|i| match args.get(i) {
            Some(a) => leaf(a, slots, &held[i]),
            None => &held[i],
        });
        self.tick()?;
        let limits = &self.compiled.limits;
        let v = f.call(
            &refs[..args.len()],
            (self.task, self.model),
            &self.compiled.devices,
            limits,
        )?;
        v.check_size(limits)?;
        Ok(v)
    }

    /// `${…}`: each part as Rhai's `to_string` writes it.
    #[inline(never)]
    fn interpolate(&mut self, parts: &[Expr], slots: &mut [Value]) -> Result<Value, Flow> {
        let mut out = String::with_capacity(128);
        for p in parts {
            let mut held = Value::Unit;
            self.prepare(p, slots, &mut held)?;
            leaf(p, slots, &held).display(&mut out)?;
        }
        Ok(string_within(out, &self.compiled.limits)?)
    }

    /// A call of one of the script's functions.
    #[inline(never)]
    fn script(&mut self, f: usize, args: &[Expr], slots: &mut [Value]) -> Result<Value, Flow> {
        let mut frame = self.frames.pop().unwrap_or_default();
        for a in args {
            match self.expr(a, slots) {
                Ok(v) => frame.push(v),
                Err(e) => {
                    self.recycle(frame);
                    return Err(e);
                }
            }
        }
        let v = self.function(f, frame)?;
        v.check_size(&self.compiled.limits)?;
        Ok(v)
    }

    /// A property of the task, the model, a priced call or a map.
    fn get(&self, target: &Value, p: &Property) -> Result<Value, Bail> {
        match target {
            Value::Task => p.task.map(|get| get(self.task)).ok_or(Bail),
            Value::Model => p.model.map(|get| get(self.model)).ok_or(Bail),
            Value::Cost(c) => p.cost.map(|get| get(c)).ok_or(Bail),
            Value::Map(m) => m.get(&p.name).cloned().ok_or(Bail),
            _ => Err(Bail),
        }
    }
}
