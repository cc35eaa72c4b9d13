//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The Proxmox VE API from the command line, checked against PVE's own schema before anything
/// is sent.
///
/// Paths are the API viewer's (`/nodes/pve1/qemu/100/status/current`); parameters follow the
/// path as `-name value` or `--name value`, as with pvesh. Connection options go before the
/// command. Without a cluster, try `proxmoxia --mock ls /nodes/pve1/qemu`.
#[derive(Debug, Parser)]
#[command(name = "proxmoxia", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub conn: Connection,
    #[command(subcommand)]
    pub command: Command,
}

/// Where and who: flags, else the environment, else the config file's profile.
#[derive(Debug, Args, Clone, Default)]
pub struct Connection {
    /// The node: `https://pve1:8006`, `pve1:8006` or `pve1`.
    #[arg(long, env = "PVE_URL", global = false)]
    pub url: Option<String>,
    /// API token `user@realm!tokenid=secret` (instead of a ticket login).
    #[arg(long, env = "PVE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// User for a ticket login (default `root@pam`).
    #[arg(long, env = "PVE_USER")]
    pub user: Option<String>,
    /// Password for a ticket login. Given here, it logs in (a kept ticket is not used, so a
    /// wrong one is refused); from PVE_PASSWORD or the profile, it logs in when no ticket is
    /// kept; missing, it is asked for on a terminal.
    #[arg(long, env = "PVE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// `--password` was on the command line (not from the environment or the profile).
    #[arg(skip)]
    pub password_given: bool,
    /// The SHA-256 fingerprint of the node's certificate, as PVE shows it.
    #[arg(long, env = "PVE_FINGERPRINT")]
    pub fingerprint: Option<String>,
    /// A CA certificate (PEM) to trust, e.g. the cluster's `pve-root-ca.pem`.
    #[arg(long, env = "PVE_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// The cluster's PVE version, instead of asking it (`9.2`).
    #[arg(long, env = "PVE_VERSION")]
    pub pve_version: Option<String>,
    /// The profile of the config file to use.
    #[arg(long, short = 'p', env = "PVE_PROFILE")]
    pub profile: Option<String>,
    /// The config file (default `~/.config/proxmoxia/config.toml`).
    #[arg(long, env = "PROXMOXIA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Run against a fresh embedded fake PVE (node `pve1`, VMs 100 and 101, CT 200): no
    /// cluster needed.
    #[arg(long)]
    pub mock: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// GET a path.
    Get(Call),
    /// POST to a path (create, or act).
    Create(Call),
    /// PUT to a path (change).
    Set(Call),
    /// DELETE a path.
    Delete(Call),
    /// List the children of a path (`Dr-c-`: children, GET, PUT, POST, DELETE).
    Ls(Ls),
    /// Upload a file to a storage (an ISO image, a container template, a disk image to
    /// import) with a progress bar, then follow the task that stores it.
    Upload(Upload),
    /// Download a path that answers a file (a file from a backup:
    /// `/nodes/pve1/storage/local/file-restore/download --volume ... --filepath ...`) with a
    /// progress bar, streamed to FILE or standard output.
    Download(Download),
    /// PVE's description of a path's methods: parameters, types, defaults, permissions.
    Usage(Usage),
    /// Check how the typed API reads this cluster's answers: GET every path that needs no
    /// parameter (and those of a few nodes, VMs, containers, storages) and report, per
    /// path, answers that fail to decode and fields the typed answers do not know. Only
    /// GET is sent. The JSON report holds no secret: attach it to a bug report.
    AuditAnswers(AuditAnswers),
    /// An interactive terminal on a node's shell, a VM's serial port (the VM needs one:
    /// `serial0: socket`) or a container's console, as the web UI's xterm.js console. Press
    /// the escape key (Ctrl+O, as `qm terminal`) to leave.
    Console(Console),
    /// Forward a VM's (or container's) VNC screen to a local port for any VNC viewer; each
    /// viewer that connects gets its own session, logged in to PVE's VNC by proxmoxia: the
    /// viewer asks no password. Whoever reaches the port gets the screen: keep it on
    /// loopback.
    Vnc(Vnc),
    /// Log in now and keep the ticket for later runs (asks for the password and second
    /// factor as needed).
    Login,
    /// Forget the kept ticket of this user and node.
    Logout,
    /// Print a shell completion script: `source <(proxmoxia completion bash)`.
    Completion {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// The embedded fake PVE.
    #[command(subcommand)]
    Mock(MockCommand),
    /// Completion candidates for a command line (used by the completion scripts).
    #[command(name = "__complete", hide = true)]
    Complete {
        /// The command line up to the cursor.
        #[arg(allow_hyphen_values = true)]
        line: String,
    },
}

#[derive(Debug, Args)]
pub struct Call {
    #[command(flatten)]
    pub show: Show,
    /// Print the UPID of a task the call starts instead of waiting for it.
    #[arg(long)]
    pub no_wait: bool,
    /// The API path (`/nodes/pve1/qemu`).
    pub path: String,
    /// The method's parameters: `-name value` or `--name value` (`-name=value`; a boolean
    /// alone is true). The options above may stand among them; a parameter of the method by
    /// the same name wins.
    #[arg(
        allow_hyphen_values = true,
        trailing_var_arg = true,
        num_args = 0..,
        value_name = "-NAME VALUE"
    )]
    pub params: Vec<String>,
}

