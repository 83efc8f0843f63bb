// The administrator's authorization for Enterprise Connect: the app host's
// /enterprise_connect/oauth/authorize, with the service-account `scope` and the `delegated_scope`
// people may later be granted. `state`, the callback and its checks are those of every other flow.
// https://docs.cronofy.com/developers/api/enterprise-connect/request-authorization/
import type { AppContext } from '../context';
import type { DataCenter } from '../cronofy/data-centers';

export const MANAGE_ACCOUNTS = 'service_account/accounts/manage';
export const UNRESTRICTED_ACCESS = 'service_account/accounts/unrestricted_access';

export function enterpriseAuthorization(ctx: AppContext, dataCenter: DataCenter, state: string) {
  const { delegatedScope, unrestrictedAccess } = ctx.config.cronofy.enterprise;
  const scope = unrestrictedAccess ? `${MANAGE_ACCOUNTS} ${UNRESTRICTED_ACCESS}` : MANAGE_ACCOUNTS;
  const url = ctx.clientFor(dataCenter).enterpriseConnectAuthorizationUrl({
    redirect_uri: ctx.redirectUris.oauth,
    scope,
    delegated_scope: delegatedScope,
    state,
  });
  return { url, scope, delegated_scope: delegatedScope };
}
