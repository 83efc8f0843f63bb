// Cronofy's six data centers. Authorization pages live on the app host, everything else
// (token, revoke, /v1/*) on the api host: https://docs.cronofy.com/developers/data-centers/
export const DATA_CENTERS = ['us', 'uk', 'de', 'au', 'ca', 'sg'] as const;
export type DataCenter = (typeof DATA_CENTERS)[number];

export function isDataCenter(value: string): value is DataCenter {
  return (DATA_CENTERS as readonly string[]).includes(value);
}

export interface CronofyHosts {
  /** Origin of the authorization and approval pages, e.g. https://app-de.cronofy.com */
  appUrl: string;
  /** Origin of the API, e.g. https://api-de.cronofy.com */
  apiUrl: string;
}

export const DATA_CENTER_NAMES: Record<DataCenter, string> = {
  us: 'United States',
  uk: 'United Kingdom',
  de: 'Germany',
  au: 'Australia',
  ca: 'Canada',
  sg: 'Singapore',
};

/** The US default, another region and the emulator are the same case: overrides win. */
export function hostsFor(dataCenter: DataCenter, overrides: Partial<CronofyHosts> = {}): CronofyHosts {
  const suffix = dataCenter === 'us' ? '' : `-${dataCenter}`;
  return {
    appUrl: overrides.appUrl ?? `https://app${suffix}.cronofy.com`,
    apiUrl: overrides.apiUrl ?? `https://api${suffix}.cronofy.com`,
  };
}
