// Inpaint: the hole is painted on a canvas over the held-out image and sent as a string of 0 (hole) and 1 (known).
"use strict";
const runSelect = document.getElementById("run"), canvas = document.getElementById("canvas");
const ctx = canvas.getContext("2d"), indexInput = document.getElementById("index");
let size = 28, count = 1, mask = [], picture = new Image(), painting = false, prior = false;

function redraw() {
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(picture, 0, 0, canvas.width, canvas.height);
  const cell = canvas.width / size;
  ctx.fillStyle = "rgba(224, 60, 40, 0.65)";
  mask.forEach((known, k) => {
    if (!known) ctx.fillRect((k % size) * cell, Math.floor(k / size) * cell, cell, cell);
  });
}

async function load() {
  try {
    showError(null);
    const info = await (await api(`/api/inpaint/images?run=${encodeURIComponent(runSelect.value)}`)).json();
    size = info.size; count = info.count; prior = info.prior;
    indexInput.max = String(count - 1);
    document.getElementById("source").textContent = `Images: ${info.real_source}.`;
    const index = Math.min(Number(indexInput.value) || 0, count - 1);
    indexInput.value = String(index);
    mask = new Array(size * size).fill(1);
    await imageLoaded(picture, `/api/inpaint/image.png?run=${encodeURIComponent(runSelect.value)}&index=${index}`);
    redraw();
  } catch (e) { showError(e); }
}

function paint(event) {
  const rect = canvas.getBoundingClientRect(), cell = rect.width / size;
  const col = Math.floor((event.clientX - rect.left) / cell), row = Math.floor((event.clientY - rect.top) / cell);
  for (let dr = -1; dr <= 1; dr++) {
    for (let dc = -1; dc <= 1; dc++) {  // a 3x3 brush
      const r = row + dr, c = col + dc;
      if (r >= 0 && r < size && c >= 0 && c < size) mask[r * size + c] = 0;
    }
  }
  redraw();
}

let drawn = 0;  // counts the strokes: a fill for an older stroke is not shown over a newer one
async function fill(steps) {
  const stroke = drawn;
  for (const iters of steps) {  // the same search stopped later and later: watch the hole fill
    const result = await postJSON("/api/inpaint", {run: runSelect.value, index: Number(indexInput.value),
                                                   mask: mask.join(""), iters, seed: 0});
    if (stroke !== drawn) return;
    await imageLoaded(document.getElementById("filled"), result.filled);
    document.getElementById("generated").src = result.generated;
    document.getElementById("filled-caption").textContent = (iters === 0 ? "the learned prior's guess"
      : `filled after ${iters} iterations`) + `: PSNR ${result.psnr} dB, SSIM ${result.ssim}`;
  }
}

canvas.onpointerdown = (event) => { painting = true; paint(event); };
canvas.onpointermove = (event) => { if (painting) paint(event); };
window.onpointerup = async () => {
  if (!painting) return;
  painting = false;
  drawn += 1;
  if (!prior || mask.every((known) => known)) return;
  try {  // with a learned prior the fill appears as the stroke ends: one forward pass, then a few refinements
    showError(null);
    await fill([0, 20]);
  } catch (e) { showError(e); }
};

document.getElementById("fill").onclick = async () => {
  const button = document.getElementById("fill");
  button.disabled = true;
  try {
    showError(null);
    await fill(prior ? [0, 20, 60, 200] : [20, 60, 200]);
  } catch (e) { showError(e); }
  button.disabled = false;
};
document.getElementById("clear").onclick = () => { mask.fill(1); redraw(); };
document.getElementById("another").onclick = () => {
  indexInput.value = String(Math.floor(Math.random() * count));
  load();
};
indexInput.onchange = load;
runSelect.onchange = load;
(async () => {
  try {
    await loadRuns(runSelect, "image");
    await load();
  } catch (e) { showError(e); }
})();
