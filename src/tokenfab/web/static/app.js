// tokenfab web app: plain DOM + Plotly (served locally). Every value from the API is
// inserted as text, never as HTML.
"use strict";

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function fmt(v, digits = 3) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    return Number(v.toPrecision(digits)).toLocaleString("en-US", { maximumSignificantDigits: digits });
  }
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function setStatus(text, isError = false) {
  const s = $("#status");
  s.textContent = text;
  s.classList.toggle("error", isError);
}

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const resp = await fetch(path, init);
  if (!resp.ok) {
    let detail = `${resp.status} ${resp.statusText}`;
    try { detail = (await resp.json()).detail || detail; } catch (e) { /* not JSON */ }
    throw new Error(detail);
  }
  return resp;
}

function dl(target, pairs) {
  target.replaceChildren();
  for (const [k, v] of pairs) target.append(el("dt", {}, k), el("dd", {}, v));
}

// ---------------------------------------------------------------- plan page
const state = { body: null, result: null, rows: [], jurisdiction: {} };

const COLUMNS = [
  ["provider", "provider"], ["region", "region"], ["accelerator", "accelerator"],
  ["accelerators_per_instance", "per inst."], ["instances", "instances"], ["pricing", "pricing"],
  ["weights", "weights"], ["split", "tp/pp/ep x rep"], ["usd_per_mtok_output", "$/M output tok"],
  ["usd_per_month", "$/month"], ["ttft_s", "mean TTFT s"], ["tpot_s", "mean TPOT s"],
  ["j_per_output_token", "J/output tok"], ["gco2e_per_1k_tok", "gCO2e/1k tok"], ["sovereignty_passes", "sovereign"],
];

// " (80 % range LOW-HIGH)" for a figure with an interval
function range(low, high, scale = 1) {
  if (low === null || low === undefined || fmt(low * scale) === fmt(high * scale)) return "";
  return ` (80 % range ${fmt(low * scale)}–${fmt(high * scale)})`;
}

// one plan row: the sections of an evaluation merged into one level (names are unique)
function flat(ev) {
  const s = ev.sovereignty;
  return {
    ...ev.deployment, ...ev.performance, ...ev.money, ...ev.energy,
    sovereignty: s ? s.preset : "none", sovereignty_passes: s ? s.passes : true,
    seal_estimate: s ? s.seal_estimate : null, sovereignty_reasons: s ? s.reasons.join("; ") : "not assessed",
  };
}

function formBody(form) {
  const data = new FormData(form);
  const body = {};
  for (const name of ["model", "sovereignty", "risk", "kv_reserve", ...(data.get("own") ? ["own_grid"] : [])]) {
    const v = data.get(name);
    if (v) body[name] = v;
  }
  for (const name of ["rate_rps", "isl", "osl", "memory_fraction", "ttft_max_s", "tpot_max_s", "budget_usd_per_month", "max_gco2e_per_1k_tok",
    "front_tolerance"]) {
    const v = data.get(name);
    if (v !== null && v !== "") body[name] = Number(v);
  }
  const pricing = data.getAll("pricing");
  if (pricing.length) body.pricing = pricing;
  if (data.get("own")) body.own = true;
  return body;
}

function colourKey(row) {
  if ($("#colour-by").value === "jurisdiction") {
    return state.jurisdiction[row.provider] || "unknown";
  }
  return row.provider;
}

