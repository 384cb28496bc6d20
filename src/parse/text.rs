//! Small text helpers shared by the serializers: everything the filter writes is printable ASCII.

use std::borrow::Cow;

/// Keeps printable ASCII (0x20..=0x7e), replaces anything else by `?`, and cuts at `max` bytes
/// (on a char boundary, since the result is ASCII).
pub fn printable(input: &str, max: usize) -> Cow<'_, str> {
    // The common case, already printable and short enough, is not copied at all.
    // Only the first `max` bytes are read: a 64 KiB value is not scanned to keep 300 of it.
    let bytes = input.as_bytes();
    let first = find(bytes.get(..max).unwrap_or(bytes), Class::Unprintable);
    if first == bytes.len() {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len().min(max));
    push_replaced(&mut out, input, first, max);
    Cow::Owned(out)
}

/// Same as [`printable`] for raw bytes (header names may be anything).
pub fn printable_bytes(input: &[u8], max: usize) -> String {
    let mut out = String::with_capacity(input.len().min(max));
    push_printable_bytes(&mut out, input, max);
    out
}

/// [`printable_bytes`] appended to `out`, without a String of its own (a mark such as
/// `cookie <name>` is written straight into its sentence).
pub fn push_printable_bytes(out: &mut String, input: &[u8], max: usize) {
    let mut rest = input.get(..max).unwrap_or(input);
    out.reserve(rest.len());
    loop {
        let run = find(rest, Class::Unprintable);
        let (plain, tail) = rest.split_at_checked(run).unwrap_or((rest, &[]));
        // A run is printable ASCII: always UTF-8.
        out.push_str(std::str::from_utf8(plain).unwrap_or_default());
        let Some((_, tail)) = tail.split_first() else {
            break;
        };
        out.push('?');
        rest = tail;
    }
}

/// Appends `input` with each char outside printable ASCII replaced by `?`, up to `max` bytes
/// written; `first` is where the first such char starts (everything before it is copied whole).
fn push_replaced(out: &mut String, input: &str, first: usize, max: usize) {
    let mut budget = max;
    let mut rest = input;
    let mut run = first;
    loop {
        // `run` is the length of the printable run at the start of `rest`: ASCII, so a char
        // boundary, as is `run.min(budget)`.
        let take = run.min(budget);
        out.push_str(rest.get(..take).unwrap_or_default());
        budget -= take;
        rest = rest.get(run..).unwrap_or_default();
        let mut chars = rest.chars();
        if budget == 0 || chars.next().is_none() {
            return;
        }
        out.push('?');
        budget -= 1;
        rest = chars.as_str();
        let bytes = rest.as_bytes();
        run = find(bytes.get(..budget).unwrap_or(bytes), Class::Unprintable);
    }
}

/// Whether Kong's `kong.request.get_headers()[configured]` finds the request header `header`:
/// names compare case-insensitively, and the lookup is retried with every `_` of the configured
/// name turned into `-` (lua-nginx-module's normalisation) — not the other way round.
#[inline(always)]
pub fn kong_reads_header(configured: &str, header: &str) -> bool {
    // Asked of every header for every configured name: most differ in length or in their first
    // byte, and that is answered where it is asked, without a call.
    let (c, h) = (configured.as_bytes(), header.as_bytes());
    c.len() == h.len()
        && match (c.first(), h.first()) {
            // Either look-up: as it is, or `_` as `-`.
            (Some(&c), Some(&h)) => c.eq_ignore_ascii_case(&h) || c == b'_' && h == b'-',
            _ => true,
        }
        && same_as_kong_reads(c, h)
}

/// [`kong_reads_header`] for names of the same length: as they are, or with every `_` of the
/// configured one a `-`. Plain loops: iterator adapters are calls each at opt-level z.
fn same_as_kong_reads(c: &[u8], h: &[u8]) -> bool {
    // The usual configured name is the header's own spelling (`authorization`): a word at a
    // time, before the case-folding loops (~20 wasm instructions a byte).
    if same_bytes(c, h) {
        return true;
    }
    let same = |dash: bool| {
        let mut i = 0;
        while let (Some(&c), Some(&h)) = (c.get(i), h.get(i)) {
            // In the retried look-up (`dash`) every `_` is a `-`, and only that.
            let c = if dash && c == b'_' { b'-' } else { c };
            if !c.eq_ignore_ascii_case(&h) {
                return false;
            }
            i += 1;
        }
        true
    };
    same(false) || same(true)
}

