//! The `X-Auth-Diagnosis` value: an RFC 9651 List of Tokens with parameters, printable ASCII,
//! at most [`MAX_HEADER_BYTES`] long, members dropped from the end rather than cut.

use crate::bounds::MAX_HEADER_BYTES;
use crate::diagnosis::Diagnosis;
use crate::parse::text::{push_ascii, push_escaped};

/// Serializes the diagnoses, most likely first. `None` when there is nothing to say.
pub fn serialize(diagnoses: &[Diagnosis]) -> Option<String> {
    serialize_members(diagnoses.iter().map(member))
}

/// A diagnosis as a member with its own detail and hint.
pub fn member(d: &Diagnosis) -> Member<'_> {
    Member {
        diagnosis: d,
        detail: &d.detail,
        hint: [&d.hint, "", ""],
        plain: 0,
    }
}

/// One list member as it is written: the diagnosis's code, plugin and place, and a detail and a
/// hint given apart. The hint comes in pieces written one after the other, so that a summary's
/// fixed hint and the route's places are never joined into a copy just to be written.
pub struct Member<'a> {
    /// Code, plugin and where.
    pub diagnosis: &'a Diagnosis,
    /// The detail; empty to leave it out.
    pub detail: &'a str,
    /// The hint's pieces, in order; all empty to leave it out.
    pub hint: [&'a str; 3],
    /// How many of the hint's first pieces are known to be sf-string text already (printable
    /// ASCII without `"` or `\`, like the fixed hints): those are copied without being read.
    pub plain: usize,
}

/// Serializes members, written straight into the value (each is dropped again, whole, when it
/// does not fit). `None` when there is nothing to say.
pub fn serialize_members<'a>(members: impl IntoIterator<Item = Member<'a>>) -> Option<String> {
    let mut out = String::with_capacity(MAX_HEADER_BYTES);
    serialize_members_into(&mut out, members).then_some(out)
}

/// [`serialize_members`] into `out`, cleared first (the glue's buffer, kept from one 401 to the
/// next: an allocation and a free fewer on each). `false` when there is nothing to say.
pub fn serialize_members_into<'a>(
    out: &mut String,
    members: impl IntoIterator<Item = Member<'a>>,
) -> bool {
    out.clear();
    for m in members {
        let start = out.len();
        if start > 0 {
            out.push_str(", ");
        }
        write_member(out, &m, true);
        if out.len() > MAX_HEADER_BYTES {
            // `start` is where the last member ended, a char boundary: the value is ASCII.
            out.truncate(start);
            if start > 0 {
                break;
            }
            write_member(out, &m, false);
        }
    }
    !out.is_empty()
}

/// One list member; without `detail`/`hint` when `full` is false (a last resort for the first
/// member, so that the header always names the most likely cause).
fn write_member(out: &mut String, m: &Member<'_>, full: bool) {
    let d = m.diagnosis;
    out.push_str(d.code.as_str());
    if let Some(plugin) = d.plugin {
        out.push_str(";plugin=");
        out.push_str(plugin.as_str());
    }
    if let Some(at) = d.at {
        out.push_str(";at=");
        out.push_str(at.as_str());
    }
    if full {
        push_string_param(out, ";detail=\"", &[m.detail], 0);
        push_string_param(out, ";hint=\"", &m.hint, m.plain);
    }
}

