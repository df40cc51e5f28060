// Signature pad: draw with mouse, pen or finger on a <canvas>; the PNG goes into a
// hidden field as a data URL when the form is submitted. No dependencies.
(function () {
  "use strict";
  function setup(canvas) {
    var form = canvas.closest("form");
    var field = form.querySelector("input[name=signature]");
    var clear = form.querySelector("[data-signature-clear]");
    var ctx = canvas.getContext("2d");
    var drawing = false, inked = false, last = null;

    function resize() {
      var ratio = window.devicePixelRatio || 1;
      var rect = canvas.getBoundingClientRect();
      canvas.width = Math.round(rect.width * ratio);
      canvas.height = Math.round(rect.height * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
      inked = false; field.value = "";
    }
    function point(e) {
      var rect = canvas.getBoundingClientRect();
      return { x: e.clientX - rect.left, y: e.clientY - rect.top };
    }
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; last = point(e); canvas.setPointerCapture(e.pointerId); e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      var p = point(e);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
      last = p; inked = true; e.preventDefault();
    });
    function stop() {
      if (drawing && inked) field.value = canvas.toDataURL("image/png");
      drawing = false;
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); inked = false; field.value = "";
    });
    form.addEventListener("submit", function () { if (inked) field.value = canvas.toDataURL("image/png"); });
    resize();
  }
  document.querySelectorAll("canvas[data-signature-pad]").forEach(setup);
})();
