//! Durations as the config writes them: `30s`, `10m`, `1h30m`, `7d`, `2w`, `500ms` (the rule language's units).

/// Parses a duration to milliseconds. `None` for anything else: empty text, a missing or unknown unit, a
/// sign, spaces, or an overflow.
pub fn parse(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let mut n: i64 = 0;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            n = n.checked_mul(10)?.checked_add(i64::from(bytes[i] - b'0'))?;
            i += 1;
        }
        if i == start {
            return None;
        }
        let unit: i64 = if bytes[i..].starts_with(b"ms") {
            i += 2;
            1
        } else {
            let u = match bytes.get(i) {
                Some(b's') => 1_000,
                Some(b'm') => 60_000,
                Some(b'h') => 3_600_000,
                Some(b'd') => 86_400_000,
                Some(b'w') => 7 * 86_400_000,
                _ => return None,
            };
            i += 1;
            u
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn units_and_sums() {
        assert_eq!(parse("500ms"), Some(500));
        assert_eq!(parse("30s"), Some(30_000));
        assert_eq!(parse("10m"), Some(600_000));
        assert_eq!(parse("1h30m"), Some(5_400_000));
        assert_eq!(parse("7d"), Some(604_800_000));
        assert_eq!(parse("2w"), Some(1_209_600_000));
        assert_eq!(parse("0s"), Some(0));
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "10",
            "m",
            "10x",
            "-5s",
            "1.5h",
            "10 m",
            "5s ",
            "99999999999999999999d",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
