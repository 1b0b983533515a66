//! `musim-tui`: command-line entry point.

fn main() {
    println!("musim {}", env!("CARGO_PKG_VERSION"));
}
