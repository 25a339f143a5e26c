// The "Fit a function" view drawn in the browser: the data, the target, the network's fit y = f(x) with
// its kinks marked on the x-axis, each hidden unit's term (hinges a_j·σ(w_j x + b_j) for one hidden
// layer) in a panel below, the count of kinks beside the count of units, and the loss curve. The server
// streams only the weights (relu_viz/fit_stream.py); the kinks are computed here exactly, by the twin of
// relu_viz.regions.line_pieces / kinks (checked against it in tests/browser/test_fit_page.py).
import { unpackNet, activationFn } from "./forward.js";
import { crispCanvas, lineChart, niceTicks, formatNumber } from "./plot.js";

const FV_CURVE_POINTS = 600; // the fit and the units' terms are drawn at these x plus every kink
const FV_HISTORY_ROWS = 1500; // the browser keeps at most this many loss rows (thinned by halves)
const FV_ZERO_RTOL = 1e-12; // regions.ZERO_ROW_RTOL: a unit this flat on a piece is constant there
const FV_XTOL = 1e-9; // regions.KINK_XTOL
const FV_SLOPE_RTOL = 1e-9; // regions.KINK_SLOPE_RTOL
const FV_FIT = "#e8710a";
const FV_TARGET = "#80838f";
const FV_POINT = "rgba(8,119,189,0.75)";
const FV_KINK = "#d62728";
const FV_UNIT_COLOURS = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];
const FV_MARGIN = { l: 44, r: 10, t: 10, b: 30 };

function fv_b64(text) {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return Float64Array.from(new Float32Array(bytes.buffer, 0, bytes.length / 4));
}

/**
 * Per-unit pieces of a piecewise-linear activation (relu_viz.regions._pieces_of): for n units,
 * {breaks: [[t...]], slopes: [[s...]], intercepts: [[o...]]} with σ_j(z) = slopes[j][p]·z + intercepts[j][p]
 * on piece p (breaks[j][p−1] < z ≤ breaks[j][p]); null for the identity; throws for any other activation.
 */
export function activationPieces(act, n) {
  const same = (breaks, slopes, intercepts) => ({
    breaks: Array.from({ length: n }, () => breaks),
    slopes: Array.from({ length: n }, () => slopes),
    intercepts: Array.from({ length: n }, () => intercepts),
  });
  if (act == null) return null;
  switch (act.kind) {
    case "identity":
      return null;
    case "relu":
      return same([0], [0, 1], [0, 0]);
    case "leaky_relu":
      return same([0], [act.slope, 1], [0, 0]);
    case "rrelu":
      return same([0], [act.slope ?? (act.lower + act.upper) / 2, 1], [0, 0]);
    case "prelu": {
      const s = act.slopes;
      return {
        breaks: Array.from({ length: n }, () => [0]),
        slopes: Array.from({ length: n }, (_, j) => [s.length === 1 ? s[0] : s[j], 1]),
        intercepts: Array.from({ length: n }, () => [0, 0]),
      };
    }
    case "hardtanh":
      return same([act.min, act.max], [0, 1, 0], [act.min, 0, act.max]);
    case "hardsigmoid":
      return same([-3, 3], [0, 1 / 6, 0], [0, 0.5, 1]);
    case "softshrink":
      return act.lambd === 0 ? null : same([-act.lambd, act.lambd], [1, 0, 1], [act.lambd, 0, -act.lambd]);
    case "threshold":
      if (act.value === act.threshold) return same([act.threshold], [0, 1], [act.threshold, 0]);
      break;
    default:
      break;
  }
  throw new Error(`${act.module || act.kind} is not piecewise linear`);
}

function fv_mergeClose(sorted, tol) {
  const out = [];
  for (const v of sorted) if (!out.length || v - out[out.length - 1] > tol) out.push(v);
  return out;
}

function fv_insidePoint(left, right) {
  if (!Number.isFinite(left) && !Number.isFinite(right)) return 0;
  if (!Number.isFinite(left)) return right - Math.max(1, Math.abs(right));
  if (!Number.isFinite(right)) return left + Math.max(1, Math.abs(left));
  return (left + right) / 2;
}

/** How many of the sorted `arr` are < v. */
function fv_countBelow(arr, v) {
  let lo = 0, hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] < v) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/**
 * The network R → R as exact affine pieces of the whole line (relu_viz.regions.line_pieces):
 * {breaks, slopes, gross}, piece i between breaks[i−1] and breaks[i]. Throws for a smooth activation.
 */