function drawPareto() {
  const front = state.rows;
  const groups = new Map();
  front.forEach((r, i) => {
    const key = colourKey(r);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(i);
  });
  const traces = [...groups.entries()].sort().map(([key, idx]) => ({
    type: "scatter", mode: "markers", name: key,
    x: idx.map((i) => front[i].usd_per_mtok_output), y: idx.map((i) => front[i].latency_s), customdata: idx,
    // the 80 % prediction interval of each row's cost (accuracy class, docs/engine.md)
    error_x: { type: "data", symmetric: false, thickness: 1,
      array: idx.map((i) => (front[i].usd_per_mtok_output_high ?? front[i].usd_per_mtok_output) - front[i].usd_per_mtok_output),
      arrayminus: idx.map((i) => front[i].usd_per_mtok_output - (front[i].usd_per_mtok_output_low ?? front[i].usd_per_mtok_output)) },
    marker: { size: 11, symbol: idx.map((i) => (front[i].sovereignty_passes ? "circle" : "x")) },
    text: idx.map((i) => {
      const r = front[i];
      return `#${i + 1} ${r.capacity} (${r.pricing})<br>${r.instances} x ${r.accelerators_per_instance} ${r.accelerator}, ` +
        `tp${r.tp} pp${r.pp} ep${r.ep}, ${r.weights}<br>$${fmt(r.usd_per_mtok_output)}/M output tok${range(r.usd_per_mtok_output_low, r.usd_per_mtok_output_high)}, $${fmt(r.usd_per_month)}/month<br>` +
        `mean TTFT ${fmt(r.ttft_s)} s, TPOT ${fmt(r.tpot_s)} s<br>${fmt(r.j_per_output_token)} J/output tok, ${fmt(r.gco2e_per_1k_tok)} gCO2e/1k` +
        `<br>jurisdiction ${state.jurisdiction[r.provider] || "?"}, sovereignty ${r.sovereignty_passes ? "pass" : "fail"}`;
    }),
    hovertemplate: "%{text}<extra>%{fullData.name}</extra>",
  }));
  const layout = {
    title: { text: "Pareto front: cost vs latency" },
    xaxis: { title: { text: "$ per million output tokens (bars: 80 % prediction interval)" }, type: "log" },
    yaxis: { title: { text: "mean request latency [s] (TTFT + osl x TPOT)" } },
    showlegend: true,  // also with one group: the legend names it
    legend: { title: { text: $("#colour-by").value } }, margin: { t: 50 },
  };
  Plotly.newPlot("pareto", traces, layout, { responsive: true, displaylogo: false });
  $("#pareto").on("plotly_click", (ev) => showDetail(ev.points[0].customdata));
}

function drawTable() {
  const front = state.rows;
  $("#front thead").replaceChildren(el("tr", {}, el("th", {}, "#"), ...COLUMNS.map(([, t]) => el("th", {}, t))));
  const rows = front.map((r, i) => {
    const cells = COLUMNS.map(([k]) => {
      if (k === "split") return el("td", {}, `${r.tp}/${r.pp}/${r.ep} x${r.replicas_per_instance}`);
      if (k === "usd_per_mtok_output") {
        return el("td", { class: "num" }, fmt(r[k]), el("small", {}, range(r.usd_per_mtok_output_low, r.usd_per_mtok_output_high)));
      }
      if (k === "accelerator" && r.accuracy && !r.accuracy.validated) {
        return el("td", {}, r[k], " ", el("span", { class: "badge fail", title: r.accuracy.basis }, "unvalidated"));
      }
      if (k === "sovereignty_passes") {
        return el("td", {}, el("span", { class: `badge ${r.sovereignty_passes ? "pass" : "fail"}` },
          r.sovereignty_passes ? "pass" : "fail"), `SEAL~${r.seal_estimate}`);
      }
      return el("td", { class: typeof r[k] === "number" ? "num" : "" }, fmt(r[k]));
    });
    const tr = el("tr", { "data-row": String(i) }, el("td", { class: "num" }, i + 1), ...cells);
    tr.addEventListener("click", () => showDetail(i));
    return tr;
  });
  $("#front tbody").replaceChildren(...rows);
}

