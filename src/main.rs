fn main() -> std::process::ExitCode {
    inventory_gen::cli::main()
}