export function linePieces(net, tol) {
  let breaks = [];
  let S = [Float64Array.of(1)], C = [Float64Array.of(0)], G = [Float64Array.of(1)];
  for (const layer of net.layers) {
    const { W, b, nIn, nOut } = layer;
    const k = S.length;
    const ZS = [], ZC = [], ZG = [];
    for (let i = 0; i < k; i++) {
      const zs = new Float64Array(nOut), zc = new Float64Array(nOut), zg = new Float64Array(nOut);
      for (let o = 0; o < nOut; o++) {
        let s = 0, c = 0, g = 0;
        for (let j = 0; j < nIn; j++) {
          const w = W[o * nIn + j];
          s += S[i][j] * w;
          c += C[i][j] * w;
          g += G[i][j] * Math.abs(w);
        }
        zs[o] = s; zc[o] = c + b[o]; zg[o] = g;
      }
      ZS.push(zs); ZC.push(zc); ZG.push(zg);
    }
    const pieces = activationPieces(layer.act, nOut);
    if (pieces === null) { S = ZS; C = ZC; G = ZG; continue; }
    const cand = breaks.slice();
    for (let i = 0; i < k; i++) {
      const left = i > 0 ? breaks[i - 1] : -Infinity, right = i < k - 1 ? breaks[i] : Infinity;
      for (let j = 0; j < nOut; j++) {
        const s = ZS[i][j];
        if (!(Math.abs(s) > FV_ZERO_RTOL * ZG[i][j])) continue;
        for (const t of pieces.breaks[j]) {
          const x = (t - ZC[i][j]) / s;
          if (Number.isFinite(x) && x > left + tol && x < right - tol) cand.push(x);
        }
      }
    }
    cand.sort((p, q) => p - q);
    const next = fv_mergeClose(cand, tol);
    const nS = [], nC = [], nG = [];
    for (let q = 0; q <= next.length; q++) {
      const probe = fv_insidePoint(q > 0 ? next[q - 1] : -Infinity, q < next.length ? next[q] : Infinity);
      const p = fv_countBelow(breaks, probe);
      const s1 = new Float64Array(nOut), c1 = new Float64Array(nOut), g1 = new Float64Array(nOut);
      for (let j = 0; j < nOut; j++) {
        const z = ZS[p][j] * probe + ZC[p][j];
        const bj = pieces.breaks[j];
        let piece = 0;
        while (piece < bj.length && z > bj[piece]) piece++;
        const sl = pieces.slopes[j][piece], ic = pieces.intercepts[j][piece];
        s1[j] = sl * ZS[p][j];
        c1[j] = sl * ZC[p][j] + ic;
        g1[j] = Math.abs(sl) * ZG[p][j];
      }
      nS.push(s1); nC.push(c1); nG.push(g1);
    }
    breaks = next; S = nS; C = nC; G = nG;
  }
  return { breaks, slopes: S.map((r) => r[0]), gross: G.map((r) => r[0]) };
}

/** The sorted x in [lo, hi] where the network changes slope (relu_viz.regions.kinks). */
export function lineKinks(net, lo, hi) {
  const tol = FV_XTOL * (hi - lo);
  const { breaks, slopes, gross } = linePieces(net, tol);
  const out = [];
  for (let i = 0; i < breaks.length; i++) {
    const change = Math.abs(slopes[i + 1] - slopes[i]);
    if (change > FV_SLOPE_RTOL * Math.max(gross[i], gross[i + 1]) && breaks[i] >= lo - tol && breaks[i] <= hi + tol) {
      out.push(Math.min(hi, Math.max(lo, breaks[i])));
    }
  }
  return out;
}

