//! A `/cluster/resources` answer as PVE writes it, generated from a seed (the same bytes on
//! every run), so the benchmark needs no committed multi-megabyte file.
//!
//! The mix is a large cluster's: one node per ~300 resources, four storages and an SDN zone
//! per node, a score of pools, the rest guests (three VMs to one container). PVE's looseness
//! is in it: integers now and then as strings (`"maxmem": "2147483648"`), booleans as 0/1,
//! fields the schema does not list (the pressure-stall figures newer nodes add).

use std::fmt::Write;

/// SplitMix64: a tiny, well-known generator; the fixture needs repeatability, not quality.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A load figure in `0..max` with four decimals, as PVE rounds them.
    fn load(&mut self, max: f64) -> f64 {
        (self.below(10_000) as f64 / 10_000.0) * max
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const GIB: u64 = 1 << 30;

/// One object's fields, written compactly; integers go out as strings one time in ten.
struct Entry<'a> {
    out: &'a mut String,
    rng: &'a mut Rng,
    first: bool,
}

impl<'a> Entry<'a> {
    fn open(out: &'a mut String, rng: &'a mut Rng) -> Entry<'a> {
        if !out.ends_with('[') {
            out.push(',');
        }
        out.push('{');
        Entry {
            out,
            rng,
            first: true,
        }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        let _ = write!(self.out, "\"{key}\":");
    }

    fn text(&mut self, key: &str, value: &str) {
        self.key(key);
        let _ = write!(self.out, "\"{value}\"");
    }

    fn int(&mut self, key: &str, value: u64) {
        let quoted = self.rng.chance(10);
        self.key(key);
        if quoted {
            let _ = write!(self.out, "\"{value}\"");
        } else {
            let _ = write!(self.out, "{value}");
        }
    }

    fn num(&mut self, key: &str, value: f64) {
        self.key(key);
        let _ = write!(self.out, "{value:.4}");
    }

    /// A boolean the way PVE's Perl writes it: 0 or 1.
    fn flag(&mut self, key: &str, value: bool) {
        self.key(key);
        self.out.push(if value { '1' } else { '0' });
    }

    fn close(self) {
        self.out.push('}');
    }
}

const POOLS: usize = 20;
const STORAGES: [(&str, &str, &str, bool); 4] = [
    ("local", "dir", "iso,vztmpl,backup", false),
    ("local-lvm", "lvmthin", "images,rootdir", false),
    ("ceph-vm", "rbd", "images,rootdir", true),
    ("nfs-backup", "nfs", "backup,iso,snippets", true),
];

/// The `{"data":[...]}` body of a `/cluster/resources` answer with `entries` resources.
pub fn cluster_resources(entries: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut out = String::with_capacity(entries * 330);
    out.push_str("{\"data\":[");
    let nodes = (entries / 300).max(1);
    let guests = entries.saturating_sub(nodes * (1 + STORAGES.len() + 1) + POOLS);
    for i in 0..guests {
        guest(&mut out, &mut rng, 100 + i as u64, nodes);
    }
    for n in 0..nodes {
        node(&mut out, &mut rng, n);
    }
    for n in 0..nodes {
        for storage in STORAGES {
            self::storage(&mut out, &mut rng, n, storage);
        }
    }
    for p in 0..POOLS {
        let mut e = Entry::open(&mut out, &mut rng);
        e.text("id", &format!("/pool/pool{p}"));
        e.text("type", "pool");
        e.text("pool", &format!("pool{p}"));
        e.close();
    }
    for n in 0..nodes {
        let mut e = Entry::open(&mut out, &mut rng);
        e.text("id", &format!("sdn/pve{n}/localnetwork"));
        e.text("type", "sdn");
        e.text("sdn", "localnetwork");
        e.text("node", &format!("pve{n}"));
        e.text("status", "ok");
        e.text("zone-type", "simple");
        e.close();
    }
    out.push_str("]}");
    out.into_bytes()
}

