// A tiny authoritative DNS server on 127.0.0.1 (UDP) for tests: answers A queries for the names it
// holds with the addresses set now, NXDOMAIN otherwise. Enough for node's dns Resolver.
import { createSocket, type Socket } from 'node:dgram';

export class TestDns {
  readonly records = new Map<string, string[]>();
  queries = 0;
  private socket!: Socket;
  port = 0;

  static async start(): Promise<TestDns> {
    const dns = new TestDns();
    dns.socket = createSocket('udp4');
    dns.socket.on('message', (msg, rinfo) => {
      dns.queries++;
      const reply = dns.answer(msg);
      if (reply) dns.socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => dns.socket.bind(0, '127.0.0.1', resolve));
    dns.port = dns.socket.address().port;
    return dns;
  }

  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(query: Buffer): Buffer | null {
    if (query.length < 12) return null;
    // Question: labels from offset 12, then QTYPE and QCLASS.
    const labels: string[] = [];
    let at = 12;
    while (at < query.length && query[at] !== 0) {
      labels.push(query.subarray(at + 1, at + 1 + query[at]).toString('ascii'));
      at += query[at] + 1;
    }
    const questionEnd = at + 5;
    const qtype = query.readUInt16BE(at + 1);
    const name = labels.join('.').toLowerCase();
    const addresses = qtype === 1 ? (this.records.get(name) ?? null) : null;
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8400 | (addresses === null && !this.records.has(name) ? 3 : 0), 2); // response, authoritative, rcode
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(addresses?.length ?? 0, 6);
    const answers = (addresses ?? []).map((address) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(1, 6); // TTL
      rr.writeUInt16BE(4, 10);
      address.split('.').forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i));
      return rr;
    });
    return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
  }
}
