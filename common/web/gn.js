// gn.js -- what both pages share: the API calls, the login form, the live events, names and
// times. Plain JavaScript, no framework. Data goes into the page only as text (textContent,
// createTextNode), never as HTML.
'use strict';

const GN = (() => {
  const STATUS = {
    reported: ['已上报', 'Reported', '--reported'], accepted: ['已受理', 'Accepted', '--accepted'],
    dispatched: ['已派遣', 'Dispatched', '--dispatched'], handled: ['已处置', 'Handled', '--handled'],
    verified: ['已核查', 'Verified', '--closed'], archived: ['已归档', 'Archived', '--closed'],
    evaluated: ['已评价', 'Evaluated', '--closed'], rejected: ['已退回', 'Rejected', '--rejected'],
  };
  const ACTION = {
    report: ['上报', 'report'], accept: ['受理', 'accept'], dispatch: ['派遣', 'dispatch'],
    handle: ['处置', 'handle'], verify: ['核查', 'verify'], archive: ['归档', 'archive'],
    evaluate: ['评价', 'evaluate'], escalate: ['上交', 'escalate'], return: ['退回', 'return'],
    reject: ['驳回', 'reject'], supervise: ['督办', 'supervise'], meeting: ['联席会议', 'meeting'],
    overdue: ['超期', 'overdue'], refdata: ['基础数据', 'reference data'],
  };
  const SEVERITY = { general: ['一般', 'general'], major: ['重大', 'major'],
                     emergency: ['紧急', 'emergency'] };
  const LEVEL = { 1: ['区', 'district'], 2: ['镇街', 'town'], 3: ['村社区', 'village'] };

  // el('li', {class: 'x', dataset: {case: id}, onclick: f}, 'text', child...) -- text only.
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else if (k === 'style') for (const [p, x] of Object.entries(v)) e.style.setProperty(p, x);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat()) {
      if (kid === undefined || kid === null || kid === false) continue;
      e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return e;
  }
  const $ = (sel) => document.querySelector(sel);
  const clear = (node) => { while (node.firstChild) node.removeChild(node.firstChild); return node; };

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  // One API call: JSON in and out, the session cookie, X-Gridnet on writes, a deadline.
  async function api(path, { method = 'GET', body, timeout = 15000 } = {}) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeout);
    const headers = { Accept: 'application/json' };
    if (method !== 'GET') {
      headers['X-Gridnet'] = '1';
      headers['Content-Type'] = 'application/json; charset=utf-8';
    }
    let res;
    try {
      res = await fetch(path, { method, headers, credentials: 'same-origin', signal: ctl.signal,
                                body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, e.name === 'AbortError' ? '网络超时 / the network timed out'
                                                     : '网络不通 / no network');
    } finally {
      clearTimeout(timer);
    }
    let doc = null;
    try { doc = await res.json(); } catch (e) { doc = null; }
    if (!res.ok) {
      if (res.status === 401 && path !== '/api/login') loginNeeded();
      throw new ApiError(res.status, (doc && doc.error) || `HTTP ${res.status}`);
    }
    return doc;
  }

  // ---- login ----
  let onLogin = null;
  function loginNeeded() {
    $('#app').hidden = true;
    $('#login').hidden = false;
    $('#login-user').focus();
  }
  function setupLogin(start) {
    onLogin = start;
    $('#login-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const btn = $('#login-submit');
      const msg = $('#login-error');
      btn.disabled = true;
      msg.textContent = '';
      try {
        const me = await api('/api/login', { method: 'POST',
          body: { user: $('#login-user').value.trim(), password: $('#login-password').value } });
        $('#login-password').value = '';
        let who = me;
        try { who = await api('/api/me'); } catch (e) { /* the login's answer will do */ }
        $('#login').hidden = true;
        $('#app').hidden = false;
        onLogin(who);
      } catch (e) {
        msg.textContent = e.message;
      } finally {
        btn.disabled = false;
      }
    });
    $('#logout').addEventListener('click', async () => {
      try { await api('/api/logout', { method: 'POST', body: {} }); } catch (e) { /* gone anyway */ }
      location.reload();
    });
    api('/api/me').then((me) => { $('#login').hidden = true; $('#app').hidden = false; onLogin(me); },
                        () => loginNeeded());
  }

  // ---- live events (server-sent events from the node's change stream) ----
  function live(onChange, onReset, onState) {
    let es = null;
    let retry = null;
    function open() {
      es = new EventSource('/api/events');
      es.addEventListener('open', () => { onState(true); onReset(); });
      es.addEventListener('change', (ev) => {
        let data;
        try { data = JSON.parse(ev.data); } catch (e) { return; }
        onChange(data);
      });
      es.addEventListener('reset', () => onReset());
      es.addEventListener('error', () => {
        onState(false);
        if (es.readyState === EventSource.CLOSED) {   // refused: the session, or too many pages
          es = null;
          clearTimeout(retry);
          retry = setTimeout(() => api('/api/me').then(open, () => {}), 5000);
        }
      });
    }
    open();
  }

  // ---- names and times ----
  const tz = 'Asia/Shanghai';
  const fmtDT = new Intl.DateTimeFormat('zh-CN', { timeZone: tz, month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hour12: false });
  const fmtT = new Intl.DateTimeFormat('zh-CN', { timeZone: tz, hour: '2-digit', minute: '2-digit',
    second: '2-digit', hour12: false });
  const fmtFull = new Intl.DateTimeFormat('zh-CN', { timeZone: tz, year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  const when = (ms) => (ms ? fmtDT.format(new Date(ms)) : '—');
  const clock = (ms) => fmtT.format(new Date(ms));
  const full = (ms) => (ms ? fmtFull.format(new Date(ms)) : '—');
  const monthOf = (ms) => {
    const d = new Date(ms + 8 * 3600 * 1000);   // China Standard Time, no DST
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  };
  function statusBadge(st) {
    const s = STATUS[st] || [st, st, '--rejected'];
    return el('span', { class: 'badge', style: { '--c': `var(${s[2]})` }, title: s[1] }, s[0]);
  }
  const statusName = (st) => (STATUS[st] ? `${STATUS[st][0]} ${STATUS[st][1]}` : st);
  const statusShort = (st) => (STATUS[st] ? STATUS[st][0] : st);
  const actionName = (a) => (ACTION[a] ? `${ACTION[a][0]} ${ACTION[a][1]}` : a);
  const severityName = (s) => (SEVERITY[s] ? `${SEVERITY[s][0]} ${SEVERITY[s][1]}` : s || '');
  const levelName = (l) => (LEVEL[l] ? `${LEVEL[l][0]} ${LEVEL[l][1]}` : '');
  const code = (n) => String(n).padStart(12, '0');

  // A random id for a report, so that retries of it are recognised (works without HTTPS).
  function requestId() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  return { el, $, clear, api, ApiError, setupLogin, loginNeeded, live, when, clock, full, monthOf,
           statusBadge, statusName, statusShort, actionName, severityName, levelName, code, requestId, STATUS };
})();
