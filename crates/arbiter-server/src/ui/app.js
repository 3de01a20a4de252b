// The page of `arbiter serve`: plain JavaScript, no framework, no build step, nothing fetched
// but this service's own /v1 endpoints. Text from the service is inserted as text (textContent),
// except the reports, which the service renders as HTML with every input escaped.
'use strict';

const $ = (id) => document.getElementById(id);
const CHECK_DELAY_MS = 300;
const PAGE_SIZE = 10;
const BUNDLE_REFRESH_MS = 10000;
const TOKEN_KEY = 'arbiter-token';
const TASK_KEY = 'arbiter-task';

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  checkTimer: 0,
  checkSeq: 0, // the latest check sent; older answers are dropped
  before: null, // the page of decisions shown: its `before`, null for the latest
  newer: [], // the `before` of each newer page, for going back
  next: null, // the next (older) page's `before`
  openId: null, // the logged decision whose report is shown
  errors: [], // the last problems found, kept on the gutter while the next check runs
};

// An element with attributes and children (strings become text).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, String(v));
    else e[k] = v;
  }
  for (const c of children) {
    if (c !== null && c !== undefined) e.append(c);
  }
  return e;
}

// Every call to /v1 carries the token, when one is set. A 401 says so next to the token field.
async function api(path, options) {
  const opts = Object.assign({ cache: 'no-store', credentials: 'omit' }, options || {});
  const headers = new Headers(opts.headers || {});
  if (state.token) headers.set('Authorization', 'Bearer ' + state.token);
  opts.headers = headers;
  const res = await fetch(path, opts);
  if (res.status === 401) {
    tokenState(state.token ? 'token refused' : 'a token is required', true);
  } else if (res.ok && state.token) {
    tokenState('token accepted', false);
  }
  return res;
}

// The JSON error message of an answer, or its status.
async function failure(res) {
  try {
    const v = await res.json();
    return v.message || v.error || res.statusText;
  } catch (e) {
    return res.status + ' ' + res.statusText;
  }
}

function tokenState(text, bad) {
  const s = $('token-state');
  s.textContent = text;
  s.classList.toggle('bad', bad);
}

// ---- The editor: line numbers, problems at their lines, checked as you type ----

