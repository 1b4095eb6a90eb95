//! URL patterns for audiences and page triggers.
//!
//! A pattern starting with `/` or `*` matches the page's path; one starting with `http://` or `https://` matches the
//! whole URL without its fragment. `*` matches any run of characters (including none and `/`); every other
//! character matches itself. `/pricing` matches only that path, `/pricing*` also `/pricing/team`,
//! `/blog/*/comments` any post's comments. Matching takes time proportional to pattern × URL length at worst.

use super::limits::MAX_PATTERN_BYTES;
use crate::core::url::{before_byte, Url};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlPattern {
    text: String,
    whole_url: bool,
}

impl UrlPattern {
    /// Reads a pattern, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<UrlPattern, String> {
        if text.is_empty() {
            return Err("a URL pattern cannot be empty".into());
        }
        if text.len() > MAX_PATTERN_BYTES {
            return Err(format!(
                "a URL pattern is at most {MAX_PATTERN_BYTES} bytes"
            ));
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "URL pattern {text:?} contains a space or a control character"
            ));
        }
        let whole_url = text.starts_with("http://") || text.starts_with("https://");
        if !whole_url && !text.starts_with('/') && !text.starts_with('*') {
            return Err(format!(
                "URL pattern {text:?} must start with `/` or `*` (a path) or `http://`/`https://` (a whole URL)"
            ));
        }
        if text.contains('#') {
            return Err(format!(
                "URL pattern {text:?} contains `#`: fragments are not matched"
            ));
        }
        Ok(UrlPattern {
            text: text.to_string(),
            whole_url,
        })
    }

    /// A pattern from a compiled config, checked when the config was compiled: only its kind is worked out.
    pub fn trusted(text: &str) -> UrlPattern {
        UrlPattern {
            text: text.to_string(),
            whole_url: text.starts_with("http://") || text.starts_with("https://"),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `url` (an absolute URL, or a path) matches.
    pub fn matches(&self, url: &str) -> bool {
        let subject = if self.whole_url {
            Url::without_hash(url)
        } else if url.as_bytes().first() == Some(&b'/') {
            // A path (told by its first byte: `starts_with` with a `char` would be linked for this alone), up to
            // the query or the fragment: byte scans (both are ASCII) rather than a char-set searcher.
            before_byte(before_byte(url, b'#'), b'?')
        } else {
            Url::parse(url).path
        };
        glob(self.text.as_bytes(), subject.as_bytes())
    }
}

/// `*`-only glob, iterative with a single backtrack point (linear in practice, quadratic at worst).
fn glob(pattern: &[u8], subject: &[u8]) -> bool {
    let (mut p, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while s < subject.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, s));
            p += 1;
        } else if p < pattern.len() && pattern[p] == subject[s] {
            p += 1;
            s += 1;
        } else if let Some((sp, ss)) = star {
            p = sp + 1;
            s = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::UrlPattern;

    fn m(p: &str, url: &str) -> bool {
        UrlPattern::parse(p)
            .map(|p| p.matches(url))
            .unwrap_or(false)
    }

    /// A path is cut at its query or fragment, whichever comes first, as the one scan for either did.
    #[test]
    fn a_path_is_cut_as_by_one_scan_for_a_query_or_fragment() {
        use crate::core::url::before_byte;
        let mut texts = vec![String::from("/")];
        for _ in 0..5 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| ["a", "?", "#", "é"].map(|c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        for t in &texts {
            let end = t.bytes().position(|b| b == b'?' || b == b'#');
            let then = t.get(..end.unwrap_or(t.len())).unwrap_or(t);
            assert_eq!(before_byte(before_byte(t, b'#'), b'?'), then, "{t:?}");
        }
    }

    #[test]
    fn paths_and_wildcards() {
        assert!(m("/pricing", "https://shop.example/pricing?x=1"));
        assert!(!m("/pricing", "https://shop.example/pricing/team"));
        assert!(m("/pricing*", "https://shop.example/pricing/team"));
        assert!(m(
            "/blog/*/comments",
            "https://a.example/blog/hello/comments"
        ));
        assert!(!m("/blog/*/comments", "https://a.example/blog/hello"));
        assert!(m("/checkout", "/checkout#step2"));
        assert!(m("*", "https://a.example/"));
        assert!(m("https://a.example/*", "https://a.example/x?y=1#z"));
        assert!(!m("https://a.example/*", "https://b.example/x"));
    }

    #[test]
    fn malformed() {
        for bad in ["", "pricing", "/a b", "/x#y", "ftp://x"] {
            assert!(UrlPattern::parse(bad).is_err(), "{bad:?}");
        }
        assert!(UrlPattern::parse(&"/".repeat(600)).is_err());
    }
}
