// Trial page for super-resolution judgements.
//
// Images are never shown smaller than 1:1 (one image pixel per CSS pixel, or a whole-number zoom).
// All images share one pan position (drag any of them) and one magnifier (hover, click to lock;
// tap on touch screens). When every image fits side by side at the current zoom they are shown in
// one row; otherwise as many panes as fit, each paging through the images. The flicker view shows
// two images in the same place and swaps them on a key press (Space) or the Swap button.
// Strings come from the study's text table (the JSON block in the page), never from this file.
(() => {
  "use strict";
  const form = document.getElementById("vote-form");
  if (!form) return;
  document.documentElement.classList.add("js");
  const T = JSON.parse(document.getElementById("study-text").textContent);
  const fill = (s, v) => s.replace(/\{(\w+)\}/g, (m, k) => (k in v ? String(v[k]) : m));
  const t0 = performance.now();
  const GAP = 12;
  const MIN_PANE = 240;
  const LENS_MAG = 3;
  const stage = document.getElementById("stage");
  const answer = form.querySelector(".answer");
  const picks = Array.from(form.querySelectorAll("button.pick"));
  const confirmBtn = document.getElementById("confirm");
  const status = document.getElementById("status");
  const zoomLabel = document.getElementById("zoom-level");
  const lensBtn = document.getElementById("lens-toggle");
  const flickA = document.getElementById("flick-a");
  const flickB = document.getElementById("flick-b");
  const used = new Set();

  const items = Array.from(stage.querySelectorAll("figure.item")).map((fig) => {
    const img = fig.querySelector("img");
    return {
      img,
      label: fig.dataset.label,
      ref: fig.dataset.ref === "1",
      token: img.getAttribute("src").split("/").pop(),
    };
  });
  const stash = document.createElement("div");
  stash.className = "stash";
  form.appendChild(stash);
  stage.querySelectorAll("figure.item").forEach((fig) => {
    stash.appendChild(fig.querySelector("img"));
    fig.remove();
  });

  const fine = window.matchMedia("(hover: hover) and (pointer: fine)").matches;
  const st = {
    zoom: 1, px: 0, py: 0, view: "side", panes: [], shown: [], flick: [0, 1], flickShow: 0,
    lensOn: true, lens: { x: 0, y: 0, visible: false, locked: false },
    selected: -1, loaded: false, failed: false, submitted: false, baseW: 0, baseH: 0, paneW: 0, paneH: 0,
  };
  const firstOption = Math.max(0, items.findIndex((it) => !it.ref));
  st.flick = [firstOption, (firstOption + 1) % items.length];

  // ---- sizes: outputs at their natural size, the LQ reference scaled up to the outputs' size
  function scaleOf(it) { return it.ref ? st.baseW / it.img.naturalWidth : 1; }
  function dispW() { return st.baseW * st.zoom; }
  function dispH() { return st.baseH * st.zoom; }

  function availableHeight() {
    const top = stage.getBoundingClientRect().top + (document.fullscreenElement ? 0 : window.scrollY);
    const below = answer.offsetHeight + 44 + 24;  // caption row, margins
    return window.innerHeight - top - below;
  }

  function layout() {
    if (!st.loaded) return;
    const n = items.length;
    const W = stage.clientWidth;
    let k;
    if (st.view === "flicker") k = 1;
    else if (n * dispW() + (n - 1) * GAP <= W) k = n;
    else {
      k = Math.max(1, Math.floor((W + GAP) / (dispW() + GAP)));
      if (k < 2 && W >= 2 * MIN_PANE + GAP && n > 1) k = 2;
    }
    k = Math.min(k, n);
    st.paneW = Math.max(1, Math.min(dispW(), Math.floor((W - (k - 1) * GAP) / k)));
    st.paneH = Math.max(Math.min(dispH(), 160), Math.min(dispH(), Math.floor(availableHeight())));
    let shown;
    if (st.view === "flicker") shown = [st.flick[st.flickShow]];
    else if (k === n) shown = items.map((_, i) => i);
    else {
      shown = st.shown.filter((i, j, a) => i < n && a.indexOf(i) === j).slice(0, k);
      for (let i = firstOption; shown.length < k; i = (i + 1) % n) if (!shown.includes(i)) shown.push(i);
    }
    st.shown = shown;
    buildPanes(k === n && st.view !== "flicker");
    clampPan();
    render();
    form.classList.toggle("view-flicker", st.view === "flicker");
    zoomLabel.textContent = fill(T.zoom_level, { zoom: st.zoom });
  }

  function buildPanes(allShown) {
    items.forEach((it) => stash.appendChild(it.img));
    stage.textContent = "";
    st.panes = st.shown.map((itemIndex, j) => {
      const pane = document.createElement("div");
      pane.className = "pane";
      const vp = document.createElement("div");
      vp.className = "viewport";
      vp.style.width = st.paneW + "px";
      vp.style.height = st.paneH + "px";
      const lens = document.createElement("canvas");
      lens.className = "lens";
      vp.appendChild(lens);
      const cap = document.createElement("div");
      cap.className = "caption";
      const label = document.createElement("span");
      label.className = "label";
      const choose = document.createElement("button");
      choose.type = "button";
      choose.className = "choose";
      const p = { el: pane, vp, lens, label, choose, item: itemIndex };
      if (!allShown && st.view !== "flicker") {
        cap.appendChild(pagerButton("\u25C0", T.previous || "Previous", () => page(p, -1)));
        cap.appendChild(label);
        cap.appendChild(pagerButton("\u25B6", T.next || "Next", () => page(p, +1)));
      } else cap.appendChild(label);
      cap.appendChild(choose);
      choose.addEventListener("click", () => { const k = pickOf(items[p.item]); if (k >= 0) select(k); });
      pane.appendChild(vp);
      pane.appendChild(cap);
      stage.appendChild(pane);
      bindPointer(p);
      return p;
    });
  }

  function pagerButton(text, aria, fn) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("aria-label", aria);
    b.className = "pager";
    b.addEventListener("click", () => { used.add("page"); fn(); });
    return b;
  }

  function page(p, step) {
    const n = items.length;
    const others = st.panes.filter((q) => q !== p).map((q) => q.item);
    let i = p.item;
    for (let tries = 0; tries < n; tries++) {
      i = (i + step + n) % n;
      if (!others.includes(i)) break;
    }
    p.item = i;
    st.shown = st.panes.map((q) => q.item);
    render();
  }

  function pickOf(it) { return picks.findIndex((b) => b.name === "option" && b.value === it.token); }

  function clampPan() {
    st.px = Math.max(0, Math.min(st.px, dispW() - st.paneW));
    st.py = Math.max(0, Math.min(st.py, dispH() - st.paneH));
  }

  function render() {
    const dpr = window.devicePixelRatio || 1;
    st.panes.forEach((p) => {
      const it = items[p.item];
      if (it.img.parentNode !== p.vp) p.vp.insertBefore(it.img, p.lens);
      const s = scaleOf(it) * st.zoom;
      it.img.style.width = Math.round(it.img.naturalWidth * s) + "px";
      it.img.style.height = Math.round(it.img.naturalHeight * s) + "px";
      it.img.style.transform = `translate(${-st.px}px, ${-st.py}px)`;
      it.img.classList.toggle("crisp", s > 1 && Number.isInteger(s * dpr));
      const prefix = st.view === "flicker" ? (st.flickShow ? T.flicker_b : T.flicker_a) + ": " : "";
      p.label.textContent = prefix + it.label;
      const k = pickOf(it);
      p.choose.hidden = k < 0;
      p.choose.textContent = k === st.selected && k >= 0 ? (T.chosen || "Chosen") : (T.choose || "Choose");
      p.choose.setAttribute("aria-pressed", String(k === st.selected && k >= 0));
      p.el.classList.toggle("chosen", k === st.selected && k >= 0);
    });
    drawLens();
  }

  // ---- magnifier: the same spot of every image, drawn from the loaded images (no new requests)
  function drawLens() {
    const dpr = window.devicePixelRatio || 1;
    const L = Math.round(Math.min(200, st.paneW / 2, st.paneH / 2));
    st.panes.forEach((p) => {
      const c = p.lens;
      if (!st.lens.visible || L < 16) { c.style.display = "none"; return; }
      const it = items[p.item];
      const S = st.zoom * LENS_MAG;  // CSS px per output pixel inside the lens
      const cx = st.lens.x * st.zoom - st.px;
      const cy = st.lens.y * st.zoom - st.py;
      c.style.display = "block";
      c.style.width = c.style.height = L + "px";
      c.style.left = Math.round(cx - L / 2) + "px";
      c.style.top = Math.round(cy - L / 2) + "px";
      c.width = c.height = Math.round(L * dpr);
      const ctx = c.getContext("2d");
      ctx.imageSmoothingEnabled = false;
      ctx.fillStyle = "#808080";
      ctx.fillRect(0, 0, c.width, c.height);
      const sc = scaleOf(it);
      const side = L / S / sc;  // natural pixels of this image across the lens
      ctx.drawImage(it.img, st.lens.x / sc - side / 2, st.lens.y / sc - side / 2, side, side, 0, 0, c.width, c.height);
    });
  }

  function lensAt(p, e) {
    const r = p.vp.getBoundingClientRect();
    st.lens.x = (e.clientX - r.left + st.px) / st.zoom;
    st.lens.y = (e.clientY - r.top + st.py) / st.zoom;
  }

  function bindPointer(p) {
    let down = null;
    p.vp.addEventListener("pointerdown", (e) => {
      down = { x: e.clientX, y: e.clientY, px: st.px, py: st.py, moved: false };
      p.vp.setPointerCapture(e.pointerId);
    });
    p.vp.addEventListener("pointermove", (e) => {
      if (down) {
        const dx = e.clientX - down.x, dy = e.clientY - down.y;
        if (!down.moved && Math.hypot(dx, dy) > 4) { down.moved = true; p.vp.classList.add("dragging"); used.add("pan"); }
        if (down.moved) { st.px = down.px - dx; st.py = down.py - dy; clampPan(); render(); }
      } else if (e.pointerType === "mouse" && st.lensOn && !st.lens.locked) {
        lensAt(p, e);
        st.lens.visible = true;
        drawLens();
      }
    });
    const end = (e) => {
      if (!down) return;
      const tap = !down.moved;
      down = null;
      p.vp.classList.remove("dragging");
      if (!tap || !st.lensOn) return;
      if (e.pointerType === "mouse") {
        st.lens.locked = !st.lens.locked;
        lensAt(p, e);
        st.lens.visible = true;
      } else if (st.lens.visible) {  // touch: a second tap hides the magnifier
        st.lens.visible = false;
        st.lens.locked = false;
      } else {
        lensAt(p, e);
        st.lens.visible = true;
        st.lens.locked = true;
      }
      used.add("lens");
      drawLens();
    };
    p.vp.addEventListener("pointerup", end);
    p.vp.addEventListener("pointercancel", () => { down = null; p.vp.classList.remove("dragging"); });
    p.vp.addEventListener("pointerleave", (e) => {
      if (e.pointerType === "mouse" && !st.lens.locked && !down) { st.lens.visible = false; drawLens(); }
    });
  }

  // ---- views: zoom, flicker, full screen
  function setZoom(z) {
    z = Math.max(1, Math.min(8, z));
    if (z === st.zoom) return;
    const cx = (st.px + st.paneW / 2) / st.zoom, cy = (st.py + st.paneH / 2) / st.zoom;
    st.zoom = z;
    used.add("zoom");
    layout();
    st.px = cx * z - st.paneW / 2;
    st.py = cy * z - st.paneH / 2;
    clampPan();
    render();
  }

  function setView(view) {
    st.view = view;
    if (view === "flicker") used.add("flicker");
    form.querySelectorAll("[data-view]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.view === view)));
    layout();
  }

  function swap() {
    if (st.view !== "flicker") setView("flicker");
    else { st.flickShow = 1 - st.flickShow; st.panes[0].item = st.flick[st.flickShow]; render(); }
  }

  function fillFlickSelects() {
    [flickA, flickB].forEach((sel, k) => {
      sel.textContent = "";
      items.forEach((it, i) => {
        const o = document.createElement("option");
        o.value = String(i);
        o.textContent = it.label;
        sel.appendChild(o);
      });
      sel.value = String(st.flick[k]);
      sel.addEventListener("change", () => {
        st.flick[k] = Number(sel.value);
        if (st.view === "flicker") { st.panes[0].item = st.flick[st.flickShow]; render(); }
      });
    });
  }

  function toggleFullscreen() {
    used.add("fullscreen");
    if (document.fullscreenElement) document.exitFullscreen();
    else if (form.requestFullscreen) form.requestFullscreen().catch(() => {});
  }

  // ---- answering
  function elapsed() { return performance.now() - t0; }
  function ready() { return st.loaded && elapsed() >= (T.min_view_ms || 0); }

  function updateStatus() {
    if (st.failed) status.textContent = T.status_load_failed;
    else if (!st.loaded) status.textContent = T.status_loading;
    else if (st.selected < 0) status.textContent = T.status_none;
    else if (!ready()) status.textContent = fill(T.status_wait, { seconds: Math.ceil(((T.min_view_ms || 0) - elapsed()) / 1000) });
    else status.textContent = fill(T.status_selected, { n: picks[st.selected].textContent.trim() });
    confirmBtn.disabled = !(st.selected >= 0 && ready()) || st.submitted;
  }

  function select(i) {
    st.selected = i;
    picks.forEach((b, j) => {
      b.classList.toggle("selected", j === i);
      b.setAttribute("aria-pressed", String(j === i));
    });
    picks[i].focus({ preventScroll: true });
    render();
    updateStatus();
  }

  function submit() {
    if (st.selected < 0 || st.submitted || !ready()) return;  // one post per page; the server is idempotent anyway
    st.submitted = true;
    confirmBtn.disabled = true;
    const set = (name, value) => { if (form.elements[name]) form.elements[name].value = String(value); };
    set("client_ms", Math.round(elapsed()));
    set("images_ok", st.loaded && !st.failed ? 1 : 0);
    set("screen_w", screen.width);
    set("screen_h", screen.height);
    set("view_w", window.innerWidth);
    set("view_h", window.innerHeight);
    set("dpr", window.devicePixelRatio || 1);
    set("views", Array.from(used).sort().join(","));
    const pick = picks[st.selected];
    const chosen = document.createElement("input");
    chosen.type = "hidden";
    chosen.name = pick.name;
    chosen.value = pick.value;
    form.appendChild(chosen);
    form.submit();
  }

  picks.forEach((b, i) => b.addEventListener("click", (e) => { e.preventDefault(); select(i); }));
  confirmBtn.addEventListener("click", submit);
  form.addEventListener("submit", (e) => { if (!st.submitted) { e.preventDefault(); submit(); } });
  form.querySelectorAll("[data-view]").forEach((b) => b.addEventListener("click", () => setView(b.dataset.view)));
  document.getElementById("swap").addEventListener("click", swap);
  document.getElementById("zoom-in").addEventListener("click", () => setZoom(st.zoom + 1));
  document.getElementById("zoom-out").addEventListener("click", () => setZoom(st.zoom - 1));
  document.getElementById("fullscreen").addEventListener("click", toggleFullscreen);
  lensBtn.addEventListener("click", () => {
    st.lensOn = !st.lensOn;
    lensBtn.setAttribute("aria-pressed", String(st.lensOn));
    if (!st.lensOn) { st.lens.visible = false; st.lens.locked = false; }
    drawLens();
  });
  if (items.length < 2) document.getElementById("view-flicker").hidden = true;

  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.target instanceof HTMLSelectElement) return;
    const k = picks.findIndex((b) => b.dataset.key === e.key);
    if (k >= 0) { e.preventDefault(); select(k); }
    else if (e.key === "ArrowRight") { e.preventDefault(); select((st.selected + 1) % picks.length); }
    else if (e.key === "ArrowLeft") { e.preventDefault(); select(st.selected < 0 ? picks.length - 1 : (st.selected - 1 + picks.length) % picks.length); }
    else if (e.key === "Enter") { e.preventDefault(); submit(); }
    else if (e.key === " ") { e.preventDefault(); if (items.length > 1) swap(); }
    else if (e.key === "v" || e.key === "V") { if (items.length > 1) setView(st.view === "flicker" ? "side" : "flicker"); }
    else if (e.key === "z" || e.key === "Z") lensBtn.click();
    else if (e.key === "+" || e.key === "=") setZoom(st.zoom + 1);
    else if (e.key === "-") setZoom(st.zoom - 1);
    else if (e.key === "f" || e.key === "F") toggleFullscreen();
  });

  let pending = false;
  const relayout = () => { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; layout(); }); } };
  window.addEventListener("resize", relayout);
  document.addEventListener("fullscreenchange", relayout);

  const loads = items.map((it) => new Promise((resolve) => {
    const done = () => resolve(it.img.naturalWidth > 0);
    if (it.img.complete) done();
    else { it.img.addEventListener("load", done, { once: true }); it.img.addEventListener("error", done, { once: true }); }
  }));
  Promise.all(loads).then((ok) => {
    st.failed = ok.includes(false);
    st.loaded = !st.failed;
    if (st.loaded) {
      const base = items[firstOption].img;
      st.baseW = base.naturalWidth;
      st.baseH = base.naturalHeight;
      st.lensOn = true;
      fillFlickSelects();
      layout();
      form.dataset.ready = "1";
    }
    updateStatus();
  });
  setInterval(updateStatus, 250);
  updateStatus();
  if (!fine) lensBtn.setAttribute("aria-pressed", "true");
})();