/** f(x) at each of xs, and the last hidden layer's outputs h (units × xs, row-major) for the terms. */
export function lineForward(net, xs) {
  const N = xs.length;
  let h = Float64Array.from(xs), d = 1, last = null;
  for (const layer of net.layers) {
    const { W, b, nIn, nOut } = layer;
    const out = new Float64Array(N * nOut);
    for (let p = 0; p < N; p++) {
      for (let o = 0; o < nOut; o++) {
        let z = b[o];
        for (let j = 0; j < nIn; j++) z += W[o * nIn + j] * h[p * d + j];
        out[p * nOut + o] = z;
      }
    }
    if (layer.act) {
      if (!layer.fns) layer.fns = Array.from({ length: layer.act.kind === "prelu" ? nOut : 1 }, (_, j) => activationFn(layer.act, j));
      for (let p = 0; p < N; p++) for (let o = 0; o < nOut; o++) {
        const f = layer.fns[layer.fns.length === 1 ? 0 : o];
        out[p * nOut + o] = f(out[p * nOut + o]);
      }
      last = { h: out, n: nOut };
    }
    h = out; d = nOut;
  }
  return { y: h, last };
}

/** A fresh per-element state. */
export function fitState() {
  return { run: null, setup: null, hist: null, frame: null, net: null, dom: null, view: "fit", stats: { frames: 0, drawMs: [], lastStep: -1, kinks: null } };
}

/** Merge one payload: a set-up (`setup`) with the first frame, or a later frame with new history rows. */
export function fitMerge(st, data) {
  if (data.setup) {
    st.run = data.run;
    const s = data.setup;
    st.setup = {
      ...s,
      px: fv_b64(s.points.x),
      py: fv_b64(s.points.y),
      cx: s.curve ? fv_b64(s.curve.x) : null,
      cy: s.curve ? fv_b64(s.curve.y) : null,
    };
    st.hist = { step: s.hist.step.slice(), loss: s.hist.loss.slice() };
    st.setupStep = data.frame.step;
  } else if (data.run !== st.run || !st.setup) {
    return false; // a frame of a run whose set-up has not arrived: keep the last picture
  }
  const f = data.frame;
  if (f.rows && st.hist) {
    const last = st.hist.step.length ? st.hist.step[st.hist.step.length - 1] : -1;
    f.rows.step.forEach((s, i) => {
      if (s <= last) return;
      st.hist.step.push(s);
      st.hist.loss.push(f.rows.loss[i]);
    });
    if (st.hist.step.length > FV_HISTORY_ROWS) {
      st.hist.step = st.hist.step.filter((_, i) => i % 2 === 0);
      st.hist.loss = st.hist.loss.filter((_, i) => i % 2 === 0);
    }
  }
  st.frame = f;
  st.net = unpackNet(st.setup.structure, f.w);
  return true;
}

function fv_el(tag, cls, parent, testid) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (testid) e.setAttribute("data-testid", testid);
  if (parent) parent.appendChild(e);
  return e;
}

function fv_mount(st) {
  const root = fv_el("div", "rv-fit");
  const left = fv_el("div", "rv-left", root);
  const plot = fv_el("canvas", "rv-fit-plot", left, "rv-fit-plot");
  const readout = fv_el("div", "rv-readout", left);
  const unitsTitle = fv_el("div", "rv-caption", left, "rv-fit-units-title");
  const units = fv_el("canvas", "rv-fit-units", left, "rv-fit-units");
  const right = fv_el("div", "rv-right", root);
  const numbers = fv_el("div", "rv-fit-numbers", right, "rv-fit-numbers");
  const note = fv_el("div", "rv-note", right, "rv-fit-note");
  const curves = fv_el("canvas", "rv-curves", right, "rv-fit-loss");
  const legend = fv_el("div", "rv-caption", right, "rv-fit-legend");
  st.dom = { root, left, plot, readout, unitsTitle, units, right, numbers, note, curves, legend };
  plot.addEventListener("mousemove", (ev) => fv_hover(st, ev));
  plot.addEventListener("mouseleave", () => { st.dom.readout.textContent = "\u00a0"; });
  return root;
}

function fv_hover(st, ev) {
  const g = st.geom;
  if (!g || !st.net) return;
  const r = st.dom.plot.getBoundingClientRect();
  const u = (ev.clientX - r.left - g.px) / g.pw;
  if (u < 0 || u > 1) { st.dom.readout.textContent = "\u00a0"; return; }
  const x = g.x0 + u * (g.x1 - g.x0);
  const y = lineForward(st.net, [x]).y[0];
  st.dom.readout.textContent = `x = ${x.toFixed(3)} · fit f(x) = ${formatNumber(y, 4)}`;
}

