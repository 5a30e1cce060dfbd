// The work-order page (templates/workorders/detail.html): the approval panel's signature
// pad and method switch, the decline-reason fields, confirmations, and scrolling to the
// first error after a refused form. Loaded as a file: the CSP allows no inline script.
(function () {
  "use strict";

  // A form refused by its service comes back with errors: show that form, not the top.
  var firstError = document.querySelector(".is-invalid, .alert-danger, .errorlist");
  if (firstError) {
    firstError.scrollIntoView({ block: "center" });
  }

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });

  var form = document.getElementById("approval-form");
  if (!form) {
    return;
  }

  // --- decline reasons: only asked for lines the customer declines -------------------------
  function syncReasons() {
    form.querySelectorAll(".approval-row").forEach(function (row) {
      var declined = row.querySelector(".decision[value=decline]:checked") !== null;
      var reason = row.querySelector(".decline-reason");
      reason.disabled = !declined;
      reason.required = declined;
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.classList.contains("decision")) {
      syncReasons();
    }
  });
  syncReasons();

  // --- signature or phone ------------------------------------------------------------------
  var canvas = document.getElementById("signature-pad");
  var pad = null;
  function resizeCanvas() {
    // Draw at the device's pixel ratio so the PNG is sharp on a tablet's screen.
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var data = pad ? pad.toData() : [];
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    if (pad) {
      pad.clear();
      pad.fromData(data);
    }
  }
  if (canvas && window.SignaturePad) {
    pad = new window.SignaturePad(canvas, { backgroundColor: "rgb(255, 255, 255)" });
    window.addEventListener("resize", resizeCanvas);
    document.getElementById("signature-clear").addEventListener("click", function () {
      pad.clear();
    });
  }

  function currentMethod() {
    var checked = form.querySelector(".approval-method:checked");
    return checked ? checked.value : "";
  }
  function syncMethod() {
    var method = currentMethod();
    form.querySelectorAll(".method-panel").forEach(function (panel) {
      panel.hidden = panel.dataset.method !== method;
    });
    if (method === "signature" && canvas) {
      resizeCanvas();
    }
  }
  form.addEventListener("change", function (event) {
    if (event.target.classList.contains("approval-method")) {
      syncMethod();
    }
  });
  syncMethod();

  form.addEventListener("submit", function () {
    var png = form.querySelector("input[name=png_data_url]");
    var points = form.querySelector("input[name=points]");
    if (currentMethod() === "signature" && pad && !pad.isEmpty()) {
      png.value = pad.toDataURL("image/png");
      points.value = JSON.stringify(pad.toData());
    } else {
      png.value = "";
      points.value = "";
    }
  });
})();
