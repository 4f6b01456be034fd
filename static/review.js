// Review screen: text selected in the notice fills the "add a missed directive" box; on every
// page, destructive buttons ask for confirmation. No inline script (CSP), no third-party code.
(function () {
  "use strict";
  var notice = document.getElementById("notice-text");
  var task = document.getElementById("new-task");
  var source = document.getElementById("new-source");
  if (notice && task && source && !notice.hasAttribute("data-select-ready")) {
    notice.setAttribute("data-select-ready", "");
    notice.addEventListener("mouseup", function () {
      var selection = window.getSelection ? String(window.getSelection()).trim() : "";
      if (selection.length > 10) {
        task.value = selection;
        source.value = selection;
        task.focus();
      }
    });
  }
  // A form, or the one button of a form that destroys something, asks first. One listener
  // for the whole page, so loading this file twice still asks only once.
  if (document.documentElement.hasAttribute("data-confirm-ready")) { return; }
  document.documentElement.setAttribute("data-confirm-ready", "");
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) ||
      event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
