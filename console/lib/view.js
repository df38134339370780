// Types shared by the views and the shell (no code).

/**
 * @typedef {object} ViewContext
 * @property {import('./api.js').Api} api
 * @property {HTMLElement} main where the view renders
 * @property {string[]} params the route's captured path segments, decoded
 * @property {URLSearchParams} query the page's query string
 * @property {AbortSignal} signal aborted when the user leaves the view: stop polling and streams
 * @property {(href: string, options?: { replace?: boolean, render?: boolean, focus?: string }) => void} navigate
 *   focus: the id of the element to focus once the view is rendered again (else its heading)
 * @property {import('./capabilities.js').Capabilities} capabilities
 * @property {import('./session.js').Session} session
 */

/**
 * A view of the console. Later phases add theirs to views/index.js; `available` hides a view
 * whose routes this service does not describe.
 * @typedef {object} View
 * @property {RegExp} route matched against the path after /admin/
 * @property {string} title
 * @property {{ label: string, href: string }} [nav]
 * @property {(capabilities: import('./capabilities.js').Capabilities) => boolean} [available]
 * @property {(ctx: ViewContext) => Promise<void> | void} render
 */

export {};
