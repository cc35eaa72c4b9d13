//! Runtime cost of Proxmoxia against plain reqwest + serde_json (the floor), measured in one
//! run against a local HTTPS peer (`peer.rs`, a child process): sequential small GETs, a POST
//! with property strings, 64 calls in flight on one client (calls/s and client CPU per call),
//! and the 10,000-entry `/cluster/resources` answer; each as a typed call and as a raw call.
//! Then, without the network: validating that POST, encoding its parameters, the raw form of
//! the same parameters, and the first validation in a fresh process. The peer's ceiling is
//! shown beside: a bare hyper client (no decode) with 64 in flight against it. Last, what
//! the typed POST's own work costs between calls (`pause.rs`).
//!
//! `cargo bench -p proxmoxia --bench runtime` (rounds: `PROXMOXIA_BENCH_ROUNDS`, default 30;
//! `PROXMOXIA_BENCH_ONLY=offline` measures only validation, encoding and the first validation
//! in a fresh process, and `PROXMOXIA_BENCH_ONLY=in-flight:raw` (or `:floor`, `:typed`) only
//! that variant's calls in flight, for a profiler).
//! Run without `--bench` (`cargo test --benches`) it makes each call once and checks only.
//!
//! Rounds are interleaved: every round runs each variant once, in an order turned every
//! round, and the ratios are taken within a round, then their median (steadier than a ratio
//! of medians on a machine whose load changes during the run). TLS is verified everywhere:
//! every client trusts the peer's generated CA, and nothing else.

#[path = "../decode/derive.rs"]
#[allow(dead_code)] // Its `Answer` is the decode bench's.
mod derive;
#[path = "../decode/fixture.rs"]
mod fixture;

mod calls;
mod cpu;
mod pause;
mod peer;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use calls::{Call, Clients, Variant};

const SEED: u64 = 0x5eed_2026;
const ENTRIES: usize = 10_000;
const WARMUP: usize = 2;
/// Sequential calls per variant per round.
const SEQUENTIAL: usize = 150;
/// Calls in flight, and calls each of those tasks makes per round.
const IN_FLIGHT: usize = 64;
const PER_TASK: usize = 12;
/// Decodes of the large answer per variant per round.
const DECODES: usize = 2;
/// Validations (and encodings) per round.
const VALIDATIONS: usize = 2_000;
/// Fresh processes for the first validation.
const FIRST_RUNS: usize = 15;

/// The variable that makes this benchmark a child timing its first validation.
const FIRST_CHILD: &str = "PROXMOXIA_RUNTIME_BENCH_FIRST";

type Outcome<T> = Result<T, String>;

fn main() -> Outcome<()> {
    if std::env::var_os(peer::CHILD).is_some() {
        return peer::run(fixture::cluster_resources(ENTRIES, SEED));
    }
    if let Ok(ca_pem) = std::env::var(FIRST_CHILD) {
        return first_child(&ca_pem);
    }
    let peer = peer::start()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let clients = Arc::new(Clients::new(peer.port, &peer.ca_pem)?);
    runtime.block_on(check(&clients))?;
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("runtime bench: checked (run with `cargo bench` for figures)");
        return Ok(());
    }
    let rounds = match std::env::var("PROXMOXIA_BENCH_ROUNDS") {
        Ok(text) => text.parse().map_err(|_| format!("bad rounds {text:?}"))?,
        Err(_) => 30,
    };
    if let Some(variant) = std::env::var("PROXMOXIA_BENCH_ONLY")
        .ok()
        .and_then(|only| only.strip_prefix("in-flight:").map(str::to_owned))
    {
        // One variant's calls in flight alone, for a profiler attached to this process
        // (`perf record -p`, `perf stat -p`): the peer is another process.
        let variant = Variant::ALL
            .into_iter()
            .find(|v| v.name() == variant)
            .ok_or_else(|| format!("no variant {variant:?}: floor, typed or raw"))?;
        let runs_before = cpu::runs()?;
        let cpu: Vec<f64> = (0..rounds)
            .map(|_| {
                runtime
                    .block_on(in_flight(&clients, variant))
                    .map(|(_, cpu)| cpu)
            })
            .collect::<Outcome<_>>()?;
        let calls = (rounds * IN_FLIGHT * PER_TASK) as f64;
        println!(
            "{}: client CPU per call, {IN_FLIGHT} in flight: {:.2} us; threads put on a CPU per call {:.2}",
            variant.name(),
            median(cpu) * 1e6,
            (cpu::runs()? - runs_before) as f64 / calls
        );
        return Ok(());
    }
    let local = offline(&clients, rounds)?;
    if std::env::var("PROXMOXIA_BENCH_ONLY").is_ok_and(|only| only == "offline") {
        // For profiling the validation and encoding alone.
        let us = |v: &Vec<f64>| median(v.clone()) * 1e6;
        let first = first_validation(&peer.ca_pem)?;
        println!(
            "validation {:.2} us (checks alone {:.2} us), encode {:.2} us, raw form {:.2} us, to_form {:.2} us, first validation in a fresh process {:.3} ms",
            us(&local.validate),
            us(&local.checks),
            us(&local.encode),
            us(&local.raw_form),
            us(&local.to_form),
            median(first) * 1e3
        );
        return Ok(());
    }
    let network = runtime.block_on(measure(&clients, &peer, rounds))?;
    let first = first_validation(&peer.ca_pem)?;
    report(rounds, &network, &local, &first);
    runtime.block_on(pause::measure(&clients, rounds))?;
    Ok(())
}

