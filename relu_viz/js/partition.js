// partition.js: the exact linear regions of a piecewise-linear network on the plane, and its exact
// decision boundary, in float64. The JavaScript twin of relu_viz/regions.py (same tolerances, same
// activation patterns, same merging rule); the browser tests check it against that engine.
//
// A network f = L_k ∘ σ ∘ … ∘ σ ∘ L_1 whose activations σ are continuous and affine between finitely many
// breakpoints is affine on each cell of a partition of the plane into convex polygons. Carving, layer by
// layer: every region of the layers before carries the affine map of each unit's pre-activation,
// z_j(x) = a_j·x + c_j (straight there), so unit j bends on the line a_j·x + c_j = t of each of its
// breakpoints t. Each region's polygon is cut by the lines that cross it; each piece records which linear
// piece of its activation every unit is on (its pattern, read on the polygon's own side of each line) and
// the next layer's maps follow: z' = W (s ⊙ z + o) + b with s, o the pieces' slopes and intercepts.
//
// Private names start with pt_ (relu_viz/js files are concatenated into one module).

/** A vertex within DISTANCE_RTOL × (longer box side) of a cut line counts as on it (regions.py). */
const PT_DISTANCE_RTOL = 1e-10;
/** A cut leaving a piece below MIN_AREA_RTOL × (box area) is not made: the sliver keeps the larger side. */
const PT_MIN_AREA_RTOL = 1e-18;
/** A unit with |a_j| ≤ ZERO_ROW_RTOL × (the layer's largest slope, ×√2) is constant: it never cuts. */
const PT_ZERO_ROW_RTOL = 1e-12;
/** Neighbours are one linear region when their output maps differ by ≤ MERGE_RTOL × (largest output). */
const PT_MERGE_RTOL = 1e-9;
/** The fallback neighbour search steps PROBE_RTOL × (longer box side) across an edge's midpoint. */
const PT_PROBE_RTOL = 1e-7;

/**
 * Per-unit pieces of an activation for a layer of n units: σ_j(z) = slopes[j, p]·z + icpt[j, p] on piece
 * p, where p = #{breakpoints t of unit j with z > t}; breaks (n × m) ascending (+∞ pads), slopes and
 * icpt (n × (m + 1)). ReLU-like: t = 0, slopes (a, 1); hardtanh [lo, hi]: slopes (0, 1, 0), intercepts
 * (lo, 0, hi); hardsigmoid [−3, 3]: (0, 1/6, 0), (0, 1/2, 1); softshrink [−λ, λ]: (1, 0, 1), (λ, 0, −λ);
 * threshold with value = threshold t: max(z, t); identity (and λ = 0 shrinks): no breakpoint, slope 1.
 */
function pt_pieces(act, n) {
  const uniform = (breaks, slopes, icpt) => {
    const m = breaks.length;
    const out = {
      n,
      m,
      breaks: new Float64Array(n * m),
      slopes: new Float64Array(n * (m + 1)),
      icpt: new Float64Array(n * (m + 1)),
    };
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < m; k++) out.breaks[j * m + k] = breaks[k];
      for (let k = 0; k <= m; k++) {
        out.slopes[j * (m + 1) + k] = slopes[k];
        out.icpt[j * (m + 1) + k] = icpt[k];
      }
    }
    return out;
  };
  const kind = act == null ? "identity" : act.kind;
  switch (kind) {
    case "relu":
      return uniform([0], [0, 1], [0, 0]);
    case "leaky_relu":
      return uniform([0], [act.slope, 1], [0, 0]);
    case "rrelu":
      return uniform([0], [act.slope ?? (act.lower + act.upper) / 2, 1], [0, 0]);
    case "prelu": {
      const out = uniform([0], [0, 1], [0, 0]);
      for (let j = 0; j < n; j++) out.slopes[2 * j] = act.slopes.length === 1 ? act.slopes[0] : act.slopes[j];
      return out;
    }
    case "hardtanh":
      return uniform([act.min, act.max], [0, 1, 0], [act.min, 0, act.max]);
    case "hardsigmoid":
      return uniform([-3, 3], [0, 1 / 6, 0], [0, 0.5, 1]);
    case "softshrink":
      if (act.lambd === 0) return uniform([], [1], [0]);
      return uniform([-act.lambd, act.lambd], [1, 0, 1], [act.lambd, 0, -act.lambd]);
    case "hardshrink":
      if (act.lambd === 0) return uniform([], [1], [0]);
      break;
    case "threshold":
      if (act.value === act.threshold) return uniform([act.threshold], [0, 1], [act.threshold, 0]);
      break;
    case "identity":
      return uniform([], [1], [0]);
    default:
      break;
  }
  throw new Error(`${act && (act.module || act.kind)} is not a continuous piecewise-linear activation`);
}

/** 32-bit pseudo-random integers (mulberry32), fixed seed: the units' pattern-hash weights. */
function pt_hashWeights(count, seed) {
  const out = new Int32Array(count);
  let s = seed | 0;
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (t ^ (t >>> 14)) | 1;
  }
  return out;
}

