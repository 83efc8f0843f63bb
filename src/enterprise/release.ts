// Giving access back: one person, or the service account and everyone authorized through it.
// - A person: marked revoked (the entry stays, so the page says so), its pending callback key
//   dropped, its tokens taken from the store in one step and revoked at Cronofy with the refresh
//   token. The tokens are forgotten even if Cronofy cannot be told.
// - The service account: its own grant revoked, then every person's (what Cronofy does to the
//   people's grants when a service account is revoked is not documented, so the app does not rely
//   on it), pending keys dropped, the list forgotten. Disconnecting it, replacing it and logging
//   out (it belongs to one session) all come here, and so does its lapsing with the session (the
//   people only: the worker has revoked it): nothing is forgotten without being revoked.
// - Every revoke goes through the app's revoker (revocation/): one Cronofy does not confirm is
//   queued and retried until it does, and the page says "revocation pending".
import type { AppContext } from '../context';
import type { Connection } from '../connections/connection';
import { ReconnectRequiredError } from '../cronofy/errors';
import type { RevokeOutcome } from '../revocation/revoker';
import { peopleOf } from './people';
import type { Person } from './people-store';

export const KEEPS_ASKING = 'Cronofy could not be reached, so the app keeps asking until Cronofy confirms.';

export interface PersonRelease {
  person?: Person;
  /** revoked: Cronofy confirmed (or there was nothing to revoke); pending: queued; unqueued: Cronofy could not be told. */
  outcome: RevokeOutcome;
}

/** Takes the tokens (a refresh landing afterwards revokes its own) and revokes them. */
async function revokeConnection(ctx: AppContext, connectionId: string | undefined, reason = 'disconnect'): Promise<RevokeOutcome> {
  if (!connectionId) return 'revoked';
  const stored = await ctx.tokens.take(connectionId);
  if (!stored) return 'revoked';
  return ctx.revoker.revoke(stored.connection, { token: stored.connection.refresh_token }, reason);
}

export async function revokePerson(ctx: AppContext, serviceId: string, personId: string): Promise<PersonRelease> {
  const people = peopleOf(ctx);
  let before: Person | undefined;
  const after = await people.update(serviceId, (list) => {
    before = list.find((p) => p.id === personId);
    if (!before || before.status === 'revoked') return null;
    return list.map((p) => (p.id === personId ? { ...p, status: 'revoked', updated_at: ctx.now(), callback_hash: undefined, connection_id: undefined } : p));
  });
  if (!before || before.status === 'revoked') return { person: before, outcome: 'revoked' };
  if (before.callback_hash) await people.dropCallback(before.callback_hash);
  const outcome = await revokeConnection(ctx, before.connection_id);
  return { person: after.find((p) => p.id === personId), outcome };
}

export interface ServiceAccountRelease {
  service: RevokeOutcome;
  /** People whose access was revoked (authorized) or whose pending request was cancelled. */
  authorized: number;
  pending: number;
  /** Of the authorized people: revokes queued until Cronofy confirms, and revokes Cronofy could not be told of. */
  revocationPending: number;
  notRevoked: number;
}

export async function releaseServiceAccount(ctx: AppContext, serviceId: string): Promise<ServiceAccountRelease> {
  const service = await revokeConnection(ctx, serviceId);
  return { service, ...(await releasePeople(ctx, serviceId, 'disconnect')) };
}

/**
 * The people authorized through a service account that is gone (released above, or lapsed with its
 * session: the revocation worker, account/lapsed.ts): each revoked, pending keys dropped, the list forgotten.
 */
export async function releasePeople(ctx: AppContext, serviceId: string, reason: string): Promise<Omit<ServiceAccountRelease, 'service'>> {
  const people = peopleOf(ctx);
  const list = await people.list(serviceId);
  await people.forget(serviceId);
  const result = { authorized: 0, pending: 0, revocationPending: 0, notRevoked: 0 };
  for (const person of list) {
    if (person.callback_hash) await people.dropCallback(person.callback_hash);
    if (person.status === 'pending') result.pending++;
    if (person.status !== 'authorized') continue;
    result.authorized++;
    const outcome = await revokeConnection(ctx, person.connection_id, reason);
    if (outcome === 'pending') result.revocationPending++;
    if (outcome === 'unqueued') result.notRevoked++;
  }
  return result;
}

/**
 * A call with the service account's tokens. When Cronofy no longer accepts them (or they are
 * gone), the session forgets the service account (the error page asks to connect it again), so
 * nobody could reach its people any more: they are released here first.
 */
export async function withServiceAccount<T>(ctx: AppContext, serviceId: string, call: (connection: Connection) => Promise<T>): Promise<{ result: T; connection: Connection }> {
  try {
    return await ctx.accessTokens.withAccessToken(serviceId, call);
  } catch (err) {
    if (err instanceof ReconnectRequiredError) await releaseServiceAccount(ctx, serviceId);
    throw err;
  }
}

/** What disconnecting (or logging out with) a service account did, in words. */
export function serviceReleasedMessage(result: ServiceAccountRelease): string {
  const people = result.authorized === 1 ? 'person' : `${result.authorized} people`;
  const parts = [
    {
      revoked: 'Disconnected the service account: Cronofy has revoked it.',
      pending: `Disconnected the service account. Revocation pending: ${KEEPS_ASKING}`,
      unqueued: 'This app forgot the service account, but Cronofy could not be told to revoke it.',
    }[result.service],
    result.authorized === 0
      ? 'Nobody had been authorized through it.'
      : `The ${people} authorized through it lost access too: the app revoked each person's own grant and deleted their tokens.`,
    result.revocationPending > 0 ? `Revocation pending for ${result.revocationPending} of them: ${KEEPS_ASKING}` : '',
    result.notRevoked > 0 ? `${result.notRevoked} could not be revoked at Cronofy and stop working when they expire.` : '',
    result.pending > 0 ? `${result.pending} pending request${result.pending === 1 ? ' was' : 's were'} cancelled: their callbacks will be refused.` : '',
  ];
  return parts.filter(Boolean).join(' ');
}
