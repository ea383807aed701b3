// The first admin, and an admin's way back in: creates the user (or makes an existing one
// an admin) with a new password, straight in the data directory's database. Safe to run
// while the server runs; the change is in the audit trail as made from the command line.
//
//   npm run admin -- <username>                   asks for the password (hidden), twice
//   printf '%s' "$PASSWORD" | npm run admin -- <username> --password-stdin
//
// EARSHOT_DATA_DIR says which data directory (as for the server; default ./data).
import { parseArgs } from 'node:util';
import { Password, Username } from '@earshot/shared';
import { createRootLogger, loadConfig } from '@earshot/server';
import { AuditLog } from '../server/src/audit/AuditLog.ts';
import { AuthService } from '../server/src/auth/AuthService.ts';
import { openDatabase } from '../server/src/db/openDatabase.ts';
import { OrgRepository } from '../server/src/org/OrgRepository.ts';

const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'password-stdin': { type: 'boolean', default: false } },
});
const username = Username.safeParse(positionals[0] ?? '');
if (!username.success || positionals.length !== 1)
  fail(
    'usage: npm run admin -- <username> [--password-stdin]\n' +
      `  the username ${username.error?.issues[0]?.message ?? 'is one word'}`,
  );

/** Reads a line from the terminal without echoing it. */
function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    process.stdout.write(prompt);
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    let typed = '';
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stdout.write('\n');
          resolve(typed);
          return;
        }
        if (char === '\u0003') process.exit(130);
        typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
      }
    };
    stdin.on('data', onData);
  });
}

async function readPassword(): Promise<string> {
  if (values['password-stdin']) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text.replace(/\r?\n$/, '');
  }
  if (!process.stdin.isTTY) fail('no terminal to ask the password on: use --password-stdin');
  const first = await askHidden(`New password for ${username.data}: `);
  const again = await askHidden('Again: ');
  if (first !== again) fail('the two passwords differ; nothing changed');
  return first;
}

const password = Password.safeParse(await readPassword());
if (!password.success) fail(`the password ${password.error.issues[0]?.message}; nothing changed`);

const config = loadConfig(process.env);
const logger = createRootLogger('warn');
const db = await openDatabase(config, logger);
const audit = new AuditLog(db);
const auth = new AuthService({
  db,
  org: new OrgRepository(db),
  sessionTtlMs: config.auth.sessionTtlMs,
  record: (entry) =>
    void audit
      .append({ ...entry, actor: { id: 'command-line', name: 'command line' } })
      .catch((error: unknown) => logger.error({ err: error }, 'could not write the audit trail')),
  logger,
});
try {
  const outcome = await auth.ensureAdmin(username.data!, password.data!);
  await audit.verify(); // waits for the audit record to land
  console.log(
    outcome === 'created'
      ? `created the admin "${username.data}" in ${config.dataDir}`
      : outcome === 'updated'
        ? `"${username.data}" is an admin with the new password (signed out everywhere)`
        : `"${username.data}" is already an admin with that password`,
  );
} finally {
  auth.close();
  await db.close();
}
