// Numbers, sizes and dates the German way (de-DE).

const numbers = new Intl.NumberFormat('de-DE', { maximumFractionDigits: 1 });
const dates = new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'short' });

export function formatNumber(n: number): string {
  return numbers.format(n);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${numbers.format(bytes)} Byte`;
  if (bytes < 1024 * 1024) return `${numbers.format(bytes / 1024)} KB`;
  return `${numbers.format(bytes / (1024 * 1024))} MB`;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : dates.format(date);
}
