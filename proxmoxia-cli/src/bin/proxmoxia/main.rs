//! `proxmoxia`: the PVE API from the command line (`cli` feature). Verbs like `pvesh`
//! (`get`, `create`, `set`, `delete`, `ls`, `usage`; `upload` and `download` for files;
//! `audit-answers`); parameters checked with the generated
//! rules before anything is sent; tasks followed to their end; `--mock` for no cluster.

mod args;
mod audit;
mod call;
mod complete;
mod config;
mod connect;
mod console;
mod doc;
mod download;
mod escape;
mod ls;
mod output;
mod partial;
mod serve;
mod text;
mod tickets;
mod transfer;
mod tty;
mod upload;
mod usage;
mod versions;
mod wait;

use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
// The command line's reading is this crate's library, where the fuzz targets reach it.
use proxmoxia_cli::{fail, params, tree};

use crate::args::{Cli, Command};
use crate::fail::Fail;

fn main() -> ExitCode {
    // Every exit status is one of `fail`'s table: clap's mistakes are USAGE, help is none.
    let parsed = Cli::command()
        .after_long_help(fail::exit_status_help())
        .try_get_matches()
        .and_then(|matches| Ok((Cli::from_arg_matches(&matches)?, matches)));
    let cli = match parsed {
        Ok((mut cli, matches)) => {
            cli.conn.password_given =
                matches.value_source("password") == Some(ValueSource::CommandLine);
            cli
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { fail::USAGE } else { 0 });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(fail::FAILED);
        }
    };
    let result = runtime.block_on(run(cli));
    // `console` leaves a read of the terminal pending on a blocking thread: not waited for.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(fail) => {
            // A message may quote the server: escaped like its other text.
            eprintln!("error: {}", escape::escape(&fail.message));
            ExitCode::from(fail.code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Fail> {
    match cli.command {
        Command::Get(c) => call::run(&cli.conn, args::Verb::Get, c).await,
        Command::Create(c) => call::run(&cli.conn, args::Verb::Create, c).await,
        Command::Set(c) => call::run(&cli.conn, args::Verb::Set, c).await,
        Command::Delete(c) => call::run(&cli.conn, args::Verb::Delete, c).await,
        Command::Ls(l) => ls::run(&cli.conn, l).await,
        Command::Upload(u) => upload::run(&cli.conn, u).await,
        Command::Download(d) => download::run(&cli.conn, d).await,
        Command::Usage(u) => usage::run(&u),
        Command::AuditAnswers(a) => audit::run(&cli.conn, a).await,
        Command::Console(c) => console::run(&cli.conn, c).await,
        Command::Vnc(v) => console::vnc(&cli.conn, v).await,
        Command::Login => connect::login(&cli.conn).await,
        Command::Logout => connect::logout(&cli.conn),
        Command::Completion { shell } => output::print(complete::script(shell)),
        Command::Mock(args::MockCommand::Serve(s)) => serve::run(s).await,
        Command::Complete { line } => {
            complete::run(&line).await;
            Ok(())
        }
    }
}
