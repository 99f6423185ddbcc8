// The live lab: each frame from the server's event stream is drawn on two canvases. The session ends on the server
// when this page's stream closes (a new session, or leaving the page).
"use strict";
const field = document.getElementById("field"), ctx = field.getContext("2d");
const datasetSelect = document.getElementById("dataset");
let source = null, sid = null, curves = [], drawn = [], last = null, reals = [];
const EXTENT_DRAWN = 3;

function toCanvas(x, y, e) {
  return [(x + e) / (2 * e) * field.width, (e - y) / (2 * e) * field.height];
}

function drawHeat(frame) {
  const n = frame.heat_size, values = frame.heat;
  let low = 0, high = 1;
  if (!frame.probability) { low = Math.min(...values); high = Math.max(...values); }
  const image = new ImageData(n, n);
  for (let i = 0; i < n; i++) {        // row i of the lattice is y = -extent + ..., drawn bottom-up
    for (let j = 0; j < n; j++) {
      const v = (values[i * n + j] - low) / Math.max(high - low, 1e-9);
      const k = 4 * ((n - 1 - i) * n + j);
      image.data[k] = 255 - 110 * v; image.data[k + 1] = 255 - 120 * v; image.data[k + 2] = 255 - 40 * v;
      image.data[k + 3] = 255;
    }
  }
  const tile = document.createElement("canvas");
  tile.width = tile.height = n;
  tile.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(tile, 0, 0, field.width, field.height);
}

function dots(points, e, color, radius) {
  ctx.fillStyle = color;
  for (const [x, y] of points) {
    const [u, v] = toCanvas(x, y, e);
    ctx.beginPath(); ctx.arc(u, v, radius, 0, 2 * Math.PI); ctx.fill();
  }
}

function drawLattice(frame) {
  const n = frame.z_size, p = frame.z_lattice, e = frame.extent;
  ctx.strokeStyle = "rgba(91, 60, 196, 0.25)";
  ctx.lineWidth = 1;
  for (const along of [0, 1]) {
    for (let i = 0; i < n; i++) {
      ctx.beginPath();
      for (let j = 0; j < n; j++) {
        const [x, y] = p[along ? j * n + i : i * n + j];
        const [u, v] = toCanvas(x, y, e);
        if (j === 0) ctx.moveTo(u, v); else ctx.lineTo(u, v);
      }
      ctx.stroke();
    }
  }
}

function drawArrows(frame) {
  const e = frame.extent, longest = Math.max(...frame.arrows.map(([a, b]) => Math.hypot(a, b)), 1e-12);
  const scale = 0.15 * e / longest;  // the longest arrow is 15 % of the view's half-width
  ctx.strokeStyle = "#e08a00";
  ctx.lineWidth = 1.5;
  frame.arrows.forEach(([gx, gy], i) => {
    const [x, y] = frame.fakes[i];
    const [u0, v0] = toCanvas(x, y, e), [u1, v1] = toCanvas(x + scale * gx, y + scale * gy, e);
    ctx.beginPath(); ctx.moveTo(u0, v0); ctx.lineTo(u1, v1); ctx.stroke();
  });
}

function drawField(frame) {
  ctx.clearRect(0, 0, field.width, field.height);
  if (frame) {
    drawHeat(frame);
    drawLattice(frame);
    dots(frame.reals, frame.extent, "rgba(120, 120, 120, 0.6)", 2);
    dots(frame.fakes, frame.extent, "#5b3cc4", 2.5);
    drawArrows(frame);
  } else {
    dots(drawn, EXTENT_DRAWN, "rgba(120, 120, 120, 0.9)", 4);
  }
}

function drawCurves(canvas, series) {  // series: [{points: [[x, y]], color}]
  const c = canvas.getContext("2d"), w = canvas.width, h = canvas.height, pad = 30;
  c.clearRect(0, 0, w, h);
  const all = series.flatMap((s) => s.points).filter(([, y]) => y !== null && Number.isFinite(y));
  if (!all.length) return;
  const x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]), x0 + 1);
  const y0 = Math.min(...all.map((p) => p[1])), y1 = Math.max(...all.map((p) => p[1]), y0 + 1e-6);
  c.strokeStyle = "#ccc"; c.strokeRect(pad, 5, w - pad - 5, h - pad - 5);
  c.fillStyle = "#666"; c.font = "11px sans-serif";
  c.fillText(y1.toFixed(2), 0, 14); c.fillText(y0.toFixed(2), 0, h - pad);
  c.fillText(`step ${x1}`, w - 70, h - 10);
  for (const s of series) {
    c.strokeStyle = s.color; c.beginPath();
    let started = false;
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y)) continue;
      const u = pad + (x - x0) / (x1 - x0) * (w - pad - 5), v = 5 + (y1 - y) / (y1 - y0) * (h - pad - 10);
      if (!started) { c.moveTo(u, v); started = true; } else c.lineTo(u, v);
    }
    c.stroke();
  }
}

