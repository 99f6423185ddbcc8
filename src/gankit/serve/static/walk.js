// The latent walk: the slider sets t; a new image is asked for only when the last one has arrived.
"use strict";
const runSelect = document.getElementById("run"), labelSelect = document.getElementById("label");
const slider = document.getElementById("t"), frame = document.getElementById("frame");
let runs = [], loading = false, wanted = null, timer = null;

function url() {
  const q = new URLSearchParams({run: runSelect.value, seed0: document.getElementById("seed0").value || "0",
                                 seed1: document.getElementById("seed1").value || "0",
                                 t: (slider.value / 1000).toFixed(3)});
  if (labelSelect.value !== "") q.set("label", labelSelect.value);
  return `/api/walk.png?${q}`;
}

function render() {
  document.getElementById("t-value").textContent = (slider.value / 1000).toFixed(3);
  wanted = url();
  if (!loading) next();
}

function next() {
  if (wanted === null) { loading = false; return; }
  loading = true;
  const src = wanted;
  wanted = null;
  imageLoaded(frame, src).then(next, (e) => { loading = false; showError(e); });
}

function classPicker() {
  const run = runs.find((r) => r.name === runSelect.value);
  document.getElementById("class-box").hidden = !run || !run.num_classes;
  labelSelect.innerHTML = run && run.num_classes ? "" : '<option value="">-</option>';
  (run ? run.classes : []).forEach((name, i) => labelSelect.add(new Option(name, String(i))));
}

document.getElementById("animate").onclick = (event) => {
  if (timer) { clearInterval(timer); timer = null; event.target.textContent = "Animate"; return; }
  event.target.textContent = "Stop";
  let direction = 1;
  timer = setInterval(() => {
    if (loading) return;  // one frame at a time: the animation runs as fast as the server draws
    let t = Number(slider.value) + 20 * direction;
    if (t >= 1000 || t <= 0) { direction = -direction; t = Math.min(1000, Math.max(0, t)); }
    slider.value = String(t);
    render();
  }, 40);
};

slider.oninput = render;
for (const id of ["seed0", "seed1"]) document.getElementById(id).onchange = render;
runSelect.onchange = () => { classPicker(); render(); };
labelSelect.onchange = render;
(async () => {
  try {
    runs = await loadRuns(runSelect, "image");
    classPicker();
    render();
  } catch (e) { showError(e); }
})();
