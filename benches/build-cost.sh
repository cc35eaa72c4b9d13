#!/usr/bin/env bash
# Build cost of Proxmoxia for a user, measured in one run against a baseline:
#   (a) a tiny consumer of tokio + reqwest (the TLS features proxmoxia uses) + serde_json
#       doing one GET, and
#   (b) the same program doing one typed call through proxmoxia.
# Each is built from clean (its own target dir, dependencies already downloaded), then
# rebuilt after an edit of its main.rs. Prints wall time, peak RSS and the ratios b/a.
#
# Proxmoxia is used as a user gets it: a non-local dependency (a git snapshot of this
# working tree), which cargo builds like a crates.io one (no incremental compilation).
#
# Usage: benches/build-cost.sh [runs]   (default 1; with more, the median is reported)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1}
work=$(mktemp -d /tmp/proxmoxia-build-cost.XXXXXX)
trap 'rm -rf "$work"' EXIT

reqwest_line=$(grep -E '^reqwest = ' "$repo/Cargo.toml")
rustls_line=$(grep -E '^rustls = ' "$repo/Cargo.toml")

mkdir -p "$work/baseline/src" "$work/proxmoxia/src" "$work/snapshot"
# A snapshot of the working tree (tracked and new files), as a git repository.
(cd "$repo" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$work/snapshot" -xf -
git -C "$work/snapshot" init -q
git -C "$work/snapshot" add -A
git -C "$work/snapshot" -c user.name=bench -c user.email=bench@localhost commit -qm snapshot
cat > "$work/baseline/Cargo.toml" <<TOML
[package]
name = "baseline"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
$reqwest_line
$rustls_line
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }
serde_json = "1"
TOML
cat > "$work/baseline/src/main.rs" <<'RS'
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    let client = reqwest::Client::builder().tls_backend_preconfigured(tls).build()?;
    let url = std::env::var("PVE_URL").unwrap_or_else(|_| "https://127.0.0.1:8006".into());
    let answer = client.get(format!("{url}/api2/json/version")).send().await;
    if let Ok(answer) = answer {
        let body: serde_json::Value = serde_json::from_slice(&answer.bytes().await?)?;
        println!("{}", body["data"]["version"]);
    }
    Ok(())
}
RS
cat > "$work/proxmoxia/Cargo.toml" <<TOML
[package]
name = "consumer"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
proxmoxia = { git = "file://$work/snapshot" }
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }
serde_json = "1"
TOML
cat > "$work/proxmoxia/src/main.rs" <<'RS'
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("PVE_URL").unwrap_or_else(|_| "https://127.0.0.1:8006".into());
    let client = proxmoxia::Client::builder(&url).build()?;
    if let Ok(version) = client.version().get().await {
        println!("{}", serde_json::json!(version.version));
    }
    Ok(())
}
RS
# Same dependency versions as the workspace, where they overlap.
cp "$repo/Cargo.lock" "$work/proxmoxia/Cargo.lock"
(cd "$work/baseline" && cargo fetch -q) && (cd "$work/proxmoxia" && cargo fetch -q)

# build DIR -> "seconds peak_kib"
build() {
    local dir=$1
    /usr/bin/time -o "$work/time.txt" -f "%e %M" cargo build -q --manifest-path "$dir/Cargo.toml" >/dev/null
    tail -n 1 "$work/time.txt"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# The two projects take turns, run after run, so a machine that slows down or speeds up
# during the bench weighs on both alike.
declare -A c_s c_k i_s clean_s clean_kib incr_s
for run in $(seq "$runs"); do
    for project in baseline proxmoxia; do
        rm -rf "$work/$project/target"
        read -r s k < <(build "$work/$project")
        c_s[$project]+="$s "; c_k[$project]+="$k "
        echo "// edit $(date +%s%N)" >> "$work/$project/src/main.rs"
        read -r s _ < <(build "$work/$project")
        i_s[$project]+="$s "
        echo "run $run $project: clean $(echo "${c_s[$project]}" | awk '{print $NF}')s, incremental ${s}s" >&2
    done
done
for project in baseline proxmoxia; do
    clean_s[$project]=$(printf '%s\n' ${c_s[$project]} | median)
    clean_kib[$project]=$(printf '%s\n' ${c_k[$project]} | median)
    incr_s[$project]=$(printf '%s\n' ${i_s[$project]} | median)
done

gib() { awk -v k="$1" 'BEGIN {printf "%.2f", k / 1048576}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b / a}'; }
printf '%-10s %12s %14s %16s\n' "" "clean build" "peak RSS" "incremental"
for project in baseline proxmoxia; do
    printf '%-10s %10ss %10s GiB %14ss\n' "$project" "${clean_s[$project]}" "$(gib "${clean_kib[$project]}")" "${incr_s[$project]}"
done
echo "ratio clean build (proxmoxia/baseline): $(ratio "${clean_s[baseline]}" "${clean_s[proxmoxia]}")  (target <= 1.35)"
echo "ratio incremental (proxmoxia/baseline): $(ratio "${incr_s[baseline]}" "${incr_s[proxmoxia]}")  (target <= 1.20)"
echo "peak RSS proxmoxia: $(gib "${clean_kib[proxmoxia]}") GiB  (target <= 1.20)"
