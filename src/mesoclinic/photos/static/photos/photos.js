// Photographs: capture guide, quality retake, photo-consent text, comparison slider.
// Small and dependency-free; every page works without it except the live preview.
(function () {
  "use strict";

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // Capture: the views of the chosen zone, the view's hint and the baseline as a guide.
  function capture(form) {
    var views = json("photo-views") || {};
    var hints = json("photo-hints") || {};
    var baselines = json("photo-baselines") || {};
    var zone = form.querySelector("[name=zone]");
    var view = form.querySelector("[name=view]");
    var input = form.querySelector("input[type=file]");
    var preview = form.querySelector("[data-capture-preview]");
    var guide = form.querySelector("[data-capture-guide]");
    var note = form.querySelector("[data-guide-note]");
    var hint = form.querySelector("[data-view-hint]");
    var previewUrl = null;

    function fillViews() {
      var current = view.value;
      var list = views[zone.value] || [];
      view.innerHTML = "";
      list.forEach(function (pair) {
        var opt = document.createElement("option");
        opt.value = pair[0];
        opt.textContent = pair[1];
        if (pair[0] === current) opt.selected = true;
        view.appendChild(opt);
      });
    }
    function showGuide() {
      var url = baselines[zone.value + "|" + view.value];
      hint.textContent = hints[view.value] || "";
      if (url) {
        guide.src = url;
        guide.hidden = false;
        note.hidden = false;
      } else {
        guide.removeAttribute("src");
        guide.hidden = true;
        note.hidden = true;
      }
    }
    zone.addEventListener("change", function () { fillViews(); showGuide(); });
    view.addEventListener("change", showGuide);
    input.addEventListener("change", function () {
      var result = document.getElementById("capture-result");
      if (result) result.innerHTML = "";
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = input.files.length ? URL.createObjectURL(input.files[0]) : null;
      if (previewUrl) { preview.src = previewUrl; preview.hidden = false; }
      else { preview.hidden = true; }
    });
    form.addEventListener("click", function (event) {
      if (!event.target.matches("[data-retake]")) return;
      input.value = "";
      preview.hidden = true;
      document.getElementById("capture-result").innerHTML = "";
      input.click();
    });
    fillViews();
    showGuide();
  }

  // Photo consent: show the text of the use chosen.
  function consentUse(fieldset) {
    function show() {
      var checked = fieldset.querySelector("input:checked");
      document.querySelectorAll("[data-consent-text-for]").forEach(function (section) {
        section.hidden = !checked || section.dataset.consentTextFor !== checked.value;
      });
    }
    fieldset.addEventListener("change", show);
    show();
  }

  // Comparison: the slider reveals the later photograph over the baseline.
  function overlay(slider) {
    var box = document.querySelector("[data-compare-overlay]");
    function move() { box.style.setProperty("--reveal", slider.value + "%"); }
    slider.addEventListener("input", move);
    move();
  }
  function seriesChoice(select) {
    select.addEventListener("change", function () {
      var parts = select.value.split("|");
      var form = select.form;
      form.querySelector("[name=zone]").value = parts[0];
      form.querySelector("[name=view]").value = parts[1];
      form.querySelector("[name=before]").disabled = true;
      form.querySelector("[name=after]").disabled = true;
      form.submit();
    });
  }

  function init() {
    var form = document.querySelector("[data-testid=capture-form]");
    if (form) capture(form);
    var use = document.querySelector("[data-photo-consent-use]");
    if (use) consentUse(use);
    var slider = document.querySelector("[data-compare-slider]");
    if (slider) overlay(slider);
    var series = document.querySelector("[data-compare-series]");
    if (series) seriesChoice(series);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
