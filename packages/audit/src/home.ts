import { InputError } from '@tessera/core'
import type { Home } from '@tessera/identity'
import { type AuditData, isAuditEventType } from './entry.js'
import { auditAgentTransitions } from './events.js'
import { appendAudit } from './store.js'

/**
 * Give a home its audit log: every operation that records events (agent creation and lifecycle, role grants,
 * status changes, publications) appends them inside its own transaction, so an audit write that fails fails the
 * operation. Call once after `openHome` (with `auditMigrations` among the migrations).
 */
export function enableAudit(home: Home): void {
  home.hooks.record = async (events) => {
    await appendAudit(
      home,
      events.map((event) => {
        if (!isAuditEventType(event.type)) {
          throw new InputError('ERR_INPUT_INVALID', `unknown audit event type ${JSON.stringify(event.type)}`)
        }
        return {
          actor: event.actor,
          type: event.type,
          ...(event.subject === undefined ? {} : { subject: event.subject }),
          ...(event.data === undefined ? {} : { data: event.data as AuditData }),
        }
      }),
    )
  }
  auditAgentTransitions(home)
}
