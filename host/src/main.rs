//! The `guichet` command line. See `guichet --help`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