/** The Map key of a pattern hash (two 32-bit lanes, each Σ_u piece_u·w_u mod 2³²): 53 bits. */
function pt_key(h1, h2) {
  return (h1 >>> 0) * 2097152 + (h2 >>> 11);
}

/** An empty growable region store: vertex pool (xy, edge tag) and per-region start, count, parent,
 * pattern row (U units, int8) and hash lanes. */
function pt_store(capR, capV, U) {
  return {
    U,
    n: 0,
    nv: 0,
    vx: new Float64Array(2 * capV),
    vtag: new Int32Array(capV),
    start: new Int32Array(capR),
    count: new Int32Array(capR),
    parent: new Int32Array(capR),
    pat: new Int8Array(capR * Math.max(U, 1)),
    h1: new Int32Array(capR),
    h2: new Int32Array(capR),
  };
}

/** Room for `extraR` more regions and `extraV` more vertices (capacities doubled as needed). */
function pt_reserve(st, extraR, extraV) {
  if (st.nv + extraV > st.vtag.length) {
    const cap = Math.max(st.nv + extraV, 2 * st.vtag.length);
    const vx = new Float64Array(2 * cap);
    vx.set(st.vx.subarray(0, 2 * st.nv));
    const vtag = new Int32Array(cap);
    vtag.set(st.vtag.subarray(0, st.nv));
    st.vx = vx;
    st.vtag = vtag;
  }
  if (st.n + extraR > st.start.length) {
    const cap = Math.max(st.n + extraR, 2 * st.start.length);
    for (const name of ["start", "count", "parent", "h1", "h2"]) {
      const a = new Int32Array(cap);
      a.set(st[name].subarray(0, st.n));
      st[name] = a;
    }
    const w = Math.max(st.U, 1);
    const pat = new Int8Array(cap * w);
    pat.set(st.pat.subarray(0, st.n * w));
    st.pat = pat;
  }
}

/** Scratch of one parent's sub-polygons: a vertex pool and per piece start, count and pattern row. */
const pt_scr = {
  vx: new Float64Array(512),
  vtag: new Int32Array(256),
  d: new Float64Array(256),
  start: new Int32Array(64),
  count: new Int32Array(64),
  rows: new Int8Array(64 * 64),
  negStart: 0,
};

/** Room for `need` vertices in the scratch pool (contents kept, capacity doubled as needed). */
function pt_scrVertices(need) {
  if (pt_scr.vtag.length < need) {
    const cap = Math.max(need, 2 * pt_scr.vtag.length);
    const vx = new Float64Array(2 * cap);
    vx.set(pt_scr.vx);
    const vtag = new Int32Array(cap);
    vtag.set(pt_scr.vtag);
    const d = new Float64Array(cap);
    d.set(pt_scr.d);
    pt_scr.vx = vx;
    pt_scr.vtag = vtag;
    pt_scr.d = d;
  }
}

/** Room for `need` scratch pieces of n pattern columns each (contents kept). */
function pt_scrPieces(need, n) {
  if (pt_scr.start.length < need || pt_scr.rows.length < need * n) {
    const cap = Math.max(need, 2 * pt_scr.start.length);
    const start = new Int32Array(cap);
    start.set(pt_scr.start);
    const count = new Int32Array(cap);
    count.set(pt_scr.count);
    const rows = new Int8Array(cap * Math.max(n, 1));
    rows.set(pt_scr.rows.subarray(0, Math.min(pt_scr.rows.length, rows.length)));
    pt_scr.start = start;
    pt_scr.count = count;
    pt_scr.rows = rows;
  }
}

/** Twice the signed area (shoelace Σ x_i y_{i+1} − x_{i+1} y_i) of c vertices of vx from `first`. */
function pt_area2(vx, first, c) {
  let s = 0;
  for (let i = 0; i < c; i++) {
    const a = 2 * (first + i);
    const b = 2 * (first + (i + 1 === c ? 0 : i + 1));
    s += vx[a] * vx[b + 1] - vx[b] * vx[a + 1];
  }
  return s;
}

/**
 * Split scratch polygon s by the values d (signed distances of its vertices, stored in pt_scr.d from
 * `first`), as polygon_split.split: vertices with |d| ≤ tol go to both halves; an edge whose ends lie
 * strictly on opposite sides is cut at v_i + d_i/(d_i − d_{i+1})·(v_{i+1} − v_i); the edge along the cut
 * gets `cutTag`. Writes the positive half then the negative half (CCW both) into the scratch pool from
 * `top`; sets pt_scr.negStart to where the negative half begins and returns the end of both.
 */
