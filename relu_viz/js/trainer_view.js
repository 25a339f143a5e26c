// The trainer's live views, drawn in the browser from streamed weights: the map (probabilities, exact
// linear regions and decision boundary), the numbers, the curves and the network diagram.
// The twin of relu_viz/stream.py, which builds the payloads this file reads.
import { unpackNet, gridLogits, classProbabilities, unitOutputs, netLogits, featureValues, deadUnits, unitDifference, pictureGrid } from "./forward.js";
import { partition } from "./partition.js";
import { gridBoundary } from "./contour.js";
import { CLASS_COLORS, classCss, probabilityRgb, regionCss } from "./palette.js";
import { crispCanvas, formatNumber, lineChart } from "./plot.js";

const TV_GRID = 100; // the probability map's grid, as Playground's (100 × 100 over the box)
const TV_THUMB = 16; // unit pictures in the diagram: the grid reduced 6×
const TV_BIG = 64; // an enlarged unit picture
const TV_MIN_BOX = 14; // the smallest unit picture in the diagram, CSS pixels
const TV_MAX_REGIONS = 20000; // past this the partition stops (truncated) to keep the page live
const TV_CURVE_ROWS = 1500; // the browser keeps at most this many history rows (thinned by halves)
const TV_MARGIN = { l: 30, b: 26, t: 6, r: 6 };
const TV_FEATURE_LABELS = { x1: "x₁", x2: "x₂", x1sq: "x₁²", x2sq: "x₂²", x1x2: "x₁x₂", sinx1: "sin x₁", sinx2: "sin x₂" };
// Unit pictures: the unit mosaic's diverging scale (blue > 0, orange < 0) around a grey zero, so a unit
// that outputs 0 is a visible grey square on the white page (was white on white).
const TV_ZERO_RGB = [214, 216, 222];
const TV_DEAD_CSS = "#d62728"; // the frame of a unit that outputs 0 over the whole plane
const TV_JUMPS_ROWS = 30; // the loss "jumps about" judged on the newest history rows
const TV_CURVES_MIN = 90; // the loss and region curves' smallest height, CSS pixels
const TV_DIAGRAM_WANT = 140; // the curves shrink (down to TV_CURVES_MIN) to leave the diagram this much
const TV_DIAGRAM_MIN = 110; // the network diagram's smallest height on a wide screen
const TV_CAPTIONS = {
  probabilities: "colours show the predicted class, paler where the network is less sure",
  outlines: "colours show the predicted class, thin lines the exact linear regions, the thick line the exact decision boundary",
  regions: "each linear region has its own colour, tinted by the predicted class; the thick line is the exact decision boundary",
};

/** Decode base64 into a typed array of `Type` (little-endian, as numpy writes it). */
function tv_b64(text, Type) {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Type(bytes.buffer, 0, bytes.length / Type.BYTES_PER_ELEMENT);
}

/** A fresh per-element state: what the server sent so far for this run, and the DOM it draws into. */
export function trainerState() {
  return { run: null, structure: null, points: null, trainXY: null, hist: null, regions: { step: [], count: [] }, bornDead: null, dead: null, frame: null, view: "outlines", dom: null, enlarged: null, stats: { frames: 0, drawMs: [], lastStep: -1 } };
}

/**
 * Merge one payload into the state. A payload names its run; `structure`, `points` and `hist` come
 * with the first payload of a run (and again after any page run), later frames carry only `frame`
 * (step, weights, numbers) and `rows` (history rows newer than the last sent).
 */
export function trainerMerge(st, data) {
  if (data.structure) {
    if (st.run !== data.run) { st.regions = { step: [], count: [] }; st.bornDead = null; }
    st.run = data.run;
    st.structure = data.structure;
    const p = data.points;
    st.points = { xy: tv_b64(p.xy, Float32Array), y: tv_b64(p.y, Uint8Array), test: tv_b64(p.test, Uint8Array), classes: p.classes, showTest: p.show_test };
    st.trainXY = tv_trainXY(st.points);
    st.box = data.box;
    st.bound = data.bound_text;
    st.hist = data.hist;
  } else if (data.run !== st.run) {
    return false; // a frame of a run whose set-up has not arrived: keep showing the last picture
  }
  if (data.rows && st.hist) {
    const last = st.hist.step.length ? st.hist.step[st.hist.step.length - 1] : -1;
    data.rows.step.forEach((s, i) => {
      if (s <= last) return;
      for (const k of Object.keys(st.hist)) st.hist[k].push(data.rows[k][i]);
    });
    if (st.hist.step.length > TV_CURVE_ROWS) for (const k of Object.keys(st.hist)) st.hist[k] = st.hist[k].filter((_, i) => i % 2 === 0);
  }
  st.view = data.view || st.view;
  st.size = data.size || 440;
  st.frame = data.frame;
  st.net = unpackNet(st.structure, data.frame.w);
  return true;
}

