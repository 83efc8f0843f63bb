// POST /v1/service_account_authorizations for one person, by email:
// https://docs.cronofy.com/developers/api/enterprise-connect/delegated-access/
// 1. The person is written as pending, with the hash of a fresh callback key, *before* Cronofy is
//    asked: its callback can come at any moment after that.
// 2. The request carries email, callback_url (which holds the key), scope (the configured
//    delegated_scope) and state (the person's id; whether Cronofy echoes it is unconfirmed, so
//    nothing relies on it). Cronofy answers 202 and POSTs to callback_url later.
// 3. If Cronofy refuses the request, the person is marked failed with the reason and the key dropped.
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../context';
import { CronofyError } from '../cronofy/errors';
import { callbackUrlFor, peopleOf } from './people';
import { withServiceAccount } from './release';
import { hashKey, newCallbackKey, type Person } from './people-store';

export type AuthorizeOutcome = { kind: 'requested'; person: Person } | { kind: 'already'; person: Person } | { kind: 'refused'; person: Person };

export async function authorizePerson(ctx: AppContext, serviceId: string, email: string, inspectorId: string | undefined): Promise<AuthorizeOutcome> {
  const people = peopleOf(ctx);
  const { data_center } = await ctx.accessTokens.current(serviceId);
  const key = newCallbackKey();
  const now = ctx.now();
  const scope = ctx.config.cronofy.enterprise.delegatedScope;
  let existing: Person | undefined;
  let person: Person | undefined;
  await people.update(serviceId, (list) => {
    existing = list.find((p) => p.email === email && (p.status === 'pending' || p.status === 'authorized'));
    if (existing) return null;
    const again = list.find((p) => p.email === email);
    person = { id: again?.id ?? randomBytes(12).toString('hex'), email, status: 'pending', scope, requested_at: now, updated_at: now, callback_hash: hashKey(key) };
    return again ? list.map((p) => (p.id === again.id ? (person as Person) : p)) : [...list, person];
  });
  if (existing) return { kind: 'already', person: existing };
  const pending = person as Person;
  await people.putCallback(key, { service_connection_id: serviceId, data_center, person_id: pending.id, inspector_id: inspectorId });

  try {
    await withServiceAccount(ctx, serviceId, (c) =>
      ctx.clientFor(c.data_center).authorizeWithServiceAccount({ accessToken: c.access_token }, { email, callback_url: callbackUrlFor(ctx, key), scope, state: pending.id }),
    );
  } catch (err) {
    if (!(err instanceof CronofyError)) throw err;
    await people.dropCallback(hashKey(key));
    const failure = { error: err.details.error ?? err.code, error_description: describeRefusal(err) };
    const list = await people.update(serviceId, (current) =>
      current.map((p) => (p.id === pending.id && p.status === 'pending' ? { ...p, status: 'failed', failure, callback_hash: undefined, updated_at: ctx.now() } : p)),
    );
    return { kind: 'refused', person: list.find((p) => p.id === pending.id) ?? pending };
  }
  return { kind: 'requested', person: pending };
}

function describeRefusal(err: CronofyError): string {
  const errors = err.details.errors;
  if (err.code === 'invalid_request' && typeof errors === 'object' && errors !== null) {
    const fields = Object.entries(errors as Record<string, { description?: unknown }[]>)
      .map(([field, list]) => `${field}: ${Array.isArray(list) ? list.map((e) => String(e.description ?? '')).join(', ') : ''}`)
      .join('; ');
    return `Cronofy refused the request (${fields.slice(0, 300)}).`;
  }
  if (err.code === 'forbidden') return 'Cronofy refused the request: the service account lacks service_account/accounts/manage. Connect the service account again.';
  if (err.code === 'unavailable' || err.code === 'rate_limited') return 'Cronofy could not take the request just now. Try again in a moment.';
  return `Cronofy refused the request (${err.message}).`;
}
