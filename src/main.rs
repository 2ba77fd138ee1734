//! The `gossipsim` binary: all logic lives in the library's `cli` module.

fn main() {
    std::process::exit(gossipsim::cli::main());
}
