// A page bundled by Vite from the npm package: the wasm file is found by the bundler through the package.
import { wayline } from 'wayline';

const status = document.getElementById('status');
wayline.on('ready', () => {
  status.textContent = 'ready: ' + wayline.anonymousId();
});
// The collector is the page's own origin (the demo), or the one `?endpoint=` names, with `?writeKey=`'s key.
const params = new URLSearchParams(location.search);
const options = { writeKey: params.get('writeKey') || 'wk_demo', endpoint: params.get('endpoint') || location.origin };
wayline.init(options).then((ok) => {
  if (!ok) status.textContent = 'Wayline could not start';
});
document.getElementById('signup').addEventListener('click', () => {
  wayline.track('Signed Up', { via: 'npm-app' });
});
