/** Downloads, caught on their way to the browser (src/app/shared/download.ts): file name and text. */
import { vi } from 'vitest';

export interface CaughtDownload {
  name: string;
  text: Promise<string>;
}

/** From now until the mocks are restored, every download is kept here instead of saved. */
export function catchDownloads(): CaughtDownload[] {
  const downloads: CaughtDownload[] = [];
  let lastBlob: Blob | null = null;
  vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => ((lastBlob = blob as Blob), 'blob:footfall-test'));
  vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    downloads.push({ name: this.download, text: lastBlob!.text() });
  });
  return downloads;
}
