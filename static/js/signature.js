// The customer's signature on a canvas (signature_pad 5, vendored): on submit the PNG
// data URL and the stroke points go into the form's hidden fields.
(function () {
  "use strict";

  function setUp() {
    var form = document.getElementById("sign-form");
    var canvas = document.getElementById("signature-canvas");
    if (!form || !canvas || typeof SignaturePad === "undefined") return;
    var pad = new SignaturePad(canvas, { penColor: "#0b2a4a", minWidth: 1, maxWidth: 3 });

    // The canvas' pixels follow its box and the screen's density, or strokes land offset
    // and blurred; resizing clears it, so the strokes are drawn again.
    function resize() {
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var data = pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      pad.fromData(data);
    }
    window.addEventListener("resize", resize);
    resize();

    var empty = document.getElementById("signature-empty");
    pad.addEventListener("beginStroke", function () {
      empty.classList.add("d-none");
    });
    document.getElementById("signature-clear").addEventListener("click", function () {
      pad.clear();
    });
    form.addEventListener("submit", function (event) {
      if (pad.isEmpty()) {
        event.preventDefault();
        empty.classList.remove("d-none");
        return;
      }
      form.querySelector('input[name="png_data_url"]').value = pad.toDataURL("image/png");
      form.querySelector('input[name="points"]').value = JSON.stringify(pad.toData());
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
