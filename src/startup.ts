/**
 * Readiness: the tasks `ready()` waits for (stored sticky docs, a remote payload, plugins' start-up
 * work), bounded by `readyTimeoutMs`. A task that fails is logged, never thrown.
 */
import type { Logger } from './types';

export interface Startup {
  /** `ready()` waits for `task` too (within the timeout); a rejection is logged. */
  add(task: Promise<unknown>): void;
  /** Resolves once every task added so far, and those added meanwhile, settled, or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<void>;
}

export function createStartup(log: Logger): Startup {
  let tasks: Promise<unknown> = Promise.resolve();
  // Tasks added while waiting (a fetched payload's bandit stats) are waited for too.
  const allSettled = (): Promise<unknown> => {
    const current = tasks;
    return current.then(() => current === tasks || allSettled());
  };
  return {
    add(task) {
      tasks = Promise.all([tasks, task.catch((error: unknown) => log('A start-up task failed', { error }))]);
    },
    settled(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      return Promise.race([allSettled(), timeout]).then(() => clearTimeout(timer));
    },
  };
}
