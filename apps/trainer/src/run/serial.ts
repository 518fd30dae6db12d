/**
 * Serialises asynchronous writes to one file: each `push` runs after the previous one finished
 * (a failed write rejects its own promise and does not block the next); `close` waits for the
 * queue, then releases the file. Pushing after `close` is an error: "<name> is closed".
 */
export interface SerialWriter<A> {
  readonly push: (item: A) => Promise<void>;
  readonly close: () => Promise<void>;
}

export const serialWriter = <A>(name: string, write: (item: A) => Promise<void>, release: () => Promise<void>): SerialWriter<A> => {
  let queue: Promise<void> = Promise.resolve();
  let closed = false;
  return {
    push: (item) => {
      if (closed) return Promise.reject(new Error(`${name} is closed`));
      const next = queue.then(() => write(item));
      queue = next.catch(() => undefined);
      return next;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await queue;
      await release();
    },
  };
};
