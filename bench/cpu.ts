import { readFileSync } from 'node:fs';

/** Linux reports process and machine CPU times in clock ticks of 1/100 s (getconf CLK_TCK). */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process has used so far, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name (field 2) may hold spaces: count fields after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

export interface MachineCpu {
  busy: number;
  total: number;
}

/** Busy and total CPU ticks of the whole machine since boot, from the first line of /proc/stat. */
export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** Share of all cores that were busy between two snapshots, in %. */
export function busyPercent(from: MachineCpu, to: MachineCpu): number {
  const total = to.total - from.total;
  return total > 0 ? (100 * (to.busy - from.busy)) / total : NaN;
}

/** Connections the kernel dropped because a listen queue was full (TcpExt ListenOverflows). */
export function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('TcpExt:'));
  const [header, counts] = lines;
  if (header === undefined || counts === undefined) return NaN;
  const names = header.split(/\s+/);
  const values = counts.split(/\s+/);
  return Number(values[names.indexOf('ListenOverflows')]);
}
