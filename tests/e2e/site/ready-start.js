// The instant the SDK's script tag starts (bench/ready.mjs).
window.__scriptStart = performance.now();