function pt_split(first, c, tol, cutTag, top) {
  const vx = pt_scr.vx;
  const tag = pt_scr.vtag;
  const d = pt_scr.d;
  let w = top;
  for (let half = 0; half < 2; half++) {
    const sg = half === 0 ? 1 : -1; // this half keeps sign sg and 0
    for (let i = 0; i < c; i++) {
      const ii = first + i;
      const jj = first + (i + 1 === c ? 0 : i + 1);
      const di = d[ii];
      const dj = d[jj];
      const si = di > tol ? 1 : di < -tol ? -1 : 0;
      const sj = dj > tol ? 1 : dj < -tol ? -1 : 0;
      if (si !== -sg) {
        vx[2 * w] = vx[2 * ii];
        vx[2 * w + 1] = vx[2 * ii + 1];
        // an on-line vertex whose successor lies on the other side starts the edge along the cut
        tag[w] = si === 0 && sj === -sg ? cutTag : tag[ii];
        w++;
      }
      if (si * sj < 0) {
        const t = di / (di - dj);
        vx[2 * w] = vx[2 * ii] + t * (vx[2 * jj] - vx[2 * ii]);
        vx[2 * w + 1] = vx[2 * ii + 1] + t * (vx[2 * jj + 1] - vx[2 * ii + 1]);
        // leaving this half: the edge from the crossing runs along the cut; entering: along edge i
        tag[w] = si === sg ? cutTag : tag[ii];
        w++;
      }
    }
    if (half === 0) pt_scr.negStart = w;
  }
  return w;
}

/**
 * Cut every region of `src` by the breakpoint lines of one layer, whose pre-activation maps are M
 * (src.n × n × 3: a1, a2, a0 of unit j on region p). For each parent: a disc around it (centre = vertex
 * mean, radius = farthest vertex) settles most lines; the others are tested on its vertices; the lines
 * that cross it cut it, and then its pieces, in turn (breakpoint-major, then unit, as regions.py).
 * Returns the new store (parent = index into src), or with `truncated` set once maxRegions is passed.
 */
function pt_carveLayer(src, M, pc, off, ctx) {
  const { tol, minArea, mk, w1, w2, U } = ctx;
  const n = pc.n;
  const m = pc.m;
  const dst = pt_store(Math.max(16, 2 * src.n), Math.max(64, 2 * src.nv), U);
  // the layer's largest slope (a bound within √2 of max |a_j|), for ZERO_ROW_RTOL
  let slope = 0;
  for (let i = 0; i < src.n * n; i++) {
    const a = Math.abs(M[3 * i]);
    const b = Math.abs(M[3 * i + 1]);
    if (a > slope) slope = a;
    if (b > slope) slope = b;
  }
  const flatTol = PT_ZERO_ROW_RTOL * slope * Math.SQRT2;
  const lp = new Int8Array(n);
  const cutJ = new Int32Array(n * m);
  const cutK = new Int32Array(n * m);
  const cutC = new Float64Array(3 * n * m);
  const cutTag = new Int32Array(n * m);
  const w = Math.max(U, 1);
  for (let p = 0; p < src.n; p++) {
    if (dst.n > ctx.maxRegions) {
      ctx.truncated = true;
      pt_copyRest(src, dst, p);
      return dst;
    }
    const first = src.start[p];
    const c = src.count[p];
    const vx = src.vx;
    let cx = 0;
    let cy = 0;
    for (let i = 0; i < c; i++) {
      cx += vx[2 * (first + i)];
      cy += vx[2 * (first + i) + 1];
    }
    cx /= c;
    cy /= c;
    let rad2 = 0;
    for (let i = 0; i < c; i++) {
      const dx = vx[2 * (first + i)] - cx;
      const dy = vx[2 * (first + i) + 1] - cy;
      if (dx * dx + dy * dy > rad2) rad2 = dx * dx + dy * dy;
    }
    const reach = Math.sqrt(rad2) + tol;
    lp.fill(0);
    let nc = 0;
    const mp = p * n * 3;
    for (let k = 0; k < m; k++) {
      for (let j = 0; j < n; j++) {
        const t = pc.breaks[j * m + k];
        if (!Number.isFinite(t)) continue;
        const a1 = M[mp + 3 * j];
        const a2 = M[mp + 3 * j + 1];
        const a0 = M[mp + 3 * j + 2];
        const norm = Math.sqrt(a1 * a1 + a2 * a2);
        if (norm <= flatTol) {
          if (a0 > t) lp[j]++;
          continue;
        }
        const inv = 1 / norm;
        const dist = (a1 * cx + a2 * cy + a0 - t) * inv;
        if (!(Math.abs(dist) < reach)) {
          if (dist > 0) lp[j]++;
          continue;
        }
        const c1 = a1 * inv;
        const c2 = a2 * inv;
        const c0 = (a0 - t) * inv;
        let dmin = Infinity;
        let dmax = -Infinity;
        for (let i = 0; i < c; i++) {
          const dv = vx[2 * (first + i)] * c1 + vx[2 * (first + i) + 1] * c2 + c0;
          if (dv < dmin) dmin = dv;
          if (dv > dmax) dmax = dv;
        }
        if (dmin < -tol && dmax > tol) {
          cutJ[nc] = j;
          cutK[nc] = k;
          cutC[3 * nc] = c1;
          cutC[3 * nc + 1] = c2;
          cutC[3 * nc + 2] = c0;
          cutTag[nc] = (off + j) * mk + k;
          nc++;
        } else if (dmax > -dmin) {
          lp[j]++;
        }
      }
    }
    const pr = p * w;
    if (nc === 0) {
      pt_reserve(dst, 1, c);
      const r = dst.n++;
      dst.start[r] = dst.nv;
      dst.count[r] = c;
      dst.vx.set(vx.subarray(2 * first, 2 * (first + c)), 2 * dst.nv);
      dst.vtag.set(src.vtag.subarray(first, first + c), dst.nv);
      dst.nv += c;
      pt_finishRow(src, dst, p, pr, r, lp, 0, off, n, w, w1, w2);
      continue;
    }
    // the parent's pieces in the scratch pool, cut by each crossing line in turn
    pt_scrVertices(c + 64); // grown before each split as needed
    pt_scrPieces(nc + 2, n);
    const S = pt_scr;
    S.vx.set(vx.subarray(2 * first, 2 * (first + c)), 0);
    S.vtag.set(src.vtag.subarray(first, first + c), 0);
    let top = c;
    let ns = 1;
    S.start[0] = 0;
    S.count[0] = c;
    S.rows.set(lp, 0);
    for (let q = 0; q < nc; q++) {
      const j = cutJ[q];
      const c1 = cutC[3 * q];
      const c2 = cutC[3 * q + 1];
      const c0 = cutC[3 * q + 2];
      const before = ns;
      for (let s = 0; s < before; s++) {
        const f = S.start[s];
        const cs = S.count[s];
        let dmin = Infinity;
        let dmax = -Infinity;
        for (let i = f; i < f + cs; i++) {
          const dv = S.vx[2 * i] * c1 + S.vx[2 * i + 1] * c2 + c0;
          S.d[i] = dv;
          if (dv < dmin) dmin = dv;
          if (dv > dmax) dmax = dv;
        }
        let up = dmax > -dmin;
        if (dmin < -tol && dmax > tol) {
          if (top + 2 * cs + 4 > S.vtag.length) {
            pt_scrVertices(2 * (top + 2 * cs + 4));
          }
          if (ns + 1 > S.start.length || (ns + 1) * n > S.rows.length) pt_scrPieces(ns + 2, n);
          const end = pt_split(f, cs, tol, cutTag[q], top);
          const neg = S.negStart;
          const aPos = 0.5 * pt_area2(S.vx, top, neg - top);
          const aNeg = 0.5 * pt_area2(S.vx, neg, end - neg);
          if (aPos < minArea || aNeg < minArea) {
            ctx.nSlivers++;
            up = aPos > aNeg;
          } else {
            S.start[s] = top;
            S.count[s] = neg - top;
            S.start[ns] = neg;
            S.count[ns] = end - neg;
            S.rows.copyWithin(ns * n, s * n, s * n + n);
            ns++;
            top = end;
            up = true;
          }
        }
        if (up) S.rows[s * n + j]++;
      }
    }
    let nvAll = 0;
    for (let s = 0; s < ns; s++) nvAll += S.count[s];
    pt_reserve(dst, ns, nvAll);
    for (let s = 0; s < ns; s++) {
      const r = dst.n++;
      const f = S.start[s];
      const cs = S.count[s];
      dst.start[r] = dst.nv;
      dst.count[r] = cs;
      dst.vx.set(S.vx.subarray(2 * f, 2 * (f + cs)), 2 * dst.nv);
      dst.vtag.set(S.vtag.subarray(f, f + cs), dst.nv);
      dst.nv += cs;
      pt_finishRow(src, dst, p, pr, r, S.rows, s * n, off, n, w, w1, w2);
    }
  }
  return dst;
}

