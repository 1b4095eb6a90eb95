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

/// Colour keys and the custom property each sets, in pairs, separated by `|`.
const COLOURS: &str =
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

    /// The prompt's stylesheet as the SDK rendered it in the browser before themes were compiled
    /// (`web/prompt/style.rs`, `sheet` and `position`, copied as they were), after the built-in rules `base`.
    mod first_form {
        use crate::core::campaigns::colour::is_colour;
        use crate::core::campaigns::config::{is_css_length, is_css_value, POSITIONS};
        use crate::core::json::{write_number, Value};

        const COLOURS: &str =
            "accentColor|accent|accentTextColor|on-accent|backgroundColor|bg|textColor|fg|borderColor|border";

        fn pick<'a>(
            own: Option<&'a Value>,
            top: Option<&'a Value>,
            key: &str,
        ) -> Option<&'a Value> {
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

        pub fn sheet(base: &str, own: Option<&Value>, top: Option<&Value>) -> String {
            let mut css = String::from(base);
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

        pub fn position<'a>(own: Option<&'a Value>, top: Option<&'a Value>) -> &'a str {
            pick(own, top, "position")
                .and_then(Value::as_str)
                .filter(|p| POSITIONS.contains(p))
                .unwrap_or("bottom-right")
        }
    }

    /// Themes to compare: each key alone with good and bad values, light and dark, and whole themes.
    fn themes() -> Vec<Option<Value>> {
        let mut texts = vec![
            "{}".to_string(),
            r##"{"accentColor": "#ff0000", "radius": 6, "font": "Georgia, serif", "position": "bottom-left",
                 "dark": {"backgroundColor": "#000000"}}"##
                .to_string(),
            r##"{"accentColor": "#00ff00", "textColor": "#123456", "position": "center"}"##.to_string(),
            r##"{"accentColor": "#12", "dark": {"backgroundColor": "url(x)"}, "textColor": "#fff"}"##.to_string(),
            r##"{"accentColor": "rgb(1 2 3 / 50%)", "accentTextColor": "#FFFA", "backgroundColor": "hsl(120deg 50% 50%)",
                 "textColor": "transparent", "borderColor": "currentColor", "fontFamily": "\"Noto Sans JP\", ヒラギノ角ゴ",
                 "radius": "1.5em", "position": "bottom",
                 "dark": {"accentColor": "#111", "accentTextColor": "#222", "backgroundColor": "#333",
                          "textColor": "#444", "borderColor": "#555", "radius": 2}}"##
                .to_string(),
            r##"{"dark": {"textColor": "#eee"}}"##.to_string(),
            r##"{"font": "x; color: red", "fontFamily": "Arial"}"##.to_string(),
            r##"{"font": "Arial", "fontFamily": "Helvetica"}"##.to_string(),
            r##"{"position": "top", "radius": 100, "dark": "#000"}"##.to_string(),
            r##"{"accentColor": 5, "font": 3, "radius": true, "position": 1}"##.to_string(),
        ];
        for radius in [
            "0",
            "-0",
            "64",
            "64.5",
            "-1",
            "1.5",
            "0.25",
            "1e-7",
            "0.000001",
            "12.000001",
            "\"12px\"",
            "\"0.75em\"",
            "\"50%\"",
            "\"1.5rem\"",
            "\"12\"",
            "\"px\"",
            "\"1..2px\"",
            "\"\"",
        ] {
            texts.push(format!(r#"{{"radius": {radius}}}"#));
        }
        for colour in [
            "#fff",
            "#1a2b3c80",
            "rgba(0, 0, 0, .5)",
            "HSLA(120DEG 50% 50% / .5)",
            "red",
            "#ggg",
            "rgb(1,2,3); color: red",
            "",
            "rgb( )",
        ] {
            for key in ["accentColor", "borderColor"] {
                texts.push(format!(
                    r#"{{"{key}": "{colour}", "dark": {{"{key}": "{colour}"}}}}"#
                ));
            }
        }
        for font in ["a/*", "'open", "\"Inter\", sans-serif", "  ", "a{b", "x\\y"] {
            texts.push(format!(
                r#"{{"font": {}}}"#,
                Value::String(font.into()).to_json()
            ));
        }
        let mut out: Vec<Option<Value>> = texts.iter().map(|t| Some(parse(t).unwrap())).collect();
        out.push(None);
        out
    }

    #[test]
    fn the_compiled_theme_is_the_stylesheet_the_sdk_rendered() {
        let themes = themes();
        for own in &themes {
            for top in &themes {
                let (own, top) = (own.as_ref(), top.as_ref());
                let compiled = render(own, top);
                let [Value::String(css), Value::String(pos)] = compiled.as_array().unwrap() else {
                    panic!("{compiled:?}");
                };
                assert_eq!(
                    ["BUILT-IN", css].concat(),
                    first_form::sheet("BUILT-IN", own, top),
                    "{own:?} over {top:?}"
                );
                assert_eq!(pos, first_form::position(own, top), "{own:?} over {top:?}");
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
            let css = theme.as_array().unwrap()[0].as_str().unwrap();
            assert_eq!(
                ["B", css].concat(),
                first_form::sheet("B", own, top),
                "{}",
                c.id
            );
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
