//! Helpers shared by the workspace's tests, so that each test file reads as a list of cases:
//!
//! - [`repo`]: the repository root, where `policies/`, `examples/` and `tests/` live;
//!   [`repo_listing`]: the entries of one of its folders, as repository-relative paths.
//! - [`copy_dir`] and [`patch`]: a folder copied to edit, and one edit that must apply.
//! - [`BundleCopy`]: a bundle (by default `policies/`) copied into its own temporary folder,
//!   with the edits tests make to it: a criterion script patched, a weight changed.
//! - [`Binary`], [`Running`] and [`text`]: a command-line binary run from the repository root
//!   as a user runs it, to completion (within a deadline: [`Binary::run_within`]) or in the
//!   background with its output lines read; [`assert_exit`] and [`assert_says`]: what it did;
//!   [`oversized_post_status`]: what a server it started answers to a body past its limit.
//! - [`external_references`]: what in an HTML page would load from outside it.
//! - [`postgres_url`], [`fresh_postgres_schema`] and [`psql`]: the test PostgreSQL server
//!   (`scripts/with-postgres`), a schema of its own per test, and SQL run against it.
//!
//! A dev-dependency only. It depends on std and `tempfile` and on no crate of the workspace:
//! `arbiter-engine`'s own tests use it, so depending on the engine would be a cycle.
//!
//! Every helper panics, naming what failed, where a test would: that is how tests fail.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo() -> PathBuf {
    // This crate is `crates/arbiter-test-support`: the root is two folders up.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The entries of the repository folder `rel` that `keep` accepts, as sorted paths relative to
/// the repository (`examples/tasks/a.yaml`), ready to pass to a binary run from the root.
pub fn repo_listing(rel: &str, keep: impl Fn(&Path) -> bool) -> Vec<String> {
    let dir = repo().join(rel);
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    let mut v: Vec<String> = entries
        .map(|e| {
            e.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
                .path()
        })
        .filter(|p| keep(p))
        .filter_map(|p| {
            p.file_name()
                .map(|name| format!("{rel}/{}", name.to_string_lossy()))
        })
        .collect();
    v.sort();
    v
}

/// Copies the folder `from` to `to` (created as needed), following symbolic links, so a test can
/// edit the copy: a link in `from` becomes a plain file or folder in `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("cannot create {}: {e}", to.display()));
    let entries =
        std::fs::read_dir(from).unwrap_or_else(|e| panic!("cannot list {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", from.display()));
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        // `metadata` follows symbolic links.
        let meta = std::fs::metadata(&src)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", src.display()));
        if meta.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap_or_else(|e| {
                panic!("cannot copy {} to {}: {e}", src.display(), dst.display())
            });
        }
    }
}

