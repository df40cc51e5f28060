// Charting: a click on a zone of a picture adds a row for it; totals refresh through htmx.
// In "point" or "line" mode a touch on a picture (diagram or baseline photograph) places
// an injection point, a drag or two touches a line, on the row of the zone touched. Each
// point is a list item of the row with one hidden field per value, posted with the form.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  var SVGNS = "http://www.w3.org/2000/svg";
  ready(function () {
    var form = document.getElementById("chart-form");
    if (!form) return;
    var rows = document.getElementById("chart-rows");
    var template = document.getElementById("row-template");
    var pointTemplate = document.getElementById("point-template");
    var maps = document.querySelector(".chart-maps");
    var names = {};
    var nextKey = 0;
    var activeRow = null;
    var pending = null;  // the first end of a line drawn by two touches
    document.querySelectorAll("#add-zone option").forEach(function (o) { names[o.value] = o.textContent; });
    rows.querySelectorAll("input[name=row_key]").forEach(function (i) {
      var n = parseInt(i.value, 10);
      if (!isNaN(n) && n >= nextKey) nextKey = n + 1;
    });

    function changed() { document.body.dispatchEvent(new Event("rows-changed")); }
    function mode() {
      var checked = document.querySelector("input[name=mark_mode]:checked");
      return checked ? checked.value : "zone";
    }

    function addRow(zone, focus) {
      var row = template.content.firstElementChild.cloneNode(true);
      var key = "n" + (nextKey++);
      row.dataset.zone = zone;
      row.dataset.key = key;
      row.querySelector("input[name=row_key]").value = key;
      row.querySelector("input[name=zone_id]").value = zone;
      row.querySelector(".zone-name").textContent = names[zone] || zone;
      var technique = row.querySelector("select[name=technique_id]");
      if (form.dataset.defaultTechnique) technique.value = form.dataset.defaultTechnique;
      var lot = row.querySelector("select[name=lot_id]");
      if (form.dataset.defaultLot) lot.value = form.dataset.defaultLot;
      rows.appendChild(row);
      markZones();
      if (focus !== false) row.querySelector("input[name=volume_ml]").focus();
      changed();
      return row;
    }

    function markZones() {
      var chosen = {};
      rows.querySelectorAll("input[name=zone_id]").forEach(function (i) { chosen[i.value] = true; });
      document.querySelectorAll(".chart-zone").forEach(function (g) {
        g.classList.toggle("chosen", !!chosen[g.dataset.zone]);
      });
    }

    function setActive(row) {
      if (activeRow) activeRow.classList.remove("active");
      activeRow = row;
      if (row) row.classList.add("active");
    }

    // The row a point goes to: the active row if it is the zone's, else the zone's last
    // row, else a new row for the zone; without a zone, the active row.
    function rowFor(zone) {
      if (!zone) return activeRow && activeRow.isConnected ? activeRow : null;
      if (activeRow && activeRow.isConnected && activeRow.dataset.zone === zone) return activeRow;
      var found = rows.querySelectorAll('tr.chart-row[data-zone="' + zone + '"]');
      return found.length ? found[found.length - 1] : addRow(zone, false);
    }

    function fraction(value) { return (Math.round(Math.min(Math.max(value, 0), 1) * 10000) / 10000).toString(); }

    function addPoint(row, figure, start, end) {
      var item = pointTemplate.content.firstElementChild.cloneNode(true);
      var photo = figure.dataset.photo || "";
      function set(name, value) { item.querySelector('input[name="' + name + '"]').value = value; }
      set("point_row", row.dataset.key);
      set("point_canvas", photo ? "photo" : figure.dataset.map);
      set("point_photo", photo);
      set("point_kind", end ? "line" : "point");
      set("point_x", fraction(start[0]));
      set("point_y", fraction(start[1]));
      set("point_x2", end ? fraction(end[0]) : "");
      set("point_y2", end ? fraction(end[1]) : "");
      var label = item.querySelector(".point-label");
      label.textContent = end ? label.dataset.line : label.dataset.point;
      var depth = row.querySelector("input[name=depth_mm]").value;
      if (depth) item.querySelector("input[name=point_depth]").value = depth;
      row.querySelector(".point-list").appendChild(item);
      setActive(row);
      drawMarks();
      changed();
    }

    // Where a pointer is on a picture, as fractions of the picture's viewBox.
    function position(svg, event) {
      var box = svg.viewBox.baseVal;
      var pt = svg.createSVGPoint();
      pt.x = event.clientX;
      pt.y = event.clientY;
      var local = pt.matrixTransform(svg.getScreenCTM().inverse());
      return [(local.x - box.x) / box.width, (local.y - box.y) / box.height];
    }

    function drawMarks() {
      var number = 0;
      document.querySelectorAll(".chart-map .marks").forEach(function (g) { g.textContent = ""; });
      rows.querySelectorAll(".point-item").forEach(function (item) {
        number += 1;
        function get(name) { return item.querySelector('input[name="' + name + '"]').value; }
        var canvas = get("point_canvas");
        var selector = canvas === "photo" ? '.chart-map[data-photo="' + get("point_photo") + '"]'
          : '.chart-map[data-map="' + canvas + '"]';
        var figure = document.querySelector(selector);
        item.querySelector(".point-label").dataset.number = number;
        item.querySelector(".point-label").textContent = number + " · " + (get("point_kind") === "line"
          ? item.querySelector(".point-label").dataset.line : item.querySelector(".point-label").dataset.point);
        if (!figure) return;
        var svg = figure.querySelector("svg");
        var box = svg.viewBox.baseVal;
        var size = Math.max(box.width, box.height) / 100;
        function at(x, y) { return [box.x + parseFloat(x) * box.width, box.y + parseFloat(y) * box.height]; }
        var a = at(get("point_x"), get("point_y"));
        var marks = figure.querySelector(".marks");
        if (get("point_kind") === "line") {
          var b = at(get("point_x2"), get("point_y2"));
          var line = document.createElementNS(SVGNS, "line");
          line.setAttribute("x1", a[0]); line.setAttribute("y1", a[1]);
          line.setAttribute("x2", b[0]); line.setAttribute("y2", b[1]);
          line.setAttribute("stroke-width", size * 0.8);
          marks.appendChild(line);
        }
        var dot = document.createElementNS(SVGNS, "circle");
        dot.setAttribute("cx", a[0]); dot.setAttribute("cy", a[1]); dot.setAttribute("r", size * 1.6);
        dot.setAttribute("stroke-width", size * 0.4);
        dot.setAttribute("data-testid", "placed-mark");
        marks.appendChild(dot);
        var text = document.createElementNS(SVGNS, "text");
        text.setAttribute("x", a[0] + size * 1.8); text.setAttribute("y", a[1] - size * 1.8);
        text.setAttribute("font-size", size * 4);
        text.textContent = number;
        marks.appendChild(text);
      });
      if (pending) {
        var svg = pending.figure.querySelector("svg");
        var box = svg.viewBox.baseVal;
        var ring = document.createElementNS(SVGNS, "circle");
        ring.setAttribute("class", "pending");
        ring.setAttribute("cx", box.x + pending.at[0] * box.width);
        ring.setAttribute("cy", box.y + pending.at[1] * box.height);
        ring.setAttribute("r", Math.max(box.width, box.height) / 40);
        pending.figure.querySelector(".marks").appendChild(ring);
      }
    }

    // The row's volume is the sum of its points' volumes once every point has one.
    function sumVolumes(row) {
      var inputs = row.querySelectorAll("input[name=point_volume]");
      if (!inputs.length) return;
      var total = 0;
      for (var i = 0; i < inputs.length; i++) {
        var v = parseFloat(inputs[i].value.replace(",", "."));
        if (isNaN(v)) return;
        total += v;
      }
      row.querySelector("input[name=volume_ml]").value = (Math.round(total * 1000) / 1000).toString();
    }

    function zoneOf(figure, target) {
      if (figure.dataset.photo) return figure.dataset.zone;
      var g = target.closest ? target.closest(".chart-zone") : null;
      return g ? g.dataset.zone : "";
    }

    function place(figure, zone, start, end) {
      var row = rowFor(zone);
      var hint = document.getElementById("mark-hint");
      if (!row) { hint.classList.add("verdict-warn"); return; }
      hint.classList.remove("verdict-warn");
      addPoint(row, figure, start, end);
    }

    var down = null;
    maps.querySelectorAll(".chart-map").forEach(function (figure) {
      var svg = figure.querySelector("svg");
      svg.addEventListener("pointerdown", function (e) {
        if (mode() === "zone") return;
        e.preventDefault();
        down = { figure: figure, at: position(svg, e), zone: zoneOf(figure, e.target) };
      });
      svg.addEventListener("pointerup", function (e) {
        if (mode() === "zone" || !down || down.figure !== figure) return;
        var at = position(svg, e);
        var start = down;
        down = null;
        var rect = svg.getBoundingClientRect();
        var moved = Math.hypot((at[0] - start.at[0]) * rect.width, (at[1] - start.at[1]) * rect.height);
        if (moved > 12) { pending = null; place(figure, start.zone, start.at, at); return; }
        if (mode() === "point") { place(figure, start.zone, start.at, null); return; }
        if (pending && pending.figure === figure) {
          var first = pending;
          pending = null;
          place(figure, first.zone || start.zone, first.at, at);
        } else {
          pending = { figure: figure, at: at, zone: start.zone };
          drawMarks();
        }
      });
    });
    document.querySelectorAll("input[name=mark_mode]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        pending = null;
        maps.classList.toggle("placing", mode() !== "zone");
        drawMarks();
      });
    });

    function zoneCentre(g) {
      var e = g.querySelector("ellipse");
      var svg = g.closest("svg");
      var box = svg.viewBox.baseVal;
      return [(parseFloat(e.getAttribute("cx")) - box.x) / box.width, (parseFloat(e.getAttribute("cy")) - box.y) / box.height];
    }

    document.querySelectorAll(".chart-zone").forEach(function (g) {
      g.addEventListener("click", function () { if (mode() === "zone") addRow(g.dataset.zone); });
      // Keyboard: Enter on a zone adds its row, or in point mode a point at its centre.
      g.addEventListener("keydown", function (e) {
        if (e.key !== "Enter" && e.key !== " ") return;
        e.preventDefault();
        if (mode() === "zone") addRow(g.dataset.zone);
        else place(g.closest(".chart-map"), g.dataset.zone, zoneCentre(g), null);
      });
    });
    document.getElementById("add-zone-button").addEventListener("click", function () {
      addRow(document.getElementById("add-zone").value);
    });
    rows.addEventListener("click", function (e) {
      if (e.target.classList.contains("remove-row")) {
        var row = e.target.closest("tr");
        if (row === activeRow) setActive(null);
        row.remove();
        markZones();
        drawMarks();
        changed();
      } else if (e.target.classList.contains("remove-point")) {
        var owner = e.target.closest("tr");
        e.target.closest("li").remove();
        sumVolumes(owner);
        drawMarks();
        changed();
      }
    });
    rows.addEventListener("focusin", function (e) { setActive(e.target.closest("tr.chart-row")); });
    rows.addEventListener("input", function (e) {
      if (e.target.name === "point_volume") sumVolumes(e.target.closest("tr"));
    });
    // A double submit (a retry after a lost connection) carries the same token: the
    // server saves once.
    form.addEventListener("submit", function () {
      form.querySelector("button[type=submit]").disabled = true;
    });
    markZones();
    drawMarks();
    // The picture is visible before this deferred script runs: a click that early would
    // be lost. Pages (and browser tests) can tell the chart is ready to take clicks.
    form.dataset.ready = "1";
  });
})();
