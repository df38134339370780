/**
 * What this service offers, read from its public OpenAPI document (an open route): whether it
 * wants a key, and which routes and query parameters exist. Views and panels of later phases
 * (statistics, archive, consumer groups, state at a sequence) appear only when their route is
 * described there, so the console never calls an endpoint that is not there.
 * @param {any} document the parsed /openapi.json, or null when it could not be read
 */
export function readCapabilities(document) {
  /** @type {Record<string, any>} */
  const paths = document && typeof document.paths === 'object' ? document.paths : {};
  const known = document !== null;
  return {
    /** Unknown (no document) counts as "maybe": the console then waits for a 401 to ask. */
    authRequired: Boolean(document?.components?.securitySchemes),
    /**
     * @param {string} path an OpenAPI path template, e.g. /aggregates/{type}/{id}
     * @param {string} [method]
     */
    has(path, method = 'get') {
      return Boolean(paths[path]?.[method]);
    },
    /**
     * @param {string} path
     * @param {string} name
     */
    hasParameter(path, name) {
      const op = paths[path]?.get;
      /** @type {any[]} */
      const params = [...(paths[path]?.parameters ?? []), ...(op?.parameters ?? [])];
      return params.some((p) => p?.name === name);
    },
    known,
  };
}

/** @typedef {ReturnType<typeof readCapabilities>} Capabilities */
