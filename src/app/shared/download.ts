/**
 * Files made on this device and handed to the browser's own download: nothing leaves the device
 * and no third party is involved.
 */
/**
 * Saves `text` as a file called `fileName` through the browser's download. CSV files start with a
 * UTF-8 byte order mark: without it Excel reads them in the computer's legacy code page and garbles
 * "–", "é" and the like. Footfall's own import, and every UTF-8 reader, skips the mark.
 */
export function downloadText(fileName: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const bytes = type.startsWith('text/csv') ? `\ufeff${text}` : text;
  const url = URL.createObjectURL(new Blob([bytes], { type }));
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
