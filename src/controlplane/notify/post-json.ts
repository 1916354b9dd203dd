import { FinalDeliveryError } from './background-deliveries.js';

/**
 * POSTs `body` once. Resolves on 2xx; throws {@link FinalDeliveryError} on a 4xx other than 429
 * (it will not get better) and a plain Error on anything else (5xx, 429, network, timeout).
 * Messages name at most the URL's origin: the path of a chat webhook is its credential.
 */
export async function postJson(url: string, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
  } catch (error) {
    const cause = (error as Error & { cause?: NodeJS.ErrnoException }).cause?.code;
    const message = (error as Error).message.replaceAll(url, originOf(url));
    throw new Error(cause && !message.includes(cause) ? `${message} (${cause})` : message);
  }
  if (response.ok) return;
  const failure = `HTTP ${response.status}`;
  throw response.status < 500 && response.status !== 429 ? new FinalDeliveryError(failure) : new Error(failure);
}

/** The URL's origin, safe to show; a placeholder when it is not a URL. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(not a URL)';
  }
}
