// Shared by every page: the API helpers, the run picker and the error line. Plain JavaScript, no library.
"use strict";

async function api(path, options) {
  const response = await fetch(path, options);
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail; } catch (e) { /* not JSON */ }
    if (typeof detail !== "string") {  // FastAPI's 422: a list of {loc, msg}
      detail = detail.map((d) => `${d.loc.slice(-1)[0]}: ${d.msg}`).join("; ");
    }
    throw new Error(detail);
  }
  return response;
}

async function postJSON(path, body) {
  const response = await api(path, {method: "POST", headers: {"Content-Type": "application/json"},
                                    body: JSON.stringify(body || {})});
  return response.json();
}

function showError(error) {
  const line = document.getElementById("error");
  if (line) line.textContent = error ? String(error.message || error) : "";
}

// Fill a <select> with the served runs of one kind ("image" or "points"); the URL's ?run= is chosen if it is there.
async function loadRuns(select, kind) {
  const runs = (await (await api("/api/runs")).json()).runs.filter((r) => !kind || r.kind === kind);
  select.innerHTML = "";
  for (const run of runs) {
    const option = document.createElement("option");
    option.value = run.name;
    option.textContent = `${run.name} (${run.data}, step ${run.step})`;
    select.appendChild(option);
  }
  const wanted = new URLSearchParams(location.search).get("run");
  if (runs.some((r) => r.name === wanted)) select.value = wanted;
  if (!runs.length) showError(`no ${kind || ""} run is served: start gankit serve with one`);
  return runs;
}

function randomSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

function imageLoaded(img, src) {
  return new Promise((resolve, reject) => {
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`could not load ${src}`));
    img.src = src;
  });
}
