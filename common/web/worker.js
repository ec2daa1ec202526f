// worker.js -- the grid worker's report form (网格员上报), phone first. A report is saved only
// when the node says so; on a slow or broken link it is sent again with the same request id,
// which the front recognises, so a retry never makes a second case.
'use strict';

(() => {
  const { el, $, clear, api } = GN;
  let me = null;
  let coords = null;              // {lat, lon} from the phone's location, or null
  let pending = null;             // the report being sent: {body, rid}
  let refreshTimer = null;
  const RETRY_FOR_MS = 5 * 60 * 1000;   // keep retrying a report this long

  function status(kind, ...text) {
    const box = $('#f-status');
    box.hidden = false;
    box.className = `status ${kind}`;
    clear(box).append(...text);
  }

  async function loadMine() {
    const doc = await api('/api/cases?mine=1&limit=50');
    const box = clear($('#my-cases'));
    if (!doc.cases.length) box.append(el('li', { class: 'empty' }, '还没有上报 nothing reported yet'));
    for (const c of doc.cases)
      box.append(el('li', { dataset: { case: c.id, status: c.status } },
        el('span', { class: 'title' }, c.title || c.category),
        GN.statusBadge(c.status),
        el('span', { class: 'meta' }, el('span', { class: 'id' }, c.id), ' · ', c.category, ' · ',
           GN.when(c.created), c.overdue ? ' · 超期 overdue' : '')));
  }
  function loadMineSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => loadMine().catch(() => {}), 500);
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const online = () => (navigator.onLine ? Promise.resolve()
    : new Promise((r) => window.addEventListener('online', r, { once: true })));

  // Send the pending report until the node answers: 200 saved, 4xx refused (the form stays).
  async function send() {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      await online();
      try {
        return await api('/api/cases', { method: 'POST', body: pending.body, timeout: 20000 });
      } catch (e) {
        const again = e.status === 0 || e.status === 503 || e.status === 409 || e.status >= 500;
        if (!again || Date.now() - started > RETRY_FOR_MS) throw e;
        const wait = Math.min(1000 * 2 ** (attempt - 1), 15000);
        status('saving', `网络较慢，正在重试（第${attempt}次）… / Slow link, retrying (${attempt})… `,
               el('small', {}, e.message));
        await sleep(wait);
      }
    }
  }

  async function submit(ev) {
    ev.preventDefault();
    const description = $('#f-description').value.trim();
    if (!$('#f-grid').value || !$('#f-category').value || !description) {
      status('failed', '请选择网格、类别并填写描述 / choose a grid and a category and describe the case');
      return;
    }
    const body = {
      grid: $('#f-grid').value,
      category: $('#f-category').value,
      description,
      severity: document.querySelector('input[name=severity]:checked').value,
      address: $('#f-address').value.trim() || undefined,
      lat: coords ? coords.lat : undefined,
      lon: coords ? coords.lon : undefined,
    };
    // The same report again (say, after a failure) keeps its request id; a changed one gets a new.
    const same = pending && JSON.stringify(pending.body) === JSON.stringify(body);
    if (!same) pending = { body, rid: GN.requestId() };
    pending.body.request_id = pending.rid;
    const btn = $('#f-submit');
    btn.disabled = true;
    status('saving', '正在保存… / Saving…');
    try {
      const saved = await send();
      status('saved', `已保存 / Saved: case ${saved.case_id}`,
             el('small', {}, ` · ${GN.full(saved.saved || Date.now())}${saved.replayed ? ' (已确认 confirmed)' : ''}`));
      pending = null;
      $('#f-description').value = '';
      $('#f-address').value = '';
      document.querySelector('input[name=severity][value=general]').checked = true;
      coords = null;
      $('#f-coords').textContent = '';
      loadMineSoon();
    } catch (e) {
      delete pending.body.request_id;
      status('failed', `未保存 / Not saved: ${e.message}`,
             e.status === 0 ? el('small', {}, ' 请检查\u201c我的案件\u201d后重试 / check My cases, then try again') : '');
    } finally {
      btn.disabled = false;
    }
  }

  function locate() {
    if (!navigator.geolocation) {
      $('#f-coords').textContent = '此设备不能定位 / no location on this device: type the address';
      return;
    }
    $('#f-coords').textContent = '正在定位… / locating…';
    navigator.geolocation.getCurrentPosition(
      (p) => {
        coords = { lat: Math.round(p.coords.latitude * 1e6) / 1e6, lon: Math.round(p.coords.longitude * 1e6) / 1e6 };
        $('#f-coords').textContent = `${coords.lat}, ${coords.lon} (±${Math.round(p.coords.accuracy)} m)`;
      },
      (e) => { $('#f-coords').textContent = `定位失败 / no location: ${e.message}`; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  let started = false;
  async function start(who) {
    me = who;
    $('#who').textContent = `${me.name || me.user}`;
    $('#node-name').textContent = me.node_name || GN.code(me.node);
    if (started) { loadMine().catch(() => {}); return; }
    started = true;
    const [d, cats] = await Promise.all([api('/api/divisions'), api('/api/ref/categories')]);
    const grid = clear($('#f-grid'));
    for (const t of d.towns)
      for (const v of t.villages)
        for (const g of v.grids)
          grid.append(el('option', { value: g.code, selected: g.code === me.grid },
                         `${v.name} ${g.code.slice(-3)}号网格 (${g.code})`));
    const cat = clear($('#f-category'));
    cat.append(el('option', { value: '' }, '— 请选择 choose —'));
    for (const c of cats.categories)
      cat.append(el('option', { value: c.name }, `${c.name} ${c.name_en ? `· ${c.name_en}` : ''}`));
    $('#report').addEventListener('submit', submit);
    $('#f-locate').addEventListener('click', locate);
    await loadMine();
    GN.live(() => loadMineSoon(), () => loadMineSoon(),
            (on) => { $('#live').className = `live ${on ? 'on' : 'off'}`; $('#live').textContent = on ? '● 实时 live' : '○ 离线 offline'; });
    document.body.dataset.ready = '1';
  }

  document.addEventListener('DOMContentLoaded', () => GN.setupLogin(start));
})();
