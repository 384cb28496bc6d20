//! Pure readers of what the host hands over: they know the limits (`bounds`) and the shared
//! words (`diagnosis`), never the config, the decision or the outputs.

pub(crate) mod base64;
pub(crate) mod challenge;
pub(crate) mod cidr;
pub(crate) mod cookie;
pub(crate) mod decimal;
pub(crate) mod forwarding;
pub(crate) mod httpdate;
pub(crate) mod json;
pub(crate) mod jwt;
pub(crate) mod pairs;
pub(crate) mod request;
pub(crate) mod shape;
pub(crate) mod text;
