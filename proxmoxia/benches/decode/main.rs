//! Decode speed and peak memory of a large typed answer, against two references measured in
//! the same run: the 10,000-entry `/cluster/resources` answer read (a) as a
//! `serde_json::Value`, (b) into a plain `#[derive(Deserialize)]` struct of the same fields
//! (the floor, see `derive.rs`), (c) as a typed call decodes it (`decode::data`, what
//! `.send()` uses). Prints the times, the peaks and the ratios typed/Value and typed/derive.
//!
//! `cargo bench -p proxmoxia --bench decode` (rounds: `PROXMOXIA_BENCH_ROUNDS`, default 40).
//! Run without `--bench` (`cargo test --benches`) it decodes once each and checks only.
//!
//! A hand-rolled harness rather than criterion: the ratios need the figures of one run side
//! by side, and criterion's dependency tree would weigh on every dev build of the crate.

mod derive;
mod fixture;
mod peak;

use std::hint::black_box;
use std::time::{Duration, Instant};

use proxmoxia::api::cluster::resources::get::Response as Typed;

const ENTRIES: usize = 10_000;
const SEED: u64 = 0x5eed_2026;
const WARMUP: usize = 3;
const PEAK_RUNS: usize = 3;

type Outcome<T> = Result<T, String>;

#[derive(Clone, Copy)]
enum Decoder {
    Value,
    Derive,
    Typed,
}

const DECODERS: [Decoder; 3] = [Decoder::Value, Decoder::Derive, Decoder::Typed];

impl Decoder {
    fn name(self) -> &'static str {
        match self {
            Decoder::Value => "value",
            Decoder::Derive => "derive",
            Decoder::Typed => "typed",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Decoder::Value => "serde_json::Value",
            Decoder::Derive => "derive struct (floor)",
            Decoder::Typed => "typed (proxmoxia)",
        }
    }

    /// Decodes `body`; the result is dropped by the caller, after the clock stops.
    fn decode(self, body: &[u8]) -> Outcome<Decoded> {
        Ok(match self {
            Decoder::Value => Decoded::Value(
                serde_json::from_slice::<serde_json::Value>(body).map_err(|e| e.to_string())?,
            ),
            Decoder::Derive => Decoded::Derive(
                serde_json::from_slice::<derive::Answer>(body).map_err(|e| e.to_string())?,
            ),
            Decoder::Typed => Decoded::Typed(
                proxmoxia::__private::decode_data::<Typed>(body).map_err(|e| e.to_string())?,
            ),
        })
    }
}

#[allow(dead_code)] // Held, not read: what a decoder produced.
enum Decoded {
    Value(serde_json::Value),
    Derive(derive::Answer),
    Typed(Typed),
}

fn main() -> Outcome<()> {
    if let Ok(name) = std::env::var(peak::CHILD) {
        return child(&name);
    }
    let body = fixture::cluster_resources(ENTRIES, SEED);
    check(&body)?;
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("decode bench: checked (run with `cargo bench` for figures)");
        return Ok(());
    }
    let rounds = match std::env::var("PROXMOXIA_BENCH_ROUNDS") {
        Ok(text) => text.parse().map_err(|_| format!("bad rounds {text:?}"))?,
        Err(_) => 40,
    };
    let times = time(&body, rounds)?;
    let mut peaks = [0u64; 3];
    for (i, decoder) in DECODERS.into_iter().enumerate() {
        peaks[i] = peak::measure(decoder.name(), PEAK_RUNS)?;
    }
    report(&body, rounds, &times, &peaks);
    Ok(())
}

/// The decoders agree on the fixture: every entry read, the same figures, unknown fields
/// kept by the typed one.
fn check(body: &[u8]) -> Outcome<()> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let derived: derive::Answer = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let typed = proxmoxia::__private::decode_data::<Typed>(body).map_err(|e| e.to_string())?;
    let entries = value["data"].as_array().map_or(0, Vec::len);
    if entries != ENTRIES || derived.data.len() != ENTRIES || typed.len() != ENTRIES {
        return Err(format!(
            "entries: fixture {entries}, derive {}, typed {}",
            derived.data.len(),
            typed.len()
        ));
    }
    let derived_mem: i64 = derived.data.iter().filter_map(|i| i.maxmem).sum();
    let typed_mem: i64 = typed.iter().filter_map(|i| i.maxmem).sum();
    let with_extra = typed.iter().filter(|i| !i.extra.is_empty()).count();
    if derived_mem != typed_mem || with_extra == 0 {
        return Err(format!(
            "maxmem sums {derived_mem} / {typed_mem}, {with_extra} entries with extra"
        ));
    }
    Ok(())
}

/// The decode times of each decoder, `rounds` each, in rounds of one decode each (the order
/// turned every round, so that none always runs first).
fn time(body: &[u8], rounds: usize) -> Outcome<Vec<[Duration; 3]>> {
    let mut times = Vec::with_capacity(rounds);
    for round in 0..WARMUP + rounds {
        let mut this = [Duration::ZERO; 3];
        for k in 0..DECODERS.len() {
            let i = (round + k) % DECODERS.len();
            let start = Instant::now();
            let decoded = black_box(DECODERS[i].decode(black_box(body))?);
            this[i] = start.elapsed();
            drop(decoded);
        }
        if round >= WARMUP {
            times.push(this);
        }
    }
    Ok(times)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(body: &[u8], rounds: usize, times: &[[Duration; 3]], peaks: &[u64; 3]) {
    let of = |i: usize| times.iter().map(|t| ms(t[i])).collect::<Vec<f64>>();
    let mb = body.len() as f64 / 1e6;
    println!("decode of a {ENTRIES}-entry /cluster/resources answer ({mb:.2} MB), {rounds} rounds");
    println!(
        "{:<24} {:>11} {:>9} {:>10} {:>12}",
        "decoder", "median ms", "min ms", "MB/s", "peak MiB"
    );
    for (i, decoder) in DECODERS.into_iter().enumerate() {
        let (median, min) = (median(of(i)), of(i).into_iter().fold(f64::MAX, f64::min));
        println!(
            "{:<24} {:>11.2} {:>9.2} {:>10.0} {:>12.1}",
            decoder.label(),
            median,
            min,
            mb / median * 1e3,
            peaks[i] as f64 / 1024.0,
        );
    }
    let (value, derive, typed) = (0, 1, 2);
    let verdict = |r: f64, target: f64| {
        let verdict = if r <= target { "ok" } else { "OVER" };
        format!("{r:.2}x (target <= {target}x, {verdict})")
    };
    // Time ratios within each round (decodes run back to back), then their median: steadier
    // than a ratio of medians on a machine whose load changes during the run.
    let paired = |a: usize, b: usize| median(times.iter().map(|t| ms(t[a]) / ms(t[b])).collect());
    println!("time typed/Value:  {}", verdict(paired(typed, value), 1.0));
    println!("time typed/derive: {}", verdict(paired(typed, derive), 1.3));
    let peak = peaks[typed] as f64 / peaks[derive] as f64;
    println!("peak typed/derive: {}", verdict(peak, 1.5));
}

/// In a child process: the peak memory of one decoder above the fixture, printed in kB.
fn child(name: &str) -> Outcome<()> {
    let decoder = DECODERS
        .into_iter()
        .find(|d| d.name() == name)
        .ok_or_else(|| format!("no decoder {name:?}"))?;
    let body = fixture::cluster_resources(ENTRIES, SEED);
    let baseline = peak::baseline()?;
    let decoded = decoder.decode(&body)?;
    let kb = peak::above(baseline)?;
    black_box(&decoded);
    println!("{kb}");
    Ok(())
}
