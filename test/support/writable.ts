/** Resolves when `stream` can take more ('drain'), or when its reader is gone ('close'): how a test upstream honours backpressure. */
export function writable(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
