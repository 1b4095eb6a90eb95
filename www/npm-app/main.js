// A page bundled by Vite from the npm package: the wasm file is found by the bundler through the package.
import { wayline } from 'wayline';

const status = document.getElementById('status');
wayline.on('ready', () => {
  status.textContent = 'ready: ' + wayline.anonymousId();
});
wayline.init({ writeKey: 'wk_demo', endpoint: location.origin }).then((ok) => {
  if (!ok) status.textContent = 'Wayline could not start';
});
document.getElementById('signup').addEventListener('click', () => {
  wayline.track('Signed Up', { via: 'npm-app' });
});
