import { DEFAULT_RETRY_DELAYS_MS, DEFAULT_TIMEOUT_MS, withRetries } from './background-deliveries.js';
import { BackgroundNotifier } from './background-notifier.js';
import { notificationSeverity } from './notification-severity.js';
import type { Notification } from './notifier.js';
import { originOf, postJson } from './post-json.js';

export interface SlackOptions {
  /** The incoming-webhook URL. It is the channel's credential: errors name only its origin. */
  readonly url: string;
  readonly onError?: (error: Error) => void;
  /** Pauses between attempts; the default retries after 0.5 s, 2 s and 8 s. */
  readonly retryDelaysMs?: readonly number[];
  readonly timeoutMs?: number;
}

/** A Slack message: `text` is the one line a phone shows; `blocks` the same, laid out. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
}

/**
 * `data` fields shown in the message, in this order. A list rather than all of `data`: the
 * message stays short, and nothing added to a notification later reaches a chat by accident.
 */
const FIELDS: readonly (readonly [key: string, label: string])[] = [
  ['severity', 'Severity'],
  ['agent', 'Agent'],
  ['incident', 'Incident'],
  ['detectors', 'Detectors'],
  ['owner', 'Owner'],
  ['api', 'API'],
  ['status', 'Status'],
  ['score', 'Score'],
];

/**
 * Posts each notification to a Slack incoming webhook (or a Slack-compatible one: Mattermost,
 * Rocket.Chat, Teams workflows) as `{ text, blocks }`. Same delivery as the webhook notifier:
 * retried with backoff on network errors, 429 and 5xx, never blocking or failing the caller.
 */
export class SlackNotifier extends BackgroundNotifier {
  // Private (#): neither JSON.stringify nor util.inspect shows the URL.
  readonly #options: SlackOptions;

  constructor(options: SlackOptions) {
    super(options.onError);
    this.#options = options;
  }

  protected override async deliver(notification: Notification): Promise<void> {
    const body = JSON.stringify(slackMessage(notification));
    const { url } = this.#options;
    try {
      await withRetries(this.#options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS, () => postJson(url, {}, body, this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS));
    } catch (error) {
      throw new Error(`notification ${notification.type} to Slack at ${originOf(url)} failed: ${(error as Error).message}`);
    }
  }
}

/** The Slack message for a notification: severity, summary and the ids a responder looks up first. */
export function slackMessage(notification: Notification): SlackMessage {
  const severity = notificationSeverity(notification);
  const tag = severity === undefined ? '' : `[${severity.toUpperCase()}] `;
  const summary = truncate(notification.summary, 2000);
  const fields = FIELDS.flatMap(([key, label]) => {
    const value = shown(notification.data[key]);
    return value === undefined ? [] : [{ key, label, value }];
  });
  // The one line names the agent and incident unless the summary already does.
  const ids = fields.filter(({ key, value }) => (key === 'agent' || key === 'incident') && !summary.includes(value)).map(({ key, value }) => `${key} ${value}`);
  const text = `${tag}${summary}${ids.length > 0 ? ` (${ids.join(', ')})` : ''}`;
  const blocks: Record<string, unknown>[] = [{ type: 'section', text: { type: 'mrkdwn', text: `${tag === '' ? '' : `*${escape(tag.trim())}* `}${escape(summary)}` } }];
  if (fields.length > 0) blocks.push({ type: 'section', fields: fields.map(({ label, value }) => ({ type: 'mrkdwn', text: `*${label}*\n${escape(value)}` })) });
  const recipients = notification.recipients.length > 0 ? ` · for ${notification.recipients.join(', ')}` : '';
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escape(`${notification.type} · ${notification.time}${recipients}`) }] });
  return { text: escape(text), blocks };
}

/** A field value as text: scalars, and lists of scalars; anything else is left out. */
function shown(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : truncate(value, 200);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.length > 0 && value.every((item) => ['string', 'number', 'boolean'].includes(typeof item))) return truncate(value.join(', '), 200);
  return undefined;
}

/**
 * Slack reads `<…>` as links and mentions (`<!channel>`) and `&` as an entity: an agent name or
 * purpose must show as written, never ping a channel or hide a link.
 */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