/// One byte of a squashed name: ASCII letters lowercased, digits as they are, anything else
/// (punctuation, every byte of a non-ASCII char) left out. Setting bit 5 lowercases exactly the
/// letters `A-Z` and maps no other byte onto `a-z`.
#[inline(always)]
pub fn squashed_byte(b: u8) -> Option<u8> {
    let lower = b | 0x20;
    if lower.is_ascii_lowercase() {
        Some(lower)
    } else if b.is_ascii_digit() {
        Some(b)
    } else {
        None
    }
}

/// The next squashed byte of `name` from `at` on, `at` moved past it.
#[inline(always)]
pub fn next_squashed(name: &[u8], at: &mut usize) -> Option<u8> {
    while let Some(&b) = name.get(*at) {
        *at += 1;
        if let Some(squashed) = squashed_byte(b) {
            return Some(squashed);
        }
    }
    None
}

/// Whether two names are the same once reduced to lowercase letters and digits
/// (`X-Api_Key` = `xapikey`), without allocating: this runs for every header of an annotated
/// request, and most differ at their first letter. A plain loop: iterator adapters are calls
/// each at the size-optimised level the filter is built with.
#[inline(always)]
pub fn same_squashed(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // Two names starting with different letters or digits differ: answered where asked (no
    // Option combinators: at opt-level z they are calls through memory).
    if let (Some(&x), Some(&y)) = (a.first(), b.first()) {
        if let (Some(x), Some(y)) = (squashed_byte(x), squashed_byte(y)) {
            if x != y {
                return false;
            }
        }
    }
    same_squashed_bytes(a, b)
}

/// [`same_squashed`] in full.
fn same_squashed_bytes(a: &[u8], b: &[u8]) -> bool {
    let (mut i, mut j) = (0, 0);
    loop {
        let next = next_squashed(a, &mut i);
        if next != next_squashed(b, &mut j) {
            return false;
        }
        if next.is_none() {
            return true;
        }
    }
}

/// Appends one ASCII char given as a one-byte `str`: `String::push` encodes a char through a
/// call at opt-level "z", where a `str` is copied (~40 wasm instructions less each; the writers
/// append a quote or a comma on every 401).
#[allow(clippy::single_char_add_str)]
pub fn push_ascii(out: &mut String, c: &'static str) {
    out.push_str(c);
}

/// Appends `value` with `"` and `\` backslash-escaped and each char outside printable ASCII
/// replaced by `?` (the inside of an sf-string, and of a quoted log value). Runs of plain bytes
/// are copied whole: one pass that finds the next byte needing care, eight bytes at a time.
pub fn push_escaped(out: &mut String, value: &str) {
    let mut rest = value;
    loop {
        let run = find(rest.as_bytes(), Class::Unescaped);
        // A run is printable ASCII, so `run` is a char boundary.
        out.push_str(rest.get(..run).unwrap_or_default());
        rest = rest.get(run..).unwrap_or_default();
        let mut chars = rest.chars();
        match chars.next() {
            None => return,
            Some('"') => out.push_str("\\\""),
            Some('\\') => out.push_str("\\\\"),
            Some(_) => out.push('?'),
        }
        rest = chars.as_str();
    }
}

/// The byte classes [`find`] looks for.
#[derive(Clone, Copy, Debug)]
pub enum Class {
    /// Outside printable ASCII (0x20..=0x7e).
    Unprintable,
    /// Unprintable, `"` or `\`: what an sf-string or a quoted log value cannot hold as it is.
    Unescaped,
    /// Unprintable, space, `=`, `"` or `\`: what a bare logfmt value cannot hold.
    Unbare,
}

const ONES: u64 = u64::from_le_bytes([1; 8]);
const HIGH: u64 = ONES << 7;

// Word-at-a-time byte tests: the high bit of each byte of `x` (little-endian) that passes.
// A byte above the first one that passes may be marked wrongly (a borrow or carry runs upwards),
// never one below it, so the lowest marked byte is the first that passes.

/// Bytes below `n` (`n` <= 0x80).
#[inline(always)]
fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH
}