function syntaxOf(text) {
  const chosen = $('syntax').value;
  if (chosen !== 'auto') return chosen;
  return /^\s*[{[]/.test(text) ? 'json' : 'yaml';
}

function contentType(text) {
  return syntaxOf(text) === 'json' ? 'application/json' : 'application/yaml';
}

function lineCount(text) {
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

// One gutter row per line, each keyed by its number; rows of lines with problems are marked
// and carry the messages as a tooltip.
function renderGutter() {
  const errors = state.errors;
  const text = $('task').value;
  const gutter = $('gutter');
  const byLine = new Map();
  for (const e of errors || []) {
    if (!e.line) continue;
    const list = byLine.get(e.line) || [];
    list.push(e.message);
    byLine.set(e.line, list);
  }
  const rows = [];
  const n = lineCount(text);
  for (let i = 1; i <= n; i++) {
    const messages = byLine.get(i);
    rows.push(el('div', {
      class: messages ? 'ln error' : 'ln',
      'data-line': i,
      title: messages ? messages.join('\n') : null,
    }, String(i)));
  }
  // A problem past the last line (an empty document) still shows.
  for (const [line, messages] of byLine) {
    if (line > n) rows.push(el('div', { class: 'ln error', 'data-line': line, title: messages.join('\n') }, String(line)));
  }
  gutter.replaceChildren(...rows);
  gutter.scrollTop = $('task').scrollTop;
}

function goToLine(line, column) {
  const area = $('task');
  const lines = area.value.split('\n');
  let at = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i++) at += lines[i].length + 1;
  at += Math.max(0, (column || 1) - 1);
  area.focus();
  area.setSelectionRange(at, at);
  const lineHeight = 20;
  area.scrollTop = Math.max(0, (line - 3) * lineHeight);
}

// The problems, in file order, each at its line and column, with its JSON pointer, its message
// and its help when the service has one.
function renderErrors(errors) {
  const list = $('errors');
  const status = $('check-state');
  state.errors = errors;
  renderGutter();
  if (errors.length === 0) {
    list.replaceChildren(el('li', { class: 'ok' }, 'No problems: the task is valid.'));
    status.textContent = 'valid';
    status.className = 'ok';
    return;
  }
  status.textContent = errors.length === 1 ? '1 problem' : errors.length + ' problems';
  status.className = 'bad';
  list.replaceChildren(...errors.map((e) => {
    const where = e.line ? 'line ' + e.line + ':' + (e.column || 1) : 'document';
    const at = el('button', { type: 'button', class: 'at link', title: 'Go to ' + where }, where);
    if (e.line) at.addEventListener('click', () => goToLine(e.line, e.column));
    else at.disabled = true;
    return el('li', { class: 'diag', 'data-line': e.line || '', 'data-column': e.column || '', 'data-path': e.path },
      at,
      el('code', { class: 'path' }, e.path || '/'),
      el('span', { class: 'message' }, e.message),
      e.help ? el('span', { class: 'help' }, 'help: ' + e.help) : null);
  }));
}

function scheduleCheck() {
  sessionStorage.setItem(TASK_KEY, $('task').value);
  renderGutter();
  clearTimeout(state.checkTimer);
  state.checkTimer = setTimeout(check, CHECK_DELAY_MS);
}

async function check() {
  const text = $('task').value;
  const seq = ++state.checkSeq;
  if (text.trim() === '') {
    $('errors').replaceChildren(el('li', { class: 'none' }, 'None yet: type or paste a task.'));
    $('check-state').textContent = '';
    state.errors = [];
    renderGutter();
    return;
  }
  $('check-state').textContent = 'checking…';
  $('check-state').className = '';
  let res;
  try {
    res = await api('/v1/check', { method: 'POST', headers: { 'Content-Type': contentType(text) }, body: text });
  } catch (e) {
    if (seq === state.checkSeq) $('check-state').textContent = 'the service does not answer';
    return;
  }
  if (seq !== state.checkSeq) return; // a newer check is under way
  if (!res.ok) {
    $('check-state').textContent = 'not checked: ' + (await failure(res));
    $('check-state').className = 'bad';
    return;
  }
  const v = await res.json();
  if (seq === state.checkSeq) renderErrors(v.errors);
}

// ---- Reports ----

// A report fragment from the service, parsed inertly and inserted as nodes.
function showReport(html, heading, note) {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const article = doc.querySelector('article.arbiter-report');
  $('report-heading').textContent = heading;
  $('report-note').textContent = note;
  $('report').replaceChildren(...(article ? [document.adoptNode(article)] : []));
}

function reportMessage(heading, message) {
  $('report-heading').textContent = heading;
  $('report-note').textContent = message;
  $('report').replaceChildren();
}

async function decide() {
  const text = $('task').value;
  const button = $('decide');
  button.disabled = true;
  $('report-note').textContent = 'Deciding…';
  try {
    const res = await api('/v1/select?format=html', {
      method: 'POST', headers: { 'Content-Type': contentType(text) }, body: text,
    });
    if (res.ok) {
      const id = res.headers.get('x-decision-id') || '';
      showReport(await res.text(), 'Report of the decision just made',
        'Decision ' + id + ', made with the active bundle and priced with it.');
      state.openId = null;
      loadRecent(null, []);
    } else if (res.status === 400) {
      const v = await res.json();
      if (v.errors) renderErrors(v.errors);
      reportMessage('Report', 'Not decided: the task has problems (listed under the editor).');
    } else {
      reportMessage('Report', 'Not decided: ' + (await failure(res)));
    }
  } catch (e) {
    reportMessage('Report', 'Not decided: the service does not answer.');
  } finally {
    button.disabled = false;
  }
}

const PRICED_BY = {
  active: 'Costs and counterfactuals computed with the active bundle, which is the one that decided (same hash).',
  archive: 'Costs and counterfactuals computed with the archived copy of the bundle that decided (the log\u2019s archive).',
  none: 'No cost chart or counterfactuals: neither the active bundle nor the log\u2019s archive holds the bundle that decided.',
};

async function openLogged(id, seq) {
  state.openId = id;
  markOpen();
  $('report-note').textContent = 'Loading decision ' + id + '…';
  try {
    const res = await api('/v1/decisions/' + encodeURIComponent(id) + '/report');
    if (res.ok) {
      const by = res.headers.get('x-arbiter-priced-by') || 'none';
      showReport(await res.text(), 'Report of logged decision #' + seq,
        'Decision ' + id + ' as the log recorded it. ' + (PRICED_BY[by] || ''));
    } else {
      reportMessage('Report of logged decision #' + seq, 'Not shown: ' + (await failure(res)));
    }
  } catch (e) {
    reportMessage('Report', 'Not shown: the service does not answer.');
  }
}

// ---- Recent decisions, newest first, a page at a time ----

function markOpen() {
  for (const tr of $('recent-rows').children) {
    tr.classList.toggle('current', tr.dataset.id === state.openId);
  }
}

async function loadRecent(before, newer) {
  const status = $('recent-state');
  let url = '/v1/decisions?limit=' + PAGE_SIZE;
  if (before !== null) url += '&before=' + before;
  let res;
  try {
    res = await api(url);
  } catch (e) {
    status.textContent = 'The service does not answer.';
    return;
  }
  if (!res.ok) {
    status.textContent = await failure(res);
    $('recent-rows').replaceChildren();
    $('older').disabled = $('newer').disabled = true;
    return;
  }
  const page = await res.json();
  state.before = before;
  state.newer = newer;
  state.next = page.next_before;
  const rows = page.decisions.map((d) => {
    const open = el('button', { type: 'button', class: 'link open', title: 'Show the report of decision ' + d.decision_id },
      d.task || d.decision_id);
    open.addEventListener('click', () => openLogged(d.decision_id, d.seq));
    const chosen = d.chosen ? el('code', {}, d.chosen) : el('span', { class: 'note' }, String(d.outcome || '').replace('_', ' '));
    return el('tr', { 'data-id': d.decision_id, 'data-seq': d.seq },
      el('td', { class: 'seq' }, String(d.seq)),
      el('td', { title: d.task || '' }, open),
      el('td', { title: d.chosen || d.outcome }, chosen),
      el('td', { class: 'when', title: d.created_at }, clock(d.created_at)));
  });
  $('recent-rows').replaceChildren(...rows);
  status.textContent = rows.length === 0 ? 'No decision logged yet.' : '';
  $('older').disabled = page.next_before === null || page.next_before === undefined;
  $('newer').disabled = newer.length === 0;
  $('page-label').textContent = rows.length
    ? '#' + page.decisions[0].seq + ' to #' + page.decisions[rows.length - 1].seq : '';
  markOpen();
}

// The time of day of a decision made today, else its date (the whole time is in the tooltip).
function clock(iso) {
  const t = new Date(iso);
  if (isNaN(t)) return iso || '';
  if (t.toDateString() === new Date().toDateString()) {
    return t.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  }
  return t.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

function when(iso) {
  const t = new Date(iso);
  if (isNaN(t)) return iso || '';
  return t.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// ---- The active bundle ----

async function loadBundle() {
  const facts = $('bundle-facts');
  const failureLine = $('bundle-failure');
  let res;
  try {
    res = await api('/v1/bundle');
  } catch (e) {
    facts.replaceChildren(el('dt', {}, 'status'), el('dd', {}, 'the service does not answer'));
    return;
  }
  if (!res.ok) {
    facts.replaceChildren(el('dt', {}, 'status'), el('dd', {}, await failure(res)));
    failureLine.hidden = true;
    return;
  }
  const b = await res.json();
  const row = (name, value, key) => [el('dt', {}, name), el('dd', { 'data-fact': key }, value)];
  const r = b.reloads || {};
  facts.replaceChildren(
    ...row('bundle', b.name ? b.name + ' ' + b.version : 'none active yet', 'name'),
    ...row('hash', b.hash ? el('code', {}, b.hash) : '—', 'hash'),
    ...row('generation', String(b.generation), 'generation'),
    ...row('loaded', b.loaded_at ? when(b.loaded_at) : '—', 'loaded_at'),
    ...row('models', b.models === null || b.models === undefined ? '—' : String(b.models), 'models'),
    ...row('reloads', (r.activated || 0) + ' activated, ' + (r.rejected || 0) + ' rejected, ' + (r.unchanged || 0) + ' unchanged', 'reloads'),
  );
  const f = b.last_failure;
  if (f) {
    let where = f.file || '';
    if (f.line) where += ':' + f.line + ':' + (f.column || 1);
    failureLine.replaceChildren('Last reload refused (' + when(f.at) + '): ',
      where ? el('span', { class: 'where' }, where) : null, where ? ': ' : '', f.message,
      '. The bundle above keeps serving.');
    failureLine.hidden = false;
  } else {
    failureLine.hidden = true;
  }
}

// ---- Wiring ----

function refreshAll() {
  loadBundle();
  loadRecent(null, []);
  if ($('task').value.trim() !== '') check();
}

function start() {
  const area = $('task');
  area.value = sessionStorage.getItem(TASK_KEY) || '';
  area.addEventListener('input', scheduleCheck);
  area.addEventListener('scroll', () => { $('gutter').scrollTop = area.scrollTop; });
  $('syntax').addEventListener('change', scheduleCheck);
  $('decide').addEventListener('click', decide);
  $('token').value = state.token;
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.token = $('token').value.trim();
    if (state.token) sessionStorage.setItem(TOKEN_KEY, state.token);
    else sessionStorage.removeItem(TOKEN_KEY);
    tokenState(state.token ? 'token set' : 'no token', false);
    refreshAll();
  });
  $('bundle-refresh').addEventListener('click', loadBundle);
  $('recent-refresh').addEventListener('click', () => loadRecent(state.before, state.newer));
  $('older').addEventListener('click', () => {
    if (state.next !== null) loadRecent(state.next, state.newer.concat([state.before]));
  });
  $('newer').addEventListener('click', () => {
    const newer = state.newer.slice();
    const before = newer.pop();
    loadRecent(before === undefined ? null : before, newer);
  });
  renderGutter();
  refreshAll();
  setInterval(loadBundle, BUNDLE_REFRESH_MS);
}

start();
