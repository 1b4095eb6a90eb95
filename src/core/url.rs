//! Just enough URL handling for page context and attribution: split an absolute URL into its parts and read
//! decoded query parameters. The browser has already normalised `location.href`, so no validation beyond
//! splitting is needed; anything unparseable yields empty parts rather than an error.

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Url<'a> {
    pub scheme: &'a str,
    /// Host without port, lowercased by the browser.
    pub host: &'a str,
    /// Path, always starting with `/` when a host is present.
    pub path: &'a str,
    /// Query including the leading `?`, or empty: also for an empty query (`/p?`), as `location.search` is.
    pub search: &'a str,
    /// Fragment including the leading `#`, or empty.
    pub hash: &'a str,
}

impl<'a> Url<'a> {
    pub fn parse(href: &'a str) -> Url<'a> {
        // Offsets into `href`, sliced once at the end: every delimiter is ASCII, so each is a char boundary.
        let len = href.len();
        let cut = |from: usize, to: usize| href.get(from..to).unwrap_or_default();
        let hash = find_byte(href, b'#').unwrap_or(len);
        let query = find_byte(cut(0, hash), b'?').unwrap_or(hash);
        let (scheme_end, rest) = match find(cut(0, query), "://") {
            Some(i) => (i, i + 3),
            None => (0, 0),
        };
        // Without a scheme there is no authority: all of it is the path.
        let (authority_end, path) = if scheme_end == 0 {
            (rest, cut(rest, query))
        } else {
            match find_byte(cut(rest, query), b'/') {
                Some(i) => (rest + i, cut(rest + i, query)),
                None => (query, "/"),
            }
        };
        // The host follows any `user:password@`.
        let authority = cut(rest, authority_end);
        let host_port = authority
            .get(after_last_byte(authority, b'@')..)
            .unwrap_or_default();
        let host = match host_port.strip_prefix("[") {
            Some(v6) => before_byte(v6, b']'),
            None => before_byte(host_port, b':'),
        };
        Url {
            scheme: cut(0, scheme_end),
            host,
            path,
            // `location.search` of `/p?` is `""`: a lone `?` is no query.
            search: match cut(query, hash) {
                "?" => "",
                search => search,
            },
            hash: cut(hash, len),
        }
    }

    /// The URL without its fragment: two hrefs that differ only here are the same page.
    pub fn without_hash(href: &str) -> &str {
        before_byte(href, b'#')
    }

    /// The first value of a query parameter, percent-decoded (`+` is a space).
    pub fn query_param(&self, name: &str) -> Option<String> {
        query_value(self.search, name)
    }
}

/// The first value of the parameter `name` in a query string (with or without its `?`), percent-decoded (`+` is a
/// space).
pub fn query_value(search: &str, name: &str) -> Option<String> {
    query_pairs(search)
        .find(|(k, _)| decode(k) == name)
        .map(|(_, v)| decode(v))
}

/// Byte offset of the first `needle` in `haystack`. A plain window scan: `str::find` with a string pattern pulls
/// the Two-Way searcher (about 2 KB) into the wasm, and the texts searched here are short.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return Some(0);
    }
    h.windows(n.len()).position(|w| w == n)
}

/// Byte offset of the first `b`, an ASCII byte (so always at a character boundary). A byte scan: `str::find`,
/// `split` and `split_once` with a `char` bring in the char searcher and a copy of each adapter.
pub fn find_byte(s: &str, b: u8) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The text before the first `b` (an ASCII byte), or all of it.
pub fn before_byte(s: &str, b: u8) -> &str {
    match find_byte(s, b) {
        Some(i) => s.get(..i).unwrap_or_default(),
        None => s,
    }
}

/// The byte just after the last `b` (an ASCII byte, so that is a character boundary), 0 when there is none. A loop:
/// `rposition` comes out several times its size, and `rfind` brings in the reverse searcher.
pub fn after_last_byte(s: &str, b: u8) -> usize {
    let bytes = s.as_bytes();
    let mut i = bytes.len();
    while i > 0 && bytes[i - 1] != b {
        i -= 1;
    }
    i
}

