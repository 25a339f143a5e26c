// Small canvas helpers shared by the views: crisp canvases on any screen, and line charts with axes.

/**
 * Size a canvas for `w` × `h` CSS pixels at the screen's devicePixelRatio (crisp on a projector or a
 * retina laptop) and return its 2-D context scaled so that drawing uses CSS pixels.
 */
export function crispCanvas(canvas, w, h) {
  const dpr = window.devicePixelRatio || 1;
  const W = Math.round(w * dpr), H = Math.round(h * dpr);
  if (canvas.width !== W || canvas.height !== H) { canvas.width = W; canvas.height = H; }
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** "1,234" style whole numbers; small numbers with up to `digits` significant digits. */
export function formatNumber(v, digits = 3) {
  if (!Number.isFinite(v)) return "–";
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  if (v !== 0 && Math.abs(v) < 1e-3) return Number(v.toPrecision(digits)).toExponential(); // 1e-5, not 0.00001
  return Number(v.toPrecision(digits)).toString();
}

/** Nice tick values covering [lo, hi] (about `n` of them): steps of 1, 2 or 5 × 10^k. */
export function niceTicks(lo, hi, n = 4) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * A line chart in the rectangle (x, y, w, h) of `ctx`: `series` = [{xs, ys, color, label, dash}], x
 * linear, y linear or log10 (`log`: values ≤ 0 are skipped). Draws the frame, a few ticks on each axis
 * that do not overlap, the title at the top left and a legend at the top right.
 */
export function lineChart(ctx, x, y, w, h, series, { title = "", log = false, yRange = null, xLabel = "" } = {}) {
  // the title, then the legend on its own row when there is one (they overlapped on narrow charts)
  const legend = series.some((s) => s.label);
  const pad = { l: 42, r: 8, t: legend ? 32 : 18, b: xLabel ? 30 : 18 };
  const px = x + pad.l, py = y + pad.t, pw = w - pad.l - pad.r, ph = h - pad.t - pad.b;
  const f = log ? (v) => (v > 0 ? Math.log10(v) : NaN) : (v) => v;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.xs.length; i++) {
      const a = s.xs[i], b = f(s.ys[i]);
      if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
      if (a < x0) x0 = a; if (a > x1) x1 = a; if (b < y0) y0 = b; if (b > y1) y1 = b;
    }
  }
  if (yRange) { y0 = f(yRange[0]); y1 = f(yRange[1]); }
  if (!Number.isFinite(x0)) { x0 = 0; x1 = 1; }
  if (!Number.isFinite(y0)) { y0 = 0; y1 = 1; }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const yPad = 0.06 * (y1 - y0);
  if (!yRange) { y0 -= yPad; y1 += yPad; }
  const X = (v) => px + ((v - x0) / (x1 - x0)) * pw;
  const Y = (v) => py + ph - ((v - y0) / (y1 - y0)) * ph;
  ctx.save();
  ctx.font = "11px sans-serif";
  ctx.fillStyle = "#31333f";
  ctx.textBaseline = "alphabetic";
  ctx.textAlign = "left";
  ctx.fillText(title, px, y + 12);
  ctx.strokeStyle = "#d5d6da";
  ctx.lineWidth = 1;
  ctx.strokeRect(px, py, pw, ph);
  // y ticks (log: powers of ten and 2, 5 between them when the range is short)
  ctx.fillStyle = "#6b6f7b";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  let yt;
  if (log) {
    yt = [];
    for (let e = Math.floor(y0); e <= Math.ceil(y1); e++) {
      for (const m of y1 - y0 < 1.5 ? [1, 2, 5] : [1]) {
        const v = Math.log10(m) + e;
        if (v >= y0 && v <= y1) yt.push(v);
      }
    }
  } else yt = niceTicks(y0, y1, 3);
  let lastY = Infinity;
  for (const v of yt) {
    const yy = Y(v);
    if (Math.abs(yy - lastY) < 12) continue;
    lastY = yy;
    ctx.fillText(formatNumber(log ? 10 ** v : v, 2), px - 4, yy);
    ctx.strokeStyle = "#eeeff2";
    ctx.beginPath(); ctx.moveTo(px, yy); ctx.lineTo(px + pw, yy); ctx.stroke();
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  let lastX = -Infinity;
  for (const v of niceTicks(x0, x1, 3)) {
    const xx = X(v);
    const label = formatNumber(v, 3);
    const half = ctx.measureText(label).width / 2 + 4;
    if (xx - half < lastX || xx + half > px + pw + 8) continue;
    lastX = xx + half;
    ctx.fillText(label, xx, py + ph + 3);
  }
  if (xLabel) ctx.fillText(xLabel, px + pw / 2, py + ph + 16);
  // series, clipped to the plot area
  ctx.beginPath(); ctx.rect(px, py, pw, ph); ctx.clip();
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = s.width || 1.6;
    ctx.setLineDash(s.dash || []);
    ctx.beginPath();
    let pen = false, points = 0, lastX = 0, lastY = 0;
    for (let i = 0; i < s.xs.length; i++) {
      const a = s.xs[i], b = f(s.ys[i]);
      if (!Number.isFinite(a) || !Number.isFinite(b)) { pen = false; continue; }
      lastX = X(a); lastY = Y(b); points++;
      if (pen) ctx.lineTo(lastX, lastY); else ctx.moveTo(lastX, lastY);
      pen = true;
    }
    ctx.stroke();
    if (points === 1) { // a single observation (a fresh run) is a dot, not an invisible line
      ctx.fillStyle = s.color;
      ctx.beginPath(); ctx.arc(lastX, lastY, 2.5, 0, 2 * Math.PI); ctx.fill();
    }
  }
  ctx.restore();
  // legend: its own row under the title, left to right
  ctx.save();
  ctx.font = "11px sans-serif";
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  let lx = px;
  for (const s of series) {
    if (!s.label) continue;
    const tw = ctx.measureText(s.label).width;
    if (lx + 16 + tw > x + w) break; // no room: the rest are left out rather than overlap
    ctx.strokeStyle = s.color; ctx.lineWidth = 2; ctx.setLineDash(s.dash || []);
    ctx.beginPath(); ctx.moveTo(lx, y + 24); ctx.lineTo(lx + 12, y + 24); ctx.stroke();
    ctx.fillStyle = "#31333f";
    ctx.fillText(s.label, lx + 16, y + 24);
    lx += 16 + tw + 10;
  }
  ctx.restore();
}
