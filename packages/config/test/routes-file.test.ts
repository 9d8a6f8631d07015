import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lexRouteLine, parseRoutes } from '../src/index.js';
import type { LexResult, Route } from '../src/index.js';

type Sec = [string, Array<[string, string]>];
const ok = (...sections: Sec[]): LexResult => ({ ok: true, sections: sections.map(([value, props]) => ({ value, props })) });
const err = (error: string): LexResult => ({ ok: false, error });

test('lexRouteLine: sections, props, quotes, escapes, comments', () => {
  const cases: Array<[string, LexResult]> = [
    ['', ok()],
    ['   ', ok()],
    ['# comment', ok()],
    ['   # indented comment', ok()],
    ['* test', ok(['*', []], ['test', []])],
    ['  *   test  ', ok(['*', []], ['test', []])],
    ['*\ttest', ok(['*', []], ['test', []])],
    ['*,path_beg=/x,debug 127.0.0.1:80,ssl', ok(['*', [['path_beg', '/x'], ['debug', '']]], ['127.0.0.1:80', [['ssl', '']]])],
    ['id=api,path_beg=/x t', ok(['', [['id', 'api'], ['path_beg', '/x']]], ['t', []])],
    ['* a:1 # trailing comment', ok(['*', []], ['a:1', []])],
    ['* a:1#glued', ok(['*', []], ['a:1', []])],
    ['*,header="X-A: b, c #d" t', ok(['*', [['header', 'X-A: b, c #d']]], ['t', []])],
    ['*,header=X-A:" b" t', ok(['*', [['header', 'X-A: b']]], ['t', []])],
    ['"a b" t', ok(['a b', []], ['t', []])],
    ['*,x="q\\"uote\\\\d" t', ok(['*', [['x', 'q"uote\\d']]], ['t', []])],
    ['*,x=a\\b t', ok(['*', [['x', 'a\\b']]], ['t', []])],
    ['*,sub=a,sub=b t', ok(['*', [['sub', 'a'], ['sub', 'b']]], ['t', []])],
    ['*,x== t', ok(['*', [['x', '=']]], ['t', []])],
    [',id=x t', ok(['', [['id', 'x']]], ['t', []])],
    ['*,x="unterminated t', err('unterminated quote')],
    ['*,x="bad\\n" t', err('invalid escape "\\n" in quoted text')],
    ['*,,x t', err('expecting prop')],
    ['*, x t', err('expecting prop')],
    ['*, t', err('expecting prop')],
    ['*,=x t', err('empty prop name')],
    ['=x t', err('empty prop name')],
  ];
  for (const [line, want] of cases) assert.deepEqual(lexRouteLine(line), want, JSON.stringify(line));
});

function one(line: string): Route {
  const { routes, errors } = parseRoutes(line, { file: '/etc/pp/routes' });
  assert.deepEqual(errors, [], line);
  assert.equal(routes.length, 1, line);
  return routes[0] as Route;
}

test('condition props', () => {
  const r = one(
    'api.example.com,id=api,path_beg=/api,proto=ws,ssl=yes,sig_iss=iss,sig_key=file:k.pem,prefix=p-,orig_headers,as_host=h.example,debug,aco,session,no_grip,header="X-A:  one",header=X-B:two,log_level=3,sockjs=/sj,sockjs_as_path=/ws ' +
      'backend:8080',
  );
  assert.equal(r.id, 'api');
  assert.equal(r.explicitId, true);
  assert.equal(r.domain, 'api.example.com');
  assert.equal(r.wildcard, false);
  assert.equal(r.pathBeg, '/api');
  assert.equal(r.proto, 'ws');
  assert.equal(r.ssl, true);
  assert.equal(r.sigIss, 'iss');
  assert.equal(r.sigKey, 'file:/etc/pp/k.pem');
  assert.equal(r.prefix, 'p-');
  assert.equal(r.asHost, 'h.example');
  assert.deepEqual([r.origHeaders, r.debug, r.aco, r.session, r.noGrip], [true, true, true, true, true]);
  assert.deepEqual(r.headers, [['X-A', 'one'], ['X-B', 'two']]);
  assert.equal(r.logLevel, 3);
  assert.equal(r.sockjsPath, '/sj');
  assert.equal(r.sockjsAsPath, '/ws');
  assert.equal(r.line, 1);
  assert.equal(r.file, '/etc/pp/routes');
});

test('path_rem, replace_beg and jsonp settings', () => {
  assert.equal(one('*,path_rem=3 t:1').pathRem, 3);
  assert.equal(one('*,path_rem=x t:1').pathRem, 0);
  const rb = one('*,path_beg=/ws,replace_beg=/socket,path_rem=1 t:1');
  assert.equal(rb.pathRem, 3);
  assert.equal(rb.replaceBeg, '/socket');
  assert.deepEqual(one('* t:1').jsonp, { mode: 'extended', defaultMethod: 'GET' });
  assert.deepEqual(one('*,jsonp_mode=basic,jsonp_cb=cb,jsonp_body=b,jsonp_defcb=d t:1').jsonp, {
    mode: 'basic', defaultMethod: 'POST', callbackParam: 'cb', bodyParam: 'b', defaultCallback: 'd',
  });
  assert.equal(one('*,jsonp_defmethod=PUT t:1').jsonp.defaultMethod, 'PUT');
  assert.equal(one('*,id=a,id=b t:1').id, 'b', 'a repeated single-valued prop: the last one counts');
});