/** Region r of dst: parent p, pattern = the parent's row with this layer's pieces, hash updated. */
function pt_finishRow(src, dst, p, pr, r, rows, ro, off, n, w, w1, w2) {
  dst.parent[r] = p;
  const dr = r * w;
  dst.pat.set(src.pat.subarray(pr, pr + w), dr);
  let h1 = src.h1[p];
  let h2 = src.h2[p];
  for (let j = 0; j < n; j++) {
    const piece = rows[ro + j];
    dst.pat[dr + off + j] = piece;
    if (piece !== 0) {
      h1 = (h1 + piece * w1[off + j]) | 0;
      h2 = (h2 + piece * w2[off + j]) | 0;
    }
  }
  dst.h1[r] = h1;
  dst.h2[r] = h2;
}

/** Truncation: regions p.. of src go to dst uncut (their unions of true regions still cover the box). */
function pt_copyRest(src, dst, from) {
  const w = Math.max(src.U, 1);
  for (let p = from; p < src.n; p++) {
    const c = src.count[p];
    pt_reserve(dst, 1, c);
    const r = dst.n++;
    dst.start[r] = dst.nv;
    dst.count[r] = c;
    dst.vx.set(src.vx.subarray(2 * src.start[p], 2 * (src.start[p] + c)), 2 * dst.nv);
    dst.vtag.set(src.vtag.subarray(src.start[p], src.start[p] + c), dst.nv);
    dst.nv += c;
    dst.parent[r] = p;
    dst.pat.set(src.pat.subarray(p * w, p * w + w), r * w);
    dst.h1[r] = src.h1[p];
    dst.h2[r] = src.h2[p];
  }
}