/** The x at which curves are drawn: an even grid over the domain plus every kink (exact polylines). */
function fv_xs(lo, hi, kinks) {
  const xs = [];
  for (let i = 0; i < FV_CURVE_POINTS; i++) xs.push(lo + ((hi - lo) * i) / (FV_CURVE_POINTS - 1));
  for (const k of kinks) xs.push(k);
  xs.sort((a, b) => a - b);
  return xs;
}

function fv_axes(ctx, g, yTicks = true) {
  ctx.save();
  ctx.strokeStyle = "#d5d6da";
  ctx.lineWidth = 1;
  ctx.strokeRect(g.px, g.py, g.pw, g.ph);
  ctx.font = "11px sans-serif";
  ctx.fillStyle = "#6b6f7b";
  if (yTicks) {
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of niceTicks(g.y0, g.y1, 4)) {
      const yy = g.Y(v);
      ctx.fillText(formatNumber(v, 3), g.px - 4, yy);
      ctx.strokeStyle = v === 0 ? "#b9bbc2" : "#eeeff2";
      ctx.beginPath(); ctx.moveTo(g.px, yy); ctx.lineTo(g.px + g.pw, yy); ctx.stroke();
    }
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const v of niceTicks(g.x0, g.x1, 6)) ctx.fillText(formatNumber(v, 3), g.X(v), g.py + g.ph + 3);
  ctx.restore();
}

function fv_geometry(x0, x1, y0, y1, w, h, margin) {
  const px = margin.l, py = margin.t, pw = w - margin.l - margin.r, ph = h - margin.t - margin.b;
  return { x0, x1, y0, y1, px, py, pw, ph, X: (v) => px + ((v - x0) / (x1 - x0)) * pw, Y: (v) => py + ph - ((v - y0) / (y1 - y0)) * ph };
}

function fv_line(ctx, g, xs, ys, colour, width, dash = []) {
  ctx.strokeStyle = colour;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const v = ys[i];
    if (!Number.isFinite(v)) { pen = false; continue; }
    const X = g.X(xs[i]), Y = g.Y(v);
    if (pen) ctx.lineTo(X, Y); else ctx.moveTo(X, Y);
    pen = true;
  }
  ctx.stroke();
  ctx.setLineDash([]);
}

