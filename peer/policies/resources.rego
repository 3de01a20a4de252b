# Criterion: resource constraints — `crates/arbiter-engine/benches/policies/criteria/
# resources.rhai` in Rego.
#
# A model is vetoed when it cannot serve the task within its limits: more parameters than the
# task allows, a context too short for input plus output, or, at every precision the task
# accepts, more memory than the budget or the device holds or a whole call over the latency
# budget. Each model is judged at the most precise accepted precision that fits, and headroom
# scores: on mobile and edge devices the headroom itself, elsewhere 0.8 + 0.2 × headroom; 0.05
# less at int8, 0.1 less at int4.
#
# The cost model is the engine's, not rewritten here: `arbiter.estimate(task, model, precision)`
# and `arbiter.device_memory_mb(deployment)` are regorus extensions calling
# `arbiter_engine::cost::estimate_call` and the bundle's device profiles, as the host functions
# `estimate` and `device_memory_mb` do for the scripts.
package arbiter.criteria.resources

# Each model's verdict, in catalog order.
verdicts := [verdict(m) | some m in data.catalog.models]

n := input.sequence_length

out := input.output_tokens

at := sprintf("%d tokens, batch %d", [n, input.batch_size])

what := sprintf("%d input + %d output tokens", [n, out]) if out > 0
else := sprintf("%d input tokens", [n])

device := input.deployment

device_mb := arbiter.device_memory_mb(device)

mem_limit := input.max_memory_mb if {
	input.max_memory_mb != null
	input.max_memory_mb < device_mb
} else := device_mb

small_device if device in {"mobile", "edge"}

even := "even " if count(input.precisions) > 1
else := ""

fmt(x) := sprintf("%v", [round(x)]) if x >= 100
else := sprintf("%v", [round(x * 10) / 10])

# "prefill 41 ms + 64 tokens × 9 ms", or the prefill alone when nothing is generated.
timing(c) := sprintf("%s ms", [fmt(c.latency_ms)]) if c.output_tokens == 0
else := sprintf("%s ms (prefill %s ms + %d tokens × %s ms)", [fmt(c.latency_ms), fmt(c.prefill_ms), c.output_tokens, fmt(c.token_ms)])

verdict(m) := {"veto": sprintf("%s M parameters, over the limit of %s M", [fmt(m.parameters_m), fmt(input.max_parameters_m)])} if {
	input.max_parameters_m != null
	m.parameters_m > input.max_parameters_m
} else := {"veto": sprintf("%s, and no source states its context: beyond 512 tokens (what BERT and T5 were trained on) it is unconfirmed", [what])} if {
	m.context_limit == null
	n + out > 512
} else := {"veto": sprintf("%s exceed %s", [what, m.context_basis])} if {
	m.context_limit != null
	n + out > m.context_limit
} else := priced(m, [arbiter.estimate(input, m, p) | some p in input.precisions])

# The script's loop over the accepted precisions (most precise first) keeps the first cost that
# fits and stops; here every accepted precision is priced (one for most tasks: the deployment's
# default), and the first that fits is kept: the same verdict.
fits(c) if {
	c.memory_mb <= mem_limit
	within_latency(c)
}

within_latency(_) if input.max_latency_ms == null

within_latency(c) if c.latency_ms <= input.max_latency_ms

priced(m, costs) := fitted(m, fitting[0]) if {
	fitting := [c | some c in costs; fits(c)]
	count(fitting) > 0
} else := vetoed(costs[count(costs) - 1])

# Vetoed: the reason quotes the least precise accepted precision, the best chance.
vetoed(c) := {"veto": sprintf("needs about %s MB %sat %s for %s, over the %s MB budget", [fmt(c.memory_mb), even, c.precision, at, fmt(input.max_memory_mb)])} if {
	input.max_memory_mb != null
	c.memory_mb > input.max_memory_mb
} else := {"veto": sprintf("needs about %s MB %sat %s for %s, more than a %s device's %s MB", [fmt(c.memory_mb), even, c.precision, at, device, fmt(device_mb)])} if {
	c.memory_mb > device_mb
} else := {"veto": sprintf("takes about %s on %s %sat %s for %s, over the %s ms budget", [timing(c), device, even, c.precision, at, fmt(input.max_latency_ms)])}

fitted(m, c) := {"score": max([headroom_score(r) - p, 0.0]), "reason": why(m, c, r, p), "precision": c.precision} if {
	r := room(c)
	p := penalty(c.precision)
}

# Memory left on the device or in the budget, and latency budget left; without a latency
# budget, 100 / (100 + ms), so 100 ms (the interactive reference) scores 0.5.
room(c) := ((1.0 - c.memory_mb / mem_limit) + ms_room(c)) / 2.0

ms_room(c) := 100.0 / (100.0 + c.latency_ms) if input.max_latency_ms == null
else := 1.0 - c.latency_ms / input.max_latency_ms

headroom_score(r) := r if small_device
else := 0.8 + 0.2 * r

# Quantisation costs a little accuracy.
penalty(p) := 0.1 if p == "int4"
else := 0.05 if p == "int8"
else := 0.0

why(m, c, r, p) := sprintf("%s%s%s", [headroom_reason(m, c, r), quantised(c, p), budget_note])

estimate(c) := sprintf("at %s: about %s MB and %s on %s for %s", [c.precision, fmt(c.memory_mb), timing(c), device, at]) if {
	c.precision == input.precisions[0]
} else := sprintf("fits at %s: about %s MB and %s on %s for %s", [c.precision, fmt(c.memory_mb), timing(c), device, at])

headroom_reason(m, c, r) := sprintf("%s; %s, %v%% headroom on the device", [estimate(c), light(m), round(r * 100)]) if {
	small_device
} else := sprintf("%s; %v%% headroom", [estimate(c), round(r * 100)])

light(m) := "a lightweight model" if m.parameters_m < 70.0
else := "not a lightweight model"

quantised(c, p) := sprintf("; quantised to %s, a little accuracy lost", [c.precision]) if p > 0
else := ""

# A budget above what the device holds cannot be used: say so rather than cap it silently.
budget_note := sprintf(" (the task's %s MB budget is more than a %s device's %s MB: the device bounds it; set [devices.%s] in bundle.toml to your hardware)", [fmt(input.max_memory_mb), device, fmt(device_mb), device]) if {
	input.max_memory_mb != null
	input.max_memory_mb > device_mb
} else := ""
