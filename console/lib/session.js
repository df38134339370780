const KEY = 'event-service.admin.key';
const ADMIN = 'event-service.admin.key-is-admin';
const LABEL = 'event-service.admin.key-label';

/**
 * The API key of this tab, in sessionStorage (gone when the tab closes), and what the console
 * knows of its scope: from GET /auth/key where the service has it, else from a 403 on a
 * managing action.
 * @param {Storage} storage
 * @param {() => void} [onChange] called when the key or what is known of its scope changes
 */
export function createSession(storage, onChange = () => {}) {
  return {
    /** @returns {string | null} */
    get key() {
      return storage.getItem(KEY);
    },
    /** @param {string} key */
    setKey(key) {
      storage.setItem(KEY, key);
      storage.removeItem(ADMIN);
      storage.removeItem(LABEL);
      onChange();
    },
    forget() {
      storage.removeItem(KEY);
      storage.removeItem(ADMIN);
      storage.removeItem(LABEL);
      onChange();
    },
    /** The key's label as GET /auth/key gave it (never the secret). @returns {string | null} */
    get label() {
      return storage.getItem(LABEL);
    },
    /**
     * What GET /auth/key said of the key: its label and whether it may manage.
     * @param {{ label: string | null, scopes: string[] }} key
     */
    setScopes(key) {
      if (key.label) storage.setItem(LABEL, key.label);
      else storage.removeItem(LABEL);
      this.setAdmin(key.scopes.includes('admin'));
    },
    /** @returns {boolean | null} null while unknown */
    get admin() {
      const v = storage.getItem(ADMIN);
      return v === null ? null : v === 'yes';
    },
    /** @param {boolean} yes */
    setAdmin(yes) {
      storage.setItem(ADMIN, yes ? 'yes' : 'no');
      onChange();
    },
    /**
     * Small lists kept for this tab (e.g. the replays started here).
     * @param {string} name
     * @returns {string[]}
     */
    list(name) {
      try {
        const v = JSON.parse(storage.getItem(`event-service.admin.${name}`) ?? '[]');
        return Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [];
      } catch {
        return [];
      }
    },
    /**
     * @param {string} name
     * @param {string} value
     */
    remember(name, value) {
      const next = [value, ...this.list(name).filter((v) => v !== value)].slice(0, 20);
      storage.setItem(`event-service.admin.${name}`, JSON.stringify(next));
    },
  };
}

/** @typedef {ReturnType<typeof createSession>} Session */
