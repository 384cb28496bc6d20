//! Redaction: no 8-byte piece of a credential on the request may appear in anything the filter
//! writes. Belt and braces over every place where request-controlled text could carry one.

use crate::bounds::MAX_INDEXED_PIECES;
use std::borrow::Cow;

/// Length of the pieces [`scrub`] looks for.
const PIECE: usize = 8;

/// The credentials of one request, with their pieces indexed once when there are not too many.
pub struct Secrets<'a> {
    credentials: &'a [&'a [u8]],
    /// How many 8-byte pieces the credentials have in all.
    pieces: usize,
    /// Every piece of every credential; `None` past [`MAX_INDEXED_PIECES`], where each sentence
    /// is indexed instead (bounded memory whatever the request carries).
    index: Option<PieceSet>,
}

impl<'a> Secrets<'a> {
    pub fn new(credentials: &'a [&'a [u8]]) -> Self {
        let pieces = pieces_in(credentials.iter().copied());
        let index = (pieces <= MAX_INDEXED_PIECES).then(|| {
            let mut set = PieceSet::with_room_for(pieces);
            for credential in credentials {
                for_each_piece(credential, |key| set.insert(key));
            }
            set
        });
        Secrets {
            credentials,
            pieces,
            index,
        }
    }

    fn is_empty(&self) -> bool {
        self.pieces == 0
    }

    #[cfg(test)]
    pub fn is_indexed(&self) -> bool {
        self.index.is_some()
    }

    /// The pieces of `text` that are credential pieces.
    fn found_in(&self, text: &[u8]) -> Cow<'_, PieceSet> {
        if let Some(index) = &self.index {
            return Cow::Borrowed(index);
        }
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

fn pieces_in<'c>(values: impl IntoIterator<Item = &'c [u8]>) -> usize {
    values
        .into_iter()
        .map(|v| v.len().saturating_sub(PIECE - 1))
        .fold(0, usize::saturating_add)
}

/// Calls `f` with the key of every 8-byte window of `bytes`, in order: a rolling key, one shift
/// per byte.
fn for_each_piece(bytes: &[u8], mut f: impl FnMut(u64)) {
    let mut key = 0u64;
    for (end, &b) in bytes.iter().enumerate() {
        key = (key << 8) | u64::from(b);
        if end + 1 >= PIECE {
            f(key);
        }
    }
}

/// Fibonacci hashing's multiplier: spreads the keys' bits into the upper half.
const HASH: u64 = 0x9E37_79B9_7F4A_7C15;

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
    let found = secrets.found_in(bytes);
    let found: &PieceSet = &found;
    let mut leaked: Vec<bool> = Vec::new();
    // The rolling key by hand: this loop runs for every byte of every sentence.
    let mut key = 0u64;
    for (end, &b) in bytes.iter().enumerate() {
        key = (key << 8) | u64::from(b);
        if end + 1 < PIECE || !found.contains(key) {
            continue;
        }
        if leaked.is_empty() {
            leaked = vec![false; bytes.len()];
        }
        for flag in leaked.iter_mut().skip(end + 1 - PIECE).take(PIECE) {
            *flag = true;
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

    #[test]
    fn pieces_are_redacted() {
        let key: &[&[u8]] = &[b"k3y-9f8e7d6c5b4a"];
        let secrets = Secrets::new(key);
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
        assert_eq!(scrub("short k3y", &Secrets::new(short)), "short k3y");
        assert_eq!(
            scrub("no secrets at all", &Secrets::new(&[])),
            "no secrets at all"
        );
        let nul: &[&[u8]] = &[b"\0\0\0\0\0\0\0\0\0"];
        assert_eq!(
            scrub("a\0\0\0\0\0\0\0\0b", &Secrets::new(nul)),
            "a[redacted]b"
        );
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