/// Replaces the first `from` in the file at `path` by `to`; fails the test if `from` is not
/// there, so an edit can never silently miss.
pub fn patch(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert!(
        s.contains(from),
        "{} does not contain {from:?}",
        path.display()
    );
    std::fs::write(path, s.replacen(from, to, 1))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// A copy of a bundle in a temporary folder of its own, removed when the copy is dropped.
#[derive(Debug)]
pub struct BundleCopy {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl BundleCopy {
    /// A copy of the default bundle, `policies/`.
    pub fn policies() -> BundleCopy {
        BundleCopy::of("policies")
    }

    /// A copy of the bundle at `rel` in the repository (`tests/bundles/tiny`), in a folder with
    /// the same last name.
    pub fn of(rel: &str) -> BundleCopy {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary folder: {e}"));
        let from = repo().join(rel);
        let name = from
            .file_name()
            .unwrap_or_else(|| panic!("`{rel}` names no folder"))
            .to_owned();
        let path = dir.path().join(name);
        copy_dir(&from, &path);
        BundleCopy { _dir: dir, path }
    }

    /// The copy's folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The copy's folder as a command-line argument (`--bundle`).
    pub fn arg(&self) -> &str {
        self.path
            .to_str()
            .unwrap_or_else(|| panic!("{} is not UTF-8", self.path.display()))
    }

    /// The path of the file `rel` in the copy.
    pub fn file(&self, rel: &str) -> PathBuf {
        self.path.join(rel)
    }

    /// [`patch`]es the file `rel` of the copy.
    pub fn patch(&self, rel: &str, from: &str, to: &str) -> &BundleCopy {
        patch(&self.file(rel), from, to);
        self
    }

    /// [`patch`]es the script of `criterion` (`criteria/<criterion>.rhai`).
    pub fn patch_script(&self, criterion: &str, from: &str, to: &str) -> &BundleCopy {
        self.patch(&format!("criteria/{criterion}.rhai"), from, to)
    }

    /// Puts `lines` first in the body of the `evaluate` function of `criterion`'s script, each
    /// on a line of its own, indented by four spaces.
    pub fn prepend_to_evaluate(&self, criterion: &str, lines: &[&str]) -> &BundleCopy {
        const HEAD: &str = "fn evaluate(task, model) {";
        let body: String = lines.iter().map(|l| format!("\n    {l}")).collect();
        self.patch_script(criterion, HEAD, &format!("{HEAD}{body}"))
    }

    /// Changes the weight of `criterion` in `bundle.toml` from `from` to `to`, as written
    /// (`"2.0"`), in the `[[criterion]]` table that names its script `criteria/<criterion>.rhai`.
    pub fn reweigh(&self, criterion: &str, from: &str, to: &str) -> &BundleCopy {
        let table = |w: &str| {
            format!("name = \"{criterion}\"\nscript = \"criteria/{criterion}.rhai\"\nweight = {w}")
        };
        self.patch("bundle.toml", &table(from), &table(to))
    }

    /// Writes the file `rel` of the copy, creating its folder as needed.
    pub fn write(&self, rel: &str, contents: &str) -> &BundleCopy {
        let path = self.file(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        self
    }

    /// Appends `text` to the file `rel` of the copy.
    pub fn append(&self, rel: &str, text: &str) -> &BundleCopy {
        let path = self.file(rel);
        let mut s = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        s.push_str(text);
        self.write(rel, &s)
    }
}

/// Standard output then standard error of a finished process, as text.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The process exited with `code`; else the test fails showing what it said.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{}", text(out));
}

/// The process said `needle`, on stdout or stderr; else the test fails showing what it said.
#[track_caller]
pub fn assert_says(out: &Output, needle: &str) {
    let t = text(out);
    assert!(t.contains(needle), "missing {needle:?} in:\n{t}");
}

/// A command-line binary under test. Its path comes from the test that runs it
/// (`Binary::new(env!("CARGO_BIN_EXE_arbiter"))`): only a binary's own crate knows it.
#[derive(Debug, Clone, Copy)]
pub struct Binary {
    path: &'static str,
}

impl Binary {
    /// The binary at `path`.
    pub const fn new(path: &'static str) -> Binary {
        Binary { path }
    }

    /// A command running the binary from the repository root, to add arguments to.
    pub fn command(&self) -> Command {
        let mut c = Command::new(self.path);
        c.current_dir(repo());
        c
    }

    /// Runs the binary from the repository root with `args`, to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_in(&repo(), args)
    }

    /// Runs the binary from the folder `dir` with `args`, to completion.
    pub fn run_in(&self, dir: &Path, args: &[&str]) -> Output {
        Command::new(self.path)
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| panic!("{} does not run: {e}", self.path))
    }

    /// Runs the binary from the repository root with `args`, which must finish within `limit`:
    /// past it the process is killed and the test fails (a server that should refuse to start
    /// fails the test instead of hanging it). Its output must fit the pipes' buffers.
    pub fn run_within(&self, args: &[&str], limit: Duration) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", self.path));
        let deadline = Instant::now() + limit;
        while child
            .try_wait()
            .unwrap_or_else(|e| panic!("cannot wait for {}: {e}", self.path))
            .is_none()
        {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`{} {}` still runs after {limit:?}",
                    self.path,
                    args.join(" ")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("cannot read the output of {}: {e}", self.path))
    }

    /// Starts the binary from the repository root with `args`, its output lines read as they
    /// come (standard error is discarded).
    pub fn start(&self, args: &[&str]) -> Running {
        let mut command = self.command();
        command.args(args);
        Running::spawn(command)
    }
}

