// Entry of the browser renderer (the module Streamlit's component calls; see relu_viz/ui/renderer.py).
// Streamlit calls the default export with {data, parentElement} whenever the server sends new data for
// the element. Views keep their state and DOM at module scope, keyed by the element's id, so a frame
// only replaces the weights and the picture is redrawn at the browser's next animation frame: frames
// that arrive faster than the screen refreshes are coalesced, never queued.
import { trainerState, trainerMerge, trainerDraw } from "./trainer_view.js";
import { monitorState, monitorMerge, monitorDraw } from "./monitor_view.js";
import { fitState, fitMerge, fitDraw } from "./fit_view.js";

const VIEWS = {
  trainer: { make: trainerState, merge: trainerMerge, draw: trainerDraw },
  monitor: { make: monitorState, merge: monitorMerge, draw: monitorDraw },
  fit: { make: fitState, merge: fitMerge, draw: fitDraw },
};
const states = new Map(); // element id -> {kind, state, parent, pending}

/**
 * What tests and benchmarks read: per element id, frames received and drawn, the last step drawn,
 * the draw times (ms) and the region count of the last frame.
 */
window.__reluViz = window.__reluViz || {};

function mn_schedule(entry) {
  if (entry.pending) return;
  entry.pending = true;
  requestAnimationFrame(() => {
    entry.pending = false;
    const view = VIEWS[entry.kind];
    try {
      view.draw(entry.state, entry.parent);
      entry.error = null;
    } catch (err) {
      entry.error = String((err && err.stack) || err);
      console.error("relu-viz renderer:", err);
    }
    const s = entry.state.stats;
    window.__reluViz[entry.id] = {
      received: entry.received,
      drawn: s.frames,
      step: s.lastStep,
      regions: s.regions ?? null,
      drawMs: s.drawMs.slice(-50),
      error: entry.error,
      view: entry.state.view,
      dead: s.dead ?? null, // trainer: dead hidden units on the training points (forward.js deadUnits)
      unitDiff: s.unitDiff ?? null, // trainer: per hidden layer, the largest difference between two units
      kinks: s.kinks ?? null, // fit: the x where the fit changes slope (fit_view.js lineKinks)
      units: s.units ?? null, // fit: hidden units
      serverKinks: s.serverKinks, // fit: relu_viz.regions.kinks of the set-up's weights (while shown)
    };
  });
}

/** Frames streamed through the stub component (relu_viz/ui/renderer.py) arrive here, without a
 * parentElement: they update the state of the element they name, which draws where it is mounted. */
window.__reluVizFrame = (data) => {
  const entry = states.get(data && data.id);
  if (!entry || entry.kind !== data.kind || !entry.parent) return;
  entry.received++;
  window.__reluVizReceived = (window.__reluVizReceived || 0) + 1;
  if (VIEWS[data.kind].merge(entry.state, data)) mn_schedule(entry);
};

export default function render({ data, parentElement }) {
  if (!data || !VIEWS[data.kind]) return undefined;
  const id = data.id;
  let entry = states.get(id);
  if (!entry || entry.kind !== data.kind) {
    entry = { id, kind: data.kind, state: VIEWS[data.kind].make(), received: 0, pending: false };
    states.set(id, entry);
  }
  entry.parent = parentElement;
  entry.received++;
  window.__reluVizReceived = (window.__reluVizReceived || 0) + 1;
  if (VIEWS[data.kind].merge(entry.state, data)) mn_schedule(entry);
  else if (entry.state.dom && entry.state.dom.root.parentNode !== parentElement) {
    parentElement.appendChild(entry.state.dom.root); // a fresh element: show the last picture in it
  }
  if (window.__reluVizPending && window.__reluVizPending.id === id) {
    const pending = window.__reluVizPending;
    window.__reluVizPending = null;
    window.__reluVizFrame(pending);
  }
  return undefined; // the DOM is kept for the next call: nothing to clean up
}
