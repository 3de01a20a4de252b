//! Running a compiled script: a tree walk over slots, counting operations.

use rhai::{Dynamic, ImmutableString};

use super::ops::{self, check_size};
use super::{Bail, Compiled, Expr, Function, OPS_FACTOR, Property, Stmt};
use crate::cost::CallCost;
use crate::host::{ModelView, TaskView, Verdict};

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
    Return(Dynamic),
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
    ops: u64,
    /// Past this many counted operations, Rhai might have stopped: bail.
    budget: u64,
    depth: usize,
    max_depth: usize,
    /// Emptied frames (slot vectors), reused from call to call on this thread.
    frames: Vec<Vec<Dynamic>>,
}

thread_local! {
    static FRAMES: std::cell::Cell<Vec<Vec<Dynamic>>> = const { std::cell::Cell::new(Vec::new()) };
}

pub(super) fn call(
    c: &Compiled,
    task: &TaskView,
    model: &ModelView,
) -> (Result<Verdict, Stop>, u64) {
    let mut run = Run {
        compiled: c,
        ops: 0,
        budget: c.limits.max_operations / OPS_FACTOR,
        depth: 0,
        // Rhai counts `evaluate` itself and fails past `max_call_levels`: stop short of it.
        max_depth: c.limits.max_call_levels.saturating_sub(2),
        frames: FRAMES.take(),
    };
    let mut args = run.frames.pop().unwrap_or_default();
    args.push(Dynamic::from(task.clone()));
    args.push(Dynamic::from(model.clone()));
    let verdict = run
        .function(c.evaluate, args)
        .and_then(|v| v.try_cast::<Verdict>().ok_or(Stop::Bail));
    // Frames left behind by a stopped call are dropped; a handful is enough to keep.
    run.frames.truncate(8);
    FRAMES.set(run.frames);
    (verdict, run.ops)
}

