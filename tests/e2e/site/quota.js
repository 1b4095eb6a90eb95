// The host page fills localStorage to its quota before the SDK starts.
(function () {
  const chunk = 'x'.repeat(256 * 1024);
  let i = 0;
  try {
    for (; i < 1000; i++) localStorage.setItem('host:filler:' + i, chunk);
  } catch (e) {
    // Fill the remainder with smaller pieces.
    const small = 'y'.repeat(1024);
    try {
      for (let j = 0; j < 100000; j++) localStorage.setItem('host:small:' + j, small);
    } catch (e2) {
      window.quotaFull = true;
    }
  }
})();
