import { planTable, followRun, runTable } from '../lib/archive-runs.js';
import { whileBusy } from '../lib/busy.js';
import { formatNumber, h } from '../lib/dom.js';
import { formatBytes, runSummary } from '../lib/lifecycle.js';
import { poll } from '../lib/poll.js';
import { ApiError, problemView } from '../lib/problem.js';
import { adminNote, learnScope } from '../lib/replay-admin.js';
import { loadPolicies, NOT_ADMIN, policiesTable, policyForm } from '../lib/retention-policies.js';
import { segmentsSection } from '../lib/segments.js';

const NAME = /^[a-z][a-z0-9_-]{0,63}$/;
const RUNS_REFRESH_MS = 2000;

/** @param {string} type @param {import('../lib/lifecycle.js').Tiers} t */
const tiersView = (type, t) => h('dl', { class: 'cards', id: 'type-tiers', 'aria-label': `Tiers of ${type}` },
  ...[['Hot events', formatNumber(t.hot.events)], ['Hot bytes (estimate)', formatBytes(t.hot.bytes)], ['Archived events', formatNumber(t.archive.events)],
    ['Archived bytes', formatBytes(t.archive.bytes)], ['Segments', formatNumber(t.archive.segments)], ['Deleted events', formatNumber(t.deleted.events)]]
    .map(([label, value]) => h('div', { class: 'card' }, h('dt', {}, label), h('dd', {}, value))));

/**
 * Preview (dry run) then start an archive run, both admin only. A preview is a dry run the
 * service carries out: the console follows it until its plan is there.
 * @param {import('../lib/view.js').ViewContext} ctx
 * @param {() => void} previewed called once a dry run has finished (it is on the list of runs now)
 */
function runControls({ api, session, navigate, signal }, previewed) {
  const preview = h('div', { id: 'run-preview', role: 'status' });
  const problem = h('div');
  const note = h('div', {}, adminNote(session, NOT_ADMIN));
  const previewButton = h('button', { type: 'button', class: 'secondary' }, 'Preview a run');
  const fieldset = h('fieldset', { disabled: session.admin === false }, h('legend', {}, 'Run now'),
    h('p', { class: 'muted' }, 'A run applies every policy: archives what is due into segments and deletes what is past delete after. The schedule runs one too.'),
    h('div', { class: 'actions' }, previewButton));
  /** @param {unknown} error */
  const fail = (error) => {
    learnScope(session, error);
    fieldset.disabled = session.admin === false;
    note.replaceChildren(adminNote(session, NOT_ADMIN) ?? '');
    problem.replaceChildren(problemView(error));
  };
  /** @param {HTMLButtonElement} button */
  const start = async (button) => {
    problem.replaceChildren();
    try {
      const run = await whileBusy(button, () => api.send('POST', '/archive/runs', { dry_run: false }));
      session.setAdmin(true);
      navigate(`/admin/retention/runs/${run.id}`);
    } catch (error) {
      fail(error);
    }
  };
  previewButton.addEventListener('click', async () => {
    problem.replaceChildren();
    preview.replaceChildren(h('p', { class: 'muted' }, 'Counting…'));
    try {
      // The button stays disabled until the dry run's plan is there: one click, one preview.
      const run = await whileBusy(previewButton, async () => {
        const started = await api.send('POST', '/archive/runs', { dry_run: true });
        session.setAdmin(true);
        return followRun(api, started.id, signal, () => {}, (error) => problem.replaceChildren(error ? problemView(error) : ''));
      });
      previewed();
      if (run.status === 'failed') throw new Error(`The dry run failed: ${run.error ?? 'no reason given'}`);
      const go = h('button', { type: 'button' }, 'Start archive run');
      go.addEventListener('click', () => void start(go));
      preview.replaceChildren(h('p', {}, runSummary(run)), planTable(run.plan ?? [], 'run-plan'), h('div', { class: 'actions' }, go));
    } catch (error) {
      if (signal.aborted) return;
      preview.replaceChildren();
      fail(error);
    }
  });
  return h('div', {}, note, h('form', { class: 'filters', 'aria-label': 'Run now', onsubmit: (/** @type {Event} */ e) => e.preventDefault() }, fieldset, preview), problem);
}

/** @type {import('../lib/view.js').View} */
export const retentionView = {
  route: /^retention$/,
  title: 'Retention and archive',
  nav: { label: 'Retention', href: '/admin/retention' },
  available: (caps) => !caps.known || caps.has('/retention'),
  async render(ctx) {
    const { api, main, query, signal, navigate, capabilities } = ctx;
    const type = NAME.test(query.get('type') ?? '') ? /** @type {string} */ (query.get('type')) : '';
    const policies = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
    const detail = h('div');
    const form = h('div');
    const runs = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
    const runsProblem = h('div');
    const segments = capabilities.has('/archive/segments') || !capabilities.known ? await segmentsSection(ctx) : null;
    const hasRuns = capabilities.has('/archive/runs') || !capabilities.known;
    const showRuns = async () => {
      const { runs: list } = await api.get('/archive/runs', { signal });
      runs.replaceChildren(runTable(list));
      return list;
    };
    main.append(h('h1', { tabindex: -1 }, 'Retention and archive'),
      h('section', { class: 'panel', 'aria-labelledby': 'policies-title' }, h('h2', { id: 'policies-title' }, 'Policies'), policies, detail, form),
      hasRuns ? h('section', { class: 'panel', 'aria-labelledby': 'runs-title' }, h('h2', { id: 'runs-title' }, 'Archive runs'), runControls(ctx, () => void showRuns().catch(() => {})), runsProblem, runs) : '',
      segments?.section ?? '');

    /** @type {Awaited<ReturnType<typeof loadPolicies>>} */
    let rows = [];
    const showPolicies = async () => {
      rows = await loadPolicies(api, signal);
      policies.replaceChildren(policiesTable(rows));
    };
    const showDetail = async (/** @type {string} */ t) => {
      if (!t) return void detail.replaceChildren();
      const r = await api.get(`/retention/${encodeURIComponent(t)}`, { signal });
      detail.replaceChildren(h('h3', {}, `${t}: ${r.archive_after || r.delete_after ? `archive after ${r.archive_after ?? 'never'}, delete after ${r.delete_after ?? 'never'}` : 'no policy (kept forever)'}`), tiersView(t, r.tiers));
    };
    await showPolicies();
    form.replaceChildren(policyForm(ctx, () => rows, type, (t) => {
      // The stored policy is read back and the type kept in the URL, without a new render.
      if (t !== type) navigate(`/admin/retention?${new URLSearchParams({ ...Object.fromEntries(query), type: t })}`, { replace: true, render: false });
      void Promise.all([showPolicies(), showDetail(t)]).catch((error) => { if (!signal.aborted) policies.append(problemView(error)); });
    }));
    await Promise.all([showDetail(type).catch((error) => {
      if (error instanceof ApiError && error.status === 401) throw error;
      detail.replaceChildren(problemView(error));
    }), segments?.load()]);
    if (!hasRuns) return;
    // Refreshed while a run is going on, so its progress moves here too.
    await poll(signal, RUNS_REFRESH_MS, async () => (await showRuns()).some((/** @type {{ status: string }} */ r) => r.status === 'running'),
      (error) => runsProblem.replaceChildren(error ? problemView(error) : ''));
  },
};
