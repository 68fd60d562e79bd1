/**
 * The live page: one HTML document with its CSS and script inline, so it works
 * offline and needs no asset copying at build time (`scripts/copy-assets.mjs`
 * copies only machine and config files).
 *
 * Event payloads come from tasks, so the script builds every node with
 * `createElement` and `textContent`, never `innerHTML`, and caps each field.
 * The server also sends a Content-Security-Policy that allows only this
 * script and style (by nonce) and connections to this origin, so markup that
 * did slip into the DOM could neither run nor load anything.
 *
 * The script is plain browser JavaScript in a string: the project compiles
 * with `lib: ES2023` and no DOM types, and the page must not need a bundler.
 */

/** The newest events the timeline shows; the tree reflects every event received. */
export const TIMELINE_ROWS = 300;

/** Longest text shown for one field; longer values end in an ellipsis. */
export const FIELD_CHARS = 160;

export const PAGE_CSS = `
:root { color-scheme: light dark; --muted: #888; --ok: #2e7d32; --bad: #c62828; --warn: #ef6c00; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
header { display: flex; gap: 1.5em; align-items: baseline; padding: .6em 1em; border-bottom: 1px solid var(--muted); }
h1 { font-size: 15px; margin: 0; }
h2 { font-size: 13px; margin: 0 0 .5em; text-transform: uppercase; color: var(--muted); }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.3fr); gap: 1em; padding: 1em; }
section { min-width: 0; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 1.2em; }
ul.tree { padding-left: 0; }
.agent { display: flex; flex-wrap: wrap; gap: .6em; padding: .15em 0; }
.path { font-weight: 600; }
.role, .attempt { color: var(--muted); }
.state { color: var(--ok); }
.state.failed, .exit.abnormal, .killed, .task.failed { color: var(--bad); }
.restarts { color: var(--warn); }
.gone .path { text-decoration: line-through; }
ol.timeline { list-style: none; margin: 0; padding: 0; }
ol.timeline li { display: grid; grid-template-columns: 8.5em 12em minmax(8em, 14em) minmax(0, 1fr); gap: .6em; padding: .1em 0; border-bottom: 1px dotted rgba(128,128,128,.3); }
ol.timeline span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.time { color: var(--muted); }
.type-task\\.failed, .type-agent\\.killed, .type-runtime\\.error, .type-supervisor\\.escalated, .type-spawn\\.rejected { color: var(--bad); }
.type-task\\.completed { color: var(--ok); }
#status.live { color: var(--ok); }
#status.down { color: var(--bad); }
`;

