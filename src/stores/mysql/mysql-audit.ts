import { PoolConnection } from 'mysql2/promise';
import { AuditAction, AuditContext, AuditEvent, AuditResource } from '../store';
import { Database } from './database';

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

export async function listAudit(db: Database, environment: string): Promise<AuditEvent[]> {
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
