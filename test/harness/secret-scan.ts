/**
 * I8 over the whole suite: the passwords the tests hand to leakproof must never appear in
 * anything the suite produced: the tests' output (errors, log lines, warnings, CLI output,
 * stats and events printed by a test) and the reports written under the run's temp dir. The
 * test runner feeds all of it through a SecretScanner and fails the run on a find.
 *
 * @module
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { APP_PASSWORD } from './test-server.js';

/**
 * The passwords the suite uses in URLs and options, each distinctive enough that it cannot
 * turn up by chance. A test that brings a new one adds it here.
 */
export const SUITE_SECRETS: readonly string[] = [APP_PASSWORD, 'lp-drv-Secret-7f3a', 'hunter2-Very-Secret', 'Top-Secret-1', 'Top-Secret-2'];

/** Report files a run writes (HTML, JSON, text); database data directories hold none of these. */
const REPORT_FILE = /\.(html?|json|ndjson|txt|md|csv)$/i;

export interface SecretFind {
  readonly where: string;
  /** The text around the find, the secret itself masked. */
  readonly context: string;
}

/** Finds secrets, raw or percent-encoded, in a stream of text fed in chunks. */
export class SecretScanner {
  readonly #forms: readonly string[];
  readonly #longest: number;
  /** The end of the last chunk of each stream, so a secret split across two chunks is found. */
  readonly #tails = new Map<string, string>();
  readonly finds: SecretFind[] = [];

  constructor(secrets: readonly string[] = SUITE_SECRETS) {
    const forms = secrets.flatMap((secret) => [secret, encodeURIComponent(secret), encodeURIComponent(encodeURIComponent(secret))]);
    this.#forms = [...new Set(forms)];
    this.#longest = Math.max(...this.#forms.map((form) => form.length));
  }

  /** Scans one more chunk of a stream; a secret split across two chunks is still found. */
  feed(chunk: string, where: string): void {
    const text = (this.#tails.get(where) ?? '') + chunk;
    this.#scan(text, where);
    this.#tails.set(where, text.slice(-(this.#longest - 1)));
  }

  /** Scans every report file under `dir`. */
  scanFiles(dir: string): void {
    for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      const path = join(dir, entry);
      if (!REPORT_FILE.test(entry) || !isFile(path)) continue;
      this.#scan(readFileSync(path, 'latin1'), path);
    }
  }

  #scan(text: string, where: string): void {
    for (const form of this.#forms) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) {
        const context = text
          .slice(Math.max(0, at - 60), at + form.length + 60)
          .replaceAll(form, '<SECRET>')
          .replace(/\s+/g, ' ');
        if (!this.finds.some((find) => find.context === context)) this.finds.push({ where, context });
      }
    }
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
