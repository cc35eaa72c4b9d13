//! Shell completion: small scripts for bash, zsh and fish that ask the binary itself
//! (`proxmoxia __complete -- LINE`) for the candidates of the word at the cursor: commands and
//! options, API paths (path parameters' values read from the cluster when a login is at hand:
//! node names, VM ids, storages), a method's parameter names, enum values.

use clap::CommandFactory;
use proxmoxia::catalog::Ty;

use crate::args::{Cli, Shell, Verb};
use crate::connect::{self, Mode};
use crate::{ls, params, tree};

pub fn script(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => BASH,
        Shell::Zsh => ZSH,
        Shell::Fish => FISH,
    }
}

// bash splits words at `:` and `=` too (volume ids, `--name=value`): the candidates are whole
// words, so the part of the word bash does not replace is taken off them.
const BASH: &str = r#"# proxmoxia completion for bash: source <(proxmoxia completion bash)
_proxmoxia() {
    local line="${COMP_LINE:0:COMP_POINT}"
    local cur="${COMP_WORDS[COMP_CWORD]}"
    local word="${line##*[[:space:]]}"
    local keep="${word%"$cur"}"
    local IFS=$'\n'
    local candidates=($("${COMP_WORDS[0]}" __complete -- "$line" 2>/dev/null))
    COMPREPLY=("${candidates[@]#"$keep"}")
    local c
    for c in "${COMPREPLY[@]}"; do
        [[ $c == */ ]] && compopt -o nospace 2>/dev/null
    done
}
complete -F _proxmoxia proxmoxia
"#;

