// Consent page: report the display to the server (screen size, device pixel ratio, touch-first)
// for the optional desktop-only gate and for the study's records.
(() => {
  "use strict";
  const form = document.getElementById("consent-form");
  if (!form) return;
  const set = (name, value) => { if (form.elements[name]) form.elements[name].value = String(value); };
  set("screen_w", screen.width);
  set("screen_h", screen.height);
  set("view_w", window.innerWidth);
  set("view_h", window.innerHeight);
  set("dpr", window.devicePixelRatio || 1);
  set("coarse", window.matchMedia("(pointer: coarse)").matches ? 1 : 0);
})();
