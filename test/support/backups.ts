import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import postgres from "postgres";
import { peers } from "./peers.ts";

// Real pg_dump archives made from a real PostgreSQL (the peers' server), and the ways
// backups go bad in practice: flipped bytes, a truncated copy, a row that no longer loads.

export const SCRATCH_ROLE = "verify_scratch";
/** A canary: the scratch role's password must never show up in any output. */
export const SCRATCH_PASSWORD = "canary-scratch-pw-7f3a91";

function adminUrl(): string {
  const url = peers().PG_ADMIN_URL;
  if (!url) throw new Error("PG_ADMIN_URL missing from the peers env: start postgres with scripts/peers.sh");
  return url;
}

export function admin() {
  return postgres(adminUrl(), { max: 1, onnotice: () => {} });
}

/** The scratch server's DSN for a role that may CREATEDB (or not, to test the check). */
export async function scratchDsn(createdb = true): Promise<string> {
  const sql = admin();
  const role = createdb ? SCRATCH_ROLE : `${SCRATCH_ROLE}_nocreatedb`;
  try {
    await sql.unsafe(
      `do $$ begin if not exists (select 1 from pg_roles where rolname = '${role}') then create role ${role} login ${createdb ? "createdb" : "nocreatedb"} password '${SCRATCH_PASSWORD}'; end if; end $$`,
    );
  } finally {
    await sql.end();
  }
  const u = new URL(adminUrl());
  return `postgres://${role}:${SCRATCH_PASSWORD}@${u.host}/postgres`;
}

/**
 * A source database with orders (recent created_at) and, last in dump order, a small
 * ledger whose row 'poison-me' can be broken in an uncompressed archive.
 */
export async function sourceDatabase(name: string, orders: number): Promise<void> {
  const sql = admin();
  try {
    await sql.unsafe(`drop database if exists ${name} with (force)`);
    await sql.unsafe(`create database ${name}`);
  } finally {
    await sql.end();
  }
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  const db = postgres(u.toString(), { max: 1, onnotice: () => {} });
  try {
    await db.unsafe(`
      create table orders (id bigint primary key, customer text not null, amount numeric not null, created_at timestamptz not null);
      insert into orders select g, 'customer-' || (g % 97), (g % 500) + 0.99, now() - (g % 72) * interval '1 hour' from generate_series(1, ${orders}) g;
      create index orders_created_at on orders (created_at);
      create table zz_ledger (id int primary key, note text not null, amount int not null);
      insert into zz_ledger values (1, 'first', 10), (2, 'poison-me', 4711), (3, 'last', 30);`);
  } finally {
    await db.end();
  }
}

export function dropDatabase(name: string): Promise<void> {
  const sql = admin();
  return sql.unsafe(`drop database if exists ${name} with (force)`).then(
    () => sql.end(),
    (e) => sql.end().then(() => Promise.reject(e)),
  );
}

/** pg_dump -Fc of a peers database into a file; compress=false for archives tests edit. */
export function pgDump(database: string, path: string, compress = true): void {
  const u = new URL(adminUrl());
  execFileSync("pg_dump", ["-Fc", ...(compress ? [] : ["-Z0"]), "-f", path, database], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PGHOST: u.hostname, PGPORT: u.port, PGUSER: decodeURIComponent(u.username) },
  });
}

/** Flips bytes in the middle of the file: in a compressed archive that is inside a data block. */
export function flipBytes(path: string, at = 0.6, count = 16): void {
  const buf = readFileSync(path);
  const start = Math.floor(buf.length * at);
  for (let i = start; i < start + count && i < buf.length; i++) buf[i] = (buf[i] as number) ^ 0xff;
  writeFileSync(path, buf);
}

/** Breaks one row of the last table so COPY fails after the earlier tables loaded (archive reads fine). */
export function poisonRow(path: string): void {
  const buf = readFileSync(path);
  const needle = Buffer.from("poison-me\t4711");
  const i = buf.indexOf(needle);
  if (i < 0) throw new Error("poison row not found: was the archive dumped with compress=false?");
  buf.write("poison-me\t47x1", i, "latin1");
  writeFileSync(path, buf);
}

export async function scratchDatabases(): Promise<string[]> {
  const sql = admin();
  try {
    return (await sql<{ datname: string }[]>`select datname from pg_database where datname like 'opsctl\\_verify\\_%' order by 1`).map((r) => r.datname);
  } finally {
    await sql.end();
  }
}
