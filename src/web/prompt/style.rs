//! The prompt's stylesheet (adopted by the shadow root: a `<style>` element would be blocked by a strict CSP) and
//! the theme as CSS custom properties on the host.
//!
//! The host resets everything the page could push in (`all: initial !important`: inside a shadow tree an
//! important declaration beats the page's important ones); page rules never match the elements inside. The
//! `--wl-*` defaults and the config's theme are `:host` rules, so a page rule on `wayline-prompt` overrides both.
//! The theme arrives checked and rendered by the compiler, and only ever goes into this shadow root's sheet. The
//! built-in colours are core's (`theme::default_colour`), which `wayline check` judges themes' contrast against.
//!
//! `all` leaves `direction` alone, so the prompt inherits the page's: on a right-to-left page (`<html dir="rtl">`)
//! its rows run from the right. Hence logical properties (`inset-inline-end`, `margin-inline-end`) wherever a side
//! matters inside the dialog; the dialog's own place on screen is the configured `position`, as written.

use crate::core::campaigns::theme::default_colour;
use crate::core::json::Value;

const CSS: &str = concat!(
    ":host{all:initial!important;display:block!important;",
    "--wl-accent:",
    default_colour!(accent),
    ";--wl-on-accent:",
    default_colour!(on_accent),
    ";--wl-bg:",
    default_colour!(bg),
    ";--wl-fg:",
    default_colour!(fg),
    ";--wl-border:",
    default_colour!(border),
    ";--wl-radius:12px;",
    "--wl-font:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif}",
    "@media(prefers-color-scheme:dark){:host{--wl-bg:",
    default_colour!(dark bg),
    ";--wl-fg:",
    default_colour!(dark fg),
    ";--wl-border:",
    default_colour!(dark border),
    "}}",
    "*{box-sizing:border-box;margin:0;padding:0;border:0;background:none;color:inherit;font:inherit;",
    "text-align:inherit;max-width:100%}",
    ".d{position:fixed;z-index:2147483647;right:8px;bottom:8px;width:min(380px,100vw - 16px);",
    "max-height:calc(100vh - 16px);overflow:auto;padding:16px;background:var(--wl-bg);color:var(--wl-fg);",
    "font:15px/1.4 var(--wl-font);overflow-wrap:anywhere;border:1px solid var(--wl-border);",
    "border-radius:var(--wl-radius);box-shadow:0 8px 32px rgba(0,0,0,.28);animation:wl .2s ease-out}",
    "@keyframes wl{from{opacity:0;transform:translateY(12px)}}",
    "[data-pos=bottom-left]{right:auto;left:8px}[data-pos=bottom]{left:0;right:0;margin:0 auto}",
    "[data-pos=center]{inset:0;margin:auto;height:fit-content}",
    "h2,.q{font-weight:600;padding-inline-end:28px;margin-bottom:10px}h2{font-size:17px}",
    ".p,.l{font-size:12px;opacity:.75}",
    "button{cursor:pointer;touch-action:manipulation;min-height:36px;",
    "border-radius:calc(var(--wl-radius)/2)}",
    ".x{position:absolute;top:6px;inset-inline-end:6px;width:32px;font-size:22px;line-height:1;opacity:.7}",
    ".g{display:grid;grid-template-columns:repeat(5,1fr);gap:6px}.n11{grid-template-columns:repeat(11,1fr);gap:3px}",
    // Eleven columns leave "10" about 27 px with no side padding: it fits on one line.
    ".n11 .o{padding-inline:0}",
    ".ch{grid-template-columns:1fr}.o{padding:4px;border:1px solid var(--wl-border);text-align:center}",
    ".ch .o{padding:8px 12px;text-align:start}",
    ".o[aria-checked=true]{background:var(--wl-accent);border-color:var(--wl-accent);color:var(--wl-on-accent)}",
    // A star not chosen is the text colour at half opacity: 3:1 with the background (WCAG 1.4.11), light and dark.
    ".r{display:flex;gap:2px}.r .o{border:0;background:none;font-size:30px;line-height:1;color:var(--wl-fg);",
    "opacity:.5}.r:has([aria-checked=true]) .o{color:var(--wl-accent);opacity:1}",
    ".r [aria-checked=true]~.o{color:var(--wl-fg);opacity:.5}",
    ".l{display:flex;justify-content:space-between;gap:8px;margin-top:6px}",
    ".n{margin:12px 0 0;margin-inline-end:8px;padding:6px 16px;font-weight:600;border:1px solid var(--wl-accent);",
    "background:var(--wl-accent);color:var(--wl-on-accent)}.n2{background:none;color:inherit}",
    // The text box's border is all that shows where to type: the text colour at 55% (3:1 with the background, WCAG
    // 1.4.11, light and dark), over the faint border of the rest where `color-mix` is unknown. Its placeholder is
    // the text colour at 70% rather than the browser's fixed grey (3.5:1 on the dark background).
    "textarea{display:block;width:100%;min-height:84px;padding:8px;border:1px solid var(--wl-border);",
    "border-color:color-mix(in srgb,var(--wl-fg) 55%,#0000);border-radius:calc(var(--wl-radius)/2);",
    "resize:vertical}::placeholder{color:inherit;opacity:.7}",
    ".k{padding:10px;border:1px dashed var(--wl-border);border-radius:calc(var(--wl-radius)/2);",
    "font:600 17px/1.3 ui-monospace,Menlo,Consolas,monospace;text-align:center;word-break:break-all;",
    "user-select:all;-webkit-user-select:all}.u{font-size:14px}.x+div>.k:first-child{margin-inline-end:36px}",
    ".s{margin-top:8px;font-weight:600;padding-inline-end:28px}",
    ":focus-visible{outline:2px solid var(--wl-accent);outline-offset:2px}",
    "@media(max-width:400px){.n11{grid-template-columns:repeat(6,1fr)}}",
    "@media(prefers-reduced-motion:reduce){.d{animation:none}}",
    // Forced colours (Windows' contrast themes) paint a chosen option's accent as the page's background, so a
    // ticked box looked like the others: the system's selection colours mark it instead (`.d` outranks the stars'
    // `.r:has(…) .o`).
    "@media(forced-colors:active){.d .o[aria-checked=true]{forced-color-adjust:none;background:Highlight;",
    "color:HighlightText}}",
);

/// The campaign's compiled theme (`core::campaigns::theme`: `[CSS, position]`, checked and rendered by the
/// compiler) at `i`, if it is a string. Anything else is left out: the built-in look stays.
fn part(theme: Option<&Value>, i: usize) -> Option<&str> {
    theme?.as_array()?.get(i)?.as_str()
}

/// The whole stylesheet: the built-in rules, then the theme's.
pub(super) fn sheet(theme: Option<&Value>) -> String {
    [CSS, part(theme, 0).unwrap_or_default()].concat()
}

/// The dialog's position (`data-pos`), or `bottom-right`.
pub(super) fn position(theme: Option<&Value>) -> &str {
    part(theme, 1).unwrap_or("bottom-right")
}