/**
 * Per region r of st (parent p): h = s ⊙ z + o through each unit's piece (M the layer's maps, by
 * parent), then the next layer's maps z' = W h + b (region-indexed, R × nOut × 3).
 */
function pt_compose(st, M, pc, off, next) {
  const R = st.n;
  const n = pc.n;
  const m1 = pc.m + 1;
  const nOut = next.nOut;
  const W = next.W;
  const b = next.b;
  const w = Math.max(st.U, 1);
  const out = new Float64Array(R * nOut * 3);
  const H = new Float64Array(3 * n);
  for (let r = 0; r < R; r++) {
    const mp = st.parent[r] * n * 3;
    const pr = r * w + off;
    for (let j = 0; j < n; j++) {
      const piece = st.pat[pr + j];
      const s = pc.slopes[j * m1 + piece];
      const o = pc.icpt[j * m1 + piece];
      H[3 * j] = s * M[mp + 3 * j];
      H[3 * j + 1] = s * M[mp + 3 * j + 1];
      H[3 * j + 2] = s * M[mp + 3 * j + 2] + o;
    }
    const ro = r * nOut * 3;
    for (let i = 0; i < nOut; i++) {
      const row = i * n;
      let z1 = 0;
      let z2 = 0;
      let z0 = b[i];
      for (let j = 0; j < n; j++) {
        const wij = W[row + j];
        if (wij === 0) continue;
        z1 += wij * H[3 * j];
        z2 += wij * H[3 * j + 1];
        z0 += wij * H[3 * j + 2];
      }
      out[ro + 3 * i] = z1;
      out[ro + 3 * i + 1] = z2;
      out[ro + 3 * i + 2] = z0;
    }
  }
  return out;
}

/** The first Linear as maps of (x1, x2): inputs x1, x2 in any order (a feature is a coordinate). */
function pt_firstMaps(net) {
  const layer = net.layers[0];
  const n = layer.nOut;
  const M = new Float64Array(3 * n);
  for (let j = 0; j < n; j++) {
    for (let f = 0; f < layer.nIn; f++) {
      const key = net.features[f];
      if (key !== "x1" && key !== "x2") throw new Error(`input feature ${key} is not a plain coordinate`);
      M[3 * j + (key === "x1" ? 0 : 1)] += layer.W[j * layer.nIn + f];
    }
    M[3 * j + 2] = layer.b[j];
  }
  return M;
}

/** The pattern-hash key of the point (x, y): the network's own pieces there (float64 forward pass). */
function pt_keyAt(net, pcs, offs, w1, w2, M0, x, y) {
  let h = new Float64Array(M0.length / 3);
  for (let j = 0; j < h.length; j++) h[j] = M0[3 * j] * x + M0[3 * j + 1] * y + M0[3 * j + 2];
  let h1 = 0;
  let h2 = 0;
  for (let l = 0; l < pcs.length; l++) {
    const pc = pcs[l];
    for (let j = 0; j < pc.n; j++) {
      let piece = 0;
      for (let k = 0; k < pc.m; k++) if (h[j] > pc.breaks[j * pc.m + k]) piece++;
      h[j] = pc.slopes[j * (pc.m + 1) + piece] * h[j] + pc.icpt[j * (pc.m + 1) + piece];
      h1 = (h1 + piece * w1[offs[l] + j]) | 0;
      h2 = (h2 + piece * w2[offs[l] + j]) | 0;
    }
    const next = net.layers[l + 1];
    const z = new Float64Array(next.nOut);
    for (let i = 0; i < next.nOut; i++) {
      let s = next.b[i];
      for (let j = 0; j < next.nIn; j++) s += next.W[i * next.nIn + j] * h[j];
      z[i] = s;
    }
    h = z;
  }
  return pt_key(h1, h2);
}

/** Union-find root of a (par[a] = a at a root) with path halving. */
function pt_find(par, a) {
  while (par[a] !== a) {
    par[a] = par[par[a]];
    a = par[a];
  }
  return a;
}

/**
 * Zero segment of g(v) = d_i at the vertices of a convex polygon (CCW): from the crossing where g turns
 * positive to the one where it turns non-positive (polygon_split.zero_segments). Writes x0,y0,x1,y1 into
 * seg and returns true when g crosses the polygon.
 */
function pt_zeroSegment(vx, first, c, ga1, ga2, gc, seg) {
  let rise = false;
  let fall = false;
  for (let i = 0; i < c; i++) {
    const a = first + i;
    const b = first + (i + 1 === c ? 0 : i + 1);
    const da = ga1 * vx[2 * a] + ga2 * vx[2 * a + 1] + gc;
    const db = ga1 * vx[2 * b] + ga2 * vx[2 * b + 1] + gc;
    const pa = da > 0;
    const pb = db > 0;
    if (pa === pb) continue;
    const t = da / (da - db);
    const x = vx[2 * a] + t * (vx[2 * b] - vx[2 * a]);
    const y = vx[2 * a + 1] + t * (vx[2 * b + 1] - vx[2 * a + 1]);
    if (!pa) {
      seg[0] = x;
      seg[1] = y;
      rise = true;
    } else {
      seg[2] = x;
      seg[3] = y;
      fall = true;
    }
  }
  return rise && fall;
}

