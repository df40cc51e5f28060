// Calendar: a click on a free place in a column opens the booking form at that quarter
// hour. The column carries its booking address (date, and practitioner where the column
// is one); the grid carries its first minute; a row is a quarter hour. Each column's
// "Book" link books without a mouse. Delegated from the document: htmx replaces the grid.
(function () {
  "use strict";
  var STEP = 15;

  function slotAt(column, event) {
    var rowHeight = parseFloat(getComputedStyle(column).gridTemplateRows);
    var y = event.clientY - column.getBoundingClientRect().top;
    return Math.max(0, Math.floor(y / rowHeight));
  }

  function free(event) {
    var column = event.target.closest && event.target.closest(".cal-col[data-book]");
    return column && !event.target.closest("a") ? column : null;
  }

  document.addEventListener("click", function (event) {
    var column = free(event);
    if (!column) return;
    var first = Number(column.parentNode.dataset.first);
    var minutes = first + slotAt(column, event) * STEP;
    var hh = String(Math.floor(minutes / 60) % 24).padStart(2, "0");
    var mm = String(minutes % 60).padStart(2, "0");
    window.location.assign(column.dataset.book + "&time=" + hh + ":" + mm);
  });

  document.addEventListener("mousemove", function (event) {
    var column = free(event);
    if (column) column.style.setProperty("--slot", slotAt(column, event));
  });
})();
