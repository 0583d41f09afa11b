import type { Sql } from "postgres";

// Catalog and statistics reads for db-maintenance. Every query reads catalogs and
// statistics views only (never a user table), so planning moves no counter it reports,
// and takes no lock on a user table: sizes are pg_class.relpages (as of the last
// VACUUM/ANALYZE) because pg_relation_size() would wait behind an ACCESS EXCLUSIVE lock.

export interface Filter {
  schema?: string;
  table?: string;
}

export interface ServerInfo {
  version: string;
  database: string;
  currentUser: string;
  superuser: boolean;
  databaseOwner: boolean;
  inRecovery: boolean;
  /** Since when this server's usage counters run (see observedSinceSql). */
  observedSince: string;
  freezeMaxAge: number;
  trackCommitTimestamp: boolean;
  /** Member of pg_read_all_stats: sees other roles' sessions in pg_stat_activity. */
  readAllStats: boolean;
  signalBackend: boolean;
  backendPid: number;
}

/**
 * The counters in pg_stat_user_indexes run since the later of: the database's last
 * reset (pg_stat_database.stats_reset, also set by per-table resets) and the last time
 * the server discarded all statistics (first start, crash recovery), which PostgreSQL 15
 * stamps on the shared counters (pg_stat_bgwriter.stats_reset). An explicit reset of
 * those shared counters only makes the window shorter, never longer: safe.
 */
const observedSinceSql = `greatest(
  (select stats_reset from pg_stat_database where datname = current_database()),
  (select stats_reset from pg_stat_bgwriter),
  case when (select stats_reset from pg_stat_bgwriter) is null then pg_postmaster_start_time() end)`;

export async function serverInfo(sql: Sql): Promise<ServerInfo> {
  const [r] = await sql.unsafe(`select current_setting('server_version') as version, current_database() as database,
      current_user as "currentUser", (select rolsuper from pg_roles where rolname = current_user) as superuser,
      pg_has_role(current_user, (select datdba from pg_database where datname = current_database()), 'USAGE') as "databaseOwner",
      pg_is_in_recovery() as "inRecovery", ${observedSinceSql} as "observedSince",
      current_setting('autovacuum_freeze_max_age')::float8 as "freezeMaxAge",
      current_setting('track_commit_timestamp')::bool as "trackCommitTimestamp",
      pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') as "readAllStats",
      pg_has_role(current_user, 'pg_signal_backend', 'USAGE') as "signalBackend",
      pg_backend_pid() as "backendPid"`);
  const row = r as Record<string, unknown>;
  return { ...(row as unknown as ServerInfo), observedSince: iso(row.observedSince) as string };
}

export interface TableRow {
  oid: number;
  schema: string;
  name: string;
  owner: string;
  /** Owner (or member of the owning role), database owner or superuser: may VACUUM/ANALYZE it (PostgreSQL 15). */
  canMaintain: boolean;
  liveTuples: number;
  deadTuples: number;
  modsSinceAnalyze: number;
  reltuples: number;
  lastAnalyze: string | null;
  lastAutoanalyze: string | null;
  lastVacuum: string | null;
  lastAutovacuum: string | null;
  frozenXidAge: number;
  sizeBytes: number;
}

export async function tables(sql: Sql, f: Filter, oid?: number): Promise<TableRow[]> {
  const rows = await sql`
    select c.oid::int as oid, n.nspname as schema, c.relname as name, pg_get_userbyid(c.relowner) as owner,
      (pg_has_role(current_user, c.relowner, 'USAGE')
        or pg_has_role(current_user, (select datdba from pg_database where datname = current_database()), 'USAGE')
        or (select rolsuper from pg_roles where rolname = current_user)) as "canMaintain",
      coalesce(s.n_live_tup, 0)::float8 as "liveTuples", coalesce(s.n_dead_tup, 0)::float8 as "deadTuples",
      coalesce(s.n_mod_since_analyze, 0)::float8 as "modsSinceAnalyze", c.reltuples::float8 as reltuples,
      s.last_analyze as "lastAnalyze", s.last_autoanalyze as "lastAutoanalyze",
      s.last_vacuum as "lastVacuum", s.last_autovacuum as "lastAutovacuum",
      age(c.relfrozenxid)::float8 as "frozenXidAge",
      (c.relpages::float8 * current_setting('block_size')::int) as "sizeBytes"
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_stat_all_tables s on s.relid = c.oid
    where c.relkind in ('r', 'm') and ${userSchemas(sql)}
      and (${f.schema ?? null}::text is null or n.nspname = ${f.schema ?? null})
      and (${f.table ?? null}::text is null or c.relname = ${f.table ?? null})
      and (${oid ?? null}::oid is null or c.oid = ${oid ?? null})
    order by n.nspname, c.relname`;
  return rows.map((r) => ({
    ...(r as unknown as TableRow),
    lastAnalyze: iso(r.lastAnalyze),
    lastAutoanalyze: iso(r.lastAutoanalyze),
    lastVacuum: iso(r.lastVacuum),
    lastAutovacuum: iso(r.lastAutovacuum),
  }));
}