/** The training points (test flag 0), interleaved [x1, x2, ...] as float64: where a unit is dead or not. */
function tv_trainXY(points) {
  const { xy, test } = points;
  let n = 0;
  for (let i = 0; i < test.length; i++) if (!test[i]) n++;
  const out = new Float64Array(2 * n);
  for (let i = 0, k = 0; i < test.length; i++) {
    if (test[i]) continue;
    out[k++] = xy[2 * i];
    out[k++] = xy[2 * i + 1];
  }
  return out;
}

function tv_el(tag, cls, parent) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (parent) parent.appendChild(e);
  return e;
}

/** Build the view's DOM once: map on the left; numbers, curves and the network diagram on the right. */
function tv_mount(st) {
  const root = tv_el("div", "rv-trainer");
  const left = tv_el("div", "rv-left", root);
  const map = tv_el("canvas", "rv-map", left);
  map.setAttribute("data-testid", "rv-map");
  const readout = tv_el("div", "rv-readout", left);
  const count = tv_el("div", "rv-count", left);
  count.setAttribute("data-testid", "rv-count");
  const caption = tv_el("div", "rv-caption", left);
  const right = tv_el("div", "rv-right", root);
  const numbers = tv_el("div", "rv-numbers", right);
  numbers.setAttribute("data-testid", "rv-numbers");
  const note = tv_el("div", "rv-note", right);
  const dead = tv_el("div", "rv-dead", right);
  dead.setAttribute("data-testid", "rv-dead");
  dead.setAttribute("role", "status");
  const curves = tv_el("canvas", "rv-curves", right);
  curves.setAttribute("data-testid", "rv-curves");
  const diagramTitle = tv_el("div", "rv-caption rv-legend", right);
  diagramTitle.setAttribute("data-testid", "rv-legend");
  const sw = (rgb, cls = "") => `<span class="rv-swatch ${cls}" style="background: rgb(${rgb.join(",")})"></span>`;
  diagramTitle.innerHTML = "Unit outputs over the plane (per-unit scale): "
    + `${sw(CLASS_COLORS[1])}&gt; 0 ${sw(TV_ZERO_RGB)}0 ${sw(CLASS_COLORS[0])}&lt; 0 `
    + `${sw(TV_ZERO_RGB, "rv-swatch-dead")}0 everywhere. `
    + "<b>max diff</b>: largest difference between two units of a layer. Click to enlarge.";
  diagramTitle.title = "Click a square to enlarge it. max diff of a layer = max over pairs of its units (u, v) of max over the picture's pixels p of |a_u(p) − a_v(p)|. Lines are weights: blue > 0, orange < 0, thicker = larger.";
  const diagram = tv_el("canvas", "rv-diagram", right);
  diagram.setAttribute("data-testid", "rv-diagram");
  st.dom = { root, left, map, readout, count, caption, numbers, note, dead, curves, diagramTitle, diagram, units: [] };
  map.addEventListener("mousemove", (ev) => tv_hover(st, ev));
  map.addEventListener("mouseleave", () => { st.dom.readout.textContent = "\u00a0"; });
  diagram.addEventListener("click", (ev) => tv_click(st, ev));
  return root;
}

/** Plane point of a map pixel (CSS pixels from the canvas's top left), or null outside the plot. */
function tv_plane(st, mx, my) {
  const S = st.plot;
  if (!S) return null;
  const [[x0, x1], [y0, y1]] = st.box;
  const u = (mx - TV_MARGIN.l) / S, v = (my - TV_MARGIN.t) / S;
  if (u < 0 || u > 1 || v < 0 || v > 1) return null;
  return [x0 + u * (x1 - x0), y1 - v * (y1 - y0)];
}

function tv_hover(st, ev) {
  if (!st.net) return;
  const r = st.dom.map.getBoundingClientRect();
  const p = tv_plane(st, ev.clientX - r.left, ev.clientY - r.top);
  if (!p) { st.dom.readout.textContent = "\u00a0"; return; }
  const z = netLogits(st.net, Float64Array.from(p));
  const K = st.net.nOut;
  const probs = classProbabilities(z, K);
  const k = Math.max(2, K);
  let best = 0;
  for (let i = 1; i < k; i++) if (probs[i] > probs[best]) best = i;
  const name = st.points.classes[best] ?? String(best);
  st.dom.readout.textContent = `x₁ = ${p[0].toFixed(2)}, x₂ = ${p[1].toFixed(2)} · predicted ${name} (p = ${probs[best].toFixed(3)})`;
}

