import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../../src/postgres/migrate.ts';

// drizzle/checksums.txt records each migration's SHA-256 as it landed (sha256sum's format).
// A database that applied a migration never applies it again, so an edit after landing would
// leave databases that differ by when they were created: changes go in a new migration.
const recorded = new Map(
  readFileSync(join(MIGRATIONS_FOLDER, 'checksums.txt'), 'utf8').trim().split('\n').map((line) => {
    const [hash, file] = line.split(/\s+/);
    return [file!, hash!];
  }),
);

describe('migrations', () => {
  const files = readdirSync(MIGRATIONS_FOLDER).filter((f) => f.endsWith('.sql')).sort();
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string; when: number }[] };

  it('are never edited once landed', () => {
    for (const file of files) {
      const hash = createHash('sha256').update(readFileSync(join(MIGRATIONS_FOLDER, file))).digest('hex');
      expect(recorded.get(file), `${file} has no recorded checksum: once it is final, record it with (cd drizzle && sha256sum ${file} >> checksums.txt)`).toBeDefined();
      expect(hash, `${file} was changed after it landed: put the change in a new migration`).toBe(recorded.get(file));
    }
  });

  it('are all in the journal, in order', () => {
    expect(journal.entries.map((e) => `${e.tag}.sql`)).toEqual(files);
    const when = journal.entries.map((e) => e.when);
    expect(when).toEqual([...when].sort((a, b) => a - b));
  });
});
