// The job board (templates/workshop/job_board.html): asks htmx to refresh the board's body
// every few seconds while the tab is visible, never while it is hidden (a screen left on
// another tab costs nothing), and at once when it becomes visible again. A file, not an
// htmx filter expression: the CSP and htmx's allowEval=false allow no evaluated code.
(function () {
  "use strict";

  var body = document.getElementById("job-board-body");
  if (!body || !window.htmx) {
    return;
  }
  var seconds = parseInt(body.dataset.refreshSeconds, 10) || 10;
  var timer = null;

  function refresh() {
    window.htmx.trigger(body, "jobboard:refresh");
  }
  function start() {
    if (timer === null) {
      timer = window.setInterval(refresh, seconds * 1000);
    }
  }
  function stop() {
    if (timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      refresh();
      start();
    } else {
      stop();
    }
  });
  if (document.visibilityState === "visible") {
    start();
  }

  // Only the board's own answer is swapped in; anything else (the login page after the
  // session ended) reloads the page, which then shows what the user has to do.
  body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 200 && !xhr.getResponseHeader("X-Job-Board")) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });

  var board = document.getElementById("job-board");
  var fullscreen = document.getElementById("job-board-fullscreen");
  if (fullscreen && board && board.requestFullscreen) {
    fullscreen.addEventListener("click", function () {
      board.classList.add("job-board-fullscreen");
      board.requestFullscreen();
    });
    document.addEventListener("fullscreenchange", function () {
      if (!document.fullscreenElement) {
        board.classList.remove("job-board-fullscreen");
      }
    });
  }
})();
