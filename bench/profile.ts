import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './processes';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }[];
  startTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Microseconds on the monotonic clock that both V8's profiler and process.hrtime use on Linux. */
export interface Window {
  fromUs: number;
  toUs: number;
}

interface ProfileRow {
  name: string;
  where: string;
  selfMs: number;
  /** Share of the busy time: every sample except (idle). */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  /** Whether samples outside the load run (start-up, warm-up, shutdown) were left out. */
  windowed: boolean;
  busyMs: number;
  idleMs: number;
  top: ProfileRow[];
  /** Self time grouped by package (node_modules/<name>), project file, Node internals or V8 bucket. */
  byArea: ProfileRow[];
  /** Self time charged to the nearest package or project frame on the stack: Node's own work goes to its caller. */
  byOwner: ProfileRow[];
}

/** The newest .cpuprofile in `dir` written since `notBeforeMs` (node --cpu-prof writes one per process at exit). */
export function newestProfile(dir: string, notBeforeMs: number): string {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).mtimeMs >= notBeforeMs)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const [newest] = files;
  if (newest === undefined) throw new Error(`no new .cpuprofile in ${dir}: did the profiled service exit cleanly?`);
  return newest;
}

/**
 * Self time per function (name, file, line) and per area, from the samples and their time deltas;
 * with a window, only the samples taken inside it.
 */
export function summariseProfile(file: string, window?: Window, topN = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const windowed = window !== undefined && samples.length > 0;
  if (samples.length) {
    // a sample's time runs until the next sample; the last one gets the mean interval
    const mean = deltas.length > 1 ? deltas.slice(1).reduce((a, b) => a + b, 0) / (deltas.length - 1) : 1000;
    let at = profile.startTime;
    samples.forEach((id, i) => {
      at += deltas[i] ?? 0;
      if (window && (at < window.fromUs || at > window.toUs)) return;
      selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i + 1] ?? mean));
    });
  } else {
    for (const node of profile.nodes) selfUs.set(node.id, (node.hitCount ?? 0) * 1000);
  }

  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  const byArea = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = frames.get(id)!;
    const name = frame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idleUs += us;
      continue;
    }
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${name}\u0000${where}`;
    const entry = byFunction.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    const area = areaOf(frame);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const busyUs = [...byFunction.values()].reduce((sum, entry) => sum + entry.us, 0);

  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const byOwner = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (frames.get(id)!.functionName === '(idle)') continue;
    let owner = areaOf(frames.get(id)!);
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const frame = frames.get(at)!;
      if (frame.url && !frame.url.startsWith('node:')) {
        owner = areaOf(frame);
        break;
      }
    }
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
  }
  const row = (name: string, where: string, us: number): ProfileRow => ({ name, where, selfMs: us / 1000, percent: (100 * us) / busyUs });
  return {
    file,
    windowed,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    top: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((e) => row(e.name, e.where, e.us)),
    byArea: [...byArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([area, us]) => row(area, '', us)),
    byOwner: [...byOwner.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([area, us]) => row(area, '', us)),
  };
}

/** Paths relative to the project (node_modules/..., dist/src/...); Node's own modules keep node:. */
function shortUrl(url: string): string {
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  return path.startsWith(`${PROJECT_ROOT}/`) ? path.slice(PROJECT_ROOT.length + 1) : path;
}

function areaOf(frame: CallFrame): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const path = shortUrl(frame.url);
  const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg?.[1]) return pkg[1];
  if (path.startsWith('node:')) return 'node internals';
  if (path.startsWith('dist/')) return path;
  return path;
}

export function profileMarkdown(summary: ProfileSummary): string {
  const lines = [
    `Busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms${summary.windowed ? ' during the measured run (start-up, warm-up and shutdown left out)' : ''}.`,
    'Percentages are of the busy time; self time, not inclusive.',
    '',
    '| # | function | where | self ms | % busy |',
    '|---:|---|---|---:|---:|',
    ...summary.top.map(
      (r, i) => `| ${i + 1} | \`${r.name}\` | ${r.where ? `\`${r.where}\`` : ''} | ${r.selfMs.toFixed(0)} | ${r.percent.toFixed(1)} |`,
    ),
    '',
    'Self time by area (package, project file, Node internals, V8):',
    '',
    '| area | self ms | % busy |',
    '|---|---:|---:|',
    ...summary.byArea.map((r) => `| \`${r.name}\` | ${r.selfMs.toFixed(0)} | ${r.percent.toFixed(1)} |`),
    '',
    'The same time charged to whoever asked for it: Node-internal work (headers, socket writes, crypto, timers) goes to',
    'the nearest package or project frame on its stack.',
    '',
    '| caller | ms | % busy |',
    '|---|---:|---:|',
    ...summary.byOwner.map((r) => `| \`${r.name}\` | ${r.selfMs.toFixed(0)} | ${r.percent.toFixed(1)} |`),
  ];
  return lines.join('\n');
}
