// Turns the samples of a benchmark run into figures (median, min, max per client, workload and pass), a Markdown
// report and a hand-written SVG chart. No charting dependency: the SVG is a few rects and lines.

/** @param {number[]} xs */
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

/**
 * Figures per (pass, workload, client). A client whose defaults equal the equalised fetch sizes has its default
 * figures copied into the equal pass (marked `reused`).
 */
export function summarise(results) {
  const out = [];
  for (const pass of results.passes) {
    for (const w of results.workloads) {
      if (pass === 'equal' && (w.kind ?? 'throughput') !== 'throughput') continue;
      for (const c of results.clients) {
        if (pass === 'equal' && c.defaultPassOnly) continue;
        if (w.clients !== undefined && !w.clients.includes(c.id)) continue;
        const source = pass === 'equal' && c.defaultsEqual ? 'default' : pass;
        const samples = results.samples.filter((s) => s.pass === source && s.workload === w.id && s.client === c.id);
        const ok = samples.filter((s) => s.ok);
        const errors = samples.filter((s) => !s.ok).map((s) => s.error);
        const row = { pass, workload: w.id, client: c.id, reused: source !== pass, runs: ok.length, errors, unavailable: results.unavailable[c.id] ?? null };
        if (ok.length > 0) {
          const rate = stats(ok.map((s) => s.records / (s.activeMs / 1000)));
          row.recordsPerS = rate;
          row.mbPerS = stats(ok.map((s) => s.bytes / 1e6 / (s.activeMs / 1000)));
          row.totalS = stats(ok.map((s) => s.totalMs / 1000));
          row.e2ePerS = stats(ok.map((s) => s.records / (s.totalMs / 1000)));
          row.cpuSPerM = stats(ok.map((s) => s.cpuS / (s.records / 1e6)));
          // Start-up apart: CPU to the first record, and per M records after it (the runs whose client reports it).
          const split = ok.filter((s) => s.firstCpuS !== undefined && s.records > 1);
          if (split.length > 0) {
            row.firstCpuS = stats(split.map((s) => s.firstCpuS));
            row.cpuAfterFirstSPerM = stats(split.map((s) => (s.cpuS - s.firstCpuS) / ((s.records - 1) / 1e6)));
          }
          row.rssMiB = stats(ok.map((s) => s.rssKiB / 1024));
          // From process start to the first record (the report's own clock gives first-to-last; the rest is start-up).
          row.firstS = stats(ok.map((s) => (s.totalMs - s.activeMs) / 1000));
          const lat = ok.filter((s) => s.latency?.p50 != null).map((s) => s.latency);
          if (lat.length > 0) {
            row.latency = { p50: stats(lat.map((l) => l.p50)), p99: stats(lat.map((l) => l.p99)), p999: stats(lat.map((l) => l.p999)), n: stats(lat.map((l) => l.n)) };
          }
        }
        out.push(row);
      }
    }
  }
  return out;
}

const fmtInt = (x) => Math.round(x).toLocaleString('en-US');
const fmt1 = (x) => (x >= 100 ? Math.round(x).toString() : x.toFixed(1));
const fmt2 = (x) => x.toFixed(2);
const range = (s, f) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;

function rowsFor(summary, pass, workload) {
  return summary.filter((r) => r.pass === pass && r.workload === workload);
}

/** gregor (for await) against the fastest Node peer, Java and franz-go, for one pass and workload. */
export function comparisons(summary, results, pass, workload) {
  const rows = rowsFor(summary, pass, workload);
  const by = (id) => rows.find((r) => r.client === id && r.recordsPerS !== undefined);
  const gregor = by('gregor');
  const nodePeers = rows.filter((r) => r.recordsPerS !== undefined && results.clients.find((c) => c.id === r.client)?.family === 'node');
  const fastest = [...nodePeers].sort((a, b) => b.recordsPerS.median - a.recordsPerS.median)[0];
  const fastestE2e = [...nodePeers].sort((a, b) => b.e2ePerS.median - a.e2ePerS.median)[0];
  const leanestCpu = [...nodePeers].sort((a, b) => a.cpuSPerM.median - b.cpuSPerM.median)[0];
  const leanestRss = [...nodePeers].sort((a, b) => a.rssMiB.median - b.rssMiB.median)[0];
  const ratio = (peer) => (gregor && peer ? gregor.recordsPerS.median / peer.recordsPerS.median : null);
  return {
    gregor, fastest, fastestE2e, leanestCpu, leanestRss, java: by('java'), franz: by('franz'),
    vsFastest: ratio(fastest),
    vsFastestE2e: gregor && fastestE2e ? gregor.e2ePerS.median / fastestE2e.e2ePerS.median : null,
    vsJava: ratio(by('java')), vsFranz: ratio(by('franz')),
    cpuRatio: gregor && leanestCpu ? gregor.cpuSPerM.median / leanestCpu.cpuSPerM.median : null,
    rssRatio: gregor && leanestRss ? gregor.rssMiB.median / leanestRss.rssMiB.median : null,
  };
}

