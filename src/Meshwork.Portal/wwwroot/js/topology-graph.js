// The topology graph (Components/Shared/TopologyGraph.razor): Cytoscape.js with the fCoSE layout, fed by the
// portal's SignalR hub /hubs/mesh (Hubs/MeshHub.cs), all three restored from npm by the build into lib/. The hub
// streams a snapshot, then deltas (elements added, the changed fields of elements it has, ids removed) at most once
// a second; they are applied on the next animation frame in one batch, only what a delta names is touched, and the
// layout runs again only when nodes or edges come or go, starting from the current positions, so the picture stays
// put while the numbers move. A gap in the messages' sequence starts a new stream (a snapshot). No message for
// staleAfterMs, or a control plane not reporting, marks the graph stale.

const libraries = ['lib/cytoscape.min.js', 'lib/layout-base.js', 'lib/cose-base.js', 'lib/cytoscape-fcose.js', 'lib/signalr.min.js'];
const staleAfterMs = 5000;
// Update timings kept for bench/topology.sh: ms from a message's arrival to the first frame drawn after it was applied.
const keptTimings = 512;
// Marching dashes restyle every busy edge ten times a second: above this many, the picture stands still
// (colour and labels still say where traffic flows) so a large mesh keeps its frame rate.
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

const style = [
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
            'curve-style': 'bezier', 'target-arrow-shape': 'triangle', width: 2, 'line-color': colors.idle, 'target-arrow-color': colors.idle,
        },
    },
    { selector: 'edge.healthy', style: { 'line-color': colors.healthy, 'target-arrow-color': colors.healthy, 'line-style': 'dashed', 'line-dash-pattern': [8, 4] } },
    { selector: 'edge.degraded', style: { 'line-color': colors.degraded, 'target-arrow-color': colors.degraded, 'line-style': 'dashed', 'line-dash-pattern': [8, 4] } },
    { selector: 'edge.failing', style: { 'line-color': colors.failing, 'target-arrow-color': colors.failing, 'line-style': 'dashed', 'line-dash-pattern': [8, 4], width: 3 } },
    { selector: 'edge.split', style: { 'font-weight': 'bold' } },
    // A live rollout's canary: the version ringed, the edges to it wide with short dashes and its progress on a line above the numbers.
    { selector: 'node.version.canary', style: { 'border-width': 3, 'border-color': colors.canary, 'border-style': 'double' } },
    {
        selector: 'edge.canary',
        style: { width: 4, 'line-style': 'dashed', 'line-dash-pattern': [3, 3], 'text-wrap': 'wrap', color: colors.canary, 'font-weight': 'bold' },
    },
    { selector: '.dimmed', style: { opacity: 0.2 } },
];

function layout(cy, first) {
    cy.layout({ name: 'fcose', randomize: first, animate: !first, animationDuration: 300, fit: first, padding: 30, nodeDimensionsIncludeLabels: true, idealEdgeLength: 140 }).run();
}

export async function create(container, staleBanner, dotnet, filter) {
    await loadLibraries();
    const cy = window.cytoscape({ container, style, minZoom: 0.2, maxZoom: 3, wheelSensitivity: 0.3 });
    cy.on('tap', 'node', event => dotnet.invokeMethodAsync('Select', event.target.id()));
    cy.on('tap', event => { if (event.target === cy) dotnet.invokeMethodAsync('Select', null); });
    // Traffic moves: the dashes of edges carrying requests march toward the callee.
    let offset = 0;
    const march = setInterval(() => {
        offset = (offset + 2) % 120;
        if (document.hidden || graph.busy.length > marchLimit) return;
        graph.busy.style('line-dash-offset', -offset);
    }, 100);
    const graph = {
        cy, march, busy: cy.collection(), laidOut: false, updates: 0, lastMessageAt: 0, connection: 'Connecting', stream: null, streamToken: null, sequence: 0,
        filter, staleBanner, timings: [], pending: [], frame: null, hiddenLabels: new Map(), zoomFrame: null,
    };
    // Zoomed in far enough to read them, the labels kept aside while they were too small are set (on the next frame, once per frame).
    cy.on('zoom', () => {
        graph.zoomFrame ??= requestAnimationFrame(() => {
            graph.zoomFrame = null;
            showReadableLabels(graph);
        });
    });
    graph.staleCheck = setInterval(() => showStale(container, graph), 1000);
    graph.hub = new window.signalR.HubConnectionBuilder().withUrl('hubs/mesh').withAutomaticReconnect().build();
    // After a reconnect the old stream is gone: a new one starts with a snapshot.
    graph.hub.onreconnected(() => subscribe(container, graph));
    container.meshworkGraph = graph;
    await graph.hub.start();
    subscribe(container, graph);
    container.dataset.ready = 'true';
}

