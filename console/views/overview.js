import { h } from '../lib/dom.js';
import { ApiError, problemView } from '../lib/problem.js';
import { panels } from '../panels/index.js';

const DEFAULT_REFRESH_S = 5;

/** @type {import('../lib/view.js').View} */
export const overviewView = {
  route: /^$/,
  title: 'Overview',
  nav: { label: 'Overview', href: '/admin' },
  async render({ api, main, query, signal, capabilities, navigate }) {
    const refreshS = Math.max(1, Number(query.get('refresh')) || DEFAULT_REFRESH_S);
    // Without a readable OpenAPI document only the routes every version has are assumed.
    const shown = panels.filter((p) => (capabilities.known ? capabilities.has(p.path) : p.path === '/health' || p.path === '/metrics'));
    const mounted = shown.map((panel) => {
      const body = h('div', { class: 'panel-body' });
      const section = h('section', { class: 'panel', id: `panel-${panel.id}`, 'aria-labelledby': `panel-${panel.id}-title` }, h('h2', { id: `panel-${panel.id}-title` }, panel.title), body);
      return { panel, section, body, memory: {}, hidden: false };
    });
    main.append(h('h1', { tabindex: -1 }, 'Overview'), h('p', { class: 'muted' }, `Refreshed every ${refreshS} s while this tab is visible.`), ...mounted.map((m) => m.section));

    /** @type {import('../panels/index.js').PanelContext} */
    const context = {
      api, signal,
      query: () => new URLSearchParams(location.search),
      setQuery: (q) => navigate(`/admin${q.size > 0 ? `?${q}` : ''}`, { render: false }),
    };
    const tick = () => Promise.all(mounted.filter((m) => !m.hidden).map(async (m) => {
      try {
        await m.panel.refresh(context, m.body, m.memory);
      } catch (error) {
        if (signal.aborted || (error instanceof ApiError && error.status === 401)) return;
        // A route that is described but answers 404 is not there after all: the panel goes.
        if (error instanceof ApiError && error.status === 404) {
          m.hidden = true;
          m.section.remove();
          return;
        }
        m.body.replaceChildren(problemView(error));
      }
    }));

    await tick();
    while (!signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, refreshS * 1000));
      if (!signal.aborted && !document.hidden) await tick();
    }
  },
};
