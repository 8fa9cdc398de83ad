import type { Config } from '../../config/config.schema.js';
import type { AlertChannel } from '../ports.js';
import { emailChannel } from './alert.email.js';
import type { AlertRetryEvent, AlertRetryPolicy } from './alert.retry.js';
import { webhookChannel } from './alert.webhook.js';

/**
 * The alert channels `alerts.webhook` and `alerts.email` configure, with their secrets read from the environment
 * variables the config names (the config never holds them). None configured: no channel, alerts are off.
 */
export function openAlertChannels(
  alerts: Config['alerts'],
  env: Record<string, string | undefined>,
  hooks: { onRetry?: (event: AlertRetryEvent) => void; retry?: Partial<AlertRetryPolicy> } = {},
): AlertChannel[] {
  const read = (name: string | undefined) => (name && env[name]?.trim() ? env[name] : undefined);
  const channels: AlertChannel[] = [];
  if (alerts.webhook) {
    channels.push(
      webhookChannel({
        url: alerts.webhook.url,
        secret: read(alerts.webhook.secretEnv),
        secretEnv: alerts.webhook.secretEnv,
        timeoutMs: alerts.webhook.timeoutMs,
        ...hooks,
      }),
    );
  }
  if (alerts.email) {
    const { userEnv, passwordEnv, caFile, ...email } = alerts.email;
    channels.push(
      emailChannel({
        ...email,
        ...(caFile ? { caFile } : {}),
        ...(userEnv ? { userEnv, user: read(userEnv) } : {}),
        ...(passwordEnv ? { passwordEnv, password: read(passwordEnv) } : {}),
        ...hooks,
      }),
    );
  }
  return channels;
}
