//! Time as the SDK sees it: epoch milliseconds in, ISO-8601 UTC text out.
//!
//! Written by hand (Howard Hinnant's civil-from-days algorithm) so the wasm build carries no date library and no
//! `core::fmt` on the hot path of every event.

use super::json::write_padded;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// Whether `interval` has passed since `last` at `now`. A `last` that seems to lie ahead was taken on a clock since
/// set back, and counts as passed: what it holds back is due at once, not once the clock has caught up with it
/// (docs/sdk.md, "When the clock jumps").
pub fn elapsed(last: Millis, now: Millis, interval: Millis) -> bool {
    !(0..interval).contains(&(now - last))
}

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;
/// The range of a JavaScript `Date`: ±8.64e15 ms around the epoch. Times read from storage or configs are held
/// within it, so adding a bounded duration to one cannot overflow.
pub const MAX_DATE_MS: Millis = 8_640_000_000_000_000;

/// Appends `ms` as `YYYY-MM-DDTHH:MM:SS.mmmZ`. Years outside 0..=9999 are clamped into that range.
pub fn write_iso8601(ms: Millis, out: &mut String) {
    let days = ms.div_euclid(DAY);
    let in_day = ms.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    write_padded(y.clamp(0, 9999) as u64, 4, out);
    out.push('-');
    write_padded(m.into(), 2, out);
    out.push('-');
    write_padded(d.into(), 2, out);
    out.push('T');
    write_padded((in_day / HOUR) as u64, 2, out);
    out.push(':');
    write_padded((in_day % HOUR / MINUTE) as u64, 2, out);
    out.push(':');
    write_padded((in_day % MINUTE / SECOND) as u64, 2, out);
    out.push('.');
    write_padded((in_day % SECOND) as u64, 3, out);
    out.push('Z');
}

pub fn iso8601(ms: Millis) -> String {
    let mut s = String::with_capacity(24);
    write_iso8601(ms, &mut s);
    s
}

