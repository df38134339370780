import { h } from './dom.js';
import { diffJson } from './json-diff.js';
import { problemView } from './problem.js';

const AGGREGATE_PATH = '/aggregates/{type}/{id}';

/**
 * The state of an aggregate at a sequence and what each event changed. It needs the server's
 * GET /aggregates/{type}/{id}?at_sequence=N (SPEC §10), so it is offered only when the
 * service's OpenAPI document lists that parameter; the diff itself is computed here.
 * @param {import('./api.js').Api} api
 * @param {import('./capabilities.js').Capabilities} capabilities
 * @param {string} type
 * @param {string} id
 * @param {AbortSignal} signal
 */
export function createAggregateHistory(api, capabilities, type, id, signal) {
  if (!capabilities.hasParameter(AGGREGATE_PATH, 'at_sequence')) return null;
  /** @type {Map<number, Promise<unknown>>} */
  const states = new Map();
  const base = `/aggregates/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
  /** @param {number} sequence */
  const stateAt = (sequence) => {
    let state = states.get(sequence);
    if (!state) {
      state = api.get(base, { query: { at_sequence: String(sequence) }, signal }).then((body) => body.state);
      states.set(sequence, state);
    }
    return state;
  };

  /**
   * What the event at `sequence` changed, against the state before it. Not for the first event:
   * the state before it (the definition's initial state) is not something the API gives
   * (at_sequence=0 is refused), and undefined in its place would show the whole state as added.
   * @param {number} sequence 2 or more
   */
  async function changesOf(sequence) {
    const [before, after] = await Promise.all([stateAt(sequence - 1), stateAt(sequence)]);
    return diffJson(before, after);
  }

  /** @param {number} sequence */
  async function changesView(sequence) {
    if (sequence === 1) {
      return [h('p', { class: 'muted' }, 'The state after the first event (the service does not give the state before it, so what it changed cannot be shown):'),
        h('pre', { class: 'json', tabindex: 0, 'aria-label': 'State after the first event' }, JSON.stringify(await stateAt(1), null, 2))];
    }
    const changes = await changesOf(sequence);
    return changes.length === 0 ? h('p', { class: 'muted' }, 'No change to the state.') : h('ul', { class: 'diff' }, changes.map((c) =>
      h('li', { class: c.kind }, h('code', {}, c.path || '(whole state)'), ` ${c.kind}`,
        c.kind !== 'added' ? [' from ', h('code', {}, JSON.stringify(c.before))] : null,
        c.kind !== 'removed' ? [' to ', h('code', {}, JSON.stringify(c.after))] : null)));
  }

  /** A disclosure button per event row that shows its changes. @param {{ sequence: number }} event */
  function changesCell(event) {
    const out = h('div', { class: 'changes' });
    const button = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false' }, 'Show changes');
    button.addEventListener('click', async () => {
      if (button.getAttribute('aria-expanded') === 'true') {
        button.setAttribute('aria-expanded', 'false');
        return out.replaceChildren();
      }
      button.setAttribute('aria-expanded', 'true');
      try {
        out.replaceChildren(...[await changesView(event.sequence)].flat());
      } catch (error) {
        out.replaceChildren(problemView(error));
      }
    });
    return h('div', {}, button, out);
  }

  return { stateAt, changesOf, changesCell };
}
