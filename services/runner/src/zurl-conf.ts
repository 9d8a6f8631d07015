/** Values substituted into the zurl.conf template. */
export interface ZurlConfVars {
  /** Absolute run directory. */
  readonly rundir: string;
  readonly ipcPrefix: string;
  /** Empty lets zurl pick a random id (Pushpin's template leaves it empty). */
  readonly instanceId?: string;
  /** Appended to the endpoint names when several zurl processes run (`-1`, `-2`, …). */
  readonly suffix?: string;
}

/**
 * Renders zurl.conf as Pushpin 1.36's `runner/zurl.conf.template` does
 * (Qt INI, `[General]` section). Readable by the real zurl and by ours.
 *
 * @example renderZurlConf({ rundir: '/r', ipcPrefix: 'pushpin-' }).includes('in_spec=ipc:///r/pushpin-zurl-in') // true
 */
export function renderZurlConf(v: ZurlConfVars): string {
  const base = `ipc://${v.rundir}/${v.ipcPrefix}`;
  const sfx = v.suffix ?? '';
  return [
    '[General]',
    `instance_id=${v.instanceId ?? ''}`,
    `in_spec=${base}zurl-in${sfx}`,
    `in_stream_spec=${base}zurl-in-stream${sfx}`,
    `out_spec=${base}zurl-out${sfx}`,
    'in_req_spec=',
    'defpolicy=allow',
    'allow=',
    'deny=127.*,10.*,192.168.*,*.local',
    'max_open_requests=2000',
    'buffer_size=200000',
    'timeout=600',
    'in_hwm=1000',
    'out_hwm=1000',
    '',
  ].join('\n');
}
