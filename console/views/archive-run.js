import { followRun, planTable } from '../lib/archive-runs.js';
import { formatTime, h } from '../lib/dom.js';
import { runProgress, runSummary } from '../lib/lifecycle.js';
import { problemView } from '../lib/problem.js';

/** @param {import('../lib/lifecycle.js').ArchiveRun} run what the progress bar stands for */
function progressLabel(run) {
  const { done, total } = runProgress(run);
  if (run.planned === null) return run.status === 'running' ? 'Planning…' : 'No plan was made';
  if (run.planned === 0) return 'Nothing planned: no event to archive or delete';
  return `${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} planned events`;
}

/** @type {import('../lib/view.js').View} */
export const archiveRunView = {
  route: /^retention\/runs\/([^/]+)$/,
  title: 'Archive run',
  available: (caps) => !caps.known || caps.has('/archive/runs/{id}'),
  async render({ api, main, params, signal }) {
    const id = params[0] ?? '';
    const body = h('div');
    const problem = h('div');
    main.append(h('h1', { tabindex: -1 }, 'Archive run ', h('code', { class: 'id' }, id)), body, problem, h('p', {}, h('a', { href: '/admin/retention' }, 'Back to retention and archive')));
    await followRun(api, id, signal, (run) => {
      const { done, total } = runProgress(run);
      body.replaceChildren(
        h('p', {}, h('span', { class: `badge ${run.status}`, id: 'run-status' }, run.status), ` ${run.dry_run ? 'Dry run' : 'Run'} (${run.trigger}). ${runSummary(run)}`),
        h('label', { for: 'run-progress' }, progressLabel(run)),
        h('progress', { id: 'run-progress', max: total || 1, value: total ? done : run.status === 'running' ? 0 : 1 }),
        h('dl', { class: 'facts' },
          h('dt', {}, 'Started'), h('dd', {}, formatTime(run.started_at)),
          h('dt', {}, 'Updated'), h('dd', {}, formatTime(run.updated_at)),
          h('dt', {}, 'Finished'), h('dd', {}, run.finished_at ? formatTime(run.finished_at) : '–'),
          run.error ? [h('dt', {}, 'Error'), h('dd', { class: 'problem' }, run.error)] : null),
        run.plan ? planTable(run.plan, 'run-plan') : '');
    }, (error) => problem.replaceChildren(error ? problemView(error) : ''));
  },
};
