// The warranty pages (templates/warranty/): confirmations of destructive buttons, and
// scrolling to the first error after a refused form. A file: the CSP allows no inline script.
(function () {
  "use strict";

  var firstError = document.querySelector(".is-invalid, .alert-danger");
  if (firstError) {
    firstError.scrollIntoView({ block: "center" });
  }

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
