// Giving access back: one person, or the service account and everyone authorized through it.
// - A person: marked revoked (the entry stays, so the page says so), its pending callback key
//   dropped, its tokens taken from the store in one step and revoked at Cronofy with the refresh
//   token. The tokens are forgotten even if Cronofy cannot be told.
// - The service account: its own grant revoked, then every person's (what Cronofy does to the
//   people's grants when a service account is revoked is not documented, so the app does not rely
//   on it), pending keys dropped, the list forgotten.
import type { AppContext } from '../context';
import { revokeGrant } from '../connections/revoke';
import { peopleOf } from './people';
import type { Person } from './people-store';

export interface PersonRelease {
  person?: Person;
  /** False when Cronofy could not be told (the tokens are forgotten anyway). */
  revoked: boolean;
}

/** Takes the tokens (a refresh landing afterwards revokes its own) and revokes them; false when Cronofy could not be told. */
async function revokeConnection(ctx: AppContext, connectionId: string | undefined): Promise<boolean> {
  if (!connectionId) return true;
  const stored = await ctx.tokens.take(connectionId);
  if (!stored) return true;
  return revokeGrant(ctx.clientFor, stored.connection, 'disconnect', ctx.logger);
}

export async function revokePerson(ctx: AppContext, serviceId: string, personId: string): Promise<PersonRelease> {
  const people = peopleOf(ctx);
  let before: Person | undefined;
  const after = await people.update(serviceId, (list) => {
    before = list.find((p) => p.id === personId);
    if (!before || before.status === 'revoked') return null;
    return list.map((p) => (p.id === personId ? { ...p, status: 'revoked', updated_at: ctx.now(), callback_hash: undefined, connection_id: undefined } : p));
  });
  if (!before || before.status === 'revoked') return { person: before, revoked: true };
  if (before.callback_hash) await people.dropCallback(before.callback_hash);
  const revoked = await revokeConnection(ctx, before.connection_id);
  return { person: after.find((p) => p.id === personId), revoked };
}

export interface ServiceAccountRelease {
  serviceRevoked: boolean;
  /** People whose access was revoked (authorized) or whose pending request was cancelled. */
  authorized: number;
  pending: number;
  notRevoked: number;
}

export async function releaseServiceAccount(ctx: AppContext, serviceId: string): Promise<ServiceAccountRelease> {
  const serviceRevoked = await revokeConnection(ctx, serviceId);
  const people = peopleOf(ctx);
  const list = await people.list(serviceId);
  await people.forget(serviceId);
  const result: ServiceAccountRelease = { serviceRevoked, authorized: 0, pending: 0, notRevoked: 0 };
  for (const person of list) {
    if (person.callback_hash) await people.dropCallback(person.callback_hash);
    if (person.status === 'pending') result.pending++;
    if (person.status !== 'authorized') continue;
    result.authorized++;
    if (!(await revokeConnection(ctx, person.connection_id))) result.notRevoked++;
  }
  return result;
}

/** Logging out: the tokens of the service account's people are forgotten too; nothing is revoked. */
export async function forgetServiceAccount(ctx: AppContext, serviceId: string): Promise<void> {
  const people = peopleOf(ctx);
  for (const person of await people.list(serviceId)) {
    if (person.connection_id) await ctx.tokens.remove(person.connection_id);
    if (person.callback_hash) await people.dropCallback(person.callback_hash);
  }
  await people.forget(serviceId);
}
