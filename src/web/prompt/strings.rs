//! The prompt's UI strings: the config's `strings.<locale>` (exact `fr-CA`, then `fr`), then the built-in
//! French for `fr*`, then English. Keys are `STRING_KEYS`, in the same order as the built-in tables.

use crate::core::campaigns::config::STRING_KEYS;
use crate::core::json::Value;

/// The built-in tables, one string per key, separated by `|`.
const EN: &str =
    "Submit|Next|Close|Copy|Copied|Share|OK|Thank you!|Not likely|Very likely|Very unsatisfied|\
                  Very satisfied|{n} of {total}|{n} points";
const FR: &str =
    "Envoyer|Suivant|Fermer|Copier|Copié|Partager|OK|Merci !|Peu probable|Très probable|\
                  Très insatisfait|Très satisfait|{n} sur {total}|{n} points";

pub(super) struct Strings {
    /// The config's tables that apply, best first.
    tables: Vec<Value>,
    french: bool,
}

impl Strings {
    /// `lang` is `navigator.language`.
    pub(super) fn new(config: Option<&Value>, lang: &str) -> Strings {
        let base = lang.split('-').next().unwrap_or_default();
        let mut tables = Vec::new();
        if let Some(m) = config.and_then(Value::as_object) {
            for want in [lang, base] {
                if let Some((_, t)) = m.iter().find(|(k, _)| k.eq_ignore_ascii_case(want)) {
                    tables.push(t.clone());
                }
            }
        }
        Strings {
            tables,
            french: base.eq_ignore_ascii_case("fr"),
        }
    }

    pub(super) fn get(&self, key: &str) -> &str {
        for t in &self.tables {
            if let Some(s) = t.get(key).and_then(Value::as_str) {
                return s;
            }
        }
        let i = STRING_KEYS.iter().position(|k| *k == key).unwrap_or(0);
        let table = if self.french { FR } else { EN };
        table.split('|').nth(i).unwrap_or_default()
    }
}

/// `template` with `{n}` and `{total}` replaced.
pub(super) fn fill(template: &str, n: &str, total: &str) -> String {
    template.replace("{n}", n).replace("{total}", total)
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

const _: () = assert!(count(EN) == STRING_KEYS.len() && count(FR) == STRING_KEYS.len());
