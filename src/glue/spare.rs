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
}

impl Spare {
    /// The buffers, allocated now.
    pub fn allocate() -> Spare {
        Spare {
            response: Headers::lend(
                &mut Headers::default(),
                RESPONSE_HEADERS.len(),
                RESPONSE_NAMES,
                RESPONSE_BYTES,
            ),
            names: Vec::with_capacity(REQUEST_HEADERS * NAME_BYTES),
            spans: Vec::with_capacity(REQUEST_HEADERS),
        }
    }

    /// Takes back from a 401's response and request the buffers it was lent (those it has
    /// while the spare's are empty); the others are the 401's own, freed with it.
    pub fn take_back(&mut self, response: Headers, request: Headers) {
        if self.response.room() == (0, 0, 0) {
            self.response = response;
        }
        let (names, spans) = request.into_buffers();
        if self.names.capacity() == 0 {
            self.names = names;
        }
        if self.spans.capacity() == 0 {
            self.spans = spans;
        }
    }
}
