//! Case folding without the standard library's Unicode tables.
//!
//! `char::to_lowercase` and `to_uppercase` carry about 30 KB of tables into the wasm. Case-insensitive operators
//! (`$regexi`, `$ini`, `$alli`, the `(?i)` regex flag) fold with this module instead: ASCII, Latin-1, Latin
//! Extended-A, Greek, Cyrillic and Armenian, which is where nearly all case-sensitive text in web analytics lives.
//! Characters outside those blocks are left as they are (so `Ⓐ` and `ⓐ` do not match case-insensitively).

/// The simple lowercase of `c` in the covered blocks; `c` itself elsewhere.
pub fn lower(c: char) -> char {
    let u = c as u32;
    let mapped = match u {
        0x41..=0x5A | 0xC0..=0xD6 | 0xD8..=0xDE => u + 0x20,
        0x0130 => 0x69,
        0x0178 => 0xFF,
        0x0100..=0x012F | 0x0132..=0x0137 | 0x014A..=0x0177 if u % 2 == 0 => u + 1,
        0x0139..=0x0148 | 0x0179..=0x017E if u % 2 == 1 => u + 1,
        0x0386 => 0x03AC,
        0x0388..=0x038A => u + 0x25,
        0x038C => 0x03CC,
        0x038E..=0x038F => u + 0x3F,
        0x0391..=0x03A1 | 0x03A3..=0x03AB => u + 0x20,
        0x0400..=0x040F => u + 0x50,
        0x0410..=0x042F => u + 0x20,
        0x0460..=0x0481 | 0x048A..=0x04BF | 0x04D0..=0x052F if u % 2 == 0 => u + 1,
        0x04C0 => 0x04CF,
        0x04C1..=0x04CE if u % 2 == 1 => u + 1,
        0x0531..=0x0556 => u + 0x30,
        _ => u,
    };
    char::from_u32(mapped).unwrap_or(c)
}

/// The simple uppercase of `c` in the covered blocks; `c` itself elsewhere.
pub fn upper(c: char) -> char {
    let u = c as u32;
    let mapped = match u {
        0x61..=0x7A | 0xE0..=0xF6 | 0xF8..=0xFE => u - 0x20,
        0xFF => 0x0178,
        0xB5 => 0x039C,
        0x0131 => 0x49,
        0x017F => 0x53,
        0x0100..=0x012F | 0x0132..=0x0137 | 0x014A..=0x0177 if u % 2 == 1 => u - 1,
        0x0139..=0x0148 | 0x0179..=0x017E if u % 2 == 0 => u - 1,
        0x03AC => 0x0386,
        0x03AD..=0x03AF => u - 0x25,
        0x03CC => 0x038C,
        0x03CD..=0x03CE => u - 0x3F,
        0x03C2 => 0x03A3,
        0x03B1..=0x03C1 | 0x03C3..=0x03CB => u - 0x20,
        0x0450..=0x045F => u - 0x50,
        0x0430..=0x044F => u - 0x20,
        0x0460..=0x0481 | 0x048A..=0x04BF | 0x04D0..=0x052F if u % 2 == 1 => u - 1,
        0x04CF => 0x04C0,
        0x04C1..=0x04CE if u % 2 == 0 => u - 1,
        0x0561..=0x0586 => u - 0x30,
        _ => u,
    };
    char::from_u32(mapped).unwrap_or(c)
}

/// `s` with every character folded by [`lower`].
pub fn lower_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        out.push(lower(c));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks where this module must agree with the standard library's simple mappings.
    const COVERED: [(u32, u32); 6] = [
        (0x00, 0x7F),
        (0x80, 0xFF),
        (0x0100, 0x017F),
        (0x0370, 0x03FF),
        (0x0400, 0x052F),
        (0x0530, 0x058F),
    ];

    fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
        let first = it.next()?;
        it.next().is_none().then_some(first)
    }

    #[test]
    fn agrees_with_std_in_the_covered_blocks() {
        let mut checked = 0;
        for (lo, hi) in COVERED {
            for c in (lo..=hi).filter_map(char::from_u32) {
                // Greek blocks hold archaic letters and symbols this module leaves alone; the std mapping is only
                // required for the letters text actually uses.
                let modern_greek = (0x0386..=0x03CE).contains(&(c as u32));
                let greek_block = (0x0370..=0x03FF).contains(&(c as u32));
                if greek_block && !modern_greek {
                    continue;
                }
                if let Some(l) = single(c.to_lowercase()) {
                    if l != c || lower(c) != c {
                        assert_eq!(lower(c), l, "lower {c:?} U+{:04X}", c as u32);
                    }
                }
                if let Some(u) = single(c.to_uppercase()) {
                    if u != c || upper(c) != c {
                        assert_eq!(upper(c), u, "upper {c:?} U+{:04X}", c as u32);
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 800, "{checked}");
    }

    #[test]
    fn folds_strings_and_leaves_other_scripts() {
        assert_eq!(
            lower_str("ÉCOLE Straße ΑΘΗΝΑ Москва"),
            "école straße αθηνα москва"
        );
        assert_eq!(lower('Ⓐ'), 'Ⓐ');
        assert_eq!(lower('日'), '日');
        assert_eq!(upper('ÿ'), 'Ÿ');
    }
}
