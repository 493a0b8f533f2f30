import { readLines, type PartitionWriter } from './partition-files.js';

/**
 * Reads a practice mapping file, for sources whose Patients do not name their practice in
 * `generalPractitioner`: CSV with a header row naming the columns `patient` (or `patient_id`) and
 * `practice` (or `practice_id`), and optionally `practice_name`. Each assignment goes to the patient's
 * partition (so memory stays flat however long the file); a mapping overrides `generalPractitioner`.
 * Returns the practice names found.
 */
export async function readPracticeMapping(
  file: string,
  writer: PartitionWriter,
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let columns: { patient: number; practice: number; name: number } | undefined;
  let lineNumber = 0;
  for await (const line of readLines(file)) {
    lineNumber++;
    const cells = parseCsvLine(line);
    if (columns === undefined) {
      const header = cells.map((c) => c.trim().toLowerCase());
      const find = (...names: string[]) => header.findIndex((h) => names.includes(h));
      columns = {
        patient: find('patient', 'patient_id'),
        practice: find('practice', 'practice_id'),
        name: find('practice_name'),
      };
      if (columns.patient < 0 || columns.practice < 0)
        throw new Error(`${file}: the header must name the columns patient and practice`);
      continue;
    }
    const patient = cells[columns.patient]?.trim() ?? '';
    const practice = cells[columns.practice]?.trim() ?? '';
    if (!/^[A-Za-z0-9\-.]{1,64}$/.test(patient) || practice === '' || practice.includes('\t'))
      throw new Error(`${file}:${lineNumber}: a patient id and a practice are needed`);
    writer.write(patient, '@', practice);
    const name = columns.name >= 0 ? cells[columns.name]?.trim() : undefined;
    if (name !== undefined && name !== '' && !names.has(practice)) names.set(practice, name);
  }
  return names;
}

/** One CSV line (RFC 4180 quoting; no line breaks inside fields). */
function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}
