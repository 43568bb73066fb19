// The topology graph (Components/Shared/TopologyGraph.razor): Cytoscape.js with the fCoSE layout, fed by the
// portal's SignalR hub /hubs/mesh (Hubs/MeshHub.cs), all three restored from npm by the build into lib/. The hub
// streams a snapshot, then deltas (elements added, the changed fields of elements it has, ids removed) at most once
// a second; each is applied as it arrives in one cy.batch() and drawn by Cytoscape on the next animation frame, only
// what a delta names is touched, and the layout runs only while the graph is still filling (the first nodes, or a
// delta that at least doubles them): a node that comes later is placed beside what it belongs to or talks to, and
// nothing else moves. A gap in the messages' sequence starts a new stream (a snapshot). No message for staleAfterMs,
// or a control plane not reporting, marks the graph stale. A large graph is drawn with WebGL where the browser has it
// (topology-renderer.js). One message costs one redraw: Cytoscape draws into a child of the container (see mount),
// and the container's data-* attributes are written only when they change.

import { adjustCanvas, dropStrayWebglLayer, largeEdges, rendererOptions, wantsWebgl } from './topology-renderer.js';

const libraries = ['lib/cytoscape.min.js', 'lib/layout-base.js', 'lib/cose-base.js', 'lib/cytoscape-fcose.js', 'lib/signalr.min.js'];
const staleAfterMs = 5000;
// Update timings kept for bench/topology.sh: ms from a message's arrival to the first frame drawn after it was applied.
const keptTimings = 512;
// Marching dashes restyle every busy edge ten times a second: above this many, edges are solid lines (colour and
// labels still say where traffic flows) so a large mesh keeps its frame rate: a dashed line costs the canvas several
// times a solid one, and every change redraws all of them.
const marchLimit = 300;
let loaded;

function loadScript(src) {
    return new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = src;
        script.onload = resolve;
        script.onerror = () => reject(new Error(`could not load ${src}`));
        document.head.appendChild(script);
    });
}

// In order: each UMD build finds the one before it as a global (cytoscape-fcose needs coseBase needs layoutBase).
function loadLibraries() {
    loaded ??= libraries.reduce((previous, src) => previous.then(() => loadScript(src)), Promise.resolve())
        .then(() => window.cytoscape.use(window.cytoscapeFcose));
    return loaded;
}

// Text smaller than this on screen is not drawn (min-zoomed-font-size below); the font sizes are the style's.
const minZoomedFontSize = 7;
const fontSize = { nodes: 11, edges: 9 };

const colors = { healthy: '#2e7d32', degraded: '#ef6c00', failing: '#c62828', idle: '#9e9e9e', canary: '#6a1b9a' };

