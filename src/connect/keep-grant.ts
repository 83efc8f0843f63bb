// After the code exchange a grant exists at Cronofy: it must end held or revoked (decision 010).
// Everything here runs inside one guard; until the record is written, any failure revokes.
// 1. check the answer (expires_in, refresh token, kind of token for this flow): else revoke, say why;
// 2. write the record of this Cronofy account (connections/identity.ts); a failed write revokes by
//    sub (a linked account may share this grant with a record written earlier); once written,
//    revokes still queued for this account are cancelled (the app holds its authorization again),
//    and if one was already on the wire, the new grant is checked once it is answered: ended by it,
//    the record goes and the person is asked to connect again at once (ended-meanwhile.ts);
// 3. a new session id, with a new flow binding (the old one retired, so a flow prepared in a planted
//    session cannot complete here, and a second tab that raced this one stops);
// 4. the push channel moves to this connection (push/channels.ts); push problems never fail a connect;
// 5. the connection this session held before, if it is another account with another refresh token,
//    is revoked (queued when Cronofy cannot be reached). The same account is replaced, never revoked.
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { AppContext } from '../context';
import type { Connection } from '../connections/connection';
import { connectionIdFor } from '../connections/identity';
import type { TokenResponse } from '../cronofy/types';
import type { RevokeOutcome } from '../revocation/revoker';
import { releaseServiceAccount } from '../enterprise/release';
import { SESSION_ABSOLUTE_MS, SESSION_HOLD_MS } from '../session';
import { boundUntilOf, connectionIds, connectionOf, createdAtOf, flash, flowBindingOf, regenerateSession } from '../session/access';
import { PageError, startAgain } from '../web/errors';
import { retireBinding } from './browser-lock';
import { endedMeanwhile } from './ended-meanwhile';
import type { PendingFlow } from '../connections/state-store';
import { ANSWER_PROBLEMS, checkTokenAnswer } from './token-answer';

export interface Kept {
  connection: Connection;
  /** This Cronofy account had a record already: the person signed in again. */
  recognised: boolean;
}

export async function keepGrant(ctx: AppContext, req: Request, flow: PendingFlow, answer: TokenResponse): Promise<Kept> {
  const token = { token: answer.refresh_token ?? answer.access_token };
  const grant = { data_center: flow.data_center, kind: flow.kind, sub: answer.sub };
  const revokeAnswer = (target: { token: string } | { sub: string }, reason: string) => ctx.revoker.revoke(grant, target, reason);
  let stored = false;
  try {
    const problem = checkTokenAnswer(answer, flow.kind);
    if (problem) {
      await revokeAnswer(token, `token answer refused (${problem})`);
      throw new PageError({
        status: 502,
        code: 'token_answer_refused',
        title: 'Cronofy’s answer could not be used',
        message: `${ANSWER_PROBLEMS[problem]} The app gave the access back to Cronofy. Start again.`,
        next: [startAgain(flow.kind)],
      });
    }
    const connection = buildConnection(ctx, flow, answer, sessionEndsBy(req, ctx.now()));
    // Session-bound: lapses when this session idles out unless its requests move it on (session/hold.ts).
    const heldUntil = connection.lapses_at === undefined ? undefined : Math.min(connection.lapses_at, ctx.now() + SESSION_HOLD_MS);
    let previous;
    let existing;
    try {
      existing = await ctx.tokens.get(connection.id);
      if (existing) connection.connected_at = existing.connection.connected_at;
      previous = await ctx.tokens.put(connection, heldUntil);
    } catch (err) {
      ctx.logger.error({ err }, 'token record could not be written; revoking the grant');
      await revokeAnswer(answer.sub ? { sub: answer.sub } : token, 'not stored');
      throw new PageError({
        status: 503,
        code: 'grant_not_stored',
        title: 'The connection could not be kept',
        message: 'The app could not store the tokens, so it gave the access back to Cronofy. Nothing is connected. Try again in a moment.',
        next: [startAgain(flow.kind)],
        headers: { 'Retry-After': '5' },
      });
    }
    stored = true;
    await keepPendingRevokesOff(ctx, grant);
    if (await endedMeanwhile(ctx, connection)) {
      ctx.inspector.record(req, 'A revoke of this Cronofy account, sent earlier, reached Cronofy after the code exchange: the new grant is dead, and was not kept', {});
      throw new PageError({
        status: 409,
        code: 'ended_by_earlier_revoke',
        title: flow.kind === 'organization' ? 'Please connect your organization again' : 'Please connect your calendar again',
        message:
          'Cronofy ended this connection a moment after granting it: the app had asked Cronofy earlier to revoke access for this account ' +
          '(after a disconnect, or a token answer that was lost), and that request arrived just after you connected. Nothing is connected now; connecting again works.',
        next: [startAgain(flow.kind)],
      });
    }
    // The same Cronofy account with another calendar account: linked in, not a sign-in again.
    const joined = existing !== undefined && existing !== null && existing.connection.linking_profile?.profile_id !== connection.linking_profile?.profile_id;
    const welcomeBack = previous !== null && !joined;

    const replaced = connectionOf(req, flow.kind);
    const oldBinding = flowBindingOf(req);
    await regenerateSession(req, {
      connections: { ...connectionIds(req), [flow.kind]: connection.id },
      flowBinding: randomBytes(16).toString('hex'),
      flash: { kind: 'info', text: connectedMessage(connection, welcomeBack) },
      // The earliest of this session's bound records decides when the next request moves them all on.
      boundUntil: earliest(boundUntilOf(req), heldUntil),
    });
    if (oldBinding) await retireBinding(ctx.kv, oldBinding);
    // A calendar account joined this Cronofy account (linking): cached calendars and profiles no longer hold.
    if (joined) {
      await Promise.all([ctx.cache.invalidate(connection.id), ctx.push.profiles.forget(connection.id)]).catch((err: unknown) =>
        ctx.logger.warn({ err }, 'cached answers not forgotten'),
      );
    }
    await movePushChannel(ctx, connection, replaced);

    if (replaced && replaced !== connection.id && (await giveBackReplaced(ctx, replaced, connection)) === 'pending') {
      flash(
        req,
        'info',
        `${connectedMessage(connection, welcomeBack)} Revocation pending for the account it replaced: Cronofy could not be reached, so the app keeps asking until Cronofy confirms.`,
      );
    }
    return { connection, recognised: previous !== null };
  } catch (err) {
    if (!stored && !(err instanceof PageError)) await revokeAnswer(token, 'failure after the code exchange');
    throw err;
  }
}