/// Bytes above `n` (`n` < 0x80).
#[inline(always)]
fn above(x: u64, n: u8) -> u64 {
    (x.wrapping_add(ONES * u64::from(0x7f - n)) | x) & HIGH
}

/// Bytes equal to `c`.
#[inline(always)]
fn equal(x: u64, c: u8) -> u64 {
    let y = x ^ (ONES * u64::from(c));
    y.wrapping_sub(ONES) & !y & HIGH
}

/// Whether every byte is visible ASCII (0x21 to 0x7e), eight at a time (a token's check on every
/// JWT 401).
pub fn is_visible_ascii(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        if (below(x, 0x21) | above(x, 0x7e)) != 0 {
            return false;
        }
    }
    words.remainder().iter().all(|b| (0x21..0x7f).contains(b))
}

/// Where the first `byte` (ASCII) in `bytes` is: eight bytes a step, as a byte-by-byte loop
/// costs several times more in wasm (query and cookie splits, a JWT's dots).
pub fn position_of(bytes: &[u8], byte: u8) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let marked = equal(u64::from_le_bytes(word.try_into().unwrap_or([0; 8])), byte);
        if marked != 0 {
            return Some(at + (marked.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let found = words.remainder().iter().position(|&b| b == byte)?;
    Some(at + found)
}

/// Where the first byte of `bytes` in `class` is; `bytes.len()` when there is none. Eight bytes
/// a step (a byte-by-byte loop costs several times more in wasm, and this reads every byte the
/// filter writes).
pub fn find(bytes: &[u8], class: Class) -> usize {
    // One loop per class, its test known when compiled (a test passed as a function is not
    // inlined at opt-level "z", and costs a call per word).
    match class {
        Class::Unprintable => find_in::<UNPRINTABLE>(bytes),
        Class::Unescaped => find_in::<UNESCAPED>(bytes),
        Class::Unbare => find_in::<UNBARE>(bytes),
    }
}

const UNPRINTABLE: u8 = 0;
const UNESCAPED: u8 = 1;
const UNBARE: u8 = 2;

/// The marked bytes of `x` in class `C`.
#[inline(always)]
fn mask<const C: u8>(x: u64) -> u64 {
    let special = equal(x, b'"') | equal(x, b'\\');
    match C {
        UNPRINTABLE => below(x, 0x20) | above(x, 0x7e),
        UNESCAPED => below(x, 0x20) | above(x, 0x7e) | special,
        _ => below(x, 0x21) | above(x, 0x7e) | equal(x, b'=') | special,
    }
}

fn find_in<const C: u8>(bytes: &[u8]) -> usize {
    let first = |marked: u64| (marked.trailing_zeros() / 8) as usize;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        // Always eight bytes: `a` (in no class) is never used.
        let marked = mask::<C>(u64::from_le_bytes(word.try_into().unwrap_or([b'a'; 8])));
        if marked != 0 {
            return at + first(marked);
        }
        at += 8;
    }
    // The last few bytes, made a word with `a`s, which are in no class and carry into none.
    let tail = words.remainder();
    let mut last = [b'a'; 8];
    if let Some(head) = last.get_mut(..tail.len()) {
        head.copy_from_slice(tail);
    }
    match mask::<C>(u64::from_le_bytes(last)) {
        0 => at + tail.len(),
        marked => at + first(marked),
    }
}

/// Appends `n` in decimal, at least `width` (at most 20) digits, zero-padded: what
/// `{n:0width$}` writes, without core::fmt, which costs several times the digits in wasm.
pub fn push_decimal(out: &mut String, n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            // `rest % 10` is a single digit: the cast cannot truncate.
            *d = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    at = at.min(digits.len().saturating_sub(width));
    // ASCII digits: always UTF-8, appended in one piece rather than a push per digit.
    out.push_str(std::str::from_utf8(digits.get(at..).unwrap_or_default()).unwrap_or_default());
}

/// RFC 9110 `tchar`.
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The writers as they were before they read eight bytes a step: byte by byte and char by
/// char, obviously right. The tests hold the new ones to them, byte for byte.
#[cfg(test)]
pub mod reference {
    use std::borrow::Cow;

    pub fn printable(input: &str, max: usize) -> Cow<'_, str> {
        if input.len() <= max && input.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Cow::Borrowed(input);
        }
        let mut out = String::new();
        for c in input.chars() {
            if out.len() >= max {
                break;
            }
            out.push(if (' '..='~').contains(&c) { c } else { '?' });
        }
        Cow::Owned(out)
    }

    pub fn printable_bytes(input: &[u8], max: usize) -> String {
        let keep = |&b: &u8| {
            if (0x20..=0x7e).contains(&b) {
                char::from(b)
            } else {
                '?'
            }
        };
        input.iter().take(max).map(keep).collect()
    }

    pub fn push_escaped(out: &mut String, value: &str) {
        for c in value.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                ' '..='~' => out.push(c),
                _ => out.push('?'),
            }
        }
    }

    /// logline::push_pair as it was.
    pub fn push_pair(line: &mut String, key: &str, value: &str) {
        line.push(' ');
        line.push_str(key);
        line.push('=');
        let value = printable(value, 300);
        if value.is_empty()
            || value
                .bytes()
                .any(|b| matches!(b, b' ' | b'=' | b'"' | b'\\'))
        {
            line.push('"');
            push_escaped(line, &value);
            line.push('"');
        } else {
            line.push_str(&value);
        }
    }
}