const PASS_TITLES = {
  default: 'Default settings',
  equal: 'Equal fetch sizes',
};

/** The Markdown report (bench/results/latest.md). */
export function markdown(results, summary) {
  const m = results.machine;
  const L = [];
  L.push(`# gregor against the other Kafka consumers${results.quick ? ' (quick run: a tenth of each workload)' : ''}`, '');
  L.push(`${results.date}, ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB RAM, ${m.os}; load average ${m.loadStart.join(' / ')} at the start, `
    + `${m.loadEnd.join(' / ')} at the end (1 / 5 / 15 min). Broker: Apache Kafka ${results.versions.kafka}, one node on 127.0.0.1 `
    + '(PLAINTEXT), same machine.', '');
  L.push(`Node clients (gregor included) ran on **${results.versions.node24}** (from the npm registry; @platformatic/kafka needs `
    + `Node >= 22.22); gregor also on the system's ${results.versions.nodeSystem}. ${results.versions.peers}.`, '');
  L.push(`Each client read each workload from the beginning in a fresh consumer group, ${results.runs} runs, clients in rotating `
    + 'order, after one read of each workload that is not counted (a warm-up); figures are the median (min–max). records/s and MB/s (values, 10^6 B) run from the first record to the last; '
    + 'total is from process start to the last record (connecting, joining the group), and "end to end" is records over that total; CPU (user + system) and peak RSS are '
    + 'the whole process\'s, from /usr/bin/time.', '');
  for (const pass of results.passes) {
    L.push(`## ${PASS_TITLES[pass]}`, '');
    if (pass === 'equal') {
      const f = results.equalFetch;
      L.push(`fetch.max.bytes ${f.maxBytes}, max.partition.fetch.bytes ${f.partitionMaxBytes}, fetch.min.bytes ${f.minBytes}, `
        + `fetch.max.wait.ms ${f.maxWaitMs} (the Java defaults) given to every client in its own terms. Clients whose defaults `
        + 'are these values already show their default-pass figures (marked =).', '');
    }
    for (const w of results.workloads) {
      const kind = w.kind ?? 'throughput';
      if (pass === 'equal' && kind !== 'throughput') continue;
      L.push(`### ${w.label}: ${fmtInt(w.records)} records${w.compression === 'none' ? '' : `, ${w.compression}`}`, '');
      if (kind === 'latency') {
        L.push('| client | p50 ms | p99 ms | p99.9 ms | records measured | CPU s | peak RSS MiB |', '|---|--:|--:|--:|--:|--:|--:|');
      } else if (kind === 'wide') {
        L.push('| client | to first record s | to last record s | records/s | CPU s | peak RSS MiB |', '|---|--:|--:|--:|--:|--:|');
      } else {
        L.push('| client | records/s | MB/s | total s | records/s end to end | CPU s / M records | CPU s to the first record | CPU s / M after it | peak RSS MiB |', '|---|--:|--:|--:|--:|--:|--:|--:|--:|');
      }
      for (const r of rowsFor(summary, pass, w.id)) {
        const c = results.clients.find((x) => x.id === r.client);
        const name = `${c.family === 'gregor' ? `**${c.label}**` : c.label}${r.reused ? ' =' : ''}`;
        if (r.recordsPerS === undefined) {
          const why = r.unavailable ?? r.errors[0] ?? 'not run';
          const empty = ' |'.repeat(kind === 'wide' ? 4 : kind === 'latency' ? 5 : 7);
          L.push(`| ${name} | ${why.replace(/\|/g, '/').slice(0, 160)} |${empty}`);
          continue;
        }
        const failed = r.errors.length > 0 ? ` (${r.errors.length} failed)` : '';
        const cpuS = (x) => fmt2(x * w.records / 1e6);
        const rss = range(r.rssMiB, (x) => Math.round(x).toString());
        if (kind === 'latency') {
          const l = r.latency;
          const lr = (k) => (l === undefined ? 'n/a' : range(l[k], fmt1));
          L.push(`| ${name} | ${lr('p50')}${failed} | ${lr('p99')} | ${lr('p999')} | ${l === undefined ? 0 : fmtInt(l.n.median)} | `
            + `${range(r.cpuSPerM, cpuS)} | ${rss} |`);
        } else if (kind === 'wide') {
          L.push(`| ${name} | ${range(r.firstS, fmt2)}${failed} | ${range(r.totalS, fmt2)} | ${fmtInt(r.e2ePerS.median)} | `
            + `${range(r.cpuSPerM, cpuS)} | ${rss} |`);
        } else {
          const split = (x) => (x === undefined ? '–' : range(x, fmt2));
          L.push(`| ${name} | ${range(r.recordsPerS, fmtInt)}${failed} | ${range(r.mbPerS, fmt1)} | ${range(r.totalS, fmt2)} | `
            + `${fmtInt(r.e2ePerS.median)} | ${range(r.cpuSPerM, fmt2)} | ${split(r.firstCpuS)} | ${split(r.cpuAfterFirstSPerM)} | ${rss} |`);
        }
      }
      L.push('');
    }
    const throughput = results.workloads.filter((x) => (x.kind ?? 'throughput') === 'throughput');
    if (throughput.length > 0) L.push(`### gregor (for await) against the others: ${PASS_TITLES[pass].toLowerCase()}`, '');
    if (throughput.length > 0) {
      L.push('| workload | vs fastest Node peer | same, end to end | CPU / record vs leanest Node peer | peak RSS vs smallest Node peer | vs Java | vs franz-go |',
        '|---|--:|--:|--:|--:|--:|--:|');
    }
    for (const w of throughput) {
      const k = comparisons(summary, results, pass, w.id);
      const x = (v) => (v === null ? 'n/a' : `${v.toFixed(2)}×`);
      const who = (r) => (r ? ` (${results.clients.find((c) => c.id === r.client).label.split(' (')[0]})` : '');
      L.push(`| ${w.label} | ${x(k.vsFastest)}${who(k.fastest)} | ${x(k.vsFastestE2e)}${who(k.fastestE2e)} | ${x(k.cpuRatio)}${who(k.leanestCpu)} | `
        + `${x(k.rssRatio)}${who(k.leanestRss)} | ${x(k.vsJava)} | ${x(k.vsFranz)} |`);
    }
    if (throughput.length > 0) L.push('', 'Ratios above 1× mean gregor reads more records per second; for CPU and RSS, below 1× means gregor uses less.', '');
    if (pass === 'default') L.push(...againstFranz(results, summary), '');
  }
  const problems = Object.entries(results.unavailable);
  if (problems.length > 0) {
    L.push('## Not measured', '');
    for (const [id, why] of problems) L.push(`- ${id}: ${why}`);
    L.push('');
  }
  if (results.notes.length > 0) {
    L.push('## Notes', '');
    for (const n of results.notes) L.push(`- ${n}`);
    L.push('');
  }
  return L.join('\n');
}

