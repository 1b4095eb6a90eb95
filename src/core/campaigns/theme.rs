//! A prompt's theme, checked and rendered where the config is compiled: the browser inserts the text as it is.
//!
//! Each campaign's theme is the action's `theme` over the config's, key by key, and becomes
//! `[CSS, position]`: the `:host` custom-property rules (light, then `dark` under
//! `prefers-color-scheme: dark`) that follow the prompt's built-in stylesheet, and the dialog's `data-pos`. The
//! compiled config carries them as `"themes": {"campaign id": [CSS, position], ...}`, so the size-budgeted SDK
//! has neither the value checks (`colour.rs`, `is_css_value`, `is_css_length`) nor the rendering. A value that
//! does not pass its check is left out, as the config check reports it (the compiler refuses such a config).

use super::colour::is_colour;
use super::config::{is_css_length, is_css_value, Campaigns, POSITIONS};
use crate::core::json::{write_number, Map, Value};

/// The prompt's built-in colours, by the custom property each sets (`default_colour!(bg)` is `--wl-bg`'s,
/// `on_accent` `--wl-on-accent`'s), and under `dark` those dark mode changes: written once, here, for the prompt's
/// stylesheet (`src/web/prompt/style.rs`) and the contrast check (`contrast.rs`). A macro expanding to a string
/// literal, so that the stylesheet is still one static string (`concat!`), byte for byte as when it was written out.
macro_rules! default_colour {
    (accent) => {
        "#2563eb"
    };
    (on_accent) => {
        "#fff"
    };
    (bg) => {
        "#fff"
    };
    (fg) => {
        "#1f2328"
    };
    (border) => {
        "rgba(0,0,0,.18)"
    };
    (dark bg) => {
        "#1f2125"
    };
    (dark fg) => {
        "#eceef1"
    };
    (dark border) => {
        "#fff3"
    };
}
pub(crate) use default_colour;

/// Colour keys and the custom property each sets, in pairs, separated by `|`.
pub(super) const COLOURS: &str =
    "accentColor|accent|accentTextColor|on-accent|backgroundColor|bg|textColor|fg|borderColor|border";

/// The action's theme key, else the config's.
fn pick<'a>(own: Option<&'a Value>, top: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    own.and_then(|t| t.get(key))
        .or_else(|| top.and_then(|t| t.get(key)))
}

fn decl(out: &mut String, name: &str, value: &str) {
    out.push_str("--wl-");
    out.push_str(name);
    out.push(':');
    out.push_str(value);
    out.push(';');
}

/// The custom-property declarations for one palette (`dark` only has colours).
fn decls(own: Option<&Value>, top: Option<&Value>, dark: bool) -> String {
    let mut out = String::new();
    let mut colours = COLOURS.split('|');
    while let (Some(key), Some(name)) = (colours.next(), colours.next()) {
        if let Some(c) = pick(own, top, key).and_then(Value::as_str) {
            if is_colour(c) {
                decl(&mut out, name, c);
            }
        }
    }
    if dark {
        return out;
    }
    let font = pick(own, top, "font").or_else(|| pick(own, top, "fontFamily"));
    if let Some(f) = font.and_then(Value::as_str).filter(|f| is_css_value(f)) {
        decl(&mut out, "font", f);
    }
    match pick(own, top, "radius") {
        Some(Value::Number(n)) if (0.0..=64.0).contains(n) => {
            let mut px = String::new();
            write_number(*n, &mut px);
            px.push_str("px");
            decl(&mut out, "radius", &px);
        }
        Some(Value::String(s)) if is_css_length(s) => decl(&mut out, "radius", s),
        _ => {}
    }
    out
}

/// The theme's rules, which follow the prompt's built-in stylesheet (`own` is the action's `theme`, `top` the
/// config's); empty when neither sets anything.
pub fn css(own: Option<&Value>, top: Option<&Value>) -> String {
    let mut css = String::new();
    let light = decls(own, top, false);
    if !light.is_empty() {
        css.push_str(":host{");
        css.push_str(&light);
        css.push('}');
    }
    let dark = decls(
        own.and_then(|t| t.get("dark")),
        top.and_then(|t| t.get("dark")),
        true,
    );
    if !dark.is_empty() {
        css.push_str("@media(prefers-color-scheme:dark){:host{");
        css.push_str(&dark);
        css.push_str("}}");
    }
    css
}

