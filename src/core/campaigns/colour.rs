//! Theme colours: what the prompt UI can put in a CSS custom property without surprises.
//!
//! Accepted: `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`; `rgb(...)`, `rgba(...)`, `hsl(...)`, `hsla(...)` whose
//! arguments are numbers, percentages, `deg`, `/`, commas and spaces; `transparent` and `currentColor`. Named
//! colours other than those are rejected (a typo in a name would silently fall back in the browser), as is
//! anything that could end a CSS declaration (`;`, `}`, quotes, `url(`).

pub fn is_colour(text: &str) -> bool {
    let bytes = text.as_bytes();
    if let Some(hex) = bytes.strip_prefix(b"#") {
        return matches!(hex.len(), 3 | 4 | 6 | 8) && hex.iter().all(u8::is_ascii_hexdigit);
    }
    if text.eq_ignore_ascii_case("transparent") || text.eq_ignore_ascii_case("currentcolor") {
        return true;
    }
    // A function: its name is what comes before the first `(`, compared byte by byte without a lowercased copy
    // (`rgb` or `hsl`, then an optional `a`: `x | 0x20 == b'a'` only for `a` and `A`).
    let Some(open) = bytes.iter().position(|&b| b == b'(') else {
        return false;
    };
    let (name, args) = bytes.split_at(open);
    let named = match name {
        [f @ .., a] if f.len() == 3 && *a | 0x20 == b'a' => f,
        f => f,
    };
    if !(named.eq_ignore_ascii_case(b"rgb") || named.eq_ignore_ascii_case(b"hsl")) {
        return false;
    }
    let Some(args) = args[1..].strip_suffix(b")") else {
        return false;
    };
    // A digit is required, so the arguments are never blank.
    args.iter().any(u8::is_ascii_digit)
        && args
            .iter()
            .all(|b| b.is_ascii_digit() || b" .,%/+-degturnadDEGTURNAD".contains(b))
}

#[cfg(test)]
mod tests {
    use super::is_colour;

    #[test]
    fn colours() {
        for ok in [
            "#fff",
            "#FFFA",
            "#1a2b3c",
            "#1a2b3c80",
            "rgb(0, 128, 255)",
            "rgba(0 0 0 / 50%)",
            "hsl(120deg 50% 50%)",
            "HSLA(120DEG 50% 50% / .5)",
            "Rgb(1,2,3)",
            "transparent",
            "currentColor",
        ] {
            assert!(is_colour(ok), "{ok}");
        }
        for bad in [
            "",
            "red",
            "#ggg",
            "#12345",
            "rgb(",
            "rgb()",
            "rgb(1,2,3); color: red",
            "url(x)",
            "rgb(x)",
            "rgb( )",
            "rgbx(1,2,3)",
            "rgb(1,2,3",
        ] {
            assert!(!is_colour(bad), "{bad}");
        }
    }

    /// What the check was first written as must agree with it (it was rewritten for size).
    #[test]
    fn agrees_with_its_first_form() {
        fn then(text: &str) -> bool {
            let bytes = text.as_bytes();
            if let Some(hex) = bytes.strip_prefix(b"#") {
                return matches!(hex.len(), 3 | 4 | 6 | 8) && hex.iter().all(u8::is_ascii_hexdigit);
            }
            if text.eq_ignore_ascii_case("transparent") || text.eq_ignore_ascii_case("currentcolor")
            {
                return true;
            }
            for f in ["rgba(", "rgb(", "hsla(", "hsl("] {
                let Some(head) = bytes.get(..f.len()) else {
                    continue;
                };
                if !head.eq_ignore_ascii_case(f.as_bytes()) {
                    continue;
                }
                let Some(args) = bytes[f.len()..].strip_suffix(b")") else {
                    return false;
                };
                return args.iter().any(u8::is_ascii_digit)
                    && args
                        .iter()
                        .all(|b| b.is_ascii_digit() || b" .,%/+-degturnadDEGTURNAD".contains(b));
            }
            false
        }
        let names = [
            "",
            "r",
            "rg",
            "rgb",
            "rgba",
            "RgBA",
            "rgbb",
            "rgbaa",
            "hsl",
            "hsla",
            "HSLa",
            "hs",
            "hsv",
            "xrgb",
            "#",
            "#f",
            "#ff",
            "#fff",
            "#ffff",
            "#fffff",
            "#ffffff",
            "#fffffff",
            "#ffffffff",
            "#fg0",
            "(",
            "a",
        ];
        let args = [
            "",
            "(",
            ")",
            "()",
            "(1)",
            "(1",
            "((1)",
            "(1))",
            "(1,2 3%/.5deg)",
            "( )",
            "(x)",
            "(1;)",
            "(a)",
        ];
        for n in names {
            for a in args {
                let t = [n, a].concat();
                assert_eq!(is_colour(&t), then(&t), "{t:?}");
            }
        }
        for t in [
            "transparent",
            "TRANSPARENT",
            "currentColor",
            "currentcolour",
            "transparent)",
        ] {
            assert_eq!(is_colour(t), then(t), "{t:?}");
        }
    }
}