/** Map geometry: plot side S and the canvas's CSS size, fitted to the width the page gives. */
function tv_layout(st) {
  const width = Math.max(320, st.dom.root.clientWidth || 900);
  const wide = width >= 720;
  // the map fits the first screen: below it go the count line and the caption (about 56 px)
  const top = st.dom.root.getBoundingClientRect().top + window.scrollY;
  const fitHeight = window.innerHeight - top - TV_MARGIN.t - TV_MARGIN.b - 56;
  const side = Math.min(st.size, Math.floor((wide ? width * 0.5 : width) - TV_MARGIN.l - TV_MARGIN.r), wide ? fitHeight : Infinity);
  st.plot = Math.max(280, side);
  st.dom.left.style.width = `${st.plot + TV_MARGIN.l + TV_MARGIN.r}px`;
  st.dom.root.classList.toggle("rv-narrow", !wide);
  st.rightWidth = wide ? Math.max(260, width - st.plot - TV_MARGIN.l - TV_MARGIN.r - 24) : width;
  st.wide = wide;
}

/** Draw everything for the current frame; returns the milliseconds it took. */
export function trainerDraw(st, parentElement) {
  const t0 = performance.now();
  if (!st.dom) tv_mount(st);
  if (st.dom.root.parentNode !== parentElement) parentElement.appendChild(st.dom.root);
  tv_layout(st);
  const net = st.net;
  let part = null, reason = net.notPwlReason;
  if (net.piecewiseLinear) {
    try { part = partition(net, st.box, TV_MAX_REGIONS); } catch (e) { reason = String(e.message || e); }
  }
  const logits = gridLogits(net, st.box, TV_GRID, TV_GRID);
  tv_drawMap(st, logits, part);
  st.dead = st.trainXY ? deadUnits(net, st.trainXY) : null;
  if (st.dead && st.frame.step === 0 && st.bornDead === null) st.bornDead = st.dead.nDead;
  tv_numbers(st, part, reason);
  tv_deadNotice(st);
  if (part && !part.truncated && st.frame.step !== st.regions.step[st.regions.step.length - 1]) {
    st.regions.step.push(st.frame.step);
    st.regions.count.push(part.nLinear);
  }
  tv_curves(st, !!part);
  tv_diagram(st);
  const ms = performance.now() - t0;
  st.stats.frames++;
  st.stats.drawMs.push(ms);
  if (st.stats.drawMs.length > 200) st.stats.drawMs.shift();
  st.stats.lastStep = st.frame.step;
  st.stats.regions = part ? part.nLinear : null;
  const d = st.dead;
  st.stats.dead = d ? { dead: d.nDead, units: d.nUnits, cutOff: d.nCutOff, nonfinite: d.nNonfinite, canDie: d.canDie, deadLayer: d.deadLayer, perLayer: d.layers.map((L) => Array.from(L.dead)) } : null;
  st.stats.unitDiff = st.unitDiff ? st.unitDiff.slice() : null;
  return ms;
}

