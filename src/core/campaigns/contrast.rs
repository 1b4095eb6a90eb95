//! Whether a prompt's theme keeps its text readable: the WCAG 2.1 contrast ratios of the colours the prompt draws
//! with, as `wayline check` warns about them. A theme with poor contrast is valid (the prompt shows as asked), so
//! these are warnings, not errors.
//!
//! The prompt draws its text (`textColor`) on its background (`backgroundColor`), the labels of its buttons and
//! chosen options (`accentTextColor`) on the accent (`accentColor`), and its chosen stars, chosen options' borders
//! and focus rings in the accent on the background. Text needs 4.5:1 (WCAG 1.4.3, level AA); the accent against the
//! background 3:1 (1.4.11, for those shapes, and the stars are large text). Each palette is checked as the prompt
//! resolves it in light and in dark mode (`docs/prompts.md`, Theme): the built-in defaults, the theme's colours (the
//! action's over the config's), in dark mode the built-in dark defaults under them and the theme's `dark` colours
//! over them.
//!
//! Colours are read as `colour.rs` accepts them. A translucent colour is laid over what is under it (text over the
//! background, the background over a white or a black page, whichever contrasts less). `currentColor` and
//! colours the reader does not understand are not checked.

use super::colour::is_colour;
use super::theme::default_colour;
use crate::core::json::Value;

/// The prompt's stylesheet (web layer, but plain text and pure functions), compiled natively for the tests that
/// hold its built-in colours to the ones checked here (a wasm32 build has it in `web` already).
#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(dead_code)]
#[path = "../../web/prompt/style.rs"]
mod style;

/// An sRGB colour: red, green and blue from 0 to 255, and alpha from 0 to 1.
type Rgba = [f64; 4];

/// Text against what it is drawn on (WCAG 2.1, 1.4.3, level AA).
pub const TEXT_CONTRAST: f64 = 4.5;
/// Shapes that show state (the accent against the background: 1.4.11).
pub const SHAPE_CONTRAST: f64 = 3.0;

/// The built-in palettes the stylesheet draws with (`theme::default_colour`), as theme keys and values: the
/// colours checked in light mode, then those of them dark mode changes.
const LIGHT: [(&str, &str); 4] = [
    ("accentColor", default_colour!(accent)),
    ("accentTextColor", default_colour!(on_accent)),
    ("backgroundColor", default_colour!(bg)),
    ("textColor", default_colour!(fg)),
];
const DARK: [(&str, &str); 2] = [
    ("backgroundColor", default_colour!(dark bg)),
    ("textColor", default_colour!(dark fg)),
];

/// The pairs checked: the colour drawn, what it is drawn on, the ratio it needs, and what it is drawn for.
const PAIRS: [(&str, &str, f64, &str); 3] = [
    ("textColor", "backgroundColor", TEXT_CONTRAST, "text"),
    ("accentTextColor", "accentColor", TEXT_CONTRAST, "text"),
    (
        "accentColor",
        "backgroundColor",
        SHAPE_CONTRAST,
        "the chosen stars and options and the focus rings",
    ),
];

/// A contrast too low: where in the config its colours are set, and what it is. Shown as `location: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// A path into the config: `theme`, or `campaigns[2].action.theme` for a campaign's own colours.
    pub location: String,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Every contrast too low in the prompts of a config's campaigns. A palette shared by several campaigns is