export interface IndexRow {
  oid: number;
  schema: string;
  table: string;
  tableOid: number;
  name: string;
  owner: string;
  canMaintain: boolean;
  valid: boolean;
  unique: boolean;
  primary: boolean;
  /** Constraints that need this index: "name (primary key)", "name (foreign key from other_table)" … */
  constraints: string[];
  method: string;
  scans: number;
  sizeBytes: number;
  pages: number;
  /** Index entries per pg_class.reltuples (-1 when never vacuumed/analyzed). */
  tuples: number;
  definition: string;
  hasExpressions: boolean;
  keyColumns: number;
  /** Table columns the index stores (key and INCLUDE), expressions not counted. */
  columns: number;
  /** Sum of pg_stats.avg_width over the indexed columns, and how many of them have statistics. */
  statsWidth: number;
  columnsWithStats: number;
  anyNullable: boolean;
  fillfactor: number;
  blockSize: number;
  /** Commit time of the index's catalog row when track_commit_timestamp is on (else null). */
  createdAt: string | null;
}

export async function indexes(sql: Sql, f: Filter, oid?: number): Promise<IndexRow[]> {
  const rows = await sql`
    select i.indexrelid::int as oid, n.nspname as schema, t.relname as table, t.oid::int as "tableOid", c.relname as name,
      pg_get_userbyid(c.relowner) as owner,
      (pg_has_role(current_user, c.relowner, 'USAGE') or (select rolsuper from pg_roles where rolname = current_user)) as "canMaintain",
      i.indisvalid as valid, i.indisunique as unique, i.indisprimary as primary,
      array(select con.conname || ' (' || case con.contype when 'p' then 'primary key' when 'u' then 'unique'
              when 'x' then 'exclusion' when 'f' then 'foreign key from ' || con.conrelid::regclass::text else con.contype::text end || ')'
            from pg_constraint con where con.conindid = i.indexrelid order by con.conname) as constraints,
      am.amname as method, coalesce(s.idx_scan, 0)::float8 as scans,
      (c.relpages::float8 * current_setting('block_size')::int) as "sizeBytes", c.relpages::float8 as pages, c.reltuples::float8 as tuples,
      -- pg_get_indexdef/pg_get_expr lock the table (they wait behind an ACCESS EXCLUSIVE lock): built from the catalog instead.
      'USING ' || am.amname || ' (' || array_to_string(array(
          select coalesce(a.attname::text, 'expression') from unnest(i.indkey::int2[]) with ordinality k(attnum, n)
          left join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum order by k.n), ', ') || ')'
        || case when i.indpred is not null then ' WHERE (partial)' else '' end as definition, i.indexprs is not null as "hasExpressions", i.indnkeyatts::int as "keyColumns",
      (select count(*) from unnest(i.indkey) k where k <> 0)::int as columns,
      coalesce((select sum(st.avg_width) from pg_attribute a join pg_stats st
                  on st.schemaname = n.nspname and st.tablename = t.relname and st.attname = a.attname and not st.inherited
                where a.attrelid = t.oid and a.attnum = any(i.indkey)), 0)::float8 as "statsWidth",
      (select count(*) from pg_attribute a join pg_stats st
         on st.schemaname = n.nspname and st.tablename = t.relname and st.attname = a.attname and not st.inherited
       where a.attrelid = t.oid and a.attnum = any(i.indkey))::int as "columnsWithStats",
      exists(select 1 from pg_attribute a where a.attrelid = t.oid and a.attnum = any(i.indkey) and not a.attnotnull) as "anyNullable",
      coalesce((select split_part(o, '=', 2)::int from unnest(c.reloptions) o where o like 'fillfactor=%'), 90) as fillfactor,
      current_setting('block_size')::int as "blockSize",
      case when current_setting('track_commit_timestamp')::bool then pg_xact_commit_timestamp(c.xmin) end as "createdAt"
    from pg_index i
    join pg_class c on c.oid = i.indexrelid
    join pg_class t on t.oid = i.indrelid
    join pg_namespace n on n.oid = c.relnamespace
    join pg_am am on am.oid = c.relam
    left join pg_stat_all_indexes s on s.indexrelid = i.indexrelid
    where t.relkind in ('r', 'm') and ${userSchemas(sql)}
      and (${f.schema ?? null}::text is null or n.nspname = ${f.schema ?? null})
      and (${f.table ?? null}::text is null or t.relname = ${f.table ?? null})
      and (${oid ?? null}::oid is null or c.oid = ${oid ?? null})
    order by n.nspname, t.relname, c.relname`;
  return rows.map((r) => ({ ...(r as unknown as IndexRow), createdAt: iso(r.createdAt) }));
}

