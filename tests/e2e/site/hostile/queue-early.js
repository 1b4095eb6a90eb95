// A call the page makes before the SDK has loaded (the stub queues it), with an array among its properties.
wayline.track('Queued Before Load', { list: [1, 2], name: 'early' });
