//! The loop that runs a target: a supervisor process starts a worker, which runs the cases and
//! tells the supervisor each input before running it, so that an abort (a stack overflow, an
//! out-of-memory kill) or a case stuck past the watchdog's limit is still saved and the run
//! goes on from the next case.
//!
//! - A **crash** is a panic (caught around each case; a hook records its message, also when it
//!   happened on another thread, e.g. rayon's or tokio's blocking pool), a property a target
//!   checks that does not hold, or the worker dying.
//! - A **hang** is a case over [`HANG`] both in wall time and in the worker's CPU time (a worker
//!   starved by other work on a shared machine is not hanging, nor is a case spreading a
//!   second of work over two cores); a case over [`WATCHDOG`] of wall time, whatever it does, is
//!   stopped by the supervisor and counted as a hang.
//! - Peak memory is the worker's `VmHWM` (the most a worker reached, when one was restarted).

use std::collections::HashSet;
use std::io::{BufWriter, Read, Write};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::mutate::{Rng, mutate};

/// A case slower than this is a hang (in an optimised build; see [`hang_limit`]).
pub const HANG: Duration = Duration::from_secs(2);

/// The hang limit in force: [`HANG`], or `ARBITER_FUZZ_HANG_MS` milliseconds — `scripts/fuzz
/// --dev` runs an unoptimised build, several times slower, and allows it 8 s (below the
/// [`WATCHDOG`]).
pub fn hang_limit() -> Duration {
    std::env::var("ARBITER_FUZZ_HANG_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(HANG, Duration::from_millis)
}
/// A case slower than this is stopped (the worker is killed and restarted after it).
pub const WATCHDOG: Duration = Duration::from_secs(10);
/// Inputs kept beside the seeds because they reached an outcome class not seen before.
const POOL: usize = 2048;
/// Inputs saved per distinct crash message (location), so one bug does not fill the folder.
const SAVED_PER_CRASH: usize = 3;

/// What one case did, when it did not crash.
pub type Verdict = Result<u64, String>;

/// One fuzz target: its seeds, its dictionary, and how to run one input.
pub trait Target {
    /// The seed corpus (run first, verbatim, as cases 0, 1, …).
    fn seeds(&self) -> Vec<Vec<u8>>;
    /// Tokens worth inserting (field names, keywords, values).
    fn tokens(&self) -> Vec<String>;
    /// The longest input to make.
    fn max_len(&self) -> usize {
        64 * 1024
    }
    /// A new input from `base` (by default, a stack of byte and token mutations).
    fn generate(
        &mut self,
        rng: &mut Rng,
        base: &[u8],
        others: &dyn Fn(&mut Rng) -> Vec<u8>,
        tokens: &[&str],
    ) -> Vec<u8> {
        mutate(rng, base, others, tokens, self.max_len())
    }
    /// Runs one input. `Ok(class)`: a number naming the outcome (which gate refused it, how),
    /// an input reaching a new class joins the pool; `Err`: a property that must hold did not.
    fn run(&mut self, input: &[u8]) -> Verdict;
    /// The extension of a saved input.
    fn extension(&self) -> &'static str;
    /// What the target counted (how many inputs got how far), for the worker's last line.
    fn stats(&self) -> String {
        String::new()
    }
}

/// A class from anything hashable (std's `DefaultHasher` has fixed keys: deterministic).
pub fn class_of(value: impl std::hash::Hash) -> u64 {
    use std::hash::Hasher as _;
    let mut h = std::hash::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// Set by `arbiter-fuzz replay`: every input takes the sampled paths.
pub static SAMPLE_ALL: AtomicBool = AtomicBool::new(false);

/// Whether an input is in the sample that goes further (a decision): one in `every`, chosen
/// by the input's hash, so that the same input always takes the same path.
pub fn sampled(input: &[u8], every: u64) -> bool {
    SAMPLE_ALL.load(Ordering::Relaxed) || class_of(input).is_multiple_of(every)
}

static PANICS: AtomicU64 = AtomicU64::new(0);
/// Whether a case is running: a panic outside one is the harness's own, and is printed.
static IN_CASE: AtomicBool = AtomicBool::new(false);
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

/// Counts panics on any thread and keeps the last message with its location; prints nothing
/// (a panic is reported once, with its input, by the loop).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "(a panic without a message)".to_string()
        };
        let at = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        let text = format!("panicked at {at}: {message}");
        if !IN_CASE.load(Ordering::SeqCst) {
            let trace = std::backtrace::Backtrace::force_capture();
            eprintln!("arbiter-fuzz (outside a case): {text}\n{trace}");
        }
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = text;
        }
        PANICS.fetch_add(1, Ordering::SeqCst);
    }));
}

/// The worker's peak resident memory, in KiB, from `/proc/self/status`.
pub fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Where findings are saved, and how many per crash message were.
pub struct Findings {
    dir: PathBuf,
    per_message: std::collections::HashMap<String, usize>,
}

