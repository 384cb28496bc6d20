//! The buffers a 401 reads into, kept by the worker from one 401 to the next: an allocation and
//! a free cost ~300 wasm instructions each, on every 401.
//!
//! They are allocated first at configure, so that they lie below every request's buffers:
//! ngx_wasm_module writes past the pairs buffer it sizes too short (98+ request headers;
//! tests/host/tests/real_filter.rs, `short_pairs_buffers`), and a block that lives from one
//! request to the next must not lie in its way. For the same reason they are never grown (a
//! grown buffer is freed, leaving a hole among the blocks that live on, and allocated anew among
//! a request's): a request they are too small for reads into its own buffers, as without them
//! (`parse::pairs::lend`).

use super::gather::{RESPONSE_BYTES, RESPONSE_HEADERS, RESPONSE_NAMES};
use crate::bounds::{MAX_CREDENTIALS, MAX_DIAGNOSES};
use crate::decide::diagnose::Lists;
use crate::diagnosis::Diagnosis;
use crate::parse::pairs::Span;
use crate::parse::request::Headers;

/// The pairs ngx_wasm_module hands over at most (src/http/ngx_http_wasm.h:16).
const REQUEST_HEADERS: usize = 100;
/// Name bytes per request header the names buffer has room for, on average.
const NAME_BYTES: usize = 16;

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
    /// The names' block as allocated: its address and room.
    names_block: Block,
    /// The spans' block as allocated.
    spans_block: Block,
    /// The diagnoses' block as allocated.
    diagnoses_block: Block,
    /// The credentials' block as allocated.
    credentials_block: Block,
}

/// A buffer's address and room: a buffer handed back is taken only if it is the very block
/// allocated at configure (a reader that had to start a buffer of its own, such as the header
/// names' lossy fallback, hands back one that lies among the request's buffers).
type Block = (usize, usize);

fn block<T>(buffer: &Vec<T>) -> Block {
    (buffer.as_ptr() as usize, buffer.capacity())
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
            names,
            spans,
            lists,
        }
    }

    /// Takes back from a 401's response, request and diagnoses the buffers it was lent (those
    /// it has while the spare's are empty, and, for the request's and the decision's, the very
    /// blocks allocated at configure); the others are the 401's own, freed with it.
    pub fn take_back(&mut self, response: Headers, request: Headers, diagnoses: Vec<Diagnosis>) {
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
        // The decision hands its credentials' list back itself: kept only if it is the block.
        if block(&self.lists.credentials) != self.credentials_block {
            self.lists.credentials = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
            spare.take_back(Headers::default(), read, Vec::new());
            assert_eq!((block(&spare.names), block(&spare.spans)), (names, spans));
        }
        let lossy = request(&mut spare, &[(b"x-\xff", b"v")]);
        assert_eq!(lossy.iter().count(), 1);
        spare.take_back(Headers::default(), lossy, Vec::new());
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
        use crate::diagnosis::Code;
        let mut spare = Spare::allocate();
        let (diagnoses, credentials) = (spare.diagnoses_block, spare.credentials_block);
        for _ in 0..3 {
            let mut lent = std::mem::take(&mut spare.lists.diagnoses);
            lent.push(Diagnosis::new(Code::JwtExpired, "d", "h"));
            spare.take_back(Headers::default(), Headers::default(), lent);
            assert_eq!(block(&spare.lists.diagnoses), diagnoses);
            assert!(spare.lists.diagnoses.is_empty(), "emptied");
            assert_eq!(block(&spare.lists.credentials), credentials);
        }
        let mut grown = std::mem::take(&mut spare.lists.diagnoses);
        grown.extend((0..=MAX_DIAGNOSES).map(|_| Diagnosis::new(Code::Unknown, "", "")));
        spare.lists.credentials.reserve(MAX_CREDENTIALS + 1);
        spare.take_back(Headers::default(), Headers::default(), grown);
        assert_eq!(spare.lists.diagnoses.capacity(), 0, "grown: not kept");
        assert_eq!(spare.lists.credentials.capacity(), 0, "grown: not kept");
    }
}
