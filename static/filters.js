// Filter forms fold their less used fields under "Bộ lọc khác" on phones (a <details> the
// server opens when one of them is in use); on wide screens every field shows at once, also
// after a window grows from a phone's width (the summary that opens the fold is hidden then).
document.addEventListener("DOMContentLoaded", () => {
  const wide = window.matchMedia("(min-width: 601px)");
  const unfold = () => {
    if (!wide.matches) return;
    for (const fold of document.querySelectorAll("details.more-filters")) fold.open = true;
  };
  unfold();
  wide.addEventListener("change", unfold);
});
