// The pipechat web client: plain ES modules, no build step. Speaks PROTOCOL.md over /v1/ws.
//
// Delivery contract kept here: every msg/receipt frame is stored (localStorage) before it is
// acked; frames whose seq was already seen are dropped, so redeliveries after a reconnect never
// show twice; messages still waiting for `sent` are sent again (same id) after a reconnect.
import {open, shrinkImage, upload} from './media.js';
import {systemText, applySystem, applyGroup, renderGroupInfo} from './groups.js';

const $ = id => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) if (c != null) e.append(c);
  return e;
};

// ---- session and persistent state ----------------------------------------------------------
let session = JSON.parse(localStorage.getItem('pipechat.session') || 'null');
// One device per browser (PROTOCOL.md, Devices): chosen once and kept, so the server keeps one ack
// cursor for this browser; a second tab of it takes the connection over (close 4409).
let device = localStorage.getItem('pipechat.device');
if (!device) {
  const browser = (navigator.userAgent.match(/(Firefox|Edg|Chrome|Safari)\//) || [])[1] || 'browser';
  device = `web-${browser.toLowerCase()}-${Math.random().toString(36).slice(2, 6)}`;
  localStorage.setItem('pipechat.device', device);
}

let state = {lastSeq: 0, convs: {}};   // convs: key -> {key, kind, id, title, messages, unread, members, ...}
                                       // groups also: admins, createdBy, description, icon, gone (no longer a member)
let current = null;                    // key of the open conversation
const typingUntil = {};                // key -> {from, until}

const stateKey = () => `pipechat.state.${session.user}`;
const load = () => { state = JSON.parse(localStorage.getItem(stateKey()) || '{"lastSeq":0,"convs":{}}'); };
const save = () => localStorage.setItem(stateKey(), JSON.stringify(state));

function conv(kind, id, title) {
  const key = (kind === 'group' ? 'g:' : 'u:') + id;
  if (!state.convs[key]) state.convs[key] = {key, kind, id, title: title || id, messages: [], unread: 0};
  if (title) state.convs[key].title = title;
  return state.convs[key];
}

// ---- connection ----------------------------------------------------------------------------
let ws = null;
let backoff = 500;
let pingTimer = null;
let ackTimer = null;
let stopped = false;

function connect() {
  if (stopped) return;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  ws = new WebSocket(`${scheme}://${location.host}/v1/ws?access_token=${encodeURIComponent(session.token)}&device=${device}`);
  ws.onopen = () => { backoff = 500; };
  ws.onmessage = e => handle(JSON.parse(e.data));
  ws.onclose = e => {
    clearInterval(pingTimer);
    setStatus('offline');
    if (e.code === 4401 || e.code === 1008) { expired(); return; }
    if (e.code === 4409) { setStatus('open in another window'); return; }
    if (e.code === 4410) { signOut('This device was removed from your account.'); return; }
    if (e.code === 4403) { setStatus('too many devices'); showDevices(); return; }
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 8000);
  };
}

function send(frame) {
  if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(frame)); return true; }
  return false;
}

function setStatus(text) {
  $('status').textContent = text;
  $('status').classList.toggle('online', text === 'online');
}

function scheduleAck() {
  clearTimeout(ackTimer);
  ackTimer = setTimeout(() => send({type: 'ack', upto: state.lastSeq}), 100);
}

// ---- frames from the server ----------------------------------------------------------------
function handle(f) {
  switch (f.type) {
    case 'welcome':
      setStatus('online');
      pingTimer = setInterval(() => send({type: 'ping', ts: Date.now()}), 25000);
      resendPending();
      break;
    case 'sent':
      updateMine(f.id, m => { if (m.status === 'pending') m.status = 'sent'; m.ts = f.ts; });
      break;
    case 'msg':
      if (f.seq <= state.lastSeq) { scheduleAck(); return; }
      state.lastSeq = f.seq;
      receive(f);
      save();
      scheduleAck();
      break;
    case 'receipt':
      if (f.seq <= state.lastSeq) { scheduleAck(); return; }
      state.lastSeq = f.seq;
      applyReceipt(f);
      save();
      scheduleAck();
      break;
    case 'read':
      if (f.seq <= state.lastSeq) { scheduleAck(); return; }
      state.lastSeq = f.seq;
      applyReadElsewhere(f);
      save();
      scheduleAck();
      break;
    case 'devices':
      if (!$('devices').hidden) renderDevices(f.devices);
      break;
    case 'typing': {
      const key = f.to.group ? 'g:' + f.to.group : 'u:' + f.from;
      typingUntil[key] = {from: f.from, until: Date.now() + 4000};
      renderTyping();
      setTimeout(renderTyping, 4100);
      break;
    }
    case 'error':
      if (f.id) updateMine(f.id, m => { m.status = 'failed'; m.error = f.message; });
      else console.warn('server says', f);
      break;
  }
}

