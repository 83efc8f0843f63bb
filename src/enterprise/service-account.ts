// What GET /v1/userinfo says about a service account (docs: enterprise-connect/userinfo): the
// nested form, or the older flat one. Anything missing is shown as unknown, never guessed.
import type { UserInfo } from '../cronofy/types';

export interface ServiceAccountInfo {
  sub: string;
  email?: string;
  domain?: string;
  provider?: string;
  scope?: string;
  delegatedScope?: string;
  status?: string;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value.slice(0, 300) : undefined);
const object = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});

export function describeServiceAccount(info: UserInfo): ServiceAccountInfo {
  const data = object(info['cronofy.data']);
  const account = object(data.service_account);
  const authorization = object(data.authorization);
  const flat = info as unknown as Record<string, unknown>;
  return {
    sub: info.sub,
    email: text(info.email),
    domain: text(account.domain) ?? text(flat['cronofy.service_account.domain']),
    provider: text(account.provider_name),
    scope: text(authorization.scope),
    delegatedScope: text(authorization.delegated_scope),
    status: text(authorization.status),
  };
}