/// The texts before and after the first `b` (an ASCII byte), as `str::split_once` with a `char`.
pub fn split_once_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = find_byte(s, b)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// The `i`th of the `sep`-separated fields of `table` (an ASCII separator), or "" past the last: as
/// `table.split(sep as char).nth(i)`, without the char searcher that a `char` pattern brings into the wasm.
pub fn nth_field(table: &str, sep: u8, i: usize) -> &str {
    let mut rest = table;
    for _ in 0..i {
        match split_once_byte(rest, sep) {
            Some((_, after)) => rest = after,
            None => return "",
        }
    }
    before_byte(rest, sep)
}

/// The place of `name` among the `sep`-separated fields of `table` (none of them empty), or the number of fields
/// when it is not one of them: as `table.split(sep as char).position(|f| f == name)`, built on [`nth_field`].
pub fn field_position(table: &str, sep: u8, name: &str) -> usize {
    let mut k = 0;
    loop {
        let field = nth_field(table, sep, k);
        if field.is_empty() || field == name {
            return k;
        }
        k += 1;
    }
}

/// Iterates `key=value` pairs of a query string (with or without its leading `?`), undecoded.
pub fn query_pairs(search: &str) -> QueryPairs<'_> {
    // Leading `?`s dropped with a plain loop: `trim_start_matches` is one more pattern instantiation.
    let mut search = search;
    while let Some(rest) = search.strip_prefix("?") {
        search = rest;
    }
    QueryPairs { rest: Some(search) }
}

/// The iterator of [`query_pairs`]: empty pairs are skipped, a pair without `=` has an empty value.
pub struct QueryPairs<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for QueryPairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        loop {
            let rest = self.rest?;
            let pair = match split_once_byte(rest, b'&') {
                Some((pair, after)) => {
                    self.rest = Some(after);
                    pair
                }
                None => {
                    self.rest = None;
                    rest
                }
            };
            if !pair.is_empty() {
                return Some(split_once_byte(pair, b'=').unwrap_or((pair, "")));
            }
        }
    }
}

/// Cuts a URL (or a part of one) to at most `max` bytes as [`clip`](super::message::clip) does, on a character
/// boundary, and then before any `%XX` escape the cut would split (a `%` in the last two bytes) and before the
/// escapes of a character that the cut leaves short of its UTF-8 bytes (`%C3` without its `%A9`): the cut text
/// decodes as the whole did, up to there.
#[inline(never)]
pub fn clip_url(s: &str, max: usize) -> &str {
    let cut = super::message::clip(s, max);
    let b = cut.as_bytes();
    let mut end = b.len();
    if end == s.len() {
        return cut;
    }
    // The byte at `i`, or 0 where there is none (`i` below 0 wraps to past the end).
    let byte = |i: usize| b.get(i).copied().unwrap_or(0);
    if byte(end.wrapping_sub(1)) == b'%' {
        end -= 1;
    } else if byte(end.wrapping_sub(2)) == b'%' {
        end -= 2;
    }
    // Back over the escapes of continuation bytes (`%8X`–`%BX`) to their lead byte's, which says how many bytes its
    // character needs: two for `%CX` and `%DX`, three for `%EX`, four for `%FX`.
    let (mut at, mut have) = (end, 1);
    while byte(at.wrapping_sub(3)) == b'%' {
        let bytes = match byte(at - 2) | 0x20 {
            b'8' | b'9' | b'a' | b'b' => 1,
            b'c' | b'd' => 2,
            b'e' => 3,
            b'f' => 4,
            _ => 0,
        };
        at -= 3;
        if bytes != 1 {
            if bytes > have {
                end = at;
            }
            break;
        }
        have += 1;
    }
    cut.get(..end).unwrap_or_default()
}

/// Percent-decodes a query component; invalid escapes are kept as written, and a component that decodes to
/// invalid UTF-8 is returned undecoded.
pub fn decode(s: &str) -> String {
    percent_decode(s, false)
}

