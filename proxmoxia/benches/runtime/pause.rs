//! Why the typed POST costs more between calls than its offline figures say: its own work
//! (building the request, validating, encoding: what `.await` does before sending) timed
//! inside the sequential loop, where caches are cold after each round trip, and the cost
//! of a pause of that length before a raw POST (the tokio workers park while the caller
//! computes; waking them again is what the extra wall time is).

use std::hint::black_box;
use std::time::{Duration, Instant};

use super::calls::{Call, Clients, Variant};
use super::{Outcome, SEQUENTIAL, WARMUP, median};

/// One round's figures, seconds per call.
#[derive(Default, Clone, Copy)]
struct Round {
    /// The typed POST's work before sending, timed inside the loop.
    prepare: f64,
    /// A raw POST.
    raw: f64,
    /// A raw POST after the typed POST's work (its form is built and dropped).
    after_prepare: f64,
    /// A raw POST after spinning, without touching memory, as long as `prepare` took.
    after_spin: f64,
    /// A raw POST after spinning each of [`SHORT_PAUSES`].
    after_short: [f64; SHORT_PAUSES.len()],
}

/// Shorter pauses, to tell a cost that grows with the pause from a fixed one.
const SHORT_PAUSES: [Duration; 3] = [
    Duration::from_micros(2),
    Duration::from_micros(5),
    Duration::from_micros(10),
];

/// Spins for `how_long` doing arithmetic only.
fn spin(how_long: Duration) {
    let start = Instant::now();
    let mut x = 1u64;
    while start.elapsed() < how_long {
        for i in 0..64u64 {
            x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
        }
    }
    black_box(x);
}

pub async fn measure(clients: &Clients, rounds: usize) -> Outcome<()> {
    let mut out = Vec::with_capacity(rounds);
    let per = |start: Instant| start.elapsed().as_secs_f64() / SEQUENTIAL as f64;
    for round in 0..WARMUP + rounds {
        let mut this = Round::default();
        let start = Instant::now();
        for _ in 0..SEQUENTIAL {
            clients.call(Variant::Raw, Call::Config).await?;
        }
        this.raw = per(start);
        let mut preparing = Duration::ZERO;
        let start = Instant::now();
        for _ in 0..SEQUENTIAL {
            let prepared = Instant::now();
            black_box(
                clients
                    .config_request()
                    .to_form()
                    .map_err(|e| e.to_string())?,
            );
            preparing += prepared.elapsed();
            clients.call(Variant::Raw, Call::Config).await?;
        }
        this.after_prepare = per(start);
        this.prepare = preparing.as_secs_f64() / SEQUENTIAL as f64;
        let pause = preparing / SEQUENTIAL as u32;
        let start = Instant::now();
        for _ in 0..SEQUENTIAL {
            spin(pause);
            clients.call(Variant::Raw, Call::Config).await?;
        }
        this.after_spin = per(start);
        for (slot, pause) in this.after_short.iter_mut().zip(SHORT_PAUSES) {
            let start = Instant::now();
            for _ in 0..SEQUENTIAL {
                spin(pause);
                clients.call(Variant::Raw, Call::Config).await?;
            }
            *slot = per(start);
        }
        if round >= WARMUP {
            out.push(this);
        }
    }
    let us = |of: &dyn Fn(&Round) -> f64| median(out.iter().map(of).collect()) * 1e6;
    let (prepare, raw) = (us(&|r| r.prepare), us(&|r| r.raw));
    let short: Vec<String> = SHORT_PAUSES
        .iter()
        .enumerate()
        .map(|(i, pause)| format!("{} us: {:.1}", pause.as_micros(), us(&|r| r.after_short[i])))
        .collect();
    println!(
        "between calls: the typed POST's own work (build, validate, encode) takes {prepare:.1} us inside the loop; \
         a raw POST takes {raw:.1} us, {:.1} us after that work, {:.1} us after spinning as long \
         (after spinning {})",
        us(&|r| r.after_prepare),
        us(&|r| r.after_spin),
        short.join(", "),
    );
    Ok(())
}
