// Which of Cytoscape.js's renderers draws the topology graph (topology-graph.js), and the 2D canvas's settings for a
// large graph.
//
// A large graph is drawn with Cytoscape's WebGL mode (3.31+, `renderer: { name: 'canvas', webgl: true }`) when the
// browser has WebGL 2: every element changes every second on a large mesh, and the 2D canvas redraws all of them on
// each change, which took 119-142 ms per redraw at 500 services in software-rendered Chromium (docs/benchmarks.md);
// WebGL draws them in a few batched calls. A small graph keeps the 2D canvas: WebGL draws every line solid and every
// arrowhead as a triangle, so the marching dashes (traffic) and the dotted TCP edges with square arrowheads are the
// canvas's, and a small graph redraws quickly there. A browser without WebGL 2 (a GPU-less or locked-down machine)
// keeps the canvas at any size, with the settings of adjustCanvas.

// Above this many edges the graph is large.
export const largeEdges = 300;
// A WebGL graph goes back to the canvas only once it has shrunk well below largeEdges, so that a mesh whose edge count
// hovers around it does not move its elements from one renderer to the other with every change.
const canvasAgainAtMost = largeEdges / 2;

let webgl2;

// Whether this browser gives a WebGL 2 context (what Cytoscape's WebGL mode needs). Asked of a throwaway canvas
// before Cytoscape tries: a Cytoscape instance that fails to get one throws, and leaves its renderer wanting a WebGL
// layer for every later instance on the page.
export function webglAvailable() {
    if (webgl2 === undefined) {
        const gl = document.createElement('canvas').getContext('webgl2');
        webgl2 = gl !== null;
        // The probe's context is not needed; browsers cap live WebGL contexts per page.
        gl?.getExtension('WEBGL_lose_context')?.loseContext();
    }
    return webgl2;
}

// Whether a graph of this many edges is to be drawn with WebGL, given whether it is now. The browser is asked for
// WebGL only once a graph is large: a small one never needs it.
export function wantsWebgl(edges, webglNow) {
    const large = webglNow ? edges > canvasAgainAtMost : edges > largeEdges;
    return large && webglAvailable();
}

// A 2D-canvas instance made after a WebGL one carries a WebGL 2 layer it never draws: Cytoscape 3.34's canvas renderer
// counts its layers on its shared prototype and sets that count to 4 (the WebGL layer) for good once any instance used
// WebGL, so every later instance gets a WebGL context too (found by the E2E renderer journey). Left alone, each move
// back to the canvas would hold one more context (browsers cap them per page: Chromium 16) and an unused canvas. The
// layer is dropped as soon as the instance is made: its context released, its canvas removed. Cytoscape's 2D paths go
// through the instance's own layer count (3), not that array slot.
export function dropStrayWebglLayer(cy) {
    const renderer = cy.renderer();
    const { canvases, contexts } = renderer.data;
    if (!contexts[renderer.WEBGL]) return;
    contexts[renderer.WEBGL].getExtension('WEBGL_lose_context')?.loseContext();
    canvases[renderer.WEBGL].remove();
    canvases[renderer.WEBGL] = undefined;
    contexts[renderer.WEBGL] = undefined;
}

// Cytoscape's renderer options for the mode chosen.
export function rendererOptions(webgl) {
    return webgl ? { name: 'canvas', webgl: true } : { name: 'canvas' };
}

// A large graph on the 2D canvas (no WebGL) is drawn with Cytoscape's options for many elements: while the viewport
// moves, edges are hidden (hideEdgesOnViewport) and the rest moved as one picture (textureOnViewport). Its layered
// texture cache, which re-renders the whole graph into tiles over several frames after every change so that later
// redraws are cheap, is turned off: here every element may change every second, so the tiles were thrown away before
// they were used and each change cost two or three full redraws instead of one. The renderer reads these fields on
// every redraw (Cytoscape 3.34, canvas renderer); only the initialisation options are documented, the graph's size is
// not known then. `state` keeps, per Cytoscape instance, whether it was set for a large graph and the cache's own
// getLayers. WebGL mode does not draw through the canvas's paths, so none of this applies there.
export function adjustCanvas(cy, state, large) {
    if (large === state.large) return;
    state.large = large;
    const renderer = cy.renderer();
    renderer.hideEdgesOnViewport = large;
    renderer.textureOnViewport = large;
    const layers = renderer.data.lyrTxrCache;
    if (layers && state.layers) layers.getLayers = large ? () => null : state.layers;
}
