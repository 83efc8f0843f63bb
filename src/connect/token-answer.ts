// Checks on a token answer before the app keeps it (decision 010). A failed check means the grant
// is given back to Cronofy and the person is told why.
// - expires_in: a whole number of seconds within 60 s .. 90 days (cronofy/expires-in.ts);
// - the kind matches the flow: Organization Connect yields a token whose scope is
//   organizational_unit_scheduler (the only scope its authorize page takes, documented);
//   Individual Connect never does. Whether an organization's answer also carries account_id is
//   unconfirmed (docs/cronofy-notes.md U6), so the check does not look at it.
import type { ConnectionKind } from '../connections/connection';
import type { TokenResponse } from '../cronofy/types';
import { saneExpiresIn } from '../cronofy/expires-in';
import { ORGANIZATION_SCOPE } from './start';

export type AnswerProblem = 'expires_in' | 'kind' | 'refresh_token';

export function checkTokenAnswer(answer: TokenResponse, kind: ConnectionKind): AnswerProblem | null {
  if (!answer.refresh_token) return 'refresh_token';
  if (!saneExpiresIn(answer.expires_in)) return 'expires_in';
  if (kind === 'enterprise') return null; // a service-account token: its own checks are in enterprise/
  const organizational = answer.scope.split(' ').includes(ORGANIZATION_SCOPE);
  if (organizational !== (kind === 'organization')) return 'kind';
  return null;
}

/** What the person is told, in words. */
export const ANSWER_PROBLEMS: Record<AnswerProblem, string> = {
  refresh_token: 'Cronofy’s answer had no refresh token, so the connection could not be kept.',
  expires_in: 'Cronofy’s answer gave the access token an impossible lifetime.',
  kind: 'Cronofy’s answer was for another kind of connection than the one you started (an organization instead of a calendar, or the reverse).',
};