/** One index by schema and name (replica checks, live re-reads). */
export async function indexByName(sql: Sql, schema: string, name: string): Promise<IndexRow | undefined> {
  const [row] = await sql<{ oid: number }[]>`
    select c.oid::int as oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and c.relname = ${name} and c.relkind = 'i'`;
  return row ? (await indexes(sql, {}, row.oid))[0] : undefined;
}

export interface SessionRow {
  pid: number;
  user: string | null;
  superuser: boolean;
  application: string;
  client: string | null;
  backendStart: string | null;
  xactStart: string | null;
  stateChange: string | null;
  state: string | null;
  idleSeconds: number;
  /** The first word of the last statement (its command), never its text: it may hold data or secrets. */
  lastCommand: string;
  /** Whether the current role may pg_terminate_backend() it (same role, pg_signal_backend, superuser rules). */
  canSignal: boolean;
}

export async function idleSessions(sql: Sql, pid?: number): Promise<SessionRow[]> {
  const rows = await sql`
    select a.pid, a.usename as user, coalesce(r.rolsuper, false) as superuser, a.application_name as application,
      host(a.client_addr) as client, a.backend_start as "backendStart", a.xact_start as "xactStart",
      a.state_change as "stateChange", a.state, extract(epoch from (now() - a.state_change))::float8 as "idleSeconds",
      upper(coalesce(substring(ltrim(a.query) from '^[A-Za-z]+'), '')) as "lastCommand",
      ((select rolsuper from pg_roles where rolname = current_user)
        or (not coalesce(r.rolsuper, false)
            and (pg_has_role(current_user, 'pg_signal_backend', 'USAGE') or pg_has_role(current_user, a.usesysid, 'USAGE')))) as "canSignal"
    from pg_stat_activity a left join pg_roles r on r.oid = a.usesysid
    where a.datname = current_database() and a.backend_type = 'client backend' and a.pid <> pg_backend_pid()
      and (${pid ?? null}::int is null or a.pid = ${pid ?? null})
      and (${pid ?? null}::int is not null or a.state in ('idle in transaction', 'idle in transaction (aborted)'))
    order by a.pid`;
  return rows.map((r) => ({
    ...(r as unknown as SessionRow),
    backendStart: iso(r.backendStart),
    xactStart: iso(r.xactStart),
    stateChange: iso(r.stateChange),
  }));
}

/** Sessions holding a granted lock on a table: named when a statement times out waiting for one. */
export async function lockHolders(sql: Sql, tableOid: number): Promise<{ pid: number; user: string | null; state: string | null; mode: string }[]> {
  return (await sql`
    select l.pid, a.usename as user, a.state, l.mode from pg_locks l left join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'relation' and l.relation = ${tableOid} and l.granted and l.pid <> pg_backend_pid()
    order by l.pid`) as unknown as { pid: number; user: string | null; state: string | null; mode: string }[];
}

/** Invalid indexes on one table, e.g. the `_ccnew` leftover of a failed REINDEX CONCURRENTLY. */
export async function invalidIndexes(sql: Sql, tableOid: number): Promise<{ oid: number; schema: string; name: string }[]> {
  return (await sql`
    select c.oid::int as oid, n.nspname as schema, c.relname as name from pg_index i
    join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
    where i.indrelid = ${tableOid} and not i.indisvalid order by c.relname`) as unknown as { oid: number; schema: string; name: string }[];
}

function userSchemas(sql: Sql) {
  return sql`n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'`;
}

function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v.toISOString() : String(v);
}
