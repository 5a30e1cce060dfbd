// The technician's tablet (templates/workshop/floor/*.html): the clock of a running job
// ticks on the page (hours:minutes since the page was served, added to the seconds the
// server counted), and a refused form scrolls into view. Loaded as a file: the CSP allows
// no inline script.
(function () {
  "use strict";

  var firstError = document.querySelector(".is-invalid, .alert-danger");
  if (firstError) {
    firstError.scrollIntoView({ block: "center" });
  }

  var loaded = Date.now();
  var timers = document.querySelectorAll(".job-timer[data-running]");
  if (!timers.length) {
    return;
  }

  function show(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = minutes % 60;
    return Math.floor(minutes / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function tick() {
    var since = Math.floor((Date.now() - loaded) / 1000);
    timers.forEach(function (timer) {
      timer.textContent = show(parseInt(timer.dataset.seconds, 10) + since);
    });
  }

  // Minutes are what the page shows: a tick every 15 s keeps it within a quarter minute.
  window.setInterval(tick, 15000);
})();
