// forward.js: a network from the wire (relu_viz/wire.py) and its forward pass, in float64.
//
// The JavaScript twin of the model's own forward pass: features of (x1, x2), then per layer
// h' = act(W h + b) (no activation after the last Linear). Plain ES module; private names start with
// fw_ because relu_viz/js files are concatenated into one module (relu_viz.js.bundle).

/** Decode base64 little-endian float32 into a Float64Array (exact widening). */
function fw_decodeFloat32(b64) {
  const bin = atob(b64);
  const n = bin.length >> 2;
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const view = new DataView(bytes.buffer);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

/**
 * The network as float64 layers: structure (wire.structure, JSON) + weights (wire.weights, base64 of
 * float32 W row-major (out, in) then b (out,) per Linear).
 * Returns {features, widths, layers: [{W, b, nIn, nOut, act}], nOut, piecewiseLinear, notPwlReason,
 * regionBound}; act is the hidden layer's descriptor, null after the last Linear.
 */
export function unpackNet(structure, weightsB64) {
  const widths = structure.widths.map(Number);
  const flat = fw_decodeFloat32(weightsB64);
  const layers = [];
  let at = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const nIn = widths[l];
    const nOut = widths[l + 1];
    const W = flat.slice(at, at + nIn * nOut);
    at += nIn * nOut;
    const b = flat.slice(at, at + nOut);
    at += nOut;
    const act = l + 2 < widths.length ? structure.activations[l] : null;
    layers.push({ W, b, nIn, nOut, act, fns: null });
  }
  if (at !== flat.length) {
    throw new Error(`${flat.length} floats on the wire, the structure needs ${at}`);
  }
  return {
    features: structure.features.slice(),
    widths,
    layers,
    nOut: widths[widths.length - 1],
    piecewiseLinear: !!structure.piecewise_linear,
    notPwlReason: structure.not_pwl_reason ?? null,
    regionBound: structure.region_bound ?? null,
  };
}

const FW_SQRT1_2 = Math.SQRT1_2;
const FW_TWO_OVER_SQRT_PI = 1.1283791670955126; // 2/√π
const FW_SQRT_2_OVER_PI = 0.7978845608028654; // √(2/π)
const FW_SELU_SCALE = 1.0507009873554804934193349852946;
const FW_SELU_ALPHA = 1.6732632423543772848170429916717;

/**
 * erf(x) to ~1e-15 absolute.
 * |x| < 3: erf(x) = (2/√π) e^{-x²} Σ_{n≥0} 2ⁿ x^{2n+1} / (1·3·…·(2n+1)), all terms of one sign (no
 * cancellation); term_n = term_{n-1} · 2x² / (2n + 1).
 * |x| ≥ 3: erf(x) = 1 − erfc(x), erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …))))
 * (Laplace's continued fraction, evaluated backwards from 60 terms); erfc(6) < 3e-17.
 */
function fw_erf(x) {
  const ax = Math.abs(x);
  if (ax >= 6) return x > 0 ? 1 : -1;
  if (ax < 3) {
    const x2 = 2 * x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= x2 / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return FW_TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
  }
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / (1.7724538509055159 * f); // √π
  return x > 0 ? 1 - erfc : erfc - 1;
}

