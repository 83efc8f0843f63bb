// POST /enterprise/callback/:key: Cronofy's answer to a service-account authorization request.
// A server-to-server POST: no session, no CSRF token, no cookies. In this order, and nothing
// changes unless every check passes:
// 1. the key is a well-formed 256-bit value (404 otherwise);
// 2. the raw body is at most 16 kB (413);
// 3. Cronofy-HMAC-SHA256 matches the body under our client secret (401): only Cronofy can sign;
// 4. the body is JSON with an `authorization` object holding a `code` or an `error` (400);
// 5. the key names a pending authorization: taken with GETDEL, so unknown and replayed keys get
//    404 and a callback is acted on once;
// 6. `authorization.code`: exchanged once with redirect_uri = the callback_url the request used
//    (as Cronofy documents), the answer checked like any (connect/token-answer.ts), the person's
//    tokens stored as their own connection; from the exchange on, a grant that is not kept is
//    given back through the revoker (queued until Cronofy confirms);
//    `authorization.error`: the failure and Cronofy's reason recorded for the page.
// Cronofy gets 200 once the callback was acted on, whatever the outcome for the person.
import { randomBytes } from 'node:crypto';
import express, { Router, type ErrorRequestHandler, type Response } from 'express';
import type { AppContext } from '../context';
import { callbackSecrets } from '../config';
import type { Connection } from '../connections/connection';
import { ANSWER_PROBLEMS, checkTokenAnswer } from '../connect/token-answer';
import { CronofyError } from '../cronofy/errors';
import type { TokenResponse } from '../cronofy/types';
import { verifyCronofySignature } from '../cronofy/signature';
import { mask } from '../inspector/mask';
import { callbackUrlFor, peopleOf } from './people';
import type { PendingCallback, Person, PersonFailure } from './people-store';

export const MAX_CALLBACK_BYTES = 16 * 1024;
const KEY = /^[A-Za-z0-9_-]{43}$/;
const CODE = /^[\x21-\x7e]{1,1024}$/;
const FLOW = 'Enterprise Connect';
const REQUEST = 'POST /enterprise/callback/…';

type Outcome = { code: string } | { failure: PersonFailure };

const answer = (res: Response, status: number, text: string) => void res.status(status).type('text/plain').send(text);

/** The body's `authorization`: a code, or an error with Cronofy's reason; undefined when neither. */
export function parseAuthorization(raw: Buffer): Outcome | undefined {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  const authorization = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).authorization : undefined;
  if (typeof authorization !== 'object' || authorization === null) return undefined;
  const { code, error, error_key, error_description } = authorization as Record<string, unknown>;
  if (typeof code === 'string') return CODE.test(code) ? { code } : undefined;
  const text = (value: unknown, max: number) => (typeof value === 'string' && value.length > 0 ? value.slice(0, max) : undefined);
  const failure: PersonFailure = { error: text(error, 64), error_key: text(error_key, 64), error_description: text(error_description, 300) };
  return failure.error || failure.error_key ? { failure } : undefined;
}