function renderPlan() {
  const r = state.result;
  const rejected = Object.entries(r.rejected).map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`).join(", ");
  $("#summary").textContent = `${r.front.length} Pareto-optimal of ${r.feasible.toLocaleString("en-US")} feasible, ` +
    `${r.candidates_evaluated.toLocaleString("en-US")} evaluated in ${fmt(r.elapsed_s, 2)} s. ` +
    (rejected ? `Ruled out: ${rejected}.` : "");
  $("#misses").replaceChildren(...r.nearest_misses.map((m) => el("li", {}, `nearest miss: ${m}`)),
    ...r.notes.map((m) => el("li", {}, m)));
  $("#result").hidden = false;
  drawPareto();
  drawTable();
  document.querySelectorAll("button.export").forEach((b) => { b.disabled = false; });
}

function drawRoofline(rl) {
  const lo = 0.1, hi = 1e5;
  const xs = [];
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e += 0.05) xs.push(10 ** e);
  const roof = xs.map((x) => Math.min(rl.peak_flop_per_s, rl.memory_bandwidth_bytes_per_s * x));
  const traces = [
    { type: "scatter", mode: "lines", name: `${rl.accelerator} roof (${rl.dtype})`, x: xs, y: roof, line: { color: "#555" },
      hovertemplate: "%{x:.3g} FLOP/byte: %{y:.3s}FLOP/s<extra>roof</extra>" },
    ...["prefill", "decode"].map((phase, k) => ({
      type: "scatter", mode: "markers+text", name: phase, text: [phase], textposition: "top center",
      x: [rl[phase].operational_intensity_flop_per_byte], y: [rl[phase].achieved_flop_per_s_per_device],
      marker: { size: 14, color: k ? "#d1495b" : "#1f5fbf" },
      hovertemplate: `${phase}: %{x:.3g} FLOP/byte, %{y:.3s}FLOP/s per device, ` +
        `${fmt(rl[phase].time_s * 1e3)} ms per pass<extra></extra>`,
    })),
  ];
  const layout = {
    title: { text: `Roofline: ${rl.accelerator}, ridge ${fmt(rl.ridge_flop_per_byte)} FLOP/byte` },
    xaxis: { type: "log", title: { text: "operational intensity [FLOP/byte]" } },
    yaxis: { type: "log", title: { text: "achieved FLOP/s per device" } }, margin: { t: 50 },
  };
  Plotly.newPlot("roofline", traces, layout, { responsive: true, displaylogo: false });
}

async function showDetail(i) {
  document.querySelectorAll("#front tbody tr").forEach((tr) => tr.classList.toggle("selected", tr.dataset.row === String(i)));
  setStatus(`explaining row ${i + 1}…`);
  try {
    const d = await (await api(`/api/plan/explain?row=${i + 1}`, state.body)).json();
    const ev = d.evaluation, r = flat(ev), m = ev.money, p = ev.performance;
    $("#detail-title").textContent = `#${i + 1}: ${r.instances} x ${r.capacity} (${r.provider}, ${r.region}, ${r.pricing}), ` +
      `${r.accelerators_per_instance} x ${r.accelerator}, tp${r.tp} pp${r.pp} ep${r.ep}, ${r.weights}/${r.kv}, ${r.stack}`;
    drawRoofline(d.roofline);
    const own = m.ownership ? ["capital", "energy", "colocation", "staff", "overhead", "total"].map(
      (k) => [`owning: ${k}`, `$${fmt(m.ownership[k])}/accel-h`]) : [];
    dl($("#money"), [
      ["accelerators", `${r.accelerators_total} x $${fmt(m.usd_per_accel_hour)}/h x 730 h`],
      ["per month", `$${fmt(m.usd_per_month, 4)}`], ["utilization", `${fmt(m.utilization * 100, 3)} %`],
      ["per million output tokens", `$${fmt(m.usd_per_mtok_output)}${range(m.usd_per_mtok_output_low, m.usd_per_mtok_output_high)}`],
      ...own,
      ...(ev.risk ? [[`at risk ${ev.risk.risk}`, `$${fmt(ev.risk.usd_per_mtok_output)}/M output tok (throughput x ${fmt(ev.risk.throughput_ratio)})`]] : []),
    ]);
    const e = ev.energy;
    dl($("#energy"), [
      ["energy per output token", e.j_per_output_token === null ? "no power data"
        : `${fmt(e.j_per_output_token)} J (facility)${range(e.j_per_output_token_low, e.j_per_output_token_high)}`],
      ["PUE", `${fmt(e.pue)}${e.pue_is_fallback ? " (industry average: none published)" : ""}`],
      ["carbon per 1k tokens", e.gco2e_per_1k_tok === null ? "–" : `${fmt(e.gco2e_per_1k_tok)} gCO2e`],
      ["grid", e.grid],
    ]);
    dl($("#time"), [
      ["throughput", `${fmt(p.throughput_output_tok_per_s)} output tok/s per instance${range(p.throughput_output_tok_per_s_low, p.throughput_output_tok_per_s_high)}`],
      ["mean TPOT", `${fmt(p.tpot_s * 1e3)} ms${range(p.tpot_s_low, p.tpot_s_high, 1e3)}`],
      ["accuracy", p.accuracy ? `${p.accuracy.validated ? "validated" : "UNVALIDATED"} (${p.accuracy.accuracy_class}): ${p.accuracy.basis}` : "no measured spread (bound)"],
      ...Object.entries(p.time_shares).map(([k, v]) => [k, `${fmt(v * 100, 2)} %`]),
      ["memory budget", `${fmt(r.memory_fraction)} of ${r.memory_fraction_of === "free" ? "the memory the weights leave" : "the whole memory"} (${r.stack})`],
      ["KV admission", r.kv_reserve === "request" ? "each sequence reserves its whole request" : "each sequence holds its current context"],
      ["bound", p.bound], ["MFU", `${fmt(p.mfu * 100, 2)} %`], ["MBU", `${fmt(p.mbu * 100, 2)} %`]]);
    $("#badges").replaceChildren(
      el("span", { class: `badge ${r.sovereignty_passes ? "pass" : "fail"}` }, `${r.sovereignty}: ${r.sovereignty_passes ? "pass" : "fail"}`),
      el("span", { class: "badge info" }, `SEAL ~${r.seal_estimate} (estimate)`),
      el("span", { class: "badge info" }, `jurisdiction ${state.jurisdiction[r.provider] || "?"}`),
      el("p", {}, r.sovereignty_reasons));
    $("#constraints").replaceChildren(...Object.entries(d.constraints).map(([k, v]) => el("li", {}, `${k}: ${v}`)));
    $("#detail").hidden = false;
    setStatus("");
  } catch (e) {
    setStatus(e.message, true);
  }
}