/** softplus(x) = log(1 + eˣ), stable: max(x, 0) + log1p(e^{-|x|}). */
function fw_softplus(x) {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** σ(x) = 1 / (1 + e^{-x}), stable on both sides. */
function fw_sigmoid(x) {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Table activation: f sampled at n evenly spaced points of [lo, hi]; linear interpolation inside, linear
 * extrapolation (the end segments) outside. APPROXIMATE (error ~ h²/8·|f''| plus float32 rounding).
 */
function fw_tableFn(act) {
  const v = act._decoded ?? (act._decoded = fw_decodeFloat32(act.values));
  const lo = Number(act.lo);
  const n = v.length;
  const h = (Number(act.hi) - lo) / (n - 1);
  return (x) => {
    const t = (x - lo) / h;
    let i = Math.floor(t);
    if (i < 0) i = 0;
    else if (i > n - 2) i = n - 2;
    return v[i] + (t - i) * (v[i + 1] - v[i]);
  };
}

/**
 * The scalar function of an activation descriptor (see relu_viz/wire.py), as torch computes it:
 * relu max(0,x); leaky/rrelu x>0 ? x : a·x; prelu the same with slopes[unit] (or its only slope);
 * hardtanh clamp(x,min,max); threshold x>t ? x : v; hardsigmoid clamp(x/6+1/2, 0, 1);
 * softshrink x∓λ outside [−λ,λ] else 0; hardshrink x outside [−λ,λ] else 0; elu x>0 ? x : α(eˣ−1);
 * celu max(0,x)+min(0, α(e^{x/α}−1)); selu λ·elu_α(x); gelu x·Φ(x) = x/2·(1+erf(x/√2)) or
 * x/2·(1+tanh(√(2/π)(x+0.044715x³))); silu x·σ(x); mish x·tanh(softplus x); softplus (1/β)·log(1+e^{βx})
 * (x where βx > threshold); sigmoid; tanh; softsign x/(1+|x|); logsigmoid −softplus(−x);
 * hardswish x·clamp(x+3,0,6)/6; tanhshrink x−tanh x; identity x; step x>0 ? 1 : 0; table (approximate).
 * `unit` (optional, default 0) picks PReLU's per-unit slope.
 */
export function activationFn(act, unit = 0) {
  if (act == null) return (x) => x;
  switch (act.kind) {
    case "relu":
      return (x) => (x > 0 ? x : 0);
    case "leaky_relu":
    case "rrelu": {
      const a = act.kind === "rrelu" ? (act.slope ?? (act.lower + act.upper) / 2) : act.slope;
      return (x) => (x > 0 ? x : a * x);
    }
    case "prelu": {
      const s = act.slopes;
      const a = s.length === 1 ? s[0] : s[unit];
      return (x) => (x > 0 ? x : a * x);
    }
    case "hardtanh": {
      const lo = act.min;
      const hi = act.max;
      return (x) => (x < lo ? lo : x > hi ? hi : x);
    }
    case "threshold": {
      const t = act.threshold;
      const v = act.value;
      return (x) => (x > t ? x : v);
    }
    case "hardsigmoid":
      return (x) => (x <= -3 ? 0 : x >= 3 ? 1 : x / 6 + 0.5);
    case "softshrink": {
      const l = act.lambd;
      return (x) => (x > l ? x - l : x < -l ? x + l : 0);
    }
    case "hardshrink": {
      const l = act.lambd;
      return (x) => (x > l || x < -l ? x : 0);
    }
    case "elu": {
      const a = act.alpha;
      return (x) => (x > 0 ? x : a * Math.expm1(x));
    }
    case "celu": {
      const a = act.alpha;
      return (x) => Math.max(0, x) + Math.min(0, a * Math.expm1(x / a));
    }
    case "selu":
      return (x) => FW_SELU_SCALE * (x > 0 ? x : FW_SELU_ALPHA * Math.expm1(x));
    case "gelu":
      if (act.approximate === "tanh") {
        return (x) => 0.5 * x * (1 + Math.tanh(FW_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
      }
      return (x) => 0.5 * x * (1 + fw_erf(x * FW_SQRT1_2));
    case "silu":
      return (x) => x * fw_sigmoid(x);
    case "mish":
      return (x) => x * Math.tanh(fw_softplus(x));
    case "softplus": {
      const beta = act.beta;
      const th = act.threshold;
      return (x) => (beta * x > th ? x : fw_softplus(beta * x) / beta);
    }
    case "sigmoid":
      return fw_sigmoid;
    case "tanh":
      return Math.tanh;
    case "softsign":
      return (x) => x / (1 + Math.abs(x));
    case "logsigmoid":
      return (x) => -fw_softplus(-x);
    case "hardswish":
      return (x) => (x <= -3 ? 0 : x >= 3 ? x : (x * (x + 3)) / 6);
    case "tanhshrink":
      return (x) => x - Math.tanh(x);
    case "identity":
      return (x) => x;
    case "step":
      return (x) => (x > 0 ? 1 : 0);
    case "table":
      return fw_tableFn(act);
    default:
      throw new Error(`unknown activation kind ${act.kind}`);
  }
}

/**
 * Input features of the point (x1, x2) written to out[offset ..]: x1, x2, x1sq = x1², x2sq = x2²,
 * x1x2 = x1·x2, sinx1 = sin x1, sinx2 = sin x2 (relu_viz.network.FEATURES), in the order of `keys`.
 */
export function featureValues(keys, x1, x2, out, offset) {
  for (let i = 0; i < keys.length; i++) {
    let v;
    switch (keys[i]) {
      case "x1": v = x1; break;
      case "x2": v = x2; break;
      case "x1sq": v = x1 * x1; break;
      case "x2sq": v = x2 * x2; break;
      case "x1x2": v = x1 * x2; break;
      case "sinx1": v = Math.sin(x1); break;
      case "sinx2": v = Math.sin(x2); break;
      default: throw new Error(`unknown feature ${keys[i]}`);
    }
    out[offset + i] = v;
  }
}

let fw_bufA = new Float64Array(0);
let fw_bufB = new Float64Array(0);

/** A scratch buffer of at least n doubles (module-level, grown by doubling, never shrunk). */
function fw_scratch(which, n) {
  if (which === 0) {
    if (fw_bufA.length < n) fw_bufA = new Float64Array(Math.max(n, 2 * fw_bufA.length));
    return fw_bufA;
  }
  if (fw_bufB.length < n) fw_bufB = new Float64Array(Math.max(n, 2 * fw_bufB.length));
  return fw_bufB;
}

/** The network's input rows for N interleaved points xy = [x1, x2, x1, x2, ...], into `out` (N × d). */
function fw_inputs(net, xy, N, out) {
  const keys = net.features;
  const d = keys.length;
  if (d === 2 && keys[0] === "x1" && keys[1] === "x2") {
    for (let i = 0; i < 2 * N; i++) out[i] = xy[i];
    return;
  }
  for (let p = 0; p < N; p++) featureValues(keys, xy[2 * p], xy[2 * p + 1], out, p * d);
}

/** act applied in place to the N × nOut values of a layer: buf[p·n + j] = σ_j(buf[p·n + j]). */
function fw_applyAct(layer, buf, N) {
  const act = layer.act;
  const n = layer.nOut;
  const total = N * n;
  if (act == null || act.kind === "identity") return;
  if (act.kind === "relu") {
    for (let i = 0; i < total; i++) if (!(buf[i] > 0)) buf[i] = 0;
    return;
  }
  if (act.kind === "prelu" && act.slopes.length > 1) {
    if (!layer.fns) layer.fns = Array.from({ length: n }, (_, j) => activationFn(act, j));
    const fns = layer.fns;
    for (let p = 0; p < N; p++) for (let j = 0; j < n; j++) buf[p * n + j] = fns[j](buf[p * n + j]);
    return;
  }
  if (!layer.fns) layer.fns = [activationFn(act, 0)];
  const f = layer.fns[0];
  for (let i = 0; i < total; i++) buf[i] = f(buf[i]);
}

/**
 * out (N × nOut) = inp (N × nIn) Wᵀ + b for one layer: out[p, i] = b_i + Σ_j W[i, j] inp[p, j] (each sum
 * in order j = 0, 1, ...). Register-blocked: two points × four outputs share their loads (eight
 * independent sums); leftover points and outputs one by one.
 */
function fw_affine(layer, inp, out, N) {
  const W = layer.W;
  const b = layer.b;
  const nIn = layer.nIn;
  const nOut = layer.nOut;
  const n4 = nOut - (nOut % 4);
  const N2 = N - (N % 2);
  for (let p = 0; p < N2; p += 2) {
    const i0 = p * nIn;
    const i1 = i0 + nIn;
    const o0 = p * nOut;
    const o1 = o0 + nOut;
    let i = 0;
    for (; i < n4; i += 4) {
      const r0 = i * nIn;
      const r1 = r0 + nIn;
      const r2 = r1 + nIn;
      const r3 = r2 + nIn;
      let a0 = b[i];
      let a1 = b[i + 1];
      let a2 = b[i + 2];
      let a3 = b[i + 3];
      let c0 = a0;
      let c1 = a1;
      let c2 = a2;
      let c3 = a3;
      for (let j = 0; j < nIn; j++) {
        const x = inp[i0 + j];
        const y = inp[i1 + j];
        const w0 = W[r0 + j];
        const w1 = W[r1 + j];
        const w2 = W[r2 + j];
        const w3 = W[r3 + j];
        a0 += w0 * x;
        a1 += w1 * x;
        a2 += w2 * x;
        a3 += w3 * x;
        c0 += w0 * y;
        c1 += w1 * y;
        c2 += w2 * y;
        c3 += w3 * y;
      }
      out[o0 + i] = a0;
      out[o0 + i + 1] = a1;
      out[o0 + i + 2] = a2;
      out[o0 + i + 3] = a3;
      out[o1 + i] = c0;
      out[o1 + i + 1] = c1;
      out[o1 + i + 2] = c2;
      out[o1 + i + 3] = c3;
    }
    for (; i < nOut; i++) {
      const row = i * nIn;
      let a = b[i];
      let c = a;
      for (let j = 0; j < nIn; j++) {
        const w = W[row + j];
        a += w * inp[i0 + j];
        c += w * inp[i1 + j];
      }
      out[o0 + i] = a;
      out[o1 + i] = c;
    }
  }
  for (let p = N2; p < N; p++) {
    for (let i = 0; i < nOut; i++) {
      const row = i * nIn;
      let a = b[i];
      for (let j = 0; j < nIn; j++) a += W[row + j] * inp[p * nIn + j];
      out[p * nOut + i] = a;
    }
  }
}

const FW_CHUNK = 256; // points per pass through the layers: the scratch stays in cache

/**
 * The whole forward pass on N points (interleaved xy), FW_CHUNK points at a time. `onHidden(l, buf, p0,
 * n)`, if given, sees each hidden layer's post-activation values for points p0 .. p0 + n (n × width, in
 * a scratch buffer); `onPre`, if given, the same layer's pre-activations z = W h + b just before the
 * activation. Returns the logits (N × nOut) in a fresh array.
 */
function fw_run(net, xy, N, onHidden, onPre) {
  const L = net.layers.length;
  const K = net.nOut;
  let maxW = net.features.length;
  for (const layer of net.layers) maxW = Math.max(maxW, layer.nOut);
  const out = new Float64Array(N * K);
  const bufA = fw_scratch(0, FW_CHUNK * maxW);
  const bufB = fw_scratch(1, FW_CHUNK * maxW);
  for (let p0 = 0; p0 < N; p0 += FW_CHUNK) {
    const n = Math.min(FW_CHUNK, N - p0);
    let cur = bufA;
    let nxt = bufB;
    fw_inputs(net, xy.subarray(2 * p0, 2 * (p0 + n)), n, cur);
    for (let l = 0; l < L; l++) {
      const layer = net.layers[l];
      fw_affine(layer, cur, nxt, n);
      if (l + 1 < L) {
        if (onPre) onPre(l, nxt, p0, n);
        fw_applyAct(layer, nxt, n);
        if (onHidden) onHidden(l, nxt, p0, n);
      }
      const t = cur;
      cur = nxt;
      nxt = t;
    }
    out.set(cur.subarray(0, n * K), p0 * K);
  }
  return out;
}

/** Logits (N × nOut, row-major) at N points given interleaved as xy = [x1, x2, x1, x2, ...]. */
export function netLogits(net, xy) {
  if (!(xy instanceof Float64Array)) xy = Float64Array.from(xy);
  return fw_run(net, xy, xy.length >> 1, null);
}

/** Post-activation values of every hidden layer at N points: one Float64Array (N × width) per layer. */
export function unitOutputs(net, xy) {
  if (!(xy instanceof Float64Array)) xy = Float64Array.from(xy);
  const N = xy.length >> 1;
  const out = net.layers.slice(0, -1).map((layer) => new Float64Array(N * layer.nOut));
  fw_run(net, xy, N, (l, buf, p0, n) => {
    const w = net.layers[l].nOut;
    out[l].set(buf.subarray(0, n * w), p0 * w);
  });
  return out;
}

/**
 * Pixel centres of a T × T picture of box [[x0, x1], [y0, y1]], row 0 at the top (as a canvas):
 * pixel (r, c) at x = x0 + (c + ½)/T·(x1 − x0), y = y1 − (r + ½)/T·(y1 − y0); interleaved xy, row-major.
 */
export function pictureGrid(box, T) {
  const [[x0, x1], [y0, y1]] = box;
  const xy = new Float64Array(2 * T * T);
  for (let r = 0; r < T; r++) {
    for (let c = 0; c < T; c++) {
      xy[2 * (r * T + c)] = x0 + ((c + 0.5) / T) * (x1 - x0);
      xy[2 * (r * T + c) + 1] = y1 - ((r + 0.5) / T) * (y1 - y0);
    }
  }
  return xy;
}

/** Pre-activations z = W h + b of every hidden layer at N points: one Float64Array (N × width) per layer. */
export function preactivations(net, xy) {
  if (!(xy instanceof Float64Array)) xy = Float64Array.from(xy);
  const N = xy.length >> 1;
  const out = net.layers.slice(0, -1).map((layer) => new Float64Array(N * layer.nOut));
  fw_run(net, xy, N, null, (l, buf, p0, n) => {
    const w = net.layers[l].nOut;
    out[l].set(buf.subarray(0, n * w), p0 * w);
  });
  return out;
}

let fw_gridXY = new Float64Array(0);

/**
 * Logits at the nx × ny pixel centres of box [[x0, x1], [y0, y1]]: pixel (row r, column c) is at
 * x = x0 + (c + ½)(x1 − x0)/nx, y = y1 − (r + ½)(y1 − y0)/ny (row 0 at the top, as a canvas);
 * result (nx·ny × nOut) indexed ((r·nx + c)·nOut + k). Buffers are reused between calls.
 */
export function gridLogits(net, box, nx, ny) {
  const [[x0, x1], [y0, y1]] = box;
  const N = nx * ny;
  if (fw_gridXY.length < 2 * N) fw_gridXY = new Float64Array(2 * N);
  const xy = fw_gridXY;
  const dx = (x1 - x0) / nx;
  const dy = (y1 - y0) / ny;
  for (let r = 0; r < ny; r++) {
    const y = y1 - (r + 0.5) * dy;
    for (let c = 0; c < nx; c++) {
      const i = 2 * (r * nx + c);
      xy[i] = x0 + (c + 0.5) * dx;
      xy[i + 1] = y;
    }
  }
  return fw_run(net, xy, N, null);
}

/**
 * Class probabilities per point (N × K): one logit l gives K = 2 with p1 = σ(l), p0 = 1 − p1;
 * K ≥ 2 logits give softmax p_k = e^{l_k − max} / Σ_i e^{l_i − max}.
 */
export function classProbabilities(logits, nOut) {
  const N = Math.floor(logits.length / nOut);
  if (nOut === 1) {
    const out = new Float64Array(2 * N);
    for (let p = 0; p < N; p++) {
      const p1 = fw_sigmoid(logits[p]);
      out[2 * p] = 1 - p1;
      out[2 * p + 1] = p1;
    }
    return out;
  }
  const out = new Float64Array(N * nOut);
  for (let p = 0; p < N; p++) {
    const o = p * nOut;
    let m = -Infinity;
    for (let k = 0; k < nOut; k++) m = Math.max(m, logits[o + k]);
    let s = 0;
    for (let k = 0; k < nOut; k++) {
      const e = Math.exp(logits[o + k] - m);
      out[o + k] = e;
      s += e;
    }
    for (let k = 0; k < nOut; k++) out[o + k] /= s;
  }
  return out;
}

// ---- Dead units and identical units: what the trainer's notice and network diagram state ----------

/**
 * Where the activation's derivative is exactly 0, as torch's autograd computes it: a predicate z ↦
 * (f'(z) == 0), or null where f' is never exactly 0 at a finite z (sigmoid, tanh, GELU, ELU with α > 0,
 * ...: float64 keeps them non-flat; see neurons.can_die). Per kind (torch's backward formulas):
 * relu z ≤ 0 (ReLU'(0) = 0); leaky/rrelu/prelu: slope = 0 and z ≤ 0 (f'(0) = the slope);
 * hardtanh (ReLU6 too) z ≤ min or z ≥ max; threshold z ≤ t; hardsigmoid z ≤ −3 or z ≥ 3;
 * hardswish z < −3 or z = −1.5 (f' = z/3 + ½ on [−3, 3]); softshrink, hardshrink |z| ≤ λ;
 * elu, celu: α = 0 and z ≤ 0; step always (H' = 0 under autograd, relu_viz.activations.Step);
 * table (typed formulas): z in a segment of the table where f is constant (APPROXIMATE: the table
 * does not know which side autograd picks at a kink, nor f beyond [lo, hi] than its end segments).
 */
export function flatGradient(act, unit = 0) {
  if (act == null) return null;
  switch (act.kind) {
    case "relu":
      return (z) => z <= 0;
    case "leaky_relu":
    case "rrelu":
    case "prelu": {
      const a = act.kind === "prelu" ? (act.slopes.length === 1 ? act.slopes[0] : act.slopes[unit])
        : act.kind === "rrelu" ? (act.slope ?? (act.lower + act.upper) / 2) : act.slope;
      return a === 0 ? (z) => z <= 0 : null;
    }
    case "hardtanh": {
      const lo = act.min, hi = act.max;
      return (z) => z <= lo || z >= hi;
    }
    case "threshold": {
      const t = act.threshold;
      return (z) => z <= t;
    }
    case "hardsigmoid":
      return (z) => z <= -3 || z >= 3;
    case "hardswish":
      return (z) => z < -3 || z === -1.5;
    case "softshrink":
    case "hardshrink": {
      const l = act.lambd;
      return (z) => z >= -l && z <= l;
    }
    case "elu":
    case "celu":
      return act.alpha === 0 ? (z) => z <= 0 : null;
    case "step":
      return () => true;
    case "table": {
      const v = act._decoded ?? (act._decoded = fw_decodeFloat32(act.values));
      const lo = Number(act.lo), n = v.length, h = (Number(act.hi) - lo) / (n - 1);
      return (z) => {
        let i = Math.floor((z - lo) / h);
        if (i < 0) i = 0;
        else if (i > n - 2) i = n - 2;
        return v[i + 1] === v[i];
      };
    }
    default:
      return null;
  }
}

const FW_FLAT_RANGE = 6; // neurons.FLAT_RANGE, FLAT_STEP, FLAT_MIN_WIDTH
const FW_FLAT_STEP = 0.01;
const FW_FLAT_MIN_WIDTH = 0.5;

/**
 * Whether a unit with this activation can die (the twin of relu_viz.neurons.can_die): f' is exactly 0
 * on at least FLAT_MIN_WIDTH / FLAT_STEP + 1 = 51 consecutive points of the grid −6, −5.99, …, 6.
 * True for ReLU, ReLU6, Hardtanh, Hardsigmoid, Hardswish, Threshold, the shrinks, the step; false for
 * Leaky ReLU (slope ≠ 0), ELU, sigmoid, tanh, GELU, ...
 */
export function canDie(act, unit = 0) {
  if (act == null) return false;
  const key = act.kind === "prelu" && act.slopes.length > 1 ? unit : 0;
  const memo = act._canDie ?? (act._canDie = new Map()); // per descriptor: measured once per run
  if (!memo.has(key)) memo.set(key, fw_canDie(act, unit));
  return memo.get(key);
}

function fw_canDie(act, unit) {
  const flat = flatGradient(act, unit);
  if (!flat) return false;
  const K = Math.round((2 * FW_FLAT_RANGE) / FW_FLAT_STEP);
  const need = Math.round(FW_FLAT_MIN_WIDTH / FW_FLAT_STEP) + 1;
  let run = 0;
  for (let i = 0; i <= K; i++) {
    run = flat(-FW_FLAT_RANGE + i * FW_FLAT_STEP) ? run + 1 : 0;
    if (run >= need) return true;
  }
  return false;
}

/**
 * Dead hidden units on the training points (the twin of relu_viz.neurons: dead_on_data & can_die,
 * without the units whose z is not finite, and cut_off_units). With z_u(x) = (W h(x) + b)_u the
 * pre-activation of unit u at point x:
 *   dead_u    = can_die(f_u) and z_u(x) finite and f'(z_u(x)) = 0 for every training point x
 *             (for ReLU: z_u(x) ≤ 0 everywhere, so the unit outputs 0 on every point; its incoming
 *             weights get gradient f'(z_u)·(…) = 0, and gradient descent never changes them);
 *   cutOff_u  = not dead_u, and every unit v of the next hidden layer with W_{l+1}[v, u] ≠ 0 is dead or
 *             cut off (the output units never are): no gradient reaches u either, although it fires;
 *   nonfinite_u = some z_u(x) is NaN or ±∞ (a diverged run: dead or alive means nothing there).
 * `xy` interleaved [x1, x2, x1, x2, …]. Smooth activations (can_die false) report no dead unit.
 * Returns {layers: [{dead, cutOff, nonfinite, canDie}] (Uint8Array per hidden layer), nUnits, nDead,
 * nCutOff, nNonfinite, canDie (some unit can die), deadLayer (index of the last hidden layer whose
 * units are all dead, or −1): the output then no longer depends on the input}.
 */
export function deadUnits(net, xy) {
  const zs = preactivations(net, xy);
  const N = xy.length >> 1;
  const hidden = net.layers.slice(0, -1);
  const layers = hidden.map((layer, l) => {
    const w = layer.nOut, z = zs[l];
    const dead = new Uint8Array(w), nonfinite = new Uint8Array(w), can = new Uint8Array(w);
    for (let u = 0; u < w; u++) {
      let bad = false;
      for (let p = 0; p < N; p++) if (!Number.isFinite(z[p * w + u])) { bad = true; break; }
      nonfinite[u] = bad ? 1 : 0;
      can[u] = canDie(layer.act, u) ? 1 : 0;
      if (bad || !can[u]) continue;
      const flat = flatGradient(layer.act, u);
      let all = true;
      for (let p = 0; p < N && all; p++) all = flat(z[p * w + u]);
      dead[u] = all ? 1 : 0;
    }
    return { dead, cutOff: new Uint8Array(w), nonfinite, canDie: can };
  });
  // cut off: from the last hidden layer down; `blocked` = the next layer's units that pass no gradient
  let blocked = new Uint8Array(net.layers[net.layers.length - 1].nOut);
  for (let l = layers.length - 1; l >= 0; l--) {
    const next = net.layers[l + 1], w = hidden[l].nOut, { dead, cutOff } = layers[l];
    for (let u = 0; u < w; u++) {
      if (dead[u]) continue;
      let reaches = false;
      for (let v = 0; v < next.nOut && !reaches; v++) reaches = next.W[v * w + u] !== 0 && !blocked[v];
      cutOff[u] = reaches ? 0 : 1;
    }
    blocked = dead.map((d, u) => d | cutOff[u]);
  }
  const sum = (k) => layers.reduce((s, L) => s + L[k].reduce((a, b) => a + b, 0), 0);
  let deadLayer = -1;
  layers.forEach((L, l) => { if (L.dead.length && L.dead.every((d) => d === 1)) deadLayer = l; });
  return {
    layers,
    nUnits: hidden.reduce((s, layer) => s + layer.nOut, 0),
    nDead: sum("dead"),
    nCutOff: sum("cutOff"),
    nNonfinite: sum("nonfinite"),
    canDie: layers.some((L) => L.canDie.some((c) => c === 1)),
    deadLayer,
  };
}

/**
 * How different the units of one layer are over a set of points (the diagram's pictures): the largest
 * difference between two units' outputs at any point,
 *   D = max_{u < v} max_p |a_u(p) − a_v(p)| = max_p (max_u a_u(p) − min_u a_u(p)),
 * from the layer's outputs `values` (N × width, row-major, as unitOutputs gives). D = 0 exactly when
 * every unit computes the same function on these points (zero init: all units identical, forever).
 * null for a layer of one unit (no pair) and NaN if some output is not finite.
 */
export function unitDifference(values, width) {
  if (width < 2) return null;
  const N = Math.floor(values.length / width);
  let D = 0;
  for (let p = 0; p < N; p++) {
    let lo = Infinity, hi = -Infinity;
    for (let u = 0; u < width; u++) {
      const a = values[p * width + u];
      if (!Number.isFinite(a)) return NaN;
      if (a < lo) lo = a;
      if (a > hi) hi = a;
    }
    if (hi - lo > D) D = hi - lo;
  }
  return D;
}
