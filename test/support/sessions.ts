import type postgres from 'postgres';

/** Sessions in the current database with this application_name, optionally narrowed by `where`. */
export function sessionsOf(sql: postgres.Sql, applicationName: string, where: postgres.PendingQuery<postgres.Row[]> = sql`true`) {
  return sql<{ pid: number; wait_event_type: string | null }[]>`
    select pid, wait_event_type from pg_stat_activity
    where datname = current_database() and application_name = ${applicationName} and ${where}`;
}

/** PostgreSQL's clock, to compare with pg_stat_activity.state_change. */
export async function databaseNow(sql: postgres.Sql): Promise<Date> {
  return (await sql<{ now: Date }[]>`select clock_timestamp() as now`)[0]!.now;
}
