/**
 * Hands a fetched file to the browser as a download: the name from the answer's
 * content-disposition (else `fallbackName`). The station's and the hub's pages fetch their files
 * with the token in a header (never in a URL), so a plain link cannot do it. Answers the name.
 */
export async function saveResponseAsFile(res: Response, fallbackName: string): Promise<string> {
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has taken the file once the click is handled.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
