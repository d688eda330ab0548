/**
 * Downloads go over the station's HTTP API (they stream), with the token the page was opened
 * with; in Electron (no token in the page) there is no download here.
 */
export function apiToken(): string | null {
  const fromHash = new URLSearchParams(window.location.hash.replace(/^#/, '')).get('token');
  if (fromHash) return fromHash;
  try {
    return window.sessionStorage.getItem('benchline.token');
  } catch {
    return null;
  }
}

export async function download(route: string, fallbackName: string): Promise<void> {
  const token = apiToken();
  if (!token || !window.location.protocol.startsWith('http')) throw new Error('no-download');
  const res = await fetch(route, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      message = ((await res.json()) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // Not JSON: keep the status.
    }
    throw new Error(message);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
