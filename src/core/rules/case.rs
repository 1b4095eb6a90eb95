//! Case folding without the standard library's Unicode tables.
//!
//! `char::to_lowercase` and `to_uppercase` carry about 30 KB of tables into the wasm. Case-insensitive operators
//! (`$regexi`, `$ini`, `$alli`, the `(?i)` regex flag) fold with this module instead: ASCII, Latin-1, Latin
//! Extended-A, Greek, Cyrillic and Armenian, which is where nearly all case-sensitive text in web analytics lives.
//! Characters outside those blocks are left as they are (so `Ⓐ` and `ⓐ` do not match case-insensitively).

/// A row of a mapping: characters from `first` to `last` map to themselves plus `offset`, all of them ([`ALL`]),
/// or only the even ([`EVEN`]) or odd ([`ODD`]) ones. The first row that applies wins. Rows of data rather than a
/// `match`: the wasm holds them in fewer bytes than the comparisons a `match` compiles to.
type Row = (u16, u16, i16, u8);

const EVEN: u8 = 0;
const ODD: u8 = 1;
const ALL: u8 = 2;

const LOWER: [Row; 24] = [
    (0x41, 0x5A, 0x20, ALL),
    (0xC0, 0xD6, 0x20, ALL),
    (0xD8, 0xDE, 0x20, ALL),
    (0x0130, 0x0130, 0x69 - 0x0130, ALL),
    (0x0178, 0x0178, 0xFF - 0x0178, ALL),
    (0x0100, 0x012F, 1, EVEN),
    (0x0132, 0x0137, 1, EVEN),
    (0x014A, 0x0177, 1, EVEN),
    (0x0139, 0x0148, 1, ODD),
    (0x0179, 0x017E, 1, ODD),
    (0x0386, 0x0386, 0x03AC - 0x0386, ALL),
    (0x0388, 0x038A, 0x25, ALL),
    (0x038C, 0x038C, 0x03CC - 0x038C, ALL),
    (0x038E, 0x038F, 0x3F, ALL),
    (0x0391, 0x03A1, 0x20, ALL),
    (0x03A3, 0x03AB, 0x20, ALL),
    (0x0400, 0x040F, 0x50, ALL),
    (0x0410, 0x042F, 0x20, ALL),
    (0x0460, 0x0481, 1, EVEN),
    (0x048A, 0x04BF, 1, EVEN),
    (0x04D0, 0x052F, 1, EVEN),
    (0x04C0, 0x04C0, 0x04CF - 0x04C0, ALL),
    (0x04C1, 0x04CE, 1, ODD),
    (0x0531, 0x0556, 0x30, ALL),
];

const UPPER: [Row; 27] = [
    (0x61, 0x7A, -0x20, ALL),
    (0xE0, 0xF6, -0x20, ALL),
    (0xF8, 0xFE, -0x20, ALL),
    (0xFF, 0xFF, 0x0178 - 0xFF, ALL),
    (0xB5, 0xB5, 0x039C - 0xB5, ALL),
    (0x0131, 0x0131, 0x49 - 0x0131, ALL),
    (0x017F, 0x017F, 0x53 - 0x017F, ALL),
    (0x0100, 0x012F, -1, ODD),
    (0x0132, 0x0137, -1, ODD),
    (0x014A, 0x0177, -1, ODD),
    (0x0139, 0x0148, -1, EVEN),
    (0x0179, 0x017E, -1, EVEN),
    (0x03AC, 0x03AC, 0x0386 - 0x03AC, ALL),
    (0x03AD, 0x03AF, -0x25, ALL),
    (0x03CC, 0x03CC, 0x038C - 0x03CC, ALL),
    (0x03CD, 0x03CE, -0x3F, ALL),
    (0x03C2, 0x03C2, 0x03A3 - 0x03C2, ALL),
    (0x03B1, 0x03C1, -0x20, ALL),
    (0x03C3, 0x03CB, -0x20, ALL),
    (0x0450, 0x045F, -0x50, ALL),
    (0x0430, 0x044F, -0x20, ALL),
    (0x0460, 0x0481, -1, ODD),
    (0x048A, 0x04BF, -1, ODD),
    (0x04D0, 0x052F, -1, ODD),
    (0x04CF, 0x04CF, 0x04C0 - 0x04CF, ALL),
    (0x04C1, 0x04CE, -1, EVEN),
    (0x0561, 0x0586, -0x30, ALL),
];