impl Findings {
    /// Findings of `target` under `root`.
    pub fn new(root: &Path, target: &str) -> Findings {
        Findings {
            dir: root.join(target),
            per_message: Default::default(),
        }
    }

    /// Saves an input (unless this message was saved often enough) and says so on stderr.
    pub fn save(&mut self, kind: &str, input: &[u8], ext: &str, message: &str) {
        // The location (up to the first `: ` after it) names the bug; the rest varies.
        let key = message.split(": ").take(2).collect::<Vec<_>>().join(": ");
        let n = self.per_message.entry(format!("{kind} {key}")).or_default();
        *n += 1;
        if *n > SAVED_PER_CRASH {
            return;
        }
        let hash = arbiter_engine::bundle::sha256(input);
        let short = hash
            .trim_start_matches("sha256:")
            .get(..16)
            .unwrap_or("input");
        let path = self.dir.join(format!("{kind}-{short}.{ext}"));
        let saved = std::fs::create_dir_all(&self.dir)
            .and_then(|()| std::fs::write(&path, input))
            .and_then(|()| std::fs::write(path.with_extension(format!("{ext}.txt")), message));
        match saved {
            Ok(()) => eprintln!("{kind}: {} — {message}", path.display()),
            Err(e) => eprintln!("{kind}: could not save {}: {e} — {message}", path.display()),
        }
    }
}

/// What a worker (or a whole run) counted.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Cases run.
    pub cases: u64,
    /// Panics, broken properties, worker deaths.
    pub crashes: u64,
    /// Cases over [`HANG`].
    pub hangs: u64,
    /// The largest `VmHWM` of a worker, KiB.
    pub peak_kib: u64,
}

/// The frames a worker writes on its stdout.
const FRAME_CASE: u8 = b'C';
const FRAME_DONE: u8 = b'S';

/// The random source of case `index`: independent of the cases before it.
fn case_rng(seed: u64, target: &str, index: u64) -> Rng {
    Rng::new(seed ^ class_of(target) ^ index.wrapping_mul(0xd134_2543_de82_ef95))
}

/// Runs cases `start..end` of a target in this process (the worker side).
pub fn work(
    name: &str,
    target: &mut dyn Target,
    seed: u64,
    (start, end): (u64, u64),
    findings_root: &Path,
) -> std::io::Result<()> {
    install_panic_hook();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut findings = Findings::new(findings_root, name);
    let seeds = target.seeds();
    let tokens_owned = target.tokens();
    let tokens: Vec<&str> = tokens_owned.iter().map(String::as_str).collect();
    let ext = target.extension();
    let mut pool: Vec<Vec<u8>> = Vec::new();
    let mut classes: HashSet<u64> = HashSet::new();
    let mut counts = Counts::default();
    let hang = hang_limit();
    for index in start..end {
        let mut rng = case_rng(seed, name, index);
        let input = match seeds.get(index as usize) {
            Some(s) => s.clone(),
            None if seeds.is_empty() => Vec::new(),
            None => {
                let base = if !pool.is_empty() && rng.one_in(2) {
                    rng.pick(&pool).clone()
                } else {
                    rng.pick(&seeds).clone()
                };
                let others = |r: &mut Rng| {
                    if !pool.is_empty() && r.one_in(3) {
                        r.pick(&pool).clone()
                    } else {
                        r.pick(&seeds).clone()
                    }
                };
                target.generate(&mut rng, &base, &others, &tokens)
            }
        };
        out.write_all(&[FRAME_CASE])?;
        out.write_all(&index.to_le_bytes())?;
        out.write_all(&(input.len() as u32).to_le_bytes())?;
        out.write_all(&input)?;
        out.flush()?;

        let panics = PANICS.load(Ordering::SeqCst);
        let started = Instant::now();
        let cpu_started = cpu_time::ProcessTime::try_now().ok();
        IN_CASE.store(true, Ordering::SeqCst);
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| target.run(&input)));
        IN_CASE.store(false, Ordering::SeqCst);
        let took = started.elapsed();
        let cpu = cpu_started
            .and_then(|c| c.try_elapsed().ok())
            .unwrap_or(took);
        counts.cases += 1;
        let panicked = PANICS.load(Ordering::SeqCst) != panics;
        let crash = match result {
            Err(_) => Some(last_panic()),
            Ok(_) if panicked => Some(last_panic()),
            Ok(Err(property)) => Some(format!("property: {property}")),
            Ok(Ok(class)) => {
                if classes.insert(class) {
                    if pool.len() < POOL {
                        pool.push(input.clone());
                    } else {
                        let i = rng.below(POOL);
                        pool[i] = input.clone();
                    }
                }
                None
            }
        };
        if let Some(message) = crash {
            counts.crashes += 1;
            findings.save("crash", &input, ext, &message);
        }
        if took > hang && cpu > hang {
            counts.hangs += 1;
            findings.save(
                "hang",
                &input,
                ext,
                &format!("the case took {took:?} ({cpu:?} of CPU)"),
            );
        }
    }
    counts.peak_kib = peak_kib();
    eprintln!(
        "{name}: cases {start}..{end}: {} outcome classes seen{}{}",
        classes.len(),
        if target.stats().is_empty() { "" } else { "; " },
        target.stats()
    );
    let text = format!(
        "{} {} {} {}",
        counts.cases, counts.crashes, counts.hangs, counts.peak_kib
    );
    out.write_all(&[FRAME_DONE])?;
    out.write_all(&(text.len() as u32).to_le_bytes())?;
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// The message of the last panic seen.
pub fn last_panic() -> String {
    LAST_PANIC
        .lock()
        .map(|s| s.clone())
        .unwrap_or_else(|_| "panicked (message lost)".to_string())
}