/// Inputs that make the writers take every branch: quotes, backslashes, `=`, spaces, control
/// bytes, DEL, multi-byte chars, runs that end inside and across eight-byte words, and 64 KiB.
#[cfg(test)]
pub fn adversarial() -> Vec<String> {
    let mut table: Vec<String> = [
        "",
        "a",
        "plain",
        "exactly8",
        "sixteen-bytes-ok",
        "\"",
        "\\",
        "=",
        " ",
        "\u{0}",
        "\u{7f}",
        "\t\r\n",
        "é",
        "€uro",
        "\u{10ffff}",
        "1234567\"",
        "12345678\"",
        "1234567é",
        "12345678\\abc",
        "a \"quote\" and a \\ back\u{e9} and \u{1} and ~",
        "no credential reached Kong; the request came through F5 BIG-IP (cookie BIGip)",
        "k=v",
        "~~~~~~~~ !!!!!!!!",
        "\u{1f}\u{20}\u{21}\u{7e}\u{7f}\u{80}\u{ff}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for n in [299, 300, 301, 1023, 1024, 1025] {
        table.push("x".repeat(n));
        table.push(format!("{}é", "x".repeat(n - 1)));
        table.push(format!("{}\"", "x".repeat(n - 1)));
        table.push(format!("{}\u{1}tail", "y".repeat(n)));
    }
    table.push("z".repeat(64 * 1024));
    table.push("é\"\\ =\u{0}".repeat(64 * 1024 / 8));
    table
}

/// `a == b`, a word at a time: slices compare through `memcmp`, a call that loops byte by byte
/// in wasm (~17 instructions a byte), and the filter compares header names by the dozen on
/// every 401. Words at 0, 8, … and the last eight bytes (overlapping the one before).
#[inline]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| -> u64 {
        s.get(at..at + 8)
            .and_then(|w| w.try_into().ok())
            .map_or(0, u64::from_le_bytes)
    };
    let half = |s: &[u8], at: usize| -> u32 {
        s.get(at..at + 4)
            .and_then(|w| w.try_into().ok())
            .map_or(0, u32::from_le_bytes)
    };
    if n >= 8 {
        let mut at = 0;
        while at + 8 < n {
            if word(a, at) != word(b, at) {
                return false;
            }
            at += 8;
        }
        word(a, n - 8) == word(b, n - 8)
    } else if n >= 4 {
        half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4)
    } else {
        let mut i = 0;
        while let (Some(x), Some(y)) = (a.get(i), b.get(i)) {
            if x != y {
                return false;
            }
            i += 1;
        }
        true
    }
}

/// Whether every byte is printable ASCII (0x20-0x7e), eight bytes at a time: the host's
/// property values are checked on every 401.
pub fn is_printable_ascii(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            return false;
        };
        let x = u64::from_le_bytes(word);
        // As in `lowercase_ascii`: per byte, the high bit of `heptet + (0x80 - 0x20)` says
        // `>= 0x20`, that of `heptet + 1` says `== 0x7f`; a set high bit in `x` is not ASCII.
        let heptets = x & !HIGH;
        let from_space = heptets.wrapping_add((0x80 - 0x20) * ONES);
        let delete = heptets.wrapping_add(ONES);
        if from_space & !delete & !x & HIGH != HIGH {
            return false;
        }
    }
    chunks.remainder().iter().all(|b| (0x20..=0x7e).contains(b))
}

