// Colours shared by every view, the twins of relu_viz/figures/trainer.py (CLASS_COLORS, probability_rgb,
// region_pastel, class_tint, tinted_region), so a browser-drawn map looks like the server-drawn one.

/** Playground's orange and blue first, then distinct hues for up to 10 classes (RGB 0..255). */
export const CLASS_COLORS = [
  [245, 147, 34], [8, 119, 189], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];
const MAP_STRENGTH = 0.8; // full confidence is still lighter than the points drawn on top

/** "rgb(r,g,b)" of a class colour. */
export function classCss(k, alpha = 1) {
  const [r, g, b] = CLASS_COLORS[k % CLASS_COLORS.length];
  return alpha === 1 ? `rgb(${r},${g},${b})` : `rgba(${r},${g},${b},${alpha})`;
}

/**
 * Blend class colours by probability, fading to white where the network is unsure (probability_rgb):
 * confidence c = (max_k p_k − 1/K)/(1 − 1/K); colour = white + 0.8·c·(Σ_k p_k colour_k − white).
 * `probs` (N·K), writes RGBA bytes of N pixels into `out` (Uint8ClampedArray 4N). NaN → white.
 */
export function probabilityRgb(probs, K, out) {
  const n = probs.length / K;
  for (let i = 0; i < n; i++) {
    let r = 0, g = 0, b = 0, top = 0, bad = false;
    for (let k = 0; k < K; k++) {
      const p = probs[i * K + k];
      if (!(p >= 0)) { bad = true; break; }
      const c = CLASS_COLORS[k % CLASS_COLORS.length];
      r += p * c[0]; g += p * c[1]; b += p * c[2];
      if (p > top) top = p;
    }
    const o = 4 * i;
    if (bad) { out[o] = out[o + 1] = out[o + 2] = 255; out[o + 3] = 255; continue; }
    const s = MAP_STRENGTH * (top - 1 / K) / (1 - 1 / K);
    out[o] = 255 + s * (r - 255);
    out[o + 1] = 255 + s * (g - 255);
    out[o + 2] = 255 + s * (b - 255);
    out[o + 3] = 255;
  }
}

/**
 * A region's colour (region_pastel, class_tint, tinted_region): a fixed hash of its index gives a pastel
 * p in [150, 255]³; tinted towards the predicted class: 0.55·p + 0.45·(white + 0.6·(class − white)).
 */
export function regionCss(id, cls) {
  const h = Math.imul(id, 2654435761 | 0) >>> 0; // (id · 2654435761) mod 2³²
  const pastel = [h & 255, (h >>> 8) & 255, (h >>> 16) & 255].map((v) => 150 + (105 * v) / 255);
  const c = CLASS_COLORS[cls % CLASS_COLORS.length];
  const rgb = pastel.map((p, i) => Math.round(0.55 * p + 0.45 * (255 + 0.6 * (c[i] - 255))));
  return `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
}

/**
 * A unit's output v scaled to [-1, 1] as colour: blue positive, orange negative, white zero (the unit
 * mosaic's diverging scale). Writes RGBA at `o` of `out`.
 */
export function divergingRgb(v, out, o) {
  const t = Math.max(-1, Math.min(1, v));
  const c = t >= 0 ? CLASS_COLORS[1] : CLASS_COLORS[0];
  const a = Math.abs(t);
  out[o] = 255 + a * (c[0] - 255);
  out[o + 1] = 255 + a * (c[1] - 255);
  out[o + 2] = 255 + a * (c[2] - 255);
  out[o + 3] = 255;
}
