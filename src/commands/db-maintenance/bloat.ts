import type { IndexRow } from "../../providers/postgres/maintenance.ts";

export type BloatEstimate =
  | { known: true; actualPages: number; expectedPages: number; ratio: number; bytes: number; tupleBytes: number }
  | { known: false; reason: string };

// B-tree page layout (PostgreSQL 15, src/include/storage/bufpage.h, access/nbtree.h).
const PAGE_HEADER = 24;
const BTREE_SPECIAL = 16;
const INDEX_TUPLE_HEADER = 8; // IndexTupleData: t_tid (6) + t_info (2)
const NULL_BITMAP = 4; // IndexAttributeBitMapData, present only when a key can be null
const LINE_POINTER = 4; // ItemIdData
const MAXALIGN = 8;

const align = (n: number) => Math.ceil(n / MAXALIGN) * MAXALIGN;

/**
 * How much smaller a B-tree index would be if rebuilt, estimated from statistics only
 * (no index scan, no extension), the method of the widely used ioguix "btree bloat"
 * query: each entry takes MAXALIGN(header [+ null bitmap] + Σ pg_stats.avg_width of its
 * columns) + a line pointer; leaf pages hold (block − page header − special) × fillfactor
 * of that; inner levels are added with the same fan-out, plus the metapage. The index
 * entry count is pg_class.reltuples and the actual size pg_class.relpages, both written by
 * the same VACUUM/ANALYZE (so they describe one moment, and reading them takes no lock).
 * It overestimates bloat when statistics are stale, and ignores
 * B-tree deduplication (PostgreSQL 13+), which makes indexes with many duplicates
 * smaller than estimated: a low-cardinality index can show less bloat than it has,
 * never more. Expression and non-B-tree indexes are not estimated.
 */
export function estimateBtreeBloat(ix: IndexRow): BloatEstimate {
  if (ix.method !== "btree") return { known: false, reason: `${ix.method} index: bloat is estimated for B-tree indexes only` };
  if (ix.hasExpressions) return { known: false, reason: "expression index: no column statistics to estimate its entries from" };
  if (ix.columnsWithStats < ix.columns) return { known: false, reason: "no statistics for its columns (never analyzed): run the analyze task first" };
  if (ix.tuples < 0) return { known: false, reason: "never vacuumed or analyzed: no entry count in pg_class.reltuples" };
  const actualPages = Math.max(1, Math.round(ix.sizeBytes / ix.blockSize));
  const tupleBytes = align(INDEX_TUPLE_HEADER + (ix.anyNullable ? NULL_BITMAP : 0) + ix.statsWidth) + LINE_POINTER;
  const usable = (ix.blockSize - PAGE_HEADER - BTREE_SPECIAL) * (ix.fillfactor / 100);
  const perPage = Math.max(2, Math.floor(usable / tupleBytes));
  let level = Math.max(1, Math.ceil(ix.tuples / perPage));
  let expectedPages = 1 + level; // metapage + leaves
  while (level > 1) {
    level = Math.ceil(level / perPage);
    expectedPages += level;
  }
  const wasted = Math.max(0, actualPages - expectedPages);
  return { known: true, actualPages, expectedPages, ratio: wasted / actualPages, bytes: wasted * ix.blockSize, tupleBytes };
}
