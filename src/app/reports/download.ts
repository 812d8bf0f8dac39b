/**
 * Files made on this device and handed to the browser's own download: nothing leaves the device
 * and no third party is involved.
 */
import { keyFromLabel } from '../../domain/config.ts';

/** Saves `text` as a file called `fileName` through the browser's download. */
export function downloadText(fileName: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    // The download has its own reference to the bytes once it has started.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}

/** "footfall-figures-2025-26.csv" for the figures of 2025/26. */
export function fileName(what: string, periodLabel: string, suffix = ''): string {
  return `footfall-${what}-${keyFromLabel(periodLabel)}${suffix}.csv`;
}
