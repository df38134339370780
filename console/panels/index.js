import { consumerGroupsPanel } from './consumer-groups.js';
import { healthPanel } from './health.js';
import { lifecyclePanel } from './lifecycle.js';
import { metricsPanel } from './metrics.js';
import { statsPanel } from './stats.js';

/**
 * @typedef {object} PanelContext
 * @property {import('../lib/api.js').Api} api
 * @property {AbortSignal} signal
 * @property {() => URLSearchParams} query the page's query string as it is now
 * @property {(query: URLSearchParams) => void} setQuery puts a panel's settings into the page's URL
 * @typedef {object} Panel
 * @property {string} id
 * @property {string} title
 * @property {string} path the OpenAPI path the panel reads; without it the panel is not shown
 * @property {(ctx: PanelContext, body: HTMLElement, memory: Record<string, any>) => Promise<void>} refresh
 */

/** The overview's panels, in order. */
export const panels = [
  healthPanel,
  metricsPanel,
  statsPanel,
  lifecyclePanel,
  consumerGroupsPanel,
];
