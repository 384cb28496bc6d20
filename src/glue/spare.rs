//! The buffers a 401 reads into, kept by the worker from one 401 to the next: an allocation and
//! a free cost ~300 wasm instructions each, on every 401.
//!
//! They are allocated first at configure, so that they lie below every request's buffers:
//! ngx_wasm_module writes past the pairs buffer it sizes too short (98+ request headers;
//! tests/host/tests/real_filter.rs, `short_pairs_buffers`), and a block that lives from one
//! request to the next must not lie in its way. For the same reason they are never grown (a
//! grown buffer is freed, leaving a hole among the blocks that live on, and allocated anew among
//! a request's): a request they are too small for reads into its own buffers, as without them
//! (`parse::pairs::lend`), and the text buffer and the decision's lists are sized for the most
//! a 401 can write or find.

use super::gather::{RESPONSE_BYTES, RESPONSE_HEADERS, RESPONSE_NAMES};
use crate::bounds::{MAX_CREDENTIALS, MAX_DIAGNOSES, MAX_HEADER_BYTES, MAX_SENTENCE_BYTES};
use crate::decide::diagnose::Lists;
use crate::diagnosis::Diagnosis;
use crate::parse::pairs::Span;
use crate::parse::request::Headers;

/// The pairs ngx_wasm_module hands over at most (src/http/ngx_http_wasm.h:16).
const REQUEST_HEADERS: usize = 100;
/// Name bytes per request header the names buffer has room for, on average.
const NAME_BYTES: usize = 16;

/// Room of the text buffer: the longest header value with a member written before it is found
/// not to fit (a detail and a hint of `MAX_SENTENCE_BYTES` each, every byte escaped at worst),
/// and the longest log line. A config can lengthen only the summary hints, by its places: see
/// [`text_fits`].
pub(super) const TEXT_BYTES: usize = MAX_HEADER_BYTES + 4 * MAX_SENTENCE_BYTES + 512;

/// Whether every header value and log line fits the text buffer on a route that accepts
/// credentials at `places`: a summary member is its code, plugin, place and fixed hint (well
/// under 512 bytes), then the places, every byte escaped at worst.
pub(super) fn text_fits(places: &str) -> bool {
    MAX_HEADER_BYTES + 512 + 2 * places.len() <= TEXT_BYTES
}

/// The buffers; each empty while a request has it.
#[derive(Default)]
pub(super) struct Spare {
    /// The response headers the diagnosis reads.
    pub response: Headers,
    /// The request's header names, lowercased, one after the other.
    pub names: Vec<u8>,
    /// Where each request header lies in the host's buffer.
    pub spans: Vec<Span>,
    /// The decision's diagnoses and credentials (never grown either: the credentials' has room
    /// for `MAX_CREDENTIALS`, the diagnoses move to a list of their own when full).
    pub lists: Lists,
    /// What a 401 writes its header value and then its log line into.
    pub text: String,
    /// The names' block as allocated: its address and room.
    names_block: Block,
    /// The spans' block as allocated.
    spans_block: Block,
    /// The diagnoses' block as allocated.
    diagnoses_block: Block,
    /// The credentials' block as allocated.
    credentials_block: Block,
    /// The text's block as allocated.
    text_block: Block,
}

/// A buffer's address and room: a buffer handed back is taken only if it is the very block
/// allocated at configure (a reader that had to start a buffer of its own, such as the header
/// names' lossy fallback, hands back one that lies among the request's buffers).
type Block = (usize, usize);

/// A buffer of the spare's: its block.
trait Kept {
    fn block(&self) -> Block;
}

impl<T> Kept for Vec<T> {
    fn block(&self) -> Block {
        (self.as_ptr() as usize, self.capacity())
    }
}

impl Kept for String {
    fn block(&self) -> Block {
        (self.as_ptr() as usize, self.capacity())
    }
}

fn block(buffer: &impl Kept) -> Block {
    buffer.block()
}

impl Spare {
    /// The buffers, allocated now.
    pub fn allocate() -> Spare {
        let names = Vec::with_capacity(REQUEST_HEADERS * NAME_BYTES);
        let spans = Vec::with_capacity(REQUEST_HEADERS);
        let lists = Lists {
            diagnoses: Vec::with_capacity(MAX_DIAGNOSES),
            credentials: Vec::with_capacity(MAX_CREDENTIALS),
        };
        let text = String::with_capacity(TEXT_BYTES);
        Spare {
            response: Headers::lend(
                &mut Headers::default(),
                RESPONSE_HEADERS.len(),
                RESPONSE_NAMES,
                RESPONSE_BYTES,
            ),
            names_block: block(&names),
            spans_block: block(&spans),
            diagnoses_block: block(&lists.diagnoses),
            credentials_block: block(&lists.credentials),
            text_block: block(&text),
            names,
            spans,
            lists,
            text,
        }
    }

