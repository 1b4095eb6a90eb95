// The page calls the SDK right after its snippet, before the SDK has loaded.
window.clashThrew = [];
try {
  wayline.track('Clash Call', { ok: true });
} catch (e) {
  clashThrew.push(String(e));
}
