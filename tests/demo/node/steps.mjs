// The line protocol between a Node relying party and the Python test that plays the user.
//
// The script writes one JSON object per line on stdout: {"browse": URL} asks the
// test to open URL in Chromium as alice (signing in and consenting where the
// demo asks) and to answer with the URL the browser finally landed on, one line
// on stdin; {"device": {"verification_uri": URL, "user_code": CODE}} asks the
// test, as a device's screen would, to enter CODE at URL as alice and to decide
// there, answering with what the page said at the end; {"summary": {...}} is
// the script's last word. Failures go to stderr with exit status 1.

import { createInterface } from 'node:readline';

const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();

export function emit(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

// The next non-empty line of stdin.
export async function readLine() {
  for (;;) {
    const { value, done } = await lines.next();
    if (done) {
      throw new Error('stdin closed before the test answered');
    }
    if (value.trim()) {
      return value.trim();
    }
  }
}

// Open `url` in the test's browser; the URL it landed on.
export async function browse(url) {
  emit({ browse: url.href ?? String(url) });
  return new URL(await readLine());
}

// Show the user a device's code and where to enter it (RFC 8628 §3.3); what the browser's page said at the end.
// The script may poll meanwhile: the answer comes once the user decided.
export async function showUserCode(verificationUri, userCode) {
  emit({ device: { verification_uri: String(verificationUri), user_code: userCode } });
  return readLine();
}

export const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// The JOSE header of a compact JWS, for reporting which algorithm and key signed it.
export function joseHeader(jws) {
  return JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString());
}

// Run `main`, print its summary, and exit: 0 when it resolved, 1 with the error otherwise.
export function run(main) {
  main().then((summary) => {
    emit({ summary });
    input.close();
    process.exit(0);
  }, (error) => {
    process.stderr.write(`${error?.name}: ${error?.message}\n${JSON.stringify(error?.cause ?? null)}\n`);
    process.exit(1);
  });
}
