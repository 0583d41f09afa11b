import postgres from "postgres";

/**
 * A blocking chain on the real PostgreSQL: A holds an ACCESS EXCLUSIVE lock on a table
 * inside an open transaction, B waits for it, C waits behind both. `query` is what A's
 * session shows in pg_stat_activity (a canary DSN can be planted there).
 */
export async function blockingChain(url: string, o: { table: string; canaryQuery?: string }) {
  const mk = () => postgres(url, { max: 1, onnotice: () => {}, idle_timeout: 0 });
  const a = mk();
  const b = mk();
  const c = mk();
  const watch = mk();
  await a.unsafe(`create table if not exists ${o.table} (id int)`);
  const [{ pid: pa }] = (await a`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
  const [{ pid: pb }] = (await b`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
  const [{ pid: pc }] = (await c`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  const locked = new Promise<void>((ready) => {
    void a.begin(async (tx) => {
      await tx.unsafe(`lock table ${o.table} in access exclusive mode`);
      ready();
      if (o.canaryQuery) await tx.unsafe(o.canaryQuery).catch(() => {});
      await held;
    });
  });
  await locked;
  // B queues for a SHARE lock inside its own transaction; C's insert then waits on both.
  const bq = b.begin((tx) => tx.unsafe(`lock table ${o.table} in share mode`)).catch(() => {});
  await waitFor(async () => (await watch.unsafe("select cardinality(pg_blocking_pids($1)) as n", [pb]))[0]?.n > 0);
  const cq = c.unsafe(`insert into ${o.table} values (1)`).catch(() => {});
  await waitFor(async () => (await watch.unsafe("select cardinality(pg_blocking_pids($1)) as n", [pc]))[0]?.n > 0);
  await watch.end({ timeout: 1 });
  return {
    pids: { a: pa, b: pb, c: pc },
    async stop() {
      release();
      await Promise.all([bq, cq]);
      await Promise.all([a.end({ timeout: 1 }), b.end({ timeout: 1 }), c.end({ timeout: 1 })]);
    },
  };
}

async function waitFor(f: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("timed out waiting for the blocking chain");
}

/**
 * A database where the role can connect but not read the activity, lock and replication
 * views (revoked from PUBLIC in that database only). Created once and reused: CREATE
 * DATABASE checkpoints, which is slow on a busy machine.
 */
export async function deniedDatabase(adminUrl: string, name: string, views: string[]): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
    if (!exists) await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const db = postgres(adminUrl.replace(/\/[^/]*$/, `/${name}`), { max: 1, onnotice: () => {} });
  try {
    await db.unsafe(`revoke select on ${views.map((v) => `pg_catalog.${v}`).join(", ")} from public`);
  } finally {
    await db.end();
  }
}
