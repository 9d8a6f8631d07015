/** A backend reached over HTTP/WebSocket (`host:port` target). */
export interface HttpTarget {
  readonly type: 'http';
  /** Connect host (IPv6 without brackets). */
  readonly host: string;
  /** Port; when the target has none: 443 with `ssl`, else 80. */
  readonly port: number;
  readonly ssl: boolean;
  /** GRIP instructions from this backend are ignored unless signed. */
  readonly untrusted: boolean;
  readonly trustConnectHost: boolean;
  readonly insecure: boolean;
  /** `host=`: Host header to send. */
  readonly hostHeader?: string;
  /** `sub=` channels, in file order, empty values dropped. */
  readonly subs: readonly string[];
  readonly overHttp: boolean;
  readonly oneEvent: boolean;
}

/** The built-in test backend. */
export interface TestTarget {
  readonly type: 'test';
}

/** `zhttp/<base-spec>`: ZHTTP stream mode to a custom responder (the proxy binds the sockets). */
export interface ZhttpTarget {
  readonly type: 'zhttp';
  readonly spec: string;
  readonly ipcFileMode?: number;
}

/** `zhttpreq/<spec>`: ZHTTP req mode (the proxy binds a DEALER). */
export interface ZhttpReqTarget {
  readonly type: 'zhttpreq';
  readonly spec: string;
  readonly ipcFileMode?: number;
}

export type Target = HttpTarget | TestTarget | ZhttpTarget | ZhttpReqTarget;

/** JSON-P settings of a route (used with `aco`/auto_cross_origin). */
export interface JsonpConfig {
  readonly mode: 'basic' | 'extended';
  readonly callbackParam?: string;
  readonly bodyParam?: string;
  readonly defaultCallback?: string;
  /** `POST` for basic, `GET` for extended unless `jsonp_defmethod` is set. */
  readonly defaultMethod: string;
}

/** One routes-file rule. */
export interface Route {
  /** Explicit `id=`, or derived from the condition (`domain,proto,ssl,path_beg`). */
  readonly id: string;
  readonly explicitId: boolean;
  readonly file?: string;
  readonly line: number;
  /** `null` = no domain (reachable by id only); `*` for the wildcard. */
  readonly domain: string | null;
  readonly wildcard: boolean;
  readonly pathBeg?: string;
  readonly proto?: 'http' | 'ws';
  readonly ssl?: boolean;
  readonly sigIss?: string;
  /** As written, except a relative `file:` path is made absolute (routes file's directory). */
  readonly sigKey?: string;
  readonly prefix: string;
  readonly origHeaders: boolean;
  readonly asHost?: string;
  /** Characters removed from the start of the path before forwarding. */
  readonly pathRem: number;
  /** Text put in front of the path after `pathRem` characters are removed. */
  readonly replaceBeg?: string;
  readonly debug: boolean;
  readonly aco: boolean;
  readonly session: boolean;
  readonly noGrip: boolean;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly jsonp: JsonpConfig;
  readonly sockjsPath?: string;
  readonly sockjsAsPath?: string;
  readonly logLevel?: number;
  readonly targets: readonly Target[];
}
