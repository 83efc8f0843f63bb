// The checks on a token answer before the app keeps it (decision 010), on the answers Cronofy
// documents and on the shapes it leaves open.
import { checkTokenAnswer } from '../../src/connect/token-answer';
import type { TokenResponse } from '../../src/cronofy/types';

const answer = (fields: Partial<TokenResponse>): TokenResponse => ({
  token_type: 'bearer',
  access_token: 'a'.repeat(32),
  refresh_token: 'r'.repeat(32),
  expires_in: 3600,
  scope: 'read_account list_calendars read_events',
  ...fields,
});

describe('checkTokenAnswer', () => {
  it('takes an Individual Connect answer for an individual flow, and refuses it for an organization flow', () => {
    const individual = answer({ account_id: 'acc_5700a00eb0ccd07000000000', sub: 'acc_5700a00eb0ccd07000000000' });
    expect(checkTokenAnswer(individual, 'individual')).toBeNull();
    expect(checkTokenAnswer(individual, 'organization')).toBe('kind');
  });

  it('takes an organizational_unit_scheduler answer for an organization flow whether or not it names an account_id (unconfirmed, U6)', () => {
    for (const account_id of [undefined, 'acc_5700a00eb0ccd07000000000']) {
      const organization = answer({ scope: 'organizational_unit_scheduler', sub: 'org_0123456789abcdef01234567', account_id });
      expect(checkTokenAnswer(organization, 'organization')).toBeNull();
      expect(checkTokenAnswer(organization, 'individual')).toBe('kind');
    }
  });

  it('refuses an answer without a refresh token, or with an impossible lifetime', () => {
    expect(checkTokenAnswer(answer({ refresh_token: undefined }), 'individual')).toBe('refresh_token');
    expect(checkTokenAnswer(answer({ expires_in: 1e13 }), 'individual')).toBe('expires_in');
  });
});