/// How an answer is printed (pvesh's standard output options, and `table`).
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct Show {
    /// Output format: json, json-pretty, text (as pvesh prints it), yaml, table (default: a
    /// table on a terminal, JSON in a pipe; a task's UPID bare in a pipe).
    #[arg(
        long = "output-format",
        short = 'o',
        visible_alias = "output",
        value_enum
    )]
    pub output: Option<Output>,
    /// Print nothing on standard output (pvesh's `--quiet`): not the answer, not a task's
    /// UPID. Errors and a followed task's log still show on standard error.
    #[arg(long)]
    pub quiet: bool,
    /// Tables (`text`, `table`) without borders: cells one space apart.
    #[arg(long)]
    pub noborder: bool,
    /// Tables (`text`, `table`) without the line of column titles.
    #[arg(long)]
    pub noheader: bool,
}

#[derive(Debug, Args)]
pub struct Ls {
    /// The API path (default `/`).
    #[arg(default_value = "/")]
    pub path: String,
    /// Output format (default: lines on a terminal, JSON otherwise; `text` and `table` are
    /// the lines).
    #[arg(
        long = "output-format",
        short = 'o',
        visible_alias = "output",
        value_enum
    )]
    pub output: Option<Output>,
}

#[derive(Debug, Args)]
pub struct Upload {
    /// The node (`pve1`).
    pub node: String,
    /// The storage (`local`): file based and configured for the content.
    pub storage: String,
    /// The local file, streamed (never read whole).
    pub file: PathBuf,
    /// What the file is.
    #[arg(long, value_enum)]
    pub content: Content,
    /// Its name on the storage (default: the file's name).
    #[arg(long)]
    pub filename: Option<String>,
    /// Have PVE verify the file with this algorithm (`sha256`, ...; with --checksum).
    #[arg(long, requires = "checksum")]
    pub checksum_algorithm: Option<String>,
    /// The file's expected checksum (with --checksum-algorithm).
    #[arg(long, requires = "checksum_algorithm")]
    pub checksum: Option<String>,
    /// Output format of the UPID (default: the UPID alone on its line).
    #[arg(
        long = "output-format",
        short = 'o',
        visible_alias = "output",
        value_enum
    )]
    pub output: Option<Output>,
    /// Print nothing on standard output (not the UPID).
    #[arg(long)]
    pub quiet: bool,
    /// Print the UPID of the copy task instead of waiting for it.
    #[arg(long)]
    pub no_wait: bool,
}

/// What an upload stores (PVE's `content`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Content {
    Iso,
    Vztmpl,
    Import,
}

impl Content {
    pub fn name(self) -> &'static str {
        match self {
            Content::Iso => "iso",
            Content::Vztmpl => "vztmpl",
            Content::Import => "import",
        }
    }
}

#[derive(Debug, Args)]
pub struct Download {
    /// The API path (`/nodes/pve1/storage/local/file-restore/download`).
    pub path: String,
    /// Where to write the file; `-` for standard output.
    #[arg(short = 'O', long = "output-file", value_name = "FILE")]
    pub out: Option<String>,
    /// The method's parameters: `-name value` or `--name value`.
    #[arg(
        allow_hyphen_values = true,
        trailing_var_arg = true,
        num_args = 0..,
        value_name = "-NAME VALUE"
    )]
    pub params: Vec<String>,
}

