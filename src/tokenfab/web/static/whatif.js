// tokenfab what-if page: plain DOM + Plotly (served locally). Every value from the API is
// inserted as text, never as HTML.
"use strict";

const q = (sel) => document.querySelector(sel);

function cell(tag, text) {
  const node = document.createElement(tag);
  node.textContent = text === null || text === undefined ? "–" : String(text);
  return node;
}

function num(v, digits = 3) {
  return v === null || v === undefined ? "–" : Number(v.toPrecision(digits)).toLocaleString("en-US");
}

function body() {
  const f = new FormData(q("#whatif"));
  const out = { model: f.get("model"), isl: Number(f.get("isl")), osl: Number(f.get("osl")),
                rate_rps: Number(f.get("rate_rps")), sovereignty: f.get("sovereignty"),
                samples: Number(f.get("samples")), seed: Number(f.get("seed")) };
  if (f.get("tpot_max_s")) out.tpot_max_s = Number(f.get("tpot_max_s"));
  const shocks = String(f.get("shocks") || "").split(",").map((s) => s.trim()).filter((s) => s);
  if (shocks.length) out.shocks = shocks;
  return out;
}

function draw(r) {
  const rows = r.rows;
  const labels = rows.map((x) => `#${x.rank} ${x.label}`);
  const p50 = rows.map((x) => x.usd_per_mtok.p50);
  Plotly.newPlot("spread", [{
    type: "scatter", mode: "markers", x: p50, y: labels, name: "p50",
    error_x: { type: "data", symmetric: false, array: rows.map((x) => x.usd_per_mtok.p90 - x.usd_per_mtok.p50),
               arrayminus: rows.map((x) => x.usd_per_mtok.p50 - x.usd_per_mtok.p10) },
    text: rows.map((x) => `P(best) ${(100 * x.prob_best).toFixed(1)} %`), hoverinfo: "x+y+text",
  }], { title: { text: "$/M output tokens per front row: p10 – p50 – p90 of the samples" },
        xaxis: { title: { text: "$ per million output tokens" } },
        yaxis: { automargin: true, autorange: "reversed" }, margin: { l: 10, t: 50 } },
  { responsive: true, displaylogo: false });
  const bars = r.tornado.filter((b) => b.swing_usd_per_mtok > 0).reverse();
  const base = rows.length ? rows[0].plan_usd_per_mtok : 0;
  Plotly.newPlot("tornado", [
    { type: "bar", orientation: "h", name: "low end", y: bars.map((b) => b.input),
      x: bars.map((b) => (b.usd_per_mtok_at_low ?? base) - base), base: base },
    { type: "bar", orientation: "h", name: "high end", y: bars.map((b) => b.input),
      x: bars.map((b) => (b.usd_per_mtok_at_high ?? base) - base), base: base },
  ], { title: { text: "Tornado: the best row's $/M output tokens, one input at a time at the low / high end of its range" },
       xaxis: { title: { text: "$ per million output tokens" } }, barmode: "overlay",
       yaxis: { automargin: true }, margin: { l: 10, t: 50 } }, { responsive: true, displaylogo: false });
  const head = q("#rows thead"), tb = q("#rows tbody");
  head.replaceChildren(); tb.replaceChildren();
  const tr = document.createElement("tr");
  for (const h of ["#", "deployment", "plan $/M", "$/M p10", "p50", "p90", "J/token p50", "gCO2e/1k p50", "SLO met", "P(best)"]) tr.append(cell("th", h));
  head.append(tr);
  for (const x of rows) {
    const row = document.createElement("tr");
    for (const v of [x.rank, x.label, num(x.plan_usd_per_mtok), num(x.usd_per_mtok.p10), num(x.usd_per_mtok.p50),
                     num(x.usd_per_mtok.p90), num(x.j_per_token.p50), num(x.gco2e_per_1k_tok.p50),
                     `${(100 * x.slo_met_frac).toFixed(0)} %`, `${(100 * x.prob_best).toFixed(1)} %`]) row.append(cell("td", v));
    tb.append(row);
  }
  const ul = q("#shocks");
  ul.replaceChildren();
  for (const s of r.shocks) for (const line of s.changed) ul.append(cell("li", `${s.shock}: ${line}`));
  for (const d of r.dropped) ul.append(cell("li", `dropped #${d.rank_before} ${d.label}: ${d.why}`));
}

async function run(ev) {
  ev.preventDefault();
  const status = q("#status");
  status.textContent = "running…";
  status.classList.remove("error");
  const resp = await fetch("/api/whatif", { method: "POST", headers: { "Content-Type": "application/json" },
                                            body: JSON.stringify(body()) });
  const data = await resp.json();
  if (!resp.ok) { status.textContent = String(data.detail || resp.status); status.classList.add("error"); return; }
  status.textContent = `${data.samples} samples in ${data.elapsed_s.toFixed(2)} s`;
  draw(data);
}

q("#whatif").addEventListener("submit", run);
