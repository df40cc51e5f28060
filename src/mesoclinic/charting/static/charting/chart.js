// Charting: a click on a zone of a picture adds a row for it; totals refresh through htmx.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var form = document.getElementById("chart-form");
    if (!form) return;
    var rows = document.getElementById("chart-rows");
    var template = document.getElementById("row-template");
    var names = {};
    document.querySelectorAll("#add-zone option").forEach(function (o) { names[o.value] = o.textContent; });

    function changed() { document.body.dispatchEvent(new Event("rows-changed")); }

    function addRow(zone) {
      var row = template.content.firstElementChild.cloneNode(true);
      row.dataset.zone = zone;
      row.querySelector("input[name=zone_id]").value = zone;
      row.querySelector(".zone-name").textContent = names[zone] || zone;
      var technique = row.querySelector("select[name=technique_id]");
      if (form.dataset.defaultTechnique) technique.value = form.dataset.defaultTechnique;
      var lot = row.querySelector("select[name=lot_id]");
      if (form.dataset.defaultLot) lot.value = form.dataset.defaultLot;
      rows.appendChild(row);
      markZones();
      row.querySelector("input[name=volume_ml]").focus();
      changed();
    }

    function markZones() {
      var chosen = {};
      rows.querySelectorAll("input[name=zone_id]").forEach(function (i) { chosen[i.value] = true; });
      document.querySelectorAll(".chart-zone").forEach(function (g) {
        g.classList.toggle("chosen", !!chosen[g.dataset.zone]);
      });
    }

    document.querySelectorAll(".chart-zone").forEach(function (g) {
      g.addEventListener("click", function () { addRow(g.dataset.zone); });
      g.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); addRow(g.dataset.zone); }
      });
    });
    document.getElementById("add-zone-button").addEventListener("click", function () {
      addRow(document.getElementById("add-zone").value);
    });
    rows.addEventListener("click", function (e) {
      if (e.target.classList.contains("remove-row")) {
        e.target.closest("tr").remove();
        markZones();
        changed();
      }
    });
    // A double submit (a retry after a lost connection) carries the same token: the
    // server saves once.
    form.addEventListener("submit", function () {
      form.querySelector("button[type=submit]").disabled = true;
    });
    markZones();
    // The picture is visible before this deferred script runs: a click that early would
    // be lost. Pages (and browser tests) can tell the chart is ready to take clicks.
    form.dataset.ready = "1";
  });
})();