#[derive(Debug, Args)]
pub struct Console {
    /// The node (`pve1`).
    pub node: String,
    /// A VM or container on it; without, the node's shell.
    pub vmid: Option<u32>,
    /// For a VM: the serial port `serial<N>` (0-3) instead of the first one configured.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=3))]
    pub serial: Option<u8>,
    /// The key that leaves the console: `^` and a letter (`^O` is Ctrl+O), or `none`.
    #[arg(long, default_value = "^O")]
    pub escape: String,
}

#[derive(Debug, Args)]
pub struct Vnc {
    /// The node (`pve1`).
    pub node: String,
    /// The VM or container.
    pub vmid: u32,
    /// The local address viewers connect to (keep it on loopback: a viewer there reaches the
    /// guest's screen).
    #[arg(long, default_value = "127.0.0.1:5900")]
    pub listen: String,
}

#[derive(Debug, Args)]
pub struct Usage {
    /// The API path.
    pub path: String,
    /// Only this method.
    #[arg(long, short = 'c', value_enum)]
    pub command: Option<Verb>,
    /// Everything: descriptions, parameters, types, defaults, permissions, versions.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct AuditAnswers {
    /// How many nodes, and VMs, containers and storages on each, to call their paths for.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub sample: usize,
    /// Show the values of the unknown fields found (never of fields named like a secret).
    #[arg(long)]
    pub values: bool,
    /// Only the paths under this one (`/nodes/pve1/qemu`, `/cluster`, `/nodes/{node}/lxc`).
    #[arg(long, value_name = "PATH")]
    pub only: Option<String>,
    /// Output format (default: pretty JSON on a terminal, JSON otherwise); `table` (or
    /// `text`) lists the paths with findings.
    #[arg(
        long = "output-format",
        short = 'o',
        visible_alias = "output",
        value_enum
    )]
    pub output: Option<Output>,
}

#[derive(Debug, Subcommand)]
pub enum MockCommand {
    /// Serve a fake PVE until interrupted; prints `export PVE_URL=...` lines for the shell.
    Serve(Serve),
}

#[derive(Debug, Args)]
pub struct Serve {
    /// The PVE version to play (one of the vendored: 8.4.17, 9.1.11, 9.2).
    #[arg(long)]
    pub pve_version: Option<String>,
    /// How long each task runs, in seconds (default: tasks end at once).
    #[arg(long, value_name = "SECONDS")]
    pub task_duration: Option<f64>,
    /// A file inside a backup for `download` of `file-restore/download` to serve: the backup's
    /// volume, PVE's `filepath` (base64 of the path) and the local file with its bytes.
    #[arg(long, num_args = 3, value_names = ["VOLUME", "FILEPATH", "FILE"], action = clap::ArgAction::Append)]
    pub restore_file: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Json,
    JsonPretty,
    /// As pvesh prints it.
    Text,
    Yaml,
    /// This CLI's own table: columns in the answer's order.
    Table,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Verb {
    Get,
    Create,
    Set,
    Delete,
}

impl Verb {
    pub fn method(self) -> proxmoxia::typed::HttpMethod {
        use proxmoxia::typed::HttpMethod;
        match self {
            Verb::Get => HttpMethod::Get,
            Verb::Create => HttpMethod::Post,
            Verb::Set => HttpMethod::Put,
            Verb::Delete => HttpMethod::Delete,
        }
    }

    pub fn of(method: proxmoxia::typed::HttpMethod) -> Verb {
        use proxmoxia::typed::HttpMethod;
        match method {
            HttpMethod::Get => Verb::Get,
            HttpMethod::Post => Verb::Create,
            HttpMethod::Put => Verb::Set,
            HttpMethod::Delete => Verb::Delete,
        }
    }

    pub fn name(self) -> &'static str {
        crate::params::verb(self.method())
    }

    pub fn from_name(name: &str) -> Option<Verb> {
        [Verb::Get, Verb::Create, Verb::Set, Verb::Delete]
            .into_iter()
            .find(|v| v.name() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}
