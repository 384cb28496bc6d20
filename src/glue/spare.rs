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
    /// The names' block as allocated: its address and room.
    names_block: Block,
    /// The spans' block as allocated.
    spans_block: Block,
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
        Spare {
            response: Headers::lend(
                &mut Headers::default(),
                RESPONSE_HEADERS.len(),
                RESPONSE_NAMES,
                RESPONSE_BYTES,
            ),
            names_block: block(&names),
            spans_block: block(&spans),
            names,
            spans,
        }
    }

    /// Takes back from a 401's response and request the buffers it was lent (those it has
    /// while the spare's are empty, and, for the request's, the very blocks allocated at
    /// configure); the others are the 401's own, freed with it.
    pub fn take_back(&mut self, response: Headers, request: Headers) {
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
            spare.take_back(Headers::default(), read);
            assert_eq!((block(&spare.names), block(&spare.spans)), (names, spans));
        }
        let lossy = request(&mut spare, &[(b"x-\xff", b"v")]);
        assert_eq!(lossy.iter().count(), 1);
        spare.take_back(Headers::default(), lossy);
        assert_eq!(
            spare.names.capacity(),
            0,
            "not the block allocated at configure"
        );
        let read = request(&mut spare, &[(b"apikey", b"k")]);
        assert_eq!(read.first("apikey"), Some(&b"k"[..]));
    }
}
