// The dead-neuron monitor drawn in the browser: for each run (ReLU and a variant) the unit grid (how
// often each unit fires; dead, cut off, negative marked), under it each layer's share of outputs that
// are exactly 0 (computed by the server), the share of dead units over training, and
// below both the training losses and the pre-activation histograms. The twin of
// relu_viz/figures/neurons.py (monitor_figure, secondary_figure); the server sends the arrays
// (relu_viz/ui/dead_neurons_views.py, monitor_payload) and never draws.
import { crispCanvas, lineChart } from "./plot.js";

const MV_LAYER_COLOURS = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
const MV_DEAD = "#d62728";
const MV_NEGATIVE = "#8c564b";

/** A fresh monitor state. */
export function monitorState() {
  return { data: null, dom: null, view: "monitor", stats: { frames: 0, drawMs: [], lastStep: -1 } };
}

/** Every monitor payload is complete (two runs' grids and curves): it replaces the last. */
export function monitorMerge(st, data) {
  st.data = data;
  return true;
}

function mv_el(tag, cls, parent) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  parent.appendChild(e);
  return e;
}

/** Share of inputs with z > 0 as colour: white (never) to the run's blue (always). */
function mv_fireCss(p) {
  if (!(p >= 0)) return "#f0f0f0";
  const c = [8, 119, 189];
  return `rgb(${c.map((v) => Math.round(255 + p * (v - 255))).join(",")})`;
}

/** The side of a grid cell (px) that fits ``run``'s layers into w x h. */
function mv_cell(run, w, h) {
  const L = run.widths.length, W = Math.max(...run.widths, 1);
  return Math.max(6, Math.min(28, Math.floor(Math.min((w - 60) / W, (h - 20) / L))));
}

/** The height (px) of ``run``'s grid drawn with cells of side ``cell``. */
function mv_gridHeight(run, cell) {
  return 8 + run.widths.length * (cell + 2);
}

/** One run's grid: a cell per unit (rows: layers), coloured by how often it fires. */
function mv_grid(ctx, run, x, y, cell) {
  const L = run.widths.length, W = Math.max(...run.widths, 1);
  ctx.font = "11px sans-serif";
  ctx.textBaseline = "middle";
  for (let l = 0; l < L; l++) {
    ctx.fillStyle = "#5b5e69";
    ctx.textAlign = "right";
    ctx.fillText(`layer ${l + 1}`, x + 52, y + 8 + l * (cell + 2) + cell / 2);
    for (let j = 0; j < run.widths[l]; j++) {
      const i = l * W + j;
      const cx = x + 58 + j * (cell + 2), cy = y + 8 + l * (cell + 2);
      ctx.fillStyle = run.dead[i] ? MV_DEAD : mv_fireCss(run.positive[i]);
      ctx.fillRect(cx, cy, cell, cell);
      ctx.strokeStyle = "#c9cbd1";
      ctx.lineWidth = 1;
      ctx.strokeRect(cx + 0.5, cy + 0.5, cell - 1, cell - 1);
      ctx.lineWidth = 2;
      if (run.dead[i]) {
        ctx.strokeStyle = "white";
        ctx.beginPath();
        ctx.moveTo(cx + 4, cy + 4); ctx.lineTo(cx + cell - 4, cy + cell - 4);
        ctx.moveTo(cx + cell - 4, cy + 4); ctx.lineTo(cx + 4, cy + cell - 4);
        ctx.stroke();
      } else if (run.cut_off[i]) {
        ctx.strokeStyle = MV_DEAD;
        ctx.beginPath(); ctx.arc(cx + cell / 2, cy + cell / 2, cell / 3, 0, 2 * Math.PI); ctx.stroke();
      } else if (run.negative[i]) {
        ctx.strokeStyle = MV_NEGATIVE;
        ctx.beginPath(); ctx.moveTo(cx + 4, cy + cell / 2); ctx.lineTo(cx + cell - 4, cy + cell / 2); ctx.stroke();
      }
    }
  }
}

/** A share in [0, 1] as a percentage for the zeros line: whole percent, "<1%" / ">99%" near the ends
 * so a few zeros never read as none (or all). */
function mv_pct(p) {
  if (p === null || p === undefined || !(p >= 0)) return "–";
  if (p === 0 || p === 1) return `${p * 100}%`;
  if (p < 0.005) return "<1%";
  if (p > 0.995) return ">99%";
  return `${Math.round(p * 100)}%`;
}

/** The zeros line under a run's grid: each hidden layer's share of outputs exactly 0 (server-computed). */
export function monitorZerosText(run) {
  const shares = run.zero_share || [];
  return "Exact zeros: " + shares.map((p, l) => `layer ${l + 1} ${mv_pct(p)}`).join(" · ");
}

