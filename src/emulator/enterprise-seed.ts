// The sample Enterprise Connect world: one service account, the Microsoft 365 domain
// fabrikam.example it administers, and that domain's people. Riley Chen (already on the consent
// page as an "Enterprise Connect (linked)" account) is one of them. Every person starts linked to
// Enterprise Connect, so Extended Permissions for them are granted at once; once the service account
// authorizes them, that holds only if it has service_account/accounts/unrestricted_access.
// Ids follow Cronofy's documented formats (ser_ + 24 hex; acc_ + 24 hex), derived from names.
import { createHash } from 'node:crypto';
import type { SeedAccount } from './seed';

export interface SeedServiceAccount {
  sub: string;
  domain: string;
  provider_name: string;
  /** The administrator who authorizes the service account on the Enterprise Connect page. */
  admin: { email: string; name: string };
  /** The email address /v1/userinfo reports for the service account. */
  email: string;
  people: SeedAccount[];
}

const hex = (seed: string, length = 24): string => createHash('sha256').update(seed).digest('hex').slice(0, length);

function person(email: string, name: string): SeedAccount {
  const suffix = hex(`profile:${email}:exchange`, 10);
  return {
    account_id: `acc_${hex(`account:${email}`)}`,
    email,
    name,
    zoneinfo: 'Europe/London',
    label: 'Fabrikam (Enterprise Connect)',
    enterpriseLinked: true,
    profiles: [
      {
        provider_name: 'exchange',
        provider_service: 'office365',
        profile_id: `pro_${suffix}`,
        profile_name: email,
        calendars: [
          { calendar_id: `cal_${suffix}_${hex(`calendar:${email}:Calendar`, 16)}`, calendar_name: 'Calendar', calendar_readonly: false, calendar_primary: true },
          { calendar_id: `cal_${suffix}_${hex(`calendar:${email}:Team`, 16)}`, calendar_name: 'Fabrikam team', calendar_readonly: true, calendar_primary: false },
        ],
      },
    ],
  };
}

export function seedServiceAccount(accounts: SeedAccount[]): SeedServiceAccount {
  const domain = 'fabrikam.example';
  const riley = accounts.find((a) => a.email === `riley.chen@${domain}`);
  const people = [
    ...(riley ? [riley] : []),
    person(`sam.okafor@${domain}`, 'Sam Okafor'),
    person(`jo.garcia@${domain}`, 'Jo Garcia'),
    person(`kim.novak@${domain}`, 'Kim Novak'),
  ];
  return {
    sub: `ser_${hex('service-account:fabrikam')}`,
    domain,
    provider_name: 'exchange',
    admin: { email: `it.admin@${domain}`, name: 'Fabrikam IT' },
    email: `exchange-service-account@${domain}`,
    people,
  };
}
