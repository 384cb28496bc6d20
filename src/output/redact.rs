//! Redaction: no 8-byte piece of a credential on the request may appear in anything the filter
//! writes. Belt and braces over every place where request-controlled text could carry one.

use crate::bounds::MAX_INDEXED_PIECES;
use std::borrow::Cow;

/// Length of the pieces [`scrub`] looks for.
const PIECE: usize = 8;

/// The credentials of one request, with their pieces indexed once when there are not too many.
///
/// Not prefiltered by the credentials' byte values (a sentence with no run of [`PIECE`] bytes
/// that all occur in them cannot hold a piece, so it could skip the index): measured in the
/// .wasm, one pass over a 177-byte token to collect them costs ~4.2k instructions at best (eight
/// bytes a load, the set in two registers; ~5.7k a byte at a time) and the sentence's scan for
/// runs ~2.7k, more than the ~3.5k of the index and scan it would spare (~6.6k when this was
/// measured: the filter's build and look-ups have been cut since); and the expired-JWT
/// sentence's date (`2025-11-28T11`, 13 bytes of base64url) is such a run for any token holding
/// `-`, `8` and `T`, as nearly every RS256 signature does.
pub struct Secrets<'a> {
    credentials: &'a [&'a [u8]],
    /// How many 8-byte pieces the credentials have in all.
    pieces: usize,
    /// Every piece of every credential, in the cheapest form that their number allows.
    index: Index<'a>,
}

/// Where a filter is built: in the caller's frame, neither allocated nor moved (the small one's
/// 256 bytes, copied into the index and again into the caller's `Option`, cost about a wasm
/// instruction a byte each time; the large one's allocation ~500, measured). Empty until a
/// credential needs one.
#[derive(Default)]
pub struct Room {
    small: Option<[u32; SMALL_FILTER_WORDS]>,
    large: Option<[u32; FILTER_WORDS]>,
}

/// Credential pieces up to which [`Index::Filter`] is used: a credential of up to ~2 KB, which
/// takes in the signed JWTs of production (RS256/ES256, 600-1000 bytes). Its up to 410 grams,
/// two bits each of 8192, leave a sentence's gram passing by chance about one time in 290 for an
/// 800-byte token, 210 at 1 KB, 80 at 2 KB (simulated with base64url tokens and sentences of
/// words, dates and numbers), each pass a
/// look over the credentials' grams (at most [`MAX_CONFIRMED`] a sentence); the
/// table it spares clears `2 x next_power_of_two(pieces)` words (16 KiB for an 800-byte token,
/// about a wasm instruction a byte) and hashes in every piece: ~77k wasm instructions of an
/// 800-byte token's 401, measured. Past it the table: a fuller filter would send too many
/// grams to confirmation.
const FILTERED_PIECES: usize = 2048;

/// Words of the filter: 8192 bits, 1 KiB, cleared in one go. 32-bit words: a look-up is an
/// `i32` load, shift and test in wasm (a gram passes about as rarely as with 64-bit words).
const FILTER_WORDS: usize = 256;

/// Credential pieces up to which the small filter does (the usual token, ~52 grams at most, two
/// bits each of 2048: a sentence's gram passes by chance about one time in 240 at worst, 400 for
/// the usual 177-byte token, simulated). Clearing
/// memory costs about a wasm instruction a byte: the small filter's 256 bytes save ~750 on the
/// usual 401 over the kilobyte.
const SMALL_FILTERED_PIECES: usize = 256;

/// Words of the small filter: 2048 bits, 256 bytes.
const SMALL_FILTER_WORDS: usize = 64;

