import type { Database } from '../../src/stores/mysql/database';
import type { AuditEvent, Store } from '../../src/stores/store';

/**
 * The audit trail of one environment, oldest first, read the way an operator would: straight from the
 * audit_events table for the MySQL store, from the embedded store's own table otherwise.
 */
export async function readAuditTrail(store: Store, environment: string): Promise<AuditEvent[]> {
  if ('database' in store) return readFromDatabase(store.database as Database, environment);
  if ('audit' in store)
    return (store.audit as readonly AuditEvent[]).filter((event) => event.environment === environment).map((event) => ({ ...event }));
  throw new Error(`no way to read the audit trail of a ${store.kind} store`);
}

async function readFromDatabase(db: Database, environment: string): Promise<AuditEvent[]> {
  const rows = await db.rows('SELECT * FROM audit_events WHERE environment = ? ORDER BY id', [environment]);
  return rows.map((row) => ({
    environment: row.environment,
    actor: row.actor,
    requestId: row.request_id,
    partnerId: row.partner_id,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    at: Number(row.at),
  }));
}
