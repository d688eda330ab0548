import { useTranslation } from 'react-i18next';

/**
 * The band label of a tile whose port is not in the bench layout: a caption ("unmapped port") over
 * the port path, so both stay readable instead of one long line that pushes the state word out.
 */
export function PortLabel({ port }: { port: string }) {
  const { t } = useTranslation();
  return (
    <span className="tile__slot tile__slot--port">
      <span className="tile__port-caption">{t('bench.unmappedCaption')}</span>{' '}
      <span className="tile__port-path" title={port}>
        <bdi>{port}</bdi>
      </span>
    </span>
  );
}
