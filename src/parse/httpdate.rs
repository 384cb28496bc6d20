//! RFC 9110 HTTP dates (IMF-fixdate, RFC 850, asctime), for hmac-auth's Date/X-Date.

use crate::parse::jwt::civil_from_days;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Unix seconds, or `None` for anything that is not one of the three formats.
pub fn parse(value: &str) -> Option<i64> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    match parts.as_slice() {
        // Sun, 06 Nov 1994 08:49:37 GMT
        [_, day, month, year, time, "GMT"] => build(year.parse().ok()?, month, day, time),
        // Sunday, 06-Nov-94 08:49:37 GMT
        [_, date, time, "GMT"] => {
            let mut it = date.split('-');
            let (day, month, year) = (it.next()?, it.next()?, it.next()?);
            let year: i64 = year.parse().ok()?;
            let year = if year < 70 {
                2000 + year
            } else if year < 100 {
                1900 + year
            } else {
                year
            };
            // As a four-digit year would be read: no sign, no more than a u16.
            build(u16::try_from(year).ok()?, month, day, time)
        }
        // Sun Nov  6 08:49:37 1994
        [_, month, day, time, year] => build(year.parse().ok()?, month, day, time),
        _ => None,
    }
}

fn build(year: u16, month: &str, day: &str, time: &str) -> Option<i64> {
    // Unsigned parses: no sign, no overflow in the arithmetic below.
    let year = i64::from(year);
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let day = i64::from(day.parse::<u8>().ok()?);
    let mut hms = time.split(':').map(|p| p.parse::<u8>().ok().map(i64::from));
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 || !(1970..=9999).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // Reject dates like Feb 31 that do not round-trip.
    let (y2, m2, d2) = civil_from_days(days);
    if (y2, i64::from(m2), i64::from(d2)) != (year, month, day) {
        return None;
    }
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_formats() {
        let t = 784_111_777;
        assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
        assert_eq!(parse("Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
        assert_eq!(parse("Sun Nov  6 08:49:37 1994"), Some(t));
        for bad in [
            "",
            "yesterday",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "1764331200",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    /// The RFC 850 date as it was read before (its year through a decimal string), the
    /// oracle.
    fn rfc850_as_before(value: &str) -> Option<i64> {
        let parts: Vec<&str> = value.split_whitespace().collect();
        let [_, date, time, "GMT"] = parts.as_slice() else {
            return parse(value);
        };
        let mut it = date.split('-');
        let (day, month, year) = (it.next()?, it.next()?, it.next()?);
        let year: i64 = year.parse().ok()?;
        let year = if year < 70 {
            2000 + year
        } else if year < 100 {
            1900 + year
        } else {
            year
        };
        parse(&format!("Sun, {day} {month} {year} {time} GMT"))
            .filter(|_| year.to_string().parse::<u16>().is_ok())
    }

    #[test]
    fn rfc850_years_as_before() {
        for year in [
            "94",
            "05",
            "69",
            "70",
            "99",
            "100",
            "1994",
            "-5",
            "+5",
            "-2000",
            "-70",
            "0",
            "00",
            "65535",
            "65536",
            "-1",
            "9999",
            "10000",
            "99999999999999999999",
            "x",
            "",
            "+1994",
        ] {
            let date = format!("Sunday, 06-Nov-{year} 08:49:37 GMT");
            assert_eq!(parse(&date), rfc850_as_before(&date), "{date}");
        }
        assert_eq!(
            parse("Sunday, 06-Nov-05 08:49:37 GMT"),
            parse("Sun, 06 Nov 2005 08:49:37 GMT")
        );
    }
}