/// Decodes as `decodeURIComponent` after `+` became a space, or gives `s` back as written where that throws (a `%`
/// not followed by two hex digits, or escapes of invalid UTF-8): analytics-next's `gracefulDecodeURIComponent`,
/// with which it decodes UTM parameters. [`decode`] keeps only the invalid escapes as written.
pub fn decode_or_keep(s: &str) -> String {
    percent_decode(s, true)
}

/// [`decode`], and with `whole` [`decode_or_keep`]: one pass, which gives `s` back as written at the first
/// invalid escape when `whole` is set.
///
/// Characters are assembled and checked as they are decoded, rather than decoding to bytes and checking those
/// with `String::from_utf8`: std's validator (word-at-a-time ASCII scan and all) is several times this size in
/// the wasm, and the tracking build needs it nowhere else.
fn percent_decode(s: &str, whole: bool) -> String {
    let b = s.as_bytes();
    let hex = |at: usize| b.get(at).and_then(|&c| hex_val(c));
    // The decoded byte that starts at `at`, and where the next one starts.
    let byte_at = |at: usize| {
        let c = *b.get(at)?;
        Some(match (c, hex(at + 1), hex(at + 2)) {
            (b'+', _, _) => (b' ', at + 1),
            (b'%', Some(h), Some(l)) => (h << 4 | l, at + 3),
            _ => (c, at + 1),
        })
    };
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while let Some((lead, mut next)) = byte_at(i) {
        // A `%` read as itself is an invalid escape (a valid one is three bytes on). Where one stands for a
        // continuation byte instead, the UTF-8 check below gives `s` back already.
        if whole && lead == b'%' && next == i + 1 {
            return s.to_string();
        }
        // Continuation bytes to follow, and the smallest code point that needs them (anything less is overlong).
        let (more, min, mut code) = match lead {
            0..=0x7f => (0, 0, u32::from(lead)),
            0xc0..=0xdf => (1, 0x80, u32::from(lead & 0x1f)),
            0xe0..=0xef => (2, 0x800, u32::from(lead & 0x0f)),
            0xf0..=0xf7 => (3, 0x10000, u32::from(lead & 0x07)),
            _ => return s.to_string(),
        };
        for _ in 0..more {
            match byte_at(next) {
                Some((c, after)) if c & 0xc0 == 0x80 => {
                    code = code << 6 | u32::from(c & 0x3f);
                    next = after;
                }
                _ => return s.to_string(),
            }
        }
        // `from_u32` refuses surrogates and anything above U+10FFFF, as UTF-8 does.
        match char::from_u32(code) {
            Some(c) if code >= min => out.push(c),
            // Invalid UTF-8 after decoding: keep the text as it was written rather than guess.
            _ => return s.to_string(),
        }
        i = next;
    }
    out
}

