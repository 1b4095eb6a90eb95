// The host page fills localStorage to its quota before the SDK starts; `window.quotaFull` says it got there.
(function () {
  var big = 'x'.repeat(256 * 1024);
  var small = 'y'.repeat(1024);
  try {
    for (var i = 0; i < 1000; i++) localStorage.setItem('host:filler:' + i, big);
  } catch (e) {
    try {
      for (var j = 0; j < 100000; j++) localStorage.setItem('host:small:' + j, small);
    } catch (e2) {
      window.quotaFull = true;
    }
  }
})();
