import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { MIGRATIONS_FOLDER } from '../../src/postgres/migrate.ts';

/**
 * Applies only the first `count` migrations of drizzle/ (a copy of the folder whose journal
 * stops there): a database as an earlier version of the service left it.
 */
export async function migrateFirst(url: string, count: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'evt-migrations-'));
  try {
    cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
    const journalPath = join(dir, 'meta/_journal.json');
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: unknown[] };
    journal.entries = journal.entries.slice(0, count);
    writeFileSync(journalPath, JSON.stringify(journal));
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await migrate(drizzle({ client: sql }), { migrationsFolder: dir });
    } finally {
      await sql.end();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How many migrations come before the one tagged `tag`; throws if there is none. */
export function migrationsBefore(tag: string): number {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  const index = journal.entries.findIndex((e) => e.tag === tag);
  if (index < 0) throw new Error(`no migration tagged ${tag} in drizzle/meta/_journal.json`);
  return index;
}
