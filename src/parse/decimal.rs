//! The two facts the filter needs of a JSON number written with a fraction or an exponent, got
//! exactly from its decimal digits: whether it fits an f64 (serde_json refuses a document with
//! one that does not), and the integer part of the nearest f64 (how Kong's cjson, through
//! strtod, and serde_json read a NumericDate such as `1764327600.9999999999`, which is
//! 1764327601). core's float reading gives both too, at ~18 KB of `.wasm` (its tables and slow
//! path): this is a few hundred bytes, checked against it by the tests.

/// The integer part of the f64 nearest `text` (ties to even), saturated into i64 as `as`
/// does; `None` when that f64 is infinite. `text` is a number JSON's grammar accepted.
///
/// Never inlined: the rare path stays out of the JSON readers' hot loop.
#[inline(never)]
pub fn truncated(text: &str) -> Option<i64> {
    let d = Digits::of(text);
    if d.overflows() {
        return None;
    }
    let magnitude = d.truncated_magnitude();
    Some(if d.negative {
        0i64.checked_sub_unsigned(magnitude).unwrap_or(i64::MIN)
    } else {
        i64::try_from(magnitude).unwrap_or(i64::MAX)
    })
}

/// Whether the f64 nearest `text` is finite. `text` is a number JSON's grammar accepted.
pub fn fits_f64(text: &str) -> bool {
    !Digits::of(text).overflows()
}

/// `2^1024 - 2^970`, the halfway point between f64's largest value and the next power of two:
/// from there up, a number rounds to infinity (a tie rounds to the even significand, 2^1024).
const OVERFLOW: &[u8; 309] = b"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";

/// A number as `0.d1d2d3… × 10^exponent` with `d1` not zero (no digits: zero).
struct Digits<'a> {
    negative: bool,
    /// The digits before the point, then those after it (the point itself skipped).
    whole: &'a [u8],
    fraction: &'a [u8],
    /// Leading zeros to skip in `whole` then `fraction`.
    skip: usize,
    /// How many significant digits there are.
    count: usize,
    exponent: i64,
}

impl<'a> Digits<'a> {
    fn of(text: &'a str) -> Self {
        let text = text.as_bytes();
        let negative = text.first() == Some(&b'-');
        let unsigned = text.get(usize::from(negative)..).unwrap_or_default();
        let end_of_digits = |s: &[u8]| {
            s.iter()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(s.len())
        };
        let whole_len = end_of_digits(unsigned);
        let (whole, rest) = unsigned.split_at(whole_len);
        let (fraction, rest) = match rest.strip_prefix(b".") {
            Some(after) => after.split_at(end_of_digits(after)),
            None => (&[][..], rest),
        };
        // What follows is `e`/`E`, a sign and digits, or nothing.
        let mut written: i64 = 0;
        let mut minus = false;
        for &b in rest.get(1..).unwrap_or_default() {
            match b {
                b'-' => minus = true,
                b'0'..=b'9' => {
                    written = written
                        .saturating_mul(10)
                        .saturating_add(i64::from(b - b'0'))
                }
                _ => {}
            }
        }
        let total = whole.len() + fraction.len();
        let zeros = whole
            .iter()
            .chain(fraction)
            .position(|&b| b != b'0')
            .unwrap_or(total);
        // Counts of digits are far below i64::MAX; the written exponent saturates.
        let shift =
            i64::try_from(whole.len()).unwrap_or(i64::MAX) - i64::try_from(zeros).unwrap_or(0);
        Digits {
            negative,
            whole,
            fraction,
            skip: zeros,
            count: total - zeros,
            exponent: shift.saturating_add(if minus { -written } else { written }),
        }
    }

    /// The `i`-th significant digit (0 past the last).
    fn digit(&self, i: usize) -> u8 {
        let at = self.skip + i;
        let b = match at.checked_sub(self.whole.len()) {
            None => self.whole.get(at),
            Some(f) => self.fraction.get(f),
        };
        b.map_or(0, |b| b - b'0')
    }

    /// Whether the digits from `start` on, as a fraction `0.dd…`, are at least `0.bound…`
    /// (`bound` given as digit values, compared to its end; equal counts as at least).
    fn at_least(&self, start: usize, bound: &[u8]) -> bool {
        for (i, &b) in bound.iter().enumerate() {
            let d = self.digit(start + i);
            if d != b {
                return d > b;
            }
        }
        true
    }

    /// Whether any digit from `start` on is not zero.
    fn any_from(&self, start: usize) -> bool {
        (start..self.count).any(|i| self.digit(i) != 0)
    }

    /// Whether the nearest f64 is infinite.
    fn overflows(&self) -> bool {
        if self.count == 0 || self.exponent < 309 {
            return false;
        }
        if self.exponent > 309 {
            return true;
        }
        let bound: [u8; 309] = OVERFLOW.map(|b| b - b'0');
        self.at_least(0, &bound)
    }

