fn main() -> std::process::ExitCode {
    sufficiency::cli::main()
}