/// What the supervisor knows of its worker.
#[derive(Default)]
struct Seen {
    index: Option<u64>,
    input: Vec<u8>,
    since: Option<Instant>,
    done: Option<Counts>,
}

fn read_frames(mut from: impl Read, seen: &Mutex<Seen>) -> std::io::Result<()> {
    let mut kind = [0u8; 1];
    loop {
        if from.read_exact(&mut kind).is_err() {
            return Ok(());
        }
        match kind[0] {
            FRAME_CASE => {
                let mut index = [0u8; 8];
                let mut len = [0u8; 4];
                from.read_exact(&mut index)?;
                from.read_exact(&mut len)?;
                let mut input = vec![0u8; u32::from_le_bytes(len) as usize];
                from.read_exact(&mut input)?;
                if let Ok(mut s) = seen.lock() {
                    s.index = Some(u64::from_le_bytes(index));
                    s.input = input;
                    s.since = Some(Instant::now());
                }
            }
            FRAME_DONE => {
                let mut len = [0u8; 4];
                from.read_exact(&mut len)?;
                let mut text = vec![0u8; u32::from_le_bytes(len) as usize];
                from.read_exact(&mut text)?;
                let text = String::from_utf8_lossy(&text);
                let n: Vec<u64> = text.split(' ').filter_map(|v| v.parse().ok()).collect();
                if let (Ok(mut s), [cases, crashes, hangs, peak]) = (seen.lock(), n.as_slice()) {
                    s.done = Some(Counts {
                        cases: *cases,
                        crashes: *crashes,
                        hangs: *hangs,
                        peak_kib: *peak,
                    });
                }
            }
            other => {
                return Err(std::io::Error::other(format!(
                    "unexpected byte {other} from the worker"
                )));
            }
        }
    }
}

/// Runs cases `0..cases` of a target in worker processes of this binary, restarting after a
/// worker dies or is stopped by the watchdog. Returns the counts and the seconds taken.
pub fn supervise(
    exe: &Path,
    name: &str,
    ext: &str,
    cases: u64,
    seed: u64,
    findings_root: &Path,
) -> std::io::Result<(Counts, f64)> {
    let started = Instant::now();
    let mut total = Counts::default();
    let mut findings = Findings::new(findings_root, name);
    let mut start = 0u64;
    let mut deaths = 0;
    while start < cases {
        let mut child = Command::new(exe)
            .args(["work", name, "--seed", &seed.to_string()])
            .args(["--from", &start.to_string(), "--to", &cases.to_string()])
            .arg("--findings")
            .arg(findings_root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout from the worker"))?;
        let reader = {
            let seen = seen.clone();
            std::thread::spawn(move || read_frames(stdout, &seen))
        };
        let mut stopped = false;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            let stuck = seen
                .lock()
                .ok()
                .and_then(|s| s.since.filter(|_| s.done.is_none()))
                .is_some_and(|since| since.elapsed() > WATCHDOG);
            if stuck {
                stopped = true;
                child.kill()?;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let _ = reader.join();
        let Ok(seen) = seen.lock() else {
            return Err(std::io::Error::other("the supervisor's state was poisoned"));
        };
        if let Some(done) = seen.done {
            total.cases += done.cases;
            total.crashes += done.crashes;
            total.hangs += done.hangs;
            total.peak_kib = total.peak_kib.max(done.peak_kib);
            break;
        }
        // The worker died in a case (or was stopped): that case is a finding; go on after it.
        let Some(index) = seen.index else {
            return Err(std::io::Error::other(format!(
                "the worker ended before its first case: {status}"
            )));
        };
        total.cases += index + 1 - start;
        if stopped {
            total.hangs += 1;
            findings.save(
                "hang",
                &seen.input,
                ext,
                &format!("case {index} was stopped after {WATCHDOG:?}"),
            );
        } else {
            total.crashes += 1;
            findings.save(
                "crash",
                &seen.input,
                ext,
                &format!("the worker died in case {index}: {status}"),
            );
        }
        deaths += 1;
        if deaths > 20 {
            eprintln!("{name}: more than 20 worker deaths; stopping this target");
            break;
        }
        start = index + 1;
    }
    Ok((total, started.elapsed().as_secs_f64()))
}