/// Every variant of every call gets the answer the peer gave, decoded alike.
async fn check(clients: &Clients) -> Outcome<()> {
    for call in Call::ALL {
        for variant in Variant::ALL {
            clients
                .call(variant, call)
                .await
                .map_err(|e| format!("{} {}: {e}", variant.name(), call.name()))?;
        }
    }
    clients.check_answers().await?;
    calls::ceiling(clients, 2, 2).await?;
    Ok(())
}

/// Figures of one round, per variant (floor, typed, raw).
#[derive(Default, Clone, Copy)]
struct Round {
    /// Seconds per call of each sequential call (indexed like `Call::SEQUENTIAL`).
    seq: [[f64; 3]; 4],
    /// Calls per second with 64 in flight.
    rate: [f64; 3],
    /// Client CPU seconds per call with 64 in flight.
    cpu: [f64; 3],
    /// The bare hyper client's calls per second against the peer.
    ceiling: f64,
}

async fn measure(clients: &Arc<Clients>, _peer: &peer::Peer, rounds: usize) -> Outcome<Vec<Round>> {
    let mut out = Vec::with_capacity(rounds);
    for round in 0..WARMUP + rounds {
        let mut this = Round::default();
        for (c, call) in Call::ALL.into_iter().enumerate() {
            let n = if call == Call::Resources {
                DECODES
            } else {
                SEQUENTIAL
            };
            for k in 0..3 {
                let v = (round + c + k) % 3;
                let variant = Variant::ALL[v];
                let start = Instant::now();
                for _ in 0..n {
                    black_box(clients.call(variant, call).await?);
                }
                this.seq[c][v] = start.elapsed().as_secs_f64() / n as f64;
            }
        }
        for k in 0..3 {
            let v = (round + k) % 3;
            let (rate, cpu) = in_flight(clients, Variant::ALL[v]).await?;
            this.rate[v] = rate;
            this.cpu[v] = cpu;
        }
        this.ceiling = calls::ceiling(clients, IN_FLIGHT, PER_TASK).await?;
        if round >= WARMUP {
            out.push(this);
        }
    }
    Ok(out)
}