fn map(c: char, rows: &[Row]) -> char {
    let u = c as u32;
    for &(first, last, offset, which) in rows {
        if u32::from(first) <= u
            && u <= u32::from(last)
            && (which == ALL || u % 2 == u32::from(which))
        {
            return char::from_u32(u.wrapping_add_signed(i32::from(offset))).unwrap_or(c);
        }
    }
    c
}

/// The simple lowercase of `c` in the covered blocks; `c` itself elsewhere.
pub fn lower(c: char) -> char {
    map(c, &LOWER)
}

/// The simple uppercase of `c` in the covered blocks; `c` itself elsewhere.
pub fn upper(c: char) -> char {
    map(c, &UPPER)
}

/// `s` as JavaScript's `toLowerCase()` writes it, in the covered blocks (what GrowthBook's `$ini`, `$nini` and
/// `$alli` compare): every character folded by [`lower`], but `İ` is `i` and a combining dot above (U+0307), and a
/// capital sigma ending a word is `ς` (Unicode's Final_Sigma: a cased letter before it and none after it, with
/// case-ignorable characters such as `.`, `'` and accents skipped both ways).
pub fn lower_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Whether the last character that is not case-ignorable is cased.
    let mut after_cased = false;
    let mut rest = s.chars();
    while let Some(c) = rest.next() {
        let final_sigma = c == '\u{3A3}'
            && after_cased
            && !rest.clone().find(|&n| !ignorable(n)).is_some_and(cased);
        out.push(if final_sigma { '\u{3C2}' } else { lower(c) });
        if c == '\u{130}' {
            out.push('\u{307}');
        }
        if !ignorable(c) {
            after_cased = cased(c);
        }
    }
    out
}

/// A letter with case, in the covered blocks: one that [`lower`] or [`upper`] changes. (Unicode's Cased also
/// holds a few lowercase letters with no single uppercase, `ß`, `ΐ`, `ª`, which a sigma next to them does not see.)
fn cased(c: char) -> bool {
    lower(c) != c || upper(c) != c
}

/// Unicode's Case_Ignorable characters in the covered blocks (modifier letters and symbols, combining marks, `'`,
/// `.`, `:`, the middle dots), and the apostrophes and dots of General Punctuation.
fn ignorable(c: char) -> bool {
    const SINGLE: [u16; 23] = [
        0x27, 0x2E, 0x3A, 0x5E, 0x60, 0xA8, 0xAD, 0xAF, 0xB4, 0xB7, 0xB8, 0x374, 0x375, 0x37A,
        0x384, 0x385, 0x387, 0x559, 0x55F, 0x2018, 0x2019, 0x2024, 0x2027,
    ];
    let u = c as u32;
    (0x2B0..=0x36F).contains(&u)
        || (0x483..=0x489).contains(&u)
        || (0x200B..=0x200F).contains(&u)
        || u16::try_from(u).is_ok_and(|u| SINGLE.contains(&u))
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

    /// What JavaScript's `toLowerCase()` gives (V8; checked for every character of the covered blocks before,
    /// between and after sigmas when this was written).
    #[test]
    fn lowers_strings_as_javascript_does() {
        for (s, js) in [
            ("İSTANBUL", "i\u{307}stanbul"),
            ("ΟΔΟΣ ΣΑΣ.", "οδος σας."),
            ("ΑΣ.Β ΑΣ1 Σ 1Σ", "ασ.β ας1 σ 1σ"),
            ("ΆΣ\u{301} ΑΣ’ ΑΣ\u{200D}", "άς\u{301} ας’ ας\u{200D}"),
            ("ΣΑ ΑΣ\u{301}Β", "σα ασ\u{301}β"),
        ] {
            assert_eq!(lower_str(s), js, "{s}");
        }
    }
}
