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

// The report's period: the year counts for a quarter, a half, a month or the whole year, the
// two dates only for "Từ ngày – đến ngày"; show the fields that count for the choice.
document.addEventListener("DOMContentLoaded", () => {
  const part = document.getElementById("part");
  if (!part) return;
  const show = () => {
    const range = part.value === "range";
    for (const el of document.querySelectorAll("[data-when-part=range]")) el.hidden = !range;
    for (const el of document.querySelectorAll("[data-unless-part=range]")) el.hidden = range;
  };
  show();
  part.addEventListener("change", show);
});