export const PAGE_SCRIPT = `
(() => {
  'use strict';
  const TIMELINE_ROWS = ${TIMELINE_ROWS};
  const FIELD_CHARS = ${FIELD_CHARS};
  const agents = new Map();
  const timeline = [];
  let received = 0;
  let renderPending = false;

  const json = (value) => {
    try {
      const text = JSON.stringify(value);
      return text === undefined ? String(value) : text;
    } catch (error) {
      return String(value);
    }
  };
  const cap = (value) => {
    const text = typeof value === 'string' ? value : json(value);
    return text.length > FIELD_CHARS ? text.slice(0, FIELD_CHARS - 1) + '\\u2026' : text;
  };
  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = cap(text);
    return node;
  };
  const parentOf = (path) => {
    const cut = path.lastIndexOf('/');
    return cut < 0 ? null : path.slice(0, cut);
  };

  // Ancestors are created as placeholders: the root's first state change is
  // published before anyone can subscribe, and a replay may start mid-run.
  const agentAt = (path, parentId) => {
    let agent = agents.get(path);
    if (agent) return agent;
    const parent = parentId === undefined ? parentOf(path) : parentId;
    if (parent !== null && parent !== '') agentAt(parent, undefined);
    agent = {
      path, parent, role: parent === null ? 'supervisor' : '', state: '', attempt: 0,
      restarts: 0, task: '', taskFailed: false, exits: 0, lastExit: '', lastExitKind: '',
      kills: 0, lastKill: '',
    };
    agents.set(path, agent);
    return agent;
  };

  const apply = (event) => {
    const agent = agentAt(String(event.agentId), event.parentId === undefined ? undefined : event.parentId);
    switch (event.type) {
      case 'agent.spawned':
        agent.role = event.role;
        agent.attempt = event.attempt;
        break;
      case 'agent.state_changed':
        agent.state = event.to;
        break;
      case 'agent.exited':
        agent.exits += 1;
        agent.lastExit = event.exit + ' (' + event.reason + ')';
        agent.lastExitKind = event.exit;
        break;
      case 'agent.killed':
        agent.kills += 1;
        agent.lastKill = event.reason;
        break;
      case 'agent.restarting':
        agent.restarts += 1;
        break;
      case 'task.started':
        agent.task = 'task ' + event.taskId + ' running';
        agent.taskFailed = false;
        break;
      case 'task.completed':
        agent.task = 'task ' + event.taskId + ' completed';
        agent.taskFailed = false;
        break;
      case 'task.failed':
        agent.task = 'task ' + (event.taskId === null ? '-' : event.taskId) + ' failed: ' +
          (event.error ? event.error.code : '?');
        agent.taskFailed = true;
        break;
    }
    timeline.push(event);
    if (timeline.length > TIMELINE_ROWS) timeline.shift();
  };

  const summary = (event) => {
    switch (event.type) {
      case 'agent.spawned': return event.role + ', ' + event.restart + ', attempt ' + event.attempt;
      case 'agent.state_changed': return (event.from === null ? '\\u2205' : event.from) + ' \\u2192 ' + event.to;
      case 'agent.exited': return event.exit + ': ' + event.reason;
      case 'agent.killed': return event.reason;
      case 'agent.restarting': return 'attempt ' + event.attempt + ' in ' + event.delayMs + ' ms';
      case 'task.started': return event.taskId;
      case 'task.completed': return event.taskId + ' \\u2192 ' + json(event.result);
      case 'task.failed': return (event.taskId === null ? '-' : event.taskId) + ': ' +
        (event.error ? event.error.code + ' ' + event.error.message : '');
      case 'stage.started': return event.stage;
      case 'stage.finished': return event.stage + (event.ok ? ' ok' : ' failed') + ' ' + event.durationMs + ' ms';
      case 'spawn.rejected': return event.code + ': ' + event.message;
      case 'runtime.error': return event.code + ': ' + event.message;
      default: {
        const rest = {};
        for (const key of Object.keys(event)) {
          if (!['type', 'at', 'agentId', 'parentId', 'depth'].includes(key)) rest[key] = event[key];
        }
        return json(rest);
      }
    }
  };

  // Epoch milliseconds from the system clock, small numbers from a simulated one.
  const time = (at) => typeof at === 'number' && at > 1e11
    ? new Date(at).toISOString().slice(11, 23)
    : '+' + at + ' ms';

  const agentNode = (agent, children) => {
    const item = el('li', agent.exits > 0 || agent.kills > 0 ? 'gone' : '');
    item.setAttribute('data-agent', cap(agent.path));
    item.setAttribute('data-state', cap(agent.state));
    const row = el('div', 'agent');
    row.append(el('span', 'path', agent.path));
    row.append(el('span', 'role', agent.role || '?'));
    if (agent.state) row.append(el('span', 'state' + (agent.state === 'failed' ? ' failed' : ''), agent.state));
    if (agent.attempt > 0) row.append(el('span', 'attempt', 'attempt ' + agent.attempt));
    if (agent.restarts > 0) row.append(el('span', 'restarts', 'restarts ' + agent.restarts));
    if (agent.task) row.append(el('span', 'task' + (agent.taskFailed ? ' failed' : ''), agent.task));
    if (agent.exits > 0) {
      row.append(el('span', 'exit ' + agent.lastExitKind,
        'exited ' + agent.lastExit + (agent.exits > 1 ? ' \\u00d7' + agent.exits : '')));
    }
    if (agent.kills > 0) {
      row.append(el('span', 'killed', 'killed (' + agent.lastKill + ')' + (agent.kills > 1 ? ' \\u00d7' + agent.kills : '')));
    }
    item.append(row);
    const kids = children.get(agent.path);
    if (kids && kids.length > 0) {
      const list = el('ul');
      for (const child of kids) list.append(agentNode(child, children));
      item.append(list);
    }
    return item;
  };

  const render = () => {
    renderPending = false;
    const children = new Map();
    const roots = [];
    for (const agent of agents.values()) {
      if (agent.parent !== null && agents.has(agent.parent)) {
        const siblings = children.get(agent.parent) || [];
        siblings.push(agent);
        children.set(agent.parent, siblings);
      } else {
        roots.push(agent);
      }
    }
    const tree = el('ul', 'tree');
    for (const root of roots) tree.append(agentNode(root, children));
    document.getElementById('tree').replaceChildren(tree);

    const rows = [];
    for (let i = timeline.length - 1; i >= 0; i--) {
      const event = timeline[i];
      const row = el('li', 'type-' + String(event.type).replace(/[^a-z._-]/gi, ''));
      row.append(el('span', 'time', time(event.at)));
      row.append(el('span', 'type', event.type));
      row.append(el('span', 'who', event.agentId));
      row.append(el('span', 'what', summary(event)));
      rows.push(row);
    }
    document.getElementById('timeline').replaceChildren(...rows);
    document.getElementById('count').textContent = received + ' events';
  };

  // Batched: a replay of thousands of events draws the page once, not per event.
  const scheduleRender = () => {
    if (renderPending) return;
    renderPending = true;
    setTimeout(render, 30);
  };

  const status = (text, className) => {
    const node = document.getElementById('status');
    node.textContent = text;
    node.className = className;
  };

  const source = new EventSource('events');
  source.onopen = () => status('live', 'live');
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) status('reconnecting\\u2026', 'down');
  };
  source.onmessage = (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch (error) {
      return;
    }
    if (!event || typeof event !== 'object' || typeof event.type !== 'string' || typeof event.agentId !== 'string') return;
    received += 1;
    apply(event);
    scheduleRender();
  };
  source.addEventListener('end', (message) => {
    source.close();
    let reason = '';
    try {
      reason = JSON.parse(message.data).reason;
    } catch (error) {}
    status(reason === 'completed' ? 'runtime stopped' : 'server closed', 'down');
    scheduleRender();
  });
})();
`;

/**
 * The document, with `nonce` on its script and style so the CSP can allow
 * exactly those. The nonce is base64 from the server and needs no escaping.
 */
export function renderPage(nonce: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nerdloop live</title>
<style nonce="${nonce}">${PAGE_CSS}</style>
</head>
<body>
<header>
  <h1>nerdloop live</h1>
  <span id="status">connecting\u2026</span>
  <span id="count">0 events</span>
</header>
<main>
  <section><h2>Actors</h2><div id="tree"></div></section>
  <section><h2>Timeline (latest first)</h2><ol id="timeline" class="timeline"></ol></section>
</main>
<noscript>This page draws the runtime's events with JavaScript.</noscript>
<script nonce="${nonce}">${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/** The policy the page is served with; see the module comment. */
export function pagePolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
