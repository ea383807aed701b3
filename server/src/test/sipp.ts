// sipp (Debian's sip-tester) as the recording client: scenarios this project writes, run
// against a test server over UDP or TCP.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One step of a scenario: a request sipp sends (with its answer awaited), or a pause. */
export type SippStep =
  | { send: 'INVITE'; body: string; contentType: string; cseq: number; initial?: boolean }
  | { send: 'UPDATE'; body: string; contentType: string; cseq: number }
  | { send: 'BYE'; cseq: number }
  | { pause: number };

const CRLF_BODY = (body: string) => body.replace(/\r?\n/g, '\n');

function request(step: Exclude<SippStep, { pause: number }>): string {
  const initial = step.send === 'INVITE' && step.initial;
  const lines = [
    `${step.send} sip:srs@[remote_ip]:[remote_port] SIP/2.0`,
    'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]',
    'From: <sip:src@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]',
    `To: <sip:srs@[remote_ip]:[remote_port]>${initial ? '' : '[peer_tag_param]'}`,
    'Call-ID: [call_id]',
    `CSeq: ${step.cseq} ${step.send}`,
    'Contact: <sip:src@[local_ip]:[local_port];transport=[transport]>;+sip.src',
    'Max-Forwards: 70',
    ...(step.send === 'BYE' ? [] : ['Require: siprec', `Content-Type: ${step.contentType}`]),
    'Content-Length: [len]',
    '',
    ...(step.send === 'BYE' ? [] : [CRLF_BODY(step.body)]),
  ];
  return lines.join('\n');
}

const ack = (cseq: number) =>
  [
    'ACK sip:srs@[remote_ip]:[remote_port] SIP/2.0',
    'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]',
    'From: <sip:src@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]',
    'To: <sip:srs@[remote_ip]:[remote_port]>[peer_tag_param]',
    'Call-ID: [call_id]',
    `CSeq: ${cseq} ACK`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\n');

/** The scenario XML for `steps`. */
export function sippScenario(steps: SippStep[]): string {
  const parts = [
    '<?xml version="1.0" encoding="ISO-8859-1" ?>',
    '<scenario name="earshot-siprec">',
  ];
  for (const step of steps) {
    if ('pause' in step) {
      parts.push(`<pause milliseconds="${step.pause}"/>`);
      continue;
    }
    parts.push(`<send retrans="500"><![CDATA[\n${request(step)}\n]]></send>`);
    parts.push(`<recv response="100" optional="true"/>`);
    parts.push(`<recv response="200"${step.send === 'INVITE' ? ' rrs="true"' : ''}/>`);
    if (step.send === 'INVITE') parts.push(`<send><![CDATA[\n${ack(step.cseq)}\n]]></send>`);
  }
  parts.push('</scenario>');
  return parts.join('\n');
}

/** Runs a scenario once; resolves with sipp's exit code and output. */
export async function runSipp(options: {
  steps: SippStep[];
  transport: 'udp' | 'tcp';
  target: { host: string; port: number };
  /** sipp's own port (it does not take 0). */
  localPort: number;
  timeoutSeconds?: number;
}): Promise<{ code: number | null; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-sipp-'));
  const file = join(dir, 'scenario.xml');
  writeFileSync(file, sippScenario(options.steps));
  const args = [
    '-sf',
    file,
    '-t',
    options.transport === 'udp' ? 'u1' : 't1',
    '-i',
    '127.0.0.1',
    '-p',
    String(options.localPort),
    '-m',
    '1',
    '-nostdin',
    '-timeout',
    `${options.timeoutSeconds ?? 30}s`,
    '-timeout_error',
    '-max_recv_loops',
    '100',
    `${options.target.host}:${options.target.port}`,
  ];
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
      child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, output }));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
