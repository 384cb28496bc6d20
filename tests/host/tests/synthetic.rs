//! The host's rules checked with tiny proxy-wasm guests assembled in the test (wasm-encoder, no
//! toolchain): each callback runs a list of hostcalls, and a status other than the expected one
//! makes the guest execute `unreachable`. These do not need the real filter.

// Test support code may panic: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use adhost::{HeaderMap, Host, PluginOptions, Request, Response, Step};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, DataSection, EntityType, ExportKind, ExportSection,
    Function, FunctionSection, GlobalSection, GlobalType, ImportSection, MemArg, MemorySection,
    MemoryType, Module, TypeSection, ValType,
};

/// Where hostcalls return a buffer pointer and its size.
const RET_PTR: i32 = 16;
const RET_LEN: i32 = 20;
/// Where the guest's static data starts.
const DATA_BASE: i32 = 1024;

/// An argument of a hostcall.
#[derive(Clone)]
enum Arg {
    I32(i32),
    I64(i64),
    /// Bytes placed in the data segment, passed as (pointer, length).
    Data(Vec<u8>),
    /// The buffer the previous hostcall returned, as (pointer, length).
    Returned,
}

/// One hostcall a callback makes.
#[derive(Clone)]
struct Op {
    import: &'static str,
    args: Vec<Arg>,
    /// `Some(s)`: trap unless the call returns `s`.
    expect: Option<i32>,
}

fn op(import: &'static str, args: Vec<Arg>, expect: i32) -> Op {
    Op {
        import,
        args,
        expect: Some(expect),
    }
}

fn data(bytes: impl AsRef<[u8]>) -> Arg {
    Arg::Data(bytes.as_ref().to_vec())
}

fn add_header(map: i32, name: &str, value: &[u8]) -> Op {
    op(
        "proxy_add_header_map_value",
        vec![Arg::I32(map), data(name), data(value)],
        0,
    )
}

fn log_returned() -> Op {
    op("proxy_log", vec![Arg::I32(2), Arg::Returned], 0)
}

fn get_property(path: &str, expect: i32) -> Op {
    op(
        "proxy_get_property",
        vec![
            data(path.replace('.', "\0")),
            Arg::I32(RET_PTR),
            Arg::I32(RET_LEN),
        ],
        expect,
    )
}

#[derive(Default, Clone)]
struct Guest {
    vm_start: Vec<Op>,
    configure: Vec<Op>,
    request_headers: Vec<Op>,
    response_headers: Vec<Op>,
    log: Vec<Op>,
    /// Leave out the `proxy_abi_version_0_2_1` export.
    no_abi_marker: bool,
}