pub fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As `split` and `position` answer, and past the last field for anything else.
    #[test]
    fn field_positions_are_where_split_finds_them() {
        for table in [
            "nps|csat|rating|single|multiple|text",
            "coupon|referral|points|badge",
            "x",
        ] {
            let fields: Vec<&str> = table.split('|').collect();
            for name in fields
                .iter()
                .copied()
                .chain(["", "NPS", "nps ", "tex", "texts", "|", "x|"])
            {
                let want = fields
                    .iter()
                    .position(|&f| f == name)
                    .unwrap_or(fields.len());
                assert_eq!(
                    field_position(table, b'|', name),
                    want,
                    "{name:?} in {table}"
                );
            }
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::strategy::Strategy;

    /// Every table of up to five bytes from `a`, `é` and `|`, and every index up to past the last field.
    #[test]
    fn nth_field_is_split_then_nth() {
        let mut tables = vec![String::new()];
        for _ in 0..5 {
            let longer: Vec<String> = tables
                .iter()
                .flat_map(|t| ["a", "é", "|"].map(|c| format!("{t}{c}")))
                .collect();
            tables.extend(longer);
        }
        for t in &tables {
            for i in 0..7 {
                assert_eq!(
                    nth_field(t, b'|', i),
                    t.split('|').nth(i).unwrap_or_default(),
                    "{t:?} {i}"
                );
            }
        }
    }

    #[test]
    fn a_parameter_is_found_by_its_whole_name() {
        assert_eq!(
            query_value("?a=1&wayline_debug=1", "wayline_debug").as_deref(),
            Some("1")
        );
        assert_eq!(
            query_value("wayline%5Fdebug=1", "wayline_debug").as_deref(),
            Some("1")
        );
        assert_eq!(
            query_value("?wayline_debug=10", "wayline_debug").as_deref(),
            Some("10")
        );
        assert_eq!(query_value("?xwayline_debug=1", "wayline_debug"), None);
        assert_eq!(query_value("?q=wayline_debug=1", "wayline_debug"), None);
    }

    #[test]
    fn decodes_query_components() {
        for (raw, decoded) in [
            ("plain", "plain"),
            ("a+b", "a b"),
            ("%41%62c", "Abc"),
            ("caf%C3%A9", "café"),
            ("50%", "50%"),
            ("50%2", "50%2"),
            ("%zz%4", "%zz%4"),
            ("%2B+%2b", "+ +"),
            ("%FF", "%FF"),
            ("", ""),
        ] {
            assert_eq!(decode(raw), decoded, "{raw}");
        }
    }

    #[test]
    fn decodes_or_keeps_as_graceful_decode_uri_component() {
        for (raw, decoded) in [
            ("a+b%20c", "a b c"),
            ("caf%C3%A9", "café"),
            ("a+b%zz", "a+b%zz"),
            ("50%", "50%"),
            ("%4", "%4"),
            ("a+%E9", "a+%E9"),
            ("%2B", "+"),
            ("", ""),
        ] {
            assert_eq!(decode_or_keep(raw), decoded, "{raw}");
        }
    }

    /// `decode_or_keep` as first written: a scan for an invalid escape, then [`decode`].
    fn decode_or_keep_in_two_passes(s: &str) -> String {
        let b = s.as_bytes();
        let bad_escape = b.iter().enumerate().any(|(i, &c)| {
            c == b'%'
                && !(b.get(i + 1).is_some_and(|&h| hex_val(h).is_some())
                    && b.get(i + 2).is_some_and(|&l| hex_val(l).is_some()))
        });
        if bad_escape {
            return s.to_string();
        }
        decode(s)
    }

    #[test]
    fn decodes_or_keeps_as_the_two_pass_version_did() {
        for raw in [
            "%",
            "%%",
            "%%41",
            "%4%41",
            "%41%",
            "%C3%A9%",
            "%C3%",
            "%C3%zz",
            "%zz%C3%A9",
            "%E9%zz",
            "a%2",
            "%2B%",
            "+%",
            "é%",
            "%é",
            "%GG",
            "%g1",
            "%1g",
            "%-1",
            "100%25",
        ] {
            assert_eq!(
                decode_or_keep(raw),
                decode_or_keep_in_two_passes(raw),
                "{raw}"
            );
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// Any mix of escapes (valid or not), plain text and `+` decodes, or is kept, as the two-pass version did.
        #[test]
        fn decodes_or_keeps_as_the_two_pass_version_on_any_mix(raw in escapes_and_text()) {
            proptest::prop_assert_eq!(decode_or_keep(&raw), decode_or_keep_in_two_passes(&raw), "{}", raw);
        }
    }

    /// Up to eight pieces: escapes of any byte (upper- or lowercase hex), and plain text, `+` and broken escapes.
    #[cfg(not(target_arch = "wasm32"))]
    fn escapes_and_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::strategy::Just;
        proptest::collection::vec(
            proptest::prop_oneof![
                proptest::num::u8::ANY.prop_map(|b| format!("%{b:02X}")),
                (0x80u8..=0xFF).prop_map(|b| format!("%{b:02x}")),
                proptest::prop_oneof![
                    Just("+".to_string()),
                    Just("%".to_string()),
                    Just("%4".to_string()),
                    Just("%z".to_string()),
                    Just("é".to_string()),
                    Just("a".to_string()),
                    Just("😀".to_string()),
                ],
            ],
            0..8,
        )
        .prop_map(|parts| parts.concat())
    }

    /// The decoder as first written: percent-decode to bytes, then std's UTF-8 check.
    #[cfg(not(target_arch = "wasm32"))]
    fn decode_via_bytes(s: &str) -> String {
        let b = s.as_bytes();
        let hex = |at: usize| b.get(at).and_then(|&c| hex_val(c));
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(&c) = b.get(i) {
            let byte = match (c, hex(i + 1), hex(i + 2)) {
                (b'+', _, _) => b' ',
                (b'%', Some(h), Some(l)) => {
                    i += 2;
                    h << 4 | l
                }
                _ => c,
            };
            out.push(byte);
            i += 1;
        }
        String::from_utf8(out).unwrap_or_else(|_| s.to_string())
    }

    #[test]
    fn decodes_utf8_edge_cases_as_std_checks_them() {
        for raw in [
            "%C0%80",
            "%E0%80%80",
            "%ED%A0%80",
            "%ED%9F%BF",
            "%F4%8F%BF%BF",
            "%F4%90%80%80",
            "%F8%88%80%80%80",
            "%C3",
            "%C3%28",
            "%E2%82",
            "%E2%82%AC",
            "%F0%9F%98%80",
            "%80",
            "é%C3%A9+",
            "%C3é",
            "%e2%82%ac%",
        ] {
            #[cfg(not(target_arch = "wasm32"))]
            assert_eq!(decode(raw), decode_via_bytes(raw), "{raw}");
            assert!(!decode(raw).is_empty());
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// Any mix of escapes (of any byte), plain text and `+` decodes as the byte-then-check decoder did.
        #[test]
        fn decodes_as_the_byte_decoder_did(raw in escapes_and_text()) {
            proptest::prop_assert_eq!(decode(&raw), decode_via_bytes(&raw), "{}", raw);
        }
    }

    /// Splits as the first version, which sliced as it went, did.
    #[test]
    fn splits_as_the_slicing_parser_did() {
        fn old(href: &str) -> Url<'_> {
            let (before_hash, hash) = match find_byte(href, b'#') {
                Some(i) => href.split_at_checked(i).unwrap_or((href, "")),
                None => (href, ""),
            };
            let (before_query, search) = match find_byte(before_hash, b'?') {
                Some(i) => before_hash.split_at_checked(i).unwrap_or((before_hash, "")),
                None => (before_hash, ""),
            };
            // Since then, an empty query is no search, as in `location.search`.
            let search = if search == "?" { "" } else { search };
            let (scheme, rest) = match find(before_query, "://") {
                Some(i) => (
                    before_query.get(..i).unwrap_or_default(),
                    before_query.get(i + 3..).unwrap_or_default(),
                ),
                None => ("", before_query),
            };
            let (authority, path) = if scheme.is_empty() {
                ("", rest)
            } else {
                match find_byte(rest, b'/') {
                    Some(i) => rest.split_at_checked(i).unwrap_or((rest, "")),
                    None => (rest, "/"),
                }
            };
            // The host follows any `user:password@`. (A byte scan: `rsplit` would bring in the reverse searcher.)
            let host_port = match authority.bytes().rposition(|b| b == b'@') {
                Some(i) => authority.get(i + 1..).unwrap_or_default(),
                None => authority,
            };
            let host = if host_port.starts_with("[") {
                before_byte(host_port, b']').get(1..).unwrap_or_default()
            } else {
                before_byte(host_port, b':')
            };
            Url {
                scheme,
                host,
                path,
                search,
                hash,
            }
        }
        let mut hrefs = vec![String::new()];
        let pieces = [
            "https", "://", "u:p@", "@", "[::1]", "[", "]", "h.test", ":8", "/", "/a", "?", "q=1",
            "#", "f",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    hrefs.push([a, b, c].concat());
                    hrefs.push(["https://", a, b, c].concat());
                    hrefs.push([a, "h/", b, c].concat());
                }
            }
        }
        for href in &hrefs {
            assert_eq!(Url::parse(href), old(href), "{href}");
        }
    }

    #[test]
    fn a_cut_url_keeps_no_part_of_an_escape_nor_of_a_character() {
        let head = "a".repeat(10);
        for (tail, max, want) in [
            // A split escape.
            ("b%C3%A9z", 2, "b"),
            ("b%C3%A9z", 3, "b"),
            // A character's escapes cut short: 2, 3 and 4 bytes.
            ("b%C3%A9z", 4, "b"),
            ("%E2%82%ACz", 6, ""),
            ("b%E2%82%ACz", 8, "b"),
            ("%F0%9F%98%80z", 9, ""),
            // Whole ones, ASCII ones, and raw characters.
            ("b%C3%A9z", 7, "b%C3%A9"),
            ("%F0%9F%98%80z", 12, "%F0%9F%98%80"),
            ("%41%42z", 3, "%41"),
            ("%41%42z", 5, "%41"),
            ("bcdé", 4, "bcd"),
            ("bc%é", 4, "bc"),
            ("bcd", 3, "bcd"),
            // Continuation bytes with no lead are left as the URL had them.
            ("%A9%A9%A9%A9%A9z", 15, "%A9%A9%A9%A9%A9"),
        ] {
            let url = format!("{head}{tail}");
            assert_eq!(
                clip_url(&url, head.len() + max),
                format!("{head}{want}"),
                "{tail} at {max}"
            );
        }
    }

    #[test]
    fn splits_an_absolute_url() {
        let u = Url::parse("https://user@Shop.example:8443/a/b?x=1&y=2#top");
        assert_eq!(
            u,
            Url {
                scheme: "https",
                host: "Shop.example",
                path: "/a/b",
                search: "?x=1&y=2",
                hash: "#top"
            }
        );
        let bare = Url::parse("http://localhost:8080");
        assert_eq!((bare.host, bare.path, bare.search), ("localhost", "/", ""));
        let empty = Url::parse("http://a/p?#?x");
        assert_eq!((empty.path, empty.search, empty.hash), ("/p", "", "#?x"));
        assert_eq!(Url::parse("http://a/p??").search, "??");
        let credentials = Url::parse("https://a@b:c@shop.example/");
        assert_eq!(
            credentials.host, "shop.example",
            "the host follows the last @"
        );
        let v6 = Url::parse("http://[::1]:9/p");
        assert_eq!((v6.host, v6.path), ("::1", "/p"));
    }

    #[test]
    fn reads_decoded_query_parameters() {
        let u = Url::parse(
            "http://a/?utm_source=news%20letter&utm_medium=e+mail&bad=%zz&utf=%C3%A9&tail=%4&latin=%E9",
        );
        assert_eq!(u.query_param("utm_source").as_deref(), Some("news letter"));
        assert_eq!(u.query_param("utm_medium").as_deref(), Some("e mail"));
        assert_eq!(u.query_param("bad").as_deref(), Some("%zz"));
        assert_eq!(u.query_param("utf").as_deref(), Some("é"));
        assert_eq!(u.query_param("tail").as_deref(), Some("%4"));
        assert_eq!(u.query_param("latin").as_deref(), Some("%E9"));
        assert_eq!(u.query_param("missing"), None);
        assert_eq!(find("abcabd", "abd"), Some(3));
        assert_eq!(find("ab", "abc"), None);
    }

    #[test]
    fn strips_fragments() {
        assert_eq!(Url::without_hash("http://a/p?q#h"), "http://a/p?q");
        assert_eq!(Url::without_hash("http://a/p"), "http://a/p");
    }
}
