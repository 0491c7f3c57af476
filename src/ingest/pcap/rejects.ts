/**
 * Skipped packet records of one capture, staged in a temporary table while the file is read and moved to
 * the rejects table at the end, so that the import summary counts them by reason with their record numbers.
 */
import { sqlString, type DuckDbStore } from '../../store/duckdb.js';
import { REJECTS_TABLE } from '../../store/schema.js';
import { excerptSql } from '../lines.js';

const TABLE = 'pcap_rejects';

/** Rejects kept in memory before they are appended to the staging table. */
const BATCH_SIZE = 10_000;

/** Captured bytes shown, as hex, in a rejected packet's excerpt. */
const EXCERPT_BYTES = 40;

export function hexExcerpt(data: Buffer): string {
  const hex = data
    .subarray(0, EXCERPT_BYTES)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
  return data.length > EXCERPT_BYTES ? `${hex} …(${data.length} bytes)` : hex;
}

export class RejectBuffer {
  count = 0;
  private pending: Array<{ index: number; reason: string; excerpt: string }> = [];

  constructor(private readonly store: DuckDbStore) {}

  async open(): Promise<void> {
    await this.store.run(
      `CREATE OR REPLACE TEMP TABLE ${TABLE} (sourceline BIGINT, reason VARCHAR, excerpt VARCHAR)`,
    );
  }

  add(index: number, reason: string, excerpt: string): void {
    this.pending.push({ index, reason, excerpt });
    this.count += 1;
  }

  get full(): boolean {
    return this.pending.length >= BATCH_SIZE;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const appender = await this.store.connection.createAppender(TABLE);
    try {
      for (const reject of this.pending) {
        appender.appendBigInt(BigInt(reject.index));
        appender.appendVarchar(reject.reason);
        appender.appendVarchar(reject.excerpt);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    this.pending = [];
  }

  async moveToRejects(file: string): Promise<void> {
    await this.flush();
    await this.store.run(
      `INSERT INTO ${REJECTS_TABLE}
         SELECT ${sqlString(file)}, sourceline, reason, ${excerptSql('excerpt')} FROM ${TABLE}`,
    );
  }

  async close(): Promise<void> {
    await this.store.run(`DROP TABLE IF EXISTS ${TABLE}`);
  }
}