function fv_kinkMarks(ctx, g, kinks) {
  ctx.save();
  ctx.strokeStyle = "rgba(214,39,40,0.25)";
  ctx.setLineDash([2, 3]);
  for (const k of kinks) {
    const X = g.X(k);
    ctx.beginPath(); ctx.moveTo(X, g.py); ctx.lineTo(X, g.py + g.ph); ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.fillStyle = FV_KINK;
  for (const k of kinks) {
    const X = g.X(k), Y = g.py + g.ph;
    ctx.beginPath(); ctx.moveTo(X, Y - 7); ctx.lineTo(X - 4.5, Y); ctx.lineTo(X + 4.5, Y); ctx.closePath(); ctx.fill();
  }
  ctx.restore();
}

function fv_range(values, pad = 0.08) {
  let lo = Infinity, hi = -Infinity;
  for (const arr of values) for (const v of arr) { if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
  if (!Number.isFinite(lo)) { lo = -1; hi = 1; }
  if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
  const p = pad * (hi - lo);
  return [lo - p, hi + p];
}

function fv_layout(st) {
  const width = Math.max(320, st.dom.root.clientWidth || 900);
  const wide = width >= 700;
  st.dom.root.classList.toggle("rv-narrow", !wide);
  const leftW = wide ? Math.floor(width * 0.62) : width;
  st.dom.left.style.width = `${leftW}px`;
  const top = st.dom.root.getBoundingClientRect().top + window.scrollY;
  const avail = Math.max(360, (window.innerHeight || 720) - top - 12);
  const mainH = Math.round(Math.min(360, Math.max(210, 0.6 * (avail - 40))));
  const unitsH = Math.round(Math.min(220, Math.max(120, avail - mainH - 40)));
  return { leftW, rightW: wide ? Math.max(240, width - leftW - 24) : width, mainH, unitsH, avail, bottom: top + avail };
}

/** Draw everything for the current frame; returns the milliseconds it took. */
export function fitDraw(st, parentElement) {
  const t0 = performance.now();
  if (!st.dom) fv_mount(st);
  if (st.dom.root.parentNode !== parentElement) parentElement.appendChild(st.dom.root);
  const L = fv_layout(st);
  const s = st.setup, net = st.net;
  const [x0, x1] = s.domain;
  let kinks = null, reason = null;
  if (s.pwl) {
    try { kinks = lineKinks(net, x0, x1); } catch (e) { reason = String(e.message || e); }
  } else reason = s.not_pwl_reason;
  const xs = fv_xs(x0, x1, kinks || []);
  const { y: fy, last } = lineForward(net, xs);
  // main plot: data, target, fit, kinks
  const ctx = crispCanvas(st.dom.plot, L.leftW, L.mainH);
  ctx.clearRect(0, 0, L.leftW, L.mainH);
  const [y0, y1] = fv_range([s.py, s.cy || [], fy]);
  const g = fv_geometry(x0, x1, y0, y1, L.leftW, L.mainH, FV_MARGIN);
  st.geom = g;
  fv_axes(ctx, g);
  ctx.save();
  ctx.beginPath(); ctx.rect(g.px, g.py, g.pw, g.ph); ctx.clip();
  if (s.cx) fv_line(ctx, g, s.cx, s.cy, FV_TARGET, 1.5, [6, 4]);
  ctx.fillStyle = FV_POINT;
  for (let i = 0; i < s.px.length; i++) {
    ctx.beginPath(); ctx.arc(g.X(s.px[i]), g.Y(s.py[i]), 2.6, 0, 2 * Math.PI); ctx.fill();
  }
  fv_line(ctx, g, xs, fy, FV_FIT, 2.6);
  ctx.restore();
  if (kinks) fv_kinkMarks(ctx, g, kinks);
  ctx.font = "11px sans-serif";
  ctx.fillStyle = "#6b6f7b";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  ctx.fillText("x", g.px + g.pw / 2, g.py + g.ph + 16);
  ctx.textAlign = "left";
  ctx.fillText("y", 4, g.py);
  // the units' terms: hinges for one hidden layer, the last hidden layer's a_j·h_j(x) deeper
  fv_units(st, L, xs, last, kinks);
  fv_numbers(st, kinks, reason);
  // loss curve
  const lh = Math.max(140, Math.min(260, L.avail - st.dom.numbers.offsetHeight - st.dom.note.offsetHeight - 60));
  const lc = crispCanvas(st.dom.curves, L.rightW, lh);
  lc.clearRect(0, 0, L.rightW, lh);
  lineChart(lc, 0, 0, L.rightW, lh, [{ xs: st.hist.step, ys: st.hist.loss, color: FV_FIT, label: "" }], { title: "Mean squared error (log scale)", log: true, xLabel: "step" });
  const ms = performance.now() - t0;
  st.stats.frames++;
  st.stats.drawMs.push(ms);
  if (st.stats.drawMs.length > 200) st.stats.drawMs.shift();
  st.stats.lastStep = st.frame.step;
  st.stats.kinks = kinks ? kinks.slice() : null;
  st.stats.units = s.units;
  // the server's kinks (relu_viz.regions.kinks) of the set-up's weights, for the tests to compare
  st.stats.serverKinks = st.frame.step === st.setupStep ? s.kinks : undefined;
  return ms;
}

function fv_units(st, L, xs, last, kinks) {
  const s = st.setup, net = st.net;
  const dom = st.dom;
  if (!last) {
    dom.unitsTitle.textContent = "No hidden layer: the network is one straight line a·x + c, so it has no kinks.";
    dom.units.style.display = "none";
    return;
  }
  dom.units.style.display = "";
  const out = net.layers[net.layers.length - 1];
  const n = last.n, N = xs.length;
  const terms = [];
  for (let j = 0; j < n; j++) {
    const a = out.W[j];
    const ys = new Float64Array(N);
    for (let p = 0; p < N; p++) ys[p] = a * last.h[p * n + j];
    terms.push(ys);
  }
  const one = s.one_layer;
  const act = s.act_label;
  dom.unitsTitle.textContent = one
    ? `Each unit's hinge a_j·${act}(w_j x + b_j), with its breakpoint −b_j/w_j (dots); their sum plus the output bias c = ${formatNumber(out.b[0], 3)} is the fit (faint orange).`
    : `Each unit of the last hidden layer times its output weight, a_j·h_j(x), each already bent by the layers before; their sum plus c = ${formatNumber(out.b[0], 3)} is the fit (faint orange).`;
  // the panel takes what is left of the first screen under its (one- or two-line) title
  const unitsTop = dom.units.getBoundingClientRect().top + window.scrollY;
  const H = Math.round(Math.min(220, Math.max(110, L.bottom - unitsTop - 4)));
  const ctx = crispCanvas(dom.units, L.leftW, H);
  ctx.clearRect(0, 0, L.leftW, H);
  const total = new Float64Array(N); // c + Σ_j a_j h_j(x): the fit itself, drawn faintly behind its terms
  for (let p = 0; p < N; p++) {
    let v = out.b[0];
    for (let j = 0; j < n; j++) v += terms[j][p];
    total[p] = v;
  }
  const [y0, y1] = fv_range([...terms, total], 0.1);
  const g = fv_geometry(s.domain[0], s.domain[1], y0, y1, L.leftW, H, { l: FV_MARGIN.l, r: FV_MARGIN.r, t: 6, b: 20 });
  fv_axes(ctx, g);
  ctx.save();
  ctx.beginPath(); ctx.rect(g.px, g.py, g.pw, g.ph); ctx.clip();
  fv_line(ctx, g, xs, total, "rgba(232,113,10,0.35)", 4);
  terms.forEach((ys, j) => fv_line(ctx, g, xs, ys, FV_UNIT_COLOURS[j % FV_UNIT_COLOURS.length], 1.2));
  if (one) {
    const first = net.layers[0];
    for (let j = 0; j < n; j++) {
      const w = first.W[j], b = first.b[j];
      if (w === 0) continue;
      const bx = -b / w;
      if (bx < s.domain[0] || bx > s.domain[1]) continue;
      ctx.fillStyle = FV_UNIT_COLOURS[j % FV_UNIT_COLOURS.length];
      ctx.beginPath(); ctx.arc(g.X(bx), g.Y(0), 3.2, 0, 2 * Math.PI); ctx.fill();
    }
  }
  ctx.restore();
  if (kinks) {
    ctx.save();
    ctx.strokeStyle = "rgba(214,39,40,0.25)";
    ctx.setLineDash([2, 3]);
    for (const k of kinks) { const X = g.X(k); ctx.beginPath(); ctx.moveTo(X, g.py); ctx.lineTo(X, g.py + g.ph); ctx.stroke(); }
    ctx.restore();
  }
}

function fv_numbers(st, kinks, reason) {
  const s = st.setup, f = st.frame, dom = st.dom;
  const loss = f.loss;
  const lossText = loss === null || loss === undefined ? "–" : loss !== 0 && Math.abs(loss) < 1e-3 ? loss.toExponential(1) : formatNumber(loss, 3);
  const epoch = f.epoch >= 1000 ? Math.round(f.epoch).toLocaleString("en-US") : f.epoch.toFixed(1);
  const kinkText = kinks ? String(kinks.length) : "–";
  const boundText = s.bound === null || s.bound === undefined ? "" : `at most ${Number(s.bound).toLocaleString("en-US")} for [${s.widths.join(", ")}]`;
  dom.numbers.innerHTML = `
    <div class="rv-metrics">
      <div class="rv-metric"><div class="rv-label">Kinks in view</div><div class="rv-value" data-testid="rv-fit-kinks">${kinkText}</div></div>
      <div class="rv-metric"><div class="rv-label">Hidden units</div><div class="rv-value" data-testid="rv-fit-units-count">${s.units}</div></div>
      <div class="rv-metric"><div class="rv-label">Mean sq. error</div><div class="rv-value" data-testid="rv-fit-loss-value">${lossText}</div></div>
    </div>
    <div class="rv-caption" data-testid="rv-fit-bound">${boundText}${boundText ? " · " : ""}step ${Number(f.step).toLocaleString("en-US")} · epoch <span data-testid="rv-epoch">${epoch}</span></div>`;
  const msg = f.message || (kinks ? "" : reason ? `No kinks to count: ${reason}` : "");
  dom.note.textContent = msg;
  dom.note.className = `rv-note ${f.status === "diverged" ? "rv-error" : msg ? "rv-info" : ""}`;
  const target = s.curve ? ` · <span style="color:${FV_TARGET}">╌</span> target without noise` : "";
  dom.legend.innerHTML = `<span style="color:${FV_FIT}">━</span> the network's fit${target} · <span style="color:${FV_POINT}">●</span> points · <span style="color:${FV_KINK}">▲</span> kinks, where the fit's slope changes`;
}