impl Running {
    /// Starts `command` (e.g. [`Binary::command`] with an environment of its own), its output
    /// lines read as they come (standard error is discarded).
    pub fn spawn(mut command: Command) -> Running {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{command:?} does not start: {e}"));
        let (tx, lines) = std::sync::mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(stdout)
                    .lines()
                    .map_while(Result::ok)
                {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }
}

/// How long [`Running::expect`] waits for a line.
pub const LINE_DEADLINE: Duration = Duration::from_secs(20);

/// A binary running in the background ([`Binary::start`]); killed when dropped.
#[derive(Debug)]
pub struct Running {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    /// Waits, at most [`LINE_DEADLINE`], for an output line containing `needle`, and returns
    /// it; fails the test with every line seen so far otherwise.
    pub fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + LINE_DEADLINE;
        loop {
            match self.line_before(deadline) {
                Some(line) if line.contains(needle) => return line,
                Some(_) => {}
                None => panic!("no line with {needle:?}; saw:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// The address `arbiter serve` says it listens on (`http://127.0.0.1:PORT`), from its
    /// first output line; fails the test if that line says anything else.
    pub fn listening_base(&mut self) -> String {
        let line = self.next_line();
        line.trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected: {line}"))
            .to_string()
    }

    /// The next output line, waited for at most [`LINE_DEADLINE`]; fails the test if none comes.
    pub fn next_line(&mut self) -> String {
        self.line_before(Instant::now() + LINE_DEADLINE)
            .unwrap_or_else(|| panic!("no line; saw:\n{}", self.seen.join("\n")))
    }

    fn line_before(&mut self, deadline: Instant) -> Option<String> {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = self.lines.recv_timeout(left).ok()?;
        self.seen.push(line.clone());
        Some(line)
    }

    /// Sends SIGTERM, as a service manager stopping the process does.
    pub fn terminate(&self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap_or_else(|e| panic!("kill does not run: {e}"));
    }

    /// Sends SIGKILL (`kill -9`): no shutdown code runs.
    pub fn kill(&mut self) {
        self.child
            .kill()
            .unwrap_or_else(|e| panic!("cannot kill the process: {e}"));
    }

    /// Waits for the process to exit.
    pub fn wait(&mut self) -> ExitStatus {
        self.child
            .wait()
            .unwrap_or_else(|e| panic!("cannot wait for the process: {e}"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status a server at `base` (`http://127.0.0.1:PORT`) answers to a JSON POST of `len`
/// blank bytes to `path`. Raw, because a server that answers 413 once the body passes its limit
/// and closes is reported by HTTP clients still sending the body as a broken pipe rather than as
/// the response.
pub fn oversized_post_status(base: &str, path: &str, len: usize) -> u16 {
    use std::io::{Read, Write};
    let addr = base
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("{base} is not an http:// address"));
    let mut stream = std::net::TcpStream::connect(addr)
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(head.as_bytes())
        .unwrap_or_else(|e| panic!("cannot send to {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap_or_else(|e| panic!("cannot set a read timeout: {e}"));
    // The body goes from another thread, ignoring write errors: the server stops reading at the
    // limit, answers and closes.
    let mut writer = stream
        .try_clone()
        .unwrap_or_else(|e| panic!("cannot clone the connection: {e}"));
    std::thread::spawn(move || {
        let _ = writer.write_all(&vec![b' '; len]);
    });
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"))
}

/// Everything in an HTML page that would load from outside it, or run: `http://` and `https://`
/// anywhere, a `src`, `href`, `xlink:href`, `srcset`, `action`, `formaction`, `poster` or `data`
/// attribute whose value does not start with `#` or `data:`, `@import`, a CSS `url(` to anything
/// but `#` or `data:`, and `<script>`, `<link>`, `<iframe>`, `<object>`, `<embed>` and `<base>`
/// elements. Each finding is the text around it; a self-contained page has none.
///
/// A scan of the text, as a reviewer's grep would be: text that merely reads `src=x` counts too,
/// so pages with hostile content are checked by parsing them instead.
pub fn external_references(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let around = |at: usize| {
        let start = lower[..at]
            .char_indices()
            .rev()
            .nth(30)
            .map_or(0, |(i, _)| i);
        let end = lower[at..]
            .char_indices()
            .nth(60)
            .map_or(lower.len(), |(i, _)| at + i);
        html[start..end].to_string()
    };
    let local = |value: &str| {
        let v = value.trim_start_matches(['"', '\'', ' ']);
        v.starts_with('#') || v.starts_with("data:")
    };
    let mut found = Vec::new();
    for needle in [
        "http://", "https://", "@import", "<script", "<link", "<iframe", "<object", "<embed",
        "<base",
    ] {
        found.extend(lower.match_indices(needle).map(|(at, _)| around(at)));
    }
    for attribute in [
        "src=",
        "href=",
        "xlink:href=",
        "srcset=",
        "action=",
        "formaction=",
        "poster=",
        "data=",
    ] {
        for (at, _) in lower.match_indices(attribute) {
            let attached = lower[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_whitespace());
            if attached && !local(&lower[at + attribute.len()..]) {
                found.push(around(at));
            }
        }
    }
    for (at, _) in lower.match_indices("url(") {
        if !local(&lower[at + 4..]) {
            found.push(around(at));
        }
    }
    found
}

/// The test PostgreSQL server `scripts/with-postgres` started (which `scripts/test` uses):
/// its URL, from `ARBITER_TEST_POSTGRES`. Tests against PostgreSQL never skip: without the
/// variable they fail, saying how to run them.
pub fn postgres_url() -> String {
    std::env::var("ARBITER_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "ARBITER_TEST_POSTGRES is not set: the PostgreSQL tests need a server; run them with \
             `scripts/test` (or `scripts/with-postgres cargo test …`), which starts a throwaway one"
        )
    })
}

/// A fresh, empty schema in the test server for one test, and the URL that makes it the
/// connection's search path: tests running at once never see each other's tables.
pub fn fresh_postgres_schema(name: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let schema = format!(
        "t_{}_{}_{}",
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let base = postgres_url();
    psql(&base, &format!("CREATE SCHEMA {schema}"));
    let join = if base.contains('?') { '&' } else { '?' };
    format!("{base}{join}options=-csearch_path%3D{schema}")
}

/// Runs SQL with `psql` against `url` (a URL [`fresh_postgres_schema`] gave keeps its search
/// path), stopping at the first error; returns what it printed (unaligned, tuples only).
pub fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run psql (scripts/with-postgres installs it): {e}"));
    assert!(
        out.status.success(),
        "psql failed on {sql:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::external_references;

    #[test]
    fn external_references_are_found_and_local_ones_are_not() {
        let local = "<svg><rect fill=\"url(#hatch)\" /></svg><a href=\"#scores\">x</a>\
                     <img src=\"data:image/png;base64,AAAA\" /><p data-src=\"x\">src is fine</p>";
        assert_eq!(external_references(local), Vec::<String>::new());
        for outside in [
            "<img src=\"pic.png\">",
            "<a href='//host/x'>",
            "<p>see http://host</p>",
            "<style>@import 'x.css';</style>",
            "<style>p { background: url(x.png) }</style>",
            "<SCRIPT>alert(1)</SCRIPT>",
            "<link rel=stylesheet>",
            "<svg><use xlink:href=\"other.svg#a\" /></svg>",
        ] {
            assert_eq!(external_references(outside).len(), 1, "{outside}");
        }
    }
}
