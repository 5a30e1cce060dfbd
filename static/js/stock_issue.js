// The parts counter's issue form (stock/work_order_parts.html): the technician signs on
// the pad (signature_pad 5, vendored) and 签字出库 sends the PNG and the strokes; or
// 出库,技师在平板上确认 sends no drawing and the technician confirms from their own login.
(function () {
  "use strict";

  function setUp() {
    var form = document.getElementById("issue-form");
    var canvas = document.getElementById("issue-signature");
    if (!form || !canvas || typeof SignaturePad === "undefined") return;
    var pad = new SignaturePad(canvas, { penColor: "#0b2a4a", minWidth: 1, maxWidth: 3 });
    var empty = document.getElementById("issue-signature-empty");

    // The canvas' pixels follow its box and the screen's density (strokes would land
    // offset otherwise); resizing clears it, so the strokes are drawn again.
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

    pad.addEventListener("beginStroke", function () {
      empty.classList.add("d-none");
    });
    document.getElementById("issue-signature-clear").addEventListener("click", function () {
      pad.clear();
    });
    form.addEventListener("submit", function (event) {
      var later = event.submitter && event.submitter.name === "later";
      var field = form.querySelector('input[name="confirm_later"]');
      field.value = later ? "on" : "";
      if (later) {
        form.querySelector('input[name="png_data_url"]').value = "";
        form.querySelector('input[name="points"]').value = "";
        return;
      }
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