enum Index<'a> {
    /// A long credential (a signed JWT of production): two bits per gram (see [`GRAM`]) in a
    /// 1 KiB filter, in the caller's [`Room`]. Building it is a load, a multiply and an OR per
    /// five bytes of credential; a gram of a sentence that passes is confirmed against the
    /// credentials themselves.
    Filter(&'a [u32; FILTER_WORDS]),
    /// The same for up to [`SMALL_FILTERED_PIECES`] (the usual token), smaller.
    SmallFilter(&'a [u32; SMALL_FILTER_WORDS]),
    /// More pieces than the filter takes, up to [`MAX_INDEXED_PIECES`]: every piece in a
    /// table. Not for a few pieces either (an API key): the small filter, neither allocated nor
    /// hashed in piece by piece, costs less even for one (~12.8k wasm instructions less on a
    /// refused 33-byte key's 401, measured).
    Table(PieceSet),
    /// Past it, each sentence is indexed instead (bounded memory whatever the request carries);
    /// also with no piece at all (credentials under 8 bytes), where nothing is ever looked up.
    PerSentence,
}

impl<'a> Secrets<'a> {
    pub fn new(credentials: &'a [&'a [u8]], room: &'a mut Room) -> Self {
        let pieces = pieces_in(credentials.iter().copied());
        let index = if (1..=SMALL_FILTERED_PIECES).contains(&pieces) {
            let filter = room.small.insert([0; SMALL_FILTER_WORDS]);
            fill(filter, credentials);
            Index::SmallFilter(filter)
        } else if (1..=FILTERED_PIECES).contains(&pieces) {
            let filter = room.large.insert([0; FILTER_WORDS]);
            fill(filter, credentials);
            Index::Filter(filter)
        } else if (1..=MAX_INDEXED_PIECES).contains(&pieces) {
            let mut set = PieceSet::with_room_for(pieces);
            for credential in credentials {
                for_each_piece(credential, |key| set.insert(key));
            }
            Index::Table(set)
        } else {
            Index::PerSentence
        };
        Secrets {
            credentials,
            pieces,
            index,
        }
    }

    fn is_empty(&self) -> bool {
        self.pieces == 0
    }

    /// The same credentials every piece in a table, whatever their number: the way all long
    /// credentials went before the filter took them, kept as the tests' oracle.
    #[cfg(test)]
    fn tabled(credentials: &'a [&'a [u8]]) -> Self {
        let pieces = pieces_in(credentials.iter().copied());
        let mut set = PieceSet::with_room_for(pieces);
        for credential in credentials {
            for_each_piece(credential, |key| set.insert(key));
        }
        Secrets {
            credentials,
            pieces,
            index: Index::Table(set),
        }
    }

    #[cfg(test)]
    pub fn is_indexed(&self) -> bool {
        !matches!(self.index, Index::PerSentence)
    }

    /// The credential pieces that `text` could hold, in a table: for the indexes other than
    /// the filter.
    fn table(&self, text: &[u8]) -> Cow<'_, PieceSet> {
        match &self.index {
            Index::Table(set) => Cow::Borrowed(set),
            Index::Filter(_) | Index::SmallFilter(_) | Index::PerSentence => {
                let mut in_text = PieceSet::with_room_for(pieces_in([text]));
                for_each_piece(text, |key| in_text.insert(key));
                // At most the text's own pieces: never more than it has room for.
                let mut shared = PieceSet::with_room_for(pieces_in([text]));
                for credential in self.credentials {
                    for_each_piece(credential, |key| {
                        if in_text.contains(key) {
                            shared.insert(key);
                        }
                    });
                }
                Cow::Owned(shared)
            }
        }
    }
}

/// Bytes of a gram: the filter holds the grams that start at every [`STRIDE`]th byte of a
/// credential. A piece starting at `p` holds the gram at the first multiple of the stride from
/// `p` (at most `p + 4`, so it ends by `p + 8`): a sentence sharing a piece with a credential
/// shares that gram with it, and only the grams of the credential need indexing (a fifth of its
/// pieces). Four bytes, not five: a fifth of the grams to hash in rather than a quarter, and the
/// sentence's grams, still tested at every byte, cost the same (~500 wasm instructions less on
/// the expired-JWT 401, measured). Three would save ~180 more on the bench's token, but the
/// grams that English and base64 text share by chance are far more common at three bytes, each a
/// confirmation over the credential's grams: not taken without measuring more tokens (at two,
/// +8k on the bench's token).
const GRAM: usize = 4;
const STRIDE: usize = PIECE + 1 - GRAM;