function receive(f) {
  const known = f.to.group && state.convs['g:' + f.to.group];
  const c = f.to.group ? conv('group', f.to.group) : conv('user', f.from === session.user ? f.to.user : f.from);
  if (f.to.group && !known) refreshGroup(c);
  if (c.messages.some(m => m.id === f.id && m.from === f.from)) return;
  if (f.system) { receiveSystem(c, f); return; }
  c.messages.push({id: f.id, from: f.from, mine: f.from === session.user, body: f.body, media: f.media, ts: f.ts, seq: f.seq});
  const visible = current === c.key && document.visibilityState === 'visible';
  if (!visible && f.from !== session.user) c.unread++;
  render();
  if (visible) markRead(c);
}

/** A change of the group, told in the conversation (never unread, never receipted); the open panel follows it. */
function receiveSystem(c, f) {
  applySystem(c, f.system, session.user);
  c.messages.push({id: f.id, from: f.from, system: f.system, ts: f.ts, seq: f.seq});
  render();
  if (current === c.key && !$('members').hidden && !c.gone) showGroupInfo(c, false).catch(() => {});
}

/** The group's info from the API into its conversation (a 404: no longer a member). */
function refreshGroup(c) {
  return api('GET', `/v1/groups/${c.id}`).then(g => { applyGroup(c, g); save(); render(); return g; })
    .catch(e => { if (e.status === 404) { c.gone = true; save(); render(); } });
}

function applyReceipt(f) {
  const c = state.convs[f.group ? 'g:' + f.group : 'u:' + f.by];
  const m = c && c.messages.find(x => x.mine && x.id === f.id);
  if (!m) return;
  m.deliveredBy = [...new Set([...(m.deliveredBy || []), f.by])];
  if (f.status === 'read') m.readBy = [...new Set([...(m.readBy || []), f.by])];
  renderMessages();
}

// Another device of mine read this message: it and everything before it there is read here too.
function applyReadElsewhere(f) {
  const c = state.convs[f.group ? 'g:' + f.group : 'u:' + f.from];
  if (!c) return;
  const upto = c.messages.findIndex(m => !m.mine && m.id === f.id && m.from === f.from);
  if (upto < 0) return;
  c.messages.slice(0, upto + 1).forEach(m => { if (!m.mine) m.readSent = true; });
  c.unread = c.messages.filter(m => !m.mine && !m.readSent && !m.system).length;
  render();
}

function updateMine(id, change) {
  for (const c of Object.values(state.convs)) {
    const m = c.messages.find(x => x.mine && x.id === id);
    if (m) { change(m); save(); renderMessages(); return; }
  }
}

function resendPending() {
  for (const c of Object.values(state.convs)) {
    for (const m of c.messages) {
      if (m.mine && m.status === 'pending') send(outgoing(c, m));
    }
  }
}

function markRead(c) {
  let changed = false;
  for (const m of c.messages) {
    if (!m.mine && !m.readSent && !m.system) {
      send(c.kind === 'group' ? {type: 'read', id: m.id, from: m.from, group: c.id} : {type: 'read', id: m.id, from: m.from});
      m.readSent = true;
      changed = true;
    }
  }
  c.unread = 0;
  if (changed) save();
}

// ---- sending -------------------------------------------------------------------------------
const newId = () => crypto.randomUUID();
const outgoing = (c, m) => ({type: 'send', id: m.id, to: c.kind === 'group' ? {group: c.id} : {user: c.id},
  ...(m.body ? {body: m.body} : {}), ...(m.media ? {media: m.media} : {})});