const ZSH: &str = r#"#compdef proxmoxia
# proxmoxia completion for zsh: source <(proxmoxia completion zsh), or save as _proxmoxia in $fpath
_proxmoxia() {
    local -a candidates dirs others
    candidates=("${(@f)$("${words[1]}" __complete -- "${(j: :)words[1,CURRENT]}" 2>/dev/null)}")
    local c
    for c in $candidates; do
        [[ -z $c ]] && continue
        if [[ $c == */ ]]; then dirs+=("$c"); else others+=("$c"); fi
    done
    (( $#dirs )) && compadd -Q -S '' -- $dirs
    (( $#others )) && compadd -Q -- $others
}
if [[ "$funcstack[1]" == "_proxmoxia" ]]; then _proxmoxia "$@"; else compdef _proxmoxia proxmoxia; fi
"#;

const FISH: &str = r#"# proxmoxia completion for fish: proxmoxia completion fish | source
complete -c proxmoxia -f -a '(proxmoxia __complete -- (commandline -cp) 2>/dev/null)'
"#;

/// Prints the candidates for the last word of `line` (empty when `line` ends in a space).
pub async fn run(line: &str) {
    // A name from the server with control characters in it is no word to complete to.
    let text: String = candidates(line)
        .await
        .iter()
        .filter(|c| !c.contains(char::is_control))
        .map(|c| format!("{c}\n"))
        .collect();
    let _ = crate::output::print(&text);
}

pub async fn candidates(line: &str) -> Vec<String> {
    let mut words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    if line.is_empty() || line.ends_with(char::is_whitespace) {
        words.push(String::new());
    }
    let current = words.pop().unwrap_or_default();
    let all = complete_words(&words, &current).await;
    all.into_iter()
        .filter(|c| c.starts_with(&current))
        .collect()
}

/// The long options of a clap command (`--url`), and which take a value.
fn options(command: &clap::Command) -> Vec<(String, bool)> {
    command
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .flat_map(|a| {
            let takes = a.get_action().takes_values();
            let long = a.get_long().map(|l| (format!("--{l}"), takes));
            let short = a.get_short().map(|s| (format!("-{s}"), takes));
            long.into_iter().chain(short)
        })
        .collect()
}

async fn complete_words(words: &[String], current: &str) -> Vec<String> {
    let cli = Cli::command();
    let top = options(&cli);
    // The words before the command are connection options.
    let mut i = 1;
    while i < words.len() && words[i].starts_with('-') {
        let takes = top.iter().any(|(o, t)| *t && *o == words[i]) && !words[i].contains('=');
        i += if takes { 2 } else { 1 };
    }
    if i > words.len() {
        // The value of a connection option.
        return Vec::new();
    }
    if i == words.len() {
        if current.starts_with('-') {
            return top
                .into_iter()
                .filter(|(o, _)| o.starts_with("--"))
                .map(|(o, _)| o)
                .collect();
        }
        return cli
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| s.get_name().to_owned())
            .collect();
    }
    let connection = &words[..i];
    let name = words[i].as_str();
    let rest = &words[i + 1..];
    let Some(sub) = cli.find_subcommand(name) else {
        return Vec::new();
    };
    match name {
        "completion" if rest.is_empty() => ["bash", "zsh", "fish"].map(str::to_owned).to_vec(),
        "mock" if rest.is_empty() => vec!["serve".to_owned()],
        "audit-answers" if rest.last().is_some_and(|w| w == "-o" || w == "--output") => {
            ["json", "json-pretty", "yaml", "table"]
                .map(str::to_owned)
                .to_vec()
        }
        "upload" if rest.last().is_some_and(|w| w == "--content") => {
            ["iso", "vztmpl", "import"].map(str::to_owned).to_vec()
        }
        "get" | "create" | "set" | "delete" | "ls" | "usage" | "download" => {
            let own = options(sub);
            // A download is a GET: its path and parameters complete as `get`'s.
            let verb = Verb::from_name(name).or((name == "download").then_some(Verb::Get));
            call_words(connection, verb, &own, rest, current).await
        }
        _ if current.starts_with('-') => options(sub).into_iter().map(|(o, _)| o).collect(),
        _ => Vec::new(),
    }
}

async fn call_words(
    connection: &[String],
    verb: Option<Verb>,
    own: &[(String, bool)],
    rest: &[String],
    current: &str,
) -> Vec<String> {
    let previous = rest.last().map(String::as_str);
    match previous {
        Some("-o" | "--output") => {
            return ["json", "json-pretty", "yaml", "table"]
                .map(str::to_owned)
                .to_vec();
        }
        Some("-c" | "--command") => {
            return ["get", "create", "set", "delete"]
                .map(str::to_owned)
                .to_vec();
        }
        _ => {}
    }
    let path = rest.iter().find(|w| !w.starts_with('-'));
    let Some(path) = path else {
        if current.starts_with('-') {
            return own.iter().map(|(o, _)| o.clone()).collect();
        }
        return paths(connection, current).await;
    };
    let Some(verb) = verb else {
        return own.iter().map(|(o, _)| o.clone()).collect();
    };
    let Ok(resolved) = tree::resolve(path) else {
        return Vec::new();
    };
    let Some(entry) = resolved.node.method(verb.method()) else {
        return Vec::new();
    };
    // The value of a parameter: its enum values, or 0/1.
    if let Some(name) = previous.and_then(|p| p.strip_prefix("--")) {
        if let Some(rule) = params::param_for(entry, name) {
            if !rule.rule.enum_values.is_empty() {
                return rule
                    .rule
                    .enum_values
                    .iter()
                    .map(|v| (*v).to_owned())
                    .collect();
            }
            if rule.rule.ty == Ty::Bool {
                return vec!["1".into(), "0".into()];
            }
            return Vec::new();
        }
    }
    if !current.starts_with('-') {
        return Vec::new();
    }
    let given: Vec<&str> = rest.iter().filter_map(|w| w.strip_prefix("--")).collect();
    let mut out: Vec<String> = entry
        .body_params()
        .filter_map(|r| {
            if r.indexed {
                let free = (0..).find(|n| !given.contains(&format!("{}{n}", r.name).as_str()))?;
                Some(format!("--{}{free}", r.name))
            } else if given.contains(&r.name) {
                None
            } else {
                Some(format!("--{}", r.name))
            }
        })
        .collect();
    out.sort();
    out.extend(
        own.iter()
            .filter(|(o, _)| o.starts_with("--"))
            .map(|(o, _)| o.clone()),
    );
    out
}

/// API paths completing `current`: the children of the path up to its last `/`.
async fn paths(connection: &[String], current: &str) -> Vec<String> {
    let (parent, _) = match current.rfind('/') {
        Some(at) => current.split_at(at + 1),
        None => ("/", ""),
    };
    let parent = if current.is_empty() || !current.contains('/') {
        "/"
    } else {
        parent
    };
    let Ok(resolved) = tree::resolve(parent) else {
        return Vec::new();
    };
    let children = if ls::needs_listing(resolved.node) {
        match listing(connection, &resolved).await {
            Some(children) => children,
            None => ls::children(resolved.node, None),
        }
    } else {
        ls::children(resolved.node, None)
    };
    children
        .iter()
        .map(|c| {
            let slash = if c.node.has_children() { "/" } else { "" };
            format!("{parent}{}{slash}", tree::escape(&c.name))
        })
        .collect()
}

/// The children of a path with a parameter child, read from the cluster without prompting.
async fn listing(connection: &[String], resolved: &tree::Resolved) -> Option<Vec<ls::Child>> {
    let mut argv: Vec<String> = connection.to_vec();
    argv.push("logout".into());
    let cli = <Cli as clap::Parser>::try_parse_from(&argv).ok()?;
    let mut conn = connect::connect(&cli.conn, Mode::Quiet).await.ok()?;
    ls::read(&mut conn, resolved).await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commands_paths_and_parameters() {
        assert!(candidates("proxmoxia ").await.contains(&"get".to_owned()));
        assert_eq!(candidates("proxmoxia l").await, ["ls", "login", "logout"]);
        assert_eq!(candidates("proxmoxia get /no").await, ["/nodes/"]);
        assert_eq!(
            candidates("proxmoxia get /nodes/{node}/qemu/{vmid}/status/cu").await,
            ["/nodes/{node}/qemu/{vmid}/status/current"]
        );
        assert_eq!(
            candidates("proxmoxia create /nodes/pve1/lxc --vmid 300 --ostem").await,
            ["--ostemplate"]
        );
        assert_eq!(
            candidates("proxmoxia create /nodes/pve1/lxc --net0 x --ne").await,
            ["--net1"]
        );
        assert_eq!(
            candidates("proxmoxia create /nodes/pve1/lxc --arch ").await[..2],
            ["amd64", "i386"]
        );
        assert_eq!(candidates("proxmoxia get /version -o y").await, ["yaml"]);
        assert_eq!(
            candidates("proxmoxia completion ").await,
            ["bash", "zsh", "fish"]
        );
    }

    /// Names of a path's children come from the cluster: here the embedded fake.
    #[cfg(feature = "mock")]
    #[tokio::test]
    async fn children_from_the_cluster() {
        assert_eq!(
            candidates("proxmoxia --mock ls /nodes/").await,
            ["/nodes/pve1/"]
        );
        assert_eq!(
            candidates("proxmoxia --mock get /nodes/pve1/qemu/").await,
            ["/nodes/pve1/qemu/100/", "/nodes/pve1/qemu/101/"]
        );
    }
}
