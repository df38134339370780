import cliProgress from 'cli-progress';

/** A progress bar on stderr when it is a terminal; nothing when piped, so scripts get clean output. */
export function createProgress(label: string, unit: string, total?: number) {
  if (!process.stderr.isTTY) return { update: (_done: number, _events: number) => {}, stop: () => {} };
  const format = total === undefined ? `${label} {events} events` : `${label} [{bar}] {percentage}% of ${unit}, {events} events, {eta_formatted} left`;
  const bar = new cliProgress.SingleBar({ format, stream: process.stderr, hideCursor: true, noTTYOutput: false }, cliProgress.Presets.shades_classic);
  bar.start(total ?? 0, 0, { events: 0 });
  return {
    update: (done: number, events: number) => bar.update(done, { events }),
    stop: () => bar.stop(),
  };
}