/// reported once. Campaigns with a `custom` action (the host draws those) are skipped.
pub fn warnings(config: &Value) -> Vec<Warning> {
    let top = config.get("theme");
    let mut out: Vec<Warning> = Vec::new();
    let Some(campaigns) = config.get("campaigns").and_then(Value::as_array) else {
        return out;
    };
    for (i, campaign) in campaigns.iter().enumerate() {
        let Some(action) = campaign.get("action") else {
            continue;
        };
        if !matches!(
            action.get("type").and_then(Value::as_str),
            Some("survey" | "reward")
        ) {
            continue;
        }
        let own = action.get("theme");
        for dark in [false, true] {
            let palette = palette(own, top, dark);
            for (fore, back, needed, what) in PAIRS {
                let Some(ratio) = contrast(palette.colour(fore), palette.colour(back)) else {
                    continue;
                };
                // Cut to two decimals, not rounded up (4.499 is not 4.5), past float noise (a ratio of exactly 4.5 computed
                // as 4.4999999 is 4.5).
                let ratio = (ratio * 100.0 + 1e-9).floor() / 100.0;
                if ratio >= needed {
                    continue;
                }
                let mode = if dark { "dark" } else { "light" };
                let location = if palette.is_own(fore) || palette.is_own(back) {
                    format!("campaigns[{i}].action.theme")
                } else {
                    "theme".to_string()
                };
                let warning = Warning {
                    location,
                    message: format!(
                        "in {mode} mode, {} on {} contrasts {:.2}:1, under the {needed}:1 WCAG AA asks of {what}",
                        palette.describe(fore),
                        palette.describe(back),
                        ratio,
                    ),
                };
                if !out.contains(&warning) {
                    out.push(warning);
                }
            }
        }
    }
    out
}

/// A resolved palette: for each theme key, its value and where it came from.
struct Palette<'a> {
    colours: Vec<(&'a str, &'a str, Source)>,
}

#[derive(Clone, Copy, PartialEq)]
enum Source {
    Default,
    Config,
    Action,
}

impl<'a> Palette<'a> {
    fn set(&mut self, key: &'a str, value: &'a str, source: Source) {
        self.colours.retain(|(k, _, _)| *k != key);
        self.colours.push((key, value, source));
    }

    fn entry(&self, key: &str) -> Option<&(&'a str, &'a str, Source)> {
        self.colours.iter().find(|(k, _, _)| *k == key)
    }

    fn colour(&self, key: &str) -> Option<&'a str> {
        self.entry(key).map(|(_, v, _)| *v)
    }

    fn is_own(&self, key: &str) -> bool {
        self.entry(key)
            .is_some_and(|(_, _, s)| *s == Source::Action)
    }

    /// `textColor #777`, or `the default backgroundColor #fff`.
    fn describe(&self, key: &str) -> String {
        match self.entry(key) {
            Some((k, v, Source::Default)) => format!("the default {k} {v}"),
            Some((k, v, _)) => format!("{k} {v}"),
            None => key.to_string(),
        }
    }
}

/// The colours a campaign's prompt uses in one mode (`own` is the action's theme, `top` the config's).
fn palette<'a>(own: Option<&'a Value>, top: Option<&'a Value>, dark: bool) -> Palette<'a> {
    let mut p = Palette {
        colours: Vec::new(),
    };
    for (k, v) in LIGHT {
        p.set(k, v, Source::Default);
    }
    if dark {
        for (k, v) in DARK {
            p.set(k, v, Source::Default);
        }
    }
    let mut layers = vec![(top, Source::Config), (own, Source::Action)];
    if dark {
        layers.push((top.and_then(|t| t.get("dark")), Source::Config));
        layers.push((own.and_then(|t| t.get("dark")), Source::Action));
    }
    for (theme, source) in layers {
        for (k, _) in LIGHT {
            // A value the config check refuses is left out of the rendered theme too.
            if let Some(v) = theme
                .and_then(|t| t.get(k))
                .and_then(Value::as_str)
                .filter(|v| is_colour(v))
            {
                p.set(k, v, source);
            }
        }
    }
    p
}

/// The contrast ratio of `fore` drawn on `back`, `None` when either cannot be read.
fn contrast(fore: Option<&str>, back: Option<&str>) -> Option<f64> {
    let fore = parse(fore?)?;
    let back = parse(back?)?;
    // A translucent background shows the page under it: take the page that gives the lower ratio.
    [[255.0; 4], [0.0, 0.0, 0.0, 1.0]]
        .into_iter()
        .map(|page| {
            let back = over(back, page);
            ratio(over(fore, back), back)
        })
        .reduce(f64::min)
}