/** Draw both runs and the shared panels; returns the milliseconds it took. */
export function monitorDraw(st, parentElement) {
  const t0 = performance.now();
  const d = st.data;
  if (!st.dom) {
    const root = document.createElement("div");
    root.className = "rv-monitor";
    const runs = mv_el("div", "rv-runs", root);
    st.dom = { root, runs, cols: [], lower: mv_el("canvas", "rv-lower", root) };
    st.dom.lower.setAttribute("data-testid", "rv-monitor-lower");
  }
  if (st.dom.root.parentNode !== parentElement) parentElement.appendChild(st.dom.root);
  while (st.dom.cols.length < d.runs.length) {
    const col = mv_el("div", "rv-run", st.dom.runs);
    const title = mv_el("div", "rv-line", col);
    const canvas = mv_el("canvas", "rv-grid", col);
    canvas.setAttribute("data-testid", "rv-monitor-run");
    // under the grid: each layer's share of exact zeros, as text (readable, and found by tests)
    const zeros = mv_el("div", "rv-line rv-zeros", col);
    zeros.setAttribute("data-testid", "rv-monitor-zeros");
    zeros.style.cssText = "font-size: 14px; font-weight: 600; line-height: 18px; margin: 2px 0 0 0;";
    const curves = mv_el("canvas", "rv-dead-curves", col);
    st.dom.cols.push({ title, canvas, zeros, curves });
  }
  const width = Math.max(320, st.dom.root.clientWidth || 900);
  const colWidth = d.runs.length > 1 && width >= 700 ? Math.floor((width - 24) / 2) : width;
  d.runs.forEach((run, r) => {
    const { title, canvas, zeros, curves } = st.dom.cols[r];
    title.textContent = run.title;
    const text = monitorZerosText(run);
    zeros.textContent = text;
    zeros.title = `${text}. Share of each hidden layer's outputs h(x) that are exactly 0 over the training inputs.`;
    zeros.style.display = run.zero_share ? "" : "none";
    const H = d.height || 360;
    const cell = mv_cell(run, colWidth, Math.floor(H * 0.45));
    const gridHeight = mv_gridHeight(run, cell);
    const gctx = crispCanvas(canvas, colWidth, gridHeight);
    gctx.clearRect(0, 0, colWidth, gridHeight);
    mv_grid(gctx, run, 0, 0, cell);
    // the zeros line wraps on a narrow column or with many layers: the curves take what is left
    const ch = Math.max(120, H - gridHeight - (run.zero_share ? zeros.offsetHeight + 2 : 0) - 6);
    const ctx = crispCanvas(curves, colWidth, ch);
    ctx.clearRect(0, 0, colWidth, ch);
    const series = run.layer_dead.map((ys, l) => ({ xs: run.steps, ys, color: MV_LAYER_COLOURS[l % MV_LAYER_COLOURS.length], label: `layer ${l + 1} dead` }));
    series.push({ xs: run.steps, ys: run.no_gradient, color: "black", dash: [5, 3], label: "no gradient" });
    if (run.negative_share) series.push({ xs: run.steps, ys: run.negative_share, color: MV_NEGATIVE, dash: [2, 3], label: "z ≤ 0" });
    lineChart(ctx, 0, 6, colWidth, ch - 6, series, { title: "Share of units dead", yRange: [0, 1], xLabel: "step" });
  });
  // lower row: training losses of both runs, then each run's pre-activation histograms
  const panels = 1 + d.runs.length;
  const H2 = 220;
  const ctx = crispCanvas(st.dom.lower, width, H2);
  ctx.clearRect(0, 0, width, H2);
  const pw = Math.floor((width - 12 * (panels - 1)) / panels);
  lineChart(ctx, 0, 0, pw, H2, d.runs.map((run) => ({ xs: run.loss_steps, ys: run.loss, color: run.colour, label: run.label })), { title: "Training loss (log scale)", log: true, xLabel: "step" });
  d.runs.forEach((run, r) => {
    const x = (r + 1) * (pw + 12);
    const edges = run.hist_edges;
    const centres = edges.slice(0, -1).map((e, i) => (e + edges[i + 1]) / 2);
    // shade the negative side, where ReLU outputs 0 and passes no gradient
    const lo = edges[0], hi = edges[edges.length - 1];
    if (lo < 0) {
      const px = x + 42, plotW = pw - 50;
      const zeroX = px + ((0 - lo) / (hi - lo)) * plotW;
      ctx.fillStyle = "rgba(214,39,40,0.07)";
      ctx.fillRect(px, 18, Math.max(0, Math.min(plotW, zeroX - px)), H2 - 48);
    }
    const series = run.hist.map((ys, l) => ({ xs: centres, ys, color: MV_LAYER_COLOURS[l % MV_LAYER_COLOURS.length], label: `layer ${l + 1}` }));
    lineChart(ctx, x, 0, pw, H2, series, { title: `${run.label}: pre-activations z`, xLabel: "z" });
  });
  const ms = performance.now() - t0;
  st.stats.frames++;
  st.stats.drawMs.push(ms);
  if (st.stats.drawMs.length > 200) st.stats.drawMs.shift();
  st.stats.lastStep = d.step;
  return ms;
}