/// `theme.position`, or `bottom-right`.
pub fn position<'a>(own: Option<&'a Value>, top: Option<&'a Value>) -> &'a str {
    pick(own, top, "position")
        .and_then(Value::as_str)
        .filter(|p| POSITIONS.contains(p))
        .unwrap_or("bottom-right")
}

/// One campaign's compiled theme: `[CSS, position]`.
pub fn render(own: Option<&Value>, top: Option<&Value>) -> Value {
    Value::Array(vec![
        Value::String(css(own, top)),
        Value::String(position(own, top).to_string()),
    ])
}

/// Every campaign's compiled theme, by campaign id (`top` is the config's `theme`).
pub fn render_all(campaigns: &Campaigns, top: Option<&Value>) -> Value {
    let mut m = Map::new();
    for c in &campaigns.campaigns {
        m.insert(c.id.clone(), render(c.action.spec.get("theme"), top));
    }
    Value::Object(m)
}

/// The compiled theme of `campaign` in a loaded config; a config as written (a build with the compiler) has it
/// rendered here. `None` when the compiled config has none for it.
pub fn of(config: &Value, campaign: &str, action: &Value) -> Option<Value> {
    #[cfg(feature = "compiler")]
    if !crate::core::compiled::is_compiled(config) {
        return Some(render(action.get("theme"), config.get("theme")));
    }
    let _ = action;
    config.get("themes")?.get(campaign).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::parse;

    /// The cases in `tests/themes/cases.json`, each expected stylesheet and position written out by hand.
    fn cases() -> Vec<Value> {
        let doc = parse(include_str!("../../../tests/themes/cases.json")).unwrap();
        doc.get("cases").unwrap().as_array().unwrap().to_vec()
    }

    #[test]
    fn each_theme_renders_as_its_case_says() {
        let mut failures = Vec::new();
        let cases = cases();
        assert!(cases.len() >= 40);
        for case in &cases {
            let name = case.get("name").and_then(Value::as_str).unwrap();
            let (own, top) = (case.get("own"), case.get("top"));
            let want = Value::Array(vec![
                case.get("css").unwrap().clone(),
                case.get("position").unwrap().clone(),
            ]);
            let got = render(own, top);
            if got != want {
                failures.push(format!(
                    "{name}:\n  want {}\n  got  {}",
                    want.to_json(),
                    got.to_json()
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// A theme renders the same whether the action or the config sets it, and an empty theme on either side
    /// changes nothing.
    #[test]
    fn a_theme_is_the_same_from_the_action_or_the_config() {
        let empty = Value::Object(Map::new());
        for case in &cases() {
            for theme in [case.get("own"), case.get("top")].into_iter().flatten() {
                let alone = render(Some(theme), None);
                assert_eq!(alone, render(None, Some(theme)), "{}", theme.to_json());
                assert_eq!(
                    alone,
                    render(Some(theme), Some(&empty)),
                    "{}",
                    theme.to_json()
                );
                assert_eq!(
                    alone,
                    render(Some(&empty), Some(theme)),
                    "{}",
                    theme.to_json()
                );
            }
        }
    }

    #[test]
    fn the_demo_configs_themes_are_compiled_per_campaign() {
        let config = parse(include_str!("../../../www/demo-config.json")).unwrap();
        let campaigns = crate::core::campaigns::read(&config).unwrap();
        let top = config.get("theme");
        assert!(top.is_some());
        let all = render_all(&campaigns, top);
        assert_eq!(all.as_object().unwrap().len(), campaigns.campaigns.len());
        for c in &campaigns.campaigns {
            let own = c.action.spec.get("theme");
            let theme = of(&compile_like(&all), &c.id, &c.action.spec).unwrap();
            assert_eq!(theme, render(own, top));
            // The demo's config theme sets the accent, so every campaign's stylesheet starts with it.
            let css = theme.as_array().unwrap()[0].as_str().unwrap();
            assert!(css.starts_with(":host{--wl-accent:"), "{}: {css}", c.id);
        }
        assert!(of(&compile_like(&all), "nobody", &Value::Null).is_none());
    }

    /// A compiled config holding only `themes`.
    fn compile_like(themes: &Value) -> Value {
        let mut m = Map::new();
        m.insert("wayline", "compiled".into());
        m.insert("themes", themes.clone());
        Value::Object(m)
    }
}