/// `top` laid over the opaque `under`.
fn over(top: Rgba, under: Rgba) -> Rgba {
    let a = top[3];
    [
        top[0] * a + under[0] * (1.0 - a),
        top[1] * a + under[1] * (1.0 - a),
        top[2] * a + under[2] * (1.0 - a),
        1.0,
    ]
}

/// WCAG 2.1's contrast ratio of two opaque colours.
fn ratio(a: Rgba, b: Rgba) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// WCAG 2.1's relative luminance.
fn luminance(c: Rgba) -> f64 {
    let channel = |v: f64| {
        let s = v / 255.0;
        if s <= 0.04045 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2])
}

/// A colour as `colour.rs` accepts it: hex, `rgb()`/`rgba()`, `hsl()`/`hsla()` (commas or spaces, an optional
/// `/ alpha`), `transparent`. `None` for `currentColor` and for anything it cannot read.
fn parse(text: &str) -> Option<Rgba> {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix('#') {
        return parse_hex(hex);
    }
    if text.eq_ignore_ascii_case("transparent") {
        return Some([0.0; 4]);
    }
    let open = text.find('(')?;
    let name = text[..open].to_ascii_lowercase();
    let args = text[open + 1..].strip_suffix(')')?;
    let parts: Vec<&str> = args
        .split(|c: char| c == ',' || c == '/' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let (channels, alpha) = match parts.as_slice() {
        [a, b, c] => ([*a, *b, *c], None),
        [a, b, c, d] => ([*a, *b, *c], Some(*d)),
        _ => return None,
    };
    let alpha = match alpha {
        None => 1.0,
        Some(a) => match a.strip_suffix('%') {
            Some(p) => p.parse::<f64>().ok()? / 100.0,
            None => a.parse::<f64>().ok()?,
        }
        .clamp(0.0, 1.0),
    };
    let [r, g, b] = match name.as_str() {
        "rgb" | "rgba" => {
            let channel = |p: &str| -> Option<f64> {
                let v = match p.strip_suffix('%') {
                    Some(p) => p.parse::<f64>().ok()? / 100.0 * 255.0,
                    None => p.parse::<f64>().ok()?,
                };
                Some(v.clamp(0.0, 255.0))
            };
            [
                channel(channels[0])?,
                channel(channels[1])?,
                channel(channels[2])?,
            ]
        }
        "hsl" | "hsla" => {
            let hue = parse_hue(channels[0])?;
            let percent = |p: &str| -> Option<f64> {
                let v: f64 = p.strip_suffix('%').unwrap_or(p).parse().ok()?;
                Some((v / 100.0).clamp(0.0, 1.0))
            };
            hsl_to_rgb(hue, percent(channels[1])?, percent(channels[2])?)
        }
        _ => return None,
    };
    [r, g, b, alpha]
        .iter()
        .all(|v| v.is_finite())
        .then_some([r, g, b, alpha])
}

fn parse_hex(hex: &str) -> Option<Rgba> {
    let digit = |i: usize| -> Option<f64> {
        let d = u8::from_str_radix(hex.get(i..i + 1)?, 16).ok()?;
        Some(f64::from(d))
    };
    let pair = |i: usize| -> Option<f64> { Some(digit(i)? * 16.0 + digit(i + 1)?) };
    let short = |i: usize| -> Option<f64> { Some(digit(i)? * 17.0) };
    match hex.len() {
        3 => Some([short(0)?, short(1)?, short(2)?, 1.0]),
        4 => Some([short(0)?, short(1)?, short(2)?, short(3)? / 255.0]),
        6 => Some([pair(0)?, pair(2)?, pair(4)?, 1.0]),
        8 => Some([pair(0)?, pair(2)?, pair(4)?, pair(6)? / 255.0]),
        _ => None,
    }
}

/// A hue in degrees: a number, or with `deg`, `grad`, `rad` or `turn`.
fn parse_hue(p: &str) -> Option<f64> {
    let units = [
        ("deg", 1.0),
        ("grad", 0.9),
        ("rad", 180.0 / std::f64::consts::PI),
        ("turn", 360.0),
    ];
    for (unit, factor) in units {
        if let Some(n) = p.strip_suffix(unit) {
            return Some(n.parse::<f64>().ok()? * factor);
        }
    }
    p.parse().ok()
}

/// CSS Color 4's `hsl()` to sRGB.
fn hsl_to_rgb(hue: f64, saturation: f64, lightness: f64) -> [f64; 3] {
    let hue = hue.rem_euclid(360.0);
    let f = |n: f64| {
        let k = (n + hue / 30.0) % 12.0;
        let a = saturation * lightness.min(1.0 - lightness);
        255.0 * (lightness - a * (k - 3.0).min(9.0 - k).clamp(-1.0, 1.0))
    };
    [f(0.0), f(8.0), f(4.0)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::parse as json;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.01
    }

    #[test]
    fn colours_read_as_css_reads_them() {
        assert_eq!(parse("#fff"), Some([255.0, 255.0, 255.0, 1.0]));
        assert_eq!(parse("#2563eb"), Some([37.0, 99.0, 235.0, 1.0]));
        assert_eq!(parse("#0000"), Some([0.0; 4]));
        assert_eq!(parse("#ff000080").map(|c| close(c[3], 0.502)), Some(true));
        assert_eq!(parse("rgb(37, 99, 235)"), Some([37.0, 99.0, 235.0, 1.0]));
        assert_eq!(
            parse("rgb(37 99 235 / 50%)"),
            Some([37.0, 99.0, 235.0, 0.5])
        );
        assert_eq!(parse("RGBA(100%,0%,0%,.25)"), Some([255.0, 0.0, 0.0, 0.25]));
        assert_eq!(parse("transparent"), Some([0.0; 4]));
        let hsl = |t: &str| parse(t).map(|c| c.map(|v| v.round()));
        assert_eq!(hsl("hsl(0, 100%, 50%)"), Some([255.0, 0.0, 0.0, 1.0]));
        assert_eq!(hsl("hsl(120deg 100% 25%)"), Some([0.0, 128.0, 0.0, 1.0]));
        assert_eq!(
            hsl("hsla(.5turn, 100%, 50%, 1)"),
            Some([0.0, 255.0, 255.0, 1.0])
        );
        assert_eq!(hsl("hsl(-120, 100%, 50%)"), Some([0.0, 0.0, 255.0, 1.0]));
        for unread in ["currentColor", "rgb(1,2)", "hsl(x,1%,1%)", "#12"] {
            assert_eq!(parse(unread), None, "{unread}");
        }
    }

    #[test]
    fn ratios_are_wcag_ones() {
        let r = |a: &str, b: &str| contrast(Some(a), Some(b)).unwrap();
        assert!(close(r("#000", "#fff"), 21.0));
        assert!(close(r("#fff", "#fff"), 1.0));
        // WCAG's own example of a colour just under AA on white.
        assert!(close(r("#777", "#fff"), 4.47));
        assert!(close(r("#767676", "#fff"), 4.54));
        // Translucent text is laid over its background.
        assert!(close(r("rgba(0,0,0,0)", "#fff"), 1.0));
        // A translucent background is judged over the page that makes it worse.
        assert!(r("#fff", "rgba(0,0,0,.5)") < r("#fff", "#000"));
    }

    #[test]
    fn the_built_in_palettes_pass() {
        let config = json(r#"{"campaigns": [{"id": "a", "action": {"type": "survey"}}]}"#).unwrap();
        assert_eq!(warnings(&config), Vec::<Warning>::new());
    }

    /// The `--wl-*` custom properties a `:host{...}` rule of the stylesheet sets, from `at` on.
    #[cfg(not(target_arch = "wasm32"))]
    fn host_properties<'a>(css: &'a str, at: &str) -> Vec<(&'a str, &'a str)> {
        let rule = &css[css.find(at).unwrap() + at.len()..];
        let rule = &rule[..rule.find('}').unwrap()];
        rule.split(';')
            .filter_map(|d| d.strip_prefix("--wl-")?.split_once(':'))
            .collect()
    }

    /// The value a rule's properties (of [`host_properties`]) give `--wl-{name}`.
    #[cfg(not(target_arch = "wasm32"))]
    fn value_of<'a>(rule: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
        rule.iter().find(|(p, _)| *p == name).map(|(_, v)| *v)
    }

    /// The palettes checked here are the ones the prompt's stylesheet ships, light and dark, as
    /// `src/web/prompt/style.rs` writes them: the checked colours, under the custom properties `theme.rs` sets them
    /// as.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_built_in_palettes_are_the_stylesheets() {
        let css = style::sheet(None);
        let light = host_properties(&css, ":host{");
        let dark = host_properties(&css, "@media(prefers-color-scheme:dark){:host{");
        let property = |key: &str| {
            let mut pairs = super::super::theme::COLOURS.split('|');
            while let (Some(k), Some(p)) = (pairs.next(), pairs.next()) {
                if k == key {
                    return p;
                }
            }
            panic!("{key} is not a theme colour");
        };
        for (key, value) in LIGHT {
            assert_eq!(value_of(&light, property(key)), Some(value), "light {key}");
            let checked = DARK.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
            assert_eq!(value_of(&dark, property(key)), checked, "dark {key}");
        }
        assert!(DARK.iter().all(|(k, _)| LIGHT.iter().any(|(l, _)| l == k)));
    }

    /// `docs/prompts.md`'s table of custom properties gives each colour's defaults as the stylesheet sets them.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_documented_defaults_are_the_stylesheets() {
        let css = style::sheet(None);
        let light = host_properties(&css, ":host{");
        let dark = host_properties(&css, "@media(prefers-color-scheme:dark){:host{");
        let doc = include_str!("../../../docs/prompts.md");
        let mut pairs = super::super::theme::COLOURS.split('|');
        while let (Some(_), Some(property)) = (pairs.next(), pairs.next()) {
            let row = doc
                .lines()
                .find(|l| l.starts_with(&format!("| `--wl-{property}` |")))
                .unwrap_or_else(|| panic!("docs/prompts.md has no row for --wl-{property}"));
            let cells: Vec<&str> = row.split('|').map(|c| c.trim().trim_matches('`')).collect();
            let light_value = value_of(&light, property).unwrap();
            let dark_value = value_of(&dark, property).unwrap_or("same");
            assert_eq!(cells[3], light_value, "light --wl-{property}: {row}");
            assert_eq!(cells[4], dark_value, "dark --wl-{property}: {row}");
        }
    }

    #[test]
    fn low_contrast_is_reported_once_per_palette_where_it_is_set() {
        let config = json(
            r##"{"theme": {"textColor": "#999", "dark": {"accentColor": "#7fc8a0"}},
                 "campaigns": [
                   {"id": "a", "action": {"type": "survey"}},
                   {"id": "b", "action": {"type": "reward"}},
                   {"id": "c", "action": {"type": "survey", "theme": {"backgroundColor": "#000", "textColor": "#222"}}},
                   {"id": "d", "action": {"type": "custom", "theme": {"textColor": "#fff"}}}
                 ]}"##,
        )
        .unwrap();
        assert_eq!(
            warnings(&config)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                "theme: in light mode, textColor #999 on the default backgroundColor #fff contrasts 2.84:1, under the 4.5:1 WCAG AA asks of text",
                "theme: in dark mode, the default accentTextColor #fff on accentColor #7fc8a0 contrasts 1.96:1, under the 4.5:1 WCAG AA asks of text",
                "campaigns[2].action.theme: in light mode, textColor #222 on backgroundColor #000 contrasts 1.31:1, under the 4.5:1 WCAG AA asks of text",
                "campaigns[2].action.theme: in dark mode, textColor #222 on backgroundColor #000 contrasts 1.31:1, under the 4.5:1 WCAG AA asks of text",
            ]
        );
    }
}
