// Licence photos (行驶证): the camera button uploads the photo as soon as it is taken, and
// a tap on a VIN candidate fills the VIN field. No inline code (strict CSP); bound by
// delegation, since htmx swaps the confirm form in once the photo has been read.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("licence-input")) return;
    if (!input.files || !input.files.length) return;
    var form = input.form;
    form.classList.add("is-uploading");
    var label = form.querySelector(".licence-camera-label");
    if (label) label.textContent = "正在上传…";
    form.requestSubmit();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".licence-candidate");
    if (!button) return;
    var field = document.getElementById(button.dataset.target);
    if (!field) return;
    field.value = button.dataset.value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    var group = button.parentElement.querySelectorAll(".licence-candidate");
    for (var i = 0; i < group.length; i++) group[i].classList.remove("active");
    button.classList.add("active");
  });
})();