/** A growable list of doubles (segments x0,y0,x1,y1,...): {a: storage, n: length}. */
function pt_list() {
  return { a: new Float64Array(256), n: 0 };
}

/** Append one segment (x0, y0) – (x1, y1) to a pt_list. */
function pt_push4(list, x0, y0, x1, y1) {
  if (list.n + 4 > list.a.length) {
    const a = new Float64Array(2 * list.a.length);
    a.set(list.a);
    list.a = a;
  }
  list.a[list.n++] = x0;
  list.a[list.n++] = y0;
  list.a[list.n++] = x1;
  list.a[list.n++] = y1;
}

/**
 * Decision-boundary segments (regions.py _decision_boundary). One logit: {A x + c = 0} in each region;
 * two logits: {logit1 − logit0 = 0}; K ≥ 3: for each pair i < j the line logit_i = logit_j clipped to
 * where both lead (logit_i ≥ logit_k for every other k: linear in the position t ∈ [0, 1] along the
 * segment, so each k clips [t0, t1] from one end). Segments no longer than minLen are dropped.
 */
function pt_boundary(st, A, c, K, minLen) {
  const out = pt_list();
  const seg = new Float64Array(4);
  const vx = st.vx;
  const emit = (x0, y0, x1, y1) => {
    if (Math.hypot(x1 - x0, y1 - y0) > minLen) pt_push4(out, x0, y0, x1, y1);
  };
  for (let r = 0; r < st.n; r++) {
    const f = st.start[r];
    const cnt = st.count[r];
    const a = r * K * 2;
    const cc = r * K;
    if (K <= 2) {
      let g1 = A[a];
      let g2 = A[a + 1];
      let g0 = c[cc];
      if (K === 2) {
        g1 = A[a + 2] - A[a];
        g2 = A[a + 3] - A[a + 1];
        g0 = c[cc + 1] - c[cc];
      }
      if (pt_zeroSegment(vx, f, cnt, g1, g2, g0, seg)) emit(seg[0], seg[1], seg[2], seg[3]);
      continue;
    }
    for (let i = 0; i < K; i++) {
      for (let j = i + 1; j < K; j++) {
        const ok = pt_zeroSegment(
          vx,
          f,
          cnt,
          A[a + 2 * i] - A[a + 2 * j],
          A[a + 2 * i + 1] - A[a + 2 * j + 1],
          c[cc + i] - c[cc + j],
          seg,
        );
        if (!ok) continue;
        let t0 = 0;
        let t1 = 1;
        for (let k = 0; k < K; k++) {
          if (k === i || k === j) continue;
          // g = logit_i − logit_k at the two ends
          const g0 =
            (A[a + 2 * i] - A[a + 2 * k]) * seg[0] + (A[a + 2 * i + 1] - A[a + 2 * k + 1]) * seg[1] + c[cc + i] - c[cc + k];
          const g1 =
            (A[a + 2 * i] - A[a + 2 * k]) * seg[2] + (A[a + 2 * i + 1] - A[a + 2 * k + 1]) * seg[3] + c[cc + i] - c[cc + k];
          const tc = g0 / (g0 - g1);
          const lo = g0 < 0 && g1 >= 0 ? tc : g0 < 0 && g1 < 0 ? Infinity : 0;
          const hi = g0 >= 0 && g1 < 0 ? tc : 1;
          if (lo > t0) t0 = lo;
          if (hi < t1) t1 = hi;
        }
        if (t1 > t0) {
          const dx = seg[2] - seg[0];
          const dy = seg[3] - seg[1];
          emit(seg[0] + t0 * dx, seg[1] + t0 * dy, seg[0] + t1 * dx, seg[1] + t1 * dy);
        }
      }
    }
  }
  return out.a.slice(0, out.n);
}

/** Total length Σ |p1 − p0| of segments given as x0,y0,x1,y1,... */
export function boundaryLength(boundary) {
  let s = 0;
  for (let i = 0; i + 3 < boundary.length; i += 4) {
    s += Math.hypot(boundary[i + 2] - boundary[i], boundary[i + 3] - boundary[i + 1]);
  }
  return s;
}

/**
 * The exact partition of box [[x0, x1], [y0, y1]] into the network's activation regions (convex
 * polygons, CCW), merged into linear regions, with each region's output map and the decision boundary.
 *
 * Returns {nActivation, nLinear, truncated, nSlivers, vertices (2V), offsets (R + 1), linearRegion (R),
 * A (R × K × 2), c (R × K) (output k on region r is A[r,k]·x + c[r,k]), predicted (R) (class at the
 * polygon's centroid: logit > 0 for one logit, else argmax), outline (segments x0,y0,x1,y1,... between
 * different linear regions), boundary (decision-boundary segments)}. Carving stops (truncated) once more
 * than maxRegions regions exist: the polygons are then unions of true regions, nothing is merged, A and c
 * are NaN, predicted is −1, the boundary is empty and the outline holds every cut edge.
 * Throws an Error with the UI-ready reason when the network is not piecewise linear.
 */