test('targets', () => {
  const r = one('* test zhttp/ipc:///tmp/w,ipc_file_mode=660 zhttpreq/tcp://127.0.0.1:9000 h1:81,ssl,untrusted,trust_connect_host,insecure,host=b.example,sub=c1,sub=,sub=c2,over_http,one_event h2 h3,ssl [::1]:82 [::2]');
  assert.deepEqual(r.targets, [
    { type: 'test' },
    { type: 'zhttp', spec: 'ipc:///tmp/w', ipcFileMode: 0o660 },
    { type: 'zhttpreq', spec: 'tcp://127.0.0.1:9000' },
    { type: 'http', host: 'h1', port: 81, ssl: true, untrusted: true, trustConnectHost: true, insecure: true, hostHeader: 'b.example', subs: ['c1', 'c2'], overHttp: true, oneEvent: true },
    { type: 'http', host: 'h2', port: 80, ssl: false, untrusted: false, trustConnectHost: false, insecure: false, subs: [], overHttp: false, oneEvent: false },
    { type: 'http', host: 'h3', port: 443, ssl: true, untrusted: false, trustConnectHost: false, insecure: false, subs: [], overHttp: false, oneEvent: false },
    { type: 'http', host: '::1', port: 82, ssl: false, untrusted: false, trustConnectHost: false, insecure: false, subs: [], overHttp: false, oneEvent: false },
    { type: 'http', host: '::2', port: 80, ssl: false, untrusted: false, trustConnectHost: false, insecure: false, subs: [], overHttp: false, oneEvent: false },
  ]);
});

test('id derivation when no id is given (ssl labels inverted as in Pushpin)', () => {
  const cases: Array<[string, string]> = [
    ['* t:1', '*,*,*,*'],
    ['example.com t:1', 'example.com,*,*,*'],
    ['*,proto=http,path_beg=/a t:1', '*,http,*,/a'],
    ['*,ssl=no t:1', '*,*,ssl,*'],
    ['*,ssl=yes,proto=ws t:1', '*,ws,no-ssl,*'],
  ];
  for (const [line, id] of cases) {
    const r = one(line);
    assert.equal(r.id, id, line);
    assert.equal(r.explicitId, false);
  }
});

test('id-only rules are allowed; no domain and no id is an error', () => {
  const r = one('id=api2 127.0.0.1:8081');
  assert.equal(r.domain, null);
  assert.equal(r.id, 'api2');
  const { routes, errors } = parseRoutes('path_beg=/x 127.0.0.1:1');
  assert.equal(routes.length, 0);
  assert.equal(errors[0]?.message, 'line 1: condition has no domain or id');
});

test('bad lines are skipped with a message naming file, line and problem', () => {
  const text = [
    '# routes',
    '* 127.0.0.1:8080',
    '*,proto=tcp a:1',
    '*,ssl=maybe a:1',
    '*,path_beg= a:1',
    '*,header=novalue a:1',
    '*,header=:v a:1',
    '*,jsonp_mode=odd a:1',
    '*,path_beg=/p a:0',
    '*,path_beg=/q a:x',
    '*,path_beg=/r :80',
    'onlycondition',
    '*,x="open a:1',
    '*,log_level=high a:1',
    '',
    'alt.example 127.0.0.1:9',
  ].join('\n');
  const { routes, errors } = parseRoutes(text, { file: 'routes' });
  assert.deepEqual(routes.map((r) => r.line), [2, 16]);
  assert.deepEqual(
    errors.map((e) => [e.code, e.line, e.message]),
    [
      ['PP_ERR_ROUTES_INVALID', 3, "routes:3: proto must be set to 'http' or 'ws'"],
      ['PP_ERR_ROUTES_INVALID', 4, "routes:4: ssl must be set to 'yes' or 'no'"],
      ['PP_ERR_ROUTES_INVALID', 5, 'routes:5: path_beg cannot be empty'],
      ['PP_ERR_ROUTES_INVALID', 6, "routes:6: header must use format 'name:value'"],
      ['PP_ERR_ROUTES_INVALID', 7, "routes:7: header must use format 'name:value'"],
      ['PP_ERR_ROUTES_INVALID', 8, "routes:8: jsonp_mode must be set to 'basic' or 'extended'"],
      ['PP_ERR_ROUTES_INVALID', 9, 'routes:9: target invalid port'],
      ['PP_ERR_ROUTES_INVALID', 10, 'routes:10: target invalid port'],
      ['PP_ERR_ROUTES_INVALID', 11, 'routes:11: target bad format'],
      ['PP_ERR_ROUTES_INVALID', 12, 'routes:12: must specify condition and at least one target'],
      ['PP_ERR_ROUTES_SYNTAX', 13, 'routes:13: unterminated quote'],
      ['PP_ERR_ROUTES_INVALID', 14, 'routes:14: log_level must be a number'],
    ],
  );
});

test('duplicate conditions are skipped; duplicate ids disable routing by id', () => {
  const text = ['* a:1', '*,path_beg=/x b:1', '* c:1', 'other.example d:1', '*,id=dup,path_beg=/y e:1', '*,id=dup,path_beg=/z f:1'].join('\r\n');
  const { routes, errors } = parseRoutes(text, { file: 'routes' });
  assert.deepEqual(routes.map((r) => r.line), [1, 2, 4, 5, 6]);
  assert.deepEqual(errors.map((e) => [e.code, e.line]), [['PP_ERR_ROUTES_DUPLICATE', 3], ['PP_WARN_ROUTES_DUPLICATE_ID', 6]]);
  assert.match(errors[0]?.message ?? '', /^routes:3: skipping duplicate condition \(same as line 1\)$/);
});

test('parsed routes are frozen', () => {
  const { routes } = parseRoutes('* a:1,sub=x');
  assert.ok(Object.isFrozen(routes));
  assert.ok(Object.isFrozen(routes[0]?.targets));
});
