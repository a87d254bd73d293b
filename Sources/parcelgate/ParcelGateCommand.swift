import ArgumentParser

@main
struct ParcelGateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parcelgate",
        abstract: "Carrier webhook ingestion gateway: verify, normalise and apply tracking callbacks.",
        subcommands: [ServeCommand.self, ReplayCommand.self, RetriesCommand.self, TenantsCommand.self, BenchCommand.self, StoreBenchCommand.self, BaselineCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
