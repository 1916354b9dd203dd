/**
 * Errors no one handled while `run` ran, and a moment after (stream errors are emitted
 * later). Vitest catches them; in `warden start` each one would end the gateway process.
 */
export async function uncaughtDuring<T>(run: () => Promise<T>): Promise<{ result: T; uncaught: string[] }> {
  const uncaught: string[] = [];
  const listener = (error: Error) => uncaught.push(`${error.name}: ${error.message}`);
  process.on('uncaughtException', listener);
  try {
    const result = await run();
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
    return { result, uncaught };
  } finally {
    process.off('uncaughtException', listener);
  }
}
