/**
 * Named listener sets, made on first use (a server's per-request client usually has no plugin,
 * so no listener at all). A listener that throws is logged and the others still run.
 */
import type { Logger } from './types';

type Listener = (...args: never[]) => void;

export interface Events<Map extends Record<string, Listener>> {
  /** Add `listener` to `name`; returns the function that removes it. */
  on<Name extends keyof Map>(name: Name, listener: Map[Name]): () => void;
  emit<Name extends keyof Map>(name: Name, ...args: Parameters<Map[Name]>): void;
  /** Drop every listener of `name`. */
  clear(name: keyof Map): void;
}

export function createEvents<Map extends Record<string, Listener>>(log: Logger): Events<Map> {
  const sets: { [Name in keyof Map]?: Set<Map[Name]> } = {};
  return {
    on(name, listener) {
      const set = (sets[name] ||= new Set());
      set.add(listener);
      return () => void set.delete(listener);
    },
    emit(name, ...args) {
      const set = sets[name];
      if (set) set.forEach((listener) => {
        try {
          (listener as unknown as (...args: unknown[]) => void)(...args);
        } catch (error) {
          log('A listener threw', { error });
        }
      });
    },
    clear(name) {
      delete sets[name];
    },
  };
}
