/**
 * Bounded concurrency: at most `concurrency` calls of `work` in flight, tasks taken in order.
 * When `signal` aborts no further task starts; the returned promise settles once the calls in
 * flight have settled. A call that throws stops the pool the same way and its error is rethrown.
 */
export const forEachBounded = async <T>(
  tasks: readonly T[],
  concurrency: number,
  work: (task: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> => {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, found ${concurrency}`);
  let next = 0;
  let failure: { readonly error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && signal?.aborted !== true && next < tasks.length) {
      const index = next++;
      try {
        await work(tasks[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  if (failure !== null) throw (failure as { readonly error: unknown }).error;
};
