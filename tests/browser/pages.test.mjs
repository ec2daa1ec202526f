// pages.test.mjs -- the gridnet pages in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core), against the nodes tests/t_pages.sh started. Run by t_pages.sh as
//   node tests/browser/pages.test.mjs CONFIG.json
// CONFIG: {district, town, village: {code, url, dir}, gridctl, password, shots, tmp, scale}.
// Steps (each prints "ok N - ..."; the first failure ends the run with exit 1):
//   1. a wrong login at the district page is refused (401, the message shown, no session);
//   2. the district operator logs in to the command center (1920x1080);
//   3. a grid worker logs in to the village's form (390x844) and reports a case: the form says
//      "已保存 / Saved: case <id>" once the node has it, and the case is in "My cases"; the same
//      POST again (a retry) is the same case, and a POST without X-Gridnet is refused;
//   4. the district page shows the case in its latest changes, live, without a reload;
//   5. the case is escalated village -> town -> district (gridctl), put on a joint meeting and
//      resolved with two tasks, one due at once: the meeting list shows it, the late task marked;
//   6. the case page lists the case's steps across the levels;
//   7. the trends (the monthly report) count the case; screenshots of both pages at 1920x1080 and
//      390x844 (and the case page), PNGs of real size;
//   8. a town operator logs in at the town and logs out: the form is back, the cookie gone, and
//      the town node ended the session (its log says so);
//   9. with the pages still open, t_pages.sh stops the nodes (SIGTERM): the live stream ends and
//      the page says so.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const scale = Number(cfg.scale || 1);
const T = (ms) => ms * scale;
let n = 0;
const ok = (msg) => console.log(`ok ${++n} - ${msg}`);
function fail(msg) {
  console.error(`FAIL [pages.test.mjs]: ${msg}`);
  process.exit(1);
}
function check(cond, msg) { if (!cond) fail(msg); }
function gridctl(node, ...args) {
  return execFileSync(cfg.gridctl, ['-d', node.dir, ...args], { encoding: 'utf8' }).trim();
}
async function until(what, fn, ms = 20000) {
  const limit = Date.now() + T(ms);
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > limit) fail(`timed out after ${T(ms) / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const errors = [];
function watch(page, name) {
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  page.on('console', (m) => {
    // The 401 before logging in is an expected answer; anything else the page logs as an
    // error is a bug.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(`${name}: ${m.text()}`);
  });
}
async function login(page, user, password) {
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  // ---- 1. a wrong login ----
  const dctx = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN',
                                          timezoneId: 'Asia/Shanghai' });
  const center = await dctx.newPage();
  center.setDefaultTimeout(T(20000));
  watch(center, 'center');
  await center.goto(`${cfg.district.url}/`);
  check(new URL(center.url()).pathname === '/center', `/ at the district went to ${center.url()}`);
  await center.waitForSelector('#login:not([hidden])');
  const refused = center.waitForResponse((r) => r.url().endsWith('/api/login'));
  await login(center, `op-${cfg.district.code}`, 'not-the-password');
  check((await refused).status() === 401, 'a wrong password was not answered 401');
  await center.waitForFunction(() => document.querySelector('#login-error').textContent.includes('用户名或密码错误'));
  check(await center.isHidden('#app'), 'the page shows its content after a wrong login');
  check((await dctx.cookies()).every((c) => c.name !== 'gn_session' || !c.value),
        'a wrong login set a session cookie');
  ok('a wrong login is refused: 401 and "用户名或密码错误 / Wrong user or password", no session');

  // ---- 2. the command center ----
  await login(center, `op-${cfg.district.code}`, cfg.password);
  await center.waitForSelector('body[data-ready="1"]');
  const cookie = (await dctx.cookies()).find((c) => c.name === 'gn_session');
  check(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', `session cookie ${JSON.stringify(cookie)}`);
  check((await center.textContent('#node-name')).includes('杨陵区'), 'the district page does not name 杨陵区');
  const towns = await center.$$eval('#heat .heat-town', (ts) => ts.length);
  const cells = await center.$$eval('#heat .cell', (cs) => cs.length);
  check(towns === 5 && cells === 76, `heat view: ${towns} towns, ${cells} villages (expected 5, 76)`);
  await center.evaluate(() => { window.__noReload = 'still the same page'; });
  await center.waitForSelector('#live.on');
  ok('the district operator is in: HttpOnly SameSite=Strict session, heat view 5 towns x 76 villages, live');

  // ---- 3. the grid worker's form ----
  const vctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true,
                                          hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const form = await vctx.newPage();
  form.setDefaultTimeout(T(20000));
  watch(form, 'worker');
  await form.goto(`${cfg.village.url}/`);
  check(new URL(form.url()).pathname === '/worker', `/ at the village went to ${form.url()}`);
  await login(form, cfg.worker, cfg.password);
  await form.waitForSelector('body[data-ready="1"]');
  check(await form.inputValue('#f-grid') === cfg.worker_grid, `the worker's grid is not preselected: ${await form.inputValue('#f-grid')}`);
  const ncat = await form.$$eval('#f-category option', (os) => os.filter((o) => o.value).length);
  check(ncat === 11, `${ncat} categories in the form (expected the 11 of the reference data)`);
  await form.selectOption('#f-category', '矛盾纠纷');
  const text = `两户因宅基地边界发生争执，现场已劝解（浏览器测试 ${Date.now()}）`;
  await form.fill('#f-description', text);
  await form.click('.sev label:has(input[value=major])');
  check(await form.isChecked('input[name=severity][value=major]'), 'the severity did not change');
  await form.fill('#f-address', '凤岗路 12 号院东侧');
  const posted = form.waitForResponse((r) => r.url().endsWith('/api/cases') && r.request().method() === 'POST');
  await form.click('#f-submit');
  check(await form.isDisabled('#f-submit') || (await form.textContent('#f-status')).includes('Saved'),
        'the submit button was not disabled while saving');
  const answer = await posted;
  check(answer.status() === 200, `the report was answered ${answer.status()}: ${await answer.text()}`);
  const saved = await answer.json();
  await form.waitForSelector('#f-status.saved');
  const said = await form.textContent('#f-status');
  check(said.includes(`已保存 / Saved: case ${saved.case_id}`), `the form says "${said}"`);
  check(/^\d{12}-\d+$/.test(saved.case_id) && saved.case_id.startsWith(cfg.village.code),
        `case id ${saved.case_id}`);
  const id = saved.case_id;
  await form.waitForSelector(`#my-cases li[data-case="${id}"]`);
  check(await form.inputValue('#f-description') === '', 'the form kept the saved description');
  const shown = JSON.parse(gridctl(cfg.village, '--json', 'show', id));
  check(shown.state.reporter.id === cfg.worker && shown.history[0].actor === cfg.worker
        && shown.state.severity === 'major' && shown.state.description === text
        && shown.state.address === '凤岗路 12 号院东侧',
        `the case at the village: ${JSON.stringify(shown.state)}`);
  ok(`the worker reported ${id} through the form: "已保存 / Saved", in My cases, actor ${cfg.worker} at the node`);

  // The same report again (a retry after a lost answer) is the same case; a POST without the
  // pages' header (what another site could send) is refused.
  const sent = answer.request().postDataJSON();
  check(/^[0-9a-f]{32}$/.test(sent.request_id || ''), `the form sent request_id ${sent.request_id}`);
  const [again, foreign] = await form.evaluate(async (body) => {
    const post = (headers) => fetch('/api/cases', { method: 'POST', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', ...headers } });
    const a = await post({ 'X-Gridnet': '1' });
    const f = await post({});
    return [{ status: a.status, doc: await a.json() }, f.status];
  }, sent);
  check(again.status === 200 && again.doc.case_id === id && again.doc.replayed === true,
        `the retried report: ${JSON.stringify(again)}`);
  check(foreign === 403, `a POST without X-Gridnet got ${foreign}`);
  const i403 = errors.findIndex((e) => e.startsWith('worker:') && /status of 403/.test(e));
  if (i403 >= 0) errors.splice(i403, 1);   // that refusal, logged by the browser, was ours
  const mine = JSON.parse(gridctl(cfg.village, '--json', 'list', '--limit', '100')).cases
    .filter((c) => c.reporter && c.reporter.id === cfg.worker);
  check(mine.length === 1, `${mine.length} cases by ${cfg.worker} at the village after the retry`);
  ok('a retry with the same request_id is the same case (replayed), nothing new; a POST without X-Gridnet is refused 403');

  // ---- 4. live at the district ----
  await center.waitForSelector(`#changes li[data-case="${id}"]`, { timeout: T(30000) });
  check(await center.evaluate(() => window.__noReload) === 'still the same page', 'the district page reloaded');
  await center.waitForFunction((v) => {
    const c = document.querySelector(`#heat .cell[data-village="${v}"] .k`);
    return c && Number.parseInt(c.textContent, 10) >= 1;
  }, cfg.village.code);
  ok(`the district page shows ${id} in its latest changes without a reload, and its village in the heat view`);

  // ---- 5. escalated, on a joint meeting ----
  gridctl(cfg.village, 'escalate', id, '--note', '村里调解不成');
  await until(`${id} at the town`, () => {
    try { return JSON.parse(gridctl(cfg.town, '--json', 'show', id)).state.owner === Number(cfg.town.code); }
    catch (e) { return false; }
  });
  gridctl(cfg.town, 'accept', id);
  gridctl(cfg.town, 'escalate', id, '--note', '涉及多部门，报区里');
  await until(`${id} owned by the district`, () => {
    try { return JSON.parse(gridctl(cfg.district, '--json', 'show', id)).state.owner === Number(cfg.district.code); }
    catch (e) { return false; }
  });
  const meeting = gridctl(cfg.district, 'meeting', 'create', '--title', '宅基地纠纷联席会议', '--date', '2026-05-12',
                          '--chair', '区委政法委', '--attend', 'mediation', '--attend', cfg.town.code, '--case', id);
  check(/^M\d+$/.test(meeting), `meeting create printed ${meeting}`);
  const tasks = gridctl(cfg.district, 'meeting', 'resolve', meeting, '--case', id, '--text', '司法所组织调解，街道实地勘界',
                        '--task', 'dept=mediation,due-in=0.0005,title=组织双方人民调解',
                        '--task', `to=${cfg.town.code},due-in=72,title=街道实地勘界并立界桩`).split('\n');
  check(tasks.length === 2, `meeting resolve printed ${tasks}`);
  await center.waitForSelector(`#meetings .meeting[data-meeting="${meeting}"] a.mcase[data-case="${id}"]`);
  await center.waitForSelector(`#meetings .meeting[data-meeting="${meeting}"] tr.late[data-case="${tasks[0]}"]`);
  await center.waitForSelector(`#meetings .meeting[data-meeting="${meeting}"] tr[data-case="${tasks[1]}"]:not(.late)`);
  check(await center.evaluate(() => window.__noReload) === 'still the same page', 'the district page reloaded');
  ok(`${id} escalated to the district and put on meeting ${meeting}: the meeting list shows it, task ${tasks[0]} late, ${tasks[1]} not`);

  // ---- 6. the case page ----
  await center.click(`#meetings .meeting[data-meeting="${meeting}"] a.mcase[data-case="${id}"]`);
  await center.waitForSelector('#case:not([hidden]) #case-history');
  const steps = await until('the history on the case page', async () => {
    const s = await center.$$eval('#case-history tbody tr', (rs) => rs.map((r) => r.dataset.action));
    return s.length >= 6 ? s : null;
  });
  const want = ['report', 'escalate', 'accept', 'escalate', 'meeting', 'meeting'];
  check(JSON.stringify(steps.slice(0, 6)) === JSON.stringify(want), `history on the case page: ${steps}`);
  const levels = await center.$$eval('#case-history tbody tr td:nth-child(3)', (ts) => ts.map((t) => t.textContent));
  check(levels[0].includes('凤岗路社区') && levels[2].includes('杨陵街道') && levels[4].includes('杨陵区'),
        `the levels of the steps: ${levels}`);
  ok(`the case page lists ${id}'s ${steps.length} steps across village, town and district`);

  // ---- 7. the trends, then screenshots ----
  await center.waitForFunction(() => document.querySelector('#trend-note').textContent.includes('月度分析')
    && [...document.querySelectorAll('#trend-cat text')].some((t) => t.textContent === '矛盾纠纷')
    && [...document.querySelectorAll('#trend-month text.val')].some((t) => Number(t.textContent) >= 1));
  ok('the trends show the case: the monthly report (MonthlyReq) by month and by category, as SVG');

  fs.mkdirSync(cfg.shots, { recursive: true });
  const shots = [];
  const shot = async (page, name) => {
    const file = path.join(cfg.shots, name);
    await page.screenshot({ path: file });
    shots.push(file);
  };
  await shot(center, 'case-1920x1080.png');
  await center.click('#case-close');
  await center.waitForSelector('#case', { state: 'hidden' });
  await center.waitForTimeout(300);   // the charts redraw after a resize, not before
  await shot(center, 'center-1920x1080.png');
  await center.setViewportSize({ width: 390, height: 844 });
  await center.waitForTimeout(400);
  await shot(center, 'center-390x844.png');
  await center.setViewportSize({ width: 1920, height: 1080 });
  await shot(form, 'worker-390x844.png');
  await form.setViewportSize({ width: 1920, height: 1080 });
  await shot(form, 'worker-1920x1080.png');
  await form.setViewportSize({ width: 390, height: 844 });
  for (const f of shots) {
    const size = fs.statSync(f).size;
    const png = fs.readFileSync(f).subarray(0, 8).toString('hex');
    check(png === '89504e470d0a1a0a' && size > 20000, `${f}: ${size} bytes, magic ${png}`);
  }
  ok(`screenshots in ${cfg.shots}: ${shots.map((f) => `${path.basename(f)} ${Math.round(fs.statSync(f).size / 1024)} KiB`).join(', ')}`);
  check(errors.length === 0, `the pages logged errors: ${errors.join(' | ')}`);

  // ---- 8. log out at the town: the node's session ends with the page's ----
  const tctx = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN',
                                          timezoneId: 'Asia/Shanghai' });
  const tpage = await tctx.newPage();
  tpage.setDefaultTimeout(T(20000));
  watch(tpage, 'town');
  await tpage.goto(`${cfg.town.url}/center`);
  await tpage.waitForSelector('#login:not([hidden])');
  await login(tpage, `op-${cfg.town.code}`, cfg.password);
  await tpage.waitForSelector('body[data-ready="1"]');
  const townLog = path.join(cfg.town.dir, 'daemon.log');
  const loggedOut = () => fs.readFileSync(townLog, 'utf8').split('\n')
    .some((l) => l.includes(`api: op-${cfg.town.code} (`) && l.endsWith(') logged out'));
  check(!loggedOut(), `${townLog} says op-${cfg.town.code} logged out before the click`);
  await tpage.click('#logout');
  await tpage.waitForSelector('#login:not([hidden])');
  await until('the town node to end the session', () => loggedOut());
  const me = await tctx.request.get(`${cfg.town.url}/api/me`);
  check(me.status() === 401, `/api/me after the logout: HTTP ${me.status()}`);
  check(!(await tctx.cookies()).some((c) => c.name === 'gn_session' && c.value), 'the session cookie outlived the logout');
  await tctx.close();
  ok('a town operator logs out: the login form is back, the cookie is gone and the town node ended its session');

  // ---- 9. the nodes stop with the pages open ----
  check(await center.isVisible('#live.on') && await form.isVisible('#live.on'), 'a page is not live before the stop');
  fs.writeFileSync(path.join(cfg.tmp, 'stage-stop'), '');
  await until('the nodes to stop (t_pages.sh)', () => fs.existsSync(path.join(cfg.tmp, 'stopped')), 60000);
  await center.waitForSelector('#live.off');
  await form.waitForSelector('#live.off');
  ok('the nodes stopped with both pages live: their streams ended and the pages say so');
} finally {
  await browser.close();
}