fn guest(out: &mut String, rng: &mut Rng, vmid: u64, nodes: usize) {
    let vm = rng.chance(75);
    let kind = if vm { "qemu" } else { "lxc" };
    let template = rng.chance(4);
    let running = !template && rng.chance(80);
    let maxmem = (1 + rng.below(32)) * GIB;
    let maxdisk = (8 + rng.below(256)) * GIB;
    let uptime = if running { rng.below(90 * 86_400) } else { 0 };
    let node = rng.below(nodes as u64);
    let name = format!(
        "{}-{vmid}",
        rng.pick(&["web", "db", "cache", "ci", "app", "mail"])
    );
    let mut e = Entry::open(out, rng);
    e.text("id", &format!("{kind}/{vmid}"));
    e.text("type", kind);
    e.int("vmid", vmid);
    e.text("name", &name);
    e.text("node", &format!("pve{node}"));
    e.text("status", if running { "running" } else { "stopped" });
    let cpu = if running { e.rng.load(1.0) } else { 0.0 };
    e.num("cpu", cpu);
    let maxcpu = 1 << e.rng.below(4);
    e.int("maxcpu", maxcpu);
    let mem = if running { e.rng.below(maxmem) } else { 0 };
    e.int("mem", mem);
    if vm {
        let host = if running {
            mem + e.rng.below(GIB / 4)
        } else {
            0
        };
        e.int("memhost", host);
    }
    e.int("maxmem", maxmem);
    let disk = if vm { 0 } else { e.rng.below(maxdisk) };
    e.int("disk", disk);
    e.int("maxdisk", maxdisk);
    for key in ["netin", "netout", "diskread", "diskwrite"] {
        let value = if running { e.rng.below(1 << 40) } else { 0 };
        e.int(key, value);
    }
    e.int("uptime", uptime);
    e.flag("template", template);
    if e.rng.chance(40) {
        let tags = e
            .rng
            .pick(&["prod", "prod;web", "staging", "backup;db", "k8s;worker"]);
        e.text("tags", tags);
    }
    if e.rng.chance(30) {
        let pool = e.rng.below(POOLS as u64);
        e.text("pool", &format!("pool{pool}"));
    }
    if e.rng.chance(15) {
        e.text("hastate", if running { "started" } else { "stopped" });
    }
    if e.rng.chance(2) {
        let lock = e.rng.pick(&["backup", "migrate", "snapshot"]);
        e.text("lock", lock);
    }
    if running && e.rng.chance(30) {
        for key in [
            "pressurecpusome",
            "pressurecpufull",
            "pressureiosome",
            "pressureiofull",
        ] {
            let value = e.rng.load(5.0);
            e.num(key, value);
        }
    }
    e.close();
}

fn node(out: &mut String, rng: &mut Rng, n: usize) {
    let maxmem = (256 + rng.below(768)) * GIB;
    let maxdisk = (100 + rng.below(400)) * GIB;
    let mut e = Entry::open(out, rng);
    e.text("id", &format!("node/pve{n}"));
    e.text("type", "node");
    e.text("node", &format!("pve{n}"));
    e.text("status", "online");
    let cpu = e.rng.load(0.6);
    e.num("cpu", cpu);
    e.int("maxcpu", 64);
    let mem = e.rng.below(maxmem);
    e.int("mem", mem);
    e.int("maxmem", maxmem);
    let disk = e.rng.below(maxdisk);
    e.int("disk", disk);
    e.int("maxdisk", maxdisk);
    let uptime = e.rng.below(200 * 86_400);
    e.int("uptime", uptime);
    let level = e.rng.pick(&["", "c", "b", "s"]);
    e.text("level", level);
    e.int("cgroup-mode", 2);
    e.text("host-arch", "x86_64");
    e.close();
}

fn storage(out: &mut String, rng: &mut Rng, n: usize, storage: (&str, &str, &str, bool)) {
    let (name, plugin, content, shared) = storage;
    let maxdisk = (1 + rng.below(64)) * 64 * GIB;
    let mut e = Entry::open(out, rng);
    e.text("id", &format!("storage/pve{n}/{name}"));
    e.text("type", "storage");
    e.text("storage", name);
    e.text("node", &format!("pve{n}"));
    e.text("status", "available");
    e.text("content", content);
    e.text("plugintype", plugin);
    let disk = e.rng.below(maxdisk);
    e.int("disk", disk);
    e.int("maxdisk", maxdisk);
    e.flag("shared", shared);
    e.close();
}
