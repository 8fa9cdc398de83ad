import { readFileSync } from 'node:fs';
import type { Transporter } from 'nodemailer';
import type { AlertChannel, AlertDelivery, AlertMessage } from '../ports.js';
import { VERSION } from '../version.js';
import { withAlertRetries, type AlertRetryEvent, type AlertRetryPolicy, type AttemptResult } from './alert.retry.js';

/**
 * The email channel: each digest is one plain-text message sent through an SMTP relay with nodemailer. STARTTLS is
 * required by default (`security: starttls`), or TLS from the first byte (`tls`), or none (`none`, a relay on the
 * same host); the certificate is verified (against the system CAs, plus `caFile`). The user name and password come
 * from the environment variables the config names and never reach a log. The Message-ID is derived from the digest
 * id, so a digest sent twice (a crash between the relay's acceptance and its record) is one message to a client
 * that deduplicates. SMTP replies decide: 4yz and dropped connections are transient (retried, then pending); 5yz
 * (RFC 5321 permanent), failed authentication or TLS are the user's to fix.
 */

export interface EmailChannelOptions {
  host: string;
  port: number;
  security: 'starttls' | 'tls' | 'none';
  caFile?: string;
  from: string;
  to: readonly string[];
  /** Credentials read from the environment by the caller (undefined when the variable is unset). */
  user?: string | undefined;
  password?: string | undefined;
  userEnv?: string;
  passwordEnv?: string;
  timeoutMs: number;
  retry?: Partial<AlertRetryPolicy>;
  onRetry?: (event: AlertRetryEvent) => void;
}

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  permanent?: boolean;
  response?: string;
  message?: string;
}

/** Failures no retry mends: credentials, TLS, configuration, the envelope. */
const PERMANENT_CODES = new Set(['EAUTH', 'ENOAUTH', 'ETLS', 'EREQUIRETLS', 'ECONFIG', 'EENVELOPE', 'EOAUTH2']);

/** What an SMTP failure means for the digest (nodemailer's `code`, `responseCode` and `permanent`). */
export function classifySmtpFailure(error: SmtpFailure, target: string): AttemptResult['delivery'] {
  const said = (error.response ?? error.message ?? 'error').replace(/\s+/g, ' ').slice(0, 300);
  if (error.responseCode !== undefined) {
    const status = `SMTP ${error.responseCode}`;
    if (error.permanent ?? (error.responseCode >= 500 && error.responseCode !== 503)) {
      return {
        outcome: 'rejected',
        status,
        detail: `${target}: the relay refused the digest (${said}): check alerts.email (from, to) and the credentials`,
      };
    }
    return { outcome: 'unreachable', detail: `${target}: transient reply (${said})` };
  }
  if (error.code && PERMANENT_CODES.has(error.code)) {
    const fix =
      error.code === 'ETLS' || error.code === 'EREQUIRETLS'
        ? 'check alerts.email.security, and alerts.email.caFile for a relay with a private certificate authority'
        : 'check alerts.email and the credentials';
    return { outcome: 'rejected', status: error.code, detail: `${target}: ${error.code} (${said}): ${fix}` };
  }
  return { outcome: 'unreachable', detail: `${target}: ${error.code ?? 'error'} (${said})` };
}

function missingCredential(options: EmailChannelOptions): AlertDelivery | undefined {
  const unset = [
    options.userEnv && !options.user ? options.userEnv : undefined,
    options.passwordEnv && !options.password ? options.passwordEnv : undefined,
  ].filter((name): name is string => !!name);
  if (unset.length === 0) return undefined;
  return {
    outcome: 'rejected',
    attempts: 0,
    status: 'no credentials',
    detail: `alerts.email: the variable(s) ${unset.join(', ')} are not set: export the SMTP user name and password`,
  };
}

/** The domain of the sender's address, for Message-IDs. */
function domainOf(from: string): string {
  return /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'changewatch.invalid';
}

/** The PEM text of `caFile`, or the delivery that says it cannot be read. */
function readCa(caFile: string | undefined): { ca?: string; problem?: AlertDelivery } {
  if (!caFile) return {};
  try {
    return { ca: readFileSync(caFile, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return {
      problem: {
        outcome: 'rejected',
        attempts: 0,
        status: 'no CA file',
        detail: `alerts.email.caFile: cannot read ${caFile} (${code}): give the path of a PEM certificate file`,
      },
    };
  }
}

export function emailChannel(options: EmailChannelOptions): AlertChannel {
  const target = `smtp://${options.host}:${options.port}`;
  const { ca, problem } = readCa(options.caFile);
  // nodemailer is loaded on the first message, not at start-up (about 0.1 s of every command's start otherwise).
  let transport: Promise<Transporter> | undefined;
  const transportOf = () =>
    (transport ??= import('nodemailer').then(({ createTransport }) =>
      createTransport({
        host: options.host,
        port: options.port,
        secure: options.security === 'tls',
        requireTLS: options.security === 'starttls',
        ignoreTLS: options.security === 'none',
        connectionTimeout: options.timeoutMs,
        greetingTimeout: options.timeoutMs,
        socketTimeout: options.timeoutMs,
        logger: false,
        ...(options.user ? { auth: { user: options.user, pass: options.password ?? '' } } : {}),
        ...(ca ? { tls: { ca: [ca] } } : {}),
      }),
    ));
  const attempt = async (message: AlertMessage): Promise<AttemptResult> => {
    try {
      const info = await (
        await transportOf()
      ).sendMail({
        from: options.from,
        to: [...options.to],
        subject: message.subject,
        text: message.text,
        messageId: `<${message.id}@${domainOf(options.from)}>`,
        headers: {
          'X-Changewatch-Digest': message.id,
          'Content-Language': message.language,
          'X-Mailer': `changewatch/${VERSION}`,
        },
      });
      const refused = (info.rejected ?? []).map(String);
      const detail = `${target}: ${info.response ?? 'accepted'}${refused.length > 0 ? ` (refused: ${refused.join(', ')})` : ''}`;
      return { delivery: { outcome: 'accepted', detail } };
    } catch (error) {
      return { delivery: classifySmtpFailure(error as SmtpFailure, target) };
    }
  };
  return {
    name: 'email',
    target,
    async send(message, sendOptions = {}) {
      const missing = problem ?? missingCredential(options);
      if (missing) return missing;
      return withAlertRetries(() => attempt(message), {
        channel: 'email',
        target,
        ...(options.retry ? { policy: options.retry } : {}),
        ...(sendOptions.signal ? { signal: sendOptions.signal } : {}),
        ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      });
    },
    close: async () => (await transport)?.close(),
  };
}
