import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../pipeline/config.read.js';

describe('loadConfig: the schedule', () => {
  it('defaults to 02:00 every night in Africa/Lubumbashi', () => {
    const { config } = loadConfig({}, {}, '/nonexistent');
    expect(config.schedule).toMatchObject({ cron: '0 2 * * *', timezone: 'Africa/Lubumbashi' });
    expect(config.run).toEqual({
      monitoringDays: 90,
      baselineYearsBack: 1,
      leaseMinutes: 60,
      stripeMinPixels: 200_000_000,
    });
  });

  it('refuses a cron expression node-cron cannot parse and an unknown time zone, naming the field', () => {
    expect(() => loadConfig({}, { CHANGEWATCH_SCHEDULE_CRON: '61 2 * * *' }, '/nonexistent')).toThrow(
      /^schedule\.cron: "61 2 \* \* \*" is not a cron expression \(minute: .*\): e\.g\. "0 2 \* \* \*"/,
    );
    expect(() => loadConfig({}, { CHANGEWATCH_SCHEDULE_TIMEZONE: 'Mars/Olympus' }, '/nonexistent')).toThrow(
      /schedule\.timezone \[env CHANGEWATCH_SCHEDULE_TIMEZONE\]: is not an IANA time zone/,
    );
  });
});
