// This X does not exist: a fresh seed on a visit without one, kept in the URL so the page can be shared.
"use strict";
const params = new URLSearchParams(location.search);
const runSelect = document.getElementById("run"), labelSelect = document.getElementById("label");
const grid = document.getElementById("grid"), img = document.getElementById("sample");
let runs = [];

function current() { return runs.find((r) => r.name === runSelect.value); }

function classPicker() {
  const run = current();
  document.getElementById("class-box").hidden = !run || !run.num_classes;
  labelSelect.innerHTML = '<option value="">any</option>';
  (run ? run.classes : []).forEach((name, i) => {
    labelSelect.add(new Option(name, String(i)));
  });
  if (params.get("label") && run && Number(params.get("label")) < run.num_classes) labelSelect.value = params.get("label");
  document.getElementById("what").textContent = run && run.data.includes("digit") ? "digit" :
    run && run.data === "cifar10" ? "picture" : "image";
}

function show(seed, push) {
  const run = current();
  if (!run) return;
  const q = new URLSearchParams({run: run.name, seed: String(seed)});
  if (labelSelect.value !== "") q.set("label", labelSelect.value);
  if (grid.checked) q.set("grid", "1");
  history[push ? "pushState" : "replaceState"](null, "", `/sample?${q}`);
  const query = new URLSearchParams(q);
  query.delete("grid");
  query.set("n", grid.checked ? "16" : "1");
  img.src = `/api/sample.png?${query}`;
  query.set("scale", "8");
  const link = document.getElementById("download");
  link.href = `/api/sample.png?${query}`;
  link.download = `${run.name}-seed${seed}${grid.checked ? "-grid" : ""}.png`;
  document.getElementById("seed").textContent = String(seed);
  showError(null);
}

img.onerror = () => showError("the sample could not be drawn (see the server's message at /api/sample.png)");

(async () => {
  try {
    runs = await loadRuns(runSelect, "image");
    grid.checked = params.get("grid") === "1";
    classPicker();
    const seed = params.has("seed") ? Number(params.get("seed")) : randomSeed();
    show(seed, false);
  } catch (e) { showError(e); }
})();

document.getElementById("another").onclick = () => show(randomSeed(), true);
runSelect.onchange = () => { classPicker(); show(randomSeed(), true); };
labelSelect.onchange = () => show(Number(document.getElementById("seed").textContent), true);
grid.onchange = () => show(Number(document.getElementById("seed").textContent), true);
window.onpopstate = () => location.reload();
