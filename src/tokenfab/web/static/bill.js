// tokenfab bill page: read a FOCUS CSV in the browser, POST it to /api/bill, draw the answer.
// No logic here: every figure comes from the server (the same JSON as `tokenfab bill --json`).
"use strict";

const $ = (id) => document.getElementById(id);
const usd = (v) => (v === null || v === undefined ? "-" : Number(v).toLocaleString("en-US", { maximumFractionDigits: 2 }));
const pct = (v) => (v === null || v === undefined ? "-" : (100 * v).toFixed(1) + " %");

function status(text, isError = false) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("error", isError);
}

function table(id, head, rows) {
  const t = $(id);
  const tr = document.createElement("tr");
  for (const h of head) { const th = document.createElement("th"); th.textContent = h; tr.append(th); }
  t.tHead.replaceChildren(tr);
  t.tBodies[0].replaceChildren(...rows.map((cells) => {
    const r = document.createElement("tr");
    for (const c of cells) { const td = document.createElement("td"); td.textContent = c; r.append(td); }
    return r;
  }));
}

function draw(data) {
  const s = data.summary;
  const juris = s.by.jurisdiction;
  table("jurisdiction", ["jurisdiction", "effective USD", "share", "charges"],
        juris.map((r) => [r.key.jurisdiction, usd(r.effective_usd), pct(r.share_frac), r.rows]));
  Plotly.newPlot("jurisdiction-chart", [{ type: "bar", x: juris.map((r) => r.key.jurisdiction),
    y: juris.map((r) => r.effective_usd), hovertemplate: "%{x}: %{y:,.2f} USD<extra></extra>" }],
  { margin: { t: 10 }, yaxis: { title: "effective cost [USD]" } }, { responsive: true, displaylogo: false });
  const x = s.exposure;
  $("exposure").textContent = `non-EU jurisdiction ${usd(x.non_eu_usd)} USD (${pct(x.non_eu_share_frac)}); ` +
    `US CLOUD Act ${usd(x.cloud_act_usd)} USD (${pct(x.cloud_act_share_frac)}); unknown ${usd(x.unknown_usd)} USD`;
  table("models", ["model (billed)", "catalog model", "provider", "input tokens", "output tokens", "$/M input", "$/M output"],
        s.tokens.map((t) => [t.model_id, t.catalog_model || "-", t.provider, usd(t.input_tokens), usd(t.output_tokens),
                             usd(t.usd_per_mtok_input), usd(t.usd_per_mtok_output)]));
  const m = data.move;
  if (!m) return;
  const labels = m.rows.map((r) => `${r.subject} (${r.provider})`);
  Plotly.newPlot("move-chart", [
    { type: "bar", name: "today", x: labels, y: m.rows.map((r) => r.today_usd_per_month) },
    { type: "bar", name: `plan (${m.sovereignty})`, x: labels, y: m.rows.map((r) => r.plan_usd_per_month) },
  ], { barmode: "group", margin: { t: 10 }, yaxis: { title: "USD per month" } }, { responsive: true, displaylogo: false });
  table("move", ["kind", "billed", "provider", "today $/month", "plan", "plan $/month", "saving $/month", "exit cost $",
                 "payback months"],
        m.rows.map((r) => [r.kind, r.subject, r.provider, usd(r.today_usd_per_month), r.plan || "-",
                           usd(r.plan_usd_per_month), usd(r.saving_usd_per_month), usd(r.exit_cost_usd),
                           r.payback_months === null ? "-" : r.payback_months.toFixed(2)]));
  $("move-total").textContent = `moving the rows that save: ${usd(m.saving_usd_per_month)} USD/month saved, ` +
    `exit ${usd(m.exit_cost_usd)} USD, payback ${m.payback_months === null ? "never" : m.payback_months.toFixed(2) + " months"}`;
}

async function submit(event) {
  event.preventDefault();
  const file = $("file").files[0];
  if (!file) { status("choose a FOCUS CSV file", true); return; }
  status("reading...");
  const body = { focus_csv: await file.text(), move: true, sovereignty: $("sovereignty").value,
                 peak_to_mean: Number($("peak").value), osl: Number($("osl").value) };
  try {
    const resp = await fetch("/api/bill", { method: "POST", headers: { "Content-Type": "application/json" },
                                            body: JSON.stringify(body) });
    const data = await resp.json();
    if (!resp.ok) throw new Error(data.detail || `${resp.status}`);
    draw(data);
    status(`${data.summary.rows} charges read`);
  } catch (e) {
    status(e.message, true);
  }
}

document.addEventListener("DOMContentLoaded", () => $("bill-form").addEventListener("submit", submit));