/// 64 tasks on one client, each making `PER_TASK` status GETs: calls/s and CPU s/call.
async fn in_flight(clients: &Arc<Clients>, variant: Variant) -> Outcome<(f64, f64)> {
    let cpu_before = cpu::used()?;
    let start = Instant::now();
    let tasks: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let clients = clients.clone();
            tokio::spawn(async move {
                for _ in 0..PER_TASK {
                    black_box(clients.call(variant, Call::Status).await?);
                }
                Ok::<(), String>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = (cpu::used()? - cpu_before).as_secs_f64();
    let calls = (IN_FLIGHT * PER_TASK) as f64;
    Ok((calls / wall, cpu / calls))
}

/// Figures without the network, per round: seconds per validation of the POST, per encoding
/// of its parameters, per raw form of the same parameters.
struct Local {
    validate: Vec<f64>,
    /// The checks alone, on parameters encoded before (path and body).
    checks: Vec<f64>,
    encode: Vec<f64>,
    raw_form: Vec<f64>,
    to_form: Vec<f64>,
}

fn offline(clients: &Clients, rounds: usize) -> Outcome<Local> {
    let request = clients.config_request();
    let raw = calls::raw_params();
    let encoded = proxmoxia::typed::Encode::encode(request.params());
    let mut local = Local {
        validate: Vec::new(),
        checks: Vec::new(),
        encode: Vec::new(),
        raw_form: Vec::new(),
        to_form: Vec::new(),
    };
    let per = |start: Instant| start.elapsed().as_secs_f64() / VALIDATIONS as f64;
    for round in 0..WARMUP + rounds {
        let start = Instant::now();
        for _ in 0..VALIDATIONS {
            request.validate().map_err(|e| e.to_string())?;
        }
        let validate = per(start);
        let start = Instant::now();
        for _ in 0..VALIDATIONS {
            calls::checks_only(&request, black_box(&encoded)).map_err(|e| e.to_string())?;
        }
        let checks = per(start);
        let start = Instant::now();
        for _ in 0..VALIDATIONS {
            black_box(proxmoxia::typed::Encode::encode(black_box(
                request.params(),
            )));
        }
        let encode = per(start);
        let start = Instant::now();
        for _ in 0..VALIDATIONS {
            black_box(proxmoxia::Form::from_serialize(black_box(&raw)).map_err(|e| e.to_string())?);
        }
        let raw_form = per(start);
        let start = Instant::now();
        for _ in 0..VALIDATIONS {
            black_box(request.to_form().map_err(|e| e.to_string())?);
        }
        let to_form = per(start);
        if round >= WARMUP {
            local.validate.push(validate);
            local.checks.push(checks);
            local.encode.push(encode);
            local.raw_form.push(raw_form);
            local.to_form.push(to_form);
        }
    }
    Ok(local)
}

/// In a child: the time of the first validation of the POST in this process, in ns.
fn first_child(ca_pem: &str) -> Outcome<()> {
    let client = proxmoxia::Client::builder("127.0.0.1")
        .port(8006)
        .builtin_roots(false)
        .add_ca_pem(ca_pem.as_bytes())
        .build()
        .map_err(|e| e.to_string())?;
    let request = calls::config_request(&client);
    let start = Instant::now();
    request.validate().map_err(|e| e.to_string())?;
    println!("{}", start.elapsed().as_nanos());
    Ok(())
}

/// The first validation in `FIRST_RUNS` fresh processes, in seconds.
fn first_validation(ca_pem: &str) -> Outcome<Vec<f64>> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    (0..FIRST_RUNS)
        .map(|_| {
            let out = std::process::Command::new(&exe)
                .env(FIRST_CHILD, ca_pem)
                .output()
                .map_err(|e| e.to_string())?;
            let text = String::from_utf8_lossy(&out.stdout);
            if !out.status.success() {
                return Err(format!(
                    "first-validation child failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            text.trim()
                .parse::<f64>()
                .map(|ns| ns / 1e9)
                .map_err(|e| format!("child said {text:?}: {e}"))
        })
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn report(rounds: usize, network: &[Round], local: &Local, first: &[f64]) {
    println!(
        "proxmoxia runtime against plain reqwest + serde_json (the floor), {rounds} interleaved rounds;"
    );
    println!("ratios are per round, then the median; times are medians per call");
    println!(
        "{:<40} {:>10} {:>10} {:>10} {:>11} {:>9}  goal",
        "measure", "floor", "typed", "raw", "typed/floor", "raw/floor"
    );
    let verdict = |r: f64, goal: f64, higher: bool| {
        let ok = if higher { r >= goal } else { r <= goal };
        if ok { "ok" } else { "MISSED" }
    };
    let row = |label: &str,
               unit: &str,
               scale: f64,
               of: &dyn Fn(&Round, usize) -> f64,
               goal: f64,
               higher: bool| {
        let med = |v: usize| median(network.iter().map(|r| of(r, v) * scale).collect());
        let ratio = |v: usize| median(network.iter().map(|r| of(r, v) / of(r, 0)).collect());
        let (typed, raw) = (ratio(1), ratio(2));
        let cmp = if higher { ">=" } else { "<=" };
        println!(
            "{:<40} {:>10.1} {:>10.1} {:>10.1} {:>10.2}x {:>8.2}x  {cmp} {goal}x typed {}, raw {}",
            format!("{label} ({unit})"),
            med(0),
            med(1),
            med(2),
            typed,
            raw,
            verdict(typed, goal, higher),
            verdict(raw, goal, higher),
        );
    };
    for (c, call) in Call::ALL.into_iter().enumerate() {
        let goal = match call {
            Call::Version | Call::Status => 1.05,
            Call::Config => 1.15,
            Call::Resources => 1.3,
        };
        let unit = if call == Call::Resources {
            "ms/call"
        } else {
            "us/call"
        };
        let scale = if call == Call::Resources { 1e3 } else { 1e6 };
        row(call.label(), unit, scale, &|r, v| r.seq[c][v], goal, false);
    }
    row(
        "64 in flight, one client",
        "calls/s",
        1.0,
        &|r, v| r.rate[v],
        0.95,
        true,
    );
    row(
        "client CPU per call, 64 in flight",
        "us",
        1e6,
        &|r, v| r.cpu[v],
        1.10,
        false,
    );
    let ceiling = median(network.iter().map(|r| r.ceiling).collect());
    let floor_rate = median(network.iter().map(|r| r.rate[0]).collect());
    println!(
        "peer ceiling: a bare hyper client (no decode), 64 in flight: {ceiling:.0} calls/s ({:.1}x the floor's rate)",
        ceiling / floor_rate
    );
    let us = |v: &Vec<f64>| median(v.clone()) * 1e6;
    let validate = us(&local.validate);
    println!(
        "validation of the POST: {validate:.2} us (goal <= 2 us, {}), of which the checks on encoded parameters {:.2} us; encode {:.2} us; raw form {:.2} us; to_form (validate + encode + form) {:.2} us",
        verdict(validate, 2.0, false),
        us(&local.checks),
        us(&local.encode),
        us(&local.raw_form),
        us(&local.to_form),
    );
    let first_ms = median(first.to_vec()) * 1e3;
    println!(
        "first validation in a fresh process: {first_ms:.3} ms (median of {} processes; goal <= 0.2 ms, {})",
        first.len(),
        verdict(first_ms, 0.2, false)
    );
}
