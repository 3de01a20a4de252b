//! A deterministic random source and a byte/token-level mutator over a corpus.
//!
//! No coverage feedback from the compiler (that needs a nightly toolchain): the harness keeps,
//! beside the seeds, a bounded pool of inputs that reached a new outcome class (see
//! `harness.rs`), and every case is one seed or pool entry with a stack of mutations.

/// SplitMix64: small, fast, and the same sequence on every machine for one seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for this seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// True with probability 1/n.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Small numbers far more often than large ones: 1 + ⌊2^(u·log2 max)⌋ roughly.
    pub fn small(&mut self, max: usize) -> usize {
        let bits = usize::BITS - max.max(1).leading_zeros();
        let b = self.below(bits as usize + 1);
        1 + self.below((1usize << b).min(max.max(1)))
    }
}

/// Tokens that tend to break YAML, JSON and text parsers. Targets add their own.
pub const COMMON_TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    "[]",
    "{}",
    ",",
    ":",
    ": ",
    "- ",
    "? ",
    "*a",
    "&a ",
    "&a",
    "!!",
    "!!str ",
    "!!int ",
    "!!float ",
    "!!binary ",
    "!!map ",
    "!!seq ",
    "!local ",
    "<<: ",
    "<<: *a",
    "---",
    "...",
    "--- !!set\n",
    "%YAML 1.2\n",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "|",
    "|-",
    ">",
    ">+",
    "#",
    "\t",
    "\r",
    "\r\n",
    "\n",
    "\n  ",
    "\u{feff}",
    "\u{0}",
    "\"",
    "'",
    "\\",
    "\\u0000",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\udc00\\ud800\"",
    "\\x00",
    "~",
    "null",
    "true",
    "false",
    "no",
    "yes",
    "on",
    "off",
    "y",
    "0x1F",
    "0o17",
    "0b11",
    ".nan",
    ".NaN",
    ".inf",
    "-.inf",
    "+.inf",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e999",
    "1e-999",
    "1e308",
    "-0",
    "-0.0",
    "0.1e-",
    "1_000",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "4294967296",
    "2147483648",
    "1.7976931348623157e308",
    "5e-324",
    "2.2250738585072014e-308",
    "123456789012345678901234567890",
    "0.30000000000000004",
    "é",
    "🦀",
    "\u{202e}",
    "\u{fffd}",
    "\u{200b}",
    "ǅ",
    "İ",
    "ß",
];

/// A stack of mutations applied to `base`, the result at most `max_len` bytes long.
/// `tokens` are the target's dictionary; `others` the rest of the corpus, for splicing.
pub fn mutate(
    rng: &mut Rng,
    base: &[u8],
    others: &dyn Fn(&mut Rng) -> Vec<u8>,
    tokens: &[&str],
    max_len: usize,
) -> Vec<u8> {
    let mut data = base.to_vec();
    let rounds = rng.small(16);
    for _ in 0..rounds {
        mutate_once(rng, &mut data, others, tokens);
        if data.len() > max_len {
            // Keep max_len bytes: a prefix up to `keep` and the suffix after the cut.
            let excess = data.len() - max_len;
            let keep = rng.below(max_len + 1);
            data.drain(keep..keep + excess);
        }
    }
    data
}

fn token<'a>(rng: &mut Rng, tokens: &[&'a str]) -> &'a str {
    if !tokens.is_empty() && rng.below(3) != 0 {
        tokens[rng.below(tokens.len())]
    } else {
        COMMON_TOKENS[rng.below(COMMON_TOKENS.len())]
    }
}

/// Byte offsets of line starts (0 and every byte after a newline).
fn line_starts(data: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            data.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect()
}

/// The line `i` as a byte range (its newline included).
fn line_range(starts: &[usize], len: usize, i: usize) -> std::ops::Range<usize> {
    let start = starts[i];
    let end = starts.get(i + 1).copied().unwrap_or(len);
    start..end
}

