/**
 * Runs a managing action's request with its button disabled, so one gesture (a double click,
 * a repeated Enter) sends it once. The button is as it was when the returned promise settles,
 * before the caller handles the answer (which may disable it for good, as a 403 does).
 * @template T
 * @param {HTMLButtonElement} button
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function whileBusy(button, work) {
  const before = button.disabled;
  const focused = document.activeElement === button;
  button.disabled = true;
  try {
    return await work();
  } finally {
    button.disabled = before;
    // A disabled button loses focus: it gets it back unless the user has moved on meanwhile.
    if (focused && (document.activeElement === null || document.activeElement === document.body)) button.focus();
  }
}