/**
 * The app holds this Cronofy account's authorization again, so revokes queued for it earlier (a
 * disconnect or lost refresh answer that Cronofy did not confirm) must not run: Cronofy keeps one
 * authorization per account, and they would end this connection. A failure here is logged, not
 * shown: the connection is held either way.
 */
async function keepPendingRevokesOff(ctx: AppContext, grant: { data_center: Connection['data_center']; kind: string; sub?: string }): Promise<void> {
  if (grant.sub === undefined) return;
  await ctx.revoker.heldAgain({ ...grant, sub: grant.sub }).catch((err: unknown) => ctx.logger.error({ err }, 'queued revocations of this account not cancelled'));
}

const earliest = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

/** When this browser session has ended at the latest (its absolute lifetime from its start). */
function sessionEndsBy(req: Request, now: number): number {
  return (createdAtOf(req) ?? now) + SESSION_ABSOLUTE_MS;
}

function buildConnection(ctx: AppContext, flow: PendingFlow, answer: TokenResponse, sessionEnd: number): Connection {
  const now = ctx.now();
  return {
    // Enterprise Connect's service account belongs to this session only (no sign-in by account).
    id: connectionIdFor(ctx.application, flow.kind, flow.data_center, flow.kind === 'enterprise' ? undefined : answer.sub),
    kind: flow.kind,
    data_center: flow.data_center,
    access_token: answer.access_token,
    refresh_token: answer.refresh_token!,
    expires_at: now + answer.expires_in * 1000,
    scope: answer.scope,
    account_id: answer.account_id,
    sub: answer.sub,
    linking_profile: answer.linking_profile,
    service_account_id: answer.service_account_id,
    connected_at: now,
    signed_in_at: now,
    // Enterprise Connect, and an answer without `sub` (no sign-in), belong to this session: nobody
    // can reach them after it, so they lapse (and are revoked) with it: when it idles out, at its
    // absolute end (this) at the latest.
    lapses_at: flow.kind === 'enterprise' || answer.sub === undefined ? sessionEnd : undefined,
  };
}

/**
 * The push channel follows the connection (push/channels.ts): a replaced connection of another
 * account has its channel closed; this account's earlier channel (same connection id) is closed and
 * a fresh one opened, so channels never pile up. Push problems never fail a connect.
 */
async function movePushChannel(ctx: AppContext, connection: Connection, replacedId: string | undefined): Promise<void> {
  try {
    if (replacedId && replacedId !== connection.id) {
      const old = await ctx.tokens.get(replacedId);
      if (old) await ctx.push.channels.close(old.connection);
    }
    await ctx.push.channels.close(connection);
    await ctx.push.channels.open(connection);
  } catch (err) {
    ctx.logger.warn({ err }, 'push channel not opened');
  }
}

/** The connection this session held before, for another account: revoked unless it is the same grant. */
async function giveBackReplaced(ctx: AppContext, replacedId: string, kept: Connection): Promise<RevokeOutcome | 'kept'> {
  // A replaced service account takes the people authorized through it along (enterprise/release.ts).
  if (kept.kind === 'enterprise') {
    await releaseServiceAccount(ctx, replacedId).catch(() => undefined);
    return 'kept';
  }
  const old = await ctx.tokens.get(replacedId).catch(() => null);
  if (!old) return 'kept';
  if (old.connection.refresh_token === kept.refresh_token || (kept.sub !== undefined && old.connection.sub === kept.sub)) return 'kept';
  if (!(await ctx.tokens.removeIfVersion(replacedId, old.version))) return 'kept'; // signed in again meanwhile: held
  return ctx.revoker.revoke(old.connection, { token: old.connection.refresh_token }, 'replaced');
}

function connectedMessage(connection: Connection, recognised: boolean): string {
  if (connection.kind === 'enterprise') return 'The service account is connected: you can now authorize people by email.';
  const what =
    connection.kind === 'organization'
      ? 'your organization'
      : connection.linking_profile
        ? `${connection.linking_profile.profile_name} (${connection.linking_profile.provider_name})`
        : 'your calendar';
  if (recognised) {
    return `Welcome back: this app recognised your Cronofy account and reconnected ${what}, first connected ${new Date(connection.connected_at).toUTCString()}.`;
  }
  return connection.kind === 'organization' ? 'Your organization is connected.' : `Connected ${what}.`;
}
