/** @type {Promise<typeof import('uplot')> | undefined} */
let loading;

/**
 * uPlot, served by the service from its node_modules (never from a CDN), loaded on the first
 * chart only so pages without one do not pay for it.
 * @returns {Promise<typeof import('uplot')>}
 */
export function loadUPlot() {
  loading ??= new Promise((resolve, reject) => {
    const css = Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '/admin/assets/vendor/uplot.css' });
    const script = Object.assign(document.createElement('script'), { src: '/admin/assets/vendor/uplot.js' });
    script.addEventListener('load', () => resolve(/** @type {any} */ (window).uPlot));
    script.addEventListener('error', () => reject(new Error('the chart library did not load')));
    document.head.append(css, script);
  });
  return loading;
}

/** Series colours, distinguishable on white and for common colour-vision deficiencies. */
export const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626'];