/** Wide topics and latency: gregor (for await) against franz-go, the figures of issue 15's pass criteria. */
/** A client's default-settings figures on a workload. */
const defaultRow = (summary, w, id) => summary.find((r) => r.pass === 'default' && r.workload === w.id && r.client === id);

function againstFranz(results, summary) {
  const L = [];
  const get = (w, id) => defaultRow(summary, w, id);
  const other = results.workloads.filter((w) => w.kind === 'wide' || w.kind === 'latency');
  if (other.length === 0) return L;
  L.push('### gregor (for await) against franz-go: wide topics and latency', '');
  L.push('| workload | gregor | franz-go | gregor / franz-go |', '|---|--:|--:|--:|');
  for (const w of other) {
    const g = get(w, 'gregor');
    const f = get(w, 'franz');
    if (w.kind === 'wide') {
      const cell = (r) => (r?.totalS ? `${fmt2(r.totalS.median)} s, CPU ${fmt2(r.cpuSPerM.median * w.records / 1e6)} s, ${Math.round(r.rssMiB.median)} MiB` : 'n/a');
      const ratio = g?.totalS && f?.totalS ? `${(g.totalS.median / f.totalS.median).toFixed(2)}× wall, +${Math.round(g.rssMiB.median - f.rssMiB.median)} MiB` : 'n/a';
      L.push(`| ${w.label}: to last record, CPU, RSS | ${cell(g)} | ${cell(f)} | ${ratio} |`);
    } else {
      const cell = (r) => (r?.latency ? `${fmt1(r.latency.p50.median)} / ${fmt1(r.latency.p99.median)} / ${fmt1(r.latency.p999.median)}` : 'n/a');
      const diff = g?.latency && f?.latency ? `p99 ${(g.latency.p99.median - f.latency.p99.median >= 0 ? '+' : '')}${(g.latency.p99.median - f.latency.p99.median).toFixed(1)} ms` : 'n/a';
      L.push(`| ${w.label}: p50 / p99 / p99.9 ms | ${cell(g)} | ${cell(f)} | ${diff} |`);
    }
  }
  return L;
}

