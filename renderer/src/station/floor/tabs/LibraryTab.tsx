import { useState, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { LibraryItem } from '../../../../../shared/contract/library-api.js';
import { stationToken } from '../../../transport/station-token.js';
import { useStation } from '../../state/context.js';
import { attempt, errorText, type Say } from '../floor-feedback.js';
import { useStationQuery } from '../use-station-query.js';

/** Uploads one file as the body of POST /api/v1/library: the browser streams it, nothing reads it into memory. */
async function uploadFile(file: File, noUpload: string): Promise<LibraryItem> {
  const token = stationToken();
  if (!token || !window.location.protocol.startsWith('http')) throw new Error(noUpload);
  const res = await fetch(`/api/v1/library?name=${encodeURIComponent(file.name)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: file,
  });
  const body = (await res.json()) as LibraryItem & { error?: { message?: string } };
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

/** The device library: drop IPA, APK, .mobileconfig or serial-device files to import; the list (kind, identifier, version, checksum); remove. */
export function LibraryTab({ notify }: { notify: Say }) {
  const { t } = useTranslation();
  const { client } = useStation();
  const items = useStationQuery((api) => api.listLibrary({}), { initial: [], onError: (err) => notify('error', errorText(err)) });
  const [busy, setBusy] = useState(false);
  const [over, setOver] = useState(false);

  const importFiles = async (files: readonly File[]) => {
    setBusy(true);
    for (const file of files) {
      await attempt(notify, async () => {
        const item = await uploadFile(file, t('floor.library.useCli'));
        notify('info', t('floor.library.imported', { kind: t(`floor.library.kind.${item.kind}`), identifier: item.identifier, version: item.version ?? '-' }));
      });
    }
    setBusy(false);
    items.reload();
  };
  const onDrop = (e: DragEvent<HTMLElement>) => {
    e.preventDefault();
    setOver(false);
    void importFiles([...e.dataTransfer.files]);
  };
  const remove = (item: LibraryItem) =>
    void attempt(notify, () => client.api.removeLibraryItem({ id: item.sha256 }), t('floor.library.removed', { identifier: item.identifier })).then(() =>
      items.reload(),
    );

  return (
    <>
      <section
        className={`drawer__section library-drop${over ? ' library-drop--over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        data-testid="library-drop"
      >
        <p>{busy ? t('floor.library.importing') : t('floor.library.drop')}</p>
        <label className="btn">
          {t('floor.library.choose')}
          <input
            type="file"
            multiple
            hidden
            accept=".ipa,.apk,.mobileconfig,*/*"
            onChange={(e) => void importFiles([...(e.target.files ?? [])])}
            data-testid="library-file"
          />
        </label>
      </section>
      <section className="drawer__section">
        {items.data.length === 0 ? (
          <p>{t('floor.library.empty')}</p>
        ) : (
          <table className="table" data-testid="library-list">
            <thead>
              <tr>
                <th>{t('floor.library.col.kind')}</th>
                <th>{t('floor.library.col.identifier')}</th>
                <th>{t('floor.library.col.version')}</th>
                <th>{t('floor.library.col.sha256')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.data.map((item) => (
                <tr key={item.sha256}>
                  <td>{t(`floor.library.kind.${item.kind}`)}</td>
                  <td title={item.fileName}>{item.displayName ? `${item.identifier} (${item.displayName})` : item.identifier}</td>
                  <td>{item.version ?? '–'}</td>
                  <td title={item.sha256}>
                    <code>{item.sha256.slice(0, 12)}</code>
                  </td>
                  <td>
                    <button type="button" className="btn btn--quiet" onClick={() => remove(item)}>
                      {t('floor.library.remove')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