// Zoomed out so far that edge labels are unreadable (plainEdges), edges are straight lines from centre to centre without
// arrowheads (Cytoscape's haystack edges, its cheapest to draw); their colour still gives health, and zooming in
// brings back arrowheads and labels.
const makeStyle = plainEdges => [
    // Labels too small to read at the current zoom are not drawn (min-zoomed-font-size): zoomed out over a large mesh,
    // text is most of the drawing work; zooming in brings it back.
    { selector: 'node', style: { label: 'data(label)', 'font-size': fontSize.nodes, 'min-zoomed-font-size': minZoomedFontSize, 'text-valign': 'bottom', 'text-margin-y': 4, color: '#37474f' } },
    {
        selector: 'node.service',
        style: { shape: 'round-rectangle', 'background-color': '#eceff1', 'border-color': '#90a4ae', 'border-width': 1, 'text-valign': 'top', 'font-weight': 'bold', padding: 12 },
    },
    { selector: 'node.version', style: { width: 26, height: 26, 'background-color': colors.idle } },
    { selector: 'node.version.healthy', style: { 'background-color': colors.healthy } },
    { selector: 'node.version.degraded', style: { 'background-color': colors.degraded } },
    { selector: 'node.version.failing', style: { 'background-color': colors.failing } },
    { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#1e88e5' } },
    {
        selector: 'edge',
        style: {
            label: 'data(label)', 'font-size': fontSize.edges, 'min-zoomed-font-size': minZoomedFontSize, 'text-rotation': 'autorotate', 'text-background-color': '#ffffff', 'text-background-opacity': 0.8,
            'curve-style': plainEdges ? 'haystack' : 'bezier', 'target-arrow-shape': plainEdges ? 'none' : 'triangle', width: 2, 'line-color': colors.idle, 'target-arrow-color': colors.idle, 'line-dash-pattern': [8, 4],
        },
    },
    // Edges with traffic are dashed (marching) by a style bypass while there are at most marchLimit of them (march below).
    { selector: 'edge.healthy', style: { 'line-color': colors.healthy, 'target-arrow-color': colors.healthy } },
    { selector: 'edge.degraded', style: { 'line-color': colors.degraded, 'target-arrow-color': colors.degraded } },
    { selector: 'edge.failing', style: { 'line-color': colors.failing, 'target-arrow-color': colors.failing, width: 3 } },
    { selector: 'edge.split', style: { 'font-weight': 'bold' } },
    // A live rollout's canary: the version ringed, the edges to it wide with short dashes and its progress on a line above the numbers.
    { selector: 'node.version.canary', style: { 'border-width': 3, 'border-color': colors.canary, 'border-style': 'double' } },
    {
        selector: 'edge.canary',
        style: { width: 4, 'line-style': 'dashed', 'line-dash-pattern': [3, 3], 'text-wrap': 'wrap', color: colors.canary, 'font-weight': 'bold' },
    },
    { selector: '.dimmed', style: { opacity: 0.2 } },
    ...tcpEdgeStyle(plainEdges),
];

// TCP route edges (ViewModels/TopologyTcpEdges.cs): dotted, never marching (they are not classed by health), blue while
// connections are open or came and went, orange when connections were refused; the label carries connections and bytes/s.
const tcpColor = '#1565c0';
const tcpEdgeStyle = plainEdges => [
    { selector: 'edge.tcp', style: { 'line-style': 'dotted', width: 3, 'target-arrow-shape': plainEdges ? 'none' : 'square', 'arrow-scale': 0.8 } },
    { selector: 'edge.tcp.open', style: { 'line-color': tcpColor, 'target-arrow-color': tcpColor, color: tcpColor } },
    { selector: 'edge.tcp.refused', style: { 'line-color': colors.degraded, 'target-arrow-color': colors.degraded } },
];

// A layout after the first moves the nodes in an animation (300 ms) so the eye can follow them, except on a large graph:
// there every animation frame would move and redraw thousands of elements (on the 2D canvas, far more than a frame).
function layout(graph, first) {
    const run = graph.cy.layout({ name: 'fcose', randomize: first, animate: !first && graph.cy.edges().length <= largeEdges, animationDuration: 300, fit: first, padding: 30, nodeDimensionsIncludeLabels: true, idealEdgeLength: 140 });
    // Fitted, the zoom may have made labels too small to read: they are put aside (fitLabelsToZoom).
    run.one('layoutstop', () => fitLabelsToZoom(graph));
    run.run();
}

// Where nodes that came after the layout go, so that nothing already drawn moves: a version beside another version
// of its service, a new service's version beside a node it calls or is called by, anything else in a row under the
// graph. Compound service boxes follow their versions.
const spacing = 60;
function placeNew(cy, nodes) {
    const placed = new Set();
    const isPlaced = node => !nodes.has(node) || placed.has(node.id());
    const drawn = cy.nodes().difference(nodes).boundingBox();
    let free = Number.isFinite(drawn.x1) ? { x: drawn.x1, y: drawn.y2 + 2 * spacing } : { x: 0, y: 0 };
    for (const node of nodes.filter('.version')) {
        const sibling = node.siblings().filter(isPlaced);
        const neighbour = node.neighborhood('node').filter(isPlaced);
        let at;
        if (sibling.nonempty()) {
            const box = sibling.boundingBox();
            at = { x: box.x2 + spacing / 2, y: (box.y1 + box.y2) / 2 };
        } else if (neighbour.nonempty()) {
            const near = neighbour[0].position();
            const angle = Math.random() * 2 * Math.PI;
            at = { x: near.x + 2 * spacing * Math.cos(angle), y: near.y + 2 * spacing * Math.sin(angle) };
        } else {
            at = { ...free };
            free.x += 2 * spacing;
        }
        node.position(at);
        placed.add(node.id());
    }
}

export async function create(container, staleBanner, dotnet, filter) {
    await loadLibraries();
    const graph = {
        cy: null, canvasHost: null, webgl: false, canvas: { large: false, layers: null },
        dotnet, march: null, marching: null, laidOut: false, updates: 0, lastMessageAt: 0, connection: 'Connecting', stream: null, streamToken: null, sequence: 0,
        filter, staleBanner, timings: [], hiddenLabels: new Map(), classesOf: new Map(), labelsAside: { nodes: false, edges: false }, zoomFrame: null,
    };
    mount(container, graph, false);
    // Traffic moves: the dashes of edges carrying requests march toward the callee.
    let offset = 0;
    graph.march = setInterval(() => {
        offset = (offset + 2) % 120;
        if (document.hidden || graph.marching.empty()) return;
        graph.marching.style('line-dash-offset', -offset);
    }, 100);
    // The label an element shows when zoomed in far enough, even while it is put aside (tests read it).
    graph.labelOf = id => graph.hiddenLabels.get(id) ?? graph.cy.getElementById(id).data('label');
    graph.staleCheck = setInterval(() => showStale(container, graph), 1000);
    graph.hub = new window.signalR.HubConnectionBuilder().withUrl('hubs/mesh').withAutomaticReconnect().build();
    // After a reconnect the old stream is gone: a new one starts with a snapshot.
    graph.hub.onreconnected(() => subscribe(container, graph));
    container.meshworkGraph = graph;
    await graph.hub.start();
    subscribe(container, graph);
    container.dataset.ready = 'true';
}

// A Cytoscape instance drawn with WebGL or the 2D canvas (topology-renderer.js), on a new child of the container.
// Cytoscape watches its container's attributes (a MutationObserver, taken as a possible resize) and on any change
// resizes and redraws the whole graph 100 ms later: the data-* attributes kept on the container for tests and the
// bench (nodes, edges, updates, sequence, stale) change with every message, which cost a second full redraw per
// message (up to hundreds of ms each on a large graph). So Cytoscape gets a child of its own that nothing else touches.
function mount(container, graph, webgl) {
    const canvasHost = document.createElement('div');
    canvasHost.style.width = '100%';
    canvasHost.style.height = '100%';
    container.appendChild(canvasHost);
    const cy = window.cytoscape({
        container: canvasHost, style: makeStyle(graph.labelsAside.edges), minZoom: 0.2, maxZoom: 3, wheelSensitivity: 0.3, renderer: rendererOptions(webgl),
    });
    if (!webgl) dropStrayWebglLayer(cy);
    cy.on('tap', 'node', event => graph.dotnet.invokeMethodAsync('Select', event.target.id()));
    cy.on('tap', event => { if (event.target === cy) graph.dotnet.invokeMethodAsync('Select', null); });
    // Labels follow the zoom (on the next frame, once per frame): put aside when too small to read, set again when readable.
    cy.on('zoom', () => {
        graph.zoomFrame ??= requestAnimationFrame(() => {
            graph.zoomFrame = null;
            fitLabelsToZoom(graph);
        });
    });
    Object.assign(graph, { cy, canvasHost, webgl, marching: cy.collection(), canvas: { large: false, layers: cy.renderer().data.lyrTxrCache?.getLayers } });
    // Which renderer draws the graph, for whoever needs to know (the bench reports it).
    setDataset(container, 'renderer', webgl ? 'webgl' : 'canvas');
}

function unmount(graph) {
    if (graph.zoomFrame !== null) cancelAnimationFrame(graph.zoomFrame);
    graph.zoomFrame = null;
    // Browsers cap the WebGL contexts a page holds (Chromium: 16), and a destroyed instance's stays until collected.
    const renderer = graph.cy.renderer();
    if (graph.webgl) renderer.data.contexts[renderer.WEBGL]?.getExtension('WEBGL_lose_context')?.loseContext();
    graph.cy.destroy();
    graph.canvasHost.remove();
}

// The graph moves to the other renderer with its elements (data, classes, positions, selection) and viewport; what
// marches is found again (march) once the message that caused the move is applied. A renderer cannot be switched in
// place: Cytoscape chooses it when an instance is made.
function remount(container, graph, webgl) {
    const elements = graph.cy.elements().jsons();
    const viewport = { zoom: graph.cy.zoom(), pan: graph.cy.pan() };
    unmount(graph);
    mount(container, graph, webgl);
    graph.cy.add(elements);
    graph.cy.viewport(viewport);
}

// How many edges the graph will have once this message is applied: the renderer is chosen before its elements are
// added, so that a large snapshot is not first styled for one renderer and then moved to the other.
function edgesAfter(cy, message) {
    const added = message.added.filter(element => element.group === 'edges').length;
    if (message.isSnapshot) return added;
    return cy.edges().length + added - message.removed.filter(id => cy.getElementById(id).isEdge()).length;
}

// A new stream always starts with a snapshot; messages still in flight from the stream it replaces are ignored.
function subscribe(container, graph) {
    graph.stream?.dispose();
    const token = {};
    graph.streamToken = token;
    graph.sequence = 0;
    graph.stream = graph.hub.stream('Topology', graph.filter).subscribe({
        next: message => receive(container, graph, token, message),
        error: () => showStale(container, graph),
        complete: () => { },
    });
}

// A new filter is a new stream: its snapshot replaces the elements the old filter showed, positions kept.
export function setFilter(container, filter) {
    const graph = container.meshworkGraph;
    if (!graph) return;
    graph.filter = filter;
    subscribe(container, graph);
}

// A message is applied as soon as it arrives, in one cy.batch(): Cytoscape restyles what changed once and draws the
// graph on its next animation frame, at most once per frame however messages bunch up. (Waiting for an animation
// frame before applying, as this did before, made every update a frame later than it needed to be.)
function receive(container, graph, token, message) {
    if (token !== graph.streamToken) return;
    const arrived = performance.now();
    // A delta is against the message before it: after a gap (or a change to an element the graph does not have) the
    // picture can no longer be trusted, and a new stream brings a snapshot.
    if (!message.isSnapshot && message.sequence !== graph.sequence + 1) {
        subscribe(container, graph);
        return;
    }
    const webgl = wantsWebgl(edgesAfter(graph.cy, message), graph.webgl);
    if (webgl !== graph.webgl) remount(container, graph, webgl);
    const { cy } = graph;
    const nodesBefore = cy.nodes().length;
    let applied = null;
    cy.batch(() => { applied = apply(graph, message); });
    if (applied === null) {
        subscribe(container, graph);
        return;
    }
    graph.sequence = message.sequence;
    graph.connection = message.connection;
    // Edges start or stop carrying traffic without coming or going (idle <-> healthy): what marches is found again.
    march(graph);
    if (!graph.webgl) adjustCanvas(cy, graph.canvas, cy.edges().length > largeEdges);
    if (applied.structural && cy.nodes().nonempty()) {
        const added = applied.added.filter(node => node.inside());
        if (!graph.laidOut || added.length >= nodesBefore) {
            layout(graph, !graph.laidOut);
            graph.laidOut = true;
        } else if (added.nonempty()) {
            placeNew(cy, added);
        }
    }
    graph.updates += 1;
    graph.lastMessageAt = Date.now();
    setDataset(container, 'nodes', cy.nodes().length);
    setDataset(container, 'edges', cy.edges().length);
    setDataset(container, 'updates', graph.updates);
    setDataset(container, 'sequence', graph.sequence);
    showStale(container, graph);
    // Cytoscape draws on its own animation frame, registered on the frame before: this callback runs after the drawing
    // of the first frame that shows the message. A hidden page runs no frames: nothing is timed there.
    if (document.hidden) return;
    requestAnimationFrame(() => {
        graph.timings.push(performance.now() - arrived);
        if (graph.timings.length > keptTimings) graph.timings.splice(0, graph.timings.length - keptTimings);
    });
}

// One message into the graph (inside a batch): whether elements came or went and the nodes added, or null when a
// change names an element the graph does not have.
function apply(graph, message) {
    const { cy } = graph;
    let structural = false;
    const removed = message.isSnapshot
        ? (() => {
            const kept = new Set(message.added.map(e => e.data.id));
            return cy.elements().filter(element => !kept.has(element.id()));
        })()
        : cy.collection(message.removed.map(id => cy.getElementById(id)).filter(element => element.nonempty()));
    if (removed.nonempty()) {
        for (const element of removed) {
            graph.hiddenLabels.delete(element.id());
            graph.classesOf.delete(element.id());
        }
        removed.remove();
        structural = true;
    }
    const added = [];
    for (const element of message.added) {
        const existing = cy.getElementById(element.data.id);
        // A snapshot names every element: those the graph has keep their place and take the snapshot's fields.
        if (existing.nonempty()) setFields(graph, existing, element.data.label, element.classes, element.data.canary ?? '');
        else {
            added.push({ group: element.group, data: withLabelAside(graph, element.group, element.data), classes: element.classes });
            graph.classesOf.set(element.data.id, element.classes);
        }
    }
    const addedNodes = added.length > 0 ? cy.add(added).nodes() : cy.collection();
    structural ||= added.length > 0;
    for (const change of message.changed) {
        const existing = cy.getElementById(change.id);
        if (existing.empty()) return null;
        setFields(graph, existing, change.label, change.classes, change.canary);
    }
    return { structural, added: addedNodes };
}

// The data of an element to add, its label put aside when its group's labels are (too small to read at this zoom).
function withLabelAside(graph, group, data) {
    if (!graph.labelsAside[group]) return data;
    graph.hiddenLabels.set(data.id, data.label);
    return { ...data, label: '' };
}

// Sets what differs (every data() or classes() call restyles the element). An element's classes are compared with the
// string last given to it (graph.classesOf) rather than read back from Cytoscape: reading and joining them for the
// thousands of edges each message names was the largest self time in the page's update (Chromium CPU profile,
// docs/benchmarks.md). A label too small to be drawn at this zoom
// is kept aside instead: the numbers on thousands of edges change every second, and zoomed out nobody can read them.
// Undefined: unchanged; canary '': the mark went.
function setFields(graph, element, label, classes, canary) {
    if (label !== undefined) {
        if (graph.labelsAside[element.group()]) graph.hiddenLabels.set(element.id(), label);
        else if (element.data('label') !== label) element.data('label', label);
    }
    if (classes !== undefined && graph.classesOf.get(element.id()) !== classes) {
        element.classes(classes);
        graph.classesOf.set(element.id(), classes);
    }
    if (canary === '') {
        if (element.data('canary') !== undefined) element.removeData('canary');
    } else if (canary !== undefined && element.data('canary') !== canary) {
        element.data('canary', canary);
    }
}

// Labels too small to read at the current zoom (what min-zoomed-font-size would not draw) are taken out of the graph
// and kept aside, per group (nodes, edges): an element with a label costs its text's measuring and bounds on every
// change even when the text is not drawn. Zoomed in far enough, they are set again.
function fitLabelsToZoom(graph) {
    const { cy } = graph;
    for (const group of ['nodes', 'edges']) {
        const aside = cy.zoom() * fontSize[group] < minZoomedFontSize;
        if (aside === graph.labelsAside[group]) continue;
        graph.labelsAside[group] = aside;
        if (group === 'edges') cy.style(makeStyle(aside));
        cy.batch(() => {
            for (const element of cy.elements(group === 'nodes' ? 'node' : 'edge')) {
                if (aside) {
                    graph.hiddenLabels.set(element.id(), element.data('label'));
                    element.data('label', '');
                } else if (graph.hiddenLabels.has(element.id())) {
                    element.data('label', graph.hiddenLabels.get(element.id()));
                    graph.hiddenLabels.delete(element.id());
                }
            }
        });
    }
}

// Edges carrying traffic march (dashed, the offset moved by the interval in create) while there are at most
// marchLimit of them; the others, and all of them above the limit, are solid. WebGL draws every line solid, so a graph
// drawn with it marches nothing (it would restyle edges ten times a second for dashes nobody sees).
function march(graph) {
    const busy = graph.webgl ? graph.cy.collection() : graph.cy.edges('.healthy, .degraded, .failing');
    const next = busy.length <= marchLimit ? busy : graph.cy.collection();
    // style() and removeStyle() restyle and request a redraw even for no elements: only called with some.
    const stopped = graph.marching.difference(next).filter(edge => edge.inside());
    if (stopped.nonempty()) stopped.removeStyle('line-style line-dash-offset');
    const started = next.difference(graph.marching);
    if (started.nonempty()) started.style('line-style', 'dashed');
    graph.marching = next;
}

function showStale(container, graph) {
    const stale = graph.hub.state !== 'Connected' || graph.connection !== 'Connected' || Date.now() - graph.lastMessageAt > staleAfterMs;
    setDataset(container, 'stale', stale);
    if (graph.staleBanner.hidden !== !stale) graph.staleBanner.hidden = !stale;
}

// A data-* attribute written only when its value changes: every write is a DOM mutation, observed or not.
function setDataset(element, name, value) {
    const text = String(value);
    if (element.dataset[name] !== text) element.dataset[name] = text;
}

export function fit(container) {
    container.meshworkGraph?.cy.fit(undefined, 30);
}

export async function dispose(container) {
    const graph = container.meshworkGraph;
    if (!graph) return;
    delete container.meshworkGraph;
    clearInterval(graph.march);
    clearInterval(graph.staleCheck);
    graph.stream?.dispose();
    unmount(graph);
    await graph.hub.stop();
}
