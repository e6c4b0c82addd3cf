// Shared by the test tiers: which rejections went unhandled while a piece of code ran.

/** Records every unhandled rejection while `fn` runs (and one macrotask after it, when Node reports them). */
export async function unhandledDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    seen.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 0));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return seen;
}
