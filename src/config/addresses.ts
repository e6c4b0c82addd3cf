// bootstrap.servers entries: "host:port", "[v6 address]:port", optionally with a listener prefix such as
// "SASL_SSL://host:port" (librdkafka and Java both tolerate one; it says nothing the protocol setting doesn't).

import { ConfigError } from '../errors.js';

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

const WITH_BRACKETS = /^\[([0-9A-Fa-f:.%a-zA-Z]+)\]:(\d+)$/;
const PLAIN = /^([^\s:/[\]]+):(\d+)$/;

/** Parses one "host:port"; the error names the entry (addresses are not secret). */
export function parseBrokerAddress(entry: string, property = 'bootstrap.servers'): BrokerAddress {
  const text = entry.trim().replace(/^[A-Za-z_]+:\/\//, '');
  const m = WITH_BRACKETS.exec(text) ?? PLAIN.exec(text);
  if (m === null) {
    const hint = /^[^:]+$/.test(text) ? ' (the port is missing)' : '';
    throw new ConfigError(`invalid ${property} entry ${JSON.stringify(entry)}: expected host:port${hint}`, property);
  }
  const port = Number(m[2]);
  if (port < 1 || port > 65535) {
    throw new ConfigError(`invalid ${property} entry ${JSON.stringify(entry)}: port must be 1-65535`, property);
  }
  return { host: m[1], port };
}

/** "host:port" with IPv6 hosts in brackets: the form gregor prints and compares. */
export function formatBrokerAddress(address: BrokerAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