function tv_drawMap(st, logits, part) {
  const S = st.plot, K = st.net.nOut, k = Math.max(2, K);
  const W = S + TV_MARGIN.l + TV_MARGIN.r, H = S + TV_MARGIN.t + TV_MARGIN.b;
  const ctx = crispCanvas(st.dom.map, W, H);
  ctx.clearRect(0, 0, W, H);
  const [[x0, x1], [y0, y1]] = st.box;
  const X = (x) => TV_MARGIN.l + ((x - x0) / (x1 - x0)) * S;
  const Y = (y) => TV_MARGIN.t + ((y1 - y) / (y1 - y0)) * S;
  ctx.save();
  ctx.beginPath(); ctx.rect(TV_MARGIN.l, TV_MARGIN.t, S, S); ctx.clip();
  if (st.view === "regions" && part && !part.truncated) {
    const R = part.offsets.length - 1;
    for (let r = 0; r < R; r++) {
      ctx.fillStyle = regionCss(part.linearRegion[r], part.predicted[r]);
      ctx.beginPath();
      for (let v = part.offsets[r]; v < part.offsets[r + 1]; v++) {
        const px = X(part.vertices[2 * v]), py = Y(part.vertices[2 * v + 1]);
        if (v === part.offsets[r]) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      }
      ctx.closePath();
      ctx.fill();
      ctx.strokeStyle = ctx.fillStyle; // hide hairline seams between neighbours
      ctx.lineWidth = 0.6;
      ctx.stroke();
    }
  } else {
    const probs = classProbabilities(logits, K);
    if (!st.img || st.img.width !== TV_GRID) {
      st.off = document.createElement("canvas");
      st.off.width = st.off.height = TV_GRID;
      st.img = st.off.getContext("2d").createImageData(TV_GRID, TV_GRID);
    }
    probabilityRgb(probs, k, st.img.data);
    st.off.getContext("2d").putImageData(st.img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(st.off, TV_MARGIN.l, TV_MARGIN.t, S, S);
  }
  if (st.view === "outlines" && part && part.outline) {
    ctx.strokeStyle = "rgba(40,40,40,0.45)";
    ctx.lineWidth = 0.7;
    tv_segments(ctx, part.outline, X, Y);
  }
  if (st.view !== "probabilities" || !part) {
    const boundary = part ? part.boundary : gridBoundary(logits, K, TV_GRID, TV_GRID, st.box);
    ctx.strokeStyle = "#202124";
    ctx.lineWidth = 2.4;
    ctx.lineCap = "round";
    tv_segments(ctx, boundary, X, Y);
  }
  tv_points(ctx, st, X, Y);
  ctx.restore();
  // axes: ticks every 2 units, labels outside the plot
  ctx.strokeStyle = "#9a9ca5";
  ctx.lineWidth = 1;
  ctx.strokeRect(TV_MARGIN.l, TV_MARGIN.t, S, S);
  ctx.fillStyle = "#5b5e69";
  ctx.font = "11px sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (let v = Math.ceil(x0); v <= x1; v += 2) ctx.fillText(String(v), X(v), TV_MARGIN.t + S + 3);
  ctx.fillText("x₁", TV_MARGIN.l + S - 8, TV_MARGIN.t + S + 14);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let v = Math.ceil(y0); v <= y1; v += 2) ctx.fillText(String(v), TV_MARGIN.l - 4, Y(v));
  ctx.fillText("x₂", TV_MARGIN.l - 4, TV_MARGIN.t + 8);
  st.dom.caption.textContent = `${st.view}: ${TV_CAPTIONS[st.view] || ""}. Filled dots are training points, rings test points.`;
}

function tv_segments(ctx, seg, X, Y) {
  ctx.beginPath();
  for (let i = 0; i + 3 < seg.length; i += 4) {
    ctx.moveTo(X(seg[i]), Y(seg[i + 1]));
    ctx.lineTo(X(seg[i + 2]), Y(seg[i + 3]));
  }
  ctx.stroke();
}

function tv_points(ctx, st, X, Y) {
  const { xy, y, test, showTest } = st.points;
  const n = y.length;
  ctx.lineWidth = 1;
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < n; i++) {
      const isTest = test[i] === 1;
      if (isTest !== (pass === 1) || (isTest && !showTest)) continue;
      ctx.beginPath();
      ctx.arc(X(xy[2 * i]), Y(xy[2 * i + 1]), isTest ? 3.2 : 3, 0, 2 * Math.PI);
      if (isTest) {
        ctx.strokeStyle = classCss(y[i]);
        ctx.lineWidth = 1.6;
        ctx.stroke();
      } else {
        ctx.fillStyle = classCss(y[i]);
        ctx.fill();
        ctx.strokeStyle = "white";
        ctx.lineWidth = 0.8;
        ctx.stroke();
      }
    }
  }
}

function tv_last(arr) { return arr && arr.length ? arr[arr.length - 1] : NaN; }

