// Reception pages (接车): the open form's conditional fields, and the damage marks on
// the car outline. No inline code (strict CSP): everything is bound here, by delegation
// where htmx swaps the elements.
(function () {
  "use strict";

  function toggle(element, shown) {
    if (element) element.classList.toggle("d-none", !shown);
  }

  // --- the open form: the reason when the mileage is lower, the insurer for accidents ---
  function refreshOpenForm() {
    var mileage = document.getElementById("id_mileage");
    if (mileage) {
      var last = parseInt(mileage.dataset.lastMileage, 10) || 0;
      var typed = parseInt(mileage.value, 10);
      var reason = document.getElementById("mileage-reason");
      var hasError = reason && reason.querySelector(".is-invalid");
      toggle(reason, (!isNaN(typed) && typed < last) || !!hasError);
    }
    var accident = document.querySelector('input[name="kind"][value="accident"]');
    if (accident) {
      var insurer = document.getElementById("insurer-fields");
      var insurerError = insurer && insurer.querySelector(".is-invalid");
      toggle(insurer, accident.checked || !!insurerError);
    }
  }
  document.addEventListener("input", function (event) {
    if (event.target.id === "id_mileage") refreshOpenForm();
  });
  document.addEventListener("change", function (event) {
    if (event.target.name === "kind") refreshOpenForm();
  });
  document.addEventListener("DOMContentLoaded", refreshOpenForm);

  // --- a photo is uploaded as soon as it is taken (one tap on the tablet) ---
  document.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("photo-input")) {
      if (event.target.files && event.target.files.length) event.target.form.requestSubmit();
    }
  });

  // --- the outline: a tap opens the picker at that spot (x, y in % of the drawing) ---
  document.addEventListener("click", function (event) {
    var outline = event.target.closest && event.target.closest("svg.car-outline.is-editable");
    if (outline) {
      var box = outline.getBoundingClientRect();
      var x = ((event.clientX - box.left) / box.width) * 100;
      var y = ((event.clientY - box.top) / box.height) * 100;
      x = Math.min(100, Math.max(0, x)).toFixed(2);
      y = Math.min(100, Math.max(0, y)).toFixed(2);
      document.getElementById("mark-x").value = x;
      document.getElementById("mark-y").value = y;
      var pending = document.getElementById("mark-pending");
      pending.setAttribute("cx", x + "%");
      pending.setAttribute("cy", y + "%");
      var picker = document.getElementById("mark-picker");
      toggle(picker, true);
      var first = picker.querySelector("button[name=kind]");
      if (first) first.focus({ preventScroll: true });
      return;
    }
    if (event.target.id === "mark-cancel") {
      toggle(document.getElementById("mark-picker"), false);
      var dot = document.getElementById("mark-pending");
      dot.setAttribute("cx", "-100");
      dot.setAttribute("cy", "-100");
    }
  });
})();
