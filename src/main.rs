// A run allocates hundreds of thousands of small objects and frees little before it exits;
// mimalloc serves that pattern with fewer page faults and less work per allocation than glibc's
// malloc. Its version 2 (the `v2` feature) is used: at 5000 machines it keeps a run's resident
// memory near glibc's (about 70 MiB, against about 100 MiB with version 3), and on the virtual
// machines this runs on, zeroing fresh pages is a third of a run (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    inventory_gen::cli::main()
}