function tv_numbers(st, part, reason) {
  const f = st.frame, h = st.hist;
  const epoch = f.epoch < 1000 ? f.epoch.toFixed(1) : Math.round(f.epoch).toLocaleString("en-US");
  const pct = (v) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : "–");
  const num = (v) => (Number.isFinite(v) ? v.toFixed(3) : "–");
  const m = f.last || {};
  const cells = [["Epoch", epoch], ["Test loss", num(m.test_loss)], ["Test accuracy", pct(m.test_acc)]];
  const d = st.dead;
  if (d && d.canDie) {
    const tip = "Hidden units whose gradient is 0 on every training point: they output a constant there and do not learn.";
    cells.push(["Dead units", d.nNonfinite ? "–" : `${d.nDead}/${d.nUnits}`, tip]);
  }
  const html = cells.map(([k, v, tip]) => `<div class="rv-metric"${tip ? ` title="${tip}"` : ""}><div class="rv-label">${k}</div><div class="rv-value" data-testid="rv-${k.toLowerCase().replace(" ", "-")}">${v}</div></div>`).join("");
  const speed = f.playing ? ` · ${formatNumber(f.eps)} epochs/s` : "";
  const line = `Training loss ${num(m.train_loss)} · training accuracy ${pct(m.train_acc)} · step ${f.step.toLocaleString("en-US")}${speed}`;
  const key = html + line;
  if (st.dom.numbers.dataset.key !== key) {
    st.dom.numbers.innerHTML = `<div class="rv-metrics">${html}</div><div class="rv-caption">${line}</div>`;
    st.dom.numbers.dataset.key = key;
  }
  st.dom.note.textContent = f.message || "";
  st.dom.note.className = `rv-note ${f.status === "diverged" ? "rv-error" : f.message ? "rv-info" : ""}`;
  if (part) {
    const n = part.nLinear.toLocaleString("en-US");
    const count = part.truncated ? `more than ${n}` : n;
    st.dom.count.textContent = `Your network: ${count} linear region${part.nLinear === 1 && !part.truncated ? "" : "s"}; the most it could have: ${st.bound || "–"}`;
  } else {
    st.dom.count.textContent = reason ? `No exact regions: ${reason} The boundary is traced on the ${TV_GRID}×${TV_GRID} grid.` : "";
  }
}

/**
 * Whether the training loss jumps about over the newest TV_JUMPS_ROWS history rows: its direction
 * changes between at least 40% of consecutive rows and its range is at least 30% of its median (a
 * learning rate too large for what still learns overshoots at every step). A falling or flat loss
 * never counts.
 */
export function lossJumps(losses) {
  const v = losses.slice(-TV_JUMPS_ROWS).filter((x) => Number.isFinite(x));
  if (v.length < 10) return false;
  let turns = 0;
  for (let i = 2; i < v.length; i++) if ((v[i] - v[i - 1]) * (v[i - 1] - v[i - 2]) < 0) turns++;
  const sorted = v.slice().sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  return turns >= 0.4 * (v.length - 2) && sorted[sorted.length - 1] - sorted[0] >= 0.3 * median;
}

/**
 * The notice above the curves when some hidden unit is dead (relu_viz.ui.dead_neurons_views says the
 * same on the dead-neuron page): how many, what that means, and what to try. Nothing when no unit is
 * dead or the weights are not finite (the server's note explains a divergence).
 */
function tv_deadNotice(st) {
  const d = st.dead, el = st.dom.dead;
  let text = "", cls = "rv-dead";
  if (d && d.nDead > 0 && !d.nNonfinite) {
    const one = d.nDead === 1, all = d.nDead === d.nUnits;
    const zero = st.net.layers.every((L) => L.act == null || L.act.kind === "relu");
    const lead = all ? `All ${d.nUnits} hidden units are dead` : `${d.nDead} of ${d.nUnits} hidden units ${one ? "is" : "are"} dead`;
    let first = `<b>${lead}</b>: ${one ? "it outputs" : "they output"} ${zero ? "0" : "a constant"} on every training point and ${one ? "does" : "do"} not learn`;
    if (d.deadLayer >= 0) first += `${all ? ", so the" : `; layer ${d.deadLayer + 1} is all dead, so the`} output no longer depends on the input`;
    else if (d.nCutOff > 0) first += `; ${d.nCutOff} more ${d.nCutOff === 1 ? "is" : "are"} cut off (every unit ${d.nCutOff === 1 ? "it feeds" : "they feed"} is dead)`;
    const parts = [`${first}.`];
    const jumps = st.hist && lossJumps(st.hist.train_loss);
    const born = st.frame.step === 0 || (st.bornDead !== null && st.bornDead >= d.nDead);
    const zeroInit = st.net.layers.slice(0, -1).every((L) => L.W.every((w) => w === 0));
    // after a divergence the server's note above explains it and what to try: only the count here
    if (st.frame.status === "diverged") parts.unshift("At the last good weights:");
    else if (zeroInit) parts.push("Every hidden weight is 0 (zero init): all units are alike and none gets a gradient; try He init, then Reset.");
    else if (jumps) parts.push("The loss jumps about: the learning rate is too large; try 0.03, He init or LeakyReLU, then Reset.");
    else if (born) parts.push("Dead from the start: try He init, a hidden bias ≥ 0 or LeakyReLU, then Reset.");
    else parts.push("Try a lower learning rate (0.03), He init or LeakyReLU, then Reset.");
    text = parts.join(" ");
    cls = `rv-dead ${d.nDead * 2 > d.nUnits || d.deadLayer >= 0 ? "rv-error" : "rv-warn"}`;
  }
  if (el.dataset.key !== text) {
    el.innerHTML = text;
    el.dataset.key = text;
  }
  el.className = cls;
}

