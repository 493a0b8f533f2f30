import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/** How long the folders must be quiet before a reload: an editor's save or a git pull is a burst of events. */
export const KNOWLEDGE_WATCH_DEBOUNCE_MS = 300; // 0.3 seconds

export interface KnowledgeWatch {
  /** The folders actually watched (those that existed). */
  readonly watching: readonly string[];
  close(): void;
}

/** A folder to watch, and which of its entries matter (default: all). */
export interface WatchTarget {
  dir: string;
  accept?: (name: string) => boolean;
}

export interface KnowledgeWatchOptions {
  debounceMs?: number;
  /** Told when a folder cannot be watched (it is then simply not watched). */
  onError?: (dir: string, error: Error) => void;
}

/**
 * Watches folders (not recursively: a release appears as one folder renamed into knowledge/releases, a
 * binding is one file of cds-hooks/, a build rewrites the ELM index by renaming it) and calls `onChange`
 * once the events have been quiet for the debounce interval, naming the last file that changed.
 * Folders that do not exist yet are watched from the first event in another one after they appear.
 * Uses `fs.watch` (inotify on Linux).
 */
export function watchKnowledge(
  targets: readonly WatchTarget[],
  onChange: (what: string) => void,
  options: KnowledgeWatchOptions = {},
): KnowledgeWatch {
  const debounceMs = options.debounceMs ?? KNOWLEDGE_WATCH_DEBOUNCE_MS;
  const watchers: FSWatcher[] = [];
  const watching: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let last = '';
  let closed = false;
  // Folders that did not exist yet (a releases folder made after start): tried again on every event.
  let missing: WatchTarget[] = [];
  const attach = ({ dir, accept }: WatchTarget): boolean => {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, file) => {
        if (closed) return;
        const name = file === null ? '' : String(file);
        // Dot-files are releases being written, editors' swap files and temporary files renamed into place.
        if (name.startsWith('.') || name.endsWith('.tmp') || name.endsWith('~')) return;
        if (accept !== undefined && !accept(name)) return;
        if (missing.length > 0) missing = missing.filter((t) => !attach(t));
        last = path.join(dir, name);
        if (timer !== undefined) clearTimeout(timer);
        timer = setTimeout(() => {
          timer = undefined;
          if (!closed) onChange(last);
        }, debounceMs);
      });
      watcher.on('error', (error) => options.onError?.(dir, error));
      watchers.push(watcher);
      watching.push(dir);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.onError?.(dir, error as Error);
      return false;
    }
  };
  missing = targets.filter((t) => !attach(t));
  return {
    watching,
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}

/**
 * What the service watches to pick up changes without a restart: the service definitions (bindings),
 * the releases folder (a new release), the compiled ELM index (`loopcds knowledge build` of a working
 * copy) and the knowledge folder itself (for a releases folder that appears after start).
 */
export function knowledgeWatchTargets(locations: {
  knowledgeDir: string;
  elmCacheDir: string;
  servicesDir: string;
}): WatchTarget[] {
  return [
    { dir: locations.servicesDir, accept: (name) => name.endsWith('.json') },
    { dir: path.join(locations.knowledgeDir, 'releases') },
    { dir: locations.elmCacheDir, accept: (name) => name === 'index.json' },
    {
      dir: locations.knowledgeDir,
      accept: (name) => name === 'releases' || name === 'override-reasons.json',
    },
  ];
}