function sendMessage(c, body, media) {
  const m = {id: newId(), from: session.user, mine: true, body, media, ts: Date.now(), status: 'pending'};
  c.messages.push(m);
  save();
  send(outgoing(c, m));
  render();
}

/** A file as a media object: photos made smaller first, then sealed and uploaded. */
async function uploadFile(file) {
  let bytes = new Uint8Array(await file.arrayBuffer());
  let mime = file.type || 'application/octet-stream';
  const smaller = await shrinkImage(file);
  if (smaller) ({bytes, mime} = smaller);
  return upload(bytes, mime, session.token);
}

async function sendFile(c, file) {
  const media = await uploadFile(file);
  sendMessage(c, $('text').value.trim() || undefined, {...media, name: file.name});
  $('text').value = '';
}

const mediaUrls = {};
async function mediaUrl(media) {
  if (!mediaUrls[media.id]) {
    mediaUrls[media.id] = (async () => {
      const res = await fetch(`/v1/media/${media.id}`);
      if (!res.ok) throw new Error(`download failed: HTTP ${res.status}`);
      const plain = await open(media.id, new Uint8Array(await res.arrayBuffer()), media.key, media.size);
      return URL.createObjectURL(new Blob([plain], {type: media.mime}));
    })();
  }
  return mediaUrls[media.id];
}

// ---- HTTP API ------------------------------------------------------------------------------
async function api(method, path, body) {
  const res = await fetch(path, {method, headers: {Authorization: `Bearer ${session.token}`, 'Content-Type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body)});
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401) { expired(); throw new Error('unauthorized'); }
  if (!res.ok) throw Object.assign(new Error(data && data.message ? data.message : `HTTP ${res.status}`), {status: res.status});
  return data;
}

async function loadGroups() {
  try {
    for (const g of await api('GET', '/v1/groups')) conv('group', g.id, g.name);
    save();
    render();
  } catch (e) {
    console.warn('groups unavailable', e);
  }
}

/**
 * The group info panel of `c`, fresh from the API (its form filled with `fillForm`, see
 * renderGroupInfo); its buttons change the group and show it again.
 */
async function showGroupInfo(c, fillForm = true) {
  const g = await refreshGroup(c);
  if (!g) return;
  const change = async (method, path) => {
    try {
      await api(method, `/v1/groups/${c.id}${path}`);
      await showGroupInfo(c, false);
    } catch (err) {
      alert(err.message);
    }
  };
  renderGroupInfo(g, session.user, {
    promote: u => change('PUT', `/admins/${u}`),
    demote: u => change('DELETE', `/admins/${u}`),
    remove: u => change('DELETE', `/members/${u}`),
  }, el, fillForm);
}

/** Saves the info panel's name and description, and the icon if a file was picked. */
async function saveGroupInfo(c) {
  const info = {name: $('group-name').value.trim(), description: $('group-description').value.trim() || null};
  const file = $('group-icon-file').files[0];
  if (file) info.icon = await uploadFile(file);
  await api('PATCH', `/v1/groups/${c.id}`, info);
  $('group-icon-file').value = '';
  await showGroupInfo(c);
}

// ---- devices -------------------------------------------------------------------------------
async function showDevices() {
  $('devices').hidden = false;
  try {
    renderDevices(await api('GET', '/v1/devices'));
  } catch (e) {
    $('device-list').replaceChildren(el('li', {textContent: 'Devices unavailable: ' + e.message}));
  }
}

function renderDevices(devices) {
  const list = $('device-list');
  list.replaceChildren();
  for (const d of devices) {
    const seen = new Date(d.lastSeen).toLocaleString([], {dateStyle: 'short', timeStyle: 'short'});
    const li = el('li', {}, el('strong', {textContent: d.device}),
      ` ${d.device === device ? '(this browser)' : d.online ? 'online' : 'last seen ' + seen}`);
    li.dataset.device = d.device;
    if (d.device !== device) {
      const rm = el('button', {type: 'button', className: 'link', textContent: 'remove'});
      rm.setAttribute('aria-label', `Remove ${d.device}`);
      rm.onclick = async () => {
        if (!confirm(`Remove ${d.device}? It is signed out and no longer holds messages for you.`)) return;
        await api('DELETE', `/v1/devices/${d.device}`);
        showDevices();
      };
      li.append(' ', rm);
    }
    list.append(li);
  }
}

// ---- push notifications --------------------------------------------------------------------
const fromB64u = text => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0));