/**
 * The curves' height: 150 px, less (down to TV_CURVES_MIN) when the first screen is short, so that the
 * diagram under them keeps TV_DIAGRAM_WANT px above the fold (a dead-unit notice takes room too).
 */
function tv_curvesHeight(st) {
  if (!st.wide) return 150;
  const top = st.dom.curves.getBoundingClientRect().top + window.scrollY;
  const legend = st.dom.diagramTitle.getBoundingClientRect().height + 6;
  const room = window.innerHeight - top - legend - 8;
  return Math.max(TV_CURVES_MIN, Math.min(150, Math.floor(room - TV_DIAGRAM_WANT)));
}

function tv_curves(st, pwl) {
  const W = st.rightWidth, H = tv_curvesHeight(st);
  const ctx = crispCanvas(st.dom.curves, W, H);
  ctx.clearRect(0, 0, W, H);
  const h = st.hist;
  const half = Math.floor(W / 2) - 4;
  lineChart(ctx, 0, 0, half, H, [
    { xs: h.epoch, ys: h.train_loss, color: classCss(1), label: "train" },
    { xs: h.epoch, ys: h.test_loss, color: classCss(0), label: "test", dash: [4, 3] },
  ], { title: "Loss (log scale)", log: true, xLabel: "epoch" });
  if (pwl && st.regions.step.length) {
    // the count at each drawn frame, placed at that step's epoch
    const per = h.step.length > 1 ? (tv_last(h.epoch) - h.epoch[0]) / Math.max(1, tv_last(h.step) - h.step[0]) : 0;
    const spe = per > 0 ? per : (st.frame.step ? st.frame.epoch / st.frame.step : 0);
    const xs = st.regions.step.map((s) => s * spe);
    lineChart(ctx, half + 8, 0, W - half - 8, H, [
      { xs, ys: st.regions.count, color: "#6f42c1", label: "" },
    ], { title: "Linear regions", xLabel: "epoch" });
  } else {
    lineChart(ctx, half + 8, 0, W - half - 8, H, [
      { xs: h.epoch, ys: h.train_acc, color: classCss(1), label: "train" },
      { xs: h.epoch, ys: h.test_acc, color: classCss(0), label: "test", dash: [4, 3] },
    ], { title: "Accuracy", yRange: [0, 1], xLabel: "epoch" });
  }
}

/**
 * A unit's output v scaled to t in [−1, 1] as colour: grey at 0, towards blue for t > 0 and orange for
 * t < 0: colour = zero + |t|·(end − zero). Writes RGBA at `o` of `out`.
 */
function tv_unitRgb(t, out, o) {
  const c = t >= 0 ? CLASS_COLORS[1] : CLASS_COLORS[0];
  const a = Math.min(1, Math.abs(t)) || 0;
  out[o] = TV_ZERO_RGB[0] + a * (c[0] - TV_ZERO_RGB[0]);
  out[o + 1] = TV_ZERO_RGB[1] + a * (c[1] - TV_ZERO_RGB[1]);
  out[o + 2] = TV_ZERO_RGB[2] + a * (c[2] - TV_ZERO_RGB[2]);
  out[o + 3] = 255;
}

/** Per-unit scale: a layer's outputs (N·w) divided by each unit's largest |value| on the grid. */
function tv_unitImage(values, width, j, T, img) {
  let top = 0;
  for (let i = 0; i < T * T; i++) top = Math.max(top, Math.abs(values[i * width + j]));
  const s = top > 1e-12 ? 1 / top : 0;
  for (let i = 0; i < T * T; i++) tv_unitRgb(values[i * width + j] * s, img.data, 4 * i);
  return top;
}