export function partition(net, box, maxRegions = 20000) {
  if (!net.piecewiseLinear) throw new Error(net.notPwlReason || "the network is not piecewise linear");
  const x0 = Number(box[0][0]);
  const x1 = Number(box[0][1]);
  const y0 = Number(box[1][0]);
  const y1 = Number(box[1][1]);
  if (!(x1 > x0 && y1 > y0)) throw new Error(`box must be [[xmin, xmax], [ymin, ymax]]; got ${box}`);
  const L = net.layers.length;
  const pcs = [];
  const offs = [];
  let U = 0;
  let mk = 1;
  for (let l = 0; l + 1 < L; l++) {
    const pc = pt_pieces(net.layers[l].act, net.layers[l].nOut);
    pcs.push(pc);
    offs.push(U);
    U += pc.n;
    mk = Math.max(mk, pc.m);
  }
  const ctx = {
    tol: PT_DISTANCE_RTOL * Math.max(x1 - x0, y1 - y0),
    minArea: PT_MIN_AREA_RTOL * (x1 - x0) * (y1 - y0),
    mk,
    U,
    w1: pt_hashWeights(U, 0x5eed2e61),
    w2: pt_hashWeights(U, 0x2e615eed),
    maxRegions,
    truncated: false,
    nSlivers: 0,
  };
  let st = pt_store(16, 64, U);
  st.vx.set([x0, y0, x1, y0, x1, y1, x0, y1]);
  st.vtag.fill(-1, 0, 4);
  st.nv = 4;
  st.n = 1;
  st.count[0] = 4;
  const M0 = pt_firstMaps(net);
  let M = M0;
  for (let l = 0; l + 1 < L; l++) {
    st = pt_carveLayer(st, M, pcs[l], offs[l], ctx);
    if (ctx.truncated) break;
    M = pt_compose(st, M, pcs[l], offs[l], net.layers[l + 1]);
  }
  const K = net.nOut;
  const R = st.n;
  const offsets = new Int32Array(R + 1);
  for (let r = 0; r < R; r++) offsets[r] = st.start[r];
  offsets[R] = st.nv;
  const vertices = st.vx.slice(0, 2 * st.nv);
  const A = new Float64Array(R * K * 2);
  const c = new Float64Array(R * K);
  const predicted = new Int32Array(R);
  const linearRegion = new Int32Array(R);
  const outline = pt_list();
  const result = {
    nActivation: R,
    nLinear: R,
    truncated: ctx.truncated,
    nSlivers: ctx.nSlivers,
    vertices,
    offsets,
    linearRegion,
    A,
    c,
    predicted,
    outline: null,
    boundary: new Float64Array(0),
  };
  if (ctx.truncated) {
    A.fill(NaN);
    c.fill(NaN);
    predicted.fill(-1);
    for (let r = 0; r < R; r++) linearRegion[r] = r;
    for (let r = 0; r < R; r++) {
      const f = st.start[r];
      const cnt = st.count[r];
      for (let i = 0; i < cnt; i++) {
        if (st.vtag[f + i] < 0) continue;
        const nx = f + (i + 1 === cnt ? 0 : i + 1);
        pt_push4(outline, vertices[2 * (f + i)], vertices[2 * (f + i) + 1], vertices[2 * nx], vertices[2 * nx + 1]);
      }
    }
    result.outline = outline.a.slice(0, outline.n);
    return result;
  }
  for (let r = 0; r < R; r++) {
    for (let k = 0; k < K; k++) {
      const o = (r * K + k) * 3;
      A[(r * K + k) * 2] = M[o];
      A[(r * K + k) * 2 + 1] = M[o + 1];
      c[r * K + k] = M[o + 2];
    }
  }
  // predicted class at each polygon's centroid
  for (let r = 0; r < R; r++) {
    const f = st.start[r];
    const cnt = st.count[r];
    let ax = 0;
    let ay = 0;
    let a2 = 0;
    for (let i = 0; i < cnt; i++) {
      const p = 2 * (f + i);
      const q = 2 * (f + (i + 1 === cnt ? 0 : i + 1));
      const cr = vertices[p] * vertices[q + 1] - vertices[q] * vertices[p + 1];
      a2 += cr;
      ax += (vertices[p] + vertices[q]) * cr;
      ay += (vertices[p + 1] + vertices[q + 1]) * cr;
    }
    const gx = ax / (3 * a2);
    const gy = ay / (3 * a2);
    let best = 0;
    let bestV = -Infinity;
    for (let k = 0; k < K; k++) {
      const v = A[(r * K + k) * 2] * gx + A[(r * K + k) * 2 + 1] * gy + c[r * K + k];
      if (v > bestV) {
        bestV = v;
        best = k;
      }
    }
    predicted[r] = K === 1 ? (bestV > 0 ? 1 : 0) : best;
  }
  pt_merge(st, net, pcs, offs, ctx, M0, A, c, K, [x0, x1, y0, y1], linearRegion, outline, result);
  result.outline = outline.a.slice(0, outline.n);
  result.boundary = pt_boundary(st, A, c, K, ctx.tol);
  return result;
}

