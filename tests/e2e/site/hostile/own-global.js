// The page's own namespace object, at the name the SDK's snippet uses.
window.wayline = { version: '2.1', widgets: ['map'] };
