//! `resources.rhai`, natively.

use arbiter_engine::cost::{CallCost, Precision, estimate_call};
use arbiter_engine::host::Verdict;

use super::{NativeModel, Prepared, rhai_float, round_int, score_at, veto};

fn fmt(x: f64) -> String {
    if x >= 100.0 {
        round_int(x).to_string()
    } else {
        rhai_float((x * 10.0).round() / 10.0)
    }
}

/// "prefill 41 ms + 64 tokens × 9 ms", or the prefill alone when nothing is generated.
fn timing(c: &CallCost) -> String {
    if c.output_tokens == 0 {
        return format!("{} ms", fmt(c.latency_ms));
    }
    format!(
        "{} ms (prefill {} ms + {} tokens × {} ms)",
        fmt(c.latency_ms),
        fmt(c.prefill_ms),
        c.output_tokens,
        fmt(c.token_ms)
    )
}

pub(super) fn resources(p: &Prepared, m: &NativeModel) -> Verdict {
    let r = &p.task.resources;
    let (n, out, batch) = (r.sequence_length, p.output_tokens, r.batch_size);
    let device = r.deployment.as_str();
    let model = m.model;
    let at = format!("{n} tokens, batch {batch}");

    if let Some(limit) = r.max_parameters_m.filter(|&l| model.parameters_m > l) {
        return veto(format!(
            "{} M parameters, over the limit of {} M",
            fmt(model.parameters_m),
            fmt(limit)
        ));
    }
    let what = if out > 0 {
        format!("{n} input + {out} output tokens")
    } else {
        format!("{n} input tokens")
    };
    let total = u64::from(n) + u64::from(out);
    match &m.context {
        None if total > 512 => {
            return veto(format!(
                "{what}, and no source states its context: beyond 512 tokens (what BERT and T5 were trained on) it is unconfirmed"
            ));
        }
        Some((limit, basis)) if total > u64::from(*limit) => {
            return veto(format!("{what} exceed {basis}"));
        }
        _ => {}
    }

    let device_mb = p.device.memory_mb;
    let mem_limit = match r.max_memory_mb {
        Some(b) if b < device_mb => b,
        _ => device_mb,
    };
    let mut chosen = None;
    let mut last = None;
    for &precision in &p.precisions {
        let c = estimate_call(model, &p.device, precision, n, out, batch);
        last = Some(c);
        let fits_memory = c.memory_mb <= mem_limit;
        let fits_time = r.max_latency_ms.is_none_or(|b| c.latency_ms <= b);
        if fits_memory && fits_time {
            chosen = Some(c);
            break;
        }
    }
    let Some(c) = chosen else {
        // Vetoed: the reason quotes the least precise accepted precision, the best chance.
        let c = last.expect("a task accepts at least one precision");
        let even = if p.precisions.len() > 1 { "even " } else { "" };
        if let Some(budget) = r.max_memory_mb.filter(|&b| c.memory_mb > b) {
            return veto(format!(
                "needs about {} MB {even}at {} for {at}, over the {} MB budget",
                fmt(c.memory_mb),
                c.precision,
                fmt(budget)
            ));
        }
        if c.memory_mb > device_mb {
            return veto(format!(
                "needs about {} MB {even}at {} for {at}, more than a {device} device's {} MB",
                fmt(c.memory_mb),
                c.precision,
                fmt(device_mb)
            ));
        }
        let budget = r
            .max_latency_ms
            .expect("a model that fits in memory is vetoed only by a latency budget");
        return veto(format!(
            "takes about {} on {device} {even}at {} for {at}, over the {} ms budget",
            timing(&c),
            c.precision,
            fmt(budget)
        ));
    };

    let mem_room = 1.0 - c.memory_mb / mem_limit;
    // Latency: the share of the budget left; without a budget, 100 / (100 + ms).
    let ms = c.latency_ms;
    let ms_room = match r.max_latency_ms {
        Some(budget) => 1.0 - ms / budget,
        None => 100.0 / (100.0 + ms),
    };
    let room = (mem_room + ms_room) / 2.0;
    let penalty = match c.precision {
        Precision::Int4 => 0.1,
        Precision::Int8 => 0.05,
        _ => 0.0,
    };
    let fits = if c.precision == p.precisions[0] {
        format!("at {}", c.precision)
    } else {
        format!("fits at {}", c.precision)
    };
    let estimate = format!(
        "{fits}: about {} MB and {} on {device} for {at}",
        fmt(c.memory_mb),
        timing(&c)
    );
    let small = device == "mobile" || device == "edge";
    let s = if small { room } else { 0.8 + 0.2 * room };
    // Rhai's `max`: `if x >= y { x } else { y }`.
    let s = if s - penalty >= 0.0 { s - penalty } else { 0.0 };
    let why = if small {
        let light = if model.parameters_m < 70.0 {
            "a lightweight model"
        } else {
            "not a lightweight model"
        };
        format!(
            "{estimate}; {light}, {}% headroom on the device",
            round_int(room * 100.0)
        )
    } else {
        format!("{estimate}; {}% headroom", round_int(room * 100.0))
    };
    let why = if penalty > 0.0 {
        format!(
            "{why}; quantised to {}, a little accuracy lost",
            c.precision
        )
    } else {
        why
    };
    let why = match r.max_memory_mb {
        Some(budget) if budget > device_mb => format!(
            "{why} (the task's {} MB budget is more than a {device} device's {} MB: the device bounds it; set [devices.{device}] in bundle.toml to your hardware)",
            fmt(budget),
            fmt(device_mb)
        ),
        _ => why,
    };
    score_at(s, why, c.precision)
}