/** The network diagram: inputs, every hidden unit as a picture of its output, the output map. */
function tv_diagram(st) {
  const net = st.net;
  const hidden = net.widths.slice(1, -1);
  const cols = [net.features.length, ...hidden, 1];
  const W = st.rightWidth;
  const BAND = 30; // above the pictures: each layer's name, and under it its max diff
  // A layer of many units stands in sub-columns, so every picture stays at least TV_MIN_BOX pixels.
  // what is left of the first screen under the numbers and the curves (drawn just before)
  const diagramTop = st.dom.diagram.getBoundingClientRect().top + window.scrollY;
  const H = st.wide ? Math.max(TV_DIAGRAM_MIN, Math.min(320, Math.floor(window.innerHeight - diagramTop - 8))) : 250;
  const rowsFit = Math.max(1, Math.floor((H - BAND - 4) / (TV_MIN_BOX + 3)));
  const sub = cols.map((n) => Math.ceil(n / rowsFit));
  const rows = cols.map((n, c) => Math.ceil(n / sub[c]));
  const maxRows = Math.max(...rows);
  const box = Math.max(TV_MIN_BOX, Math.min(30, Math.floor((H - BAND - 4) / maxRows) - 3));
  const ctx = crispCanvas(st.dom.diagram, W, H);
  ctx.clearRect(0, 0, W, H);
  const colWidth = sub.map((k) => k * (box + 3));
  const spare = W - 34 - colWidth.reduce((a, b) => a + b, 0);
  const gap = Math.max(8, spare / Math.max(1, cols.length - 1));
  let cx = 34;
  const pos = cols.map((n, c) => {
    const x = cx;
    cx += colWidth[c] + gap;
    const top = BAND + (H - BAND - rows[c] * (box + 3)) / 2;
    return Array.from({ length: n }, (_, j) => [x + Math.floor(j / rows[c]) * (box + 3), top + (j % rows[c]) * (box + 3)]);
  });
  // pictures on a T × T grid of the box (pixel centres, row 0 at the top)
  const T = TV_THUMB;
  if (!st.thumbXY) st.thumbXY = pictureGrid(st.box, T);
  const outs = unitOutputs(net, st.thumbXY);
  // how alike each layer's units are: max over pairs (u, v) and pixels p of |a_u(p) − a_v(p)|
  st.unitDiff = outs.map((v, l) => unitDifference(v, hidden[l]));
  // connections under the units: colour by sign, width and opacity by |w| / the layer's max |w|
  for (let l = 0; l < net.layers.length; l++) {
    const L = net.layers[l];
    let top = 1e-12;
    for (let i = 0; i < L.W.length; i++) top = Math.max(top, Math.abs(L.W[i]));
    for (let j = 0; j < L.nOut; j++) for (let i = 0; i < L.nIn; i++) {
      const w = L.W[j * L.nIn + i] / top;
      if (!Number.isFinite(w) || Math.abs(w) < 0.02) continue;
      const [ax, ay] = pos[l][i], [bx, by] = pos[l + 1][L.nOut === 1 ? 0 : Math.min(j, pos[l + 1].length - 1)];
      ctx.strokeStyle = w > 0 ? `rgba(8,119,189,${0.15 + 0.6 * Math.abs(w)})` : `rgba(245,147,34,${0.15 + 0.6 * Math.abs(w)})`;
      ctx.lineWidth = 0.4 + 2.4 * Math.abs(w);
      ctx.beginPath(); ctx.moveTo(ax + box, ay + box / 2); ctx.lineTo(bx, by + box / 2); ctx.stroke();
    }
  }
  if (!st.thumbCanvas) {
    st.thumbCanvas = document.createElement("canvas");
    st.thumbCanvas.width = st.thumbCanvas.height = T;
    st.thumbImg = st.thumbCanvas.getContext("2d").createImageData(T, T);
  }
  const tctx = st.thumbCanvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.font = "10px sans-serif";
  ctx.textAlign = "center";
  st.dom.units = [];
  // every picture framed: grey, or red (and a "0") for a unit that outputs 0 over the whole plane
  const frame = (x, y, zero) => {
    ctx.strokeStyle = zero ? TV_DEAD_CSS : "#80838f";
    ctx.lineWidth = zero ? 1.5 : 1;
    ctx.strokeRect(x + 0.5, y + 0.5, box - 1, box - 1);
    if (zero && box >= 14) {
      ctx.fillStyle = TV_DEAD_CSS;
      ctx.textAlign = "center";
      ctx.fillText("0", x + box / 2, y + box / 2 + 3);
    }
  };
  // inputs: the feature over the plane
  const feat = new Float64Array(net.features.length);
  const fv = new Float64Array(T * T * net.features.length);
  for (let i = 0; i < T * T; i++) {
    featureValues(net.features, st.thumbXY[2 * i], st.thumbXY[2 * i + 1], feat, 0);
    fv.set(feat, i * net.features.length);
  }
  net.features.forEach((key, j) => {
    const top = tv_unitImage(fv, net.features.length, j, T, st.thumbImg);
    tctx.putImageData(st.thumbImg, 0, 0);
    const [x, y] = pos[0][j];
    ctx.drawImage(st.thumbCanvas, x, y, box, box);
    frame(x, y, top <= 1e-12);
    ctx.fillStyle = "#31333f";
    ctx.textAlign = "right";
    ctx.fillText(TV_FEATURE_LABELS[key] || key, x - 2, y + box / 2 + 3);
    ctx.textAlign = "center";
  });
  const pitch = colWidth.map((w) => w + gap);
  hidden.forEach((width, l) => {
    for (let j = 0; j < width; j++) {
      const top = tv_unitImage(outs[l], width, j, T, st.thumbImg);
      tctx.putImageData(st.thumbImg, 0, 0);
      const [x, y] = pos[l + 1][j];
      ctx.drawImage(st.thumbCanvas, x, y, box, box);
      frame(x, y, top <= 1e-12);
      st.dom.units.push({ l, j, x, y, box });
    }
    const mid = pos[l + 1][0][0] + (colWidth[l + 1] - 3) / 2;
    ctx.fillStyle = "#5b5e69";
    ctx.fillText(`layer ${l + 1}`, mid, 10);
    const D = st.unitDiff[l];
    if (D !== null) {
      const v = Number.isFinite(D) ? formatNumber(D) : "–";
      const long = `max diff ${v}`;
      ctx.fillStyle = D === 0 ? TV_DEAD_CSS : "#5b5e69";
      ctx.fillText(ctx.measureText(long).width + 4 <= pitch[l + 1] ? long : `diff ${v}`, mid, 23);
    }
  });
  // output: the map itself, small
  const [ox, oy] = pos[cols.length - 1][0];
  ctx.imageSmoothingEnabled = true;
  if (st.off) ctx.drawImage(st.off, ox, oy, box, box);
  ctx.strokeStyle = "#80838f";
  ctx.lineWidth = 1;
  ctx.strokeRect(ox + 0.5, oy + 0.5, box - 1, box - 1);
  ctx.fillStyle = "#5b5e69";
  ctx.fillText("output", Math.min(ox + box / 2, W - ctx.measureText("output").width / 2 - 1), 10);
  if (st.enlarged) tv_enlarged(st, ctx, W, H);
}

