// Appointment page (appointments/detail.html): a link to #rebook, #cancel or #no-show (the
// confirmation list's 改约 and 取消) opens that folded form. No inline code (strict CSP).
(function () {
  "use strict";

  function openFromHash() {
    var id = window.location.hash.slice(1);
    var target = id && document.getElementById(id);
    if (target && target.classList.contains("collapse") && window.bootstrap) {
      window.bootstrap.Collapse.getOrCreateInstance(target, { toggle: false }).show();
      target.scrollIntoView();
    }
  }
  document.addEventListener("DOMContentLoaded", openFromHash);
  window.addEventListener("hashchange", openFromHash);
})();
