/**
 * Every pushpin.conf key we read, with the default used when the key is missing
 * (spec/config.md §2–§6; code defaults, not the example config's values).
 *
 * Socket specs default to empty: like Pushpin, they come from internal.conf via
 * `include`. Keys marked [newer] are Pushpin 1.37+ spellings, read in addition to
 * the 1.36 ones. Unknown keys are ignored.
 */
export const defaults = Object.freeze({
  global: Object.freeze({
    include: '',
    rundir: '',
    libdir: '',
    ipc_prefix: 'pushpin-',
    port_offset: 0,
    stats_connection_ttl: 120,
    stats_connection_send: true, // [newer]
  }),
  runner: Object.freeze({
    services: Object.freeze([] as string[]),
    http_port: Object.freeze([] as string[]),
    https_ports: Object.freeze([] as string[]),
    local_ports: Object.freeze([] as string[]),
    logdir: '',
    log_level: Object.freeze(['2']),
    client_buffer_size: 8192,
    client_maxconn: 50000,
    allow_compression: false, // [newer]
    condure_bin: 'condure',
    zurl_bin: 'zurl',
    rundir: '', // deprecated location of [global] rundir
  }),
  proxy: Object.freeze({
    routesfile: '',
    debug: false,
    auto_cross_origin: false,
    accept_x_forwarded_protocol: false,
    set_x_forwarded_protocol: '',
    x_forwarded_for: Object.freeze([] as string[]),
    x_forwarded_for_trusted: Object.freeze([] as string[]),
    orig_headers_need_mark: Object.freeze([] as string[]),
    accept_pushpin_route: false,
    cdn_loop: '', // [newer]
    log_from: false,
    log_user_agent: false,
    sig_iss: 'pushpin',
    sig_key: '',
    upstream_key: '',
    sockjs_url: '',
    updates_check: '',
    organization_name: '',
    max_open_requests: -1,
    ipc_file_mode: -1,
    stats_report_interval: 10,
    prometheus_port: '',
    prometheus_prefix: '',
    workers: 1, // [newer]
    stats_connections_max_ttl: 60, // [newer]
    condure_in_specs: Object.freeze([] as string[]), // [newer] connmgr_in_specs
    condure_in_stream_specs: Object.freeze([] as string[]), // [newer] connmgr_in_stream_specs
    condure_out_specs: Object.freeze([] as string[]), // [newer] connmgr_out_specs
    zurl_out_specs: Object.freeze([] as string[]),
    zurl_out_stream_specs: Object.freeze([] as string[]),
    zurl_in_specs: Object.freeze([] as string[]),
    handler_inspect_spec: '',
    handler_accept_spec: '',
    handler_retry_in_spec: '',
    handler_ws_control_in_spec: '',
    handler_ws_control_out_spec: '',
    stats_spec: '',
    command_spec: '',
    intreq_in_specs: Object.freeze([] as string[]),
    intreq_in_stream_specs: Object.freeze([] as string[]),
    intreq_out_specs: Object.freeze([] as string[]),
  }),
  handler: Object.freeze({
    ipc_file_mode: -1,
    push_in_spec: '',
    push_in_sub_specs: Object.freeze([] as string[]),
    push_in_sub_spec: '', // deprecated single-value form
    push_in_sub_connect: false,
    push_in_http_addr: '',
    push_in_http_port: -1,
    push_in_http_max_headers_size: 10000, // 1.36 reads push_in_max_headers_size
    push_in_http_max_body_size: 1000000, // 1.36 reads push_in_max_body_size
    stats_spec: '',
    command_spec: '',
    state_spec: '',
    message_rate: -1,
    message_hwm: -1,
    message_block_size: -1,
    message_wait: 5000,
    id_cache_ttl: 0,
    connection_subscription_max: 20,
    subscription_linger: 60,
    stats_subscription_ttl: 60,
    stats_report_interval: 10,
    stats_format: '',
    share_all: false,
    prometheus_port: '',
    prometheus_prefix: '',
    update_on_first_subscription: true, // [newer]
    proxy_inspect_spec: '', // [newer] proxy_inspect_specs
    proxy_accept_spec: '', // [newer] proxy_accept_specs
    proxy_retry_out_spec: '', // [newer] proxy_retry_out_specs
    proxy_ws_control_in_spec: '',
    proxy_ws_control_out_spec: '',
    proxy_stats_spec: '', // [newer] proxy_stats_specs
    proxy_command_spec: '',
    proxy_intreq_out_specs: Object.freeze([] as string[]),
    proxy_intreq_out_stream_specs: Object.freeze([] as string[]),
    proxy_intreq_in_specs: Object.freeze([] as string[]),
  }),
});

export type Defaults = typeof defaults;
