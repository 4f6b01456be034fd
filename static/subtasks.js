// The task page's "fill the report from the sub-tasks" button: copies the drafted text into
// the progress form's note (kept as typed if the unit already wrote something: appended).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-fill]");
  if (!button) return;
  const target = document.getElementById(button.dataset.fill);
  if (!target) return;
  const text = button.dataset.fillText || "";
  target.value = target.value.trim() ? target.value.trim() + "\n" + text : text;
  target.focus();
  target.scrollIntoView({ block: "center" });
});
