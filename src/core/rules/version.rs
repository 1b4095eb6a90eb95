//! Semantic versions, compared the way GrowthBook compares them (`paddedVersionString`), so a version rule
//! agrees with GrowthBook's `$vgt` & co.
//!
//! A version becomes a string that orders correctly byte by byte: the leading `v` and any `+build` are dropped,
//! it is split on `.` and `-`, numeric parts are left-padded with spaces to five characters, and a plain
//! `x.y.z` gets a trailing `~` part so that it sorts after its own pre-releases (`1.0.0-beta` < `1.0.0`).

/// The comparable form of a version string.
pub fn padded(input: &str) -> String {
    // GrowthBook reads an empty version as "0".
    let input = if input.is_empty() { "0" } else { input };
    let s = input.strip_prefix("v").unwrap_or(input);
    // One pass over the bytes, cutting at `+` and splitting at `.` and `-` (all ASCII, so every cut is on a
    // character boundary): `split` with a char-set pattern and a collected list cost more wasm.
    let end = crate::core::url::find_byte(s, b'+').unwrap_or(s.len());
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(end * 2 + 8);
    let mut parts = 0;
    let mut start = 0;
    for i in 0..=end {
        let b = bytes.get(i).copied();
        if i < end && !matches!(b, Some(b'.' | b'-')) {
            continue;
        }
        let p = s.get(start..i).unwrap_or_default();
        if parts > 0 {
            out.push('-');
        }
        if crate::core::json::digits_value(p).is_some() {
            for _ in p.len()..5 {
                out.push(' ');
            }
        }
        out.push_str(p);
        parts += 1;
        start = i + 1;
    }
    if parts == 3 {
        out.push_str("-~");
    }
    out
}

/// The comparable form of a number used as a version (GrowthBook stringifies it first).
pub fn padded_number(n: f64) -> String {
    let mut s = String::new();
    crate::core::json::write_number(n, &mut s);
    padded(&s)
}

/// Whether a version literal is well formed: `1`, `1.2`, `1.2.3`, optionally with a leading `v`, a
/// `-pre.release` and a `+build`.
pub fn is_valid_version(s: &str) -> bool {
    let s = s.strip_prefix('v').unwrap_or(s);
    let (s, build) = match s.split_once('+') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let (core, pre) = match s.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let ident = |x: &str| {
        !x.is_empty()
            && x.split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    !core.is_empty()
        && core.split('.').count() <= 4
        && core
            .split('.')
            .all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
        && !matches!(pre, Some(p) if !ident(p))
        && !matches!(build, Some(b) if !ident(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_like_semver() {
        let ordered = [
            "0.9.9",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.10.0",
            "v2.0.0+build.5",
        ];
        for w in ordered.windows(2) {
            assert!(padded(w[0]) < padded(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(padded("v1.2.3+build"), padded("1.2.3"));
    }

    /// The definition `padded` implements in one pass: split on `.` and `-`, pad the numeric parts.
    fn reference(input: &str) -> String {
        let input = if input.is_empty() { "0" } else { input };
        let s = input.strip_prefix('v').unwrap_or(input);
        let s = s.split('+').next().unwrap_or_default();
        let parts: Vec<&str> = s.split(['.', '-']).collect();
        let mut out = Vec::new();
        for p in &parts {
            let pad = if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                " ".repeat(5usize.saturating_sub(p.len()))
            } else {
                String::new()
            };
            out.push(pad + p);
        }
        let mut out = out.join("-");
        if parts.len() == 3 {
            out.push_str("-~");
        }
        out
    }

    #[test]
    fn pads_as_defined() {
        for v in [
            "",
            "v",
            "1",
            "1.2",
            "1.2.3",
            "v1.2.3",
            "1.2.3-beta.1",
            "1.2.3+sha.abc",
            "+",
            "1+2+3",
            ".",
            "-",
            "..",
            "1..2",
            "1.2.",
            "123456.7",
            "vv1",
            "1.2.3.4",
            "é.1-ü",
            "1-2-3",
            "a.b.c",
        ] {
            assert_eq!(padded(v), reference(v), "{v:?}");
        }
    }

    #[test]
    fn validates_literals() {
        for ok in [
            "1",
            "1.2",
            "1.2.3",
            "v1.2.3",
            "1.2.3-beta.1",
            "1.2.3+sha.abc",
        ] {
            assert!(is_valid_version(ok), "{ok}");
        }
        for bad in ["", "v", "1..2", "1.2.x", "1.2.3-", "a.b.c", "1.2.3.4.5"] {
            assert!(!is_valid_version(bad), "{bad}");
        }
    }
}
