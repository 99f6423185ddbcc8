"use strict";
(async () => {
  try {
    const runs = (await (await api("/api/runs")).json()).runs;
    const table = document.getElementById("runs");
    for (const r of runs) {
      const row = table.insertRow();
      for (const text of [r.name, r.kind === "image" ? `${r.shape.join("x")} images` : "2-D points", r.step, r.data,
                          r.real_source]) {
        row.insertCell().textContent = text;
      }
    }
  } catch (e) { showError(e); }
})();