function tv_click(st, ev) {
  const r = st.dom.diagram.getBoundingClientRect();
  const mx = ev.clientX - r.left, my = ev.clientY - r.top;
  const hit = st.dom.units.find((u) => mx >= u.x && mx <= u.x + u.box && my >= u.y && my <= u.y + u.box);
  st.enlarged = hit && !(st.enlarged && st.enlarged.l === hit.l && st.enlarged.j === hit.j) ? { l: hit.l, j: hit.j } : null;
  if (st.net) tv_diagram(st);
}

/** The enlarged unit, drawn over the diagram's right side at TV_BIG × TV_BIG. */
function tv_enlarged(st, ctx, W, H) {
  const { l, j } = st.enlarged;
  const width = st.net.widths[l + 1];
  if (j >= width) { st.enlarged = null; return; }
  const T = TV_BIG;
  if (!st.bigXY) {
    st.bigXY = pictureGrid(st.box, T);
    st.bigCanvas = document.createElement("canvas");
    st.bigCanvas.width = st.bigCanvas.height = T;
    st.bigImg = st.bigCanvas.getContext("2d").createImageData(T, T);
  }
  const outs = unitOutputs(st.net, st.bigXY);
  const top = tv_unitImage(outs[l], width, j, T, st.bigImg);
  st.bigCanvas.getContext("2d").putImageData(st.bigImg, 0, 0);
  const side = Math.min(H - 30, 170);
  const x = W - side - 6, y = 22;
  ctx.fillStyle = "rgba(255,255,255,0.95)";
  ctx.fillRect(x - 6, y - 18, side + 12, side + 26);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(st.bigCanvas, x, y, side, side);
  ctx.strokeStyle = "#31333f";
  ctx.strokeRect(x + 0.5, y + 0.5, side - 1, side - 1);
  ctx.fillStyle = "#31333f";
  ctx.textAlign = "left";
  ctx.fillText(`layer ${l + 1}, unit ${j + 1}: max |output| ${formatNumber(top)}`, x, y - 6);
}
