//! The log flood guard (SPEC section 6): at most `log_rate` diagnosis lines per second per worker,
//! in bursts of up to `log_rate`; what is held back is counted by its first code and summed up in
//! one line. The counters are not gated: they count every annotated response.

use crate::diagnosis::Code;
use crate::output::logline::push_pair;

/// One token a line, counted in thousandths so that refills need no floating point.
const MILLI: u64 = 1000;

/// A token bucket per worker, and the tally of what it held back.
#[derive(Debug)]
pub struct LogGate {
    /// Lines per second; 0 lets everything through.
    rate: u64,
    /// Tokens left, in thousandths.
    tokens: u64,
    /// Host time of the last refill, in milliseconds.
    last_ms: u64,
    /// Lines held back since the last summary.
    held_total: u64,
    /// The same, by first code ([`Code::ALL`] order).
    held: [u32; Code::ALL.len()],
    /// Host time of the first line held back since the last summary.
    held_since_ms: Option<u64>,
}

impl LogGate {
    /// A full bucket: the first `rate` lines pass at once.
    pub fn new(rate: u32) -> Self {
        LogGate {
            rate: u64::from(rate),
            tokens: u64::from(rate) * MILLI,
            last_ms: 0,
            held_total: 0,
            held: [0; Code::ALL.len()],
            held_since_ms: None,
        }
    }

    /// Whether a line may be written at `now_ms`. Asked before the diagnosis, so that a line held
    /// back costs no sentence: tell [`LogGate::hold`] its code once it is known.
    pub fn admit(&mut self, now_ms: u64) -> bool {
        if self.rate == 0 {
            return true;
        }
        let elapsed = now_ms.saturating_sub(self.last_ms);
        self.last_ms = self.last_ms.max(now_ms);
        let capacity = self.rate * MILLI;
        self.tokens = capacity.min(
            self.tokens
                .saturating_add(elapsed.saturating_mul(self.rate)),
        );
        if self.tokens >= MILLI {
            self.tokens -= MILLI;
            return true;
        }
        false
    }

    /// Counts a line [`LogGate::admit`] held back, by its first code, for the summary.
    pub fn hold(&mut self, now_ms: u64, code: Option<Code>) {
        let index = code.and_then(|c| Code::ALL.iter().position(|k| *k == c));
        if let Some(count) = index.and_then(|i| self.held.get_mut(i)) {
            *count = count.saturating_add(1);
        }
        self.held_total = self.held_total.saturating_add(1);
        self.held_since_ms.get_or_insert(now_ms);
    }

    /// One strict-logfmt line summing up what was held back since the last summary, and a fresh
    /// tally; `None` when nothing was held back, or the first of it less than `min_age_ms` ago.
    /// `auth-diagnosis held_back=9940 seconds=5 held_codes="stripped-by-proxy=9940"`.
    pub fn summary(&mut self, now_ms: u64, min_age_ms: u64) -> Option<String> {
        let since = self
            .held_since_ms
            .filter(|since| now_ms.saturating_sub(*since) >= min_age_ms)?;
        self.held_since_ms = None;
        let total = std::mem::take(&mut self.held_total);
        let mut codes = String::with_capacity(64);
        for (code, &n) in Code::ALL.iter().zip(&self.held) {
            if n > 0 {
                if !codes.is_empty() {
                    codes.push(',');
                }
                codes.push_str(code.as_str());
                codes.push('=');
                codes.push_str(&n.to_string());
            }
        }
        self.held = [0; Code::ALL.len()];
        let seconds = now_ms.saturating_sub(since).div_ceil(1000).max(1);
        let mut line = String::from("auth-diagnosis");
        push_pair(&mut line, "held_back", &total.to_string());
        push_pair(&mut line, "seconds", &seconds.to_string());
        push_pair(&mut line, "held_codes", &codes);
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the glue does with a line: admit it, or hold it back under its code.
    fn offer(gate: &mut LogGate, now_ms: u64, code: Option<Code>) -> bool {
        let admitted = gate.admit(now_ms);
        if !admitted {
            gate.hold(now_ms, code);
        }
        admitted
    }

    #[test]
    fn unlimited_lets_everything_through() {
        let mut gate = LogGate::new(0);
        assert!((0..10_000).all(|_| offer(&mut gate, 5, Some(Code::Unknown))));
        assert_eq!(gate.summary(10, 0), None);
    }

    #[test]
    fn a_flood_in_one_second_writes_a_burst_and_one_summary() {
        let mut gate = LogGate::new(20);
        let start = 1_764_331_200_000;
        // 10,000 requests within one second of host time (one every 0.1 ms).
        let written = (0..10_000u64)
            .filter(|i| {
                let code = if i % 4 == 0 {
                    Code::JwtExpired
                } else {
                    Code::StrippedByProxy
                };
                offer(&mut gate, start + i / 10, Some(code))
            })
            .count();
        // The burst of 20, plus the 20 lines a second refills (999 ms of it).
        assert!((20..=40).contains(&written), "{written}");
        assert_eq!(gate.summary(start + 999, 5000), None, "not due yet");
        let summary = gate.summary(start + 1000, 0).unwrap();
        let held = 10_000 - written;
        assert!(
            summary.starts_with(&format!("auth-diagnosis held_back={held} seconds=1 ")),
            "{summary}"
        );
        // Most likely cause first, as everywhere.
        assert!(
            summary.contains("held_codes=\"stripped-by-proxy="),
            "{summary}"
        );
        assert!(summary.contains(",jwt-expired="), "{summary}");
        assert_eq!(
            gate.summary(start + 2000, 0),
            None,
            "the tally starts afresh"
        );
    }

    #[test]
    fn a_steady_trickle_is_never_held_back() {
        let mut gate = LogGate::new(5);
        // One line every 250 ms: 4 a second, under the rate.
        assert!((0..1000u64).all(|i| offer(&mut gate, i * 250, Some(Code::NoCredentials))));
    }

    #[test]
    fn time_going_backwards_refills_nothing() {
        let mut gate = LogGate::new(1);
        assert!(offer(&mut gate, 10_000, None));
        assert!(!offer(&mut gate, 5_000, None));
        assert!(!offer(&mut gate, 10_500, None));
        assert!(offer(&mut gate, 11_000, None));
        assert!(gate
            .summary(11_000, 0)
            .unwrap()
            .contains("held_back=2 seconds=6 held_codes=\"\""));
    }
}
