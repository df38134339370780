import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// No Docker engine runs here, so the image is checked against what it must hold: the service at
// runtime reads the same files the npm package ships (the admin console's console/, the
// migrations in drizzle/, dist/), so the final stage copies every entry of package.json's "files".
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (name: string) => readFileSync(`${ROOT}/${name}`, 'utf8');

/** The paths the COPY instructions of the Dockerfile's last stage write, relative to WORKDIR. Into a
 * directory (a destination ending in "/", or "."), a file of the build context keeps its name and a
 * directory's contents are merged, as Docker does. */
function finalStageCopies(dockerfile: string): string[] {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim());
  const lastFrom = lines.findLastIndex((l) => /^FROM\s/i.test(l));
  return lines
    .slice(lastFrom)
    .filter((l) => /^COPY\s/i.test(l))
    .flatMap((l) => {
      const words = l.split(/\s+/).slice(1);
      const fromStage = words.some((w) => w.startsWith('--from='));
      const paths = words.filter((w) => !w.startsWith('--'));
      const dest = paths.pop()!.replace(/^\.\/?/, '');
      if (dest !== '' && !dest.endsWith('/')) return [dest];
      const isFile = (source: string) => !fromStage && statSync(`${ROOT}/${source}`, { throwIfNoEntry: false })?.isFile() === true;
      return paths.map((source) => (isFile(source) ? dest + source.split('/').at(-1)! : dest.replace(/\/$/, '')));
    });
}

describe('the Docker image', () => {
  it('copies into its final stage every path the npm package ships, and package.json', () => {
    const files = (JSON.parse(read('package.json')) as { files: string[] }).files.filter((f) => !f.startsWith('!'));
    expect(files).toContain('console');
    const copied = finalStageCopies(read('Dockerfile'));
    for (const path of [...files, 'package.json', 'node_modules']) expect(copied, path).toContain(path);
  });

  it("gives the archive's default directory to the user the service runs as, and compose a volume there", () => {
    // ARCHIVE_URL defaults to ./.data/archive: under WORKDIR /app, owned by root, a run failed with EACCES.
    const dockerfile = read('Dockerfile');
    const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(final).toMatch(/^WORKDIR \/app$/m);
    expect(final).toMatch(/^USER node$/m);
    expect(final).toMatch(/^RUN mkdir -p \.data\/archive && chown -R node:node \.data$/m);
    const compose = read('docker-compose.yml');
    const services = compose.match(/^ {2}events(-cluster|-replica)?:$/gm)!;
    expect(services.length).toBe(3);
    expect(compose.match(/volumes: \["archive[a-z-]*:\/app\/\.data\/archive"\]/g)).toHaveLength(services.length);
  });

  it("gives compose's services a stop grace period longer than the shutdown's default bound (20 s)", () => {
    const periods = [...read('docker-compose.yml').matchAll(/stop_grace_period: (\d+)s/g)].map((m) => Number(m[1]));
    expect(periods).toHaveLength(3);
    for (const seconds of periods) expect(seconds).toBeGreaterThan(20);
  });

  it('reads COPY destinations as Docker does', () => {
    const dockerfile = 'FROM a AS b\nCOPY x /y\nFROM c\nCOPY --from=b /app/dist ./dist\nCOPY package.json ./\nCOPY LICENSE console/ \\\n  ./share/\n';
    expect(finalStageCopies(dockerfile)).toEqual(['dist', 'package.json', 'share/LICENSE', 'share']);
  });
});
