//! Every limit on how much of a request the filter looks at. A request is attacker-controlled:
//! these keep the work per request small and bounded whatever arrives.

/// Request headers examined; the rest are ignored, and the diagnosis says so.
pub const MAX_HEADERS: usize = 256;
/// Bytes of a token decoded as a JWT; a longer token is described but not decoded.
pub const MAX_JWT_BYTES: usize = 16 * 1024;
/// Nesting depth accepted in a JWT header or payload (serde_json refuses past 128 on its own).
pub const MAX_JSON_DEPTH: usize = 32;
/// Query parameters and cookies examined.
pub const MAX_PARAMS: usize = 64;
/// Length of the response header, in bytes (SPEC section 4).
pub const MAX_HEADER_BYTES: usize = 1024;
/// Length of one `detail` or `hint` sentence, in bytes.
pub const MAX_SENTENCE_BYTES: usize = 300;
/// Diagnoses kept for one response.
pub const MAX_DIAGNOSES: usize = 8;