/// (year, month 1..=12, day 1..=31) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since 1970-01-01 of a civil date (the inverse of `civil_from_days`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)` into epoch milliseconds; `None` when malformed.
pub fn parse_iso8601(s: &str) -> Option<Millis> {
    let b = s.as_bytes();
    let mut f = [0i64; 6];
    read_fields(b, 0, b"0000-00-00T00:00:00", &mut f)?;
    let [y, mo, d, h, mi, sec] = f;
    // Month and day from 1, the others from 0; a leap second allowed.
    let max = [9999, 12, days_in_month(y, mo), 23, 59, 60];
    for k in 0..6 {
        if f[k] < i64::from(k == 1 || k == 2) || f[k] > max[k] {
            return None;
        }
    }
    let mut i = 19;
    let mut frac_ms = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 3 {
                frac_ms = frac_ms * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        let digits = i - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..3 {
            frac_ms *= 10;
        }
    }
    let offset_min = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() => {
            let mut o = [0i64; 2];
            read_fields(b, i + 1, b"00:00", &mut o)?;
            let m = o[0] * 60 + o[1];
            if sign == b'-' {
                -m
            } else {
                m
            }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    Some(days * DAY + h * HOUR + mi * MINUTE + sec * SECOND + frac_ms - offset_min * MINUTE)
}

/// Reads `b` from `from` against `template`: a `0` is a digit, a `T` also matches `t` or a space, any other byte
/// matches itself and ends a field. Each run of digits is one number of `fields`, in order. One loop for the
/// date, the time and the offset, rather than a bounds check and a digit fold per field.
fn read_fields(b: &[u8], from: usize, template: &[u8], fields: &mut [i64]) -> Option<()> {
    let mut k = 0;
    for (j, &t) in template.iter().enumerate() {
        let c = *b.get(from + j)?;
        if t == b'0' {
            if !c.is_ascii_digit() {
                return None;
            }
            let f = fields.get_mut(k)?;
            *f = *f * 10 + i64::from(c - b'0');
        } else if c == t || (t == b'T' && matches!(c, b't' | b' ')) {
            k += 1;
        } else {
            return None;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_795_621_321_123), "2026-11-25T15:42:01.123Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn parses_what_it_formats_and_offsets() {
        for ms in [0, 1, 951_782_400_000, 1_795_621_321_123, 4_102_444_800_000] {
            assert_eq!(parse_iso8601(&iso8601(ms)), Some(ms));
        }
        assert_eq!(
            parse_iso8601("2026-11-25T16:42:01.123+01:00"),
            Some(1_795_621_321_123)
        );
        assert_eq!(
            parse_iso8601("2026-11-25T15:42:01Z"),
            Some(1_795_621_321_000)
        );
        assert_eq!(
            parse_iso8601("2026-11-25T15:42:01.1234567Z"),
            Some(1_795_621_321_123)
        );
    }

    #[test]
    fn rejects_malformed_times() {
        for s in [
            "",
            "2026-11-25",
            "2026-13-01T00:00:00Z",
            "2026-11-25T15:42:01",
            "2026-11-25T15:42:01.Z",
            "x026-11-25T15:42:01Z",
            "2026-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
        ] {
            assert_eq!(parse_iso8601(s), None, "{s}");
        }
    }

    /// What the parser was first written as (a bounds check and digit fold per field) must agree with it.
    #[test]
    fn parse_agrees_with_its_first_form() {
        // Parses `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)` into epoch milliseconds; `None` when malformed.
        fn then(s: &str) -> Option<Millis> {
            let b = s.as_bytes();
            let num = |from: usize, len: usize| -> Option<i64> {
                let part = b.get(from..from + len)?;
                part.iter().try_fold(0i64, |acc, &c| {
                    c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
                })
            };
            if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ')
            {
                return None;
            }
            if b[13] != b':' || b[16] != b':' {
                return None;
            }
            let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
            let (h, mi, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
            if !(1..=12).contains(&mo)
                || d < 1
                || d > days_in_month(y, mo)
                || h > 23
                || mi > 59
                || sec > 60
            {
                return None;
            }
            let mut i = 19;
            let mut frac_ms = 0i64;
            if b.get(i) == Some(&b'.') {
                i += 1;
                let start = i;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    if i - start < 3 {
                        frac_ms = frac_ms * 10 + i64::from(b[i] - b'0');
                    }
                    i += 1;
                }
                let digits = i - start;
                if digits == 0 {
                    return None;
                }
                for _ in digits..3 {
                    frac_ms *= 10;
                }
            }
            let offset_min = match b.get(i) {
                Some(b'Z' | b'z') if i + 1 == b.len() => 0,
                Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
                    let m = num(i + 1, 2)? * 60 + num(i + 4, 2)?;
                    if sign == b'-' {
                        -m
                    } else {
                        m
                    }
                }
                _ => return None,
            };
            let days = days_from_civil(y, mo as u32, d as u32);
            Some(days * DAY + h * HOUR + mi * MINUTE + sec * SECOND + frac_ms - offset_min * MINUTE)
        }

        let valid = [
            "2026-11-25T15:42:01Z",
            "2026-11-25t15:42:01.1z",
            "2024-02-29 23:59:60.999+14:00",
            "0000-01-01T00:00:00.12345-09:30",
        ];
        let mut cases = 0;
        for v in valid {
            assert!(then(v).is_some(), "{v}");
            // Every byte replaced by each of a set of others (one not ASCII), dropped, or the text cut there.
            for at in 0..v.len() {
                let (head, tail) = (&v[..at], &v[at + 1..]);
                let dropped = [head, tail].concat();
                assert_eq!(parse_iso8601(head), then(head), "{head}");
                assert_eq!(parse_iso8601(&dropped), then(&dropped), "{dropped}");
                for c in "0129-:.Tt Zz+x\u{e9}".chars() {
                    let m = [head, c.encode_utf8(&mut [0; 4]), tail].concat();
                    assert_eq!(parse_iso8601(&m), then(&m), "{m}");
                    cases += 1;
                }
            }
        }
        assert!(cases > 1000);
    }
}
