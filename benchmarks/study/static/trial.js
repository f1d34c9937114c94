// Trial page: select with click / keys 1..N / arrows, confirm with Enter; synchronized magnifier.
(() => {
  "use strict";
  const form = document.getElementById("vote-form");
  if (!form) return;
  const t0 = performance.now();
  const picks = Array.from(form.querySelectorAll("button.pick"));
  const confirmBtn = document.getElementById("confirm");
  const status = document.getElementById("status");
  let selected = -1;
  let submitted = false;

  function select(i) {
    selected = i;
    picks.forEach((b, j) => {
      b.classList.toggle("selected", j === i);
      b.setAttribute("aria-pressed", String(j === i));
    });
    confirmBtn.disabled = false;
    status.textContent = "Result " + (i + 1) + " selected. Press Enter to confirm.";
    picks[i].focus({ preventScroll: true });
  }

  function submit() {
    if (selected < 0 || submitted) return;  // one post per page; the server is idempotent anyway
    submitted = true;
    confirmBtn.disabled = true;
    form.elements.client_ms.value = String(Math.round(performance.now() - t0));
    const chosen = document.createElement("input");
    chosen.type = "hidden";
    chosen.name = "option";
    chosen.value = picks[selected].value;
    form.appendChild(chosen);
    form.submit();
  }

  picks.forEach((b, i) => {
    b.addEventListener("click", (e) => { e.preventDefault(); select(i); });
    b.addEventListener("dblclick", (e) => { e.preventDefault(); select(i); submit(); });
  });
  confirmBtn.addEventListener("click", submit);

  // ---- synchronized magnifier: the same relative region of every image, magnified at once
  const zoomables = Array.from(document.querySelectorAll(".zoomable"));
  let zoom = 3;
  let zoomOn = true;
  let last = null;
  const lenses = zoomables.map((z) => {
    const lens = document.createElement("div");
    lens.className = "lens";
    z.appendChild(lens);
    return lens;
  });

  function draw() {
    zoomables.forEach((z, k) => {
      const lens = lenses[k];
      const img = z.querySelector("img");
      if (!last || !zoomOn || !img.complete) { lens.style.display = "none"; return; }
      const w = img.clientWidth, h = img.clientHeight;
      const size = Math.round(Math.min(w, h) * 0.5);
      const cx = last.fx * w, cy = last.fy * h;
      lens.style.display = "block";
      lens.style.width = size + "px";
      lens.style.height = size + "px";
      lens.style.left = Math.round(cx - size / 2) + "px";
      lens.style.top = Math.round(cy - size / 2) + "px";
      lens.style.backgroundImage = 'url("' + img.currentSrc + '")';
      lens.style.backgroundSize = (w * zoom) + "px " + (h * zoom) + "px";
      lens.style.backgroundPosition = (size / 2 - cx * zoom) + "px " + (size / 2 - cy * zoom) + "px";
    });
  }

  zoomables.forEach((z) => {
    z.addEventListener("mousemove", (e) => {
      const r = z.getBoundingClientRect();
      last = { fx: (e.clientX - r.left) / r.width, fy: (e.clientY - r.top) / r.height };
      draw();
    });
    z.addEventListener("mouseleave", () => { last = null; draw(); });
  });

  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const n = parseInt(e.key, 10);
    if (n >= 1 && n <= picks.length) { e.preventDefault(); select(n - 1); }
    else if (e.key === "ArrowRight") { e.preventDefault(); select((selected + 1) % picks.length); }
    else if (e.key === "ArrowLeft") { e.preventDefault(); select(selected < 0 ? picks.length - 1 : (selected - 1 + picks.length) % picks.length); }
    else if (e.key === "Enter") { e.preventDefault(); submit(); }
    else if (e.key === "z" || e.key === "Z") { zoomOn = !zoomOn; draw(); }
    else if (e.key === "+" || e.key === "=") { zoom = Math.min(8, zoom + 1); draw(); }
    else if (e.key === "-") { zoom = Math.max(2, zoom - 1); draw(); }
  });
})();