async function setUpPush(askPermission) {
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !window.isSecureContext) return;
  const config = await fetch('/v1/push/config');
  if (!config.ok) return;
  const {vapidPublicKey} = await config.json();
  $('enable-push').hidden = Notification.permission !== 'default';
  if (Notification.permission === 'default' && askPermission) await Notification.requestPermission();
  $('enable-push').hidden = Notification.permission !== 'default';
  if (Notification.permission !== 'granted') return;
  const registration = await navigator.serviceWorker.register('/sw.js');
  const subscription = await registration.pushManager.getSubscription()
    || await registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: fromB64u(vapidPublicKey)});
  await api('POST', '/v1/push/subscriptions', subscription.toJSON());
}

// ---- rendering -----------------------------------------------------------------------------
function lastLine(c) {
  const m = c.messages[c.messages.length - 1];
  if (!m) return '';
  if (m.system) return systemText(m.system, session.user) || '';
  return (m.media ? '[' + (m.media.mime.startsWith('image/') ? 'photo' : 'file') + '] ' : '') + (m.body || m.media?.name || '');
}

function render() {
  const list = $('conversations');
  list.replaceChildren();
  const convs = Object.values(state.convs).sort((a, b) =>
    ((b.messages.at(-1)?.ts) || 0) - ((a.messages.at(-1)?.ts) || 0));
  for (const c of convs) {
    const b = el('button', {type: 'button'},
      el('span', {}, el('strong', {textContent: c.title}), c.kind === 'group' ? el('span', {className: 'badge', textContent: 'group'}) : null,
        el('span', {className: 'preview', textContent: lastLine(c)})),
      c.unread ? el('span', {className: 'unread', textContent: String(c.unread)}) : null);
    b.dataset.key = c.key;
    b.setAttribute('aria-current', String(c.key === current));
    if (c.unread) b.setAttribute('aria-label', `${c.title}, ${c.unread} unread`);
    b.onclick = () => openConv(c.key);
    list.append(el('li', {}, b));
  }
  renderMessages();
}

function ticks(c, m) {
  if (m.status === 'failed') return el('span', {className: 'ticks', textContent: '⚠', title: m.error || 'failed'});
  if (m.status === 'pending') return el('span', {className: 'ticks', textContent: '…', title: 'sending'});
  const others = c.kind === 'group' ? Math.max(1, (c.members?.length || 2) - 1) : 1;
  const read = (m.readBy || []).length >= others;
  const delivered = (m.deliveredBy || []).length >= others;
  const t = el('span', {className: 'ticks' + (read ? ' read' : ''), textContent: delivered || read ? '✓✓' : '✓'});
  t.title = read ? 'read' : delivered ? 'delivered' : 'sent';
  return t;
}

function renderMessages() {
  const c = current && state.convs[current];
  const ol = $('messages');
  $('composer').hidden = !c || !!c.gone;
  $('gone').hidden = !c || !c.gone;
  $('members-toggle').hidden = !c || c.kind !== 'group' || !!c.gone;
  if (c && c.gone) $('members').hidden = true;
  renderIcon(c);
  if (!c) { ol.replaceChildren(); return; }
  $('chat-title').textContent = c.title;
  const atBottom = ol.scrollHeight - ol.scrollTop - ol.clientHeight < 40;
  ol.replaceChildren();
  for (const m of c.messages) {
    if (m.system) {
      const text = systemText(m.system, session.user);
      if (text) {
        const li = el('li', {className: 'msg system', textContent: text});
        li.dataset.event = m.system.event;
        ol.append(li);
      }
      continue;
    }
    const li = el('li', {className: 'msg' + (m.mine ? ' mine' : '')});
    li.dataset.id = m.id;
    if (m.mine) li.dataset.status = m.status === 'sent' ? (ticks(c, m).title) : m.status;
    if (c.kind === 'group' && !m.mine) li.append(el('div', {className: 'from', textContent: m.from}));
    if (m.media) li.append(mediaElement(m.media));
    if (m.body) li.append(el('div', {className: 'body', textContent: m.body}));
    const time = new Date(m.ts).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'});
    li.append(el('div', {className: 'meta'}, time, m.mine ? ticks(c, m) : null));
    ol.append(li);
  }
  if (atBottom) ol.scrollTop = ol.scrollHeight;
  renderTyping();
}

