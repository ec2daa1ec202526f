// center.js -- the command-center page (指挥中心大屏): counts, heat view, trends, overdue and
// supervised cases, the latest changes as they happen, joint meetings, and a case page with the
// case's full history. Everything shown is the node's subtree: the node holds nothing else.
'use strict';

(() => {
  const { el, $, clear, api } = GN;
  const names = new Map();        // node code -> name
  const departments = new Map();  // department code -> name
  let divisions = null;           // /api/divisions
  let summary = null;             // /api/summary
  let refreshTimer = null;
  const CHANGES_MAX = 60;

  const nodeName = (n) => {
    const c = GN.code(n);
    return names.get(c) || c;
  };

  // ---- counts ----
  function renderCounts() {
    const c = summary.counts || {};
    const closed = (c.verified || 0) + (c.archived || 0) + (c.evaluated || 0);
    const items = [
      ['在办', 'Open', summary.open, '--accent'],
      ['已上报', 'Reported', c.reported, '--reported'],
      ['已受理', 'Accepted', c.accepted, '--accepted'],
      ['已派遣', 'Dispatched', c.dispatched, '--dispatched'],
      ['已处置', 'Handled', c.handled, '--handled'],
      ['已结案', 'Closed', closed, '--closed'],
      ['超期', 'Overdue', summary.overdue, '--overdue'],
      ['督办', 'Supervised', summary.supervised, '--supervised'],
    ];
    const box = clear($('#counts'));
    for (const [zh, en, n, color] of items)
      box.append(el('div', { class: 'count', style: { '--c': `var(${color})` },
                             dataset: { count: en.toLowerCase() } },
                    el('div', { class: 'n' }, String(n || 0)),
                    el('div', { class: 'l' }, zh, el('small', {}, en))));
  }

  // ---- heat view: towns as rows, villages as cells ----
  function renderHeat() {
    const box = clear($('#heat'));
    if (!divisions) return;
    const v = (summary && summary.villages) || {};
    for (const town of divisions.towns) {
      const cells = el('div', { class: 'heat-cells' });
      let open = 0, late = 0;
      for (const village of town.villages) {
        const k = GN.code(village.code);
        const n = v[k] || { open: 0, overdue: 0 };
        open += n.open; late += n.overdue;
        const lvl = n.open === 0 ? 0 : n.open <= 2 ? 1 : n.open <= 5 ? 2 : 3;
        cells.append(el('div', {
          class: `cell l${lvl}${n.overdue ? ' has-overdue' : ''}`, dataset: { village: k },
          title: `${village.name} ${k}\n在办 open ${n.open} · 超期 overdue ${n.overdue}` },
          el('span', { class: 'k' }, String(n.open), n.overdue ? el('span', { class: 'od' }, String(n.overdue)) : null),
          el('span', { class: 'v' }, village.name.replace(/(社区|村)$/, ''))));
      }
      box.append(el('div', { class: 'heat-town', dataset: { town: GN.code(town.code) } },
        el('div', { class: 'name' }, town.name, el('small', {}, `在办 ${open} · 超期 ${late}`)), cells));
    }
  }

  // ---- case lists ----
  function caseItem(c, extra) {
    return el('li', { dataset: { case: c.id }, onclick: () => openCase(c.id), tabindex: 0 },
      GN.statusBadge(c.status),
      el('span', { class: 'title' }, c.title || c.category),
      el('span', { class: 'when' }, GN.when(c.updated || c.time)),
      el('span', { class: 'meta' }, el('span', { class: 'id' }, c.id), ' · ', c.category,
         c.grid ? ` · ${nodeName(c.grid.split('-')[0])}` : '', ' · ', nodeName(c.owner), extra || ''));
  }
  function renderList(sel, cases, extra) {
    const box = clear($(sel));
    if (!cases.length) box.append(el('li', { class: 'empty' }, '无 none'));
    for (const c of cases) box.append(caseItem(c, extra(c)));
  }
  function renderSummaryLists() {
    $('#n-overdue').textContent = String(summary.overdue);
    $('#n-supervised').textContent = String(summary.supervised);
    renderList('#overdue-list', summary.overdue_cases,
               (c) => ` · 期限 due ${GN.when(c.due)}`);
    renderList('#supervised-list', summary.supervised_cases,
               (c) => ` · 督办 ×${c.supervisions}${c.urgency ? ` · 紧急度 urgency ${c.urgency}` : ''}` +
                      (c.overdue ? ' · 超期 overdue' : ''));
  }

  // ---- latest changes ----
  function changeItem(ev, fresh) {
    const li = el('li', { class: fresh ? 'fresh' : '', dataset: { case: ev.case, action: ev.action },
                          onclick: () => openCase(ev.case), tabindex: 0 },
      GN.statusBadge(ev.status),
      el('span', { class: 'title' }, ev.action ? `${GN.actionName(ev.action)} · ` : '', ev.title || ev.category),
      el('span', { class: 'when' }, GN.clock(ev.time)),
      el('span', { class: 'meta' }, el('span', { class: 'id' }, ev.case), ' · ', ev.category,
         ' · ', nodeName(ev.node), ev.actor ? ` · ${ev.actor}` : '',
         ev.overdue ? ' · 超期 overdue' : '', ev.conflict ? ' · 冲突 conflict' : ''));
    return li;
  }
  function addChange(ev) {
    const box = $('#changes');
    const empty = box.querySelector('.empty');
    if (empty) empty.remove();
    box.prepend(changeItem(ev, true));
    while (box.children.length > CHANGES_MAX) box.lastChild.remove();
  }
  async function loadRecent() {
    const doc = await api('/api/cases?limit=25');
    const box = clear($('#changes'));
    const recent = doc.cases.slice().sort((a, b) => b.updated - a.updated);
    if (!recent.length) box.append(el('li', { class: 'empty' }, '暂无 nothing yet'));
    for (const c of recent)
      box.append(changeItem({ case: c.id, action: '', status: c.status, time: c.updated,
                              title: c.title, category: c.category, node: c.owner,
                              overdue: c.overdue }, false));
  }

  // ---- meetings ----
  const CLOSED = new Set(['verified', 'archived', 'evaluated', 'rejected']);
  function renderMeetings(doc) {
    const box = clear($('#meetings'));
    const now = doc.time || Date.now();
    let lateTasks = 0;
    const meetings = (doc.meetings || []).slice().sort((a, b) => (b.created || 0) - (a.created || 0)
                                                              || String(b.id).localeCompare(a.id));
    if (!meetings.length) box.append(el('p', { class: 'empty' }, '暂无联席会议 no joint meetings'));
    for (const m of meetings) {
      const rows = [];
      let late = 0;
      for (const r of m.resolutions || [])
        for (const t of r.tasks || []) {
          const isLate = t.overdue || (t.due && t.due < now && !CLOSED.has(t.status));
          if (isLate) late++;
          rows.push(el('tr', { class: isLate ? 'late' : '', dataset: { case: t.id },
                               onclick: () => openCase(t.id) },
            el('td', { class: 'nowrap' }, t.id), el('td', { title: GN.statusName(t.status) }, GN.statusShort(t.status)),
            el('td', {}, t.assignee ? (departments.get(t.assignee) || t.assignee) : nodeName(t.owner)),
            el('td', { class: 'nowrap' }, GN.when(t.due), isLate ? ' 逾期' : '')));
        }
      lateTasks += late;
      box.append(el('div', { class: `meeting${late ? ' late' : ''}`, dataset: { meeting: m.id } },
        el('h3', {}, `${m.id} · ${m.title}`),
        el('div', { class: 'meta' }, `${m.date} · 主持 chair ${m.chair}`,
           (m.attendees || []).length ? ` · 参会 ${m.attendees.map((a) => departments.get(a) || (/^\d{12}$/.test(a) ? nodeName(a) : a)).join('、')}` : ''),
        el('div', { class: 'meta' }, '案件 cases: ',
           ...(m.cases || []).map((id) => el('a', { href: `#/case/${encodeURIComponent(id)}`, class: 'mcase',
                                                   dataset: { case: id } }, id, ' '))),
        rows.length ? el('table', {}, el('tr', {}, el('th', {}, '任务 task'), el('th', {}, '状态 status'),
                                           el('th', {}, '承办 by'), el('th', {}, '期限 due')), rows)
                    : el('div', { class: 'meta' }, '尚无决议 no resolution yet')));
    }
    const badge = $('#n-late');
    badge.hidden = lateTasks === 0;
    badge.textContent = `逾期 late ${lateTasks}`;
  }

  // ---- trends: bars by category, lines by month (inline SVG) ----
  const SVG = 'http://www.w3.org/2000/svg';
  function svgEl(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function drawBars(svg, rows) {
    clear(svg);
    const box = svg.getBoundingClientRect();
    const w = Math.max(60, box.width), h = Math.max(40, box.height);
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    const fs = Math.max(10, Math.min(16, h / (rows.length + 1) * 0.7));
    const max = Math.max(1, ...rows.map((r) => r.n));
    const left = fs * 4.6, right = fs * 2.6, rowH = Math.min(h / Math.max(rows.length, 1), fs * 2);
    rows.forEach((r, i) => {
      const y = i * rowH;
      const bw = (w - left - right) * r.n / max;
      svg.append(svgEl('text', { x: left - 6, y: y + rowH * 0.68, 'text-anchor': 'end',
                                 'font-size': fs }, r.label));
      svg.append(svgEl('rect', { class: 'bar', x: left, y: y + rowH * 0.15, width: Math.max(bw, 1),
                                 height: rowH * 0.7, rx: 2 }));
      svg.append(svgEl('text', { class: 'val', x: left + bw + 4, y: y + rowH * 0.68, 'font-size': fs }, r.n));
    });
    if (!rows.length) svg.append(svgEl('text', { x: 10, y: 20, 'font-size': 14 }, '暂无数据 no data'));
  }
  function drawLines(svg, months) {
    clear(svg);
    const box = svg.getBoundingClientRect();
    const w = Math.max(60, box.width), h = Math.max(40, box.height);
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    const fs = Math.max(10, Math.min(16, h / 12));
    const pad = { l: fs * 2.4, r: fs, t: fs * 1.4, b: fs * 1.8 };
    const max = Math.max(1, ...months.map((m) => Math.max(m.reported, m.closed)));
    const x = (i) => pad.l + (months.length === 1 ? (w - pad.l - pad.r) / 2
                                                  : i * (w - pad.l - pad.r) / (months.length - 1));
    const y = (v) => h - pad.b - v * (h - pad.t - pad.b) / max;
    const step = Math.max(1, Math.ceil(months.length * fs * 2.6 / (w - pad.l - pad.r)));
    svg.append(svgEl('line', { class: 'axis', x1: pad.l, y1: h - pad.b, x2: w - pad.r, y2: h - pad.b }));
    svg.append(svgEl('text', { x: 2, y: y(max) + fs * 0.35, 'font-size': fs }, max));
    svg.append(svgEl('text', { x: 2, y: h - pad.b, 'font-size': fs }, 0));
    for (const [key, cls] of [['reported', 'line'], ['closed', 'line2']]) {
      const pts = months.map((m, i) => `${x(i)},${y(m[key])}`).join(' ');
      svg.append(svgEl('polyline', { class: cls, points: pts }));
    }
    months.forEach((m, i) => {
      svg.append(svgEl('circle', { class: 'dot', cx: x(i), cy: y(m.reported), r: 3 }));
      const label = i === 0 || m.month.endsWith('-01') ? `${m.month.slice(2, 4)}.${m.month.slice(5)}`
                                                      : m.month.slice(5);
      if (i % step === 0 || i === months.length - 1)
        svg.append(svgEl('text', { x: x(i), y: h - fs * 0.4, 'text-anchor': 'middle', 'font-size': fs }, label));
      if (m.reported) svg.append(svgEl('text', { class: 'val', x: x(i), y: y(m.reported) - 6,
                                                 'text-anchor': 'middle', 'font-size': fs }, m.reported));
    });
  }
  function monthsBack(n) {
    const out = [];
    const now = GN.monthOf(Date.now());
    let [yy, mm] = now.split('-').map(Number);
    for (let i = 0; i < n; i++) {
      out.unshift(`${yy}-${String(mm).padStart(2, '0')}`);
      if (--mm === 0) { mm = 12; yy--; }
    }
    return out;
  }
  let trend = null;
  let trendsAt = 0, trendsTimer = null;
  const TRENDS_EVERY_MS = 5000;   // the monthly report at most this often as changes come
  function trendsSoon() {
    if (trendsTimer) return;
    const wait = Math.max(2000, trendsAt + TRENDS_EVERY_MS - Date.now());
    trendsTimer = setTimeout(() => {
      trendsTimer = null;
      loadTrends().catch(() => {});
    }, wait);
  }
  async function loadTrends() {
    trendsAt = Date.now();
    const months = monthsBack(12);
    const from = months[0], to = months[months.length - 1];
    const doc = await api(`/api/report?from=${from}&to=${to}&by=category`, { timeout: 30000 });
    const rows = new Map((doc.months || []).map((r) => [r.month, r]));
    trend = {
      months: months.map((m) => ({ month: m, reported: (rows.get(m) || {}).reported || 0,
                                   closed: (rows.get(m) || {}).closed || 0 })),
      cats: (doc.groups || []).map((g) => ({ label: g.key, n: g.reported || 0 })),
      note: `月度分析 monthly report ${doc.from} – ${doc.to}: 上报 reported ${doc.totals ? doc.totals.reported : 0}` +
            (doc.totals && doc.totals.closure_rate !== null && doc.totals.closure_rate !== undefined
              ? ` · 结案率 closure rate ${Math.round(doc.totals.closure_rate * 100)}%` : ''),
    };
    trend.cats.sort((a, b) => b.n - a.n || a.label.localeCompare(b.label));
    trend.cats = trend.cats.slice(0, 11);
    drawTrends();
  }
  function drawTrends() {
    if (!trend) return;
    drawLines($('#trend-month'), trend.months);
    drawBars($('#trend-cat'), trend.cats);
    $('#trend-note').textContent = trend.note;
  }

  // ---- the case page ----
  async function openCase(id) {
    if (location.hash !== `#/case/${encodeURIComponent(id)}`) {
      location.hash = `#/case/${encodeURIComponent(id)}`;
      return;   // hashchange shows it
    }
    const page = $('#case');
    const body = clear($('#case-body'));
    $('#case-title').textContent = `${id} …`;
    page.hidden = false;
    let doc;
    try {
      doc = await api(`/api/cases/${encodeURIComponent(id)}`);
    } catch (e) {
      body.append(el('p', { class: 'error' }, e.message));
      return;
    }
    const c = doc.case;
    $('#case-title').textContent = `${c.id} · ${c.title || c.category}`;
    const fact = (k, v) => (v === undefined || v === '' || v === null ? null : el('div', {}, el('b', {}, k), String(v)));
    body.append(el('div', { class: 'facts' },
      el('div', {}, el('b', {}, '状态 Status'), GN.statusBadge(c.status),
         c.overdue ? el('span', { class: 'badge overdue' }, ' 超期 overdue') : null),
      fact('类别 Category', c.category),
      fact('严重程度 Severity', GN.severityName(c.severity)),
      fact('网格 Grid', c.grid ? `${c.grid} ${nodeName(c.grid.split('-')[0])}` : ''),
      fact('承办 Owner', c.owner ? `${nodeName(c.owner)} (${GN.levelName(c.level)})` : '转移中 in transfer'),
      fact('承办部门 Assignee', c.assignee ? (departments.get(c.assignee) || c.assignee) : ''),
      fact('上报 Reported', GN.full(c.created)),
      fact('期限 Due', c.due ? GN.full(c.due) : ''),
      fact('结案 Closed', c.closed ? GN.full(c.closed) : ''),
      fact('上报人 Reporter', c.reporter ? [c.reporter.name, c.reporter.id].filter(Boolean).join(' ') : ''),
      fact('电话 Phone', c.reporter && c.reporter.phone),
      fact('地址 Address', c.address),
      fact('坐标 Location', c.lat || c.lon ? `${c.lat}, ${c.lon}` : ''),
      fact('升级 Escalations', c.escalations),
      fact('返工 Reworks', c.reworks),
      fact('督办 Supervisions', c.supervisions),
      fact('联席会议 Meeting', c.meeting_id),
      fact('上级案件 Parent case', c.parent_case),
      fact('任务 Tasks', (c.tasks || []).join(', ')),
      fact('评价 Rating', c.rating ? `${c.rating}/5 ${c.comment || ''}` : ''),
      fact('处置结果 Feedback', c.feedback),
      fact('原因 Reason', c.reason)));
    if (c.description) body.append(el('div', { class: 'desc' }, c.description));
    const row = (op, conflict) => el('tr', { class: conflict ? 'conflict' : '', dataset: { action: op.action } },
      el('td', {}, `v${op.version}`), el('td', {}, GN.full(op.time)),
      el('td', {}, `${nodeName(op.node)} · ${GN.levelName(op.level)}`),
      el('td', {}, op.actor || '—'), el('td', {}, GN.actionName(op.action) + (conflict ? ' (冲突 conflict)' : '')),
      el('td', {}, op.to ? `→ ${nodeName(op.to)}` : ''), el('td', {}, GN.statusName(op.status)),
      el('td', { class: 'note' }, op.note || '', op.evidence ? ` [${op.evidence}]` : ''));
    body.append(el('h3', {}, `历史 History (${doc.history.length})`),
      el('table', { class: 'history', id: 'case-history' },
        el('thead', {}, el('tr', {}, ['版本 Ver', '时间 Time', '层级/节点 Level/node', '操作人 Actor',
                                      '操作 Action', '转至 To', '状态 Status', '说明 Note'].map((t) => el('th', {}, t)))),
        el('tbody', {}, doc.history.map((op) => row(op, false)), doc.conflicts.map((op) => row(op, true)))));
    if ((c.supervision || []).length)
      body.append(el('h3', {}, '督办 Supervisions'),
        el('ul', {}, c.supervision.map((s) => el('li', {}, `${GN.full(s.time)} · ${nodeName(s.origin)} · ${s.actor || ''} · ${s.note || ''}${s.due ? ` · 期限 due ${GN.full(s.due)}` : ''}`))));
  }
  function closeCase() {
    $('#case').hidden = true;
    if (location.hash.startsWith('#/case/')) history.replaceState(null, '', location.pathname);
  }
  function route() {
    const m = location.hash.match(/^#\/case\/(.+)$/);
    if (m) openCase(decodeURIComponent(m[1]));
    else $('#case').hidden = true;
  }

  // ---- refresh ----
  async function refresh() {
    try {
      const [s, m] = await Promise.all([api('/api/summary'), api('/api/meetings')]);
      summary = s;
      renderCounts();
      renderHeat();
      renderSummaryLists();
      renderMeetings(m);
    } catch (e) {
      if (e.status !== 401) $('#trend-note').textContent = `刷新失败 refresh failed: ${e.message}`;
    }
  }
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 600);
  }

  let started = false;
  async function start(me) {
    $('#who').textContent = `${me.name || me.user} (${me.role})`;
    $('#node-name').textContent = me.node_name || GN.code(me.node);
    document.title = `${me.node_name || ''} 指挥中心 · Command Center`;
    if (started) { refresh(); return; }
    started = true;
    setInterval(() => { $('#clock').textContent = GN.full(Date.now()); }, 1000);
    $('#clock').textContent = GN.full(Date.now());
    const [d, cats] = await Promise.all([api('/api/divisions'), api('/api/ref/categories')]);
    divisions = d;
    names.set(GN.code(d.node), d.name);
    for (const t of d.towns) {
      names.set(GN.code(t.code), t.name);
      for (const v of t.villages) names.set(GN.code(v.code), v.name);
    }
    for (const [k, v] of Object.entries(cats.departments || {})) departments.set(k, v);
    await Promise.all([refresh(), loadRecent()]);
    loadTrends().catch((e) => { $('#trend-note').textContent = `趋势不可用 trends unavailable: ${e.message}`; });
    setInterval(() => loadTrends().catch(() => {}), 5 * 60 * 1000);
    setInterval(refresh, 60 * 1000);   // deadlines pass without any op: look again now and then
    GN.live((ev) => { addChange(ev); refreshSoon(); trendsSoon(); },
            () => { refreshSoon(); trendsSoon(); },
            (on) => { $('#live').className = `live ${on ? 'on' : 'off'}`; });
    $('#case-close').addEventListener('click', closeCase);
    $('#case').addEventListener('click', (ev) => { if (ev.target.id === 'case') closeCase(); });
    document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') closeCase(); });
    window.addEventListener('hashchange', route);
    let resize = null;
    window.addEventListener('resize', () => { clearTimeout(resize); resize = setTimeout(drawTrends, 200); });
    route();
    document.body.dataset.ready = '1';
  }

  document.addEventListener('DOMContentLoaded', () => GN.setupLogin(start));
})();
