import type { RunProgress } from '../population/population-run.js';

/**
 * Progress of long work (design.md §4 "CLI"): on a terminal, one line rewritten in place (items done,
 * rate, ETA); otherwise a plain line every `intervalMs` and at each change of phase, for logs.
 */
export class ProgressLine {
  private last = 0;
  private phase = '';
  private phaseStarted = Date.now();
  private phaseStartCount = 0;

  constructor(
    private readonly out: { write(text: string): unknown; isTTY?: boolean },
    private readonly intervalMs = out.isTTY === true ? 200 : 5000,
  ) {}

  update(p: RunProgress): void {
    const now = Date.now();
    const changed = p.phase !== this.phase;
    if (changed) {
      if (this.out.isTTY === true && this.phase !== '') this.out.write('\n');
      this.phase = p.phase;
      this.phaseStarted = now;
      this.phaseStartCount = p.patientsDone;
    }
    if (!changed && now - this.last < this.intervalMs && p.phase !== 'done') return;
    this.last = now;
    const line = describe(p, (now - this.phaseStarted) / 1000, p.patientsDone - this.phaseStartCount);
    this.out.write(
      this.out.isTTY === true ? `\r\u001b[2K${line}${p.phase === 'done' ? '\n' : ''}` : `${line}\n`,
    );
  }
}

function describe(p: RunProgress, seconds: number, doneInPhase: number): string {
  if (p.phase === 'reading') {
    const share =
      p.bytesTotal > 0 ? ` (${((100 * p.bytesDone) / p.bytesTotal).toFixed(0)}% of ${mb(p.bytesTotal)})` : '';
    return `reading: ${p.patientsTotal.toLocaleString('en-GB')} patients found${share}, ${seconds.toFixed(0)} s`;
  }
  if (p.phase === 'done') return `done: ${p.patientsDone.toLocaleString('en-GB')} patients`;
  const rate = seconds > 0 ? doneInPhase / seconds : 0;
  const left = p.patientsTotal - p.patientsDone;
  const eta = rate > 0 ? `, ETA ${duration(left / rate)}` : '';
  return `${p.phase}: ${p.patientsDone.toLocaleString('en-GB')}/${p.patientsTotal.toLocaleString('en-GB')} patients, ${rate.toFixed(0)} patients/s${eta}`;
}

function mb(bytes: number): string {
  return bytes > 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(0)} MB`;
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
}
