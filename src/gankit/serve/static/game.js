// Which is real? The page never knows which side is real until the server says so after the answer.
"use strict";
const runSelect = document.getElementById("run");
const imgs = [document.getElementById("img0"), document.getElementById("img1")];
const picks = [document.getElementById("pick0"), document.getElementById("pick1")];
let game = null, round = null;

function pct(x) { return `${(100 * x).toFixed(1)} %`; }

function drawScore(score) {
  const [low, high] = score.ci95;
  document.getElementById("score").textContent =
    `${score.correct} of ${score.answered} right: ${pct(score.accuracy)} (95 % CI ${pct(low)} to ${pct(high)})`;
  const ci = document.getElementById("ci");
  ci.style.left = `${100 * low}%`;
  ci.style.width = `${100 * (high - low)}%`;
  document.getElementById("point").style.left = `calc(${100 * score.accuracy}% - 2px)`;
}

function enable(on) { picks.forEach((b) => { b.disabled = !on; }); }

async function deal() {
  round = null;
  imgs.forEach((img) => img.classList.remove("real", "wrong"));
  document.getElementById("verdict").textContent = "";
  const dealt = await postJSON(`/api/game/${game.game}/round`);
  await Promise.all(dealt.images.map((src, i) => imageLoaded(imgs[i], src)));
  round = dealt;
  document.getElementById("prompt").textContent = `Round ${dealt.round} of ${dealt.of}: which one is real?`;
  enable(true);
}

async function answer(choice) {
  if (!round) return;
  enable(false);
  const number = round.round;
  round = null;
  try {
    const result = await postJSON(`/api/game/${game.game}/answer`, {round: number, choice});
    imgs[result.real].classList.add("real");
    if (!result.correct) imgs[choice].classList.add("wrong");
    document.getElementById("verdict").textContent = result.correct ? "Right: that one is real." :
      `Wrong: the ${result.real === 0 ? "left" : "right"} one is real.`;
    drawScore(result.score);
    if (result.done) return finish(result.score);
    setTimeout(() => deal().catch(showError), 700);
  } catch (e) { showError(e); }
}

async function finish(score) {
  document.getElementById("prompt").textContent = "Game over.";
  const [low, high] = score.ci95;
  const verdict = low > 0.5 ? "better than chance: the fakes can be told apart" :
    high < 0.5 ? "worse than chance: the fakes look more real than the real images" :
    "not distinguishable from chance at this many rounds";
  const summary = document.getElementById("summary");
  summary.innerHTML = "";
  const p = document.createElement("p");
  p.textContent = `You were right ${score.correct} times in ${score.answered}: ${pct(score.accuracy)}, ${verdict}. ` +
    "People shown StyleGAN2 faces were right 48.2 % of the time, and 59 % after training (Nightingale & Farid 2022).";
  summary.appendChild(p);
  const results = await (await api("/api/game/results")).json();
  const table = document.createElement("table");
  table.insertRow().innerHTML = "<th>run</th><th>games</th><th>answers</th><th>accuracy</th><th>95 % CI</th>";
  for (const r of results.runs) {
    const row = table.insertRow();
    [r.run, r.games, r.answered, pct(r.accuracy), `${pct(r.ci95[0])} to ${pct(r.ci95[1])}`]
      .forEach((text) => { row.insertCell().textContent = text; });
  }
  summary.appendChild(table);
}

document.getElementById("start").onclick = async () => {
  try {
    showError(null);
    document.getElementById("summary").innerHTML = "";
    game = await postJSON("/api/game", {run: runSelect.value, rounds: Number(document.getElementById("rounds").value)});
    document.getElementById("source").textContent = `Real images: ${game.real_source}.`;
    drawScore({correct: 0, answered: 0, accuracy: 0, ci95: [0, 1]});
    document.getElementById("score").textContent = "";
    await deal();
  } catch (e) { showError(e); }
};
picks.forEach((button, i) => { button.onclick = () => answer(i); });
imgs.forEach((img, i) => { img.onclick = () => answer(i); });
loadRuns(runSelect, "image").catch(showError);