/// Sets in `filter` (`N` words, a power of two from 64) the bits of the grams of `credentials`.
fn fill<const N: usize>(filter: &mut [u32; N], credentials: &[&[u8]]) {
    let mut add = |gram: u32| {
        let (word, first, second) = filter_bits::<N>(gram);
        if let Some(w) = filter.get_mut(word) {
            *w |= TOP.wrapping_shr(first) | TOP.wrapping_shr(second);
        }
    };
    for credential in credentials {
        // Written out: the filter is built on every 401, and the .wasm (built for size)
        // calls rather than inlines an iterator's `next`. Two grams a step, for one test of
        // the length (~240 wasm instructions less on the usual token, measured).
        let mut at = 0;
        while let Some(run) = credential.get(at..at + STRIDE + GRAM) {
            add(gram_at(run, 0));
            add(gram_at(run, STRIDE));
            at += 2 * STRIDE;
        }
        if let Some(run) = credential.get(at..at + GRAM) {
            add(gram_at(run, 0));
        }
    }
}

/// The word of a gram in a filter of `N` words and its two bits in it: slices of one
/// multiplicative hash of the gram, one load per look-up (the word from the top bits, then
/// five bits for each bit; the shifts keep the low five bits of the amount, as the machine's
/// own shift does).
#[inline(always)]
fn filter_bits<const N: usize>(gram: u32) -> (usize, u32, u32) {
    let h = gram.wrapping_mul(HASH32);
    let word_bits = 32 - N.trailing_zeros();
    (
        (h >> word_bits) as usize,
        h >> (word_bits - 5),
        h >> (word_bits - 10),
    )
}

/// Whether `filter` may hold `gram`: its first bit, then (one gram in ~30 of a sentence) its
/// second.
#[inline(always)]
fn may_hold<const N: usize>(filter: &[u32; N], gram: u32) -> bool {
    let (word, first, second) = filter_bits::<N>(gram);
    let word = filter.get(word).copied().unwrap_or(0);
    (word.wrapping_shl(first) as i32) < 0 && has_bit(word, second)
}

/// The second bit's test, a call: inlined, wasm-opt would test both bits of every gram (the
/// pair a single branch) rather than the second for the few that pass the first.
#[inline(never)]
fn has_bit(word: u32, bit: u32) -> bool {
    word.wrapping_shl(bit) & TOP != 0
}

/// A word's top bit: bit `n` of a word is `TOP >> n`, tested by shifting it to the sign.
const TOP: u32 = 1 << 31;

/// Calls `f` with the offset and the key (little-endian) of every gram of `bytes` at a multiple
/// of [`STRIDE`].
#[inline(always)]
fn for_each_gram(bytes: &[u8], mut f: impl FnMut(usize, u32)) {
    let mut at = 0usize;
    // One 4-byte load a gram (unaligned loads are plain loads in wasm).
    while let Some(gram) = bytes.get(at..at + GRAM) {
        f(at, u32::from_le_bytes(gram.try_into().unwrap_or_default()));
        at += STRIDE;
    }
}

/// Grams of one sentence that the filter lets through to confirmation before [`scrub`] gives the
/// sentence to the table instead. A confirmation looks over every gram of the credentials (up to
/// 410); a sentence that echoes a long credential would pass at nearly every byte, and the table
/// bounds that at one pass over the sentence and the credentials (a 700-byte echo of a 2 KB
/// credential: ~620 us native without the bound, ~30 us with it, measured). A chance pass is
/// rarer than one in 60: a sentence (a few hundred bytes) seldom gets near.
const MAX_CONFIRMED: usize = 8;

/// Marks in `leaked` the pieces of `bytes` that are pieces of `credentials`, by their grams in
/// `filter`, each gram that passes confirmed while `budget` lasts (see [`confirm`]).
fn filtered<const N: usize>(
    bytes: &[u8],
    filter: &[u32; N],
    credentials: &[&[u8]],
    leaked: &mut Vec<bool>,
    budget: &mut usize,
) {
    // A macro, not a closure: the .wasm (built for size) would call the closure at every byte.
    macro_rules! probe {
        ($at:expr, $gram:expr) => {
            if may_hold(filter, $gram) {
                confirm(bytes, $at, credentials, leaked, budget);
            }
        };
    }
    // The gram at each byte, one 4-byte load; four a step, the loop's test and count paid once
    // for them (~460 wasm instructions less on the bench's 77-byte sentence, measured). Only
    // with the small filter: with the large one (an 800-byte token) as much, for ~370 bytes of
    // .wasm, not taken (the size budget).
    let mut at = 0;
    while let Some(run) = bytes
        .get(at..at + GRAM + 3)
        .filter(|_| N == SMALL_FILTER_WORDS)
    {
        probe!(at, gram_at(run, 0));
        probe!(at + 1, gram_at(run, 1));
        probe!(at + 2, gram_at(run, 2));
        probe!(at + 3, gram_at(run, 3));
        at += 4;
    }
    while let Some(run) = bytes.get(at..at + GRAM) {
        probe!(at, gram_at(run, 0));
        at += 1;
    }
}

