import type { PoolConnection } from 'mysql2/promise';
import type { AuditAction, AuditContext, AuditResource } from '../store';
import type { Database } from './database';

export async function insertAudit(
  db: Database,
  conn: PoolConnection,
  audit: AuditContext,
  action: AuditAction,
  resourceType: AuditResource,
  resourceId: string | number,
  at: number,
): Promise<void> {
  await db.execute(
    'INSERT INTO audit_events (environment, actor, request_id, partner_id, action, resource_type, resource_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [audit.environment, audit.actor, audit.requestId, audit.partnerId ?? null, action, resourceType, String(resourceId), at],
    conn,
  );
}
