//! The prompt's UI strings: the config's `strings.<locale>` (exact `fr-CA`, then `fr`), then the built-in
//! French for `fr*`, then English. A string is named by its index in `STRING_KEYS` (the constants below), the
//! order of the built-in tables.

use crate::core::campaigns::config::STRING_KEYS;
use crate::core::json::Value;

/// `STRING_KEYS` as one string, separated by `|` like the tables: a table of string slices would be data of its
/// own, which compresses poorly.
const KEYS: &str =
    "submit|next|close|copy|copied|share|claim|thanks|notLikely|veryLikely|unsatisfied|satisfied|\
                    progress|points|point";
pub(super) const SUBMIT: usize = 0;
pub(super) const NEXT: usize = 1;
pub(super) const CLOSE: usize = 2;
pub(super) const COPY: usize = 3;
pub(super) const COPIED: usize = 4;
pub(super) const SHARE: usize = 5;
pub(super) const CLAIM: usize = 6;
pub(super) const THANKS: usize = 7;
pub(super) const NOT_LIKELY: usize = 8;
pub(super) const VERY_LIKELY: usize = 9;
pub(super) const UNSATISFIED: usize = 10;
pub(super) const SATISFIED: usize = 11;
pub(super) const PROGRESS: usize = 12;
pub(super) const POINTS: usize = 13;
/// `points` for exactly one point.
pub(super) const POINT: usize = 14;

/// The built-in tables, one string per key, separated by `|`.
const EN: &str =
    "Submit|Next|Close|Copy|Copied|Share|OK|Thank you!|Not likely|Very likely|Very unsatisfied|\
                  Very satisfied|{n} of {total}|{n} points|{n} point";
const FR: &str =
    "Envoyer|Suivant|Fermer|Copier|Copié|Partager|OK|Merci !|Peu probable|Très probable|\
                  Très insatisfait|Très satisfait|{n} sur {total}|{n} points|{n} point";

pub(super) struct Strings {
    /// The config's tables that apply, best first.
    tables: Vec<Value>,
    french: bool,
    /// `navigator.language` as read, which also formats the numbers the prompt shows (`reward::locale_number`).
    pub(super) locale: wasm_bindgen::JsValue,
}

impl Strings {
    /// `locale` is `navigator.language`.
    pub(super) fn new(config: Option<&Value>, locale: wasm_bindgen::JsValue) -> Strings {
        let tag = locale.as_string().unwrap_or_default();
        let lang = tag.as_str();
        let base = crate::core::url::before_byte(lang, b'-');
        let mut tables = Vec::new();
        if let Some(m) = config.and_then(Value::as_object) {
            for want in &[lang, base] {
                if let Some((_, t)) = m.iter().find(|(k, _)| k.eq_ignore_ascii_case(want)) {
                    tables.push(t.clone());
                }
            }
        }
        Strings {
            tables,
            french: base.eq_ignore_ascii_case("fr"),
            locale,
        }
    }

    /// The string at index `i` of `STRING_KEYS`.
    pub(super) fn get(&self, i: usize) -> &str {
        let key = nth(KEYS, i);
        for t in &self.tables {
            if let Some(s) = t.get(key).and_then(Value::as_str) {
                return s;
            }
        }
        nth(if self.french { FR } else { EN }, i)
    }
}

/// The `i`th of the `|`-separated strings in `table`.
fn nth(table: &str, i: usize) -> &str {
    crate::core::url::nth_field(table, b'|', i)
}

/// `template` with `{n}` and then `{total}` replaced (in that order: a `{total}` that `n` brings is replaced too).
pub(super) fn fill(template: &str, n: &str, total: &str) -> String {
    use crate::core::sanitize::replace_all;
    replace_all(&replace_all(template, "{n}", n), "{total}", total)
}

/// The number of strings in a built-in table.
const fn count(table: &str) -> usize {
    let b = table.as_bytes();
    let (mut i, mut n) = (0, 1);
    while i < b.len() {
        if b[i] == b'|' {
            n += 1;
        }
        i += 1;
    }
    n
}

/// Whether `KEYS` is `STRING_KEYS` joined by `|`.
const fn keys_match() -> bool {
    let k = KEYS.as_bytes();
    let (mut i, mut at) = (0, 0);
    while i < STRING_KEYS.len() {
        if i > 0 {
            if at >= k.len() || k[at] != b'|' {
                return false;
            }
            at += 1;
        }
        let s = STRING_KEYS[i].as_bytes();
        let mut j = 0;
        while j < s.len() {
            if at >= k.len() || k[at] != s[j] {
                return false;
            }
            at += 1;
            j += 1;
        }
        i += 1;
    }
    at == k.len()
}

const _: () = assert!(
    keys_match()
        && count(EN) == STRING_KEYS.len()
        && count(FR) == STRING_KEYS.len()
        && POINT + 1 == STRING_KEYS.len()
);