export function enterpriseCallbackRoutes(ctx: AppContext): Router {
  const router = Router();
  const people = peopleOf(ctx);

  const note = (pending: PendingCallback, step: string, detail: Record<string, string | undefined>) => {
    if (pending.inspector_id) ctx.inspector.recordFor(pending.inspector_id, FLOW, REQUEST, step, detail);
  };

  router.post('/enterprise/callback/:key', express.raw({ type: () => true, limit: MAX_CALLBACK_BYTES }), async (req, res) => {
    const key = req.params.key;
    if (typeof key !== 'string' || !KEY.test(key)) return answer(res, 404, 'Unknown callback');
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!verifyCronofySignature(raw, req.headers['cronofy-hmac-sha256'], callbackSecrets(ctx.config.cronofy))) {
      return answer(res, 401, 'Missing or wrong Cronofy-HMAC-SHA256');
    }
    const outcome = parseAuthorization(raw);
    if (!outcome) return answer(res, 400, 'Expected {"authorization": {"code": …}} or {"authorization": {"error": …}}');
    const pending = await people.takeCallback(key);
    if (!pending) return answer(res, 404, 'Unknown or already used callback');

    const serviceId = pending.service_connection_id;
    const isPending = (list: Person[]) => list.find((p) => p.id === pending.person_id && p.status === 'pending');
    if (!isPending(await people.list(serviceId))) return answer(res, 404, 'This authorization is no longer pending');

    if ('failure' in outcome) {
      note(pending, 'Callback: Cronofy could not authorize the person (signature checked)', { ...outcome.failure });
      await settle(serviceId, pending.person_id, { status: 'failed', failure: outcome.failure });
      return answer(res, 200, 'OK');
    }

    note(pending, 'Callback: authorization.code received (signature checked, key single-use)', { code: mask(outcome.code) });
    const redirectUri = callbackUrlFor(ctx, key);
    let tokens: TokenResponse;
    try {
      tokens = await ctx.clientFor(pending.data_center).requestAccessToken({ code: outcome.code, redirect_uri: redirectUri });
    } catch (err) {
      if (!(err instanceof CronofyError)) throw err;
      const failure: PersonFailure = {
        error: err.details.error ?? err.code,
        error_description: `The app could not exchange Cronofy's code (${err.message}).`,
      };
      note(pending, 'Code exchange failed', { error: failure.error });
      await settle(serviceId, pending.person_id, { status: 'failed', failure });
      return answer(res, 200, 'OK');
    }
    await keepPersonGrant(pending, key, tokens);
    answer(res, 200, 'OK');
  });

  /**
   * After the exchange a grant exists at Cronofy: it ends held (the person's record) or revoked,
   * as for every connection (decision 010). A refused answer, a record that cannot be written or a
   * person revoked meanwhile gives it back through the revoker (queued until Cronofy confirms).
   */
  async function keepPersonGrant(pending: PendingCallback, key: string, tokens: TokenResponse): Promise<void> {
    const grant = { data_center: pending.data_center, kind: 'individual', sub: tokens.sub };
    const given = { token: tokens.refresh_token ?? tokens.access_token };
    let stored = false;
    try {
      const problem = checkTokenAnswer(tokens, 'individual');
      if (problem) {
        note(pending, 'Token answer refused; access given back to Cronofy', { problem });
        await ctx.revoker.revoke(grant, given, `token answer refused (${problem})`);
        await settle(pending.service_connection_id, pending.person_id, { status: 'failed', failure: { error: 'token_answer_refused', error_description: ANSWER_PROBLEMS[problem] } });
        return;
      }
      // The person belongs to the service account's session and lapses with it; with it gone, nobody could reach them.
      const service = await ctx.tokens.get(pending.service_connection_id);
      if (!service) {
        await ctx.revoker.revoke(grant, given, 'service account gone');
        await settle(pending.service_connection_id, pending.person_id, { status: 'failed', failure: { error: 'service_account_gone', error_description: 'The service account was disconnected while Cronofy answered.' } });
        return;
      }
      const connection = personConnection(pending, tokens, service.connection.lapses_at);
      await ctx.tokens.create(connection);
      stored = true;
      note(pending, "Person's tokens stored server-side (code exchanged with redirect_uri = callback_url)", {
        redirect_uri: `${ctx.config.appBaseUrl}/enterprise/callback/${mask(key)}`,
        access_token: mask(connection.access_token),
        refresh_token: mask(connection.refresh_token),
        scope: connection.scope,
        sub: connection.sub,
      });
      if (connection.sub !== undefined) await ctx.revoker.heldAgain({ ...grant, sub: connection.sub }); // held again: queued revokes would end it
      const kept = await settle(pending.service_connection_id, pending.person_id, {
        status: 'authorized',
        connection_id: connection.id,
        sub: connection.sub ?? connection.account_id,
        profile: connection.linking_profile ? `${connection.linking_profile.profile_name} (${connection.linking_profile.provider_name})` : undefined,
      });
      if (!kept) {
        // Revoked or disconnected while the code was being exchanged: give the grant back.
        await ctx.tokens.remove(connection.id);
        await ctx.revoker.revoke(connection, { token: connection.refresh_token }, 'person revoked during the exchange');
      }
    } catch (err) {
      if (!stored) await ctx.revoker.revoke(grant, given, 'failure after the code exchange');
      throw err;
    }
  }

  /** Updates a still-pending person; false when it no longer is (revoked, or the list is gone). */
  async function settle(serviceId: string, personId: string, change: Partial<Person>): Promise<boolean> {
    let changed = false;
    await people.update(serviceId, (list) => {
      const person = list.find((p) => p.id === personId && p.status === 'pending');
      if (!person) return null;
      changed = true;
      return list.map((p) => (p.id === personId ? { ...p, ...change, callback_hash: undefined, updated_at: ctx.now() } : p));
    });
    return changed;
  }

  function personConnection(pending: PendingCallback, tokens: TokenResponse, lapsesAt: number | undefined): Connection {
    const now = ctx.now();
    return {
      id: randomBytes(16).toString('hex'),
      kind: 'individual',
      data_center: pending.data_center,
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token!, // checkTokenAnswer made sure
      expires_at: now + tokens.expires_in * 1000,
      scope: tokens.scope,
      account_id: tokens.account_id,
      sub: tokens.sub,
      linking_profile: tokens.linking_profile,
      connected_at: now,
      lapses_at: lapsesAt,
    };
  }

  const tooLargeOrUnreadable: ErrorRequestHandler = (err: unknown, _req, res, next) => {
    const status = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined;
    if (typeof status === 'number' && status >= 400 && status < 500) return answer(res, status, status === 413 ? 'Body too large' : 'Unreadable body');
    next(err);
  };
  router.use('/enterprise/callback', tooLargeOrUnreadable);
  return router;
}