async function exportAs(format) {
  try {
    const resp = await api(`/api/plan/export?format=${format}`, state.body);
    const url = URL.createObjectURL(await resp.blob());
    const a = el("a", { href: url, download: `tokenfab-plan-${state.body.model}.${format}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (e) {
    setStatus(e.message, true);
  }
}

async function initPlan() {
  const [models, providers, grids] = await Promise.all([
    api("/api/catalog/models").then((r) => r.json()), api("/api/catalog/providers").then((r) => r.json()),
    api("/api/catalog/grids").then((r) => r.json()),
  ]);
  $("#own-grid").replaceChildren(...grids.filter((g) => g.electricity_price_per_kwh).map(
    (g) => el("option", { value: g.id, title: g.price_basis || "" },
      `${g.id} (${g.name}, ${g.electricity_price_per_kwh} ${g.price_currency}/kWh, ${g.price_year})`)));
  for (const p of providers) state.jurisdiction[p.id] = p.controlling_country;
  const select = $("#model");
  select.replaceChildren(...models.map((m) => el("option", { value: m.id }, m.id)));
  select.value = models.some((m) => m.id === "llama-3.1-8b") ? "llama-3.1-8b" : models[0].id;
  $("#scenario").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = formBody(ev.target);
    setStatus("planning…");
    $("#run").disabled = true;
    try {
      state.result = await (await api("/api/plan", body)).json();
      state.rows = state.result.front.map(flat);
      state.body = body;
      $("#detail").hidden = true;
      renderPlan();
      setStatus("");
    } catch (e) {
      setStatus(e.message, true);
    } finally {
      $("#run").disabled = false;
    }
  });
  $("#colour-by").addEventListener("change", () => { if (state.result) drawPareto(); });
  document.querySelectorAll("button.export").forEach((b) => b.addEventListener("click", () => exportAs(b.dataset.format)));
}

// ---------------------------------------------------------------- catalog page
const FIRST = ["id", "kind", "as_of", "source"];
const LONG = ["source", "notes"];

async function showKind(kind) {
  setStatus("loading…");
  const rows = await (await api(`/api/catalog/${encodeURIComponent(kind)}`)).json();
  const keys = [...FIRST];
  for (const r of rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  $("#catalog thead").replaceChildren(el("tr", {}, ...keys.map((k) => el("th", {}, k))));
  $("#catalog tbody").replaceChildren(...rows.map((r) => el("tr", {},
    ...keys.map((k) => {
      if (k === "kind") return el("td", {}, el("span", { class: "kind" }, fmt(r[k])));
      const v = r[k];
      const empty = v === undefined || (typeof v === "object" && v !== null && Object.keys(v).length === 0);
      const cls = typeof v === "number" ? "num" : (!empty && (LONG.includes(k) || typeof v === "object") ? "long" : "");
      return el("td", { class: cls }, empty ? "" : fmt(v, 6));
    }))));
  applyFilter();
  setStatus(`${rows.length} ${kind}`);
}

function applyFilter() {
  const q = $("#filter").value.toLowerCase();
  document.querySelectorAll("#catalog tbody tr").forEach((tr) => { tr.hidden = q && !tr.textContent.toLowerCase().includes(q); });
}

async function initCatalog() {
  const kinds = await (await api("/api/catalog")).json();
  const select = $("#kind");
  select.replaceChildren(...Object.entries(kinds).map(([k, n]) => el("option", { value: k }, `${k} (${n})`)));
  select.addEventListener("change", () => showKind(select.value).catch((e) => setStatus(e.message, true)));
  $("#filter").addEventListener("input", applyFilter);
  await showKind(select.value);
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  (page === "catalog" ? initCatalog() : initPlan()).catch((e) => setStatus(e.message, true));
});