/// A string parameter, `start` (`;key="`) then an sf-string from its pieces: printable ASCII
/// with `"` and `\` escaped; anything else becomes `?`. The first `plain` pieces are sf-string
/// text already. Left out when every piece is empty.
fn push_string_param(out: &mut String, start: &str, pieces: &[&str], plain: usize) {
    // `start` goes before the first piece that is not empty: one pass over the pieces.
    let mut started = false;
    for (i, piece) in pieces.iter().enumerate() {
        if piece.is_empty() {
            continue;
        }
        if !started {
            out.push_str(start);
            started = true;
        }
        if i < plain {
            out.push_str(piece);
        } else {
            push_escaped(out, piece);
        }
    }
    if started {
        push_ascii(out, "\"");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::{At, Code, Plugin};
    use sfv::{BareItem, ListEntry, Parser};

    fn parse(value: &str) -> Vec<(String, Vec<(String, String)>)> {
        let list: sfv::List = Parser::new(value).parse().expect("valid RFC 9651 list");
        list.into_iter()
            .map(|entry| match entry {
                ListEntry::Item(item) => {
                    let token = match item.bare_item {
                        BareItem::Token(t) => t.as_str().to_string(),
                        other => panic!("member is not a token: {other:?}"),
                    };
                    let params = item
                        .params
                        .iter()
                        .map(|(k, v)| {
                            let v = match v {
                                BareItem::Token(t) => t.as_str().to_string(),
                                BareItem::String(s) => s.as_str().to_string(),
                                other => panic!("unexpected param {other:?}"),
                            };
                            (k.as_str().to_string(), v)
                        })
                        .collect();
                    (token, params)
                }
                ListEntry::InnerList(_) => panic!("inner list"),
            })
            .collect()
    }

    #[test]
    fn round_trips_through_a_real_parser() {
        let d = vec![
            Diagnosis::new(
                Code::JwtExpired,
                "exp 2026-11-28T11:00:00Z is 3600 s before now; a \"quote\" and a \\ back\u{e9}",
                "get a new token",
            )
            .plugin(Plugin::Jwt)
            .at(At::Client),
            Diagnosis::new(Code::StrippedByProxy, "no credential", "").at(At::Proxy),
        ];
        let header = serialize(&d).unwrap();
        assert!(header.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        let parsed = parse(&header);
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].0, "jwt-expired");
        assert_eq!(parsed[0].1[0], ("plugin".into(), "jwt".into()));
        assert_eq!(parsed[0].1[1], ("at".into(), "client".into()));
        assert!(parsed[0].1[2].1.contains("a \"quote\" and a \\ back?"));
        assert_eq!(parsed[1].0, "stripped-by-proxy");
        assert_eq!(parsed[1].1.len(), 2, "empty hint is left out");
    }

    #[test]
    fn drops_members_never_cuts_them() {
        let long = "x".repeat(400);
        let d: Vec<_> = (0..6)
            .map(|_| Diagnosis::new(Code::Unknown, long.clone(), "h"))
            .collect();
        let header = serialize(&d).unwrap();
        assert!(header.len() <= MAX_HEADER_BYTES);
        let parsed = parse(&header);
        assert_eq!(parsed.len(), 2);
        assert!(parsed.iter().all(|(_, p)| p[0].1.len() == 400));
    }

    #[test]
    fn an_oversized_first_member_keeps_its_code() {
        let d = vec![Diagnosis::new(Code::NoCredentials, "y".repeat(2000), "")];
        let header = serialize(&d).unwrap();
        assert_eq!(header, "no-credentials");
    }

    #[test]
    fn nothing_to_say() {
        assert_eq!(serialize(&[]), None);
    }

    /// What an sf-string holds once parsed: each char outside printable ASCII as one `?`.
    fn as_parsed(text: &str) -> String {
        text.chars()
            .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
            .collect()
    }

    /// Every text the writers were checked on, in a detail and a hint: a valid RFC 9651 list
    /// whose strings parse back to the text (or the value is the bare code, when too long).
    fn parses_back(detail: &str, hint: &str) {
        let d = [Diagnosis::new(Code::Unknown, detail, hint.to_string()).at(At::Client)];
        let header = serialize(&d).unwrap();
        assert!(header.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        let parsed = parse(&header);
        assert_eq!(parsed.len(), 1);
        let expected: Vec<(String, String)> = [("detail", detail), ("hint", hint)]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_string(), as_parsed(v)))
            .collect();
        let params = parsed[0].1.get(1..).unwrap_or_default();
        if header.len() > "unknown;at=client".len() {
            assert_eq!(params, expected.as_slice(), "{header}");
        } else {
            assert!(params.is_empty(), "{header}");
        }
    }

    #[test]
    fn adversarial_text_parses_back() {
        let table = crate::parse::text::adversarial();
        for (detail, hint) in table.iter().zip(table.iter().rev()) {
            parses_back(detail, hint);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_back(detail in ".{0,200}", hint in "[\"\\\\ a\\x00-\\x1f\\x7f\\u{80}-\\u{7ff}]{0,60}") {
            parses_back(&detail, &hint);
        }
    }
}