/** The compact table README.md shows: records/s per client and workload (default settings), CPU and RSS at 100 B. */
export function readmeTable(results, summary) {
  const pass = 'default';
  const L = [];
  const workloads = results.workloads.filter((w) => (w.kind ?? 'throughput') === 'throughput');
  const head = workloads.map((w) => `${w.label} rec/s`);
  L.push(`| client | ${head.join(' | ')} | CPU s / M (100 B) | peak RSS MiB (100 B) |`);
  L.push(`|---|${workloads.map(() => '--:').join('|')}|--:|--:|`);
  for (const c of results.clients) {
    const found = workloads.map((w) => summary.find((x) => x.pass === pass && x.workload === w.id && x.client === c.id));
    // A client that read none of these workloads (the share-group clients run only their own, opt-in ones) gets no row.
    if (!found.some((r) => r?.recordsPerS)) continue;
    const cells = found.map((r) => (r?.recordsPerS ? fmtInt(r.recordsPerS.median) : '–'));
    const r100 = summary.find((x) => x.pass === pass && x.workload === workloads[0]?.id && x.client === c.id);
    const name = c.family === 'gregor' ? `**${c.label}**` : c.label;
    L.push(`| ${name} | ${cells.join(' | ')} | ${r100?.cpuSPerM ? fmt2(r100.cpuSPerM.median) : '–'} | ${r100?.rssMiB ? Math.round(r100.rssMiB.median) : '–'} |`);
  }
  const more = againstFranz(results, summary);
  if (more.length > 0) L.push('', ...more.slice(2).map((l) => l));
  const targets = franzTargets(results, summary);
  if (targets.length > 0) L.push('', ...targets);
  return L.join('\n');
}

/**
 * Issue 15's throughput targets against franz-go, computed from this run's medians (a ratio, then the target it is
 * held to): records/s of `for await` (>= 1.0x) and batches() (>= 1.2x), CPU per record (<= 1.2x), peak RSS
 * (<= franz-go's + 64 MiB) and run() against `for await` (>= 0.9x). No verdict is printed: the ratios are the result.
 */