/// The gram at `k` in `run` (0 past its end).
#[inline(always)]
fn gram_at(run: &[u8], k: usize) -> u32 {
    run.get(k..k + GRAM)
        .and_then(|gram| gram.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

/// Marks in `leaked` the pieces of `text` around its gram at `at` that are pieces
/// of a credential: the filter's confirmation, by the credentials' own grams. Each takes one of
/// `budget`; the one that takes the last does nothing, and a `budget` left at 0 says that
/// `leaked` is incomplete (counted here, not in the caller's loop over every byte: measured).
#[inline(never)]
fn confirm(
    text: &[u8],
    at: usize,
    credentials: &[&[u8]],
    leaked: &mut Vec<bool>,
    budget: &mut usize,
) {
    *budget = budget.saturating_sub(1);
    // Read again here rather than passed: one value less to keep at every byte.
    let (Some(gram), false) = (text.get(at..), *budget == 0) else {
        return;
    };
    let gram = gram_at(gram, 0);
    for credential in credentials {
        for_each_gram(credential, |q, g| {
            if g != gram {
                return;
            }
            // The piece of the credential starting `d` before this gram, against the text's.
            for d in 0..STRIDE {
                let (Some(s), Some(p)) = (at.checked_sub(d), q.checked_sub(d)) else {
                    break;
                };
                if let (Some(a), Some(c)) = (text.get(s..s + PIECE), credential.get(p..p + PIECE)) {
                    if a == c {
                        if leaked.is_empty() {
                            *leaked = vec![false; text.len()];
                        }
                        for flag in leaked.iter_mut().skip(s).take(PIECE) {
                            *flag = true;
                        }
                    }
                }
            }
        });
    }
}

fn pieces_in<'c>(values: impl IntoIterator<Item = &'c [u8]>) -> usize {
    values
        .into_iter()
        .map(|v| v.len().saturating_sub(PIECE - 1))
        .fold(0, usize::saturating_add)
}

/// Calls `f` with the key of every 8-byte window of `bytes`, in order: a rolling key, one shift
/// per byte.
#[inline(always)]
fn for_each_piece(bytes: &[u8], mut f: impl FnMut(u64)) {
    let mut key = 0u64;
    // The first seven bytes only start the key; a plain counter, not `enumerate` (see above).
    let mut seen = 0usize;
    for &b in bytes {
        key = (key << 8) | u64::from(b);
        if seen >= PIECE - 1 {
            f(key);
        } else {
            seen += 1;
        }
    }
}

/// Fibonacci hashing's multiplier: spreads the keys' bits into the upper half.
const HASH: u64 = 0x9E37_79B9_7F4A_7C15;

/// The same for the filter's 4-byte grams.
const HASH32: u32 = 0x9E37_79B1;

/// 64-bit keys in an open-addressing table kept at most half full: a look-up is one or two
/// probes, and building it needs neither a sort nor more than one allocation.
#[derive(Clone, Default)]
struct PieceSet {
    /// Keys, 0 for an empty slot; a power-of-two length.
    slots: Vec<u64>,
    /// Keys held, never more than half the slots: a look-up always ends at an empty slot.
    len: usize,
    /// Eight NUL bytes make the key 0, which marks empty slots: remembered apart.
    has_zero: bool,
}

impl PieceSet {
    /// Room for `count` distinct keys. Callers keep `count` under [`MAX_INDEXED_PIECES`] or
    /// the length of one sentence.
    fn with_room_for(count: usize) -> Self {
        let slots = count
            .saturating_mul(2)
            .checked_next_power_of_two()
            .unwrap_or(0);
        PieceSet {
            slots: vec![0; slots],
            len: 0,
            has_zero: false,
        }
    }

    fn slot_of(&self, key: u64) -> usize {
        (key.wrapping_mul(HASH) >> 32) as usize & self.slots.len().wrapping_sub(1)
    }

    /// Inserts `key`, at most once. A key past the room the set was made for is dropped (callers
    /// never get there), so that the set stays at most half full.
    fn insert(&mut self, key: u64) {
        if key == 0 {
            self.has_zero = true;
            return;
        }
        if self.len.saturating_mul(2) >= self.slots.len() {
            return;
        }
        let mask = self.slots.len().wrapping_sub(1);
        let mut slot = self.slot_of(key);
        while let Some(k) = self.slots.get_mut(slot) {
            if *k == key {
                return;
            }
            if *k == 0 {
                *k = key;
                self.len += 1;
                return;
            }
            slot = (slot + 1) & mask;
        }
    }

    // Inlined: it runs for every byte of every sentence, and a call per byte costs as much as
    // the look-up itself.
    #[inline(always)]
    fn contains(&self, key: u64) -> bool {
        if key == 0 {
            return self.has_zero;
        }
        let mask = self.slots.len().wrapping_sub(1);
        let mut slot = self.slot_of(key);
        // At most half full: an empty slot ends every search.
        while let Some(&k) = self.slots.get(slot) {
            if k == 0 {
                return false;
            }
            if k == key {
                return true;
            }
            slot = (slot + 1) & mask;
        }
        false
    }
}

/// `text` with every run of bytes that belongs to a credential piece replaced by `[redacted]`.
/// Borrowed when nothing is.
pub fn scrub<'t>(text: &'t str, secrets: &Secrets) -> Cow<'t, str> {
    let bytes = text.as_bytes();
    if bytes.len() < PIECE || secrets.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut leaked: Vec<bool> = Vec::new();
    // One more than the confirmations allowed: at 0, one more gram passed.
    let mut budget = MAX_CONFIRMED + 1;
    if let Index::SmallFilter(filter) = &secrets.index {
        filtered(bytes, filter, secrets.credentials, &mut leaked, &mut budget);
    } else if let Index::Filter(filter) = &secrets.index {
        filtered(bytes, filter, secrets.credentials, &mut leaked, &mut budget);
    } else {
        budget = 0;
    }
    if budget == 0 {
        // Started afresh: the table marks every leaked piece on its own.
        leaked.clear();
        let found = secrets.table(bytes);
        // The rolling key by hand: this loop runs for every byte of every sentence.
        let mut key = 0u64;
        let mut end = 0usize;
        for &b in bytes {
            key = (key << 8) | u64::from(b);
            end += 1;
            if end < PIECE || !found.contains(key) {
                continue;
            }
            if leaked.is_empty() {
                leaked = vec![false; bytes.len()];
            }
            for flag in leaked.iter_mut().skip(end - PIECE).take(PIECE) {
                *flag = true;
            }
        }
    }
    if leaked.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut in_redaction = false;
    for (i, c) in text.char_indices() {
        if leaked.get(i).copied().unwrap_or(false) {
            if !in_redaction {
                out.push_str("[redacted]");
                in_redaction = true;
            }
        } else {
            in_redaction = false;
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// [`Secrets::new`] with a room of its own, kept for the rest of the test run.
    fn secrets_of<'a>(credentials: &'a [&'a [u8]]) -> Secrets<'a> {
        Secrets::new(credentials, Box::leak(Box::default()))
    }

    #[test]
    fn pieces_are_redacted() {
        let key: &[&[u8]] = &[b"k3y-9f8e7d6c5b4a"];
        let secrets = secrets_of(key);
        assert_eq!(
            scrub("seen 9f8e7d6c5b here", &secrets),
            "seen [redacted] here"
        );
        assert_eq!(scrub("nothing here", &secrets), "nothing here");
        assert_eq!(scrub("ab9f8e7d6c5b4a", &secrets), "ab[redacted]");
        assert_eq!(
            scrub("k3y-9f8e at the start", &secrets),
            "[redacted] at the start"
        );
        let short: &[&[u8]] = &[b"k3y"];
        assert_eq!(scrub("short k3y", &secrets_of(short)), "short k3y");
        assert_eq!(
            scrub("no secrets at all", &secrets_of(&[])),
            "no secrets at all"
        );
        let nul: &[&[u8]] = &[b"\0\0\0\0\0\0\0\0\0"];
        assert_eq!(
            scrub("a\0\0\0\0\0\0\0\0b", &secrets_of(nul)),
            "a[redacted]b"
        );
    }

    /// Which bytes of `text` a piece of a credential covers, by brute force.
    fn leaked_naive(text: &[u8], credentials: &[&[u8]]) -> Vec<bool> {
        let mut leaked = vec![false; text.len()];
        for (i, w) in text.windows(PIECE).enumerate() {
            if credentials.iter().any(|c| c.windows(PIECE).any(|p| p == w)) {
                leaked[i..i + PIECE].iter_mut().for_each(|f| *f = true);
            }
        }
        leaked
    }

    /// `scrub` as the brute force says it should come out.
    fn scrub_naive(text: &str, credentials: &[&[u8]]) -> String {
        let leaked = leaked_naive(text.as_bytes(), credentials);
        let mut out = String::new();
        let mut in_redaction = false;
        for (i, c) in text.char_indices() {
            if leaked[i] {
                if !in_redaction {
                    out.push_str("[redacted]");
                }
                in_redaction = true;
            } else {
                in_redaction = false;
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn each_index_redacts_the_same() {
        // One credential under the small filter's bound, one under the filter's, one past it
        // (the table), the same pieces.
        let secret = b"k3y-9f8e7d6c5b4a-tail0001-0123456789abcdefghijklmnopqrstuvwxyz".to_vec();
        let mut middle = vec![b'q'; SMALL_FILTERED_PIECES + 100];
        middle.extend_from_slice(&secret);
        let mut long = vec![b'q'; FILTERED_PIECES + 100];
        long.extend_from_slice(&secret);
        for credential in [secret.clone(), middle, long] {
            let credentials: &[&[u8]] = &[&credential];
            let secrets = secrets_of(credentials);
            let expected = match credential.len() {
                n if n < SMALL_FILTERED_PIECES => "small",
                n if n < FILTERED_PIECES => "filter",
                _ => "table",
            };
            let index = match secrets.index {
                Index::SmallFilter(_) => "small",
                Index::Filter(_) => "filter",
                Index::Table(_) => "table",
                Index::PerSentence => "per sentence",
            };
            assert_eq!(index, expected);
            let short: &[&[u8]] = &[b"k3y-9f8e7d6c5b4a"];
            assert!(matches!(secrets_of(short).index, Index::SmallFilter(_)));
            // No piece at all: nothing to index, and no table allocated for it.
            let none: &[&[u8]] = &[b"k3y"];
            assert!(matches!(secrets_of(none).index, Index::PerSentence));
            for text in [
                "saw 9f8e7d6c5b4a here",
                "tail0001",
                "nothing",
                "k3y-9f8e7d6c5b4a-tail0001 twice k3y-9f8e7d6c",
            ] {
                assert_eq!(
                    scrub(text, &secrets),
                    scrub_naive(text, credentials),
                    "{text}"
                );
            }
        }
    }

    /// A long credential like a signed JWT (600-2000 bytes, base64url-ish), made from `seed`.
    fn long_credential(len: usize, seed: u64) -> Vec<u8> {
        const ALPHABET: &[u8] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ALPHABET[(x % ALPHABET.len() as u64) as usize]
            })
            .collect()
    }

    #[test]
    fn long_credentials_take_the_filter() {
        // A sentence that echoes a long credential: past the confirmations the filter allows,
        // the table takes it, with the same outcome.
        let echoed = long_credential(1500, 3);
        let credentials: &[&[u8]] = &[&echoed];
        let text = format!("x-{}-x", std::str::from_utf8(&echoed[..700]).unwrap());
        let bytes = text.as_bytes();
        let Index::Filter(filter) = &secrets_of(credentials).index else {
            panic!("not the filter");
        };
        let mut budget = MAX_CONFIRMED + 1;
        filtered(bytes, filter, credentials, &mut Vec::new(), &mut budget);
        assert_eq!(budget, 0);
        assert_eq!(scrub(&text, &secrets_of(credentials)), "x-[redacted]-x");
        // A few passing grams: confirmed, no table.
        let short = &text[..2 + PIECE + 1];
        let (mut leaked, mut budget) = (Vec::new(), MAX_CONFIRMED + 1);
        filtered(
            short.as_bytes(),
            filter,
            credentials,
            &mut leaked,
            &mut budget,
        );
        assert!(budget > 0);
        assert_eq!(leaked.iter().filter(|&&f| f).count(), PIECE + 1);

        for len in [300, 600, 800, 1000, 1100, FILTERED_PIECES + PIECE - 1] {
            let credential = long_credential(len, len as u64);
            let credentials: &[&[u8]] = &[&credential];
            assert!(
                matches!(secrets_of(credentials).index, Index::Filter(_)),
                "{len}"
            );
            // A piece of it in a sentence, found by both indexes.
            let text = format!(
                "saw {} here",
                std::str::from_utf8(&credential[len / 2..len / 2 + 12]).unwrap()
            );
            assert_eq!(
                scrub(&text, &secrets_of(credentials)),
                "saw [redacted] here"
            );
            assert_eq!(
                scrub(&text, &Secrets::tabled(credentials)),
                "saw [redacted] here"
            );
        }
        let past = long_credential(FILTERED_PIECES + 8, 5);
        assert!(matches!(secrets_of(&[&past]).index, Index::Table(_)));
    }

    #[test]
    fn every_piece_at_every_offset_is_found() {
        // The usual token (the small filter), a longer one (the filter), a short one (the small
        // filter too, and the table) and two at once: every 8-byte piece and every 7-byte one
        // of each, placed at
        // every offset of a sentence, as the brute force says (a gram missed by the stride
        // would leave one piece through at some offset).
        let usual = long_credential(177, 11);
        let long = long_credential(900, 12);
        let short = long_credential(30, 13);
        let second = long_credential(120, 14);
        let cases: [(&str, Vec<&[u8]>); 5] = [
            ("small filter", vec![&usual]),
            ("filter", vec![&long]),
            ("short", vec![&short]),
            ("table", vec![&short]),
            ("two credentials", vec![&usual, &second]),
        ];
        for (name, credentials) in cases {
            let secrets = match name {
                "table" => Secrets::tabled(&credentials),
                _ => secrets_of(&credentials),
            };
            for credential in &credentials {
                for len in [PIECE - 1, PIECE, PIECE + 1] {
                    for start in 0..credential.len() - len {
                        let piece = std::str::from_utf8(&credential[start..start + len]).unwrap();
                        for offset in 0..STRIDE + 2 {
                            let text = format!("{}{piece} (s)", " ".repeat(offset));
                            let out = scrub(&text, &secrets);
                            assert_eq!(out, scrub_naive(&text, &credentials), "{name} {text}");
                            if len >= PIECE {
                                assert!(out.contains("[redacted]"), "{name} {text}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_length_of_credential_and_sentence() {
        // The filter takes a credential's grams two a step and a sentence's four a step, each
        // with a tail: credentials of every length modulo two strides, for each filter, and
        // sentences of every length modulo four around every piece of them, as the brute force.
        let small = (SMALL_FILTER_WORDS, PIECE..=50);
        let large = (
            FILTER_WORDS,
            SMALL_FILTERED_PIECES + 8..=SMALL_FILTERED_PIECES + 18,
        );
        for (words, lens) in [small, large] {
            for len in lens {
                let credential = long_credential(len, len as u64);
                let credentials: &[&[u8]] = &[&credential];
                let secrets = secrets_of(credentials);
                let index = match secrets.index {
                    Index::SmallFilter(_) => SMALL_FILTER_WORDS,
                    Index::Filter(_) => FILTER_WORDS,
                    _ => 0,
                };
                assert_eq!(index, words, "{len}");
                for start in 0..len - PIECE {
                    let piece = std::str::from_utf8(&credential[start..start + PIECE]).unwrap();
                    for (before, after) in [(0, 0), (1, 2), (2, 1), (3, 3), (5, 0), (0, 7)] {
                        let text = format!("{}{piece}{}", " ".repeat(before), ".".repeat(after));
                        let out = scrub(&text, &secrets);
                        assert_eq!(out, scrub_naive(&text, credentials), "{len} {text}");
                        assert!(out.contains("[redacted]"), "{len} {text}");
                    }
                }
            }
        }
    }

    #[test]
    fn credentials_of_every_byte_value() {
        // All 256 byte values, in order and reversed: the gram keys of every byte, the NUL
        // one (key 0) included; sentences take the ASCII windows (a sentence is UTF-8).
        let ascending: Vec<u8> = (0..=255).collect();
        let descending: Vec<u8> = (0..=255).rev().collect();
        for credential in [&ascending, &descending] {
            let credentials: &[&[u8]] = &[credential];
            let secrets = secrets_of(credentials);
            for (start, window) in credential.windows(PIECE + 2).enumerate() {
                let Ok(piece) = std::str::from_utf8(window) else {
                    continue;
                };
                let text = format!("at {start}: {piece}.");
                assert_eq!(
                    scrub(&text, &secrets),
                    scrub_naive(&text, credentials),
                    "{start}"
                );
            }
        }
    }

    proptest! {
        /// Long credentials (600-2000 bytes, the signed JWTs of production): the filter redacts
        /// what the brute force and the table, the path they took before, do.
        #[test]
        fn long_credentials_redact_as_the_table_did(
            lens in prop::collection::vec(600usize..2000, 1..3),
            seed in any::<u64>(),
            cuts in prop::collection::vec((0usize..2000, 0usize..20), 0..4),
            noise in "[A-Za-z0-9_ .-]{0,80}",
        ) {
            let credentials: Vec<Vec<u8>> = lens
                .iter()
                .enumerate()
                .map(|(i, &len)| long_credential(len, seed.wrapping_add(i as u64)))
                .collect();
            let refs: Vec<&[u8]> = credentials.iter().map(Vec::as_slice).collect();
            // A sentence of noise and slices of the credentials, some shorter than a piece.
            let mut text = noise.clone();
            for (k, &(at, len)) in cuts.iter().enumerate() {
                let c = &credentials[k % credentials.len()];
                let at = at % c.len();
                let end = (at + len).min(c.len());
                text.push_str(std::str::from_utf8(&c[at..end]).unwrap());
                text.push_str(&noise[..noise.len().min(k * 3)]);
            }
            let filtered = secrets_of(&refs);
            prop_assert!(matches!(filtered.index, Index::Filter(_) | Index::Table(_)));
            let out = scrub(&text, &filtered).into_owned();
            prop_assert_eq!(&out, &scrub(&text, &Secrets::tabled(&refs)).into_owned());
            prop_assert_eq!(&out, &scrub_naive(&text, &refs));
        }

        #[test]
        fn redacts_exactly_the_pieces(
            credentials in prop::collection::vec(prop::collection::vec(prop::sample::select(b"ab8\0".to_vec()), 0..40), 0..4),
            many in 0usize..3,
            text in "[ab8\0x]{0,60}",
        ) {
            // Sometimes a longer credential, so that the filter and the table are used too.
            let mut credentials = credentials;
            if many > 0 {
                credentials.push(b"ab".repeat(many * FILTERED_PIECES / 2 - 60));
            }
            let refs: Vec<&[u8]> = credentials.iter().map(Vec::as_slice).collect();
            let secrets = secrets_of(&refs);
            prop_assert_eq!(scrub(&text, &secrets).into_owned(), scrub_naive(&text, &refs));
        }
    }

    #[test]
    fn a_set_finds_what_it_holds_and_nothing_else() {
        let mut set = PieceSet::with_room_for(1000);
        for key in 1..=1000u64 {
            set.insert(key * 7919);
        }
        assert!((1..=1000u64).all(|k| set.contains(k * 7919)));
        assert!(!(1..=1000u64).any(|k| set.contains(k * 7919 + 1)));
        // Past its room a set drops keys rather than fill up: look-ups still end.
        let mut tiny = PieceSet::with_room_for(1);
        (1..10u64).for_each(|k| tiny.insert(k));
        assert_eq!(tiny.len, 1);
        assert!(tiny.contains(1) && !tiny.contains(99));
        assert!(!PieceSet::default().contains(5));
    }
}