/// Spans of ASCII digits (with sign, point and exponent) in the text: numbers to replace.
fn number_spans(data: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if data[i].is_ascii_digit() {
            let start = if i > 0 && data[i - 1] == b'-' {
                i - 1
            } else {
                i
            };
            let mut end = i;
            while end < data.len()
                && (data[end].is_ascii_alphanumeric() || b".+-_".contains(&data[end]))
            {
                end += 1;
            }
            out.push(start..end);
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "-0",
    "0.0",
    "1e999",
    "-1e999",
    "1e-400",
    ".nan",
    ".inf",
    "-.inf",
    "NaN",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "4294967295",
    "4294967296",
    "65536",
    "1e18",
    "1e19",
    "1e20",
    "1.7976931348623157e308",
    "5e-324",
    "0.5",
    "0.000001",
    "999999999",
    "1e9",
    "1e15",
    "3.5",
    "0x10",
    "1_0",
    "+1",
    "00",
    "1.",
    ".5",
    "1e",
    "7e22",
    "2e-7",
];

fn mutate_once(
    rng: &mut Rng,
    data: &mut Vec<u8>,
    others: &dyn Fn(&mut Rng) -> Vec<u8>,
    tokens: &[&str],
) {
    let len = data.len();
    match rng.below(20) {
        // Flip a bit.
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        // Set a byte to something interesting.
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = *rng.pick(&[
                0u8, 0xff, 0x7f, 0x80, 0xc0, 0xe0, 0xf0, b'\n', b' ', b':', b'-', b'"', b'\'',
                b'[', b'{', b'#', b'&', b'*', b'!', b'|', b'>', b'\\', b'0', b'9', b'.',
            ]);
        }
        // Insert a random byte.
        2 => {
            let i = rng.below(len + 1);
            data.insert(i, rng.next() as u8);
        }
        // Delete a range.
        3 | 4 if len > 0 => {
            let i = rng.below(len);
            let n = rng.small(len - i);
            data.drain(i..i + n);
        }
        // Insert a token.
        5..=7 => {
            let i = rng.below(len + 1);
            let t = token(rng, tokens).as_bytes();
            data.splice(i..i, t.iter().copied());
        }
        // Replace a range with a token.
        8 if len > 0 => {
            let i = rng.below(len);
            let n = rng.small((len - i).min(16));
            let t = token(rng, tokens).as_bytes();
            data.splice(i..i + n, t.iter().copied());
        }
        // Replace a number.
        9 | 10 => {
            let spans = number_spans(data);
            if !spans.is_empty() {
                let r = rng.pick(&spans).clone();
                let n = rng.pick(NUMBERS).as_bytes();
                data.splice(r, n.iter().copied());
            }
        }
        // Duplicate, delete or swap lines.
        11 | 12 => {
            let starts = line_starts(data);
            let a = line_range(&starts, len, rng.below(starts.len()));
            match rng.below(3) {
                0 => {
                    let line = data[a.clone()].to_vec();
                    let at = starts[rng.below(starts.len())];
                    data.splice(at..at, line);
                }
                1 => {
                    data.drain(a);
                }
                _ => {
                    let b = line_range(&starts, len, rng.below(starts.len()));
                    if a.end <= b.start {
                        let (la, lb) = (data[a.clone()].to_vec(), data[b.clone()].to_vec());
                        data.splice(b, la);
                        data.splice(a, lb);
                    }
                }
            }
        }
        // Change a line's indentation.
        13 => {
            let starts = line_starts(data);
            let at = starts[rng.below(starts.len())];
            if rng.one_in(2) {
                let n = rng.small(8);
                data.splice(at..at, std::iter::repeat_n(b' ', n));
            } else {
                let n = data[at..].iter().take_while(|b| **b == b' ').count();
                data.drain(at..at + n.min(rng.small(4)));
            }
        }
        // Splice with another corpus entry: a prefix of this one, a suffix of the other.
        14 | 15 => {
            let other = others(rng);
            if !other.is_empty() {
                let cut_a = rng.below(len + 1);
                let cut_b = rng.below(other.len());
                data.truncate(cut_a);
                data.extend_from_slice(&other[cut_b..]);
            }
        }
        // Insert a chunk of another corpus entry.
        16 => {
            let other = others(rng);
            if !other.is_empty() {
                let i = rng.below(other.len());
                let n = rng.small(other.len() - i);
                let at = rng.below(len + 1);
                data.splice(at..at, other[i..i + n].iter().copied());
            }
        }
        // Repeat a chunk of this one many times (sizes, widths).
        17 if len > 0 => {
            let i = rng.below(len);
            let n = rng.small((len - i).min(64));
            let chunk = data[i..i + n].to_vec();
            let times = rng.small(2000);
            let at = rng.below(len + 1);
            let rep: Vec<u8> = chunk.iter().copied().cycle().take(n * times).collect();
            data.splice(at..at, rep);
        }
        // Deep nesting.
        18 => {
            let depth = rng.small(5000);
            let (open, close): (&[u8], &[u8]) = match rng.below(5) {
                0 => (b"[", b"]"),
                1 => (b"{a: ", b"}"),
                2 => (b"- ", b""),
                3 => (b"(", b")"),
                _ => (b"{\"a\":", b"}"),
            };
            let at = rng.below(len + 1);
            let mut nest = Vec::with_capacity(depth * (open.len() + close.len()) + 1);
            for _ in 0..depth {
                nest.extend_from_slice(open);
            }
            nest.push(b'1');
            for _ in 0..depth {
                nest.extend_from_slice(close);
            }
            data.splice(at..at, nest);
        }
        // Copy a range over another place of the same input.
        _ if len > 1 => {
            let i = rng.below(len);
            let n = rng.small(len - i);
            let chunk = data[i..i + n].to_vec();
            let at = rng.below(len);
            let end = (at + n).min(len);
            data.splice(at..end, chunk);
        }
        _ => {
            let t = token(rng, tokens).as_bytes();
            data.extend_from_slice(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_mutations() {
        let others = |_: &mut Rng| b"other: [1, 2]\n".to_vec();
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..200)
                .map(|_| mutate(&mut rng, b"name: x\nsize: 12\n", &others, &["k"], 4096))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert!(run(9).iter().all(|m| m.len() <= 4096));
    }
}