/// ASCII letters lowercased eight bytes at a time: byte by byte, wasm spends ~20 instructions
/// a byte on it, and every request header name passes through here on every 401. Bytes
/// outside ASCII are left as they are, as `make_ascii_lowercase` leaves them.
pub fn lowercase_ascii(bytes: &mut [u8]) {
    let mut chunks = bytes.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(&*chunk) else {
            continue;
        };
        let x = u64::from_le_bytes(word);
        // Per byte, with no carry between bytes (each sum stays below 0x100): the high bit of
        // `heptet + (0x80 - b'A')` says `>= 'A'`, that of `heptet + (0x7f - b'Z')` says `> 'Z'`.
        let heptets = x & !HIGH;
        let from_a = heptets.wrapping_add((0x80 - u64::from(b'A')) * ONES);
        let past_z = heptets.wrapping_add((0x7f - u64::from(b'Z')) * ONES);
        let upper = (from_a ^ past_z) & !x & HIGH;
        if upper != 0 {
            chunk.copy_from_slice(&(x | (upper >> 2)).to_le_bytes());
        }
    }
    chunks.into_remainder().make_ascii_lowercase();
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The word scan finds the byte where `position` does, wherever it is.
    #[test]
    fn position_of_as_position() {
        let text = b"ab=;c\x80=;;\xff;d=e=f; 0123456789abcdef=;";
        for start in 0..text.len() {
            for end in start..=text.len() {
                let part = &text[start..end];
                for byte in [b';', b'=', b'a', b'\x00'] {
                    assert_eq!(
                        position_of(part, byte),
                        part.iter().position(|&b| b == byte),
                        "{part:?} {byte}"
                    );
                }
            }
        }
    }

    /// `same_bytes` is `==`: every length up to 40, a difference at every position, and
    /// different lengths.
    #[test]
    fn same_bytes_is_eq() {
        let mut counts = [0; 2];
        for n in 0..40usize {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same_bytes(&a, &a.clone()), "{n}");
            counts[1] += 1;
            for at in 0..n {
                for flip in [1u8, 0x80, 0x20] {
                    let mut b = a.clone();
                    b[at] ^= flip;
                    assert!(!same_bytes(&a, &b), "{n} {at} {flip}");
                    assert!(!same_bytes(&b, &a), "{n} {at} {flip}");
                    counts[0] += 1;
                }
            }
            assert!(!same_bytes(&a, &a[..n.saturating_sub(1)]) || n == 0);
            let mut longer = a.clone();
            longer.push(b'a');
            assert!(!same_bytes(&a, &longer));
        }
        assert!(counts[0] > 1000 && counts[1] == 40);
    }

    proptest! {
        #[test]
        fn same_bytes_is_eq_on_any_bytes(
            a in proptest::collection::vec(0u8..4, 0..30),
            b in proptest::collection::vec(0u8..4, 0..30),
        ) {
            prop_assert_eq!(same_bytes(&a, &b), a == b);
            prop_assert!(same_bytes(&a, &a.clone()));
        }
    }

    /// Bytes that are not UTF-8 (for printable_bytes), and the adversarial strings' bytes.
    fn adversarial_bytes() -> Vec<Vec<u8>> {
        let mut table: Vec<Vec<u8>> = adversarial().into_iter().map(String::into_bytes).collect();
        table.push(b"x\xff\x00y".to_vec());
        table.push(b"\xc3".to_vec());
        table.push((0..=255u8).collect());
        table.push((0..=255u8).rev().cycle().take(70_000).collect());
        table
    }

    fn same_as_reference(input: &str) {
        for max in [0, 1, 7, 8, 9, 20, 60, 300, 1024, usize::MAX] {
            assert_eq!(
                printable(input, max),
                reference::printable(input, max),
                "{input:?} {max}"
            );
            let borrowed = matches!(printable(input, max), Cow::Borrowed(_));
            let was = matches!(reference::printable(input, max), Cow::Borrowed(_));
            assert_eq!(borrowed, was, "{input:?} {max}");
        }
        let (mut new, mut old) = (String::from("<"), String::from("<"));
        push_escaped(&mut new, input);
        reference::push_escaped(&mut old, input);
        assert_eq!(new, old, "{input:?}");
        same_bytes_as_reference(input.as_bytes());
    }

    fn same_bytes_as_reference(input: &[u8]) {
        for max in [0, 1, 7, 8, 9, 40, 60, 128, usize::MAX] {
            assert_eq!(
                printable_bytes(input, max),
                reference::printable_bytes(input, max),
                "{input:?} {max}"
            );
            let mut appended = String::from("cookie ");
            push_printable_bytes(&mut appended, input, max);
            assert_eq!(
                appended,
                format!("cookie {}", reference::printable_bytes(input, max)),
                "{input:?} {max}"
            );
        }
    }

    #[test]
    fn the_writers_write_what_the_reference_writes() {
        for input in adversarial() {
            same_as_reference(&input);
        }
        for input in adversarial_bytes() {
            same_bytes_as_reference(&input);
        }
    }

    /// The classes byte by byte.
    fn has(class: Class, b: u8) -> bool {
        let unprintable = !(0x20..=0x7e).contains(&b);
        let special = matches!(b, b'"' | b'\\');
        let quoting = special || matches!(b, b' ' | b'=');
        match class {
            Class::Unprintable => unprintable,
            Class::Unescaped => unprintable || special,
            Class::Unbare => unprintable || quoting,
        }
    }

    #[test]
    fn find_finds_the_first_byte_of_its_class() {
        let classes = [Class::Unprintable, Class::Unescaped, Class::Unbare];
        for input in adversarial_bytes() {
            for class in classes {
                // Every start, so that each byte sits at each place of a word.
                for start in 0..input.len().min(9) {
                    let bytes = input.get(start..).unwrap_or_default();
                    let expected = bytes.iter().position(|&b| has(class, b));
                    assert_eq!(find(bytes, class), expected.unwrap_or(bytes.len()));
                }
            }
        }
        // Every byte value next to every other, at every place of a word.
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                for at in 0..8 {
                    let mut word = [b'x'; 9];
                    if let Some(w) = word.get_mut(at..at + 2) {
                        w.copy_from_slice(&[a, b]);
                    }
                    for class in classes {
                        let expected = word.iter().position(|&x| has(class, x));
                        assert_eq!(find(&word, class), expected.unwrap_or(word.len()));
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn any_text_is_written_as_the_reference_writes_it(input in any::<String>()) {
            same_as_reference(&input);
        }

        #[test]
        fn hostile_text_is_written_as_the_reference_writes_it(
            input in "[\"\\\\= a~\\x00-\\x1f\\x7f\\u{80}-\\u{7ff}€\\u{10000}]{0,80}"
        ) {
            same_as_reference(&input);
        }

        #[test]
        fn any_bytes_are_written_as_the_reference_writes_them(
            input in proptest::collection::vec(any::<u8>(), 0..200)
        ) {
            same_bytes_as_reference(&input);
        }
    }

    #[test]
    fn escaped() {
        let escape = |v: &str| {
            let mut out = String::new();
            push_escaped(&mut out, v);
            out
        };
        assert_eq!(escape("plain text"), "plain text");
        assert_eq!(escape(r#"a "b" \c"#), r#"a \"b\" \\c"#);
        assert_eq!(escape("é\u{7f}x\n€"), "??x??");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn printable_replaces_and_cuts() {
        assert_eq!(printable("a\u{7f}b\né", 10), "a?b??");
        assert_eq!(printable("abcdef", 3), "abc");
        assert_eq!(printable_bytes(b"x\xff\x00y", 10), "x??y");
    }

    #[test]
    fn names_as_kong_looks_them_up() {
        assert!(kong_reads_header("X-Api-Key", "x-api-key"));
        assert!(kong_reads_header("api_key", "api-key"));
        assert!(kong_reads_header("api_key", "API_KEY"));
        assert!(!kong_reads_header("api-key", "api_key"));
        assert!(!kong_reads_header("a_b_c", "a-b_c"));
        assert!(!kong_reads_header("apikey", "api-key"));
        assert!(same_squashed("X-Api_Key", "xapikey"));
        assert!(same_squashed("X-Api_Key", "x\u{e9}apikey"));
        assert!(!same_squashed("X-Api_Key", "xapikeys"));
    }

    /// The length compared once, up front, answers as the two full passes did; the squashed
    /// comparison as comparing the two names squashed into lists.
    #[test]
    fn kong_reads_header_as_before() {
        let reference = |configured: &str, header: &str| {
            let same = |dash: bool| {
                configured.len() == header.len()
                    && configured.bytes().zip(header.bytes()).all(|(c, h)| {
                        let c = match c {
                            b'_' if dash => b'-',
                            other => other.to_ascii_lowercase(),
                        };
                        c == h.to_ascii_lowercase()
                    })
            };
            same(false) || same(true)
        };
        let names = [
            "apikey",
            "ApiKey",
            "api_key",
            "api-key",
            "API_KEY",
            "Api-Key",
            "a_b-c",
            "a-b-c",
            "a_b_c",
            "A-B_C",
            "authorization",
            "Authorization",
            "x_api_key",
            "x-api-key",
            "X-API_KEY",
            "_x_y",
            "-x-y",
            "_x-y",
            "-X_Y",
            "_X-Y",
            "",
            "_",
            "-",
            "\u{e9}",
            "\u{c9}",
            "k\u{e9}y",
            "K\u{e9}Y",
        ];
        let (mut matches, mut squashed_matches) = (0, 0);
        for configured in names {
            for header in names {
                let old = reference(configured, header);
                assert_eq!(
                    kong_reads_header(configured, header),
                    old,
                    "{configured} {header}"
                );
                matches += usize::from(old);
                let squash = |n: &str| -> Vec<u8> {
                    n.bytes()
                        .filter(u8::is_ascii_alphanumeric)
                        .map(|b| b.to_ascii_lowercase())
                        .collect()
                };
                let old = squash(configured) == squash(header);
                assert_eq!(
                    same_squashed(configured, header),
                    old,
                    "{configured} {header}"
                );
                squashed_matches += usize::from(old);
            }
        }
        assert!(matches > names.len());
        assert!(squashed_matches > matches);
    }

    #[test]
    fn decimals_as_fmt_writes_them() {
        for n in [0u64, 7, 10, 99, 100, 1234, 86_399, 4_294_967_296, u64::MAX] {
            for width in [1usize, 2, 4, 20] {
                let mut out = String::from("x");
                push_decimal(&mut out, n, width);
                assert_eq!(out, format!("x{n:0width$}"));
            }
        }
        assert!(!same_squashed("X-Api_Key", "apikey"));
    }

    #[test]
    fn lowercase_ascii_is_make_ascii_lowercase() {
        let every_byte: Vec<u8> = (0..=255u8).collect();
        for start in 0..8 {
            for len in [0, 1, 7, 8, 9, 15, 16, 17, 255 - start] {
                let mut fast = every_byte[start..start + len].to_vec();
                let mut slow = fast.clone();
                lowercase_ascii(&mut fast);
                slow.make_ascii_lowercase();
                assert_eq!(fast, slow, "start {start} len {len}");
            }
        }
        let mut name = b"X-API-Key\xffAuthorization@[Z`".to_vec();
        lowercase_ascii(&mut name);
        assert_eq!(name, b"x-api-key\xffauthorization@[z`");
    }

    #[test]
    fn is_printable_ascii_is_the_byte_range() {
        let every_byte: Vec<u8> = (0..=255u8).collect();
        for b in every_byte {
            for at in 0..9 {
                let mut bytes = b"kong-request-id-0123".to_vec();
                bytes.insert(at, b);
                let slow = bytes.iter().all(|b| (0x20..=0x7e).contains(b));
                assert_eq!(is_printable_ascii(&bytes), slow, "byte {b:#x} at {at}");
                assert_eq!(
                    is_printable_ascii(&bytes[..at + 1]),
                    slow,
                    "byte {b:#x} at {at}, short"
                );
            }
        }
        assert!(is_printable_ascii(b""));
    }

    /// Bit 5 lowercases the letters and nothing else: the same bytes as filtering alphanumerics
    /// and lowercasing them, on every byte.
    #[test]
    fn squashed_byte_is_alphanumeric_lowercased() {
        for b in 0..=u8::MAX {
            let expected = b.is_ascii_alphanumeric().then(|| b.to_ascii_lowercase());
            assert_eq!(squashed_byte(b), expected, "{b:#04x}");
        }
    }
}
