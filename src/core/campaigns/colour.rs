//! Theme colours: what the prompt UI can put in a CSS custom property without surprises.
//!
//! Accepted: `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`; `rgb(...)`, `rgba(...)`, `hsl(...)`, `hsla(...)` whose
//! arguments are numbers, percentages, `deg`, `/`, commas and spaces; `transparent` and `currentColor`. Named
//! colours other than those are rejected (a typo in a name would silently fall back in the browser), as is
//! anything that could end a CSS declaration (`;`, `}`, quotes, `url(`).

pub fn is_colour(text: &str) -> bool {
    if let Some(hex) = text.strip_prefix('#') {
        return matches!(hex.len(), 3 | 4 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if text.eq_ignore_ascii_case("transparent") || text.eq_ignore_ascii_case("currentcolor") {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    for f in ["rgba(", "rgb(", "hsla(", "hsl("] {
        if let Some(rest) = lower.strip_prefix(f) {
            let Some(args) = rest.strip_suffix(')') else {
                return false;
            };
            return !args.trim().is_empty()
                && args.bytes().any(|b| b.is_ascii_digit())
                && args
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b" .,%/+-degturnad".contains(&b));
        }
    }
    false
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
            "transparent",
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
        ] {
            assert!(!is_colour(bad), "{bad}");
        }
    }
}