function onFrame(frame) {
  if (frame.reals) reals = frame.reals;  // sent with the first frame only
  frame.reals = reals;
  last = frame;
  curves.push(...frame.curves);
  if (curves.length > 4000) curves = curves.filter((_, i) => i % 2 === 0);  // keep the whole run, coarser
  drawField(frame);
  drawCurves(document.getElementById("curves"), [
    {points: curves.map((r) => [r[0], r[1]]), color: "#c4321c"},
    {points: curves.filter((r) => r[2] !== null).map((r) => [r[0], r[2]]), color: "#5b3cc4"}]);
  document.getElementById("status").textContent =
    `step ${frame.step} (${frame.running ? "running" : "paused"}); loss ${frame.loss}`;
}

function buttons(on) {
  for (const id of ["run-btn", "pause", "step"]) document.getElementById(id).disabled = !on;
}

async function newSession() {
  if (source) { source.close(); source = null; }
  buttons(false);
  curves = [];
  showError(null);
  const body = {dataset: datasetSelect.value, loss: document.getElementById("loss").value,
                k: Number(document.getElementById("k").value), lr: Number(document.getElementById("lr").value),
                r1: document.getElementById("r1").checked ? 0.1 : 0,
                steps_per_frame: Number(document.getElementById("speed").value)};
  if (body.dataset === "drawn") body.points = drawn;
  try {
    sid = (await postJSON("/api/lab", body)).session;
  } catch (e) { showError(e); return; }
  source = new EventSource(`/api/lab/${sid}/stream`);
  source.onmessage = (event) => onFrame(JSON.parse(event.data));
  source.onerror = () => {  // the server ended the session (or went away): do not reconnect to a closed session
    source.close(); source = null; buttons(false);
    document.getElementById("status").textContent += " (session closed: press New session)";
  };
  buttons(true);
}

async function control(action) {
  try { await postJSON(`/api/lab/${sid}/control`, {action, steps: 1}); } catch (e) { showError(e); }
}

document.getElementById("new").onclick = newSession;
document.getElementById("run-btn").onclick = () => control("run");
document.getElementById("pause").onclick = () => control("pause");
document.getElementById("step").onclick = () => control("step");
document.getElementById("clear").onclick = () => { drawn = []; drawField(null); };
datasetSelect.onchange = () => {
  document.getElementById("clear").hidden = datasetSelect.value !== "drawn";
  if (datasetSelect.value === "drawn") {
    if (source) { source.close(); source = null; buttons(false); }
    document.getElementById("status").textContent = "Click on the square to place points, then press New session.";
    drawField(null);
  }
};
field.onclick = (event) => {
  if (datasetSelect.value !== "drawn" || source) return;
  const rect = field.getBoundingClientRect();
  const x = ((event.clientX - rect.left) / rect.width * 2 - 1) * EXTENT_DRAWN;
  const y = (1 - (event.clientY - rect.top) / rect.height * 2) * EXTENT_DRAWN;
  if (drawn.length < 500) drawn.push([Number(x.toFixed(3)), Number(y.toFixed(3))]);
  drawField(null);
};

// Watching an image run: its newest fixed-noise grid and its curves, pushed whenever its folder changes.
let watching = null;
document.getElementById("watch").onclick = () => {
  const name = document.getElementById("watch-run").value;
  if (watching) watching.close();
  watching = new EventSource(`/api/runs/${encodeURIComponent(name)}/watch`);
  watching.onmessage = (event) => {
    const update = JSON.parse(event.data);
    document.getElementById("watch-status").textContent = `step ${update.step}`;
    if (update.grid) {
      document.getElementById("watch-grid").src =
        `/api/runs/${encodeURIComponent(name)}/progress.png?v=${update.step}-${update.grid}`;
    }
    drawCurves(document.getElementById("watch-curves"), [
      {points: update.curves.filter((r) => "loss_d" in r).map((r) => [r.step, r.loss_d]), color: "#c4321c"},
      {points: update.curves.filter((r) => "loss_g" in r).map((r) => [r.step, r.loss_g]), color: "#5b3cc4"}]);
  };
  watching.onerror = () => { watching.close(); watching = null; };
};
loadRuns(document.getElementById("watch-run"), "image").catch(() => {});
