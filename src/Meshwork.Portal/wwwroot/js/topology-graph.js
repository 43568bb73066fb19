// The topology graph (Components/Shared/TopologyGraph.razor): Cytoscape.js with the fCoSE layout, fed by the
// portal's SignalR hub /hubs/mesh (Hubs/MeshHub.cs), all three restored from npm by the build into lib/. The hub
// streams a snapshot, then deltas (elements added or changed, ids removed) at most once a second; only what a
// delta names is touched, and the layout runs again only when nodes or edges come or go, starting from the
// current positions, so the picture stays put while the numbers move. No message for staleAfterMs, or a control
// plane not reporting, marks the graph stale.

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

const colors = { healthy: '#2e7d32', degraded: '#ef6c00', failing: '#c62828', idle: '#9e9e9e', canary: '#6a1b9a' };

const style = [
    // Labels too small to read at the current zoom are not drawn (min-zoomed-font-size): zoomed out over a large mesh,
    // text is most of the drawing work; zooming in brings it back.
    { selector: 'node', style: { label: 'data(label)', 'font-size': 11, 'min-zoomed-font-size': 7, 'text-valign': 'bottom', 'text-margin-y': 4, color: '#37474f' } },
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
            label: 'data(label)', 'font-size': 9, 'min-zoomed-font-size': 7, 'text-rotation': 'autorotate', 'text-background-color': '#ffffff', 'text-background-opacity': 0.8,
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

// Cytoscape refuses to change these through data(): they are part of an element's identity here.
const identity = new Set(['id', 'source', 'target', 'parent']);

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
    const graph = { cy, march, busy: cy.collection(), laidOut: false, updates: 0, lastMessageAt: 0, connection: 'Connecting', stream: null, filter, staleBanner, timings: [] };
    graph.staleCheck = setInterval(() => showStale(container, graph), 1000);
    graph.hub = new window.signalR.HubConnectionBuilder().withUrl('hubs/mesh').withAutomaticReconnect().build();
    // After a reconnect the old stream is gone: a new one starts with a snapshot.
    graph.hub.onreconnected(() => subscribe(container, graph));
    container.meshworkGraph = graph;
    await graph.hub.start();
    subscribe(container, graph);
    container.dataset.ready = 'true';
}

function subscribe(container, graph) {
    graph.stream?.dispose();
    graph.stream = graph.hub.stream('Topology', graph.filter).subscribe({
        next: message => apply(container, graph, message),
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

function apply(container, graph, message) {
    const arrived = performance.now();
    const { cy } = graph;
    let structural = false;
    cy.batch(() => {
        const kept = message.isSnapshot ? new Set(message.upserted.map(e => e.data.id)) : null;
        const removed = message.isSnapshot
            ? cy.elements().filter(element => !kept.has(element.id()))
            : cy.collection(message.removed.map(id => cy.getElementById(id)).filter(element => element.nonempty()));
        if (removed.nonempty()) {
            removed.remove();
            structural = true;
        }
        for (const element of message.upserted) {
            const existing = cy.getElementById(element.data.id);
            if (existing.nonempty()) {
                // Only what differs is set: every data() or classes() call restyles the element.
                const changed = Object.fromEntries(Object.entries(element.data)
                    .filter(([key, value]) => !identity.has(key) && value !== null && existing.data(key) !== value));
                if (Object.keys(changed).length > 0) existing.data(changed);
                // A field that became null (a rollout's canary mark once it ends) goes, rather than keeping its last value.
                for (const [key, value] of Object.entries(element.data)) {
                    if (value === null && !identity.has(key) && existing.data(key) !== undefined) existing.removeData(key);
                }
                if (existing.classes().join(' ') !== (element.classes ?? '')) existing.classes(element.classes);
            } else {
                const data = Object.fromEntries(Object.entries(element.data).filter(([, value]) => value !== null));
                cy.add({ group: element.group, data, classes: element.classes });
                structural = true;
            }
        }
    });
    graph.busy = cy.edges('.healthy, .degraded, .failing');
    if (structural && cy.nodes().nonempty()) {
        layout(cy, !graph.laidOut);
        graph.laidOut = true;
    }
    graph.updates += 1;
    graph.lastMessageAt = Date.now();
    graph.connection = message.connection;
    container.dataset.nodes = cy.nodes().length;
    container.dataset.edges = cy.edges().length;
    container.dataset.updates = graph.updates;
    container.dataset.sequence = message.sequence;
    showStale(container, graph);
    // Cytoscape draws on its own animation frame, registered before this one: this callback runs after that frame's drawing.
    requestAnimationFrame(() => {
        graph.timings.push(performance.now() - arrived);
        if (graph.timings.length > keptTimings) graph.timings.shift();
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
    graph.stream?.dispose();
    graph.cy.destroy();
    await graph.hub.stop();
}