// A new stream always starts with a snapshot; messages still in flight from the stream it replaces are ignored.
function subscribe(container, graph) {
    graph.stream?.dispose();
    const token = {};
    graph.streamToken = token;
    graph.sequence = 0;
    graph.pending = [];
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

// Messages are applied on the next animation frame, all that arrived since in one cy.batch(), so the graph is
// restyled and drawn at most once per frame however messages bunch up.
function receive(container, graph, token, message) {
    if (token !== graph.streamToken) return;
    graph.pending.push({ message, arrived: performance.now() });
    // A hidden page gets no animation frames: applied at once there, so nothing piles up while nobody looks.
    if (document.hidden) {
        applyPending(container, graph);
        return;
    }
    graph.frame ??= requestAnimationFrame(() => {
        graph.frame = null;
        applyPending(container, graph);
    });
}

function applyPending(container, graph) {
    const received = graph.pending;
    graph.pending = [];
    if (received.length === 0) return;
    const { cy } = graph;
    let structural = false;
    let inSync = true;
    cy.batch(() => {
        for (const { message } of received) {
            // A delta is against the message before it: after a gap (or a change to an element the graph does not
            // have) the picture can no longer be trusted, and a new stream brings a snapshot.
            if (!message.isSnapshot && message.sequence !== graph.sequence + 1) {
                inSync = false;
                break;
            }
            const applied = apply(graph, message);
            if (applied === null) {
                inSync = false;
                break;
            }
            structural ||= applied;
            graph.sequence = message.sequence;
            graph.connection = message.connection;
        }
    });
    if (!inSync) {
        subscribe(container, graph);
        return;
    }
    // Edges start or stop carrying traffic without coming or going (idle <-> healthy): what marches is found again.
    graph.busy = cy.edges('.healthy, .degraded, .failing');
    if (structural && cy.nodes().nonempty()) {
        layout(cy, !graph.laidOut);
        graph.laidOut = true;
    }
    graph.updates += received.length;
    graph.lastMessageAt = Date.now();
    container.dataset.nodes = cy.nodes().length;
    container.dataset.edges = cy.edges().length;
    container.dataset.updates = graph.updates;
    container.dataset.sequence = graph.sequence;
    showStale(container, graph);
    // Cytoscape draws on its own animation frame, registered before this one: this callback runs after that frame's drawing.
    requestAnimationFrame(() => {
        const drawn = performance.now();
        for (const { arrived } of received) graph.timings.push(drawn - arrived);
        if (graph.timings.length > keptTimings) graph.timings.splice(0, graph.timings.length - keptTimings);
    });
}

// One message into the graph (inside a batch). True when elements came or went (the layout runs again), false when
// only labels, classes and marks changed, null when a change names an element the graph does not have.
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
        for (const element of removed) graph.hiddenLabels.delete(element.id());
        removed.remove();
        structural = true;
    }
    const added = [];
    for (const element of message.added) {
        const existing = cy.getElementById(element.data.id);
        // A snapshot names every element: those the graph has keep their place and take the snapshot's fields.
        if (existing.nonempty()) setFields(graph, existing, element.data.label, element.classes, element.data.canary ?? '');
        else added.push({ group: element.group, data: element.data, classes: element.classes });
    }
    if (added.length > 0) {
        cy.add(added);
        structural = true;
    }
    for (const change of message.changed) {
        const existing = cy.getElementById(change.id);
        if (existing.empty()) return null;
        setFields(graph, existing, change.label, change.classes, change.canary);
    }
    return structural;
}

// Sets what differs (every data() or classes() call restyles the element). A label too small to be drawn at this zoom
// is kept aside instead: the numbers on thousands of edges change every second, and zoomed out nobody can read them.
// Undefined: unchanged; canary '': the mark went.
function setFields(graph, element, label, classes, canary) {
    if (label !== undefined) {
        if (labelReadable(graph.cy, element)) {
            graph.hiddenLabels.delete(element.id());
            if (element.data('label') !== label) element.data('label', label);
        } else {
            graph.hiddenLabels.set(element.id(), label);
        }
    }
    if (classes !== undefined && element.classes().join(' ') !== classes) element.classes(classes);
    if (canary === '') {
        if (element.data('canary') !== undefined) element.removeData('canary');
    } else if (canary !== undefined && element.data('canary') !== canary) {
        element.data('canary', canary);
    }
}

function labelReadable(cy, element) {
    return cy.zoom() * fontSize[element.group()] >= minZoomedFontSize;
}

function showReadableLabels(graph) {
    if (graph.hiddenLabels.size === 0) return;
    const { cy } = graph;
    cy.batch(() => {
        for (const [id, label] of graph.hiddenLabels) {
            const element = cy.getElementById(id);
            if (element.empty()) graph.hiddenLabels.delete(id);
            else if (labelReadable(cy, element)) {
                element.data('label', label);
                graph.hiddenLabels.delete(id);
            }
        }
    });
}

function showStale(container, graph) {
    const stale = graph.hub.state !== 'Connected' || graph.connection !== 'Connected' || Date.now() - graph.lastMessageAt > staleAfterMs;
    container.dataset.stale = String(stale);
    graph.staleBanner.hidden = !stale;
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
    if (graph.frame !== null) cancelAnimationFrame(graph.frame);
    if (graph.zoomFrame !== null) cancelAnimationFrame(graph.zoomFrame);
    graph.stream?.dispose();
    graph.cy.destroy();
    await graph.hub.stop();
}