    /// The integer part of the nearest f64, of the number without its sign, saturated at
    /// 10^19 (past i64 either way).
    fn truncated_magnitude(&self) -> u64 {
        if self.count == 0 || self.exponent < 0 {
            return 0; // below 0.1: nearer 0 than 1 at any precision
        }
        let Ok(whole_digits) = usize::try_from(self.exponent) else {
            return 0;
        };
        if whole_digits > 19 {
            return 10_000_000_000_000_000_000;
        }
        let mut n: u64 = 0;
        for i in 0..whole_digits {
            n = n * 10 + u64::from(self.digit(i));
        }
        let bits = 64 - n.leading_zeros(); // n < 2^bits
        if bits > 53 {
            // f64s are integers here, `unit` apart: round n + fraction to a multiple of it.
            let unit = 1u64 << (bits - 53);
            let (rest, half) = (n & (unit - 1), unit / 2);
            let odd = n & unit != 0;
            let up = rest > half || (rest == half && (self.any_from(whole_digits) || odd));
            return n - rest + if up { unit } else { 0 };
        }
        if bits == 53 {
            // Neighbouring f64s are 1 apart: the fraction rounds half to even.
            let first = self.digit(whole_digits);
            let up = first > 5 || (first == 5 && (self.any_from(whole_digits + 1) || n & 1 == 1));
            return n + u64::from(up);
        }
        // Below n + 1 the f64s are 2^-(53 - bits) apart (2^-53 below 1): the number rounds up
        // to n + 1 from n + 1 - 2^-(54 - bits) on (a tie goes to n + 1, whose significand is
        // even), i.e. when its fraction is at least 1 - 2^-j, whose j digits are 10^j - 5^j.
        let j = (54 - bits) as usize;
        let mut five = 5u128.pow(j as u32);
        let mut bound = [0u8; 54];
        for slot in bound.iter_mut().take(j).rev() {
            *slot = 9 - (five % 10) as u8;
            five /= 10;
        }
        if let Some(last) = bound.get_mut(j - 1) {
            *last += 1; // 10^j - 5^j = (99…9 - 5^j) + 1, and 5^j ends in 5: no carry
        }
        n + u64::from(self.at_least(whole_digits, bound.get(..j).unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What core's correctly rounded float reading makes of `text`.
    fn core(text: &str) -> Option<i64> {
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f as i64)
    }

    fn agree(text: &str) {
        assert_eq!(truncated(text), core(text), "{text}");
        assert_eq!(fits_f64(text), core(text).is_some(), "{text}");
    }

    #[test]
    fn the_edges() {
        let table = [
            "0.0",
            "-0",
            "-0.0",
            "0e999999999999",
            "1e-999999999999",
            "123e-400",
            "0.5",
            "0.99999999999999994",
            "0.99999999999999995",
            "0.999999999999999944488848768742172978818416595458984375",
            "0.999999999999999944488848768742172978818416595458984374",
            "0.99999999999999999999",
            "1.9999999999999999",
            "1.99999999999999989",
            "1764327600.9999999999",
            "1764327600.99999987",
            "1764327600.9999998",
            "-1764327600.9999999999",
            "1.5e9",
            "4503599627370495.5",
            "4503599627370496.5",
            "4503599627370497.5",
            "9007199254740992.5",
            "9007199254740993",
            "9007199254740993.0000001",
            "9007199254740995",
            "9007199254740994.9",
            "18014398509481990",
            "9223372036854775807.0",
            "9223372036854775295.9",
            "9223372036854775296",
            "-9223372036854775808.5",
            "-9223372036854776832",
            "9999999999999999999.5",
            "1e19",
            "1e20",
            "-1e20",
            "1e308",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "1e309",
            "-1e309",
            "1e999999999999",
            "0.1e310",
            "17976931348623158079e289",
            "17976931348623158078e289",
            "12345678901234567890123e-10",
        ];
        for text in table {
            agree(text);
        }
        // Exactly the halfway point to infinity, and one digit either side of it.
        let half = std::str::from_utf8(OVERFLOW).unwrap();
        agree(half);
        agree(&format!("{half}.0000000000001"));
        agree(&format!("{}1", &half[..308]));
        agree(&format!("{}e-1", &half[..308]));
    }

    /// The number forms the readers meet, and those near integers, near 2^53, 2^63 and f64's
    /// end, against core's reading.
    fn number() -> impl Strategy<Value = String> {
        let near = (0u64..u64::MAX, 1usize..25, "[0-9]{0,8}").prop_map(|(n, nines, tail)| {
            let n = n >> (n % 64);
            format!("{n}.{}{tail}", "9".repeat(nines))
        });
        let halfway = (0u64..u64::MAX, "[0-9]{0,3}").prop_map(|(n, tail)| {
            let n = n >> (n % 64);
            format!("{n}.5{tail}")
        });
        let big = (0u64..=u64::MAX, 0u32..4096, any::<bool>()).prop_map(|(n, spread, up)| {
            let base = 1u128 << (53 + spread % 11);
            let x = if up {
                base + u128::from(n % 4096)
            } else {
                base - u128::from(n % 4096)
            };
            format!("{x}.{}", n % 3)
        });
        let any = "-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,25})?([eE][+-]?[0-9]{1,3})?";
        let huge = "1797693134862315[0-9]{0,8}(\\.[0-9]{0,4})?e29[0-9]";
        prop_oneof![near, halfway, big, any, huge]
    }

    proptest! {
        #[test]
        fn reads_what_core_reads(text in number(), negative in any::<bool>()) {
            let text = if negative && !text.starts_with('-') { format!("-{text}") } else { text };
            agree(&text);
        }
    }
}
