// multipart/mixed bodies (RFC 2046 5.1) as recording clients send them. Pure.

export interface BodyPart {
  /** Lower-case media type without parameters ("application/sdp"), or "" when absent. */
  type: string;
  /** Lower-case Content-Disposition value without parameters ("recording-session"). */
  disposition: string;
  content: string;
}

export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

const MAX_PARTS = 16;

/** The media type and parameters of a Content-Type value. */
export function parseContentType(value: string | undefined): {
  type: string;
  params: Map<string, string>;
} {
  const [type = '', ...rest] = (value ?? '').split(';');
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq === -1) continue;
    params.set(
      p.slice(0, eq).trim().toLowerCase(),
      p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1'),
    );
  }
  return { type: type.trim().toLowerCase().replace(/\s+/g, ''), params };
}

/**
 * Splits a multipart body. The boundary comes from the Content-Type; where a client left it
 * out, the body's first delimiter line names it. Line ends may be CRLF or LF.
 */
export function parseMultipart(body: string, boundaryParam: string | undefined): BodyPart[] {
  let boundary = boundaryParam;
  if (!boundary) {
    const first = /^(?:\r?\n)*--([^\r\n]{1,70})\r?\n/.exec(body);
    if (!first) throw new MultipartError('multipart body without a boundary');
    boundary = first[1]!.trimEnd();
  }
  if (boundary.length > 70 || /[\r\n]/.test(boundary))
    throw new MultipartError('malformed multipart boundary');
  const delimiter = `--${boundary}`;
  const lines = body.split(/\r?\n/);
  const parts: string[][] = [];
  let current: string[] | undefined;
  let closed = false;
  for (const line of lines) {
    const trimmed = line.trimEnd();
    if (trimmed === `${delimiter}--`) {
      if (current) parts.push(current);
      current = undefined;
      closed = true;
      break;
    }
    if (trimmed === delimiter) {
      if (current) parts.push(current);
      if (parts.length >= MAX_PARTS) throw new MultipartError('too many body parts');
      current = [];
      continue;
    }
    current?.push(line);
  }
  // NOTE: some clients never write the closing delimiter; the last part ends the body.
  if (!closed && current) parts.push(current);
  if (parts.length === 0) throw new MultipartError(`no part delimited by "${delimiter}"`);
  return parts.map((partLines) => {
    const blank = partLines.indexOf('');
    const headerLines = blank === -1 ? [] : partLines.slice(0, blank);
    const contentLines = blank === -1 ? partLines : partLines.slice(blank + 1);
    let type = '';
    let disposition = '';
    for (const h of headerLines) {
      const colon = h.indexOf(':');
      if (colon <= 0) continue;
      const name = h.slice(0, colon).trim().toLowerCase();
      const value = h.slice(colon + 1).trim();
      if (name === 'content-type') type = parseContentType(value).type;
      if (name === 'content-disposition') disposition = value.split(';')[0]!.trim().toLowerCase();
    }
    // A blank line that belonged to the delimiter ("CRLF--boundary") is not content.
    while (contentLines.length && contentLines[contentLines.length - 1]!.trim() === '')
      contentLines.pop();
    return { type, disposition, content: contentLines.join('\r\n') };
  });
}
