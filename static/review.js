// Review screen: text selected in the notice fills the "add a missed directive" box, and
// destructive buttons ask for confirmation. No inline script (CSP), no third-party code.
(function () {
  "use strict";
  var notice = document.getElementById("notice-text");
  var task = document.getElementById("new-task");
  var source = document.getElementById("new-source");
  if (notice && task && source) {
    notice.addEventListener("mouseup", function () {
      var selection = window.getSelection ? String(window.getSelection()).trim() : "";
      if (selection.length > 10) {
        task.value = selection;
        source.value = selection;
        task.focus();
      }
    });
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
