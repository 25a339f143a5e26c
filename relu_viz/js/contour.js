// The decision boundary of a smooth network, traced on the pixel grid by marching squares (a network
// that is piecewise linear gets its exact boundary from partition.js instead).

/**
 * Segments of the zero level set of a scalar field sampled at pixel centres, by marching squares with
 * linear interpolation along each cell edge: on the edge between samples a and b of opposite sign the
 * crossing is at t = a / (a − b). `field` is Float64Array(nx·ny), row 0 at the top (y = y1 − ½·dy),
 * `box` [[x0, x1], [y0, y1]]. Returns Float64Array of plane segments x0, y0, x1, y1, ...
 * Saddle cells (signs alternating round the cell) are split by the cell's mean value.
 */
export function zeroContour(field, nx, ny, box) {
  const [[x0, x1], [y0, y1]] = box;
  const dx = (x1 - x0) / nx, dy = (y1 - y0) / ny;
  const X = (c) => x0 + (c + 0.5) * dx;
  const Y = (r) => y1 - (r + 0.5) * dy;
  const out = [];
  for (let r = 0; r + 1 < ny; r++) {
    for (let c = 0; c + 1 < nx; c++) {
      // corners: a top-left, b top-right, d bottom-right, e bottom-left
      const a = field[r * nx + c], b = field[r * nx + c + 1];
      const d = field[(r + 1) * nx + c + 1], e = field[(r + 1) * nx + c];
      if (!(Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(d) && Number.isFinite(e))) continue;
      const code = (a > 0 ? 8 : 0) | (b > 0 ? 4 : 0) | (d > 0 ? 2 : 0) | (e > 0 ? 1 : 0);
      if (code === 0 || code === 15) continue;
      // crossing points on the four edges: top (a-b), right (b-d), bottom (e-d), left (a-e)
      const top = () => [X(c + a / (a - b)), Y(r)];
      const right = () => [X(c + 1), Y(r + b / (b - d))];
      const bottom = () => [X(c + e / (e - d)), Y(r + 1)];
      const left = () => [X(c), Y(r + a / (a - e))];
      const seg = (p, q) => out.push(p[0], p[1], q[0], q[1]);
      switch (code) {
        case 1: case 14: seg(left(), bottom()); break;
        case 2: case 13: seg(bottom(), right()); break;
        case 3: case 12: seg(left(), right()); break;
        case 4: case 11: seg(top(), right()); break;
        case 6: case 9: seg(top(), bottom()); break;
        case 7: case 8: seg(left(), top()); break;
        case 5: case 10: {
          const centre = (a + b + d + e) / 4;
          if ((centre > 0) === (code === 5)) { seg(left(), top()); seg(bottom(), right()); }
          else { seg(left(), bottom()); seg(top(), right()); }
          break;
        }
      }
    }
  }
  return Float64Array.from(out);
}

/**
 * The decision boundary from logits on the grid (N·K row-major, K = 1: the class-1 logit): one logit,
 * the zero set of z; K logits, for each class k the zero set of z_k − max_{j≠k} z_j (each edge between
 * two classes is traced from both sides, which draws the same line twice).
 */
export function gridBoundary(logits, K, nx, ny, box) {
  if (K === 1) return zeroContour(logits, nx, ny, box);
  const n = nx * ny;
  const field = new Float64Array(n);
  const parts = [];
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < n; i++) {
      let other = -Infinity;
      for (let j = 0; j < K; j++) if (j !== k && logits[i * K + j] > other) other = logits[i * K + j];
      field[i] = logits[i * K + k] - other;
    }
    parts.push(zeroContour(field, nx, ny, box));
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Float64Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