/** The open group's icon in the header (decrypted like any media), or none. */
function renderIcon(c) {
  const img = $('chat-icon');
  const icon = c && c.kind === 'group' ? c.icon : null;
  if (!icon) { img.hidden = true; img.removeAttribute('src'); delete img.dataset.id; return; }
  if (img.dataset.id === icon.id) return;
  img.dataset.id = icon.id;
  mediaUrl(icon).then(url => { if (img.dataset.id === icon.id) { img.src = url; img.hidden = false; } })
    .catch(e => console.warn('group icon unavailable', e));
}

function mediaElement(media) {
  const holder = el('div', {className: 'media', textContent: `${media.name || media.mime} (loading…)`});
  mediaUrl(media).then(url => {
    if (media.mime.startsWith('image/')) {
      holder.replaceChildren(el('img', {src: url, alt: media.name || 'photo'}));
    } else {
      holder.replaceChildren(el('a', {href: url, download: media.name || 'file', textContent: `Download ${media.name || 'file'}`}));
    }
  }).catch(e => { holder.textContent = `${media.name || 'file'}: ${e.message}`; });
  return holder;
}

function renderTyping() {
  const t = current && typingUntil[current];
  $('typing').textContent = t && t.until > Date.now() ? `${t.from} is typing…` : '';
}

function openConv(key) {
  current = key;
  const c = state.convs[key];
  document.querySelector('.app').classList.add('in-chat');
  $('members').hidden = true;
  markRead(c);
  if (c.kind === 'group' && !c.gone) refreshGroup(c);
  render();
  $('messages').scrollTop = $('messages').scrollHeight;
  $('text').focus();
}

// ---- sign in / out -------------------------------------------------------------------------
// A page that embeds this client can sign it in with a token of its own identity provider instead
// of the development sign-in (README.md, "The web client on a real deployment"):
// window.pipechat = {getToken: async () => '...'} or {token: '...'}, set before app.js runs, or
// <meta name="pipechat-token" content="...">.
async function hostToken() {
  const host = window.pipechat || {};
  if (typeof host.getToken === 'function') return (await host.getToken()) || null;
  if (host.token) return host.token;
  const meta = document.querySelector('meta[name="pipechat-token"]');
  return meta && meta.content ? meta.content : null;
}

/** The user a JWT names (its `sub`): the edge checks the token, the client only reads who it is for. */
function subjectOf(token) {
  try {
    return JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).sub || null;
  } catch {
    return null;
  }
}

/** Signs in with the host page's token, if it gives one. */
async function signInFromHost() {
  const token = await hostToken();
  const user = token && subjectOf(token);
  if (!user) return false;
  session = {user, token, host: true};
  return true;
}

/** The token was refused or expired: a host page is asked for a new one; otherwise sign in again. */
async function expired() {
  if (session && session.host) {
    const old = session.token;
    if (await signInFromHost() && session.token !== old) {
      // An open socket is closed to reconnect with the new token; a closed one reconnects now.
      if (ws && ws.readyState === WebSocket.OPEN) ws.close();
      else connect();
      return;
    }
  }
  signOut('Your session expired: sign in again.');
}

function start() {
  $('signin').hidden = true;
  $('app').hidden = false;
  $('signout').hidden = !!session.host;
  $('me-name').textContent = session.user;
  load();
  render();
  stopped = false;
  connect();
  loadGroups();
  setUpPush(false).catch(e => console.warn('push notifications unavailable', e));
}