/** max over the box of |A x + c| for one output map, via centre value + half-widths · |slopes|. */
function pt_magnitude(a1, a2, c0, b) {
  const cx = (b[0] + b[1]) / 2;
  const cy = (b[2] + b[3]) / 2;
  return Math.abs(a1 * cx + a2 * cy + c0) + (Math.abs(a1) * (b[1] - b[0])) / 2 + (Math.abs(a2) * (b[3] - b[2])) / 2;
}

/**
 * Linear regions: neighbours whose output maps agree within MERGE_RTOL × (largest output magnitude) are
 * one (connected components, labelled in order of their first region). The region across an edge made by
 * breakpoint k of unit u has the same pattern with u's piece moved between k and k + 1: looked up by the
 * pattern hash (h + w_u) from the lower side (piece k); where that fails, a point just across the edge's
 * midpoint is located by its own pattern. The lower side also draws the edge into the outline when the
 * two sides are different linear regions.
 */
function pt_merge(st, net, pcs, offs, ctx, M0, A, c, K, b, labels, outline, result) {
  const R = st.n;
  const { mk, w1, w2, U } = ctx;
  const w = Math.max(U, 1);
  const lookup = new Map();
  for (let r = R - 1; r >= 0; r--) lookup.set(pt_key(st.h1[r], st.h2[r]), r); // first region wins
  let scale = 0;
  for (let r = 0; r < R; r++) {
    for (let k = 0; k < K; k++) {
      const i = r * K + k;
      const v = pt_magnitude(A[2 * i], A[2 * i + 1], c[i], b);
      if (v > scale) scale = v;
    }
  }
  const limit = PT_MERGE_RTOL * scale;
  const same = (r, s) => {
    for (let k = 0; k < K; k++) {
      const i = r * K + k;
      const j = s * K + k;
      if (pt_magnitude(A[2 * i] - A[2 * j], A[2 * i + 1] - A[2 * j + 1], c[i] - c[j], b) > limit) return false;
    }
    return true;
  };
  const par = new Int32Array(R);
  for (let r = 0; r < R; r++) par[r] = r;
  // edges to draw once labels are known: (region, vertex index, neighbour or −1)
  const eR = [];
  const eV = [];
  const eN = [];
  const vx = st.vx;
  const step = PT_PROBE_RTOL * Math.max(b[1] - b[0], b[3] - b[2]);
  for (let r = 0; r < R; r++) {
    const f = st.start[r];
    const cnt = st.count[r];
    for (let i = 0; i < cnt; i++) {
      const t = st.vtag[f + i];
      if (t < 0) continue;
      const u = Math.floor(t / mk);
      const k = t - u * mk;
      const old = st.pat[r * w + u];
      if (old === k + 1) continue; // the lower side handles this edge
      let nb = -1;
      if (old === k) {
        const hit = lookup.get(pt_key((st.h1[r] + w1[u]) | 0, (st.h2[r] + w2[u]) | 0));
        if (hit !== undefined) nb = hit;
      }
      if (nb < 0) {
        // probe just across the edge's midpoint (outward normal of a CCW polygon)
        const p = 2 * (f + i);
        const q = 2 * (f + (i + 1 === cnt ? 0 : i + 1));
        const dx = vx[q] - vx[p];
        const dy = vx[q + 1] - vx[p + 1];
        const len = Math.hypot(dx, dy);
        const px = (vx[p] + vx[q]) / 2 + (step * dy) / len;
        const py = (vx[p + 1] + vx[q + 1]) / 2 - (step * dx) / len;
        if (len > 0 && px > b[0] && px < b[1] && py > b[2] && py < b[3]) {
          const hit = lookup.get(pt_keyAt(net, pcs, offs, w1, w2, M0, px, py));
          if (hit !== undefined && hit !== r) nb = hit;
        }
      }
      if (nb >= 0 && same(r, nb)) {
        const ra = pt_find(par, r);
        const rb = pt_find(par, nb);
        if (ra < rb) par[rb] = ra;
        else if (rb < ra) par[ra] = rb;
      } else {
        eR.push(r);
        eV.push(f + i);
        eN.push(nb);
      }
    }
  }
  let next = 0;
  for (let r = 0; r < R; r++) {
    const root = pt_find(par, r);
    labels[r] = root === r ? next++ : labels[root];
  }
  result.nLinear = next;
  for (let e = 0; e < eR.length; e++) {
    if (eN[e] >= 0 && labels[eN[e]] === labels[eR[e]]) continue; // same linear region another way round
    const r = eR[e];
    const v = eV[e];
    const f = st.start[r];
    const nx = v + 1 === f + st.count[r] ? f : v + 1;
    pt_push4(outline, vx[2 * v], vx[2 * v + 1], vx[2 * nx], vx[2 * nx + 1]);
  }
}