    /// Lets the text buffer go when a route's accepted `places` could outgrow it: its 401s then
    /// write into text of their own.
    pub fn fit_text(&mut self, places: &str) {
        if !text_fits(places) {
            self.text = String::new();
        }
    }

    /// Takes back from a 401's response, request, diagnoses and text the buffers it was lent
    /// (those it has while the spare's are empty, and, for the others, the very blocks allocated
    /// at configure); the others are the 401's own, freed with it.
    pub fn take_back(
        &mut self,
        response: Headers,
        request: Headers,
        diagnoses: Vec<Diagnosis>,
        text: String,
    ) {
        // The response's buffers are never replaced while lent (`gather::response` moves to
        // buffers of its own and hands these back untouched when a value does not fit).
        if self.response.room() == (0, 0, 0) {
            self.response = response;
        }
        let (names, spans) = request.into_buffers();
        if self.names.capacity() == 0 && block(&names) == self.names_block {
            self.names = names;
        }
        if self.spans.capacity() == 0 && block(&spans) == self.spans_block {
            self.spans = spans;
        }
        if self.lists.diagnoses.capacity() == 0 && block(&diagnoses) == self.diagnoses_block {
            let mut diagnoses = diagnoses;
            diagnoses.clear();
            self.lists.diagnoses = diagnoses;
        }
        if self.text.capacity() == 0 && block(&text) == self.text_block {
            self.text = text;
        }
        // The decision hands its credentials' list back itself: kept only if it is the block.
        if block(&self.lists.credentials) != self.credentials_block {
            self.lists.credentials = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::exposure::{self, Tier};
    use crate::diagnosis::{At, Code, Plugin};
    use crate::output::fingerprint::Fingerprint;
    use crate::output::logline::{self, Correlation};
    use crate::parse::pairs::{parse_into, tests::serialize};

    fn request(spare: &mut Spare, pairs: &[(&[u8], &[u8])]) -> Headers {
        let pairs = parse_into(serialize(pairs), &mut spare.spans);
        Headers::from_wire_into(pairs, &mut spare.names)
    }

    /// Lent, read into and taken back: the same blocks, again and again; a request whose
    /// names are not UTF-8 (read into buffers of the lossy fallback's own) leaves them empty,
    /// and later requests read into their own.
    #[test]
    fn only_the_blocks_allocated_at_configure_are_taken_back() {
        let mut spare = Spare::allocate();
        let (names, spans) = (spare.names_block, spare.spans_block);
        for _ in 0..3 {
            let read = request(&mut spare, &[(b":path", b"/"), (b"Apikey", b"k")]);
            assert_eq!(spare.names.capacity(), 0, "lent");
            assert_eq!(read.first("apikey"), Some(&b"k"[..]));
            spare.take_back(Headers::default(), read, Vec::new(), String::new());
            assert_eq!((block(&spare.names), block(&spare.spans)), (names, spans));
        }
        let lossy = request(&mut spare, &[(b"x-\xff", b"v")]);
        assert_eq!(lossy.iter().count(), 1);
        spare.take_back(Headers::default(), lossy, Vec::new(), String::new());
        assert_eq!(
            spare.names.capacity(),
            0,
            "not the block allocated at configure"
        );
        let read = request(&mut spare, &[(b"apikey", b"k")]);
        assert_eq!(read.first("apikey"), Some(&b"k"[..]));
    }
    /// The decision's lists: the configure blocks come back (emptied), a list grown or made
    /// during a request does not.
    #[test]
    fn only_the_decision_lists_allocated_at_configure_are_kept() {
        let mut spare = Spare::allocate();
        let (diagnoses, credentials) = (spare.diagnoses_block, spare.credentials_block);
        for _ in 0..3 {
            let mut lent = std::mem::take(&mut spare.lists.diagnoses);
            lent.push(Diagnosis::new(Code::JwtExpired, "d", "h"));
            spare.take_back(Headers::default(), Headers::default(), lent, String::new());
            assert_eq!(block(&spare.lists.diagnoses), diagnoses);
            assert!(spare.lists.diagnoses.is_empty(), "emptied");
            assert_eq!(block(&spare.lists.credentials), credentials);
        }
        let mut grown = std::mem::take(&mut spare.lists.diagnoses);
        grown.extend((0..=MAX_DIAGNOSES).map(|_| Diagnosis::new(Code::Unknown, "", "")));
        spare.lists.credentials.reserve(MAX_CREDENTIALS + 1);
        spare.take_back(Headers::default(), Headers::default(), grown, String::new());
        assert_eq!(spare.lists.diagnoses.capacity(), 0, "grown: not kept");
        assert_eq!(spare.lists.credentials.capacity(), 0, "grown: not kept");
    }

    /// The text: its configure block comes back, one grown for a long write does not, and a
    /// route whose places could outgrow it keeps none.
    #[test]
    fn only_the_text_allocated_at_configure_is_kept() {
        let mut spare = Spare::allocate();
        let kept = spare.text_block;
        for _ in 0..3 {
            let mut text = std::mem::take(&mut spare.text);
            text.push_str("auth-diagnosis status=401");
            spare.take_back(Headers::default(), Headers::default(), Vec::new(), text);
            assert_eq!(block(&spare.text), kept);
        }
        let mut grown = std::mem::take(&mut spare.text);
        grown.push_str(&"x".repeat(TEXT_BYTES + 1));
        spare.take_back(Headers::default(), Headers::default(), Vec::new(), grown);
        assert_eq!(spare.text.capacity(), 0, "grown: not kept");
        let mut spare = Spare::allocate();
        spare.fit_text(&"p".repeat(TEXT_BYTES));
        assert_eq!(spare.text.capacity(), 0, "places too long: none kept");
    }

    /// The text buffer holds the longest header value and log line without growing: eight
    /// diagnoses of the longest code, every sentence and correlation value at its bound and made
    /// of bytes that escaping doubles; and every summary member of a route whose places are the
    /// longest that `text_fits`. Longer places: no buffer kept.
    #[test]
    fn the_longest_header_and_log_line_fit_the_text_buffer() {
        let quotes = |n: usize| "\"".repeat(n);
        let longest = Code::ALL
            .into_iter()
            .max_by_key(|c| c.as_str().len())
            .unwrap();
        let sentence = quotes(MAX_SENTENCE_BYTES);
        let diagnoses: Vec<Diagnosis> = (0..MAX_DIAGNOSES)
            .map(|_| {
                Diagnosis::new(longest, sentence.clone(), sentence.clone())
                    .plugin(Plugin::OpenidConnect)
                    .at(At::Upstream)
            })
            .collect();
        let every_code: Vec<Diagnosis> = Code::ALL
            .into_iter()
            .map(|c| {
                Diagnosis::new(c, "", "")
                    .plugin(Plugin::OpenidConnect)
                    .at(At::Upstream)
            })
            .collect();
        let places = quotes((TEXT_BYTES - MAX_HEADER_BYTES - 512) / 2);
        assert!(text_fits(&places) && !text_fits(&quotes(places.len() + 1)));
        let value = quotes(128);
        let correlation = Correlation {
            request_id: Some(&value),
            route: Some(&value),
            client: Some(&value),
        };
        let credential = Fingerprint {
            kind: "a-kind-longer-than-any-this-crate-names",
            len: usize::MAX,
            sha256: "1a2b3c4d".into(),
        };
        let mut text = String::with_capacity(TEXT_BYTES);
        let kept = block(&text);
        // The header grows longest when the members before the last that fits end just short
        // of MAX_HEADER_BYTES: the first member's hint takes every length, and the summary's
        // codes every order.
        for hint in 0..=MAX_SENTENCE_BYTES {
            let mut full = diagnoses.clone();
            full[0].hint = quotes(hint).into();
            assert!(exposure::write_header_value(
                &mut text,
                &full,
                Tier::Full,
                &places
            ));
            assert_eq!(
                block(&text),
                kept,
                "full, hint {hint}: {} bytes",
                text.len()
            );
        }
        for turn in 0..every_code.len() {
            let mut summary = every_code.clone();
            summary.rotate_left(turn);
            assert!(exposure::write_header_value(
                &mut text,
                &summary,
                Tier::Summary,
                &places
            ));
            assert_eq!(
                block(&text),
                kept,
                "summary, turn {turn}: {} bytes",
                text.len()
            );
        }
        text.clear();
        logline::render_into(
            &mut text,
            u16::MAX,
            &diagnoses,
            &correlation,
            Some(&credential),
        );
        assert_eq!(block(&text), kept, "log line: {} bytes", text.len());
    }
}