function signOut(message) {
  stopped = true;
  if (ws) ws.close();
  localStorage.removeItem('pipechat.session');
  session = null;
  current = null;
  $('app').hidden = true;
  $('signin').hidden = false;
  if (message) alert(message);
}

$('signin-form').onsubmit = async e => {
  e.preventDefault();
  const user = $('signin-name').value.trim();
  const res = await fetch('/v1/dev/token', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({user})});
  if (!res.ok) { alert('Sign-in failed: ' + res.status); return; }
  session = await res.json();
  localStorage.setItem('pipechat.session', JSON.stringify({user: session.user, token: session.token}));
  start();
};
$('signout').onclick = () => signOut();
$('devices-toggle').onclick = () => { if ($('devices').hidden) showDevices(); else $('devices').hidden = true; };
$('enable-push').onclick = () => setUpPush(true).catch(e => alert('Notifications unavailable: ' + e.message));
$('new-chat').onsubmit = e => {
  e.preventDefault();
  const c = conv('user', $('new-chat-user').value.trim());
  $('new-chat-user').value = '';
  save();
  openConv(c.key);
};
$('new-group').onsubmit = async e => {
  e.preventDefault();
  const members = $('new-group-members').value.split(',').map(s => s.trim()).filter(Boolean);
  try {
    const g = await api('POST', '/v1/groups', {name: $('new-group-name').value.trim(), members});
    const c = conv('group', g.id, g.name);
    save();
    $('new-group').reset();
    $('new-group').closest('details').open = false;
    openConv(c.key);
  } catch (err) {
    alert('Could not create the group: ' + err.message);
  }
};
$('composer').onsubmit = e => {
  e.preventDefault();
  const text = $('text').value.trim();
  if (!text || !current) return;
  $('text').value = '';
  sendMessage(state.convs[current], text);
};
let lastTyping = 0;
$('text').oninput = () => {
  const c = current && state.convs[current];
  if (c && !c.gone && Date.now() - lastTyping > 2500) {
    lastTyping = Date.now();
    send({type: 'typing', to: c.kind === 'group' ? {group: c.id} : {user: c.id}});
  }
};
$('attach').onchange = async () => {
  const file = $('attach').files[0];
  $('attach').value = '';
  if (!file || !current) return;
  try {
    await sendFile(state.convs[current], file);
  } catch (err) {
    alert('Could not send the file: ' + err.message);
  }
};
$('members-toggle').onclick = () => {
  const panel = $('members');
  panel.hidden = !panel.hidden;
  if (!panel.hidden) showGroupInfo(state.convs[current]).catch(err => alert(err.message));
};
$('add-member').onsubmit = async e => {
  e.preventDefault();
  const c = state.convs[current];
  try {
    await api('POST', `/v1/groups/${c.id}/members`, {user: $('add-member-user').value.trim()});
    $('add-member-user').value = '';
    await showGroupInfo(c, false);
  } catch (err) {
    alert(err.message);
  }
};
$('group-edit').onsubmit = e => {
  e.preventDefault();
  saveGroupInfo(state.convs[current]).catch(err => alert('Could not change the group: ' + err.message));
};
$('remove-icon').onclick = () => {
  const c = state.convs[current];
  api('PATCH', `/v1/groups/${c.id}`, {icon: null}).then(() => showGroupInfo(c, false)).catch(err => alert(err.message));
};
/** Leaving or deleting keeps the conversation, read-only; the system message of the change follows. */
async function endMembership(c, method, path, question) {
  if (!confirm(question)) return;
  try {
    await api(method, `/v1/groups/${c.id}${path}`);
    c.gone = true;
    save();
    render();
  } catch (err) {
    alert(err.message);
  }
}
$('leave-group').onclick = () => {
  const c = state.convs[current];
  endMembership(c, 'DELETE', `/members/${session.user}`, `Leave ${c.title}?`);
};
$('delete-group').onclick = () => {
  const c = state.convs[current];
  endMembership(c, 'DELETE', '', `Delete ${c.title} for everyone?`);
};
$('back').onclick = () => { current = null; document.querySelector('.app').classList.remove('in-chat'); render(); };
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && current) { markRead(state.convs[current]); render(); }
});

if (await signInFromHost() || session) start(); else $('signin').hidden = false;