export function franzTargets(results, summary) {
  const get = (w, id) => defaultRow(summary, w, id);
  const rows = [];
  for (const w of results.workloads.filter((x) => (x.kind ?? 'throughput') === 'throughput')) {
    const f = get(w, 'franz');
    const g = get(w, 'gregor');
    if (!f?.recordsPerS || !g?.recordsPerS) continue;
    const b = get(w, 'gregor-batches');
    const run = get(w, 'gregor-run');
    const x = (a, c) => `${(a / c).toFixed(2)}×`;
    rows.push(`| ${w.label} | ${x(g.recordsPerS.median, f.recordsPerS.median)} | ${b?.recordsPerS ? x(b.recordsPerS.median, f.recordsPerS.median) : 'n/a'} `
      + `| ${x(g.cpuSPerM.median, f.cpuSPerM.median)} | ${g.rssMiB.median - f.rssMiB.median >= 0 ? '+' : ''}${Math.round(g.rssMiB.median - f.rssMiB.median)} MiB `
      + `| ${run?.recordsPerS ? x(run.recordsPerS.median, g.recordsPerS.median) : 'n/a'} |`);
  }
  if (rows.length === 0) return [];
  return [
    '| against franz-go (medians of this run) | for await rec/s (target ≥ 1.0×) | batches() rec/s (≥ 1.2×) | for await CPU / record (≤ 1.2×) | for await peak RSS (≤ +64 MiB) | run() rec/s vs for await (≥ 0.9×) |',
    '|---|--:|--:|--:|--:|--:|',
    ...rows,
  ];
}

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal bars of records/s (median, whiskers min–max), one panel per workload. */
export function svg(results, summary, pass = 'default') {
  const clients = results.clients.filter((c) => !(pass === 'equal' && c.defaultPassOnly));
  results = { ...results, workloads: results.workloads.filter((w) => (w.kind ?? 'throughput') === 'throughput') };
  const labelW = 300;
  const barW = 420;
  const rowH = 18;
  const panelH = 26 + clients.length * rowH + 14;
  const width = labelW + barW + 110;
  const height = 58 + results.workloads.length * panelH;
  const colors = { gregor: '#d9480f', node: '#4263eb', other: '#868e96' };
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  o.push(`<text x="10" y="22" font-size="15" font-weight="bold">${esc(`Records per second, ${PASS_TITLES[pass].toLowerCase()}: first record to last (median; whiskers min–max of ${results.runs} runs)`)}</text>`);
  o.push(`<text x="10" y="40" fill="#495057">${esc(`${results.date.slice(0, 10)} · ${results.machine.cpus} cores · ${results.versions.node24} · Kafka ${results.versions.kafka}${results.quick ? ' · quick run' : ''} · thin dark bar: end to end, connecting included`)}</text>`);
  results.workloads.forEach((w, wi) => {
    const top = 58 + wi * panelH;
    const rows = summary.filter((r) => r.pass === pass && r.workload === w.id);
    const max = Math.max(1, ...rows.filter((r) => r.recordsPerS).map((r) => r.recordsPerS.max));
    o.push(`<text x="10" y="${top + 16}" font-weight="bold">${esc(`${w.label} (${w.records.toLocaleString('en-US')} records${w.compression === 'none' ? '' : `, ${w.compression}`})`)}</text>`);
    clients.forEach((c, ci) => {
      const y = top + 26 + ci * rowH;
      const r = rows.find((x) => x.client === c.id);
      o.push(`<text x="${labelW - 8}" y="${y + 12}" text-anchor="end">${esc(c.label)}</text>`);
      if (!r?.recordsPerS) {
        const why = r?.unavailable ?? (r?.errors.length ? `failed: ${r.errors[0].replace(/^exit \d+: /, '')}` : 'not measured');
        o.push(`<text x="${labelW + 4}" y="${y + 12}" fill="#868e96">${esc(why.slice(0, 70))}</text>`);
        return;
      }
      const sx = (v) => labelW + (v / max) * barW;
      o.push(`<rect x="${labelW}" y="${y + 2}" width="${(sx(r.recordsPerS.median) - labelW).toFixed(1)}" height="${rowH - 5}" fill="${colors[c.family]}"/>`);
      // End to end (records over the whole process time, connecting included): the thin dark bar inside.
      o.push(`<rect x="${labelW}" y="${y + rowH - 6}" width="${(sx(r.e2ePerS.median) - labelW).toFixed(1)}" height="3" fill="#212529" opacity="0.55"/>`);
      const wy = y + 2 + (rowH - 5) / 2;
      o.push(`<line x1="${sx(r.recordsPerS.min).toFixed(1)}" x2="${sx(r.recordsPerS.max).toFixed(1)}" y1="${wy}" y2="${wy}" stroke="#212529"/>`);
      o.push(`<text x="${(sx(r.recordsPerS.max) + 6).toFixed(1)}" y="${y + 12}" fill="#212529">${esc(fmtInt(r.recordsPerS.median))}</text>`);
    });
  });
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}
