import { isOptikError, OptikError } from '@optik/core';
import { openStore, type Store } from '@optik/track';

/**
 * The run store, opened read-only on first use and reopened after a failure: the dashboard may start before the
 * first `optik train` creates the store, and a store that was corrupt can be replaced while the server runs. Read
 * only means SQLite takes no write lock (WAL readers never block writers) and nothing is swept or migrated.
 */
export class StoreReader {
  readonly root: string;
  #store: Store | undefined;

  constructor(root: string) {
    this.root = root;
  }

  /** The open store; throws the coded error (STORE_NOT_FOUND, STORE_CORRUPT, …) while it cannot be opened. */
  get(): Store {
    if (this.#store === undefined) this.#store = openStore({ root: this.root, readOnly: true, sweep: false });
    return this.#store;
  }

  /** Runs `read` on the store; a store error closes the handle so the next request opens it afresh. */
  read<T>(read: (store: Store) => T): T {
    const store = this.get();
    try {
      return read(store);
    } catch (error) {
      if (isOptikError(error) && error.code.startsWith('STORE_')) this.close();
      else if (!isOptikError(error)) {
        const code = (error as { code?: string }).code ?? '';
        if (code.startsWith('SQLITE_')) {
          this.close();
          throw new OptikError(
            'STORE_CORRUPT',
            `The run store at ${this.root} could not be read (${code}).`,
            { hint: 'Check the file with `sqlite3 optik.db "PRAGMA integrity_check"`, or restore it from a backup.' },
            { cause: error },
          );
        }
      }
      throw error;
    }
  }

  close(): void {
    this.#store?.close();
    this.#store = undefined;
  }
}