impl Run<'_> {
    /// One operation: within the budget, and the progress check every 256.
    fn tick(&mut self) -> Result<(), Stop> {
        self.ops += 1;
        if self.ops > self.budget {
            return Err(Stop::Bail);
        }
        if self.ops.is_multiple_of(256)
            && let Some(token) = crate::host::progress(self.ops)
        {
            return Err(Stop::Stopped(
                token.into_immutable_string().unwrap_or_default(),
            ));
        }
        Ok(())
    }

    fn function(&mut self, index: usize, args: Vec<Dynamic>) -> Result<Dynamic, Stop> {
        let f: &Function = &self.compiled.functions[index];
        if args.len() != f.params {
            return Err(Stop::Bail);
        }
        self.tick()?;
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(Stop::Bail);
        }
        let mut slots = args;
        slots.resize(f.slots, Dynamic::UNIT);
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
    fn recycle(&mut self, mut frame: Vec<Dynamic>) {
        frame.clear();
        self.frames.push(frame);
    }

    /// A block's value is its last statement's.
    fn block(&mut self, stmts: &[Stmt], slots: &mut [Dynamic]) -> Result<Dynamic, Flow> {
        let mut last = Dynamic::UNIT;
        for s in stmts {
            last = self.stmt(s, slots)?;
        }
        Ok(last)
    }

    fn condition(&mut self, e: &Expr, slots: &mut [Dynamic]) -> Result<bool, Flow> {
        Ok(self.expr(e, slots)?.as_bool().map_err(|_| Bail)?)
    }

    fn stmt(&mut self, s: &Stmt, slots: &mut [Dynamic]) -> Result<Dynamic, Flow> {
        self.tick()?;
        match s {
            Stmt::Set(slot, e) => {
                let v = self.expr(e, slots)?;
                slots[*slot] = v;
                Ok(Dynamic::UNIT)
            }
            Stmt::Update(slot, op, e) => {
                let v = self.expr(e, slots)?;
                let new = ops::assign(op, &slots[*slot], &v, &self.compiled.limits)?;
                slots[*slot] = new;
                Ok(Dynamic::UNIT)
            }
            Stmt::If(c, then, otherwise) => {
                if self.condition(c, slots)? {
                    self.block(then, slots)
                } else {
                    self.block(otherwise, slots)
                }
            }
            Stmt::For(var, counter, over, body) => {
                let over = self.expr(over, slots)?;
                let items: Box<dyn Iterator<Item = Dynamic>> =
                    if let Ok(array) = over.as_array_ref() {
                        Box::new(array.clone().into_iter())
                    } else if let Some(r) = over.read_lock::<std::ops::Range<i64>>() {
                        Box::new(r.clone().map(Dynamic::from_int))
                    } else if let Some(r) = over.read_lock::<std::ops::RangeInclusive<i64>>() {
                        Box::new(r.clone().map(Dynamic::from_int))
                    } else {
                        return Err(Bail.into());
                    };
                for (i, item) in items.enumerate() {
                    self.tick()?;
                    slots[*var] = item;
                    if let Some(c) = counter {
                        slots[*c] = Dynamic::from_int(i64::try_from(i).map_err(|_| Bail)?);
                    }
                    match self.block(body, slots) {
                        Ok(_) | Err(Flow::Continue) => {}
                        Err(Flow::Break) => break,
                        Err(other) => return Err(other),
                    }
                }
                Ok(Dynamic::UNIT)
            }
            Stmt::While(c, body) => {
                loop {
                    self.tick()?;
                    if let Some(c) = c
                        && !self.condition(c, slots)?
                    {
                        break;
                    }
                    match self.block(body, slots) {
                        Ok(_) | Err(Flow::Continue) => {}
                        Err(Flow::Break) => break,
                        Err(other) => return Err(other),
                    }
                }
                Ok(Dynamic::UNIT)
            }
            Stmt::Break => Err(Flow::Break),
            Stmt::Continue => Err(Flow::Continue),
            Stmt::Return(e) => {
                let v = match e {
                    Some(e) => self.expr(e, slots)?,
                    None => Dynamic::UNIT,
                };
                Err(Flow::Return(v))
            }
            Stmt::Expr(e) => self.expr(e, slots),
            Stmt::Block(b) => self.block(b, slots),
        }
    }

    fn exprs(&mut self, es: &[Expr], slots: &mut [Dynamic]) -> Result<Vec<Dynamic>, Flow> {
        es.iter().map(|e| self.expr(e, slots)).collect()
    }

    fn expr(&mut self, e: &Expr, slots: &mut [Dynamic]) -> Result<Dynamic, Flow> {
        self.tick()?;
        let limits = &self.compiled.limits;
        Ok(match e {
            Expr::Const(v) => v.clone(),
            Expr::Local(slot) => slots[*slot].clone(),
            Expr::Interpolated(parts) => {
                let mut out = String::with_capacity(64);
                for p in parts {
                    let v = self.expr(p, slots)?;
                    ops::display(&v, &mut out)?;
                }
                ops::string_within(out, limits)?
            }
            Expr::Array(items) => {
                let v = Dynamic::from_array(self.exprs(items, slots)?);
                check_size(&v, limits)?;
                v
            }
            Expr::Map(template, fields) => {
                let mut map = template.clone();
                for (k, e) in fields {
                    let v = self.expr(e, slots)?;
                    map.insert(k.as_str().into(), v);
                }
                let v = Dynamic::from_map(map);
                check_size(&v, limits)?;
                v
            }
            Expr::Property(target, p) => {
                let v = if let Expr::Local(slot) = **target {
                    self.tick()?;
                    get(&slots[slot], p)?
                } else {
                    let target = self.expr(target, slots)?;
                    get(&target, p)?
                };
                check_size(&v, limits)?;
                v
            }
            Expr::Index(target, at) => {
                let target = self.expr(target, slots)?;
                let at = self.expr(at, slots)?;
                ops::index(&target, &at)?
            }
            Expr::And(xs) => {
                for x in xs {
                    if !self.condition(x, slots)? {
                        return Ok(Dynamic::FALSE);
                    }
                }
                Dynamic::TRUE
            }
            Expr::Or(xs) => {
                for x in xs {
                    if self.condition(x, slots)? {
                        return Ok(Dynamic::TRUE);
                    }
                }
                Dynamic::FALSE
            }
            Expr::Unary(op, x) => {
                let x = self.expr(x, slots)?;
                ops::unary(op, &x)?
            }
            Expr::Binary(op, a, b) => {
                let a = self.expr(a, slots)?;
                let b = self.expr(b, slots)?;
                ops::binary(op, &a, &b, limits)?
            }
            Expr::Script(f, args) => {
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
                let v = self.function(*f, frame)?;
                check_size(&v, limits)?;
                v
            }
            Expr::Library(f, args) => {
                // Variables are passed by reference (a task or model in a `Dynamic` is boxed:
                // a clone would allocate); at most three arguments (`Lower::library`).
                let mut values = [Dynamic::UNIT, Dynamic::UNIT, Dynamic::UNIT];
                for (a, v) in args.iter().zip(values.iter_mut()) {
                    if let Expr::Local(_) = a {
                        self.tick()?;
                    } else {
                        *v = self.expr(a, slots)?;
                    }
                }
                let refs: [&Dynamic; 3] = std::array::from_fn(|i| match args.get(i) {
                    Some(Expr::Local(slot)) => &slots[*slot],
                    _ => &values[i],
                });
                self.tick()?;
                let v = f.call(&refs[..args.len()], &self.compiled.devices, limits)?;
                check_size(&v, limits)?;
                v
            }
            Expr::Push(slot, item) => {
                let item = self.expr(item, slots)?;
                self.tick()?;
                let mut array = slots[*slot].as_array_mut().map_err(|_| Bail)?;
                array.push(item);
                drop(array);
                check_size(&slots[*slot], limits)?;
                Dynamic::UNIT
            }
            Expr::Block(stmts) => self.block(stmts, slots)?,
        })
    }
}

/// A property of a task, model, priced call or map.
fn get(target: &Dynamic, p: &Property) -> Result<Dynamic, Bail> {
    if let Some(t) = target.read_lock::<TaskView>() {
        return p.task.map(|get| get(&t)).ok_or(Bail);
    }
    if let Some(m) = target.read_lock::<ModelView>() {
        return p.model.map(|get| get(&m)).ok_or(Bail);
    }
    if let Some(c) = target.read_lock::<CallCost>() {
        return p.cost.map(|get| get(&c)).ok_or(Bail);
    }
    if let Ok(map) = target.as_map_ref() {
        return map.get(p.name.as_str()).cloned().ok_or(Bail);
    }
    Err(Bail)
}
