// A run allocates hundreds of thousands of small objects and frees little before it exits;
// mimalloc serves that pattern with fewer page faults and less work per allocation than glibc's
// malloc (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    inventory_gen::cli::main()
}
