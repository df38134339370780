import { describedPanel } from './described.js';
import { healthPanel } from './health.js';
import { metricsPanel } from './metrics.js';

/**
 * @typedef {{ api: import('../lib/api.js').Api, signal: AbortSignal }} PanelContext
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
  describedPanel('stats', 'Events over time', '/stats', { bucket: 'hour' }),
  describedPanel('retention', 'Retention policies', '/retention'),
  describedPanel('archive', 'Archive segments', '/archive/segments'),
  describedPanel('consumer-groups', 'Consumer groups', '/consumer-groups'),
];