impl Guest {
    fn build(&self) -> Vec<u8> {
        // Signatures of the imports, in first-use order.
        let mut imports: Vec<(&'static str, Vec<ValType>)> = Vec::new();
        let mut data_bytes: Vec<u8> = Vec::new();
        let all = [
            &self.vm_start,
            &self.configure,
            &self.request_headers,
            &self.response_headers,
            &self.log,
        ];
        for ops in all {
            for op in ops.iter() {
                let params = params_of(&op.args);
                match imports.iter().find(|(name, _)| *name == op.import) {
                    Some((_, existing)) => {
                        assert_eq!(existing, &params, "{} used with two signatures", op.import)
                    }
                    None => imports.push((op.import, params)),
                }
            }
        }

        let mut types = TypeSection::new();
        let mut import_section = ImportSection::new();
        for (i, (name, params)) in imports.iter().enumerate() {
            types.ty().function(params.iter().copied(), [ValType::I32]);
            import_section.import("env", name, EntityType::Function(i as u32));
        }
        let n_imports = imports.len() as u32;
        let t = |params: &[ValType], results: &[ValType], types: &mut TypeSection| {
            types
                .ty()
                .function(params.iter().copied(), results.iter().copied());
        };
        // Local function types, one per export.
        let base = n_imports;
        t(&[ValType::I32], &[ValType::I32], &mut types); // allocate
        t(&[ValType::I32, ValType::I32], &[], &mut types); // on_context_create
        t(&[ValType::I32, ValType::I32], &[ValType::I32], &mut types); // on_vm_start / on_configure
        t(
            &[ValType::I32, ValType::I32, ValType::I32],
            &[ValType::I32],
            &mut types,
        ); // headers
        t(&[ValType::I32], &[], &mut types); // on_log / on_delete
        t(&[ValType::I32], &[ValType::I32], &mut types); // on_done
        t(&[], &[], &mut types); // abi marker

        let mut functions = FunctionSection::new();
        let mut code = CodeSection::new();
        let mut exports = ExportSection::new();
        let mut next = n_imports;
        let mut add = |name: &str,
                       ty: u32,
                       body: Function,
                       functions: &mut FunctionSection,
                       code: &mut CodeSection,
                       exports: &mut ExportSection| {
            functions.function(ty);
            code.function(&body);
            exports.export(name, ExportKind::Func, next);
            next += 1;
        };

        // Bump allocator on global 0.
        let mut alloc = Function::new([]);
        alloc
            .instructions()
            .global_get(0)
            .global_get(0)
            .local_get(0)
            .i32_add()
            .global_set(0)
            .end();
        add(
            "proxy_on_memory_allocate",
            base,
            alloc,
            &mut functions,
            &mut code,
            &mut exports,
        );

        let mut create = Function::new([]);
        create.instructions().end();
        add(
            "proxy_on_context_create",
            base + 1,
            create,
            &mut functions,
            &mut code,
            &mut exports,
        );

        let callback = |ops: &[Op], result: Option<i32>, data_bytes: &mut Vec<u8>| {
            let mut f = Function::new([]);
            let mut sink = f.instructions();
            for op in ops {
                let index = imports
                    .iter()
                    .position(|(name, _)| *name == op.import)
                    .unwrap() as u32;
                for arg in &op.args {
                    match arg {
                        Arg::I32(v) => {
                            sink.i32_const(*v);
                        }
                        Arg::I64(v) => {
                            sink.i64_const(*v);
                        }
                        Arg::Data(bytes) => {
                            let ptr = DATA_BASE + data_bytes.len() as i32;
                            data_bytes.extend_from_slice(bytes);
                            sink.i32_const(ptr).i32_const(bytes.len() as i32);
                        }
                        Arg::Returned => {
                            let mem = MemArg {
                                offset: 0,
                                align: 2,
                                memory_index: 0,
                            };
                            sink.i32_const(RET_PTR)
                                .i32_load(mem)
                                .i32_const(RET_LEN)
                                .i32_load(mem);
                        }
                    }
                }
                sink.call(index);
                match op.expect {
                    Some(status) => {
                        sink.i32_const(status)
                            .i32_ne()
                            .if_(BlockType::Empty)
                            .unreachable()
                            .end();
                    }
                    None => {
                        sink.drop();
                    }
                }
            }
            if let Some(value) = result {
                sink.i32_const(value);
            }
            sink.end();
            f
        };

        let body = callback(&self.vm_start, Some(1), &mut data_bytes);
        add(
            "proxy_on_vm_start",
            base + 2,
            body,
            &mut functions,
            &mut code,
            &mut exports,
        );
        let body = callback(&self.configure, Some(1), &mut data_bytes);
        add(
            "proxy_on_configure",
            base + 2,
            body,
            &mut functions,
            &mut code,
            &mut exports,
        );
        let body = callback(&self.request_headers, Some(0), &mut data_bytes);
        add(
            "proxy_on_request_headers",
            base + 3,
            body,
            &mut functions,
            &mut code,
            &mut exports,
        );
        let body = callback(&self.response_headers, Some(0), &mut data_bytes);
        add(
            "proxy_on_response_headers",
            base + 3,
            body,
            &mut functions,
            &mut code,
            &mut exports,
        );
        let body = callback(&self.log, None, &mut data_bytes);
        add(
            "proxy_on_log",
            base + 4,
            body,
            &mut functions,
            &mut code,
            &mut exports,
        );
        let body = callback(&[], Some(1), &mut data_bytes);
        add(
            "proxy_on_done",
            base + 5,
            body,
            &mut functions,
            &mut code,
            &mut exports,
        );
        let body = callback(&[], None, &mut data_bytes);
        add(
            "proxy_on_delete",
            base + 4,
            body,
            &mut functions,
            &mut code,
            &mut exports,
        );
        if !self.no_abi_marker {
            let mut marker = Function::new([]);
            marker.instructions().end();
            add(
                "proxy_abi_version_0_2_1",
                base + 6,
                marker,
                &mut functions,
                &mut code,
                &mut exports,
            );
        }
        exports.export("memory", ExportKind::Memory, 0);

        let mut memories = MemorySection::new();
        memories.memory(MemoryType {
            minimum: 4,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        let mut globals = GlobalSection::new();
        globals.global(
            GlobalType {
                val_type: ValType::I32,
                mutable: true,
                shared: false,
            },
            &ConstExpr::i32_const(2 * 65536),
        );
        let mut data_section = DataSection::new();
        data_section.active(0, &ConstExpr::i32_const(DATA_BASE), data_bytes);

        let mut module = Module::new();
        module
            .section(&types)
            .section(&import_section)
            .section(&functions)
            .section(&memories)
            .section(&globals)
            .section(&exports)
            .section(&code)
            .section(&data_section);
        module.finish()
    }
}

fn params_of(args: &[Arg]) -> Vec<ValType> {
    args.iter()
        .flat_map(|arg| match arg {
            Arg::I32(_) => vec![ValType::I32],
            Arg::I64(_) => vec![ValType::I64],
            Arg::Data(_) | Arg::Returned => vec![ValType::I32, ValType::I32],
        })
        .collect()
}

fn request() -> Request {
    Request {
        method: "GET".into(),
        path: "/orders?id=7".into(),
        scheme: "https".into(),
        authority: "api.example.com".into(),
        source: Some("10.0.0.8:50412".into()),
        headers: vec![
            ("X-Bin".into(), vec![0xff, 0x01, 0xfe]),
            ("accept".into(), b"*/*".to_vec()),
        ],
    }
}

fn response() -> Response {
    Response {
        status: 401,
        headers: vec![("www-authenticate".into(), b"Bearer".to_vec())],
        body: b"nope".to_vec(),
    }
}

/// Runs `guest` through configure and one request.
fn run(guest: &Guest) -> (Result<bool, adhost::Trap>, Option<adhost::RequestOutcome>) {
    let host = Host::new(&guest.build()).expect("synthetic guest loads");
    let mut plugin = host
        .instantiate(PluginOptions {
            config: b"{\"k\":1}".to_vec(),
            clock_nanos: 7_000_000_000,
            ..Default::default()
        })
        .unwrap();
    let configured = plugin.configure();
    if configured != Ok(true) {
        return (configured, None);
    }
    let outcome = plugin.run_request(&request(), Some(&response()), &Default::default());
    (configured, Some(outcome))
}

fn trap_of(guest: &Guest) -> adhost::Trap {
    let (configured, outcome) = run(guest);
    match (configured, outcome) {
        (Err(trap), _) => trap,
        (_, Some(outcome)) => outcome.trap.expect("expected a trap"),
        _ => panic!("expected a trap"),
    }
}

#[test]
fn a_quiet_guest_runs_every_callback() {
    let (configured, outcome) = run(&Guest::default());
    assert_eq!(configured, Ok(true));
    let outcome = outcome.unwrap();
    assert_eq!(outcome.trap, None);
    assert_eq!(outcome.context_id, 2);
    assert_eq!(outcome.request_action, Some(0));
    assert_eq!(outcome.response_action, Some(0));
    let response = outcome.response.unwrap();
    assert_eq!(response.status, Some(401));
    assert_eq!(response.body, b"nope");
}

#[test]
fn setting_a_response_header_in_on_log_traps() {
    let guest = Guest {
        log: vec![add_header(2, "x-late", b"1")],
        ..Default::default()
    };
    let trap = trap_of(&guest);
    assert_eq!(trap.step, Step::Log);
    assert_eq!(
        trap.message,
        "host trap (bad usage): can only set response headers before \"on_response_body\""
    );
}

#[test]
fn setting_a_request_header_after_the_request_step_traps() {
    for (step, guest) in [
        (
            Step::ResponseHeaders,
            Guest {
                response_headers: vec![add_header(0, "x-late", b"1")],
                ..Default::default()
            },
        ),
        (
            Step::Log,
            Guest {
                log: vec![add_header(0, "x-late", b"1")],
                ..Default::default()
            },
        ),
        (
            Step::Configure,
            Guest {
                configure: vec![add_header(0, "x-early", b"1")],
                ..Default::default()
            },
        ),
    ] {
        let trap = trap_of(&guest);
        assert_eq!(trap.step, step);
        assert_eq!(
            trap.message,
            "host trap (bad usage): can only set request headers before response is produced"
        );
    }
}

#[test]
fn header_edits_land_where_ngx_puts_them() {
    let guest = Guest {
        request_headers: vec![
            add_header(0, "x-added", b"1"),
            op(
                "proxy_remove_header_map_value",
                vec![Arg::I32(0), data("accept")],
                0,
            ),
            add_header(2, "x-early", b"yes"),
        ],
        response_headers: vec![
            op(
                "proxy_replace_header_map_value",
                vec![Arg::I32(2), data("WWW-Authenticate"), data(b"Basic")],
                0,
            ),
            op(
                "proxy_get_header_map_value",
                vec![
                    Arg::I32(0),
                    data("x-bin"),
                    Arg::I32(RET_PTR),
                    Arg::I32(RET_LEN),
                ],
                0,
            ),
            op(
                "proxy_add_header_map_value",
                vec![Arg::I32(2), data("x-bin-echo"), Arg::Returned],
                0,
            ),
        ],
        ..Default::default()
    };
    let (_, outcome) = run(&guest);
    let outcome = outcome.unwrap();
    assert_eq!(outcome.trap, None);
    assert_eq!(outcome.request_headers.get(b"x-added"), Some(&b"1"[..]));
    assert_eq!(outcome.request_headers.get(b"accept"), None);
    let response = outcome.response.unwrap();
    let expected = HeaderMap::from_pairs([
        ("www-authenticate", &b"Basic"[..]),
        ("x-early", b"yes"),
        ("x-bin-echo", &[0xff, 0x01, 0xfe]),
    ]);
    assert_eq!(response.headers, expected, "non-UTF-8 values round-trip");
    assert_eq!(outcome.edits.len(), 5);
}

#[test]
fn properties_answer_or_say_not_found() {
    let guest = Guest {
        request_headers: vec![
            get_property("source.address", 0),
            log_returned(),
            get_property("source.port", 0),
            log_returned(),
            get_property("ngx.kong_request_id", 0),
            log_returned(),
            get_property("kong.route_name", 1),
            get_property("response.code", 1),
        ],
        response_headers: vec![get_property("response.code", 0), log_returned()],
        ..Default::default()
    };
    let host = Host::new(&guest.build()).unwrap();
    let mut plugin = host.instantiate(PluginOptions::default()).unwrap();
    assert_eq!(plugin.configure(), Ok(true));
    let props = [("ngx.kong_request_id".to_owned(), b"5f1c".to_vec())]
        .into_iter()
        .collect();
    let outcome = plugin.run_request(&request(), Some(&response()), &props);
    assert_eq!(outcome.trap, None);
    let logs: Vec<&str> = outcome.logs.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(logs, ["10.0.0.8", "50412", "5f1c", "401"]);
}

#[test]
fn configuration_and_clock_reach_the_guest() {
    let guest = Guest {
        configure: vec![
            op(
                "proxy_get_buffer_bytes",
                vec![
                    Arg::I32(7),
                    Arg::I32(0),
                    Arg::I32(-1),
                    Arg::I32(RET_PTR),
                    Arg::I32(RET_LEN),
                ],
                0,
            ),
            log_returned(),
            // VM configuration is empty: NotFound.
            op(
                "proxy_get_buffer_bytes",
                vec![
                    Arg::I32(6),
                    Arg::I32(0),
                    Arg::I32(-1),
                    Arg::I32(RET_PTR),
                    Arg::I32(RET_LEN),
                ],
                1,
            ),
            op(
                "proxy_get_current_time_nanoseconds",
                vec![Arg::I32(RET_PTR)],
                0,
            ),
        ],
        ..Default::default()
    };
    let host = Host::new(&guest.build()).unwrap();
    let mut plugin = host
        .instantiate(PluginOptions {
            config: b"{\"k\":1}".to_vec(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(plugin.configure(), Ok(true));
    let logs = plugin.take_logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].message, "{\"k\":1}");
    assert_eq!(logs[0].level, "info");
}

#[test]
fn bodies_follow_the_step_rules() {
    let read_body = |kind: i32, expect: i32| {
        op(
            "proxy_get_buffer_bytes",
            vec![
                Arg::I32(kind),
                Arg::I32(0),
                Arg::I32(10),
                Arg::I32(RET_PTR),
                Arg::I32(RET_LEN),
            ],
            expect,
        )
    };
    // No request body: NotFound during request headers.
    let (_, outcome) = run(&Guest {
        request_headers: vec![read_body(0, 1)],
        ..Default::default()
    });
    assert_eq!(outcome.unwrap().trap, None);
    let trap = trap_of(&Guest {
        response_headers: vec![read_body(1, 0)],
        ..Default::default()
    });
    assert_eq!(
        trap.message,
        "host trap (bad usage): can only get response body during \"on_response_body\""
    );
    let trap = trap_of(&Guest {
        response_headers: vec![read_body(0, 0)],
        ..Default::default()
    });
    assert!(
        trap.message.contains("can only get request body"),
        "{}",
        trap.message
    );
}

#[test]
fn a_local_response_skips_the_response_step() {
    let headers = HeaderMap::from_pairs([("x-auth-diagnosis", "no-credentials")]).serialize();
    let send = op(
        "proxy_send_local_response",
        vec![
            Arg::I32(401),
            data(""),
            data("{}"),
            Arg::Data(headers),
            Arg::I32(-1),
        ],
        0,
    );
    let guest = Guest {
        request_headers: vec![send.clone()],
        response_headers: vec![op(
            "proxy_log",
            vec![Arg::I32(2), data("response step ran")],
            0,
        )],
        ..Default::default()
    };
    let (_, outcome) = run(&guest);
    let outcome = outcome.unwrap();
    assert_eq!(outcome.trap, None);
    assert!(outcome.answered_locally());
    assert_eq!(outcome.response_action, None);
    assert!(outcome.logs.is_empty());
    let local = outcome.local_response.unwrap();
    assert_eq!(local.status, 401);
    assert_eq!(local.body, b"{}");
    assert_eq!(
        local.headers.get(b"X-Auth-Diagnosis"),
        Some(&b"no-credentials"[..])
    );

    let twice = Guest {
        request_headers: vec![send.clone(), send.clone()],
        ..Default::default()
    };
    assert_eq!(
        trap_of(&twice).message,
        "host trap (bad usage): local response already stashed"
    );
    let late = Guest {
        log: vec![send],
        ..Default::default()
    };
    assert_eq!(
        trap_of(&late).message,
        "host trap (bad usage): response already sent"
    );
}

#[test]
fn hostile_pointers_trap_instead_of_crashing_the_host() {
    for args in [
        vec![Arg::I32(2), Arg::I32(-16), Arg::I32(64)],
        vec![Arg::I32(2), Arg::I32(0), Arg::I32(i32::MAX)],
        vec![Arg::I32(2), Arg::I32(4 * 65536 - 2), Arg::I32(8)],
    ] {
        let guest = Guest {
            request_headers: vec![op("proxy_log", args, 0)],
            ..Default::default()
        };
        let trap = trap_of(&guest);
        assert!(trap.message.contains("out of bounds"), "{}", trap.message);
    }
    // A garbage serialized map is refused with a status, not a panic.
    let guest = Guest {
        response_headers: vec![op(
            "proxy_set_header_map_pairs",
            vec![Arg::I32(2), data([0xff, 0xff, 0xff, 0x7f, 1])],
            10,
        )],
        ..Default::default()
    };
    assert_eq!(run(&guest).1.unwrap().trap, None);
    // A result pointer outside memory.
    let guest = Guest {
        request_headers: vec![op(
            "proxy_get_header_map_pairs",
            vec![Arg::I32(0), Arg::I32(-4), Arg::I32(RET_LEN)],
            0,
        )],
        ..Default::default()
    };
    assert!(trap_of(&guest).message.contains("out of bounds"));
}

#[test]
fn unimplemented_and_unknown_hostcalls_trap_clearly() {
    let guest = Guest {
        request_headers: vec![op("proxy_done", vec![], 0)],
        ..Default::default()
    };
    assert_eq!(
        trap_of(&guest).message,
        "host trap (function not yet implemented): proxy_done"
    );
    let guest = Guest {
        request_headers: vec![op(
            "proxy_http_call",
            vec![
                data("up"),
                data(""),
                data(""),
                data(""),
                Arg::I32(1000),
                Arg::I32(RET_PTR),
            ],
            0,
        )],
        ..Default::default()
    };
    assert!(trap_of(&guest).message.contains("proxy_http_call"));
}

#[test]
fn metrics_count_and_keep_their_rules() {
    let define = op(
        "proxy_define_metric",
        vec![Arg::I32(0), data("hits"), Arg::I32(RET_PTR)],
        0,
    );
    let guest = Guest {
        configure: vec![define.clone()],
        request_headers: vec![
            define,
            // The first metric gets id 1.
            op("proxy_increment_metric", vec![Arg::I32(1), Arg::I64(2)], 0),
        ],
        ..Default::default()
    };
    let host = Host::new(&guest.build()).unwrap();
    let mut plugin = host.instantiate(PluginOptions::default()).unwrap();
    assert_eq!(plugin.configure(), Ok(true));
    for _ in 0..3 {
        let outcome = plugin.run_request(&request(), None, &Default::default());
        assert_eq!(outcome.trap, None);
    }
    assert_eq!(plugin.metrics().get("hits"), Some(&6));

    let guest = Guest {
        request_headers: vec![op(
            "proxy_increment_metric",
            vec![Arg::I32(9), Arg::I64(1)],
            0,
        )],
        ..Default::default()
    };
    assert_eq!(
        trap_of(&guest).message,
        "host trap (internal error): could not increment metric id \"9\": metric not found"
    );
}

#[test]
fn one_instance_serves_many_requests_with_increasing_context_ids() {
    let host = Host::new(&Guest::default().build()).unwrap();
    let mut plugin = host.instantiate(PluginOptions::default()).unwrap();
    assert_eq!(plugin.configure(), Ok(true));
    let ids: Vec<u32> = (0..5)
        .map(|_| {
            plugin
                .run_request(&request(), Some(&response()), &Default::default())
                .context_id
        })
        .collect();
    assert_eq!(ids, [2, 3, 4, 5, 6]);
}

#[test]
fn a_trap_poisons_the_instance() {
    let guest = Guest {
        log: vec![add_header(2, "x-late", b"1")],
        ..Default::default()
    };
    let host = Host::new(&guest.build()).unwrap();
    let mut plugin = host.instantiate(PluginOptions::default()).unwrap();
    assert_eq!(plugin.configure(), Ok(true));
    let first = plugin.run_request(&request(), Some(&response()), &Default::default());
    assert!(first.trap.is_some());
    let second = plugin.run_request(&request(), Some(&response()), &Default::default());
    assert_eq!(second.trap, first.trap);
    assert_eq!(second.request_action, None);
}

#[test]
fn modules_that_are_not_filters_are_refused() {
    let guest = Guest {
        no_abi_marker: true,
        ..Default::default()
    };
    let error = Host::new(&guest.build()).err().expect("refused");
    assert!(error.to_string().contains("proxy_abi_version"), "{error}");
    assert!(Host::new(b"not wasm").is_err());
}

/// proxy_get_header_map_pairs as ngx_wasm_module 9136e463 does it (ngx_proxy_wasm_util.c
/// 285-460, ngx_proxy_wasm_host.c:573-577): at most 100 pairs, a warn line when it cuts, and
/// with `Host: x` plus 99 empty headers a buffer handed over shorter than the pairs written.
#[test]
fn header_map_pairs_are_cut_to_100_and_sized_like_the_module() {
    let guest = Guest {
        request_headers: vec![
            op(
                "proxy_get_header_map_pairs",
                vec![Arg::I32(0), Arg::I32(RET_PTR), Arg::I32(RET_LEN)],
                0,
            ),
            log_returned(),
        ],
        ..Default::default()
    };
    let host = Host::new(&guest.build()).expect("synthetic guest loads");
    let mut plugin = host.instantiate(PluginOptions::default()).unwrap();
    assert_eq!(plugin.configure(), Ok(true));
    let mut request = request();
    request.authority = "x".into();
    request.headers = (0..99).map(|_| ("x-e".to_string(), Vec::new())).collect();
    let outcome = plugin.run_request(&request, None, &Default::default());
    assert_eq!(outcome.trap, None);
    assert_eq!(
        outcome.logs[0].message,
        "marshalled map truncated to 100 elements"
    );
    assert_eq!(outcome.logs[0].level, "warn");
    // What the guest was handed: the count says 100, the bytes hold fewer whole pairs.
    let handed = outcome.logs[1].message.as_bytes();
    assert_eq!(&handed[..4], &100u32.to_le_bytes());
    let written = outcome.request_headers.marshal();
    assert_eq!(handed.len(), written.size);
    assert!(written.size < written.bytes.len());
    assert!(HeaderMap::deserialize(handed).is_err());
}
