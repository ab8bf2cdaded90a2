/**
 * HTTP requests written byte for byte on a TCP socket: Node's own client refuses many of the
 * request-targets, headers and framings this tier sends (and fetch normalises URLs), so the
 * bad-input tests speak HTTP/1.1 themselves.
 */
import net from 'node:net';

export interface RawAnswer {
  /** Status of the response, or null when none arrived. */
  status: number | null;
  body: string;
  /** The server closed or reset the connection without a status line. */
  noAnswer: boolean;
  timedOut: boolean;
}

export function sendRaw(port: number, request: Buffer | string, timeoutMs = 15_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (timedOut = false) => {
      if (done) return;
      done = true;
      socket.destroy();
      let text = Buffer.concat(chunks).toString('latin1');
      // Interim answers (100 Continue) come first: the request's status is the final one.
      while (/^HTTP\/1\.[01] 1\d\d /.test(text) && text.includes('\r\n\r\n')) text = text.slice(text.indexOf('\r\n\r\n') + 4);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const sep = text.indexOf('\r\n\r\n');
      resolve({ status: m ? Number(m[1]) : null, body: sep >= 0 ? Buffer.from(text.slice(sep + 4), 'latin1').toString('utf8') : '', noAnswer: !m && !timedOut, timedOut });
    };
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    socket.setTimeout(timeoutMs, () => finish(true));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', () => finish());
  });
}

export interface RawRequest {
  method?: string;
  target: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Raw header lines appended as given (bad bytes, duplicates). */
  extraHeaderLines?: string[];
  version?: string;
}

/** A complete request with Host, Connection: close and Content-Length (unless the headers say otherwise). */
export function rawRequest(r: RawRequest): Buffer {
  const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8');
  const headers: Record<string, string> = { host: '127.0.0.1', connection: 'close', ...(r.headers ?? {}) };
  const names = Object.keys(headers).map((n) => n.toLowerCase());
  if (body && !names.includes('content-length') && !names.includes('transfer-encoding')) headers['content-length'] = String(body.length);
  const head = [`${r.method ?? 'GET'} ${r.target} ${r.version ?? 'HTTP/1.1'}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), ...(r.extraHeaderLines ?? [])].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)]);
}

/** Percent-encodes every UTF-16 unit as UTF-8 bytes the way a careless client would (lone surrogates included, as CESU bytes). */
export function percentEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (/[A-Za-z0-9\-._~]/.test(s[i] as string)) out += s[i];
    else if (c < 0x80) out += `%${c.toString(16).padStart(2, '0')}`;
    else if (c < 0x800) out += [0xc0 | (c >> 6), 0x80 | (c & 63)].map((b) => `%${b.toString(16)}`).join('');
    else out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)].map((b) => `%${b.toString(16)}`).join('');
  }
  return out;
}
